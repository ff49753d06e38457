/**
 * Extraction: a {@link MeshSnapshot} from the resources of every stack of a mesh (platform and
 * domains), read by shape. Envoy bootstraps are found in any ConfigMap value that parses to a
 * bootstrap; their pods through the pod templates mounting that ConfigMap; their names through
 * the Services selecting those pods, the zone's gateway address and the declared model. Zones
 * come from the `ztmesh.io/zone` label or the Kubernetes provider, so resources of different
 * stacks and clusters never collide. Pure: `readAsset` reads file assets when given.
 */
import { buildMesh } from "../model";
import { resolveMesh } from "../model/resolve";
import { type MeshModel, zoneGateway } from "../model/model";
import { upstreamHostAliases, workloadUpstreams } from "../compile/envoy/workload-proxy";
import type { DomainSpec, MeshSpec } from "../model/types";
import { selectorMatches } from "../compile/kubernetes/evaluate";
import { workloadLabels } from "../compile/kubernetes/labels";
import type { NetworkPolicy } from "../compile/kubernetes/types";
import { arr, clusters, isObj, listeners, tlsContext } from "./envoy";
import { compileOpaBundles } from "../compile/opa/compile";
import { type AssetReader, zoneOpaData } from "./opa-data";
import {
  type GraphResource,
  type PodTemplate,
  type ServiceObject,
  assignZones,
  configMapData,
  metadataOf,
  parseDocument,
  podTemplate,
  resourceName,
  serviceObject,
  unwrapSecrets,
} from "./resources";
import type { HostEntry, MeshSnapshot, Obj, ProxySnapshot, ZoneSnapshot } from "./types";

export type { AssetReader } from "./opa-data";
export type { GraphResource } from "./resources";

/** Options of {@link snapshotFromResources}. */
export interface ExtractOptions {
  /** Reads file assets (bundle archives published from a file). @default none: such bundles are skipped with a note */
  readAsset?: AssetReader;
  /** The declared model, when the caller has it. @default built from the stacks' contract outputs */
  model?: MeshModel;
  /**
   * For a graph without the platform's bundles (one domain stack's): compile each zone's platform
   * data from the declared model. @default false (the platform bundle must be in the artifacts)
   */
  platformFromModel?: boolean;
}

/** Whether a parsed document is an Envoy bootstrap (static listeners or clusters). */
export function isBootstrap(doc: Obj | undefined): doc is Obj {
  const sr = doc?.["static_resources"];
  return isObj(sr) && (Array.isArray(sr["listeners"]) || Array.isArray(sr["clusters"]));
}

/** The SPIFFE ID a bootstrap presents: the first `spiffe://` certificate of its TLS contexts. */
export function ownSpiffeId(bootstrap: Obj): string | undefined {
  const sockets: unknown[] = [];
  for (const l of listeners(bootstrap)) for (const c of arr(l["filter_chains"])) if (isObj(c)) sockets.push(c["transport_socket"]);
  for (const c of clusters(bootstrap)) sockets.push(c["transport_socket"]);
  for (const s of sockets) {
    const ctx = tlsContext(s);
    const common = ctx && isObj(ctx["common_tls_context"]) ? ctx["common_tls_context"] : undefined;
    for (const cert of arr(common?.["tls_certificate_sds_secret_configs"])) {
      if (isObj(cert) && typeof cert["name"] === "string" && cert["name"].startsWith("spiffe://")) return cert["name"];
    }
  }
  return undefined;
}

/** The `node.metadata[key]` object of a bootstrap. */
export function nodeMetadata(bootstrap: Obj, key: string): Record<string, string> | undefined {
  const node = bootstrap["node"];
  const md = isObj(node) && isObj(node["metadata"]) ? node["metadata"][key] : undefined;
  return isObj(md) ? Object.fromEntries(Object.entries(md).map(([k, v]) => [k, String(v)])) : undefined;
}

function socketAddressHost(listener: Obj): string | undefined {
  const sa = isObj(listener["address"]) ? listener["address"]["socket_address"] : undefined;
  return isObj(sa) && typeof sa["address"] === "string" ? sa["address"] : undefined;
}

/** The declared model from the stacks' contract outputs (platform `contract.mesh`, domains `contract.domain`). */
export function declaredModel(resources: readonly GraphResource[], warnings: string[]): MeshModel | undefined {
  let mesh: MeshSpec | undefined;
  const domains: DomainSpec[] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    // A stack's own contract, or one a domain stack reads from the platform or a peer
    // (`pulumi.StackReference`: its outputs are under `outputs`).
    const outputs = r.type === "pulumi:pulumi:Stack" ? r.outputs : r.type === "pulumi:pulumi:StackReference" ? (r.outputs?.["outputs"] as Obj | undefined) : undefined;
    const c = isObj(outputs) ? outputs["contract"] : undefined;
    if (!isObj(c)) continue;
    if (isObj(c["mesh"])) mesh = c["mesh"] as unknown as MeshSpec;
    const d = c["domain"];
    if (isObj(d) && typeof d["name"] === "string" && !seen.has(d["name"])) {
      seen.add(d["name"]);
      domains.push(d as unknown as DomainSpec);
    }
  }
  if (!mesh) {
    warnings.push("no platform contract (stack output contract.mesh) among the exports: sources and destinations can be named by host and SPIFFE ID only");
    return undefined;
  }
  try {
    return buildMesh(mesh, domains);
  } catch (e) {
    warnings.push(`the declared model does not validate (${(e as Error).message.split("\n")[0]}); using it unvalidated`);
    try {
      return resolveMesh(mesh, domains);
    } catch {
      return undefined;
    }
  }
}

/** The contract's gateway addresses per zone (`contract.zones[].gatewayAddress`). */
function contractGatewayAddresses(resources: readonly GraphResource[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of resources) {
    const c = r.type === "pulumi:pulumi:Stack" ? r.outputs?.["contract"] : undefined;
    for (const z of arr(isObj(c) ? c["zones"] : undefined)) {
      if (isObj(z) && typeof z["id"] === "string" && typeof z["gatewayAddress"] === "string" && z["gatewayAddress"] !== "") out.set(z["id"], z["gatewayAddress"]);
    }
  }
  return out;
}

/** The declared gateway host of a zone (the model's `zone.gateway.host`, when the model has one). */
export function declaredGatewayHost(model: MeshModel | undefined, zoneId: string): string | undefined {
  const zone = model?.zones.find((z) => z.id === zoneId);
  return zone && model ? zoneGateway(zone, model.trustDomain).host : undefined;
}

/** An address in the zone's declared gateway CIDRs (the first of the first), for NetworkPolicy `ipBlock`s. */
export function declaredGatewayAddress(model: MeshModel | undefined, zoneId: string): string | undefined {
  const zone = model?.zones.find((z) => z.id === zoneId);
  const cidr = zone && model ? zoneGateway(zone, model.trustDomain).cidrs[0] : undefined;
  return cidr?.split("/")[0];
}

/**
 * The `hostAliases` ztmesh gives a service's pod (`workloadProxyPod`): each declared upstream's
 * names -> its loopback listener. Used when the pod's own template is not in the artifacts.
 */
export function declaredHostAliases(model: MeshModel | undefined, key: string | undefined): Record<string, string> | undefined {
  if (!model || !key || !model.services.has(key)) return undefined;
  const out: Record<string, string> = {};
  for (const a of upstreamHostAliases(workloadUpstreams(model, key))) for (const h of a.hostnames) out[h] = a.ip;
  return out;
}

function proxyKind(labels: Record<string, string>): ProxySnapshot["kind"] {
  const known = (v: string | undefined): v is ProxySnapshot["kind"] => v === "workload" || v === "gateway" || v === "egress-gateway" || v === "data-proxy";
  const p = labels["ztmesh.io/proxy"];
  if (known(p)) return p;
  const c = labels["app.kubernetes.io/component"];
  return known(c) ? c : "envoy";
}

/** The workload key of a proxy: node metadata, a `<domain>/<name>` label, or its SPIFFE ID in the model. */
function workloadKey(bootstrap: Obj, labels: Record<string, string>, spiffe: string | undefined, model: MeshModel | undefined): string | undefined {
  const fromNode = nodeMetadata(bootstrap, "ztmesh")?.["workload"];
  if (fromNode?.includes("/")) return fromNode;
  const label = labels["ztmesh.io/workload"];
  if (label?.includes("/")) return label;
  if (model && spiffe) {
    for (const p of model.dataProducts.values()) if (p.proxy.spiffeId === spiffe) return p.key;
    for (const s of model.services.values()) if (s.spiffeId === spiffe) return s.key;
  }
  return undefined;
}

/** Builds the snapshot from the resources of every stack of the mesh. */
export function snapshotFromResources(input: readonly GraphResource[], options: ExtractOptions = {}): MeshSnapshot {
  // A stack policy sees outputs only: read those where a resource carries no inputs.
  const resources = input.map((r) => {
    const outputs = r.outputs === undefined ? undefined : (unwrapSecrets(r.outputs) as Obj);
    const inputs = r.inputs && Object.keys(r.inputs).length > 0 ? (unwrapSecrets(r.inputs) as Obj) : (outputs ?? {});
    return { ...r, inputs, outputs };
  });
  const { zoneOf, warnings } = assignZones(resources);
  const model = options.model ?? declaredModel(resources, warnings);
  const zones: Record<string, ZoneSnapshot> = {};
  const zone = (id: string): ZoneSnapshot => (zones[id] ??= { id, networkPolicies: [], namespaceLabels: {}, opaNotes: [] });
  for (const z of model?.zones ?? []) zone(z.id);

  const pods: PodTemplate[] = [];
  const services: ServiceObject[] = [];
  const configMaps: Array<{ r: GraphResource; zone: string }> = [];
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:")) continue;
    const z = zoneOf(r) ?? "default";
    const kind = r.type.split(":").pop();
    if (kind === "NetworkPolicy" && isObj(r.inputs["spec"])) {
      const md = metadataOf(r);
      zone(z).networkPolicies.push({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: md.name ?? resourceName(r), namespace: md.namespace, labels: md.labels },
        spec: r.inputs["spec"] as unknown as NetworkPolicy["spec"],
      });
    } else if (kind === "Namespace") {
      const md = metadataOf(r);
      const name = md.name ?? resourceName(r);
      zone(z).namespaceLabels[name] = { ...md.labels, "kubernetes.io/metadata.name": name };
    } else if (kind === "Service") {
      const s = serviceObject(r, z);
      if (s) services.push(s);
    } else if (kind === "ConfigMap") {
      configMaps.push({ r, zone: z });
    } else {
      const p = podTemplate(r, z);
      if (p) pods.push(p);
    }
  }

  const proxies: ProxySnapshot[] = [];
  for (const { r, zone: z } of configMaps) {
    const md = metadataOf(r);
    const name = md.name ?? resourceName(r);
    for (const [key, text] of Object.entries(configMapData(r))) {
      const doc = parseDocument(text);
      if (!isBootstrap(doc)) continue;
      const pod = pods.find((p) => p.zone === z && p.namespace === md.namespace && p.configMaps.includes(name));
      const spiffe = ownSpiffeId(doc);
      const key0 = workloadKey(doc, { ...md.labels, ...(pod?.labels ?? {}) }, spiffe, model);
      let podLabels: Record<string, string>;
      let podLabelsFrom: string;
      if (pod) {
        podLabels = pod.labels;
        podLabelsFrom = `pod template of ${pod.owner}`;
      } else if (key0) {
        const [domain, wname] = key0.split("/");
        podLabels = workloadLabels({ domain, name: wname });
        podLabelsFrom = `ztmesh pod labels of ${key0} (no pod template mounting ConfigMap ${name} in the artifacts)`;
      } else {
        podLabels = md.labels;
        podLabelsFrom = `labels of ConfigMap ${name} (no pod template mounting it in the artifacts)`;
      }
      const labels = { ...md.labels, ...podLabels };
      const kind = proxyKind(labels);
      // Without the pod's own template: the aliases ztmesh's workloadProxyPod gives it, kept where
      // its proxy listens (the pod and the proxy come from one stack's model; the whole mesh's may
      // declare more, e.g. another domain's `*` intents that stack never compiled).
      const bound = new Set(listeners(doc).map((l) => socketAddressHost(l)).filter((h): h is string => h !== undefined));
      const aliases = pod
        ? pod.hostAliases
        : kind === "workload"
          ? Object.fromEntries(Object.entries(declaredHostAliases(model, key0) ?? {}).filter(([, ip]) => bound.has(ip)))
          : undefined;
      if (!pod && aliases) podLabelsFrom += "; hostAliases as ztmesh's workloadProxyPod sets them, where its proxy listens";
      proxies.push({
        id: `${z}/${md.namespace}/${name}${Object.keys(configMapData(r)).length > 1 ? `#${key}` : ""}`,
        zone: z,
        namespace: md.namespace,
        kind,
        ...(key0 ? { workload: key0 } : {}),
        podLabels,
        podLabelsFrom,
        ...(pod?.serviceAccount ? { serviceAccount: pod.serviceAccount } : {}),
        hostAliases: aliases ?? {},
        namedPorts: pod?.namedPorts ?? {},
        bootstrap: doc,
        origin: `ConfigMap ${md.namespace}/${name} (${r.urn ?? resourceName(r)})`,
      });
    }
  }

  const hosts: HostEntry[] = [];
  for (const s of services) {
    if (Object.keys(s.selector).length === 0) continue;
    for (const p of proxies.filter((x) => x.zone === s.zone && x.namespace === s.namespace && selectorMatches({ matchLabels: s.selector }, x.podLabels))) {
      const ports = Object.fromEntries(s.ports.map((sp) => [sp.port, sp.targetPort]));
      const from = `Service ${s.namespace}/${s.name}`;
      for (const h of [`${s.name}.${s.namespace}.svc.cluster.local`, `${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}`]) hosts.push({ host: h, zone: s.zone, proxy: p.id, ports, from });
      for (const h of s.external) hosts.push({ host: h, proxy: p.id, ports, from: `${from} (load balancer)`, ...(s.externalIp ? { address: s.externalIp } : {}) });
    }
  }
  const addresses = contractGatewayAddresses(resources);
  for (const z of Object.keys(zones)) {
    const gateways = proxies.filter((p) => p.zone === z && p.kind === "gateway");
    if (gateways.length !== 1) continue;
    const viaLb = hosts.find((h) => h.proxy === gateways[0].id && h.zone === undefined);
    const address = viaLb?.address ?? declaredGatewayAddress(model, z);
    for (const [h, from] of [
      [declaredGatewayHost(model, z), "the zone's declared gateway host"],
      [addresses.get(z), "the platform contract's gateway address"],
    ] as const) {
      if (h && !hosts.some((e) => e.host === h && e.zone === undefined)) {
        hosts.push({ host: h, proxy: gateways[0].id, ...(viaLb?.ports ? { ports: viaLb.ports } : {}), from, ...(address ? { address } : {}) });
      }
    }
  }
  if (model) {
    for (const svc of model.services.values()) {
      const p = proxies.find((x) => x.workload === svc.key && x.zone === svc.zone);
      if (p && !hosts.some((h) => h.host === svc.host && h.zone === svc.zone)) hosts.push({ host: svc.host, zone: svc.zone, proxy: p.id, from: `declared host of ${svc.key} (no Service selecting its pod in the artifacts)` });
    }
  }

  const platformFallback = options.platformFromModel && model ? (z: string) => (model.zones.some((x) => x.id === z) ? compileOpaBundles(model, z, { policyModules: {} }).platform.data : undefined) : undefined;
  for (const [z, { opa, notes }] of zoneOpaData(resources, zoneOf, options.readAsset, platformFallback)) {
    const zs = zone(z);
    if (opa) zs.opa = opa;
    zs.opaNotes.push(...notes);
  }
  return { ...(model ? { trustDomain: model.trustDomain } : {}), zones, proxies, hosts, ...(model ? { model } : {}), warnings };
}
