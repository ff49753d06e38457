/**
 * The tracer's view of a whole mesh (a {@link MeshSnapshot}) and of one traced request (a
 * {@link TraceResult}). Plain data: built from deployed resources (`snapshot.ts`) or straight
 * from the compilers (`compiled.ts`), read by the walker (`trace.ts`).
 */
import type { NetworkPolicy } from "../compile/kubernetes/types";
import type { ZtmeshData } from "../compile/opa/decide";
import type { MeshModel } from "../model/model";

/** A JSON object as parsed from YAML/JSON (an Envoy bootstrap, a resource's inputs). */
export type Obj = Record<string, unknown>;

/** One Envoy found in the artifacts, with the pod it runs in. */
export interface ProxySnapshot {
  /** Unique in the snapshot: `<zone>/<namespace>/<config name>`. */
  id: string;
  /** The zone (cluster) the pod runs in. */
  zone: string;
  namespace: string;
  /** What the proxy is, as far as the artifacts tell (labels, node metadata, shape). */
  kind: "workload" | "gateway" | "egress-gateway" | "data-proxy" | "envoy";
  /** The workload (`<domain>/<name>`) the proxy belongs to or fronts, when known. */
  workload?: string;
  /** Labels of the proxy's pod (what NetworkPolicies select). */
  podLabels: Record<string, string>;
  /** Where {@link podLabels} come from (a pod template, or the ztmesh labels convention). */
  podLabelsFrom: string;
  /** The pod's service account, when a pod template names it. */
  serviceAccount?: string;
  /** The pod's `hostAliases` (name -> IP), from its pod template or the compiler. */
  hostAliases: Record<string, string>;
  /** Named container ports of the pod (for Service `targetPort` names). */
  namedPorts: Record<string, number>;
  /** The parsed Envoy bootstrap. */
  bootstrap: Obj;
  /** The resource the bootstrap came from (for reports). */
  origin: string;
}

/** A name a proxy's pod is reachable at. */
export interface HostEntry {
  host: string;
  /** The zone whose cluster DNS resolves it; undefined for names every zone resolves (load balancers). */
  zone?: string;
  proxy: string;
  /** Service port -> container port (number or name); undefined: ports pass unchanged. */
  ports?: Record<number, number | string>;
  /** Where the entry comes from (a Service, the zone's gateway host, the declared model). */
  from: string;
  /**
   * An IP the name resolves to, when the artifacts tell (a load balancer's status, an address
   * in the zone's declared gateway CIDRs): NetworkPolicy `ipBlock`s are matched against it.
   */
  address?: string;
}

/** What one zone's policy engine decides with. */
export interface ZoneOpa {
  /** `data.ztmesh` assembled from the bundles the engine loads. */
  data: ZtmeshData;
  /** Where the bundles come from (resource names / object keys). */
  bundles: string[];
}

/** One zone (cluster). */
export interface ZoneSnapshot {
  id: string;
  /** Every NetworkPolicy applied to the zone's cluster, by any stack. */
  networkPolicies: NetworkPolicy[];
  /** Labels of the cluster's namespaces (from Namespace resources), by name. */
  namespaceLabels: Record<string, Record<string, string>>;
  /** The zone's policy engine data; undefined when no bundle of the zone is in the artifacts. */
  opa?: ZoneOpa;
  /** Why {@link opa} is missing or partial. */
  opaNotes: string[];
}

/** The whole mesh as the tracer sees it. */
export interface MeshSnapshot {
  /** The declared trust domain, when the declared model is known. */
  trustDomain?: string;
  zones: Record<string, ZoneSnapshot>;
  proxies: ProxySnapshot[];
  hosts: HostEntry[];
  /** The declared model (platform and domain contracts), used to name sources and destinations. */
  model?: MeshModel;
  /** Things the extraction could not settle (shown with every trace). */
  warnings: string[];
}

/** The caller of a traced request. */
export type TraceSource =
  /** A mesh workload: the request starts in its pod, at its own proxy. */
  | { kind: "workload"; key: string }
  /** A caller outside the mesh presenting this SPIFFE ID (or none), entering at `zone`'s gateway. */
  | { kind: "external"; spiffeId?: string; zone: string };

/** One request to trace. */
export interface TraceRequest {
  source: TraceSource;
  /** Host the caller connects to (as the application names it). */
  host: string;
  port: number;
  protocol: "http" | "tcp";
  /**
   * Whether the application speaks TLS itself to `host` (SNI = `host`), as it does with an
   * object store or a cloud token endpoint: proxies then forward that session unopened.
   */
  tls?: boolean;
  /** HTTP method (HTTP only). @default "GET" */
  method?: string;
  /** HTTP path (HTTP only). @default "/" */
  path?: string;
  /** The data access wanted from a data product (maps to a method at an HTTP proxy). */
  access?: "read" | "write";
  /** The declared destination key, when named as `<domain>/<name>`: the trace reports whether it is reached. */
  destination?: string;
}

/** What a hop is. */
export type HopKind =
  | "source"
  | "resolve"
  | "listener"
  | "filter-chain"
  | "tls"
  | "network-policy"
  | "ext-authz"
  | "rbac"
  | "filter"
  | "route"
  | "cluster"
  | "delivered";

/** One step of a trace and the rule that decided it. */
export interface Hop {
  kind: HopKind;
  /** Where the step happens: a proxy id, a pod, or a zone. */
  at: string;
  /** `pass` lets the request on, `stop` ends the trace, `info` only reports. */
  verdict: "pass" | "stop" | "info";
  /** The deciding rule, in words. */
  rule: string;
  /** Structured facts of the step (names, matchers, decision input). */
  detail?: Record<string, unknown>;
}

/** The result of a trace: every hop, ending in delivery or the hop that stopped it. */
export interface TraceResult {
  delivered: boolean;
  hops: Hop[];
  /** Where the request ends when delivered: the pod (proxy id) and address. */
  deliveredTo?: { proxy?: string; workload?: string; address: string };
  /** Extraction warnings relevant to the trace. */
  warnings: string[];
}
