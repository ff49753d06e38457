import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  GATEWAY_PORT,
  MESH_PORT,
  compileGateway,
  gatewaySpiffeId,
  passthroughCluster,
  passthroughListener,
  policyEngineAddress,
  toYaml,
  validateEnvoyConfig,
  type EnvoyBootstrap,
  type TcpProxy,
} from "../../../components/compile/envoy";
import { buildMesh, type MeshModel } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";
import { chainOf, clusterOf, listenerOf } from "./helpers";

const model: MeshModel = buildMesh(mesh, domains);
/** The same zones, without a single domain, intent or deny rule. */
const bare: MeshModel = buildMesh({ ...mesh, denyRules: [] }, []);
const TD = "mesh.acme.example";
const SNI_DFP = "envoy.filters.network.sni_dynamic_forward_proxy";
const TCP_PROXY = "envoy.filters.network.tcp_proxy";
const T = "type.googleapis.com/";

/** The gateway's config as JSON text with its zone's name replaced. */
const zoneFree = (b: EnvoyBootstrap, zone: string): string => JSON.stringify(b).split(zone).join("<zone>");

describe("compileGateway (SNI passthrough)", () => {
  it("produces configs the Envoy protos accept, for every zone, also after a YAML round trip", () => {
    for (const z of model.zones) {
      const b = compileGateway(model, z.id);
      expect(validateEnvoyConfig(b), z.id).toEqual([]);
      expect(validateEnvoyConfig(parse(toYaml(b))), z.id).toEqual([]);
      expect(parse(toYaml(b))).toEqual(JSON.parse(JSON.stringify(b)));
    }
  });

  it("derives the gateway identity and the policy engine address in one place", () => {
    expect(gatewaySpiffeId(TD, "aws-eu")).toBe(`spiffe://${TD}/ns/ztmesh-system/sa/aws-eu-gateway`);
    expect(policyEngineAddress("aws-eu")).toBe("aws-eu-policy-engine.ztmesh-system.svc.cluster.local:9191");
  });

  it("listens on 0.0.0.0:8443 with the TLS inspector and binds admin to loopback", () => {
    const b = compileGateway(model, "aws-eu");
    expect(GATEWAY_PORT).toBe(8443);
    expect(b.static_resources.listeners).toHaveLength(1);
    const l = listenerOf(b);
    expect(l.name).toBe("aws-eu-gateway");
    expect(l.address).toEqual({ socket_address: { address: "0.0.0.0", port_value: 8443 } });
    expect(l.listener_filters).toEqual([
      { name: "envoy.filters.listener.tls_inspector", typed_config: { "@type": `${T}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector` } },
    ]);
    expect(b.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 9901 } });
    expect(b.node).toEqual({ id: "aws-eu-gateway", cluster: "aws-eu-gateway" });
  });

  it("takes only connections whose SNI is an in-cluster Service host; anything else matches no chain", () => {
    const l = listenerOf(compileGateway(model, "aws-eu"));
    expect(l.filter_chains).toHaveLength(1);
    expect(l.filter_chains[0].filter_chain_match).toEqual({ server_names: ["*.svc.cluster.local"] });
    // No catch-all: a connection with another SNI, or none, is closed.
    expect(l).not.toHaveProperty("default_filter_chain");
    for (const chain of l.filter_chains) expect(chain.filter_chain_match?.server_names?.length).toBeGreaterThan(0);
  });

  it("does not terminate TLS: no transport socket, no certificate, no SPIFFE identity of its own", () => {
    const b = compileGateway(model, "aws-eu");
    expect(chainOf(b).transport_socket).toBeUndefined();
    const text = JSON.stringify(b);
    expect(text).not.toContain("spiffe://");
    expect(text).not.toContain("transport_socket");
    expect(text).not.toContain("spire_agent");
  });

  it("forwards by SNI to that host on the mesh port, through the dynamic forward proxy cluster", () => {
    const b = compileGateway(model, "aws-eu");
    const filters = chainOf(b).filters;
    expect(filters.map((f) => f.name)).toEqual([SNI_DFP, TCP_PROXY]);
    const sni = filters[0].typed_config;
    expect(sni["@type"]).toBe(`${T}envoy.extensions.filters.network.sni_dynamic_forward_proxy.v3.FilterConfig`);
    expect(sni["port_value"]).toBe(MESH_PORT);
    expect(MESH_PORT).toBe(15006);
    const tcp = filters[1].typed_config as TcpProxy;
    expect(tcp.cluster).toBe("sni_passthrough");

    expect(b.static_resources.clusters.map((c) => c.name)).toEqual(["sni_passthrough"]);
    const dfp = clusterOf(b, "sni_passthrough");
    expect(dfp.lb_policy).toBe("CLUSTER_PROVIDED");
    expect(dfp.type).toBeUndefined();
    expect(dfp.load_assignment).toBeUndefined();
    expect(dfp.transport_socket).toBeUndefined();
    expect(dfp.cluster_type?.name).toBe("envoy.clusters.dynamic_forward_proxy");
    expect(dfp.cluster_type?.typed_config["@type"]).toBe(`${T}envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig`);
    // The filter and the cluster must share one DNS cache (Envoy refuses two configs of one name).
    expect(dfp.cluster_type?.typed_config["dns_cache_config"]).toEqual(sni["dns_cache_config"]);
    expect(sni["dns_cache_config"]).toMatchObject({ name: "sni_passthrough_dns", dns_lookup_family: "V4_ONLY" });
  });

  it("holds no HTTP, RBAC, ext_authz or policy engine configuration", () => {
    const text = JSON.stringify(compileGateway(model, "aws-eu"));
    for (const word of ["http_connection_manager", "rbac", "ext_authz", "policy_engine", "route_config"]) expect(text, word).not.toContain(word);
  });

  it("logs every connection as JSON, with the requested SNI, also those no chain takes", () => {
    const b = compileGateway(model, "aws-eu");
    const tcp = chainOf(b).filters[1].typed_config as TcpProxy;
    const listenerLog = listenerOf(b).access_log;
    expect(listenerLog).toBeDefined();
    for (const log of [tcp.access_log[0], listenerLog![0]]) {
      expect(log.name).toBe("envoy.access_loggers.file");
      expect(log.typed_config.path).toBe("/dev/stdout");
      expect(log.typed_config.log_format.json_format).toMatchObject({
        proxy: "aws-eu-gateway",
        requested_server_name: "%REQUESTED_SERVER_NAME%",
        downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
        upstream_host: "%UPSTREAM_HOST%",
        response_flags: "%RESPONSE_FLAGS%",
        start_time: "%START_TIME%",
        bytes_sent: "%BYTES_SENT%",
      });
    }
  });

  it("applies options", () => {
    const b = compileGateway(model, "aws-eu", { adminPort: 9000, listenerPort: 10443 });
    expect(listenerOf(b).address).toEqual({ socket_address: { address: "0.0.0.0", port_value: 10443 } });
    expect(b.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 9000 } });
  });

  it("is built from the exported listener and cluster", () => {
    const b = compileGateway(model, "gcp-eu");
    expect(b.static_resources.listeners).toEqual([passthroughListener("gcp-eu-gateway", GATEWAY_PORT)]);
    expect(b.static_resources.clusters).toEqual([passthroughCluster()]);
  });

  it("carries no per-domain configuration: the same without any domain, and the same in every zone but for its name", () => {
    for (const z of model.zones) expect(toYaml(compileGateway(model, z.id)), z.id).toBe(toYaml(compileGateway(bare, z.id)));
    const reference = zoneFree(compileGateway(model, "aws-eu"), "aws-eu");
    for (const z of model.zones) expect(zoneFree(compileGateway(model, z.id), z.id), z.id).toBe(reference);
  });

  it("rejects an unknown zone", () => {
    expect(() => compileGateway(model, "nowhere")).toThrow(/zone "nowhere"/);
  });
});
