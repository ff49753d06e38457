/**
 * The workload proxy: the Envoy beside each mesh service (in its pod), so that applications
 * carry no TLS or SPIFFE code and every call passes an enforcement point.
 *
 * - Inbound (`inbound`, `0.0.0.0:15006`): the service's enforcement point. Downstream mTLS
 *   (client certificate required, SPIRE trust bundle, URI SAN in the trust domain), ext_authz
 *   to the zone's OPA (fail closed; the destination's domain and key go with every check as
 *   `destination.labels`, so OPA finds the domain's bundle by key), RBAC ALLOW compiled from
 *   the intents that target this service (none: deny all), RBAC DENY from the deny rules that
 *   target it, then the router to the application on `127.0.0.1:<port>`.
 * - Outbound (explicit upstreams, as Consul's): one listener per declared upstream port, on a
 *   loopback address of its own (`loopbackAddresses`) and the upstream's own port; the pod maps
 *   the upstream's host names there (`hostAliases`), so the application calls
 *   `http://trade-capture.trading.svc.cluster.local:8080` as usual. The proxy originates mTLS
 *   with the caller's SVID, verifies the peer is exactly the destination's SPIFFE ID, and
 *   connects to the destination's proxy on the mesh port (same zone) or to the destination
 *   zone's gateway with the destination host as SNI (another zone; the gateway passes the
 *   connection through). Deny rules the caller's own domain declared about an upstream are
 *   enforced here too (the destination's stack may never see them). Anything not declared has
 *   no listener: the host resolves through cluster DNS and the NetworkPolicies refuse it.
 */
import { zoneGateway, type DataProduct, type MeshModel, type Service, type Zone } from "../../model/model";
import {
  bootstrap,
  downstreamMtls,
  grpcClusterOptions,
  HTTP_LOG_FORMAT,
  jsonAccessLog,
  meshUpstreamTls,
  policyEngineCluster,
  policyEngineGrpc,
  resolveOptions,
  routedPort,
  singleHostCluster,
  spireAgentCluster,
  TCP_LOG_FORMAT,
} from "./common";
import {
  FILTER,
  GATEWAY_PORT,
  MESH_PORT,
  NODE_LABELS_KEY,
  TYPE_URL,
  egressGatewayHost,
  egressGatewaySpiffeId,
  inboundClusterName,
  loopbackAddresses,
  outboundName,
} from "./names";
import { storeEndpoint } from "./data-proxy";
import { egressServerName, workloadEgressTargets } from "../egress-targets";
import { compileOutboundDenyRules, compileServiceAllowRules, compileServiceDenyRules } from "./rbac";
import type {
  Cluster,
  EnvoyBootstrap,
  EnvoyCompileOptions,
  HttpConnectionManager,
  HttpExtAuthz,
  Listener,
  NamedFilter,
  TcpProxy,
  VirtualHost,
} from "./types";

/** One port of a declared upstream, as the caller's proxy serves it. */
export interface Upstream {
  /** The destination's key (`<domain>/<name>`, or `egress/<target>` for a token endpoint). */
  key: string;
  /** `egress`: a cloud token endpoint, through the zone's egress gateway. */
  kind: "service" | "data" | "egress";
  /** The destination proxy's in-cluster host (a service's host, a data proxy's host), or the token endpoint's host. */
  host: string;
  /** The TLS SNI the caller's proxy sends: {@link host}, or the egress gateway's name for the target. */
  sni: string;
  /** The port the application connects to (the service port, the store port). */
  port: number;
  /** `tcp` for data products (and L4 stores). */
  protocol: "http" | "grpc" | "tcp";
  /** The destination's zone. */
  zone: string;
  /** The SPIFFE ID the destination's proxy must present. */
  spiffeId: string;
  /** The loopback address the caller's proxy listens on for it. */
  address: string;
  /** Host names the caller's pod maps to {@link address}. */
  hostnames: string[];
  /** Where the caller's proxy connects: the destination's proxy, or its zone's gateway. */
  via: { host: string; port: number; gateway: boolean };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The names a workload in `fromNamespace` may use for `name.namespace`. */
function hostForms(name: string, namespace: string, fromNamespace: string): string[] {
  const forms = [`${name}.${namespace}.svc.cluster.local`, `${name}.${namespace}.svc`, `${name}.${namespace}`];
  if (namespace === fromNamespace) forms.push(name);
  return forms;
}

function via(model: MeshModel, caller: Service, zoneId: string, host: string): Upstream["via"] {
  if (zoneId === caller.zone) return { host, port: MESH_PORT, gateway: false };
  const zone = model.zones.find((z) => z.id === zoneId) as Zone;
  return { host: zoneGateway(zone, model.trustDomain).host, port: GATEWAY_PORT, gateway: true };
}

/**
 * The upstreams service `serviceKey` may call or read, from the intents (its own and `*`),
 * sorted by host then port. Pure; the same list drives its proxy's outbound listeners, its
 * pod's `hostAliases` and the tracer.
 */
export function workloadUpstreams(model: MeshModel, serviceKey: string): Upstream[] {
  const caller = model.services.get(serviceKey);
  if (!caller) throw new Error(`workloadUpstreams: service "${serviceKey}" is not in the mesh`);
  const services = new Map<string, Service>();
  const products = new Map<string, DataProduct>();
  for (const intent of model.intents) {
    if (intent.source.kind === "workload" && intent.source.key !== serviceKey) continue;
    if (intent.kind === "call") {
      const svc = model.services.get(intent.to);
      if (svc && svc.key !== serviceKey) services.set(svc.key, svc);
    } else {
      const p = model.dataProducts.get(intent.to);
      if (p) products.set(p.key, p);
    }
  }
  const egress = workloadEgressTargets(model, serviceKey);
  const addresses = loopbackAddresses([...services.keys(), ...products.keys(), ...egress.map((t) => `egress/${t.id}`)]);
  const out: Upstream[] = [];
  for (const svc of services.values()) {
    for (const port of svc.ports) {
      if (port.protocol === "tcp") continue; // not routable at L7: no path through the mesh
      out.push({
        key: svc.key,
        kind: "service",
        host: svc.host,
        port: port.port,
        protocol: port.protocol,
        zone: svc.zone,
        spiffeId: svc.spiffeId,
        address: addresses.get(svc.key)!,
        hostnames: hostForms(svc.name, svc.namespace, caller.namespace),
        via: via(model, caller, svc.zone, svc.host),
        sni: svc.host,
      });
    }
  }
  for (const p of products.values()) {
    const host = `${p.proxy.name}.${p.namespace}.svc.cluster.local`;
    // Object stores keep their own name (the application's TLS runs end to end with the store,
    // through the data proxy); databases are called by their proxy's name.
    const store = storeEndpoint(model, p);
    out.push({
      key: p.key,
      kind: "data",
      host,
      sni: host,
      port: p.port,
      protocol: "tcp",
      zone: p.zone,
      spiffeId: p.proxy.spiffeId,
      address: addresses.get(p.key)!,
      hostnames: store.tls ? [store.host] : hostForms(p.proxy.name, p.namespace, caller.namespace),
      via: via(model, caller, p.zone, host),
    });
  }
  for (const t of egress) {
    out.push({
      key: `egress/${t.id}`,
      kind: "egress",
      host: t.host,
      sni: egressServerName(caller.domain, t.id, model.trustDomain),
      port: 443,
      protocol: "tcp",
      zone: caller.zone,
      spiffeId: egressGatewaySpiffeId(model.trustDomain, caller.zone),
      address: addresses.get(`egress/${t.id}`)!,
      hostnames: [t.host],
      via: { host: egressGatewayHost(caller.zone), port: MESH_PORT, gateway: false },
    });
  }
  return out.sort((a, b) => cmp(a.host, b.host) || a.port - b.port);
}

/** The pod's `hostAliases`: each upstream's loopback address with its host names. */
export function upstreamHostAliases(upstreams: readonly Upstream[]): Array<{ ip: string; hostnames: string[] }> {
  const byIp = new Map<string, Set<string>>();
  for (const u of upstreams) {
    const names = byIp.get(u.address) ?? new Set<string>();
    for (const h of u.hostnames) names.add(h);
    byIp.set(u.address, names);
  }
  return [...byIp.entries()].sort(([a], [b]) => cmp(a, b)).map(([ip, names]) => ({ ip, hostnames: [...names].sort(cmp) }));
}

function hcm(statPrefix: string, routeName: string, virtualHosts: VirtualHost[], filters: NamedFilter[], accessLogName: string, inbound: boolean): HttpConnectionManager {
  return {
    "@type": TYPE_URL.httpConnectionManager,
    stat_prefix: statPrefix,
    codec_type: "AUTO",
    use_remote_address: inbound,
    normalize_path: true,
    merge_slashes: true,
    path_with_escaped_slashes_action: "REJECT_REQUEST",
    common_http_protocol_options: { headers_with_underscores_action: "REJECT_REQUEST" },
    forward_client_cert_details: inbound ? "SANITIZE_SET" : "SANITIZE",
    set_current_client_cert_details: { uri: inbound },
    access_log: jsonAccessLog(accessLogName, HTTP_LOG_FORMAT),
    http_filters: filters,
    route_config: { name: routeName, virtual_hosts: virtualHosts },
  };
}

function inboundListener(model: MeshModel, svc: Service): Listener {
  const ports = svc.ports.filter((p) => p.protocol !== "tcp");
  const first = routedPort(svc);
  const virtualHosts: VirtualHost[] = ports.map((p) => ({
    name: `${svc.key}:${p.port}`,
    domains: [`${svc.host}:${p.port}`, ...(p === first ? [svc.host] : [])],
    routes: [{ match: { prefix: "/" }, route: { cluster: inboundClusterName(p.port) } }],
  }));
  const extAuthz: HttpExtAuthz = {
    "@type": TYPE_URL.httpExtAuthz,
    grpc_service: policyEngineGrpc(model.policyEngine.decisionTimeoutMs),
    transport_api_version: "V3",
    failure_mode_allow: false,
    include_peer_certificate: true,
    bootstrap_metadata_labels_key: NODE_LABELS_KEY,
    // The decision needs no request headers: none (tokens, cookies) leave the pod for OPA.
    allowed_headers: { patterns: [{ exact: "x-request-id" }] },
  };
  const filters: NamedFilter[] = [
    { name: FILTER.httpExtAuthz, typed_config: extAuthz },
    { name: FILTER.httpRbac, typed_config: { "@type": TYPE_URL.httpRbac, rules: compileServiceAllowRules(model, svc) } },
  ];
  const deny = compileServiceDenyRules(model, svc);
  if (Object.keys(deny.policies).length > 0) filters.push({ name: FILTER.httpRbacDeny, typed_config: { "@type": TYPE_URL.httpRbac, rules: deny } });
  filters.push({ name: FILTER.router, typed_config: { "@type": TYPE_URL.router } });
  return {
    name: "inbound",
    address: { socket_address: { address: "0.0.0.0", port_value: MESH_PORT } },
    filter_chains: [
      {
        filters: [{ name: FILTER.httpConnectionManager, typed_config: hcm("inbound", "inbound", virtualHosts, filters, `${svc.key} inbound`, true) }],
        transport_socket: downstreamMtls(model.trustDomain, svc.spiffeId),
      },
    ],
    access_log: jsonAccessLog(`${svc.key} inbound`, TCP_LOG_FORMAT),
  };
}

function outboundListener(model: MeshModel, caller: Service, u: Upstream): Listener {
  const name = outboundName(u.host, u.port);
  let filter: NamedFilter;
  if (u.kind === "service") {
    const filters: NamedFilter[] = [];
    const deny = compileOutboundDenyRules(model, caller, model.services.get(u.key)!);
    if (Object.keys(deny.policies).length > 0) filters.push({ name: FILTER.httpRbacDeny, typed_config: { "@type": TYPE_URL.httpRbac, rules: deny } });
    filters.push({ name: FILTER.router, typed_config: { "@type": TYPE_URL.router } });
    const vh: VirtualHost = {
      name: u.key,
      domains: ["*"],
      // The destination routes and authorizes by its own host name, whatever form the caller used.
      routes: [{ match: { prefix: "/" }, route: { cluster: name, host_rewrite_literal: `${u.host}:${u.port}` } }],
    };
    filter = { name: FILTER.httpConnectionManager, typed_config: hcm(name.replace(/\|/g, "_"), name, [vh], filters, `${caller.key} outbound`, false) };
  } else {
    const tcp: TcpProxy = {
      "@type": TYPE_URL.tcpProxy,
      stat_prefix: name.replace(/\|/g, "_"),
      cluster: name,
      access_log: jsonAccessLog(`${caller.key} outbound`, TCP_LOG_FORMAT),
      idle_timeout: "3600s",
    };
    filter = { name: FILTER.tcpProxy, typed_config: tcp };
  }
  return { name, address: { socket_address: { address: u.address, port_value: u.port } }, filter_chains: [{ filters: [filter] }] };
}

function outboundCluster(model: MeshModel, caller: Service, u: Upstream): Cluster {
  const name = outboundName(u.host, u.port);
  const cluster: Cluster = {
    ...singleHostCluster(name, u.via.host, u.via.port, u.via.gateway ? 5000 : 1000),
    transport_socket: meshUpstreamTls(model.trustDomain, caller.spiffeId, u.spiffeId, u.sni),
  };
  return u.protocol === "grpc" ? { ...cluster, typed_extension_protocol_options: grpcClusterOptions() } : cluster;
}

function inboundCluster(port: Service["ports"][number]): Cluster {
  const cluster: Cluster = {
    name: inboundClusterName(port.port),
    type: "STATIC",
    connect_timeout: "1s",
    load_assignment: {
      cluster_name: inboundClusterName(port.port),
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port.port } } } }] }],
    },
  };
  return port.protocol === "grpc" ? { ...cluster, typed_extension_protocol_options: grpcClusterOptions() } : cluster;
}

/**
 * Compiles the Envoy bootstrap of service `serviceKey`'s workload proxy: its inbound
 * enforcement point and one outbound listener per declared upstream port.
 * @throws Error when the service does not exist in the model.
 */
export function compileWorkloadProxy(model: MeshModel, serviceKey: string, opts: EnvoyCompileOptions = {}): EnvoyBootstrap {
  const svc = model.services.get(serviceKey);
  if (!svc) throw new Error(`compileWorkloadProxy: service "${serviceKey}" is not in the mesh`);
  const o = resolveOptions(svc.zone, opts);
  const upstreams = workloadUpstreams(model, serviceKey);
  const listeners = [inboundListener(model, svc), ...upstreams.map((u) => outboundListener(model, svc, u))];
  const clusters = [
    spireAgentCluster(o.spireSocketPath),
    policyEngineCluster(o, model.trustDomain, svc.spiffeId, svc.zone),
    ...svc.ports.filter((p) => p.protocol !== "tcp").map(inboundCluster),
    ...upstreams.map((u) => outboundCluster(model, svc, u)),
  ];
  return bootstrap(`${svc.domain}-${svc.name}`, o.adminPort, listeners, clusters, { domain: svc.domain, workload: svc.key });
}
