import { describe, expect, it } from "vitest";
import {
  compileGateway,
  gatewaySpiffeId,
  policyEngineAddress,
  rbacAllows,
  validateEnvoyConfig,
  type Cluster,
  type HttpExtAuthz,
} from "../../../components/compile/envoy";
import { buildMesh, type DomainSpec, type MeshModel } from "../../../components/model";
import { domains, mesh, risk, trading } from "../../fixtures/mesh";
import { chainOf, hcmOf, httpFiltersOf, principalNames, rulesOf } from "./helpers";

const model: MeshModel = buildMesh(mesh, domains);
const TD = "mesh.acme.example";
const ORDER_API = `spiffe://${TD}/ns/trading/sa/order-api`;
const RISK_ENGINE = `spiffe://${TD}/ns/risk/sa/risk-engine`;
const MATCHING_HOST = "matching.trading.svc.cluster.local";
const RISK_HOST = "risk-engine.risk.svc.cluster.local";

describe("compileGateway", () => {
  it("produces configs the Envoy protos accept, for every zone", () => {
    for (const z of model.zones) expect(validateEnvoyConfig(compileGateway(model, z.id)), z.id).toEqual([]);
  });

  it("derives the gateway identity and the policy engine address in one place", () => {
    expect(gatewaySpiffeId(TD, "aws-eu")).toBe(`spiffe://${TD}/ns/ztmesh-system/sa/aws-eu-gateway`);
    expect(policyEngineAddress("aws-eu")).toBe("aws-eu-policy-engine.ztmesh-system.svc.cluster.local:9191");
  });

  it("listens on 0.0.0.0:8443 with mTLS from SPIRE and binds admin to loopback", () => {
    const b = compileGateway(model, "aws-eu");
    expect(b.static_resources.listeners[0].address).toEqual({ socket_address: { address: "0.0.0.0", port_value: 8443 } });
    expect(b.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 9901 } });
    const tls = chainOf(b).transport_socket.typed_config;
    expect(tls.require_client_certificate).toBe(true);
    const ctx = tls.common_tls_context;
    expect(ctx.tls_params.tls_minimum_protocol_version).toBe("TLSv1_2");
    expect(ctx.tls_certificate_sds_secret_configs.map((s) => s.name)).toEqual([gatewaySpiffeId(TD, "aws-eu")]);
    expect(ctx.combined_validation_context.validation_context_sds_secret_config.name).toBe(`spiffe://${TD}`);
    expect(ctx.combined_validation_context.default_validation_context.match_typed_subject_alt_names).toEqual([
      { san_type: "URI", matcher: { prefix: `spiffe://${TD}/` } },
    ]);
    const sds = ctx.tls_certificate_sds_secret_configs[0].sds_config.api_config_source;
    expect(sds.grpc_services[0].envoy_grpc.cluster_name).toBe("spire_agent");
    const spire = b.static_resources.clusters.find((c) => c.name === "spire_agent")!;
    expect(spire.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).toEqual({ pipe: { path: "/run/spire/sockets/agent.sock" } });
  });

  it("orders the HTTP filters ext_authz, rbac, router", () => {
    const names = httpFiltersOf(compileGateway(model, "aws-eu")).map((f) => f.name);
    expect(names).toEqual(["envoy.filters.http.ext_authz", "envoy.filters.http.rbac", "envoy.filters.http.router"]);
  });

  it("fails closed on policy engine errors and passes the peer certificate", () => {
    const ext = httpFiltersOf(compileGateway(model, "aws-eu"))[0].typed_config as HttpExtAuthz;
    expect(ext.failure_mode_allow).toBe(false);
    expect(ext.include_peer_certificate).toBe(true);
    expect(ext.transport_api_version).toBe("V3");
    expect(ext.grpc_service).toEqual({ envoy_grpc: { cluster_name: "policy_engine" }, timeout: "0.250s" });
  });

  it("talks HTTP/2 to the policy engine at its default address", () => {
    const opa = compileGateway(model, "gcp-eu").static_resources.clusters.find((c) => c.name === "policy_engine")!;
    expect(opa.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).toEqual({
      socket_address: { address: "gcp-eu-policy-engine.ztmesh-system.svc.cluster.local", port_value: 9191 },
    });
    expect(opa.typed_extension_protocol_options?.["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]).toMatchObject({
      explicit_http_config: { http2_protocol_options: {} },
    });
  });

  it("applies options", () => {
    const b = compileGateway(model, "aws-eu", {
      policyEngineAddress: "opa.local",
      policyEnginePort: 9000,
      spireSocketPath: "/tmp/agent.sock",
      adminPort: 9000,
      listenerPort: 10443,
    });
    expect(b.static_resources.listeners[0].address).toEqual({ socket_address: { address: "0.0.0.0", port_value: 10443 } });
    expect(b.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 9000 } });
    const opa = b.static_resources.clusters.find((c) => c.name === "policy_engine")!;
    expect(opa.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).toEqual({ socket_address: { address: "opa.local", port_value: 9000 } });
  });

  it("routes each service of the zone to its own cluster (HTTP/2 for gRPC ports)", () => {
    const b = compileGateway(model, "aws-eu");
    expect(hcmOf(b).route_config.virtual_hosts.map((v) => [v.name, v.domains])).toEqual([
      ["trading/matching", [MATCHING_HOST, `${MATCHING_HOST}:9090`]],
      ["trading/order-api", ["order-api.trading.svc.cluster.local", "order-api.trading.svc.cluster.local:8080"]],
    ]);
    const byName = new Map<string, Cluster>(b.static_resources.clusters.map((c) => [c.name, c]));
    expect([...byName.keys()]).toEqual(["policy_engine", "spire_agent", "svc_trading_matching", "svc_trading_order-api"]);
    const matching = byName.get("svc_trading_matching")!;
    expect(matching.type).toBe("STRICT_DNS");
    expect(matching.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).toEqual({ socket_address: { address: MATCHING_HOST, port_value: 9090 } });
    expect(matching.typed_extension_protocol_options).toBeDefined();
    expect(byName.get("svc_trading_order-api")!.typed_extension_protocol_options).toBeUndefined();
  });

  it("logs every request as JSON with the required fields", () => {
    const log = hcmOf(compileGateway(model, "aws-eu")).access_log[0].typed_config;
    expect(log.path).toBe("/dev/stdout");
    expect(Object.values(log.log_format.json_format)).toEqual(
      expect.arrayContaining(["%START_TIME%", "%REQ(:METHOD)%", "%REQ(:AUTHORITY)%", "%RESPONSE_CODE%", "%RESPONSE_FLAGS%", "%DOWNSTREAM_PEER_URI_SAN%", "%UPSTREAM_HOST%", "%REQ(X-REQUEST-ID)%"]),
    );
  });

  it("compiles RBAC principals from exactly the intents to the zone's services", () => {
    expect(principalNames(rulesOf(compileGateway(model, "aws-eu"), "envoy.filters.http.rbac")!)).toEqual([ORDER_API]);
    expect(principalNames(rulesOf(compileGateway(model, "gcp-eu"), "envoy.filters.http.rbac")!)).toEqual([ORDER_API]);
    expect(Object.keys(rulesOf(compileGateway(model, "aws-eu"), "envoy.filters.http.rbac")!.policies)).toEqual(["trading/matching <- trading/order-api"]);
  });

  it("keeps RBAC present but empty (deny all) in zones no call intent reaches", () => {
    for (const zone of ["azure-eu", "dc-eu"]) {
      expect(rulesOf(compileGateway(model, zone), "envoy.filters.http.rbac"), zone).toEqual({ action: "ALLOW", policies: {} });
    }
  });

  it("allows exactly the declared method and path prefix", () => {
    const b = compileGateway(model, "aws-eu");
    const req = { principal: ORDER_API, host: MATCHING_HOST, method: "POST", path: "/orders" };
    expect(rbacAllows(b, req)).toBe(true);
    expect(rbacAllows(b, { ...req, path: "/orders/42?x=1" })).toBe(true);
    expect(rbacAllows(b, { ...req, host: `${MATCHING_HOST}:9090` })).toBe(true);
    expect(rbacAllows(b, { ...req, method: "GET" })).toBe(false);
    expect(rbacAllows(b, { ...req, path: "/admin" })).toBe(false);
    expect(rbacAllows(b, { ...req, principal: RISK_ENGINE })).toBe(false);
    expect(rbacAllows(b, { ...req, host: "order-api.trading.svc.cluster.local" })).toBe(false);
    expect(rbacAllows(b, { ...req, host: `${MATCHING_HOST}.evil.example` })).toBe(false);
    expect(rbacAllows(b, { ...req, principal: undefined })).toBe(false);
    expect(rbacAllows(b, { ...req, principal: "spiffe://other.example/ns/trading/sa/order-api" })).toBe(false);
  });

  it("does not let one source use another source's methods on the same service", () => {
    const t: DomainSpec = {
      ...trading,
      intents: [...(trading.intents ?? []), { from: "matching", to: "order-api", methods: ["DELETE"], paths: ["/orders"] }],
    };
    const r: DomainSpec = { ...risk, intents: [...(risk.intents ?? []), { from: "risk-engine", to: "trading/order-api", methods: ["GET"], paths: ["/quotes"] }] };
    const b = compileGateway(buildMesh(mesh, [t, r, domains[2]]), "aws-eu");
    const host = "order-api.trading.svc.cluster.local";
    expect(rbacAllows(b, { principal: RISK_ENGINE, host, method: "GET", path: "/quotes" })).toBe(true);
    expect(rbacAllows(b, { principal: RISK_ENGINE, host, method: "DELETE", path: "/orders" })).toBe(false);
    expect(rbacAllows(b, { principal: `spiffe://${TD}/ns/trading/sa/matching`, host, method: "DELETE", path: "/orders" })).toBe(true);
  });

  it("grants `*` intents to any workload of the trust domain", () => {
    const r: DomainSpec = { ...risk, intents: [...(risk.intents ?? []), { from: "*", to: "risk-engine", methods: ["GET"], paths: ["/health"] }] };
    const b = compileGateway(buildMesh(mesh, [trading, r, domains[2]]), "gcp-eu");
    expect(rbacAllows(b, { principal: `spiffe://${TD}/ns/x/sa/y`, host: RISK_HOST, method: "GET", path: "/health" })).toBe(true);
    expect(rbacAllows(b, { principal: `spiffe://${TD}/ns/x/sa/y`, host: RISK_HOST, method: "GET", path: "/limits" })).toBe(false);
  });

  it("compiles deny rules into a second RBAC filter with action DENY (deny overrides allow)", () => {
    const denied = buildMesh({ ...mesh, denyRules: [...(mesh.denyRules ?? []), { from: "trading/order-api", to: "risk/risk-engine", paths: ["/limits/secret"], reason: "test" }] }, domains);
    const b = compileGateway(denied, "gcp-eu");
    expect(httpFiltersOf(b).map((f) => f.name)).toEqual([
      "envoy.filters.http.ext_authz",
      "envoy.filters.http.rbac",
      "ztmesh.filters.http.rbac_deny",
      "envoy.filters.http.router",
    ]);
    expect(rulesOf(b, "ztmesh.filters.http.rbac_deny")?.action).toBe("DENY");
    expect(validateEnvoyConfig(b)).toEqual([]);
    const req = { principal: ORDER_API, host: RISK_HOST, method: "GET" };
    expect(rbacAllows(b, { ...req, path: "/limits" })).toBe(true);
    expect(rbacAllows(b, { ...req, path: "/limits/secret/1" })).toBe(false);
    // A deny rule on another zone's target leaves this zone's chain unchanged.
    expect(httpFiltersOf(compileGateway(denied, "aws-eu"))).toHaveLength(3);
  });

  it("rejects an unknown zone", () => {
    expect(() => compileGateway(model, "nowhere")).toThrow(/zone "nowhere"/);
  });
});
