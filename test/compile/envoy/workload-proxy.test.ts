/**
 * The workload proxy (each service's sidecar): its inbound enforcement point (mTLS, ext_authz,
 * RBAC from the intents and deny rules, routes to the application on loopback) and its
 * outbound listeners (one per declared upstream port, on a loopback address of its own,
 * originating mTLS to the destination's exact identity, directly or through the destination
 * zone's gateway).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  MESH_PORT,
  compileWorkloadProxy,
  loopbackAddresses,
  rbacAllows,
  toYaml,
  upstreamHostAliases,
  validateEnvoyConfig,
  workloadUpstreams,
  type HttpExtAuthz,
  type MeshUpstreamTlsContext,
  type TcpProxy,
  type Upstream,
} from "../../../components/compile/envoy";
import { buildMesh, type DomainSpec, type MeshModel, type MeshSpec } from "../../../components/model";
import { compliance, domains, mesh, risk, trading } from "../../fixtures/mesh";
import { chainOf, clusterOf, downstreamTlsOf, endpointOf, hcmOf, httpFiltersOf, listenerOf, principalNames, rulesOf } from "./helpers";

const model: MeshModel = buildMesh(mesh, domains);
const TD = "mesh.acme.example";
const id = (ns: string, sa: string): string => `spiffe://${TD}/ns/${ns}/sa/${sa}`;
const ORDER_API = id("trading", "order-api");
const MATCHING = id("trading", "matching");
const RISK_ENGINE = id("risk", "risk-engine");
const MATCHING_HOST = "matching.trading.svc.cluster.local";
const ORDER_API_HOST = "order-api.trading.svc.cluster.local";
const RISK_HOST = "risk-engine.risk.svc.cluster.local";
const TRADES_PROXY_HOST = "trades-proxy.trading.svc.cluster.local";
const EXT_AUTHZ = "envoy.filters.http.ext_authz";
const RBAC = "envoy.filters.http.rbac";
const RBAC_DENY = "ztmesh.filters.http.rbac_deny";
const ROUTER = "envoy.filters.http.router";
const HTTP2 = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
const inbound = (principal: string | undefined, host: string, method: string, path: string) => ({ listener: "inbound", principal, host, method, path });
const upstreamTls = (b: ReturnType<typeof compileWorkloadProxy>, cluster: string): MeshUpstreamTlsContext =>
  clusterOf(b, cluster).transport_socket!.typed_config as MeshUpstreamTlsContext;

describe("compileWorkloadProxy: inbound (the service's enforcement point)", () => {
  it("produces configs the Envoy protos accept, for every service, also after a YAML round trip", () => {
    for (const key of model.services.keys()) {
      const b = compileWorkloadProxy(model, key);
      expect(validateEnvoyConfig(b), key).toEqual([]);
      expect(validateEnvoyConfig(parse(toYaml(b))), key).toEqual([]);
    }
  });

  it("names the destination's domain and key in its node metadata, which ext_authz sends to OPA", () => {
    const b = compileWorkloadProxy(model, "trading/matching");
    expect(b.node).toEqual({ id: "trading-matching", cluster: "trading-matching", metadata: { ztmesh: { domain: "trading", workload: "trading/matching" } } });
    const ext = httpFiltersOf(b, "inbound")[0].typed_config as HttpExtAuthz;
    expect(ext.bootstrap_metadata_labels_key).toBe("ztmesh");
    expect(b.node.metadata).toHaveProperty(ext.bootstrap_metadata_labels_key!);
    expect(compileWorkloadProxy(model, "risk/risk-engine").node.metadata).toEqual({ ztmesh: { domain: "risk", workload: "risk/risk-engine" } });
  });

  it("listens on 0.0.0.0:15006 with mTLS from SPIRE as the service itself, and binds admin to loopback", () => {
    const b = compileWorkloadProxy(model, "trading/matching");
    const l = listenerOf(b, "inbound");
    expect(b.static_resources.listeners[0]).toBe(l);
    expect(l.address).toEqual({ socket_address: { address: "0.0.0.0", port_value: 15006 } });
    expect(MESH_PORT).toBe(15006);
    expect(b.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 9901 } });
    const tls = downstreamTlsOf(b, "inbound");
    expect(tls.require_client_certificate).toBe(true);
    const ctx = tls.common_tls_context;
    expect(ctx.tls_params.tls_minimum_protocol_version).toBe("TLSv1_2");
    expect(ctx.tls_certificate_sds_secret_configs.map((s) => s.name)).toEqual([MATCHING]);
    expect(ctx.combined_validation_context.validation_context_sds_secret_config.name).toBe(`spiffe://${TD}`);
    expect(ctx.combined_validation_context.default_validation_context.match_typed_subject_alt_names).toEqual([
      { san_type: "URI", matcher: { prefix: `spiffe://${TD}/` } },
    ]);
    const sds = ctx.tls_certificate_sds_secret_configs[0].sds_config.api_config_source;
    expect(sds.grpc_services[0].envoy_grpc.cluster_name).toBe("spire_agent");
    expect(endpointOf(clusterOf(b, "spire_agent"))).toEqual({ pipe: { path: "/run/spire/sockets/agent.sock" } });
  });

  it("orders the HTTP filters ext_authz, rbac, router", () => {
    for (const key of model.services.keys()) {
      expect(httpFiltersOf(compileWorkloadProxy(model, key), "inbound").map((f) => f.name), key).toEqual([EXT_AUTHZ, RBAC, ROUTER]);
    }
  });

  it("fails closed on policy engine errors and passes the peer certificate", () => {
    const ext = httpFiltersOf(compileWorkloadProxy(model, "trading/matching"), "inbound")[0].typed_config as HttpExtAuthz;
    expect(ext.failure_mode_allow).toBe(false);
    expect(ext.include_peer_certificate).toBe(true);
    expect(ext.transport_api_version).toBe("V3");
    expect(ext.grpc_service).toEqual({ envoy_grpc: { cluster_name: "policy_engine" }, timeout: "0.250s" });
  });

  it("talks HTTP/2 to its own zone's policy engine at its default address", () => {
    const opa = clusterOf(compileWorkloadProxy(model, "risk/risk-engine"), "policy_engine");
    expect(endpointOf(opa)).toEqual({ socket_address: { address: "gcp-eu-policy-engine.ztmesh-system.svc.cluster.local", port_value: 9191 } });
    expect(opa.typed_extension_protocol_options?.[HTTP2]).toMatchObject({ explicit_http_config: { http2_protocol_options: {} } });
    expect(endpointOf(clusterOf(compileWorkloadProxy(model, "compliance/auditor"), "policy_engine"))).toEqual({
      socket_address: { address: "azure-eu-policy-engine.ztmesh-system.svc.cluster.local", port_value: 9191 },
    });
  });

  it("applies options", () => {
    const b = compileWorkloadProxy(model, "trading/matching", { policyEngineAddress: "opa.local", policyEnginePort: 9000, spireSocketPath: "/tmp/agent.sock", adminPort: 9002 });
    expect(b.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 9002 } });
    expect(endpointOf(clusterOf(b, "policy_engine"))).toEqual({ socket_address: { address: "opa.local", port_value: 9000 } });
    expect(endpointOf(clusterOf(b, "spire_agent"))).toEqual({ pipe: { path: "/tmp/agent.sock" } });
    // The mesh port is fixed: NetworkPolicies admit only it.
    expect(listenerOf(b, "inbound").address).toEqual({ socket_address: { address: "0.0.0.0", port_value: 15006 } });
  });

  it("routes each HTTP/gRPC port of the service to the application on loopback (HTTP/2 for gRPC), never a TCP port", () => {
    const desk: DomainSpec = {
      name: "desk",
      owner: "desk@acme.example",
      services: [
        { name: "multi", zone: "aws-eu", ports: [{ port: 8080 }, { port: 9000, protocol: "grpc" }, { port: 7000, protocol: "tcp" }] },
        { name: "caller", zone: "aws-eu", ports: [{ port: 8080 }] },
      ],
      intents: [{ from: "caller", to: "multi", methods: ["GET"], paths: ["/"] }],
    };
    const m = buildMesh({ ...mesh, denyRules: [] }, [desk]);
    const b = compileWorkloadProxy(m, "desk/multi");
    const host = "multi.desk.svc.cluster.local";
    expect(hcmOf(b, "inbound").route_config.virtual_hosts).toEqual([
      { name: "desk/multi:8080", domains: [`${host}:8080`, host], routes: [{ match: { prefix: "/" }, route: { cluster: "inbound|8080" } }] },
      { name: "desk/multi:9000", domains: [`${host}:9000`], routes: [{ match: { prefix: "/" }, route: { cluster: "inbound|9000" } }] },
    ]);
    expect(b.static_resources.clusters.map((c) => c.name)).toEqual(["inbound|8080", "inbound|9000", "policy_engine", "spire_agent"]);
    const http = clusterOf(b, "inbound|8080");
    expect(http.type).toBe("STATIC");
    expect(endpointOf(http)).toEqual({ socket_address: { address: "127.0.0.1", port_value: 8080 } });
    expect(http.typed_extension_protocol_options).toBeUndefined();
    expect(endpointOf(clusterOf(b, "inbound|9000"))).toEqual({ socket_address: { address: "127.0.0.1", port_value: 9000 } });
    expect(clusterOf(b, "inbound|9000").typed_extension_protocol_options?.[HTTP2]).toMatchObject({ explicit_http_config: { http2_protocol_options: {} } });
    expect(validateEnvoyConfig(b)).toEqual([]);
    // The caller gets a listener per HTTP/gRPC port of multi, on one loopback address.
    const caller = compileWorkloadProxy(m, "desk/caller");
    expect(caller.static_resources.listeners.map((l) => l.name)).toEqual(["inbound", `outbound|8080|${host}`, `outbound|9000|${host}`]);
    const [a8080, a9000] = [listenerOf(caller, `outbound|8080|${host}`).address, listenerOf(caller, `outbound|9000|${host}`).address];
    expect("socket_address" in a8080 && "socket_address" in a9000 && a8080.socket_address.address === a9000.socket_address.address).toBe(true);
  });

  it("normalizes paths, rejects escaped slashes and underscored headers, and sets the caller's identity header", () => {
    const hcm = hcmOf(compileWorkloadProxy(model, "trading/matching"), "inbound");
    expect(hcm).toMatchObject({
      normalize_path: true,
      merge_slashes: true,
      path_with_escaped_slashes_action: "REJECT_REQUEST",
      common_http_protocol_options: { headers_with_underscores_action: "REJECT_REQUEST" },
      forward_client_cert_details: "SANITIZE_SET",
      set_current_client_cert_details: { uri: true },
    });
  });

  it("logs every request as JSON with the required fields, and every connection (failed handshakes too)", () => {
    const b = compileWorkloadProxy(model, "trading/matching");
    const log = hcmOf(b, "inbound").access_log[0].typed_config;
    expect(log.path).toBe("/dev/stdout");
    expect(log.log_format.json_format["proxy"]).toBe("trading/matching inbound");
    expect(Object.values(log.log_format.json_format)).toEqual(
      expect.arrayContaining(["%START_TIME%", "%REQ(:METHOD)%", "%REQ(:AUTHORITY)%", "%RESPONSE_CODE%", "%RESPONSE_FLAGS%", "%DOWNSTREAM_PEER_URI_SAN%", "%UPSTREAM_HOST%", "%REQ(X-REQUEST-ID)%"]),
    );
    const conn = listenerOf(b, "inbound").access_log?.[0].typed_config;
    expect(conn?.log_format.json_format).toMatchObject({ downstream_peer_uri_san: "%DOWNSTREAM_PEER_URI_SAN%", downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%" });
  });

  it("compiles RBAC principals from exactly the intents to this service", () => {
    const matching = rulesOf(compileWorkloadProxy(model, "trading/matching"), RBAC, "inbound")!;
    expect(principalNames(matching)).toEqual([ORDER_API]);
    expect(Object.keys(matching.policies)).toEqual(["trading/matching <- trading/order-api"]);
    const riskEngine = rulesOf(compileWorkloadProxy(model, "risk/risk-engine"), RBAC, "inbound")!;
    expect(principalNames(riskEngine)).toEqual([ORDER_API]);
    expect(Object.keys(riskEngine.policies)).toEqual(["risk/risk-engine <- trading/order-api"]);
  });

  it("keeps RBAC present but empty (deny all) for services no call intent reaches", () => {
    for (const key of ["trading/order-api", "compliance/auditor"]) {
      const b = compileWorkloadProxy(model, key);
      expect(rulesOf(b, RBAC, "inbound"), key).toEqual({ action: "ALLOW", policies: {} });
      expect(rbacAllows(b, inbound(MATCHING, model.services.get(key)!.host, "GET", "/"))).toBe(false);
    }
  });

  it("allows exactly the declared method and path prefix, for this service's host only", () => {
    const b = compileWorkloadProxy(model, "trading/matching");
    const req = inbound(ORDER_API, MATCHING_HOST, "POST", "/orders");
    expect(rbacAllows(b, req)).toBe(true);
    expect(rbacAllows(b, { ...req, path: "/orders/42?x=1" })).toBe(true);
    expect(rbacAllows(b, { ...req, host: `${MATCHING_HOST}:9090` })).toBe(true);
    expect(rbacAllows(b, { ...req, method: "GET" })).toBe(false);
    expect(rbacAllows(b, { ...req, path: "/admin" })).toBe(false);
    expect(rbacAllows(b, { ...req, principal: RISK_ENGINE })).toBe(false);
    expect(rbacAllows(b, { ...req, host: ORDER_API_HOST })).toBe(false);
    expect(rbacAllows(b, { ...req, host: `${MATCHING_HOST}.evil.example` })).toBe(false);
    expect(rbacAllows(b, { ...req, principal: undefined })).toBe(false);
    expect(rbacAllows(b, { ...req, principal: "spiffe://other.example/ns/trading/sa/order-api" })).toBe(false);
    // risk-engine's grant to order-api is not valid at matching's proxy.
    expect(rbacAllows(b, inbound(ORDER_API, RISK_HOST, "GET", "/limits"))).toBe(false);
    expect(rbacAllows(compileWorkloadProxy(model, "risk/risk-engine"), inbound(ORDER_API, RISK_HOST, "GET", "/limits"))).toBe(true);
  });

  it("does not let one source use another source's methods on the same service", () => {
    const t: DomainSpec = {
      ...trading,
      intents: [...(trading.intents ?? []), { from: "matching", to: "order-api", methods: ["DELETE"], paths: ["/orders"] }],
    };
    const r: DomainSpec = { ...risk, intents: [...(risk.intents ?? []), { from: "risk-engine", to: "trading/order-api", methods: ["GET"], paths: ["/quotes"] }] };
    const b = compileWorkloadProxy(buildMesh(mesh, [t, r, compliance]), "trading/order-api");
    expect(rbacAllows(b, inbound(RISK_ENGINE, ORDER_API_HOST, "GET", "/quotes"))).toBe(true);
    expect(rbacAllows(b, inbound(RISK_ENGINE, ORDER_API_HOST, "DELETE", "/orders"))).toBe(false);
    expect(rbacAllows(b, inbound(MATCHING, ORDER_API_HOST, "DELETE", "/orders"))).toBe(true);
    expect(rbacAllows(b, inbound(MATCHING, ORDER_API_HOST, "GET", "/quotes"))).toBe(false);
  });

  it("grants `*` intents to any workload of the trust domain", () => {
    const r: DomainSpec = { ...risk, intents: [...(risk.intents ?? []), { from: "*", to: "risk-engine", methods: ["GET"], paths: ["/health"] }] };
    const b = compileWorkloadProxy(buildMesh(mesh, [trading, r, compliance]), "risk/risk-engine");
    expect(rbacAllows(b, inbound(`spiffe://${TD}/ns/x/sa/y`, RISK_HOST, "GET", "/health"))).toBe(true);
    expect(rbacAllows(b, inbound(`spiffe://${TD}/ns/x/sa/y`, RISK_HOST, "GET", "/limits"))).toBe(false);
    expect(rbacAllows(b, inbound("spiffe://other.example/ns/x/sa/y", RISK_HOST, "GET", "/health"))).toBe(false);
  });

  it("compiles deny rules that target the service into a second RBAC filter with action DENY (deny overrides allow)", () => {
    const denied = buildMesh({ ...mesh, denyRules: [...(mesh.denyRules ?? []), { from: "trading/order-api", to: "risk/risk-engine", paths: ["/limits/secret"], reason: "test" }] }, domains);
    const b = compileWorkloadProxy(denied, "risk/risk-engine");
    expect(httpFiltersOf(b, "inbound").map((f) => f.name)).toEqual([EXT_AUTHZ, RBAC, RBAC_DENY, ROUTER]);
    expect(rulesOf(b, RBAC_DENY, "inbound")?.action).toBe("DENY");
    expect(Object.keys(rulesOf(b, RBAC_DENY, "inbound")!.policies)).toEqual(["global#1"]);
    expect(validateEnvoyConfig(b)).toEqual([]);
    const req = inbound(ORDER_API, RISK_HOST, "GET", "/limits");
    expect(rbacAllows(b, req)).toBe(true);
    expect(rbacAllows(b, { ...req, path: "/limits/secret/1" })).toBe(false);
    // A deny rule on another service leaves this service's chain unchanged.
    expect(httpFiltersOf(compileWorkloadProxy(denied, "trading/matching"), "inbound")).toHaveLength(3);
  });

  it("rejects an unknown service", () => {
    expect(() => compileWorkloadProxy(model, "trading/nothing")).toThrow(/service "trading\/nothing" is not in the mesh/);
  });
});

describe("compileWorkloadProxy: outbound (declared upstreams)", () => {
  const orderApi = compileWorkloadProxy(model, "trading/order-api");
  const matchingOut = `outbound|9090|${MATCHING_HOST}`;
  const riskOut = `outbound|8080|${RISK_HOST}`;

  it("has one listener per declared upstream port, on the upstream's loopback address and own port, plaintext inside the pod", () => {
    const ups = workloadUpstreams(model, "trading/order-api");
    expect(orderApi.static_resources.listeners.map((l) => l.name)).toEqual(["inbound", matchingOut, riskOut]);
    for (const u of ups) {
      const l = listenerOf(orderApi, `outbound|${u.port}|${u.host}`);
      expect(l.address).toEqual({ socket_address: { address: u.address, port_value: u.port } });
      expect(u.address).toMatch(/^127\./);
      expect(l.filter_chains).toHaveLength(1);
      expect(l.filter_chains[0].transport_socket).toBeUndefined();
    }
    expect(listenerOf(orderApi, matchingOut).address).toEqual({ socket_address: { address: loopbackAddresses(["trading/matching", "risk/risk-engine"]).get("trading/matching"), port_value: 9090 } });
    // A service nobody declared as its upstream gets none.
    expect(compileWorkloadProxy(model, "trading/order-api").static_resources.listeners.map((l) => l.name)).not.toContain(`outbound|8443|auditor.compliance.svc.cluster.local`);
  });

  it("originates mTLS with the caller's SVID, sends the destination host as SNI, and accepts only the destination's exact SPIFFE ID", () => {
    for (const [cluster, peer, sni] of [
      [matchingOut, MATCHING, MATCHING_HOST],
      [riskOut, RISK_ENGINE, RISK_HOST],
    ]) {
      const c = clusterOf(orderApi, cluster);
      expect(c.transport_socket?.name).toBe("envoy.transport_sockets.tls");
      const tls = upstreamTls(orderApi, cluster);
      expect(tls["@type"]).toBe("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
      expect(tls.sni).toBe(sni);
      expect(tls.common_tls_context.tls_params.tls_minimum_protocol_version).toBe("TLSv1_2");
      expect(tls.common_tls_context.tls_certificate_sds_secret_configs.map((s) => s.name)).toEqual([ORDER_API]);
      expect(tls.common_tls_context.combined_validation_context.validation_context_sds_secret_config.name).toBe(`spiffe://${TD}`);
      // Exactly the destination: neither a prefix of the trust domain nor the gateway's identity.
      expect(tls.common_tls_context.combined_validation_context.default_validation_context.match_typed_subject_alt_names).toEqual([{ san_type: "URI", matcher: { exact: peer } }]);
    }
  });

  it("connects to a same-zone destination's proxy directly, on the mesh port", () => {
    const c = clusterOf(orderApi, matchingOut);
    expect(c.type).toBe("STRICT_DNS");
    expect(endpointOf(c)).toEqual({ socket_address: { address: MATCHING_HOST, port_value: 15006 } });
  });

  it("connects to another zone's destination through that zone's gateway (default host), on the gateway port", () => {
    expect(endpointOf(clusterOf(orderApi, riskOut))).toEqual({ socket_address: { address: "gateway.gcp-eu.mesh.acme.example", port_value: 8443 } });
    const risky = compileWorkloadProxy(model, "risk/risk-engine");
    expect(endpointOf(clusterOf(risky, `outbound|443|${TRADES_PROXY_HOST}`))).toEqual({ socket_address: { address: "gateway.aws-eu.mesh.acme.example", port_value: 8443 } });
    expect(endpointOf(clusterOf(risky, "outbound|5432|risk-db-proxy.risk.svc.cluster.local"))).toEqual({ socket_address: { address: "gateway.dc-eu.mesh.acme.example", port_value: 8443 } });
    expect(endpointOf(clusterOf(risky, "outbound|443|customer-risk-proxy.risk.svc.cluster.local"))).toEqual({
      socket_address: { address: "customer-risk-proxy.risk.svc.cluster.local", port_value: 15006 },
    });
  });

  it("uses the gateway host a zone declares", () => {
    const declared: MeshSpec = { ...mesh, zones: mesh.zones.map((z) => (z.id === "gcp-eu" ? { ...z, gateway: { host: "east-west.gcp.acme.example", cidrs: ["10.40.0.0/28"] } } : z)) };
    const b = compileWorkloadProxy(buildMesh(declared, domains), "trading/order-api");
    expect(endpointOf(clusterOf(b, riskOut))).toEqual({ socket_address: { address: "east-west.gcp.acme.example", port_value: 8443 } });
    expect(upstreamTls(b, riskOut).sni).toBe(RISK_HOST);
  });

  it("speaks HTTP/2 upstream for gRPC destinations only", () => {
    expect(clusterOf(orderApi, matchingOut).typed_extension_protocol_options?.[HTTP2]).toMatchObject({ explicit_http_config: { http2_protocol_options: {} } });
    expect(clusterOf(orderApi, riskOut).typed_extension_protocol_options).toBeUndefined();
  });

  it("routes HTTP calls to the upstream's cluster, rewriting the host to the destination's own name, without authorizing them itself", () => {
    for (const [name, host, port, key] of [
      [matchingOut, MATCHING_HOST, 9090, "trading/matching"],
      [riskOut, RISK_HOST, 8080, "risk/risk-engine"],
    ] as const) {
      const hcm = hcmOf(orderApi, name);
      expect(hcm.route_config).toEqual({
        name,
        virtual_hosts: [{ name: key, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: name, host_rewrite_literal: `${host}:${port}` } }] }],
      });
      // The destination decides: no ext_authz or ALLOW RBAC on the way out.
      expect(hcm.http_filters.map((f) => f.name)).toEqual([ROUTER]);
      expect(hcm).toMatchObject({ use_remote_address: false, forward_client_cert_details: "SANITIZE", normalize_path: true });
      expect(hcm.access_log[0].typed_config.log_format.json_format["proxy"]).toBe("trading/order-api outbound");
    }
  });

  it("reaches data products over TCP: the product's port at the caller, the product proxy's mesh port (or its zone's gateway) beyond", () => {
    const b = compileWorkloadProxy(model, "trading/matching");
    const name = `outbound|443|${TRADES_PROXY_HOST}`;
    expect(b.static_resources.listeners.map((l) => l.name)).toEqual(["inbound", ...workloadUpstreams(model, "trading/matching").map((u) => `outbound|${u.port}|${u.host}`)]);
    expect(b.static_resources.listeners.map((l) => l.name)).toContain(name);
    const filters = chainOf(b, name).filters;
    expect(filters.map((f) => f.name)).toEqual(["envoy.filters.network.tcp_proxy"]);
    const tcp = filters[0].typed_config as TcpProxy;
    expect(tcp.cluster).toBe(name);
    expect(tcp.access_log[0].typed_config.log_format.json_format["proxy"]).toBe("trading/matching outbound");
    expect(listenerOf(b, name).address).toMatchObject({ socket_address: { port_value: 443 } });
    expect(endpointOf(clusterOf(b, name))).toEqual({ socket_address: { address: TRADES_PROXY_HOST, port_value: 15006 } });
    expect(upstreamTls(b, name).common_tls_context.combined_validation_context.default_validation_context.match_typed_subject_alt_names).toEqual([
      { san_type: "URI", matcher: { exact: id("trading", "trades-proxy") } },
    ]);
    expect(upstreamTls(b, name).sni).toBe(TRADES_PROXY_HOST);
  });

  describe("deny rules the caller's own domain declared about an upstream", () => {
    // trading denies its own order-api a path of risk-engine; risk also denies order-api a path (at its own door).
    const t: DomainSpec = {
      ...trading,
      intents: [...(trading.intents ?? []), { from: "order-api", to: "risk/risk-engine", methods: ["GET"], paths: ["/limits"] }],
      denyRules: [{ from: "order-api", to: "risk/risk-engine", paths: ["/limits/secret"], reason: "order-api keeps out of secret limits" }],
    };
    const r: DomainSpec = { ...risk, denyRules: [{ from: "trading/order-api", paths: ["/limits/internal"], reason: "internal limits are risk-only" }] };
    const full = buildMesh(mesh, [t, r, compliance]);
    const hosts = workloadUpstreams(full, "trading/order-api").find((u) => u.key === "risk/risk-engine")!.hostnames;

    it("are enforced on the way out, whatever name the application used for the upstream (its connection carries no certificate)", () => {
      const b = compileWorkloadProxy(full, "trading/order-api");
      expect(httpFiltersOf(b, riskOut).map((f) => f.name)).toEqual([RBAC_DENY, ROUTER]);
      expect(rulesOf(b, RBAC_DENY, riskOut)?.action).toBe("DENY");
      expect(Object.keys(rulesOf(b, RBAC_DENY, riskOut)!.policies)).toEqual(["trading#0"]);
      expect(validateEnvoyConfig(b)).toEqual([]);
      expect(hosts).toEqual([RISK_HOST, "risk-engine.risk.svc", "risk-engine.risk"]);
      for (const host of [...hosts, ...hosts.map((h) => `${h}:8080`)]) {
        // The application connects over loopback in plaintext: the outbound listener sees no peer certificate.
        const req = { listener: riskOut, host, method: "GET" };
        expect(rbacAllows(b, { ...req, path: "/limits/eu" }), host).toBe(true);
        expect(rbacAllows(b, { ...req, path: "/limits/secret/1" }), host).toBe(false);
      }
      // The other upstream's listener carries no deny filter.
      expect(httpFiltersOf(b, matchingOut).map((f) => f.name)).toEqual([ROUTER]);
    });

    it("and so are the mesh's rules about the caller", () => {
      const withMeshRule = buildMesh({ ...mesh, denyRules: [...(mesh.denyRules ?? []), { from: "trading/order-api", to: "risk/risk-engine", methods: ["GET"], paths: ["/limits/eu"], reason: "no EU limits" }] }, [t, r, compliance]);
      const b = compileWorkloadProxy(withMeshRule, "trading/order-api");
      expect(Object.keys(rulesOf(b, RBAC_DENY, riskOut)!.policies)).toEqual(["global#1", "trading#0"]);
      // The mesh rule on customer-risk is about everyone, but not about this upstream.
      expect(rulesOf(b, RBAC_DENY, matchingOut)).toBeUndefined();
      expect(rbacAllows(b, { listener: riskOut, host: "risk-engine.risk", method: "GET", path: "/limits/eu/today" })).toBe(false);
      expect(rbacAllows(b, { listener: riskOut, host: "risk-engine.risk", method: "GET", path: "/limits/us" })).toBe(true);
    });

    it("while the destination's own domain's rules stay at the destination", () => {
      const out = rulesOf(compileWorkloadProxy(full, "trading/order-api"), RBAC_DENY, riskOut)!;
      expect(Object.keys(out.policies)).not.toContain("risk#0");
      const atDestination = rulesOf(compileWorkloadProxy(full, "risk/risk-engine"), RBAC_DENY, "inbound")!;
      expect(Object.keys(atDestination.policies).sort()).toEqual(["risk#0", "trading#0"]);
    });

    it("even where the destination's stack never sees them (each domain's own view of the mesh)", () => {
      const tradingView = buildMesh(mesh, [t, r, compliance], { focus: "trading" });
      const riskView = buildMesh(mesh, [t, r, compliance], { focus: "risk" });
      expect(Object.keys(rulesOf(compileWorkloadProxy(riskView, "risk/risk-engine"), RBAC_DENY, "inbound")!.policies)).toEqual(["risk#0"]);
      const b = compileWorkloadProxy(tradingView, "trading/order-api");
      expect(Object.keys(rulesOf(b, RBAC_DENY, riskOut)!.policies)).toEqual(["trading#0"]);
      expect(rbacAllows(b, { listener: riskOut, host: "risk-engine.risk:8080", method: "GET", path: "/limits/secret" })).toBe(false);
    });
  });
});

describe("workloadUpstreams", () => {
  it("lists the upstreams a service may call or read, sorted by host then port, with their next hop", () => {
    const strip = (us: Upstream[]) => us.filter((u) => u.kind !== "egress").map(({ address: _a, ...u }) => u);
    expect(strip(workloadUpstreams(model, "trading/order-api"))).toEqual([
      {
        key: "trading/matching",
        kind: "service",
        host: MATCHING_HOST,
        port: 9090,
        protocol: "grpc",
        zone: "aws-eu",
        spiffeId: MATCHING,
        sni: MATCHING_HOST,
        hostnames: [MATCHING_HOST, "matching.trading.svc", "matching.trading", "matching"],
        via: { host: MATCHING_HOST, port: 15006, gateway: false },
      },
      {
        key: "risk/risk-engine",
        kind: "service",
        host: RISK_HOST,
        port: 8080,
        protocol: "http",
        zone: "gcp-eu",
        spiffeId: RISK_ENGINE,
        sni: RISK_HOST,
        hostnames: [RISK_HOST, "risk-engine.risk.svc", "risk-engine.risk"],
        via: { host: "gateway.gcp-eu.mesh.acme.example", port: 8443, gateway: true },
      },
    ]);
    // Data products: the proxy's host and identity beyond; object stores keep their own name at the caller, databases take the proxy's.
    expect(strip(workloadUpstreams(model, "risk/risk-engine")).map((u) => [u.key, u.kind, u.host, u.sni, u.port, u.protocol, u.spiffeId, u.hostnames, u.via])).toEqual([
      [
        "risk/customer-risk",
        "data",
        "customer-risk-proxy.risk.svc.cluster.local",
        "customer-risk-proxy.risk.svc.cluster.local",
        443,
        "tcp",
        id("risk", "customer-risk-proxy"),
        ["risk-customer-risk.storage.googleapis.com"],
        { host: "customer-risk-proxy.risk.svc.cluster.local", port: 15006, gateway: false },
      ],
      [
        "risk/risk-db",
        "data",
        "risk-db-proxy.risk.svc.cluster.local",
        "risk-db-proxy.risk.svc.cluster.local",
        5432,
        "tcp",
        id("risk", "risk-db-proxy"),
        ["risk-db-proxy.risk.svc.cluster.local", "risk-db-proxy.risk.svc", "risk-db-proxy.risk", "risk-db-proxy"],
        { host: "gateway.dc-eu.mesh.acme.example", port: 8443, gateway: true },
      ],
      [
        "trading/trades",
        "data",
        TRADES_PROXY_HOST,
        TRADES_PROXY_HOST,
        443,
        "tcp",
        id("trading", "trades-proxy"),
        ["trading-trades.s3.eu-west-1.amazonaws.com"],
        { host: "gateway.aws-eu.mesh.acme.example", port: 8443, gateway: true },
      ],
    ]);
    // Sorted by host: customer-risk-proxy.risk < findings-proxy.compliance < trades-proxy.trading.
    expect(strip(workloadUpstreams(model, "compliance/auditor")).map((u) => u.key)).toEqual(["risk/customer-risk", "compliance/findings", "trading/trades"]);
  });

  it("gives each upstream one loopback address (shared by its ports), distinct from every other upstream's", () => {
    for (const key of model.services.keys()) {
      const ups = workloadUpstreams(model, key);
      const byKey = new Map<string, Set<string>>();
      for (const u of ups) byKey.set(u.key, (byKey.get(u.key) ?? new Set()).add(u.address));
      for (const [k, addrs] of byKey) expect(addrs.size, k).toBe(1);
      const addresses = [...byKey.values()].map((s) => [...s][0]);
      expect(new Set(addresses).size).toBe(addresses.length);
      expect(addresses).toEqual([...byKey.keys()].map((k) => loopbackAddresses([...byKey.keys()]).get(k)));
    }
  });

  it("includes `*` grants, never the service itself, and no TCP-only port", () => {
    const r: DomainSpec = {
      ...risk,
      services: [...risk.services, { name: "raw", zone: "gcp-eu", ports: [{ port: 7000, protocol: "tcp" }] }],
      intents: [...(risk.intents ?? []), { from: "*", to: "risk-engine", methods: ["GET"], paths: ["/health"] }, { from: "risk-engine", to: "raw", methods: ["GET"], paths: ["/"] }],
    };
    const m = buildMesh(mesh, [trading, r, compliance]);
    expect(workloadUpstreams(m, "compliance/auditor").map((u) => u.key)).toContain("risk/risk-engine");
    expect(workloadUpstreams(m, "trading/matching").map((u) => u.key)).toContain("risk/risk-engine");
    expect(workloadUpstreams(m, "risk/risk-engine").map((u) => u.key)).not.toContain("risk/risk-engine");
    expect(workloadUpstreams(m, "risk/risk-engine").map((u) => u.key)).not.toContain("risk/raw");
  });

  it("includes an upstream the producer's domain granted, in the consumer's own view of the mesh", () => {
    // risk grants trading/order-api GET /limits on risk-engine (risk#0); trading's stack builds its view with focus "trading".
    const tradingView = buildMesh(mesh, domains, { focus: "trading" });
    expect(workloadUpstreams(tradingView, "trading/order-api").map((u) => u.key)).toEqual(workloadUpstreams(model, "trading/order-api").map((u) => u.key));
  });

  it("rejects an unknown service", () => {
    expect(() => workloadUpstreams(model, "risk/nothing")).toThrow(/workloadUpstreams: service "risk\/nothing" is not in the mesh/);
  });
});

describe("upstreamHostAliases", () => {
  it("maps each upstream's loopback address to its host names, one entry per address, sorted", () => {
    const ups = workloadUpstreams(model, "trading/order-api");
    const addr = (key: string): string => ups.find((u) => u.key === key)!.address;
    const expected = [
      { ip: addr("trading/matching"), hostnames: ["matching", "matching.trading", "matching.trading.svc", MATCHING_HOST] },
      { ip: addr("risk/risk-engine"), hostnames: ["risk-engine.risk", "risk-engine.risk.svc", RISK_HOST] },
    ].sort((a, b) => (a.ip < b.ip ? -1 : 1));
    expect(upstreamHostAliases(ups)).toEqual(expected);
    expect(upstreamHostAliases([])).toEqual([]);
  });

  it("merges the ports of one upstream into one entry", () => {
    const u: Upstream = { key: "a/b", kind: "service", host: "b.a.svc.cluster.local", sni: "b.a.svc.cluster.local", port: 80, protocol: "http", zone: "z", spiffeId: "spiffe://t/ns/a/sa/b", address: "127.1.2.3", hostnames: ["b.a", "b.a.svc.cluster.local"], via: { host: "b.a.svc.cluster.local", port: 15006, gateway: false } };
    expect(upstreamHostAliases([u, { ...u, port: 81, hostnames: ["b.a.svc", "b.a"] }])).toEqual([{ ip: "127.1.2.3", hostnames: ["b.a", "b.a.svc", "b.a.svc.cluster.local"] }]);
  });
});

describe("loopbackAddresses", () => {
  const ADDRESS = /^127\.(\d+)\.(\d+)\.(\d+)$/;
  const keys = fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 60 });

  it("gives every distinct key one address in 127.1-254.x.1-254, all distinct", () => {
    fc.assert(
      fc.property(keys, (ks) => {
        const out = loopbackAddresses(ks);
        expect([...out.keys()].sort()).toEqual([...new Set(ks)].sort());
        const values = [...out.values()];
        expect(new Set(values).size).toBe(values.length);
        for (const v of values) {
          const m = ADDRESS.exec(v);
          expect(m, v).not.toBeNull();
          const [a, b, c] = [Number(m![1]), Number(m![2]), Number(m![3])];
          expect(a >= 1 && a <= 254 && b >= 0 && b <= 255 && c >= 1 && c <= 254, v).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("is deterministic and independent of order and duplicates", () => {
    fc.assert(
      fc.property(keys, fc.integer(), (ks, seed) => {
        const shuffled = [...ks, ...ks.slice(0, 3)].sort((x, y) => ((x + seed).length % 3) - ((y + seed).length % 3) || (x < y ? 1 : -1));
        expect([...loopbackAddresses(shuffled)].sort()).toEqual([...loopbackAddresses(ks)].sort());
      }),
      { numRuns: 200 },
    );
  });

  it("keeps a key's address when keys sorted after it are added (only an earlier clash can move it)", () => {
    fc.assert(
      fc.property(keys, keys, (ks, more) => {
        const before = loopbackAddresses(ks);
        const after = loopbackAddresses([...ks, ...more]);
        const firstAdded = [...new Set(more)].filter((k) => !before.has(k)).sort()[0];
        for (const [k, v] of before) if (firstAdded === undefined || k < firstAdded) expect(after.get(k), k).toBe(v);
      }),
      { numRuns: 200 },
    );
  });

  it("moves the later of two clashing keys to another address", () => {
    const solo = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; i < 50_000 && !pair; i++) {
      const k = `svc-${i}`;
      const a = loopbackAddresses([k]).get(k)!;
      if (solo.has(a)) pair = [solo.get(a)!, k];
      solo.set(a, k);
    }
    expect(pair).toBeDefined();
    const [x, y] = pair!.sort();
    const both = loopbackAddresses([y, x]);
    expect(both.get(x)).toBe(loopbackAddresses([x]).get(x));
    expect(both.get(y)).not.toBe(both.get(x));
    expect(both.get(y)).toMatch(ADDRESS);
  });
});
