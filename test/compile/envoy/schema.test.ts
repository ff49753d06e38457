import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compileDataProxy, compileGateway, compileWorkloadProxy, toYaml, validateEnvoyConfig } from "../../../components/compile/envoy";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const model = buildMesh(mesh, domains);
/** A fresh JSON copy of matching's workload proxy (its inbound listener comes first: HCM, ext_authz, RBAC, mTLS). */
const proxy = (): Record<string, unknown> => JSON.parse(JSON.stringify(compileWorkloadProxy(model, "trading/matching"))) as Record<string, unknown>;
/** Sets `value` at `path` (keys and indexes) inside a JSON value, in place; returns the root. */
function setAt<T>(root: T, path: (string | number)[], value: unknown): T {
  let node = root as unknown as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
  return root;
}
const HCM_PATH = ["static_resources", "listeners", 0, "filter_chains", 0, "filters", 0, "typed_config"];
const TLS_PATH = ["static_resources", "listeners", 0, "filter_chains", 0, "transport_socket", "typed_config"];
const HCM = "$.static_resources.listeners[0].filter_chains[0].filters[0].typed_config";

describe("validateEnvoyConfig", () => {
  it("accepts the compiled gateway, workload proxy and data proxy, also after a YAML round trip", () => {
    expect(validateEnvoyConfig(compileGateway(model, "aws-eu"))).toEqual([]);
    expect(validateEnvoyConfig(parse(toYaml(compileGateway(model, "aws-eu"))))).toEqual([]);
    expect(validateEnvoyConfig(compileWorkloadProxy(model, "trading/order-api"))).toEqual([]);
    expect(validateEnvoyConfig(parse(toYaml(compileWorkloadProxy(model, "trading/order-api"))))).toEqual([]);
    expect(validateEnvoyConfig(parse(toYaml(compileDataProxy(model, "risk/risk-db"))))).toEqual([]);
  });

  it("serializes to YAML that parses back to the same object, quoting pseudo-headers", () => {
    const b = compileWorkloadProxy(model, "trading/matching");
    const text = toYaml(b);
    expect(parse(text)).toEqual(JSON.parse(JSON.stringify(b)));
    expect(text).toContain('name: ":authority"');
    expect(text).toContain('name: ":method"');
  });

  it("reports an unknown field with its path", () => {
    const g = setAt(proxy(), [...HCM_PATH, "http_filters", 1, "typed_config", "rules", "polices"], {});
    expect(validateEnvoyConfig(g)).toEqual([`${HCM}.http_filters[1].typed_config.rules.polices: unknown field of envoy.config.rbac.v3.RBAC`]);
    const top = { ...proxy(), statics: {} };
    expect(validateEnvoyConfig(top)).toEqual(["$.statics: unknown field of envoy.config.bootstrap.v3.Bootstrap"]);
  });

  it("reports a wrong scalar type (string where bool)", () => {
    const g = setAt(proxy(), [...TLS_PATH, "require_client_certificate"], "true");
    expect(validateEnvoyConfig(g)).toEqual([
      "$.static_resources.listeners[0].filter_chains[0].transport_socket.typed_config.require_client_certificate: expected bool, got string",
    ]);
  });

  it("reports an unknown enum value", () => {
    const g = setAt(proxy(), [...HCM_PATH, "http_filters", 1, "typed_config", "rules", "action"], "ALOW");
    const errors = validateEnvoyConfig(g);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${HCM.replace(/[$.[\]]/g, "\\$&")}\\.http_filters\\[1\\]\\.typed_config\\.rules\\.action: unknown Action value "ALOW"`));
  });

  it("reports an unknown @type URL", () => {
    const url = "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuth";
    const g = setAt(proxy(), [...HCM_PATH, "http_filters", 0, "typed_config", "@type"], url);
    expect(validateEnvoyConfig(g)).toEqual([
      `${HCM}.http_filters[0].typed_config["@type"]: unknown type URL "${url}"`,
    ]);
  });

  it("checks durations, integer ranges, lists and oneofs", () => {
    const g = proxy();
    setAt(g, ["static_resources", "clusters", 0, "connect_timeout"], "250ms");
    setAt(g, ["admin", "address", "socket_address", "port_value"], 70000.5);
    setAt(g, ["static_resources", "listeners", 0, "filter_chains"], {});
    setAt(g, ["admin", "address", "pipe"], { path: "/x" });
    expect(validateEnvoyConfig(g)).toEqual([
      "$.admin.address.socket_address.port_value: expected uint32, got number 70000.5",
      "$.admin.address: oneof address has more than one member set (socket_address, pipe)",
      "$.static_resources.listeners[0].filter_chains: expected a list, got object",
      '$.static_resources.clusters[0].connect_timeout: expected a duration such as "0.25s", got "250ms"',
    ]);
  });

  it("accepts lowerCamelCase names, wrappers as scalars, Struct and numeric strings", () => {
    const cfg = {
      staticResources: {
        clusters: [
          {
            name: "c",
            connectTimeout: "1s",
            perConnectionBufferLimitBytes: 1024,
            metadata: { filterMetadata: { anything: { nested: [1, "x", { y: null }] } } },
            loadAssignment: { clusterName: "c", endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: "h", portValue: "80" } } } }] }] },
          },
        ],
      },
    };
    expect(validateEnvoyConfig(cfg)).toEqual([]);
    expect(validateEnvoyConfig({ static_resources: { clusters: [{ name: "c", per_connection_buffer_limit_bytes: true }] } })).toEqual([
      "$.static_resources.clusters[0].per_connection_buffer_limit_bytes: expected uint32, got boolean",
    ]);
  });

  it("validates against another message type on request, and rejects unknown types", () => {
    expect(validateEnvoyConfig({ stat_prefix: "x", cluster: "c" }, "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy")).toEqual([]);
    expect(validateEnvoyConfig({ stat_prefix: "x", clusters: "c" }, "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy")).toHaveLength(1);
    expect(validateEnvoyConfig({}, "envoy.Nope")).toEqual(["$: unknown message type envoy.Nope"]);
  });

  it("validates the contrib postgres filter declared locally", () => {
    const type = "envoy.extensions.filters.network.postgres_proxy.v3alpha.PostgresProxy";
    expect(validateEnvoyConfig({ stat_prefix: "pg", enable_sql_parsing: false, upstream_ssl: "REQUIRE" }, type)).toEqual([]);
    expect(validateEnvoyConfig({ stat_prefix: "pg", upstream_ssl: "SOMETIMES" }, type)).toHaveLength(1);
    // downstream_ssl (with ALLOW) replaced the deprecated terminate_ssl.
    expect(validateEnvoyConfig({ stat_prefix: "pg", downstream_ssl: "ALLOW", upstream_ssl: "REQUIRE" }, type)).toEqual([]);
    expect(validateEnvoyConfig({ stat_prefix: "pg", downstreamSsl: "REQUIRE" }, type)).toEqual([]);
    expect(validateEnvoyConfig({ stat_prefix: "pg", downstream_tls: "REQUIRE" }, type)).toHaveLength(1);
  });
});
