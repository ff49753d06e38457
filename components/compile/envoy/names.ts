/**
 * Names, identities and addresses of the Envoy proxies and their peers. Components
 * (gateway, policy engine, data proxy) reuse these so that every layer agrees.
 */
import type { DataProduct } from "../../model/model";
import { spiffeId } from "../../model/spiffe";
import { GATEWAY_PORT, MESH_PORT, POLICY_ENGINE_GRPC_PORT, SYSTEM_NAMESPACE } from "../kubernetes/labels";

export { GATEWAY_PORT, MESH_PORT, POLICY_ENGINE_GRPC_PORT, SYSTEM_NAMESPACE };

/**
 * The node metadata key (and ext_authz `bootstrap_metadata_labels_key`) under which an
 * enforcement point names its destination's domain and key for OPA.
 */
export const NODE_LABELS_KEY = "ztmesh";
/** Envoy cluster name of the zone gateway's dynamic forward proxy (SNI passthrough). */
export const PASSTHROUGH_CLUSTER = "sni_passthrough";
/** The gateway's DNS cache (shared by its SNI filter and its dynamic forward proxy cluster). */
export const PASSTHROUGH_DNS_CACHE = "sni_passthrough_dns";
/** The SNI names a gateway passes through: in-cluster Service hosts. */
export const PASSTHROUGH_SERVER_NAMES: readonly string[] = ["*.svc.cluster.local"];

/** The SPIRE agent's Workload API socket, mounted into every proxy pod. */
export const SPIRE_AGENT_SOCKET = "/run/spire/sockets/agent.sock";
/** Envoy cluster name of the SPIRE agent (SDS). */
export const SPIRE_AGENT_CLUSTER = "spire_agent";
/** Envoy cluster name of the zone's policy engine (OPA ext_authz gRPC). */
export const POLICY_ENGINE_CLUSTER = "policy_engine";
/** Default Envoy admin port (bound to 127.0.0.1 only). */
export const ADMIN_PORT = 9901;
/** CA bundle used to verify public cloud object store endpoints (present in the Envoy image). */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** Filter and extension names (the names Envoy registers them under). */
export const FILTER = {
  httpConnectionManager: "envoy.filters.network.http_connection_manager",
  httpExtAuthz: "envoy.filters.http.ext_authz",
  httpRbac: "envoy.filters.http.rbac",
  /** Second HTTP RBAC filter (action DENY) carrying the compiled deny rules. */
  httpRbacDeny: "ztmesh.filters.http.rbac_deny",
  router: "envoy.filters.http.router",
  networkExtAuthz: "envoy.filters.network.ext_authz",
  networkRbac: "envoy.filters.network.rbac",
  postgres: "envoy.filters.network.postgres_proxy",
  mysql: "envoy.filters.network.mysql_proxy",
  tcpProxy: "envoy.filters.network.tcp_proxy",
  sniDynamicForwardProxy: "envoy.filters.network.sni_dynamic_forward_proxy",
  tlsInspector: "envoy.filters.listener.tls_inspector",
  dynamicForwardProxyCluster: "envoy.clusters.dynamic_forward_proxy",
  tls: "envoy.transport_sockets.tls",
  startTls: "envoy.transport_sockets.starttls",
  fileAccessLog: "envoy.access_loggers.file",
  httpProtocolOptions: "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
} as const;

const T = "type.googleapis.com/";
/** `@type` URLs of the typed configs ztmesh generates. */
export const TYPE_URL = {
  httpConnectionManager: `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
  httpExtAuthz: `${T}envoy.extensions.filters.http.ext_authz.v3.ExtAuthz`,
  httpRbac: `${T}envoy.extensions.filters.http.rbac.v3.RBAC`,
  router: `${T}envoy.extensions.filters.http.router.v3.Router`,
  networkExtAuthz: `${T}envoy.extensions.filters.network.ext_authz.v3.ExtAuthz`,
  networkRbac: `${T}envoy.extensions.filters.network.rbac.v3.RBAC`,
  /** Contrib extension: needs the `envoyproxy/envoy-contrib` image. */
  postgres: `${T}envoy.extensions.filters.network.postgres_proxy.v3alpha.PostgresProxy`,
  /** Contrib extension: needs the `envoyproxy/envoy-contrib` image. */
  mysql: `${T}envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy`,
  tcpProxy: `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
  sniDynamicForwardProxy: `${T}envoy.extensions.filters.network.sni_dynamic_forward_proxy.v3.FilterConfig`,
  tlsInspector: `${T}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector`,
  dynamicForwardProxyCluster: `${T}envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig`,
  downstreamTls: `${T}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`,
  upstreamTls: `${T}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
  upstreamStartTls: `${T}envoy.extensions.transport_sockets.starttls.v3.UpstreamStartTlsConfig`,
  fileAccessLog: `${T}envoy.extensions.access_loggers.file.v3.FileAccessLog`,
  httpProtocolOptions: `${T}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
} as const;

/** Type URLs of contrib extensions: a config using one needs the `envoyproxy/envoy-contrib` image. */
export const CONTRIB_TYPE_URLS: readonly string[] = [TYPE_URL.postgres, TYPE_URL.mysql];

/** Kubernetes service account (and Envoy node id) of zone `zoneId`'s gateway. */
export function gatewayServiceAccount(zoneId: string): string {
  return `${zoneId}-gateway`;
}

/** The gateway's SPIFFE ID: `spiffe://<td>/ns/ztmesh-system/sa/<zone>-gateway`. */
export function gatewaySpiffeId(trustDomain: string, zoneId: string): string {
  return spiffeId(trustDomain, SYSTEM_NAMESPACE, gatewayServiceAccount(zoneId));
}

/** Kubernetes service account (and Envoy node id) of zone `zoneId`'s egress gateway. */
export function egressGatewayServiceAccount(zoneId: string): string {
  return `${zoneId}-egress`;
}

/** The egress gateway's SPIFFE ID: `spiffe://<td>/ns/ztmesh-system/sa/<zone>-egress`. */
export function egressGatewaySpiffeId(trustDomain: string, zoneId: string): string {
  return spiffeId(trustDomain, SYSTEM_NAMESPACE, egressGatewayServiceAccount(zoneId));
}

/** In-cluster host of zone `zoneId`'s egress gateway Service. */
export function egressGatewayHost(zoneId: string): string {
  return `${egressGatewayServiceAccount(zoneId)}.${SYSTEM_NAMESPACE}.svc.cluster.local`;
}

/** OPA's ext_authz gRPC port inside its pod (loopback): the engine's Envoy front takes 9191 with mTLS. */
export const POLICY_ENGINE_LOCAL_PORT = 9192;
/** Envoy cluster name of the local OPA, in the policy engine's front. */
export const LOCAL_OPA_CLUSTER = "local_opa";

/** The policy engine's SPIFFE ID: `spiffe://<td>/ns/ztmesh-system/sa/<zone>-policy-engine`. */
export function policyEngineSpiffeId(trustDomain: string, zoneId: string): string {
  return spiffeId(trustDomain, SYSTEM_NAMESPACE, `${zoneId}-policy-engine`);
}

/** In-cluster host of zone `zoneId`'s policy engine Service. */
export function policyEngineHost(zoneId: string): string {
  return `${zoneId}-policy-engine.${SYSTEM_NAMESPACE}.svc.cluster.local`;
}

/** `host:port` of zone `zoneId`'s policy engine ext_authz gRPC endpoint (`<zone>-policy-engine.ztmesh-system.svc.cluster.local:9191`). */
export function policyEngineAddress(zoneId: string): string {
  return `${policyEngineHost(zoneId)}:${POLICY_ENGINE_GRPC_PORT}`;
}

/** The SPIRE trust bundle's SDS resource name: `spiffe://<trustDomain>`. */
export function trustBundleSdsName(trustDomain: string): string {
  return `spiffe://${trustDomain}`;
}

/** Envoy cluster name of a service behind a gateway: `svc_<domain>_<name>` (`_` never occurs in DNS labels). */
export function serviceClusterName(key: string): string {
  return `svc_${key.replace("/", "_")}`;
}

/** Envoy cluster name of a data product's store: `store_<domain>_<name>`. */
export function storeClusterName(key: string): string {
  return `store_${key.replace("/", "_")}`;
}

/**
 * The port a data product's proxy listens on: the mesh port, like every enforcement point
 * (callers reach the product on its own port at their workload proxy, see `workload-proxy.ts`).
 */
export function dataProxyListenerPort(_product: Pick<DataProduct, "port">): number {
  return MESH_PORT;
}

/** Name of a workload proxy's outbound listener and cluster for one upstream: `outbound|<port>|<host>` (Istio's form). */
export function outboundName(host: string, port: number): string {
  return `outbound|${port}|${host}`;
}

/** Name of a workload proxy's inbound cluster to the application's port: `inbound|<port>`. */
export function inboundClusterName(port: number): string {
  return `inbound|${port}`;
}

/** FNV-1a, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Loopback addresses for a workload's upstreams (`127.a.b.c`, never `127.0.0.x`): derived from
 * each upstream's key, so an address stays the same while the upstream is declared; a clash
 * (rare) moves the later key (sorted) to the next free address. The workload's pod maps the
 * upstream's host names to its address (`hostAliases`), and its proxy listens there.
 */
export function loopbackAddresses(keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<number>();
  const span = 254 * 256 * 254; // a in 1..254, b in 0..255, c in 1..254
  for (const key of [...new Set(keys)].sort()) {
    let n = fnv1a(key) % span;
    while (used.has(n)) n = (n + 1) % span;
    used.add(n);
    const a = 1 + Math.floor(n / (256 * 254));
    const b = Math.floor(n / 254) % 256;
    const c = 1 + (n % 254);
    out.set(key, `127.${a}.${b}.${c}`);
  }
  return out;
}
