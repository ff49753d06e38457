/**
 * The zone's egress gateway (cloud token endpoints by SNI, mTLS, OPA per caller and target) and
 * the egress targets behind it: which workload needs which endpoint, and that its proxy, the
 * gateway and OPA agree on it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { egressServerName, meshEgressTargets, tokenTargets, workloadEgressTargets } from "../../../components/compile/egress-targets";
import {
  compileEgressGateway,
  compileWorkloadProxy,
  egressClusterName,
  egressGatewayHost,
  egressGatewaySpiffeId,
  rbacAllows,
  toYaml,
  validateEnvoyConfig,
  type MeshUpstreamTlsContext,
  type NetworkExtAuthz,
  type TcpProxy,
} from "../../../components/compile/envoy";
import { compileOpaBundles, dataTree, decide } from "../../../components/compile/opa";
import { buildMesh, type DomainSpec, type MeshModel, type Zone } from "../../../components/model";
import { arbMesh } from "../../fixtures/arbitraries";
import { compliance, domains, mesh, risk, trading } from "../../fixtures/mesh";
import { clusterOf, endpointOf, listenerOf } from "./helpers";

const model: MeshModel = buildMesh(mesh, domains);
const TD = "mesh.acme.example";
const FIXTURE_TARGETS = ["aws-sts", "aws-sts-eu-west-1", "azure-login", "gcp-sts"];

/** Envoy's server_names match: exact, or `*.suffix` for any name ending in `.suffix`. */
const serverNameMatches = (pattern: string, sni: string): boolean => (pattern.startsWith("*.") ? sni.endsWith(pattern.slice(1)) : pattern === sni);

describe("egress targets", () => {
  it("names each cloud's token endpoints: AWS STS global and per region (China partition too), Entra ID, Google STS", () => {
    const zone = (id: string, region: string, partition?: "aws" | "aws-cn"): Zone => ({ id, cloud: "aws", region, failureZones: ["a"], aws: { accountId: "123456789012", ...(partition ? { partition } : {}) } });
    expect(tokenTargets("aws", [zone("a", "eu-west-1"), zone("b", "cn-north-1", "aws-cn")])).toEqual([
      { id: "aws-sts", host: "sts.amazonaws.com", cloud: "aws" },
      { id: "aws-sts-cn-north-1", host: "sts.cn-north-1.amazonaws.com.cn", cloud: "aws" },
      { id: "aws-sts-eu-west-1", host: "sts.eu-west-1.amazonaws.com", cloud: "aws" },
    ]);
    expect(tokenTargets("azure", [])).toEqual([{ id: "azure-login", host: "login.microsoftonline.com", cloud: "azure" }]);
    expect(tokenTargets("gcp", [])).toEqual([{ id: "gcp-sts", host: "sts.googleapis.com", cloud: "gcp" }]);
  });

  it("serves every token endpoint of the mesh's clouds", () => {
    expect(meshEgressTargets(model).map((t) => t.id)).toEqual(FIXTURE_TARGETS);
    const onprem = buildMesh({ trustDomain: TD, zones: [mesh.zones[3]] }, []);
    expect(meshEgressTargets(onprem)).toEqual([]);
  });

  it("gives a workload the endpoints of the clouds of the object stores it reads or writes, and nothing for databases", () => {
    expect(workloadEgressTargets(model, "trading/matching").map((t) => t.id)).toEqual(["aws-sts", "aws-sts-eu-west-1"]);
    expect(workloadEgressTargets(model, "risk/risk-engine").map((t) => t.id)).toEqual(["aws-sts", "aws-sts-eu-west-1", "gcp-sts"]);
    expect(workloadEgressTargets(model, "compliance/auditor").map((t) => t.id)).toEqual(FIXTURE_TARGETS);
    expect(workloadEgressTargets(model, "trading/order-api")).toEqual([]);
    // A `*` data intent on an object store counts for every workload.
    const t: DomainSpec = {
      ...trading,
      dataProducts: [...(trading.dataProducts ?? []), { name: "public", zone: "aws-eu", engine: "s3", sensitivity: "low", owner: "t@acme.example", residency: "eu", schemaVersion: "1.0.0" }],
      intents: [...(trading.intents ?? []), { from: "*", data: "public" }],
    };
    expect(workloadEgressTargets(buildMesh(mesh, [t, risk, compliance]), "trading/order-api").map((x) => x.id)).toEqual(["aws-sts", "aws-sts-eu-west-1"]);
  });

  it("names a target in SNI as <domain>.<target>.egress.<trust domain>", () => {
    expect(egressServerName("trading", "aws-sts", TD)).toBe("trading.aws-sts.egress.mesh.acme.example");
  });
});

describe("compileEgressGateway", () => {
  it("produces configs the Envoy protos accept, for every zone, also after a YAML round trip", () => {
    for (const z of model.zones) {
      const b = compileEgressGateway(model, z.id);
      expect(validateEnvoyConfig(b), z.id).toEqual([]);
      expect(validateEnvoyConfig(parse(toYaml(b))), z.id).toEqual([]);
    }
  });

  it("tells OPA it is an egress gateway (no destination domain)", () => {
    expect(compileEgressGateway(model, "aws-eu").node).toEqual({
      id: "aws-eu-egress",
      cluster: "aws-eu-egress",
      metadata: { ztmesh: { domain: "", workload: "egress/aws-eu", kind: "egress" } },
    });
  });

  it("listens on the mesh port with the TLS inspector, one chain per token endpoint, by SNI; nothing else has a chain", () => {
    const l = listenerOf(compileEgressGateway(model, "aws-eu"));
    expect(l.name).toBe("aws-eu-egress");
    expect(l.address).toEqual({ socket_address: { address: "0.0.0.0", port_value: 15006 } });
    expect(l.listener_filters?.map((f) => f.name)).toEqual(["envoy.filters.listener.tls_inspector"]);
    expect(l.filter_chains.map((c) => c.filter_chain_match?.server_names)).toEqual(FIXTURE_TARGETS.map((id) => [`*.${id}.egress.${TD}`]));
    expect(l).not.toHaveProperty("default_filter_chain");
    expect(l.access_log?.[0].typed_config.log_format.json_format["requested_server_name"]).toBe("%REQUESTED_SERVER_NAME%");
  });

  it("verifies the caller's SVID, asks OPA with the TLS session (fail closed), admits only its trust domain, then forwards the unopened stream on 443", () => {
    const b = compileEgressGateway(model, "gcp-eu");
    for (const [i, id] of FIXTURE_TARGETS.entries()) {
      const chain = listenerOf(b).filter_chains[i];
      const tls = chain.transport_socket!.typed_config;
      expect(tls.require_client_certificate).toBe(true);
      expect(tls.common_tls_context.tls_certificate_sds_secret_configs.map((s) => s.name)).toEqual([egressGatewaySpiffeId(TD, "gcp-eu")]);
      expect(tls.common_tls_context.combined_validation_context.default_validation_context.match_typed_subject_alt_names).toEqual([{ san_type: "URI", matcher: { prefix: `spiffe://${TD}/` } }]);
      expect(chain.filters.map((f) => f.name)).toEqual(["envoy.filters.network.ext_authz", "envoy.filters.network.rbac", "envoy.filters.network.tcp_proxy"]);
      const ext = chain.filters[0].typed_config as NetworkExtAuthz;
      expect(ext).toMatchObject({ failure_mode_allow: false, include_peer_certificate: true, include_tls_session: true, bootstrap_metadata_labels_key: "ztmesh" });
      expect(ext.grpc_service.envoy_grpc.cluster_name).toBe("policy_engine");
      expect((chain.filters[2].typed_config as TcpProxy).cluster).toBe(egressClusterName(id));
      const cluster = clusterOf(b, egressClusterName(id));
      expect(endpointOf(cluster)).toEqual({ socket_address: { address: meshEgressTargets(model)[i].host, port_value: 443 } });
      expect(cluster.transport_socket).toBeUndefined();
    }
    expect(endpointOf(clusterOf(b, "policy_engine"))).toEqual({ socket_address: { address: "gcp-eu-policy-engine.ztmesh-system.svc.cluster.local", port_value: 9191 } });
    expect(rbacAllows(b, { principal: `spiffe://${TD}/ns/any/sa/workload` })).toBe(true);
    expect(rbacAllows(b, { principal: "spiffe://other.example/ns/any/sa/workload" })).toBe(false);
    expect(rbacAllows(b, {})).toBe(false);
  });

  it("carries nothing of the domains: the same without them", () => {
    const bare = buildMesh({ ...mesh, denyRules: [] }, []);
    for (const z of model.zones) expect(toYaml(compileEgressGateway(bare, z.id)), z.id).toBe(toYaml(compileEgressGateway(model, z.id)));
  });

  it("rejects an unknown zone, naming the zones", () => {
    expect(() => compileEgressGateway(model, "nowhere")).toThrow('compileEgressGateway: zone "nowhere" is not in the mesh (zones: aws-eu, gcp-eu, azure-eu, dc-eu)');
  });
});

describe("egress end to end over generated meshes", () => {
  it("a workload's proxy, its zone's egress gateway and OPA agree: exactly its own targets, under its own domain", () => {
    fc.assert(
      fc.property(arbMesh(), ({ mesh: m, domains: d }) => {
        const generated = buildMesh(m, d);
        const all = meshEgressTargets(generated);
        for (const zone of generated.zones) {
          const gateway = compileEgressGateway(generated, zone.id);
          const chains = listenerOf(gateway).filter_chains;
          const data = dataTree(compileOpaBundles(generated, zone.id, { policyModules: {} }));
          const at = { principal: egressGatewaySpiffeId(generated.trustDomain, zone.id), labels: { domain: "", workload: `egress/${zone.id}`, kind: "egress" } };
          for (const svc of [...generated.services.values()].filter((s) => s.zone === zone.id)) {
            const own = new Set(workloadEgressTargets(generated, svc.key).map((t) => t.id));
            const proxy = compileWorkloadProxy(generated, svc.key);
            for (const t of all) {
              const sni = egressServerName(svc.domain, t.id, generated.trustDomain);
              // The gateway takes the connection by exactly one chain, the target's.
              const taking = chains.filter((c) => (c.filter_chain_match?.server_names ?? []).some((p) => serverNameMatches(p, sni)));
              expect(taking.map((c) => (c.filters[2].typed_config as TcpProxy).cluster)).toEqual([egressClusterName(t.id)]);
              const input = { attributes: { source: { principal: svc.spiffeId }, destination: at, tls_session: { sni } } };
              expect(decide(data, input).allow, `${svc.key} -> ${t.id}`).toBe(own.has(t.id));
              // Naming another domain gets nothing.
              const other = generated.domains.find((x) => x.name !== svc.domain);
              if (other) expect(decide(data, { ...input, attributes: { ...input.attributes, tls_session: { sni: egressServerName(other.name, t.id, generated.trustDomain) } } }).allow).toBe(false);
              // The proxy tunnels the application's TLS to this zone's gateway, naming its domain and the target.
              const name = `outbound|443|${t.host}`;
              const listener = proxy.static_resources.listeners.find((l) => l.name === name);
              expect(listener !== undefined, `${svc.key} ${name}`).toBe(own.has(t.id));
              if (listener) {
                const c = clusterOf(proxy, name);
                expect(endpointOf(c)).toEqual({ socket_address: { address: egressGatewayHost(zone.id), port_value: 15006 } });
                expect((c.transport_socket!.typed_config as MeshUpstreamTlsContext).sni).toBe(sni);
              }
            }
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
