/**
 * Small hand-built meshes for the walker's unit tests: raw Envoy bootstraps (plain objects,
 * written here rather than compiled, so the walker is tested on Envoy's semantics and not on
 * ztmesh's compilers), NetworkPolicies and policy engine data.
 *
 * `shop()`: zone z1 runs shop/web (caller) and shop/api (destination, inbound mTLS + ext_authz
 * + RBAC + router); zone z2 runs a passthrough gateway and shop/ledger. web may POST /orders on
 * api and GET /entries on ledger (through z2's gateway).
 */
import type { NetworkPolicy } from "../../components/compile/kubernetes/types";
import type { ZtmeshData } from "../../components/compile/opa/decide";
import type { HostEntry, MeshSnapshot, Obj, ProxySnapshot } from "../../components/trace";

export const TD = "mesh.test";
export const sid = (ns: string, sa: string): string => `spiffe://${TD}/ns/${ns}/sa/${sa}`;
export const WEB = sid("shop", "web");
export const API = sid("shop", "api");
export const LEDGER = sid("shop", "ledger");

const T = "type.googleapis.com/";
const sds = (name: string): Obj => ({ name, sds_config: { resource_api_version: "V3" } });

export function downstreamTls(own: string, sanMatcher: Obj = { prefix: `spiffe://${TD}/` }, require = true): Obj {
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: {
      "@type": `${T}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`,
      require_client_certificate: require,
      common_tls_context: {
        tls_certificate_sds_secret_configs: [sds(own)],
        combined_validation_context: {
          default_validation_context: { match_typed_subject_alt_names: [{ san_type: "URI", matcher: sanMatcher }] },
          validation_context_sds_secret_config: sds(`spiffe://${TD}`),
        },
      },
    },
  };
}

export function upstreamTls(own: string, peer: string, sni: string): Obj {
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: {
      "@type": `${T}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
      sni,
      common_tls_context: {
        tls_certificate_sds_secret_configs: [sds(own)],
        combined_validation_context: {
          default_validation_context: { match_typed_subject_alt_names: [{ san_type: "URI", matcher: { exact: peer } }] },
          validation_context_sds_secret_config: sds(`spiffe://${TD}`),
        },
      },
    },
  };
}

export const router = (): Obj => ({ name: "envoy.filters.http.router", typed_config: { "@type": `${T}envoy.extensions.filters.http.router.v3.Router` } });

export function extAuthz(labelsKey: string | null = "ztmesh", failOpen = false): Obj {
  return {
    name: "envoy.filters.http.ext_authz",
    typed_config: {
      "@type": `${T}envoy.extensions.filters.http.ext_authz.v3.ExtAuthz`,
      grpc_service: { envoy_grpc: { cluster_name: "policy_engine" } },
      failure_mode_allow: failOpen,
      ...(labelsKey ? { bootstrap_metadata_labels_key: labelsKey } : {}),
    },
  };
}

export function rbac(action: "ALLOW" | "DENY", policies: Record<string, Obj>, name = "envoy.filters.http.rbac"): Obj {
  return { name, typed_config: { "@type": `${T}envoy.extensions.filters.http.rbac.v3.RBAC`, rules: { action, policies } } };
}

/** An RBAC policy: one principal, methods (`:method` exact), path prefixes. */
export function callPolicy(principal: string, methods: string[], prefixes: string[]): Obj {
  return {
    principals: [{ authenticated: { principal_name: { exact: principal } } }],
    permissions: [
      {
        and_rules: {
          rules: [
            { or_rules: { rules: methods.map((m) => ({ header: { name: ":method", string_match: { exact: m } } })) } },
            { or_rules: { rules: prefixes.map((p) => ({ url_path: { path: { prefix: p } } })) } },
          ],
        },
      },
    ],
  };
}

export function hcm(virtualHosts: Obj[], httpFilters: Obj[]): Obj {
  return {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      "@type": `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
      stat_prefix: "t",
      http_filters: httpFilters,
      route_config: { name: "r", virtual_hosts: virtualHosts },
    },
  };
}

export function tcpProxy(cluster: string): Obj {
  return { name: "envoy.filters.network.tcp_proxy", typed_config: { "@type": `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`, stat_prefix: "t", cluster } };
}

export function listener(name: string, address: string, port: number, chains: Obj[], extra: Obj = {}): Obj {
  return { name, address: { socket_address: { address, port_value: port } }, filter_chains: chains, ...extra };
}

export function cluster(name: string, host: string, port: number, transportSocket?: Obj): Obj {
  return {
    name,
    type: "STRICT_DNS",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }] },
    ...(transportSocket ? { transport_socket: transportSocket } : {}),
  };
}

export const policyEngine = (zone: string): Obj => cluster("policy_engine", `${zone}-policy-engine.ztmesh-system.svc.cluster.local`, 9191);

export function bootstrap(listeners: Obj[], clusters: Obj[], labels?: Record<string, string>): Obj {
  return { node: { id: "n", cluster: "n", ...(labels ? { metadata: { ztmesh: labels } } : {}) }, static_resources: { listeners, clusters } };
}

/** The inbound enforcement point of a service on 15006 routing `host:8080` to the app. */
export function inbound(own: string, host: string, key: string, filters: Obj[], tls: Obj = downstreamTls(own)): Obj {
  const vhost = { name: key, domains: [`${host}:8080`, host], routes: [{ match: { prefix: "/" }, route: { cluster: "inbound|8080" } }] };
  return bootstrap(
    [listener("inbound", "0.0.0.0", 15006, [{ filters: [hcm([vhost], filters)], transport_socket: tls }])],
    [cluster("inbound|8080", "127.0.0.1", 8080), policyEngine("z1")],
    { domain: key.split("/")[0], workload: key },
  );
}

export function proxy(id: string, zone: string, namespace: string, workload: string | undefined, kind: ProxySnapshot["kind"], bootstrap: Obj, extra: Partial<ProxySnapshot> = {}): ProxySnapshot {
  const name = workload?.split("/")[1];
  return {
    id,
    zone,
    namespace,
    kind,
    ...(workload ? { workload } : {}),
    podLabels: name ? { app: name } : { app: "gateway" },
    podLabelsFrom: "test",
    hostAliases: {},
    namedPorts: {},
    bootstrap,
    origin: "test",
    ...extra,
  };
}

function np(name: string, namespace: string, spec: NetworkPolicy["spec"]): NetworkPolicy {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec };
}

const API_HOST = "api.shop.svc.cluster.local";
const LEDGER_HOST = "ledger.shop.svc.cluster.local";

export function opaData(zone: string, services: Record<string, string>, allow: ZtmeshData["domains"][string]["allow"], deny: ZtmeshData["domains"][string]["deny"] = {}): ZtmeshData {
  return {
    platform: { trust_domain: TD, zone: { id: zone, cloud: "aws", region: "eu-west-1" }, deny: {} },
    domains: { shop: { services, proxies: {}, allow, deny, egress: {} } },
  };
}

/** The `shop` mesh (see the module comment). */
export function shop(): MeshSnapshot {
  const web = bootstrap(
    [
      listener("outbound|8080|api", "127.1.1.1", 8080, [{ filters: [hcm([{ name: "api", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: "outbound|8080|api" } }] }], [router()])] }]),
      listener("outbound|8080|ledger", "127.1.1.2", 8080, [{ filters: [hcm([{ name: "ledger", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: "outbound|8080|ledger" } }] }], [router()])] }]),
    ],
    [
      cluster("outbound|8080|api", API_HOST, 15006, upstreamTls(WEB, API, API_HOST)),
      cluster("outbound|8080|ledger", "gateway.z2.mesh.test", 8443, upstreamTls(WEB, LEDGER, LEDGER_HOST)),
    ],
    { domain: "shop", workload: "shop/web" },
  );
  const api = inbound(API, API_HOST, "shop/api", [extAuthz(), rbac("ALLOW", { "web-orders": callPolicy(WEB, ["POST"], ["/orders"]) }), router()]);
  const ledger = inbound(LEDGER, LEDGER_HOST, "shop/ledger", [extAuthz(), rbac("ALLOW", { "web-entries": callPolicy(WEB, ["GET"], ["/entries"]) }), router()]);
  (ledger["static_resources"] as { clusters: Obj[] }).clusters[1] = policyEngine("z2");
  const gateway = bootstrap(
    [
      listener(
        "gateway",
        "0.0.0.0",
        8443,
        [
          {
            filter_chain_match: { server_names: ["*.svc.cluster.local"] },
            filters: [
              { name: "envoy.filters.network.sni_dynamic_forward_proxy", typed_config: { "@type": `${T}envoy.extensions.filters.network.sni_dynamic_forward_proxy.v3.FilterConfig`, port_value: 15006 } },
              tcpProxy("passthrough"),
            ],
          },
        ],
        { listener_filters: [{ name: "envoy.filters.listener.tls_inspector", typed_config: { "@type": `${T}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector` } }], access_log: [{}] },
      ),
    ],
    [{ name: "passthrough", cluster_type: { name: "envoy.clusters.dynamic_forward_proxy", typed_config: { "@type": `${T}envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig` } } }],
  );
  const proxies = [
    proxy("z1/shop/web", "z1", "shop", "shop/web", "workload", web, { hostAliases: { [API_HOST]: "127.1.1.1", [LEDGER_HOST]: "127.1.1.2" } }),
    proxy("z1/shop/api", "z1", "shop", "shop/api", "workload", api),
    proxy("z2/system/gateway", "z2", "system", undefined, "gateway", gateway),
    proxy("z2/shop/ledger", "z2", "shop", "shop/ledger", "workload", ledger),
  ];
  const hosts: HostEntry[] = [
    { host: API_HOST, zone: "z1", proxy: "z1/shop/api", from: "Service shop/api" },
    { host: LEDGER_HOST, zone: "z2", proxy: "z2/shop/ledger", from: "Service shop/ledger" },
    { host: "gateway.z2.mesh.test", proxy: "z2/system/gateway", ports: { 8443: 8443 }, from: "the zone's gateway host" },
  ];
  const base = (ns: string): NetworkPolicy[] => [np("default-deny", ns, { podSelector: {}, policyTypes: ["Ingress", "Egress"] })];
  const z1: NetworkPolicy[] = [
    ...base("shop"),
    np("allow-egress-web", "shop", {
      podSelector: { matchLabels: { app: "web" } },
      policyTypes: ["Egress"],
      egress: [
        { to: [{ podSelector: { matchLabels: { app: "api" } } }], ports: [{ protocol: "TCP", port: 15006 }] },
        { ports: [{ protocol: "TCP", port: 8443 }] },
      ],
    }),
    np("allow-ingress-api", "shop", { podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ protocol: "TCP", port: 15006 }] }] }),
  ];
  const z2: NetworkPolicy[] = [
    ...base("shop"),
    ...base("system"),
    np("allow-ingress-gateway", "system", { podSelector: { matchLabels: { app: "gateway" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 8443 }] }] }),
    np("allow-egress-gateway", "system", { podSelector: { matchLabels: { app: "gateway" } }, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: {}, podSelector: {} }], ports: [{ protocol: "TCP", port: 15006 }] }] }),
    np("allow-ingress-ledger", "shop", {
      podSelector: { matchLabels: { app: "ledger" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "system" } }, podSelector: { matchLabels: { app: "gateway" } } }], ports: [{ protocol: "TCP", port: 15006 }] }],
    }),
  ];
  return {
    trustDomain: TD,
    zones: {
      z1: { id: "z1", networkPolicies: z1, namespaceLabels: {}, opa: { data: opaData("z1", { [API]: "shop/api" }, { "shop/api": { [WEB]: [{ intent: "shop#0", methods: { POST: true }, paths: ["/orders"] }] } }), bundles: ["test"] }, opaNotes: [] },
      z2: { id: "z2", networkPolicies: z2, namespaceLabels: {}, opa: { data: opaData("z2", { [LEDGER]: "shop/ledger" }, { "shop/ledger": { [WEB]: [{ intent: "shop#1", methods: { GET: true }, paths: ["/entries"] }] } }), bundles: ["test"] }, opaNotes: [] },
    },
    proxies,
    hosts,
    warnings: [],
  };
}

export const API_REQUEST = { source: { kind: "workload" as const, key: "shop/web" }, host: API_HOST, port: 8080, protocol: "http" as const, method: "POST", path: "/orders" };
export const LEDGER_REQUEST = { source: { kind: "workload" as const, key: "shop/web" }, host: LEDGER_HOST, port: 8080, protocol: "http" as const, method: "GET", path: "/entries" };
