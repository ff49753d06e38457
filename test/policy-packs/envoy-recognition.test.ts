/**
 * The Envoy policies recognise a config by what it is: an Envoy bootstrap (or listener file) in
 * any key of any ConfigMap or Secret, labelled or not. Loopback listeners need no downstream
 * mTLS; TLS passthrough chains leave mTLS, ext_authz and RBAC to their destination.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackSession, res } from "../helpers/policy-inprocess";
import { messages } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

type Obj = Record<string, unknown>;
const MTLS = "envoy-mtls-required";
const AUTHZ = "envoy-ext-authz-fail-closed";
const RBAC = "envoy-rbac-default-deny";
const ENVOY_POLICIES = [MTLS, AUTHZ, RBAC, "envoy-minimum-tls-version"];

const tls = (extra: Obj = {}): Obj => ({
  name: "envoy.transport_sockets.tls",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", require_client_certificate: true, ...extra },
});
const netAuthz = (extra: Obj = {}): Obj => ({
  name: "envoy.filters.network.ext_authz",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz", failure_mode_allow: false, ...extra },
});
const netRbac: Obj = { name: "envoy.filters.network.rbac", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC", rules: { action: "ALLOW", policies: {} } } };
const tcpProxy: Obj = { name: "envoy.filters.network.tcp_proxy", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", cluster: "up" } };

const chain = (filters: Obj[] = [netAuthz(), netRbac, tcpProxy], socket: Obj | null = tls(), extra: Obj = {}): Obj => ({
  ...(socket ? { transport_socket: socket } : {}),
  filters,
  ...extra,
});
const listener = (chains: Obj[], extra: Obj = {}): Obj => ({
  name: "ingress",
  address: { socket_address: { address: "0.0.0.0", port_value: 8443 } },
  filter_chains: chains,
  ...extra,
});
const bootstrap = (...listeners: Obj[]): Obj => ({ static_resources: { listeners, clusters: [{ name: "up" }] } });

const configMap = (data: Record<string, string>, name = "cm") => res("kubernetes:core/v1:ConfigMap", name, { metadata: { name, namespace: "edge" }, data });
const secret = (inputs: Obj, name = "secret") => res("kubernetes:core/v1:Secret", name, { metadata: { name, namespace: "edge" }, ...inputs });
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const envoyViolations = async (resources: ReturnType<typeof res>[]) => (await pack.run(resources)).filter((v) => ENVOY_POLICIES.includes(v.policy));

describe("an Envoy config is recognised by its shape, in any ConfigMap or Secret key", () => {
  it("passes a compliant bootstrap without any label, as JSON under any key, in a ConfigMap and in a Secret", async () => {
    const text = JSON.stringify(bootstrap(listener([chain()])));
    const v = await envoyViolations([
      configMap({ "bootstrap.json": text }),
      secret({ data: { config: b64(text) } }),
      secret({ stringData: { "front.yaml": text } }, "s2"),
    ]);
    expect(v).toEqual([]);
  });

  it("fails an unlabelled ConfigMap (key bootstrap.json) whose ext_authz fails open", async () => {
    const text = JSON.stringify(bootstrap(listener([chain([netAuthz({ failure_mode_allow: true }), netRbac, tcpProxy])])));
    expect(messages(await pack.violationsOf(AUTHZ, [configMap({ "bootstrap.json": text })]))).toEqual([
      'Envoy listener "ingress" filter chain 0 ext_authz has failure_mode_allow: true; requests pass when the policy engine is unreachable.',
    ]);
  });

  it("fails an unlabelled ConfigMap whose listener does not require client certificates", async () => {
    const text = JSON.stringify(bootstrap(listener([chain(undefined, tls({ require_client_certificate: undefined }))])));
    expect(messages(await pack.violationsOf(MTLS, [configMap({ "bootstrap.json": text })]))).toEqual([
      'Envoy listener "ingress" filter chain 0 does not set require_client_certificate: true; clients without a certificate are accepted.',
    ]);
  });

  it("decodes Secret data (base64) and reads stringData", async () => {
    const text = JSON.stringify(bootstrap(listener([chain(undefined, null)])));
    const want = ['Envoy listener "ingress" filter chain 0 does not terminate TLS (no DownstreamTlsContext transport socket); require mTLS.'];
    expect(messages(await pack.violationsOf(MTLS, [secret({ data: { envoy: b64(text) } })]))).toEqual(want);
    expect(messages(await pack.violationsOf(MTLS, [secret({ stringData: { envoy: text } })]))).toEqual(want);
  });

  it("judges a listener discovery file and a dynamic_resources bootstrap", async () => {
    const lds = { resources: [{ "@type": "type.googleapis.com/envoy.config.listener.v3.Listener", ...listener([chain(undefined, null)]) }] };
    expect(messages(await pack.violationsOf(MTLS, [configMap({ "lds.yaml": JSON.stringify(lds) })]))).toHaveLength(1);
    const fileBased = { dynamic_resources: { lds_config: { path_config_source: { path: "/etc/envoy/lds.yaml" } } } };
    expect(await envoyViolations([configMap({ "envoy.yaml": JSON.stringify(fileBased) })])).toEqual([]);
  });

  it("recognises a bootstrap whose keys are spelled with escapes (YAML \\x, JSON \\u)", async () => {
    const json = JSON.stringify(bootstrap(listener([chain(undefined, null)]))).replace('"static_resources"', '"\\u0073tatic_resources"');
    const yaml = `"\\x73tatic_resources":\n  listeners: ${JSON.stringify([listener([chain(undefined, null)])])}\n`;
    const v = await pack.violationsOf(MTLS, [configMap({ "a.json": json }, "a"), configMap({ "b.yaml": yaml }, "b")]);
    expect(v.map((x) => x.urn.split("::").pop())).toEqual(["a", "b"]);
  });

  it("judges the default filter chain too", async () => {
    const text = JSON.stringify(bootstrap(listener([chain()], { default_filter_chain: chain([tcpProxy], null) })));
    expect(messages(await pack.violationsOf(MTLS, [configMap({ "envoy.json": text })]))).toEqual([
      'Envoy listener "ingress" default filter chain does not terminate TLS (no DownstreamTlsContext transport socket); require mTLS.',
    ]);
  });
});

describe("loopback listeners (inside the pod: no enforcement point)", () => {
  const loop = (address: string, extra: Obj = {}) =>
    bootstrap(listener([chain(undefined, null)], { name: "outbound", address: { socket_address: { address, port_value: 15001 } }, ...extra }));

  it.each(["127.0.0.1", "127.0.0.53", "::1"])("need no downstream mTLS on %s", async (address) => {
    expect(await envoyViolations([configMap({ "envoy.yaml": JSON.stringify(loop(address)) })])).toEqual([]);
  });

  it("are not judged at all: no ext_authz or RBAC needed either (the destination enforces)", async () => {
    const text = JSON.stringify(bootstrap(listener([chain([tcpProxy], null)], { address: { socket_address: { address: "127.0.0.1" } } })));
    expect(await envoyViolations([configMap({ "envoy.yaml": text })])).toEqual([]);
  });

  it("are not loopback when any address is not (additional_addresses), or none is given", async () => {
    const extra = loop("127.0.0.1", { additional_addresses: [{ address: { socket_address: { address: "0.0.0.0" } } }] });
    const none = bootstrap(listener([chain(undefined, null)], { address: undefined }));
    const v = await pack.violationsOf(MTLS, [configMap({ a: JSON.stringify(extra) }, "a"), configMap({ b: JSON.stringify(none) }, "b")]);
    expect(v).toHaveLength(2);
  });
});

describe("TLS passthrough chains", () => {
  const inspector = { listener_filters: [{ name: "envoy.filters.listener.tls_inspector", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector" } }] };
  const sni = { filter_chain_match: { server_names: ["api.trading.mesh"] } };
  const sniProxy = { name: "envoy.filters.network.sni_dynamic_forward_proxy", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.sni_dynamic_forward_proxy.v3.FilterConfig" } };

  it("are judged at their destination: no mTLS, ext_authz or RBAC required", async () => {
    const router = bootstrap(listener([chain([tcpProxy], null, sni), chain([sniProxy, tcpProxy], null, { filter_chain_match: { server_names: ["*.mesh"] } })], inspector));
    expect(await envoyViolations([configMap({ "router.yaml": JSON.stringify(router) })])).toEqual([]);
  });

  it.each([
    ["without tls_inspector", bootstrap(listener([chain([tcpProxy], null, sni)]))],
    ["without server_names", bootstrap(listener([chain([tcpProxy], null)], inspector))],
    ["terminating HTTP", bootstrap(listener([chain([{ name: "envoy.filters.network.http_connection_manager", typed_config: { http_filters: [] } }], null, sni)], inspector))],
  ])("are not passthrough %s", async (_l, b) => {
    expect(messages(await pack.violationsOf(MTLS, [configMap({ "envoy.yaml": JSON.stringify(b) })]))).toEqual([
      'Envoy listener "ingress" filter chain 0 does not terminate TLS (no DownstreamTlsContext transport socket); require mTLS.',
    ]);
  });
});

describe("per-route overrides", () => {
  const authzFilter = { name: "authz", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz" } };
  const rbacFilter = { name: "envoy.filters.http.rbac", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC", rules: { action: "ALLOW", policies: {} } } };
  const httpChain = (perRoute: Obj, onHost: Obj = {}) =>
    chain(
      [
        {
          name: "envoy.filters.network.http_connection_manager",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            route_config: { virtual_hosts: [{ name: "api", domains: ["*"], typed_per_filter_config: onHost, routes: [{ name: "health", match: { prefix: "/" }, route: { cluster: "up" }, typed_per_filter_config: perRoute }] }] },
            http_filters: [authzFilter, rbacFilter, { name: "envoy.filters.http.router" }],
          },
        },
      ],
      tls(),
    );
  const cmOf = (c: Obj) => configMap({ "envoy.json": JSON.stringify(bootstrap(listener([c]))) });
  const off = (policy: string, c: Obj) => pack.violationsOf(policy, [cmOf(c)]).then(messages);
  const extAuthzPerRoute = (extra: Obj) => ({ "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute", ...extra });
  const wrapper = (extra: Obj) => ({ "@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", ...extra });
  const rbacPerRoute = (extra: Obj) => ({ "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute", ...extra });

  it("pass overrides that keep authorization on", async () => {
    const keep = { authz: extAuthzPerRoute({ check_settings: { context_extensions: { a: "b" } } }), "envoy.filters.http.rbac": rbacPerRoute({ rbac: { rules: { action: "ALLOW", policies: {} } } }) };
    expect(await envoyViolations([cmOf(httpChain(keep))])).toEqual([]);
  });

  it.each([
    ["ExtAuthzPerRoute disabled on a route", httpChain({ authz: extAuthzPerRoute({ disabled: true }) }), 'virtual host "api" route "health"'],
    ["a disabled FilterConfig on a virtual host", httpChain({}, { authz: wrapper({ disabled: true }) }), 'virtual host "api"'],
  ])("fail ext_authz turned off: %s", async (_l, c, where) => {
    expect(await off(AUTHZ, c)).toEqual([`Envoy listener "ingress" filter chain 0 turns ext_authz off for ${where} (typed_per_filter_config); requests there pass without a policy decision.`]);
  });

  it.each([
    ["an RBACPerRoute without rbac", rbacPerRoute({})],
    ["an RBACPerRoute with a DENY list", rbacPerRoute({ rbac: { rules: { action: "DENY" } } })],
    ["a disabled FilterConfig", wrapper({ disabled: true })],
  ])("fail RBAC turned off by %s", async (_l, config) => {
    expect(await off(RBAC, httpChain({ "envoy.filters.http.rbac": config }))).toEqual([
      'Envoy listener "ingress" filter chain 0 turns RBAC off for virtual host "api" route "health" (typed_per_filter_config); requests there are not restricted to allowed principals.',
    ]);
  });
});
