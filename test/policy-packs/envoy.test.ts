import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileDataProxy, compileGateway, toYaml } from "../../components/compile/envoy";
import { buildMesh } from "../../components/model";
import { domains, mesh } from "../fixtures/mesh";
import { PackSession, UNKNOWN, res } from "../helpers/policy-inprocess";
import { messages } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

const ENVOY_POLICIES = ["envoy-mtls-required", "envoy-ext-authz-fail-closed", "envoy-rbac-default-deny", "envoy-minimum-tls-version"];
type Obj = Record<string, unknown>;

const tls = (extra: Obj = {}): Obj => ({
  name: "envoy.transport_sockets.tls",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
    require_client_certificate: true,
    common_tls_context: { tls_params: { tls_minimum_protocol_version: "TLSv1_2" } },
    ...extra,
  },
});
const extAuthz = (extra: Obj = {}): Obj => ({
  name: "envoy.filters.http.ext_authz",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz", failure_mode_allow: false, ...extra },
});
const rbac = (config: Obj = { rules: { action: "ALLOW", policies: {} } }): Obj => ({
  name: "envoy.filters.http.rbac",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC", ...config },
});
const router: Obj = { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } };

/** A minimal mesh bootstrap: one listener, HCM with ext_authz, RBAC, router. */
function bootstrap(httpFilters: Obj[] = [extAuthz(), rbac(), router], socket: Obj | null = tls()): Obj {
  return {
    static_resources: {
      listeners: [
        {
          name: "ingress",
          filter_chains: [
            {
              ...(socket ? { transport_socket: socket } : {}),
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    http_filters: httpFilters,
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
}

const cm = (data: Record<string, string>, labels: Obj = { "ztmesh.io/role": "envoy" }) =>
  res("kubernetes:core/v1:ConfigMap", "envoy", { metadata: { name: "envoy", namespace: "ztmesh-system", labels }, data });
const yamlCm = (b: Obj) => cm({ "envoy.yaml": toYaml(b) });
const allEnvoy = async (resources: ReturnType<typeof res>[], config = {}) =>
  (await pack.run(resources, { config })).filter((v) => ENVOY_POLICIES.includes(v.policy));

describe("envoy policies", () => {
  it("pass the compiler's gateway and data proxy configs", async () => {
    const model = buildMesh(mesh, domains);
    const configs = [
      ...model.zones.map((z) => compileGateway(model, z.id)),
      ...[...model.dataProducts.keys()].map((k) => compileDataProxy(model, k)),
    ];
    expect(configs.length).toBeGreaterThan(1);
    const v = await allEnvoy(configs.map((c, i) => ({ ...cm({ "envoy.yaml": toYaml(c) }), name: `envoy-${i}` })));
    expect(v).toEqual([]);
  });

  it("judge network (L4) filter chains of data proxies too", async () => {
    const model = buildMesh(mesh, domains);
    const proxy = JSON.parse(JSON.stringify(compileDataProxy(model, [...model.dataProducts.keys()][0]))) as Obj;
    const strip = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.filter((f) => !String((f as Obj | null)?.name ?? "").includes("ext_authz")).map(strip)
        : typeof v === "object" && v !== null
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]))
          : v;
    const v = await pack.violationsOf("envoy-ext-authz-fail-closed", [cm({ "envoy.yaml": toYaml(strip(proxy) as Obj) })]);
    expect(messages(v).length).toBeGreaterThan(0);
    expect(messages(v)[0]).toMatch(/has no ext_authz filter before the router\/tcp_proxy/);
  });

  it("pass a minimal compliant bootstrap in YAML, JSON and camelCase", async () => {
    const camelKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(camelKeys)
        : typeof v === "object" && v !== null
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), camelKeys(x)]))
          : v;
    const camel = JSON.stringify(camelKeys(bootstrap()));
    expect(camel).toContain("requireClientCertificate");
    const v = await allEnvoy([yamlCm(bootstrap()), { ...cm({ "envoy.json": JSON.stringify(bootstrap()) }), name: "json" }, { ...cm({ "envoy.json": camel }), name: "camel" }]);
    expect(v).toEqual([]);
  });

  it("ignore ConfigMaps whose data is not an Envoy config, labelled or not", async () => {
    const notEnvoy = { listeners: [{ name: "x", filter_chains: [{ filters: [router] }] }] };
    expect(await allEnvoy([cm({ "envoy.yaml": toYaml(notEnvoy) }), { ...cm({ "app.json": JSON.stringify({ admin: {} }) }, { app: "x" }), name: "other" }])).toEqual([]);
  });

  it.each([
    ["envoy-mtls-required", "no TLS", bootstrap(undefined, null), "does not terminate TLS"],
    ["envoy-mtls-required", "no client certificate", bootstrap(undefined, tls({ require_client_certificate: false })), "does not set require_client_certificate: true"],
    ["envoy-ext-authz-fail-closed", "no ext_authz", bootstrap([rbac(), router]), "has no ext_authz filter before the router/tcp_proxy"],
    ["envoy-ext-authz-fail-closed", "ext_authz after the router", bootstrap([rbac(), router, extAuthz()]), "runs ext_authz after the router/tcp_proxy"],
    ["envoy-ext-authz-fail-closed", "failure_mode_allow", bootstrap([extAuthz({ failure_mode_allow: true }), rbac(), router]), "ext_authz has failure_mode_allow: true"],
    ["envoy-rbac-default-deny", "no RBAC", bootstrap([extAuthz(), router]), "has no RBAC filter before the router/tcp_proxy"],
    ["envoy-rbac-default-deny", "RBAC without rules", bootstrap([extAuthz(), rbac({}), router]), "RBAC has no `rules`; it enforces nothing."],
    ["envoy-rbac-default-deny", "only shadow rules", bootstrap([extAuthz(), rbac({ shadow_rules: { action: "ALLOW" } }), router]), "RBAC has no `rules` (only shadow_rules, a dry run)"],
    ["envoy-rbac-default-deny", "a DENY list", bootstrap([extAuthz(), rbac({ rules: { action: "DENY", policies: {} } }), router]), 'RBAC rules use action "DENY"'],
    [
      "envoy-minimum-tls-version",
      "TLS 1.0",
      bootstrap(undefined, tls({ common_tls_context: { tls_params: { tls_minimum_protocol_version: "TLSv1_0" } } })),
      "accepts TLS from TLSv1_0; the minimum is TLSv1_2.",
    ],
  ])("%s fails %s", async (policy, _l, b, message) => {
    const v = await pack.violationsOf(policy, [yamlCm(b)]);
    expect(messages(v)).toHaveLength(1);
    expect(messages(v)[0]).toContain(`Envoy listener "ingress" filter chain 0 `);
    expect(messages(v)[0]).toContain(message);
    expect(v[0].level).toBe("mandatory");
  });

  it("envoy-mtls-required fails a bootstrap whose listeners come from a management server, and passes one with no listener at all", async () => {
    const ads = { dynamic_resources: { lds_config: { ads: {} }, ads_config: { api_type: "GRPC" } }, static_resources: { clusters: [] } };
    expect(messages(await pack.violationsOf("envoy-mtls-required", [cm({ "envoy.yaml": toYaml(ads) })]))).toEqual([
      "Envoy bootstrap in this ConfigMap takes its listeners from a management server (dynamic_resources.lds_config); the pack cannot verify their mTLS, ext_authz and RBAC. Declare the listeners statically or in a listener file in a ConfigMap.",
    ]);
    const clustersOnly = { static_resources: { clusters: [{ name: "c" }] } };
    expect(await allEnvoy([cm({ "envoy.yaml": toYaml(clustersOnly) })])).toEqual([]);
  });

  it("envoy-minimum-tls-version treats an unset minimum as TLSv1_2 and takes minimumTlsVersion from config", async () => {
    const unset = bootstrap(undefined, tls({ common_tls_context: {} }));
    expect(await pack.violationsOf("envoy-minimum-tls-version", [yamlCm(unset)])).toEqual([]);
    const config = { "envoy-minimum-tls-version": { minimumTlsVersion: "TLSv1_3" } };
    const v = await pack.violationsOf("envoy-minimum-tls-version", [yamlCm(unset)], { config });
    expect(messages(v)).toEqual(['Envoy listener "ingress" filter chain 0 accepts TLS from TLSv1_2; the minimum is TLSv1_3.']);
  });

  it("report an unknown config at preview", async () => {
    const v = await allEnvoy([cm({ "envoy.yaml": UNKNOWN })]);
    expect(v.map((x) => x.level)).toEqual(["advisory", "advisory", "advisory", "advisory"]);
  });
});
