/**
 * Per enforcement point of a mesh model: the size of its compiled configuration, and the RBAC
 * rules one request is matched against there, next to the intents that target its destination.
 * Pure: the compilers' output, no Pulumi (bench/enforcement.ts prints it).
 *
 * Rules one request is matched against: Envoy evaluates a filter chain's RBAC filters in order,
 * each rule set's policies until one matches, so a request meets at most every policy of the
 * RBAC filters of the chain it lands on (the largest chain of the listeners that enforce). Counted
 * as policies, and as matchers (the leaves of their permission and principal trees: an
 * authority, a method, a path prefix, a SPIFFE ID). At the policy engine, a decision reads the
 * grants and deny entries filed under its (destination, source) keys (`decide` and the Rego look
 * them up by key): counted as entries, the most any one source of that destination meets.
 */
import {
  compileDataProxy,
  compileEgressGateway,
  compileGateway,
  compileWorkloadProxy,
  TYPE_URL,
  type EnvoyBootstrap,
} from "../components/compile/envoy";
import { compileAuthzFront } from "../components/compile/envoy/authz-front";
import { ANY, bundleFiles, compileOpaBundles, type DenyIndex, type DomainData, type OpaZoneBundles } from "../components/compile/opa";
import type { MeshModel } from "../components/model";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The rules one request meets at one enforcement point, and the intents that target its destination. */
export interface RulesSample {
  policies: number;
  /** Permission and principal leaves; undefined where rules are not Envoy RBAC (the policy engine). */
  matchers?: number;
  /** Of {@link matchers}: the permission leaves and the principal leaves. */
  permissions?: number;
  principals?: number;
  /** Intents targeting the destination; undefined where the point serves no one destination. */
  intents?: number;
}

/** Every sample of one kind of enforcement point. */
export interface PointKind {
  kind: string;
  /** Compiled configuration bytes, one per config (a proxy's bootstrap, a domain bundle's data). */
  configBytes: number[];
  /** What one config is (a service's proxy, a zone's gateway, a domain's bundle in a zone). */
  configPer: string;
  rules: RulesSample[];
  /** What one rules sample is (a destination, a zone). */
  rulesPer: string;
  /** ALLOW policies granting something to another destination than the point's own (must be 0); undefined: not a per-destination proxy. */
  foreign?: number;
}

/** Compact JSON bytes (Envoy takes a JSON or YAML bootstrap; the ConfigMaps hold YAML, 1.3-1.9x larger). */
const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

/** Leaves of a permission or principal tree (the `and_*`/`or_*`/`not_*` nodes only combine them). */
function leaves(node: unknown): number {
  if (!isObj(node)) return 0;
  if (isObj(node["and_rules"])) return arr(node["and_rules"]["rules"]).reduce((n: number, r) => n + leaves(r), 0);
  if (isObj(node["or_rules"])) return arr(node["or_rules"]["rules"]).reduce((n: number, r) => n + leaves(r), 0);
  if (isObj(node["and_ids"])) return arr(node["and_ids"]["ids"]).reduce((n: number, r) => n + leaves(r), 0);
  if (isObj(node["or_ids"])) return arr(node["or_ids"]["ids"]).reduce((n: number, r) => n + leaves(r), 0);
  if (node["not_rule"] !== undefined) return leaves(node["not_rule"]);
  if (node["not_id"] !== undefined) return leaves(node["not_id"]);
  return 1;
}

/** The RBAC rule sets of one filter chain, network filters and HTTP filters alike, in order. */
function chainRuleSets(chain: Obj): Obj[] {
  const out: Obj[] = [];
  for (const f of arr(chain["filters"])) {
    const cfg = isObj(f) ? f["typed_config"] : undefined;
    if (!isObj(cfg)) continue;
    if (cfg["@type"] === TYPE_URL.networkRbac && isObj(cfg["rules"])) out.push(cfg["rules"]);
    if (cfg["@type"] !== TYPE_URL.httpConnectionManager) continue;
    for (const hf of arr(cfg["http_filters"])) {
      const h = isObj(hf) ? hf["typed_config"] : undefined;
      if (isObj(h) && h["@type"] === TYPE_URL.httpRbac && isObj(h["rules"])) out.push(h["rules"]);
    }
  }
  return out;
}

/** What one request meets: policies, their matchers (permissions and principals), the ALLOW policies' names. */
interface Met {
  policies: number;
  matchers: number;
  permissions: number;
  principals: number;
  allowNames: string[];
}

/**
 * The rules a request meets at the listeners `which` selects: the largest filter chain's
 * policies and matchers, and the names of its ALLOW policies (to check whose grants they are).
 */
export function rulesMet(bootstrap: EnvoyBootstrap | Obj, which: (listener: string) => boolean): Met {
  const sr = (bootstrap as Obj)["static_resources"];
  let best: Met = { policies: 0, matchers: 0, permissions: 0, principals: 0, allowNames: [] };
  for (const l of arr(isObj(sr) ? sr["listeners"] : undefined)) {
    if (!isObj(l) || !which(String(l["name"]))) continue;
    for (const chain of arr(l["filter_chains"])) {
      if (!isObj(chain)) continue;
      const met: Met = { policies: 0, matchers: 0, permissions: 0, principals: 0, allowNames: [] };
      for (const rules of chainRuleSets(chain)) {
        const policies = isObj(rules["policies"]) ? Object.entries(rules["policies"]) : [];
        met.policies += policies.length;
        for (const [name, p] of policies) {
          if (!isObj(p)) continue;
          const permissions = arr(p["permissions"]).reduce((n: number, x) => n + leaves(x), 0);
          const principals = arr(p["principals"]).reduce((n: number, x) => n + leaves(x), 0);
          met.permissions += permissions;
          met.principals += principals;
          met.matchers += permissions + principals;
          if ((rules["action"] ?? "ALLOW") === "ALLOW") met.allowNames.push(name);
        }
      }
      if (met.policies > best.policies || (met.policies === best.policies && met.matchers > best.matchers)) best = met;
    }
  }
  return best;
}

/** Entries of `index[dst|*][src|*]`. */
function denyEntries(index: DenyIndex, dst: string, src: string): number {
  let n = 0;
  for (const d of [dst, ANY]) for (const s of [src, ANY]) n += index[d]?.[s]?.length ?? 0;
  return n;
}

/** The grants and deny entries one decision at `dst` reads, for the source that meets the most. */
function opaEntriesMet(platformDeny: DenyIndex, data: DomainData, dst: string): number {
  const bySource = data.allow[dst] ?? {};
  const wildcard = bySource[ANY]?.length ?? 0;
  // A source with no grant of its own still reads the wildcard grants and the deny entries.
  let most = wildcard + denyEntries(platformDeny, dst, "") + denyEntries(data.deny, dst, "");
  for (const [src, grants] of Object.entries(bySource)) {
    const met = (src === ANY ? 0 : grants.length) + wildcard + denyEntries(platformDeny, dst, src) + denyEntries(data.deny, dst, src);
    most = Math.max(most, met);
  }
  return most;
}

/** Samples every enforcement point of `model` (bundles: each zone's compiled OPA bundles). */
export function enforcementPoints(model: MeshModel, bundles: readonly OpaZoneBundles[]): PointKind[] {
  const targeting = new Map<string, number>();
  for (const i of model.intents) targeting.set(i.to, (targeting.get(i.to) ?? 0) + 1);
  const proxies = (kind: string, per: string, keys: string[], compile: (key: string) => EnvoyBootstrap, inbound: (l: string) => boolean, own: (key: string, policy: string) => boolean): PointKind => {
    const point: PointKind = { kind, configBytes: [], configPer: per, rules: [], rulesPer: per };
    let foreign = 0;
    for (const key of keys) {
      const b = compile(key);
      const met = rulesMet(b, inbound);
      point.configBytes.push(jsonBytes(b));
      point.rules.push({ policies: met.policies, matchers: met.matchers, permissions: met.permissions, principals: met.principals, intents: targeting.get(key) ?? 0 });
      foreign += met.allowNames.filter((n) => !own(key, n)).length;
    }
    return { ...point, foreign };
  };
  const perZone = (kind: string, compile: (zone: string) => EnvoyBootstrap): PointKind => {
    const point: PointKind = { kind, configBytes: [], configPer: "zone", rules: [], rulesPer: "zone (no one destination)" };
    for (const z of model.zones) {
      const b = compile(z.id);
      const met = rulesMet(b, () => true);
      point.configBytes.push(jsonBytes(b));
      point.rules.push({ policies: met.policies, matchers: met.matchers, permissions: met.permissions, principals: met.principals });
    }
    return point;
  };
  const opa: PointKind = { kind: "policy engine (OPA data)", configBytes: [], configPer: "domain bundle per zone, data.json", rules: [], rulesPer: "destination (looked up by key)" };
  for (const zone of bundles) {
    for (const b of Object.values(zone.domains)) {
      opa.configBytes.push(Buffer.byteLength(bundleFiles(b).get(`${b.dataPath}/data.json`) ?? ""));
      const destinations = [...Object.values(b.data.services), ...Object.values(b.data.proxies)];
      for (const dst of destinations) opa.rules.push({ policies: opaEntriesMet(zone.platform.data.deny, b.data, dst), intents: targeting.get(dst) ?? 0 });
    }
  }
  return [
    proxies("workload proxy (inbound)", "service", [...model.services.keys()], (k) => compileWorkloadProxy(model, k), (l) => l === "inbound", (k, n) => n.startsWith(`${k} <- `)),
    proxies("data proxy", "data product", [...model.dataProducts.keys()], (k) => compileDataProxy(model, k), () => true, (k, n) => n === k),
    perZone("egress gateway", (z) => compileEgressGateway(model, z)),
    perZone("zone gateway", (z) => compileGateway(model, z)),
    perZone("policy engine front", (z) => compileAuthzFront(model, z)),
    opa,
  ];
}

/** The zone bundles of every zone of `model` (no policy modules: only the data is measured). */
export function zoneBundles(model: MeshModel): OpaZoneBundles[] {
  return model.zones.map((z) => compileOpaBundles(model, z.id, { policyModules: {} }));
}
