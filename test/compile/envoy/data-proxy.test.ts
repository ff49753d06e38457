import { describe, expect, it } from "vitest";
import {
  MESH_PORT,
  compileDataProxy,
  dataProxyListenerPort,
  storeEndpoint,
  rbacAllows,
  validateEnvoyConfig,
  type NetworkExtAuthz,
  type TcpProxy,
  type UpstreamTlsContext,
} from "../../../components/compile/envoy";
import { buildMesh, type DomainSpec, type MeshModel } from "../../../components/model";
import { compliance, domains, mesh, risk, trading } from "../../fixtures/mesh";
import { chainOf, clusterOf, downstreamTlsOf, endpointOf, principalNames, rulesOf } from "./helpers";

const model: MeshModel = buildMesh(mesh, domains);
const TD = "mesh.acme.example";
const id = (ns: string, sa: string): string => `spiffe://${TD}/ns/${ns}/sa/${sa}`;
const filterNames = (m: MeshModel, key: string): string[] => chainOf(compileDataProxy(m, key)).filters.map((f) => f.name);

const withMysql: DomainSpec = {
  ...risk,
  dataProducts: [
    ...(risk.dataProducts ?? []),
    { name: "ledger", zone: "dc-eu", engine: "mysql", sensitivity: "low", owner: "risk-data@acme.example", residency: "eu", schemaVersion: "1.0.0" },
  ],
  intents: [...(risk.intents ?? []), { from: "risk-engine", data: "ledger" }],
};

describe("compileDataProxy", () => {
  it("produces configs the Envoy protos accept, for every product", () => {
    for (const key of model.dataProducts.keys()) expect(validateEnvoyConfig(compileDataProxy(model, key)), key).toEqual([]);
    expect(validateEnvoyConfig(compileDataProxy(buildMesh(mesh, [trading, withMysql, compliance]), "risk/ledger"))).toEqual([]);
  });

  it("orders the network filters ext_authz, rbac, protocol filter, tcp_proxy (last)", () => {
    expect(filterNames(model, "risk/risk-db")).toEqual([
      "envoy.filters.network.ext_authz",
      "envoy.filters.network.rbac",
      "envoy.filters.network.postgres_proxy",
      "envoy.filters.network.tcp_proxy",
    ]);
    expect(filterNames(buildMesh(mesh, [trading, withMysql, compliance]), "risk/ledger")).toEqual([
      "envoy.filters.network.ext_authz",
      "envoy.filters.network.rbac",
      "envoy.filters.network.mysql_proxy",
      "envoy.filters.network.tcp_proxy",
    ]);
    for (const key of ["trading/trades", "risk/customer-risk", "compliance/findings"]) {
      expect(filterNames(model, key), key).toEqual(["envoy.filters.network.ext_authz", "envoy.filters.network.rbac", "envoy.filters.network.tcp_proxy"]);
    }
  });

  it("presents the product proxy's identity and requires client certificates", () => {
    const b = compileDataProxy(model, "risk/risk-db");
    const tls = downstreamTlsOf(b);
    expect(tls.require_client_certificate).toBe(true);
    expect(tls.common_tls_context.tls_certificate_sds_secret_configs[0].name).toBe(id("risk", "risk-db-proxy"));
    expect(tls.common_tls_context.alpn_protocols).toEqual(["postgresql"]);
    // The mesh port, like every enforcement point (callers use the store port at their own proxy).
    expect(b.static_resources.listeners[0].address).toEqual({ socket_address: { address: "0.0.0.0", port_value: 15006 } });
    expect(dataProxyListenerPort(model.dataProducts.get("risk/risk-db")!)).toBe(MESH_PORT);
    expect(b.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 9901 } });
  });

  it("asks the zone's policy engine and fails closed", () => {
    const ext = chainOf(compileDataProxy(model, "risk/risk-db")).filters[0].typed_config as NetworkExtAuthz;
    expect(ext.failure_mode_allow).toBe(false);
    expect(ext.include_peer_certificate).toBe(true);
    expect(ext.grpc_service.envoy_grpc.cluster_name).toBe("policy_engine");
    const opa = compileDataProxy(model, "risk/risk-db").static_resources.clusters.find((c) => c.name === "policy_engine")!;
    expect(endpointOf(opa)).toEqual({
      socket_address: { address: "dc-eu-policy-engine.ztmesh-system.svc.cluster.local", port_value: 9191 },
    });
  });

  it("names its product's domain and key in its node metadata, which its ext_authz sends to OPA", () => {
    const b = compileDataProxy(model, "risk/risk-db");
    expect(b.node).toEqual({ id: "risk-risk-db-proxy", cluster: "risk-risk-db-proxy", metadata: { ztmesh: { domain: "risk", workload: "risk/risk-db" } } });
    const ext = chainOf(b).filters[0].typed_config as NetworkExtAuthz;
    expect(ext.bootstrap_metadata_labels_key).toBe("ztmesh");
    expect(b.node.metadata).toHaveProperty(ext.bootstrap_metadata_labels_key!);
    expect(compileDataProxy(model, "trading/trades").node.metadata).toEqual({ ztmesh: { domain: "trading", workload: "trading/trades" } });
  });

  it("admits exactly the sources of data intents to the product", () => {
    expect(principalNames(rulesOf(compileDataProxy(model, "trading/trades"), "envoy.filters.network.rbac")!)).toEqual([
      id("compliance", "auditor"),
      id("risk", "risk-engine"),
      id("trading", "matching"),
    ]);
    expect(principalNames(rulesOf(compileDataProxy(model, "risk/customer-risk"), "envoy.filters.network.rbac")!)).toEqual([
      id("compliance", "auditor"),
      id("risk", "risk-engine"),
    ]);
    const b = compileDataProxy(model, "risk/risk-db");
    expect(rbacAllows(b, { principal: id("risk", "risk-engine") })).toBe(true);
    expect(rbacAllows(b, { principal: id("trading", "order-api") })).toBe(false);
    expect(rbacAllows(b, {})).toBe(false);
  });

  it("denies everyone when no intent targets the product", () => {
    const noIntents: DomainSpec = { ...risk, intents: (risk.intents ?? []).filter((i) => !("data" in i && i.data === "risk-db")) };
    const b = compileDataProxy(buildMesh(mesh, [trading, noIntents, compliance]), "risk/risk-db");
    expect(rulesOf(b, "envoy.filters.network.rbac")).toEqual({ action: "ALLOW", policies: {} });
    expect(rbacAllows(b, { principal: id("risk", "risk-engine") })).toBe(false);
  });

  it("compiles whole-product deny rules into a DENY filter; method-scoped ones are left to the policy engine", () => {
    const denied = buildMesh({ ...mesh, denyRules: [...(mesh.denyRules ?? []), { from: "risk/risk-engine", to: "trading/trades", reason: "test" }] }, domains);
    const b = compileDataProxy(denied, "trading/trades");
    expect(chainOf(b).filters.map((f) => f.name)).toContain("ztmesh.filters.network.rbac_deny");
    expect(validateEnvoyConfig(b)).toEqual([]);
    expect(rbacAllows(b, { principal: id("risk", "risk-engine") })).toBe(false);
    expect(rbacAllows(b, { principal: id("trading", "matching") })).toBe(true);
    // The fixture's DELETE-only rule on risk/customer-risk is not visible at L4.
    expect(chainOf(compileDataProxy(model, "risk/customer-risk")).filters.map((f) => f.name)).not.toContain("ztmesh.filters.network.rbac_deny");
  });

  it("forwards object-store streams unopened: the consumer's own TLS runs end to end with the store", () => {
    const s3 = compileDataProxy(model, "trading/trades");
    const tcp = chainOf(s3).filters.at(-1)!.typed_config as TcpProxy;
    expect(tcp.cluster).toBe("store_trading_trades");
    expect(tcp.access_log[0].typed_config.log_format.json_format["downstream_peer_uri_san"]).toBe("%DOWNSTREAM_PEER_URI_SAN%");
    const store = clusterOf(s3, "store_trading_trades");
    expect(endpointOf(store)).toEqual({ socket_address: { address: "trading-trades.s3.eu-west-1.amazonaws.com", port_value: 443 } });
    expect(store.transport_socket).toBeUndefined();
    // One host per bucket (GCS virtual-hosted), so each maps to its own proxy at the consumer.
    expect(storeEndpoint(model, model.dataProducts.get("risk/customer-risk")!)).toEqual({ host: "risk-customer-risk.storage.googleapis.com", port: 443, tls: true });
    expect(endpointOf(clusterOf(compileDataProxy(model, "compliance/findings"), "store_compliance_findings"))).toEqual({
      socket_address: { address: "compliance-findings.blob.core.windows.net", port_value: 443 },
    });
  });

  it("requires TLS to a PostgreSQL store (STARTTLS after the SSLRequest), verified against the CAs and the store's name", () => {
    const b = compileDataProxy(model, "risk/risk-db");
    expect(validateEnvoyConfig(b)).toEqual([]);
    const pg = clusterOf(b, "store_risk_risk-db");
    expect(endpointOf(pg)).toEqual({ socket_address: { address: "risk-risk-db", port_value: 5432 } });
    expect(chainOf(b).filters.find((f) => f.name === "envoy.filters.network.postgres_proxy")?.typed_config["upstream_ssl"]).toBe("REQUIRE");
    expect(pg.transport_socket?.name).toBe("envoy.transport_sockets.starttls");
    const startTls = pg.transport_socket!.typed_config;
    expect(startTls["@type"]).toBe("type.googleapis.com/envoy.extensions.transport_sockets.starttls.v3.UpstreamStartTlsConfig");
    const tls = startTls["tls_socket_config"] as UpstreamTlsContext;
    expect(tls.sni).toBe("risk-risk-db");
    expect(tls.common_tls_context.tls_params.tls_minimum_protocol_version).toBe("TLSv1_2");
    expect(tls.common_tls_context.validation_context).toEqual({
      trusted_ca: { filename: "/etc/ssl/certs/ca-certificates.crt" },
      match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: "risk-risk-db" } }],
    });
    const custom = clusterOf(compileDataProxy(model, "risk/risk-db", { storeCaFile: "/etc/ztmesh/db-ca.pem", storeHost: "db.internal" }), "store_risk_risk-db");
    expect(endpointOf(custom)).toEqual({ socket_address: { address: "db.internal", port_value: 5432 } });
    const customTls = custom.transport_socket!.typed_config["tls_socket_config"] as UpstreamTlsContext;
    expect(customTls.common_tls_context.validation_context.trusted_ca.filename).toBe("/etc/ztmesh/db-ca.pem");
    expect(customTls.sni).toBe("db.internal");
  });

  it("speaks plaintext to a MySQL store only (Envoy's MySQL filter cannot originate TLS)", () => {
    const b = compileDataProxy(buildMesh(mesh, [trading, withMysql, compliance]), "risk/ledger");
    expect(validateEnvoyConfig(b)).toEqual([]);
    expect(clusterOf(b, "store_risk_ledger").transport_socket).toBeUndefined();
  });

  it("rejects an unknown product", () => {
    expect(() => compileDataProxy(model, "risk/nothing")).toThrow(/risk\/nothing/);
  });
});
