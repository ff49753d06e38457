/**
 * Compiles a {@link MeshModel} into the OPA bundles of one zone.
 *
 * The OPA of zone Z decides for requests arriving at Z's gateways and data proxies, so its
 * bundles carry the entries of destinations located in Z only. One domain bundle is emitted
 * per domain that has at least one destination (service or data product) in Z; allow and deny
 * entries are filed under the destination's domain, so the bundle of domain D holds everything
 * decided about D's destinations (whoever declared it) and a change to D's intents never
 * touches the platform bundle.
 */
import { workloadEgressTargets } from "../egress-targets";
import { HTTP_METHODS, type DataAccess, type HttpMethod } from "../../model/types";
import type { DataProduct, DenyRule, MeshModel, Service, Source } from "../../model/model";
import { splitKey } from "../../model/resolve";
import { bundleRevision, contentFiles, readPolicyModules } from "./files";
import {
  ANY,
  type DenyEntry,
  type DenyIndex,
  type DomainData,
  type Grant,
  type MethodSet,
  type OpaBundle,
  type OpaZoneBundles,
  type PlatformData,
} from "./types";

/** Root of the policy modules (package `envoy.authz`), owned by the platform bundle. */
export const POLICY_ROOT = "envoy/authz";
/** Root (and data path) of the platform data. */
export const PLATFORM_ROOT = "ztmesh/platform";
/** Root (and data path) of domain `domain`'s data. */
export function domainRoot(domain: string): string {
  return `ztmesh/domains/${domain}`;
}
/** The decision the OPA-Envoy plugin queries (`plugins.envoy_ext_authz_grpc.path`). */
export const DECISION_PATH = "envoy/authz/allow";

/** Options of {@link compileOpaBundles}. */
export interface CompileOpaOptions {
  /**
   * Policy modules (bundle path -> Rego source) to ship in the platform bundle.
   * @default the hand-written modules read from `rego/` by `readPolicyModules()`
   */
  policyModules?: Record<string, string>;
}

const READ_METHODS: ReadonlySet<HttpMethod> = new Set<HttpMethod>(["GET", "HEAD", "OPTIONS"]);

/** The data access an HTTP method needs at a data proxy: GET, HEAD and OPTIONS read; the others write. */
export function accessOfMethod(method: string): DataAccess {
  return READ_METHODS.has(method as HttpMethod) ? "read" : "write";
}

/**
 * The bundles the OPA of zone `zoneId` loads: the platform bundle (policy + platform data) and
 * one bundle per domain with destinations in the zone. Pure apart from reading the Rego modules
 * (pass `options.policyModules` to avoid that). Deterministic: keys and lists are sorted.
 * @throws Error when `zoneId` is not a zone of the model, or an intent or deny rule names an
 * unknown destination (the model was not validated).
 */
export function compileOpaBundles(model: MeshModel, zoneId: string, options: CompileOpaOptions = {}): OpaZoneBundles {
  const zone = model.zones.find((z) => z.id === zoneId);
  if (!zone) {
    throw new Error(`compileOpaBundles: unknown zone "${zoneId}"; expected one of ${model.zones.map((z) => `"${z.id}"`).join(", ")}`);
  }
  const destination = (key: string): Service | DataProduct => {
    const d = model.services.get(key) ?? model.dataProducts.get(key);
    if (!d) throw new Error(`compileOpaBundles: unknown destination "${key}" (build the model with buildMesh)`);
    return d;
  };
  const inZone = (key: string): boolean => destination(key).zone === zoneId;

  const domains = new Map<string, DomainData>();
  const domainData = (name: string): DomainData => {
    let d = domains.get(name);
    if (!d) {
      d = { services: {}, proxies: {}, allow: {}, deny: {}, egress: {} };
      domains.set(name, d);
    }
    return d;
  };

  for (const s of model.services.values()) {
    if (s.zone !== zoneId) continue;
    domainData(s.domain).services[s.spiffeId] = s.key;
    const targets = workloadEgressTargets(model, s.key);
    if (targets.length > 0) domainData(s.domain).egress[s.spiffeId] = Object.fromEntries(targets.map((t) => [t.id, true as const]));
  }
  for (const p of model.dataProducts.values()) if (p.zone === zoneId) domainData(p.domain).proxies[p.proxy.spiffeId] = p.key;

  for (const intent of model.intents) {
    if (!inZone(intent.to)) continue;
    const grant: Grant =
      intent.kind === "call"
        ? { intent: intent.id, methods: methodSet(intent.methods), paths: sortedUnique(intent.paths) }
        : { intent: intent.id, access: sortedUnique(intent.access) };
    push(domainData(splitKey(intent.to).domain).allow, intent.to, sourceKey(intent.source), grant);
  }

  const globalDeny: DenyIndex = {};
  for (const rule of model.denyRules) {
    if (rule.to !== undefined && !inZone(rule.to)) continue;
    const entry = denyEntry(rule);
    const src = sourceKey(rule.source);
    if (rule.scope === "global") {
      push(globalDeny, rule.to ?? ANY, src, entry);
      // Domain stacks publish only their own bundle: a mesh rule naming one of the domain's
      // destinations travels with it too (the platform's bundle may never hold it).
      if (rule.to !== undefined) push(domainData(splitKey(rule.to).domain).deny, rule.to, src, entry);
    }
    else if (rule.to !== undefined) push(domainData(splitKey(rule.to).domain).deny, rule.to, src, entry);
    // A domain-wide rule matters only where the domain has destinations (and thus a bundle).
    else if (domains.has(rule.scope)) push(domainData(rule.scope).deny, ANY, src, entry);
  }

  const modules = options.policyModules ?? readPolicyModules();
  const platformData: PlatformData = {
    trust_domain: model.trustDomain,
    zone: { id: zone.id, cloud: zone.cloud, region: zone.region },
    deny: sortIndex(globalDeny, byId),
  };
  const platform = bundle("ztmesh-platform", [POLICY_ROOT, PLATFORM_ROOT], PLATFORM_ROOT, platformData, modules);

  const domainBundles: Record<string, OpaBundle<DomainData>> = {};
  for (const name of [...domains.keys()].sort()) {
    const d = domains.get(name) as DomainData;
    const data: DomainData = {
      services: sortRecord(d.services),
      egress: sortRecord(d.egress),
      proxies: sortRecord(d.proxies),
      allow: sortIndex(d.allow, byIntent),
      deny: sortIndex(d.deny, byId),
    };
    domainBundles[name] = bundle(`ztmesh-domain-${name}`, [domainRoot(name)], domainRoot(name), data, {});
  }
  return { zone: zoneId, platform, domains: domainBundles };
}

function bundle<D>(name: string, roots: string[], dataPath: string, data: D, rego: Record<string, string>): OpaBundle<D> {
  const sortedRoots = [...roots].sort();
  const revision = bundleRevision(sortedRoots, contentFiles(dataPath, data, rego));
  return { name, roots: sortedRoots, manifest: { revision, roots: sortedRoots }, dataPath, data, rego: sortRecord(rego) };
}

/** The key a source is filed under: its SPIFFE ID, or `*` for any workload. */
function sourceKey(source: Source): string {
  return source.kind === "any" ? ANY : source.spiffeId;
}

/** Normalizes a deny rule: omitted methods are every method, omitted paths `/`. */
function denyEntry(rule: DenyRule): DenyEntry {
  const methods = rule.methods ?? [...HTTP_METHODS];
  const paths = sortedUnique(rule.paths ?? ["/"]);
  const access: DataAccess[] = paths.includes("/") ? sortedUnique(methods.map(accessOfMethod)) : [];
  return { id: rule.id, reason: rule.reason, methods: methodSet(methods), paths, access };
}

function methodSet(methods: readonly HttpMethod[]): MethodSet {
  const out: MethodSet = {};
  for (const m of [...methods].sort()) out[m] = true;
  return out;
}

function sortedUnique<T extends string>(xs: readonly T[]): T[] {
  return [...new Set(xs)].sort();
}

function push<T>(index: Record<string, Record<string, T[]>>, dst: string, src: string, item: T): void {
  const bySource = (index[dst] ??= {});
  (bySource[src] ??= []).push(item);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
const byIntent = (a: Grant, b: Grant): number => cmp(a.intent, b.intent);
const byId = (a: DenyEntry, b: DenyEntry): number => cmp(a.id, b.id);

function sortRecord<T>(r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k];
  return out;
}

function sortIndex<T>(index: Record<string, Record<string, T[]>>, order: (a: T, b: T) => number): Record<string, Record<string, T[]>> {
  const out: Record<string, Record<string, T[]>> = {};
  for (const dst of Object.keys(index).sort()) {
    const bySource: Record<string, T[]> = {};
    for (const src of Object.keys(index[dst]).sort()) bySource[src] = [...index[dst][src]].sort(order);
    out[dst] = bySource;
  }
  return out;
}
