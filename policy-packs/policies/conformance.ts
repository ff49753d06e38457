/**
 * Conformance: the allowed flows recomputed from the enforcement resources themselves
 * (Envoy RBAC in the mesh's Envoy configs, NetworkPolicies, OPA bundle data in the published bundles),
 * compared with the declared intents (`ztmesh.io/role: intents` ConfigMaps). Reports every
 * flow a layer allows that no declared intent does, and every declared intent a layer on
 * its path denies. Linear in resources plus intents: layers are read once, flows are
 * looked up by key.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { rulesAllow, stringMatches } from "../../components/compile/envoy/rbac-eval";
import { readTarGz } from "../../components/compile/opa/tarball";
import type { ResolvedIntentEntry } from "../../components/model/intents";
import { ROLES } from "../../components/conventions";
import { hasRole, markersOf } from "./conventions";
import { resourcesOfType } from "./stack-index";
import { chainsOfData, enforcingChains, filtersBeforeTerminal, parseDocuments, typedConfig } from "./envoy-config";
import { asArray, asRecord, field, str, stringMap, strings } from "./util";
import { checkMesh, snapshotFromResources, type GraphResource } from "../../components/trace";
import { isUnknownValueError } from "./workloads";

/**
 * One declared intent as read from an `intents.json` (the core's {@link ResolvedIntentEntry},
 * typed once there): what this check needs is required, the rest may be missing in a document
 * another tool wrote.
 */
export type DeclaredIntent = Pick<ResolvedIntentEntry, "id" | "kind" | "source" | "destination" | "host"> &
  Partial<Pick<ResolvedIntentEntry, "dnsHost" | "sourceKey" | "sourceZone" | "destinationWorkload" | "destinationZone" | "paths">> & { methods?: string[] };

/** A mismatch between a layer and the declared intents. */
interface Finding {
  message: string;
  urn: string;
}

const ANY = "*";

const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** The declared intents of the stack's `intents` ConfigMaps (`configMaps`: the stack's ConfigMaps). */
function declaredIntents(configMaps: PolicyResource[]): DeclaredIntent[] {
  const out: DeclaredIntent[] = [];
  for (const r of configMaps) {
    if (!hasRole(r.props, ROLES.intents)) continue;
    for (const text of Object.values(stringMap(r.props.data))) {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        continue;
      }
      for (const e of asArray(asRecord(doc)?.intents)) {
        const i = asRecord(e);
        const source = str(i?.source);
        const destination = str(i?.destination);
        const host = str(i?.host);
        const kind = i?.kind === "data" ? "data" : i?.kind === "call" ? "call" : undefined;
        if (!i || !source || !destination || !host || !kind) continue;
        out.push({
          id: str(i.id) ?? "?",
          kind,
          source,
          destination,
          host,
          dnsHost: str(i.dnsHost),
          sourceKey: str(i.sourceKey),
          sourceZone: str(i.sourceZone),
          destinationWorkload: str(i.destinationWorkload),
          destinationZone: str(i.destinationZone),
          methods: asArray(i.methods).filter((m): m is string => typeof m === "string"),
          paths: asArray(i.paths).filter((p): p is string => typeof p === "string"),
        });
      }
    }
  }
  return out;
}

/** Items grouped by a key, in their order (a key of undefined leaves the item out). */
function groupBy<T>(items: T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const group = out.get(k);
    if (group) group.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** The declared intents, indexed once for the layers' lookups. */
interface IntentIndex {
  all: DeclaredIntent[];
  /** By the SPIFFE ID serving the destination (L4 data proxies). */
  byHost: Map<string, DeclaredIntent[]>;
  /** By the destination's domain, the `<domain>` of `<domain>/<name>` (OPA bundles). */
  byDestinationDomain: Map<string, DeclaredIntent[]>;
}

function indexIntents(all: DeclaredIntent[]): IntentIndex {
  return {
    all,
    byHost: groupBy(all, (i) => i.host),
    byDestinationDomain: groupBy(all, (i) => {
      const slash = i.destination.indexOf("/");
      return slash < 0 ? undefined : i.destination.slice(0, slash);
    }),
  };
}

/** The principals an RBAC rule set admits: exact SPIFFE IDs, or `*` for any peer. */
function principalsOf(rules: Record<string, unknown>): { exact: Set<string>; any: boolean } {
  const exact = new Set<string>();
  let any = false;
  for (const pol of Object.values(asRecord(rules.policies) ?? {})) {
    for (const p of asArray(asRecord(pol)?.principals)) {
      const pr = asRecord(p);
      const name = asRecord(asRecord(pr?.authenticated)?.principal_name);
      if (typeof name?.exact === "string") exact.add(name.exact);
      else if (pr) any = true; // prefix, any, or a matcher this check does not model: admits more than one identity
    }
  }
  return { exact, any };
}

/** `:authority` matchers anywhere in a permission tree. */
function authorityMatchers(p: unknown, out: unknown[] = [], depth = 0): unknown[] {
  const r = asRecord(p);
  if (!r || depth > 12) return out;
  const header = asRecord(r.header);
  if (header && header.name === ":authority") out.push(header.string_match ?? header);
  for (const key of ["and_rules", "or_rules"]) for (const q of asArray(asRecord(r[key])?.rules)) authorityMatchers(q, out, depth + 1);
  return out;
}

/** The host names a gateway routes (its virtual hosts' domains). */
function routedHosts(hcm: Record<string, unknown>): string[] {
  const routes = asRecord(field(hcm, "route_config", "routeConfig"));
  return asArray(field(routes, "virtual_hosts", "virtualHosts")).flatMap((v) => asArray(asRecord(v)?.domains).filter((d): d is string => typeof d === "string" && !d.includes(":")));
}

function ownIdentity(tls: Record<string, unknown> | undefined): string | undefined {
  const common = asRecord(field(tls, "common_tls_context", "commonTlsContext"));
  const sds = asArray(field(common, "tls_certificate_sds_secret_configs", "tlsCertificateSdsSecretConfigs"))[0];
  return str(asRecord(sds)?.name);
}

/** Checks one Envoy config's RBAC against the declared intents. */
/**
 * Whether an Envoy config is one of the platform's own enforcement points that decide by OPA on
 * terms no intent states (the egress gateway: per caller and token endpoint; the policy
 * engine's front: every mesh workload): their node metadata names a `kind` for OPA.
 */
function platformDecided(r: PolicyResource): boolean {
  return parseDocuments(stringMap(r.props.data)).some((d) => str(asRecord(asRecord(asRecord(asRecord(d)?.node)?.metadata)?.ztmesh)?.kind) !== undefined);
}

function checkEnvoy(r: PolicyResource, index: IntentIndex, trustDomain: string, findings: Finding[]): void {
  if (platformDecided(r)) return;
  const intents = index.all;
  const probe = `spiffe://${trustDomain}/ns/ztmesh-conformance/sa/probe`;
  for (const chain of enforcingChains(chainsOfData(stringMap(r.props.data)))) {
    const self = ownIdentity(chain.tls);
    // L4 (data proxies): the proxy's own identity is the destination.
    for (const f of filtersBeforeTerminal(chain, ["netRbac"])) {
      const rules = asRecord(typedConfig(f).rules);
      if (!rules || (rules.action ?? "ALLOW") !== "ALLOW" || !self) continue;
      const layer = principalsOf(rules);
      const declared = index.byHost.get(self) ?? [];
      const sources = new Set(declared.map((i) => i.source));
      for (const p of layer.exact) {
        if (!sources.has(p) && !sources.has(ANY)) findings.push({ urn: r.urn, message: `${chain.label}: Envoy RBAC lets ${p} reach ${self}, but no declared intent allows it.` });
      }
      if (layer.any && !sources.has(ANY)) findings.push({ urn: r.urn, message: `${chain.label}: Envoy RBAC lets any peer reach ${self}, but no declared intent has a wildcard source.` });
      for (const i of declared) {
        const allowed = i.source === ANY ? layer.any : layer.exact.has(i.source) || layer.any;
        if (!allowed) findings.push({ urn: r.urn, message: `${chain.label}: declared intent ${i.id} (${i.source} -> ${i.destination}) is denied by Envoy RBAC.` });
      }
    }
    // L7 (gateways): the routed host names the destination.
    const hcm = chain.layers.length > 1 ? chain.layers[0].filters.map(typedConfig).find((c) => field(c, "route_config", "routeConfig") !== undefined) : undefined;
    const hosts = new Set(hcm ? routedHosts(hcm) : []);
    for (const f of filtersBeforeTerminal(chain, ["httpRbac"])) {
      const rules = asRecord(typedConfig(f).rules);
      if (!rules || (rules.action ?? "ALLOW") !== "ALLOW") continue;
      const declared = intents.filter((i) => i.kind === "call" && i.dnsHost !== undefined && hosts.has(i.dnsHost));
      const declaredPairs = new Set(declared.map((i) => `${i.source} ${i.dnsHost}`));
      const matcherHosts = new Map<string, string[]>();
      for (const [name, pol] of Object.entries(asRecord(rules.policies) ?? {})) {
        const policy = asRecord(pol);
        const polHosts = new Set<string>();
        for (const perm of asArray(policy?.permissions)) {
          for (const m of authorityMatchers(perm)) {
            const key = JSON.stringify(m);
            if (!matcherHosts.has(key)) matcherHosts.set(key, [...hosts].filter((h) => stringMatches(m, h)));
            for (const h of matcherHosts.get(key) ?? []) polHosts.add(h);
          }
        }
        const layer = principalsOf({ policies: { [name]: pol } });
        for (const h of polHosts) {
          for (const p of layer.exact) {
            if (!declaredPairs.has(`${p} ${h}`) && !declaredPairs.has(`${ANY} ${h}`)) findings.push({ urn: r.urn, message: `${chain.label}: Envoy RBAC policy "${name}" lets ${p} call ${h}, but no declared intent allows it.` });
          }
          if (layer.any && !declaredPairs.has(`${ANY} ${h}`)) findings.push({ urn: r.urn, message: `${chain.label}: Envoy RBAC policy "${name}" lets any peer call ${h}, but no declared intent has a wildcard source.` });
        }
      }
      for (const i of declared) {
        const principal = i.source === ANY ? probe : i.source;
        for (const method of i.methods ?? []) {
          for (const path of i.paths ?? []) {
            if (!rulesAllow(rules, { principal, host: i.dnsHost, method, path })) {
              findings.push({ urn: r.urn, message: `${chain.label}: declared intent ${i.id} (${i.source} -> ${i.destination} ${method} ${path}) is denied by Envoy RBAC.` });
            }
          }
        }
      }
    }
  }
}

/** Domain bundle data (`ztmesh/domains/<d>/data.json`) in a published bundle archive. */
function bundleData(r: PolicyResource): { domain: string; allow: Record<string, unknown> }[] {
  const mark = Object.entries(markersOf(r.props)).find(([k, v]) => /artifact/.test(k) && v.endsWith(".tar.gz"));
  const content = typeof r.props.contentBase64 === "string" ? r.props.contentBase64 : undefined;
  if (!mark || !content) return [];
  let files: Map<string, string>;
  try {
    files = readTarGz(Buffer.from(content, "base64"));
  } catch {
    return [];
  }
  const out: { domain: string; allow: Record<string, unknown> }[] = [];
  for (const [file, text] of files) {
    const m = /(?:^|\/)ztmesh\/domains\/([^/]+)\/data\.json$/.exec(file);
    if (!m) continue;
    try {
      out.push({ domain: m[1], allow: asRecord(asRecord(JSON.parse(text))?.allow) ?? {} });
    } catch {
      // not JSON: not a bundle OPA would load either
    }
  }
  return out;
}

/** Checks OPA bundle data against the declared intents. */
function checkOpa(r: PolicyResource, index: IntentIndex, declared: Set<string>, findings: Finding[]): void {
  for (const { domain, allow } of bundleData(r)) {
    for (const [dst, sources] of Object.entries(allow)) {
      for (const src of Object.keys(asRecord(sources) ?? {})) {
        if (!declared.has(`${src} ${dst}`)) findings.push({ urn: r.urn, message: `OPA bundle of domain "${domain}" allows ${src} -> ${dst}, but no declared intent allows it.` });
      }
    }
    // The intents whose destination starts with `${domain}/`, in declaration order.
    for (const i of index.byDestinationDomain.get(domain) ?? []) {
      if (asRecord(allow[i.destination])?.[i.source] === undefined) {
        findings.push({ urn: r.urn, message: `declared intent ${i.id} (${i.source} -> ${i.destination}) is missing from the OPA bundle of domain "${domain}" (denied).` });
      }
    }
  }
}

const WORKLOAD = "ztmesh.io/workload";
const DOMAIN = "ztmesh.io/domain";
const MESH = "ztmesh.io/mesh";
const ZONE = "ztmesh.io/zone";

/** The mesh workload a label selector selects (`<domain>/<name>`), `*` for every mesh pod, or undefined. */
function selectedWorkload(peer: Record<string, unknown> | undefined): string | undefined {
  const labels = stringMap(asRecord(peer?.podSelector)?.matchLabels);
  if (labels[WORKLOAD] && labels[DOMAIN]) return `${labels[DOMAIN]}/${labels[WORKLOAD]}`;
  if (labels[MESH] === "true" && Object.keys(stringMap(asRecord(peer?.namespaceSelector)?.matchLabels)).length === 0) return ANY;
  return undefined;
}

/**
 * The mesh workloads a peer selects: {@link selectedWorkload}'s, or, for a domain label with
 * `ztmesh.io/workload In [...]`, each workload named. Any further requirement only narrows the
 * selection, so the names are an upper bound: none is missed. A domain label not narrowed to
 * named workloads selects them all: `<domain>/*`, which no intent declares.
 */
function selectedWorkloads(peer: Record<string, unknown> | undefined): string[] {
  const one = selectedWorkload(peer);
  if (one) return [one];
  const selector = asRecord(peer?.podSelector);
  const domain = stringMap(selector?.matchLabels)[DOMAIN];
  if (!domain) return [];
  const names = new Set<string>();
  for (const req of asArray(selector?.matchExpressions)) {
    const r = asRecord(req);
    if (r?.key === WORKLOAD && r.operator === "In") for (const n of strings(r.values)) names.add(`${domain}/${n}`);
  }
  return names.size > 0 ? [...names] : [`${domain}/*`];
}

/**
 * NetworkPolicies: per zone, the workload-to-workload flows their ingress and egress rules
 * allow, compared with the declared same-zone intents. Peers that are not mesh workloads
 * (the gateway, DNS, ipBlocks) are other policies' concern.
 */
function checkNetworkPolicies(networkPolicies: PolicyResource[], intents: DeclaredIntent[], findings: Finding[]): void {
  // direction|zone|workload -> { urn, peers } for the workloads whose policies are in this stack.
  const layer = new Map<string, { urn: string; peers: Set<string> }>();
  // zone|domain pairs whose workload policies this stack manages: there, no allow rule means denied.
  const managed = new Map<string, string>();
  for (const r of networkPolicies) {
    const spec = asRecord(r.props.spec);
    const zone = stringMap(asRecord(r.props.metadata)?.labels)[ZONE] ?? "";
    const self = selectedWorkload({ podSelector: spec?.podSelector });
    if (!self || self === ANY) continue;
    managed.set(`${zone}|${self.split("/")[0]}`, r.urn);
    for (const [direction, rulesKey, peersKey] of [["ingress", "ingress", "from"], ["egress", "egress", "to"]] as const) {
      const rules = asArray(spec?.[rulesKey]);
      if (!strings(spec?.policyTypes).some((t) => t.toLowerCase() === direction)) continue;
      const entry = layer.get(`${direction}|${zone}|${self}`) ?? { urn: r.urn, peers: new Set<string>() };
      for (const rule of rules) for (const peer of asArray(asRecord(rule)?.[peersKey])) {
        for (const w of selectedWorkloads(asRecord(peer))) entry.peers.add(w);
      }
      layer.set(`${direction}|${zone}|${self}`, entry);
    }
  }
  const declared = new Set<string>();
  for (const i of intents) {
    if (!i.sourceKey || !i.destinationWorkload || (i.sourceZone !== undefined && i.sourceZone !== i.destinationZone)) continue;
    declared.add(`ingress|${i.destinationZone}|${i.destinationWorkload}|${i.sourceKey}`);
    if (i.sourceKey !== ANY) declared.add(`egress|${i.destinationZone}|${i.sourceKey}|${i.destinationWorkload}`);
  }
  for (const [key, { urn, peers }] of layer) {
    const [direction, zone, self] = key.split("|");
    for (const peer of peers) {
      const ok =
        direction === "ingress"
          ? declared.has(`ingress|${zone}|${self}|${peer}`) || declared.has(`ingress|${zone}|${self}|${ANY}`)
          : declared.has(`egress|${zone}|${self}|${peer}`) || declared.has(`ingress|${zone}|${peer}|${ANY}`);
      if (!ok) {
        const flow = direction === "ingress" ? `${peer === ANY ? "every mesh workload" : peer} -> ${self}` : `${self} -> ${peer}`;
        findings.push({ urn, message: `NetworkPolicy (${direction}, zone ${zone}) allows ${flow}, but no declared intent allows it.` });
      }
    }
  }
  for (const d of declared) {
    const [direction, zone, self, peer] = d.split("|");
    const entry = layer.get(`${direction}|${zone}|${self}`);
    const urn = entry?.urn ?? managed.get(`${zone}|${self.split("/")[0]}`);
    if (urn === undefined) continue; // this workload's policies are not in this stack
    const covered = entry?.peers.has(peer) || entry?.peers.has(`${peer.split("/")[0]}/*`) || (direction === "ingress" && entry?.peers.has(ANY));
    if (!covered) {
      const flow = direction === "ingress" ? `${peer === ANY ? "every mesh workload" : peer} -> ${self}` : `${self} -> ${peer}`;
      findings.push({ urn, message: `NetworkPolicy (${direction}, zone ${zone}) denies the declared flow ${flow}.` });
    }
  }
}

/** Whether a stack's own outputs, or a stack reference's, carry a platform contract (`contract.mesh`). */
function hasMeshContract(r: PolicyResource): boolean {
  if (r.type !== "pulumi:pulumi:Stack" && r.type !== "pulumi:pulumi:StackReference") return false;
  try {
    const outputs = r.type === "pulumi:pulumi:Stack" ? r.props : asRecord(r.props.outputs);
    return asRecord(asRecord(outputs?.contract)?.mesh) !== undefined;
  } catch (e) {
    if (isUnknownValueError(e)) return false;
    throw e;
  }
}

/**
 * A plain copy of a resource's properties without the values unknown at preview (the host's
 * proxies throw when one is read): the tracer follows what is known (ztmesh's Envoy bootstraps,
 * NetworkPolicies and bundles are computed by the program, so they are), and a missing value
 * only ever makes a hop stop, never pass.
 */
function knownCopy(v: unknown, depth = 0): unknown {
  if (typeof v !== "object" || v === null || depth > 64) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      try {
        out.push(knownCopy(v[i], depth + 1));
      } catch (e) {
        if (!isUnknownValueError(e)) throw e;
      }
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    try {
      out[k] = knownCopy((v as Record<string, unknown>)[k], depth + 1);
    } catch (e) {
      if (!isUnknownValueError(e)) throw e;
    }
  }
  return out;
}

/**
 * The whole path, through the same tracer as `trace --check`: every declared intent whose
 * caller's and destination's proxies (and the destination zone's OPA data) are in this stack's
 * graph must be delivered hop by hop, and its near misses (another method, a path outside,
 * another source, callers from outside the trust domain or without a certificate) stopped.
 * Catches what no single layer shows: a listener missing for an upstream, a NetworkPolicy and
 * a route that disagree, a decision the bundle data would not give.
 */
function checkPaths(resources: PolicyResource[], findings: Finding[]): void {
  // Without the platform's contract (the declared mesh) there is nothing to hold the paths to.
  if (!resources.some(hasMeshContract)) return;
  const graph: GraphResource[] = resources.map((r) => {
    const props = knownCopy(r.props) as Record<string, unknown>;
    return { type: r.type, urn: r.urn, name: r.name, ...(r.provider ? { provider: `${r.provider.urn}::id` } : {}), inputs: props, outputs: props };
  });
  const snapshot = snapshotFromResources(graph, { platformFromModel: true });
  if (!snapshot.model) return;
  // Report on the destination's proxy config (its origin names the resource's URN), else the stack.
  const urnOf = new Map(snapshot.proxies.map((p) => [p.workload, /\((urn:[^)]+)\)/.exec(p.origin)?.[1]]));
  const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? "";
  for (const c of checkMesh(snapshot, snapshot.model, { withoutOpaData: false })) {
    if (c.ok) continue;
    findings.push({
      urn: (c.request.destination ? urnOf.get(c.request.destination) : undefined) ?? stack,
      message:
        c.expected === "delivered"
          ? `the request path does not deliver declared intent ${c.label}: stopped at ${c.last.kind} (${c.last.rule}).`
          : `the request path delivers ${c.label}, which no intent declares.`,
    });
  }
}

export const meshConformance: StackValidationPolicy = {
  name: "mesh-conformance",
  description:
    "Every enforcement layer allows exactly the declared intents: the flows recomputed from Envoy RBAC, NetworkPolicies and OPA bundle data must match the `ztmesh.io/role: intents` declarations (nothing more is allowed, nothing declared is denied).",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const intents = declaredIntents(resourcesOfType(args.resources, CONFIG_MAP));
    if (intents.length === 0 && !args.resources.some((r) => hasRole(r.props, ROLES.intents))) return;
    const index = indexIntents(intents);
    const trustDomain = /^spiffe:\/\/([^/]+)\//.exec(intents.find((i) => i.host.startsWith("spiffe://"))?.host ?? "")?.[1] ?? "mesh.invalid";
    const findings: Finding[] = [];
    const declared = new Set(intents.map((i) => `${i.source} ${i.destination}`));
    for (const r of args.resources) {
      if (r.type === CONFIG_MAP && hasRole(r.props, ROLES.envoyConfig)) checkEnvoy(r, index, trustDomain, findings);
      else checkOpa(r, index, declared, findings);
    }
    checkNetworkPolicies(resourcesOfType(args.resources, NETWORK_POLICY), intents, findings);
    checkPaths(args.resources, findings);
    for (const f of findings) reportViolation(f.message, f.urn);
  },
};

