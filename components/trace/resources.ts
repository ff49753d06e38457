/**
 * Reading a resource graph (a stack export's resources, or the resources a stack policy sees)
 * by shape: which zone (cluster) a resource belongs to, its Kubernetes metadata, pod templates
 * and Services. Pure; no Pulumi imports.
 */
import { parse as parseYaml } from "yaml";
import { K8S } from "../conventions";
import { arr, isObj } from "./envoy";
import type { Obj } from "./types";

/** A resource as a stack export or a stack policy presents it. */
export interface GraphResource {
  type: string;
  /** The resource URN, when known (used for providers and reports). */
  urn?: string;
  /** The logical name, when known. */
  name?: string;
  /** The provider resource ID (`<provider urn>::<provider id>`), when known. */
  provider?: string;
  inputs: Obj;
  outputs?: Obj;
}

const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces Pulumi secret envelopes (`{sig, value}` or `{sig, plaintext}`) with their values. */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (!isObj(v)) return v;
  if (v[SPECIAL_SIG_KEY] === SECRET_SIG) {
    if ("value" in v) return unwrapSecrets(v["value"]);
    if (typeof v["plaintext"] === "string") {
      try {
        return unwrapSecrets(JSON.parse(v["plaintext"]));
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
}

/** The display name of a resource: its logical name or the last URN segment. */
export function resourceName(r: GraphResource): string {
  return r.name ?? r.urn?.split("::").pop() ?? r.type;
}

export function metadataOf(r: GraphResource): { name?: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> } {
  const md = isObj(r.inputs["metadata"]) ? r.inputs["metadata"] : {};
  const strings = (v: unknown): Record<string, string> =>
    isObj(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string")) : {};
  return {
    name: typeof md["name"] === "string" ? md["name"] : undefined,
    namespace: typeof md["namespace"] === "string" ? md["namespace"] : "default",
    labels: strings(md["labels"]),
    annotations: strings(md["annotations"]),
  };
}

/** A zone label/tag on any resource: Kubernetes labels, cloud tags, GCS metadata, Azure metadata. */
function zoneMark(r: GraphResource): string | undefined {
  const md = metadataOf(r);
  const places = [md.labels, r.inputs["tags"], r.inputs["labels"], r.inputs["metadata"]];
  for (const p of places) {
    if (!isObj(p)) continue;
    for (const k of [K8S.zone, "ztmesh-zone", "ztmesh_zone"]) if (typeof p[k] === "string") return p[k] as string;
  }
  return undefined;
}

/** The cluster a Kubernetes provider points at (its kubeconfig context, or the kubeconfig itself). */
function providerCluster(p: GraphResource): string {
  const ctx = p.inputs["context"];
  if (typeof ctx === "string" && ctx !== "") return `context:${ctx}`;
  const cluster = p.inputs["cluster"];
  if (typeof cluster === "string" && cluster !== "") return `cluster:${cluster}`;
  const kc = p.inputs["kubeconfig"];
  if (typeof kc === "string" && kc !== "") return `kubeconfig:${kc}`;
  return `provider:${p.urn ?? resourceName(p)}`;
}

/**
 * Assigns every resource its zone: the `ztmesh.io/zone` label (or cloud tag) when it has one;
 * otherwise the zone the other resources of its Kubernetes cluster are labelled with (providers
 * of different stacks pointing at one kubeconfig context are one cluster). Resources of a
 * cluster no labelled resource shares get the cluster key itself.
 */
export function assignZones(resources: readonly GraphResource[]): { zoneOf: (r: GraphResource) => string | undefined; warnings: string[] } {
  const providers = new Map<string, string>();
  for (const r of resources) {
    if (r.type.startsWith("pulumi:providers:kubernetes") && r.urn) providers.set(r.urn, providerCluster(r));
  }
  // A provider reference is `<provider urn>::<provider id>`.
  const clusterOfRes = (r: GraphResource): string | undefined => (r.provider ? (providers.get(r.provider) ?? providers.get(r.provider.slice(0, r.provider.lastIndexOf("::")))) : undefined);
  const votes = new Map<string, Map<string, number>>();
  for (const r of resources) {
    const c = clusterOfRes(r);
    const z = zoneMark(r);
    if (!c || !z || !r.type.startsWith("kubernetes:")) continue;
    const m = votes.get(c) ?? new Map<string, number>();
    m.set(z, (m.get(z) ?? 0) + 1);
    votes.set(c, m);
  }
  const warnings: string[] = [];
  const clusterZone = new Map<string, string>();
  for (const [c, m] of votes) {
    const sorted = [...m.entries()].sort((a, b) => b[1] - a[1]);
    clusterZone.set(c, sorted[0][0]);
    if (sorted.length > 1) warnings.push(`cluster ${c} carries resources labelled with zones ${sorted.map(([z]) => z).join(", ")}; taking ${sorted[0][0]}`);
  }
  return {
    zoneOf: (r) => {
      const c = clusterOfRes(r);
      if (r.type.startsWith("kubernetes:") && c) return clusterZone.get(c) ?? zoneMark(r) ?? c;
      return zoneMark(r);
    },
    warnings,
  };
}

/**
 * Recently parsed documents, by text, bounded by the text kept (128 Mi characters: every Envoy config of a 1,000-service mesh, ~80 Mi): the YAML
 * parser takes tens of milliseconds on a proxy's bootstrap, and the policy pack reads the same
 * ConfigMaps once per Envoy policy and again in its stack policies. Results are shared: treat
 * them as read-only.
 */
const parsed = new Map<string, unknown>();
let parsedChars = 0;
const PARSED_MAX_CHARS = 128 * 1024 * 1024;

/** Parses a YAML or JSON document once per distinct text (see {@link parsed}); throws when it is neither. */
export function parseCached(text: string): unknown {
  if (parsed.has(text)) return parsed.get(text);
  const t = text.trimStart();
  // JSON first when it looks like it: the same result, far faster than the YAML parser.
  let v: unknown;
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      v = JSON.parse(text);
    } catch {
      v = parseYaml(text);
    }
  } else v = parseYaml(text);
  if (text.length <= PARSED_MAX_CHARS) {
    while (parsedChars + text.length > PARSED_MAX_CHARS && parsed.size > 0) {
      const oldest = parsed.keys().next().value as string;
      parsed.delete(oldest);
      parsedChars -= oldest.length;
    }
    parsed.set(text, v);
    parsedChars += text.length;
  }
  return v;
}

/** Parses a YAML or JSON document; undefined when it is not one object. */
export function parseDocument(text: string): Obj | undefined {
  try {
    const v = parseCached(text);
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The string values of a ConfigMap (or Secret `stringData`). */
export function configMapData(r: GraphResource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of ["data", "stringData"]) {
    const d = r.inputs[field];
    if (isObj(d)) for (const [k, v] of Object.entries(d)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** A pod (template) as NetworkPolicies and Services see it. */
export interface PodTemplate {
  zone: string;
  namespace: string;
  owner: string;
  labels: Record<string, string>;
  serviceAccount?: string;
  hostAliases: Record<string, string>;
  /** ConfigMaps the pod mounts (volumes and projected sources). */
  configMaps: string[];
  namedPorts: Record<string, number>;
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"]);

/** The pod template of a workload resource (or the pod itself). */
export function podTemplate(r: GraphResource, zone: string): PodTemplate | undefined {
  const kind = r.type.split(":").pop() ?? "";
  let tpl: unknown;
  if (kind === "Pod") tpl = { metadata: r.inputs["metadata"], spec: r.inputs["spec"] };
  else if (WORKLOAD_KINDS.has(kind) && isObj(r.inputs["spec"])) tpl = r.inputs["spec"]["template"];
  else if (kind === "CronJob" && isObj(r.inputs["spec"]) && isObj(r.inputs["spec"]["jobTemplate"])) {
    const js = r.inputs["spec"]["jobTemplate"]["spec"];
    tpl = isObj(js) ? js["template"] : undefined;
  }
  if (!isObj(tpl)) return undefined;
  const md = isObj(tpl["metadata"]) ? tpl["metadata"] : {};
  const spec = isObj(tpl["spec"]) ? tpl["spec"] : {};
  const labels = isObj(md["labels"]) ? Object.fromEntries(Object.entries(md["labels"]).map(([k, v]) => [k, String(v)])) : {};
  const hostAliases: Record<string, string> = {};
  for (const ha of arr(spec["hostAliases"]).filter(isObj)) {
    for (const h of arr(ha["hostnames"])) if (typeof h === "string" && typeof ha["ip"] === "string") hostAliases[h] = ha["ip"];
  }
  const configMaps: string[] = [];
  for (const v of arr(spec["volumes"]).filter(isObj)) {
    if (isObj(v["configMap"]) && typeof v["configMap"]["name"] === "string") configMaps.push(v["configMap"]["name"]);
    if (isObj(v["projected"])) {
      for (const s of arr(v["projected"]["sources"]).filter(isObj)) {
        if (isObj(s["configMap"]) && typeof s["configMap"]["name"] === "string") configMaps.push(s["configMap"]["name"]);
      }
    }
  }
  const namedPorts: Record<string, number> = {};
  for (const c of [...arr(spec["containers"]), ...arr(spec["initContainers"])].filter(isObj)) {
    for (const p of arr(c["ports"]).filter(isObj)) if (typeof p["name"] === "string" && typeof p["containerPort"] === "number") namedPorts[p["name"]] = p["containerPort"];
  }
  const meta = metadataOf(r);
  const sa = spec["serviceAccountName"] ?? spec["serviceAccount"];
  return {
    zone,
    namespace: meta.namespace,
    owner: `${kind}/${meta.namespace}/${meta.name ?? resourceName(r)}`,
    labels,
    ...(typeof sa === "string" ? { serviceAccount: sa } : {}),
    hostAliases,
    configMaps,
    namedPorts,
  };
}

/** A Kubernetes Service. */
export interface ServiceObject {
  zone: string;
  namespace: string;
  name: string;
  selector: Record<string, string>;
  ports: Array<{ port: number; targetPort: number | string }>;
  /** Load balancer hostnames and IPs (from the outputs' status). */
  external: string[];
  /** The load balancer's first IP, when its status has one. */
  externalIp?: string;
}

export function serviceObject(r: GraphResource, zone: string): ServiceObject | undefined {
  const meta = metadataOf(r);
  const spec = isObj(r.inputs["spec"]) ? r.inputs["spec"] : {};
  if (!meta.name) return undefined;
  const selector = isObj(spec["selector"]) ? Object.fromEntries(Object.entries(spec["selector"]).map(([k, v]) => [k, String(v)])) : {};
  const ports = arr(spec["ports"])
    .filter(isObj)
    .filter((p) => typeof p["port"] === "number")
    .map((p) => ({ port: p["port"] as number, targetPort: typeof p["targetPort"] === "number" || typeof p["targetPort"] === "string" ? (p["targetPort"] as number | string) : (p["port"] as number) }));
  const external: string[] = [];
  const status = r.outputs && isObj(r.outputs["status"]) ? r.outputs["status"] : undefined;
  const lb = status && isObj(status["loadBalancer"]) ? status["loadBalancer"] : undefined;
  for (const ing of arr(lb?.["ingress"]).filter(isObj)) {
    if (typeof ing["hostname"] === "string") external.push(ing["hostname"]);
    if (typeof ing["ip"] === "string") external.push(ing["ip"]);
  }
  const ip = arr(lb?.["ingress"]).filter(isObj).map((i) => i["ip"]).find((v): v is string => typeof v === "string");
  return { zone, namespace: meta.namespace, name: meta.name, selector, ports, external, ...(ip ? { externalIp: ip } : {}) };
}
