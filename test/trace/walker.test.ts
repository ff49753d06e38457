import { describe, expect, it } from "vitest";
import { traceRequest, type Hop, type MeshSnapshot, type Obj, type TraceRequest } from "../../components/trace";
import { API, API_REQUEST, LEDGER_REQUEST, TD, WEB, callPolicy, downstreamTls, extAuthz, inbound, rbac, router, shop } from "./builders";

const last = (hops: Hop[]): Hop => hops[hops.length - 1];

function proxyOf(s: MeshSnapshot, id: string): { bootstrap: Obj } {
  const p = s.proxies.find((x) => x.id === id);
  if (!p) throw new Error(`no proxy ${id}`);
  return p;
}

function stopped(s: MeshSnapshot, req: TraceRequest): Hop {
  const r = traceRequest(s, req);
  expect(r.delivered).toBe(false);
  const h = last(r.hops);
  expect(h.verdict).toBe("stop");
  return h;
}

describe("traceRequest: delivered", () => {
  it("same zone: outbound listener, NetworkPolicies, mTLS, OPA, RBAC, route, app", () => {
    const r = traceRequest(shop(), API_REQUEST);
    expect(r.delivered).toBe(true);
    expect(r.deliveredTo).toEqual({ proxy: "z1/shop/api", workload: "shop/api", address: "127.0.0.1:8080" });
    expect(r.hops.map((h) => h.kind)).toEqual([
      "source", "resolve", "listener", "filter-chain", "route", "cluster", "resolve", "network-policy", "network-policy",
      "listener", "filter-chain", "tls", "ext-authz", "rbac", "route", "cluster", "delivered",
    ]);
    const rules = r.hops.map((h) => h.rule);
    expect(rules[7]).toContain("egress of pod of z1/shop/web: admitted by shop/allow-egress-web rule 0");
    expect(rules[8]).toContain("ingress of pod of z1/shop/api: admitted by shop/allow-ingress-api rule 0");
    expect(rules[11]).toContain(`client certificate ${WEB} verified`);
    expect(rules[12]).toContain('OPA of zone z1');
    expect(rules[12]).toContain('"allowed by shop#0"');
    expect(rules[13]).toContain('policy "web-orders" matches');
  });

  it("builds the CheckRequest as the OPA-Envoy plugin does: source/destination principals, node labels, request", () => {
    const r = traceRequest(shop(), API_REQUEST);
    const authz = r.hops.find((h) => h.kind === "ext-authz")!;
    expect(authz.detail?.["input"]).toEqual({
      attributes: {
        source: { principal: WEB },
        destination: { principal: API, labels: { domain: "shop", workload: "shop/api" } },
        request: { http: { method: "POST", path: "/orders", host: "api.shop.svc.cluster.local:8080" } },
      },
    });
  });

  it("cross zone: through the other zone's gateway by SNI passthrough, decided in the destination zone", () => {
    const r = traceRequest(shop(), LEDGER_REQUEST);
    expect(r.delivered).toBe(true);
    const gw = r.hops.filter((h) => h.at === "z2/system/gateway").map((h) => h.rule);
    expect(gw.join("\n")).toContain('server_names ["*.svc.cluster.local"] match SNI ledger.shop.svc.cluster.local');
    expect(gw.join("\n")).toContain("forwards the unopened TLS of z1/shop/web (SNI ledger.shop.svc.cluster.local)");
    const egress = r.hops.find((h) => h.kind === "network-policy" && h.at === "z1")!;
    expect(egress.rule).toContain("admitted by shop/allow-egress-web rule 1 (to an address outside the cluster port 8443)");
    const authz = r.hops.find((h) => h.kind === "ext-authz")!;
    expect(authz.rule).toContain("OPA of zone z2");
    expect(authz.rule).toContain("allowed by shop#1");
  });
});

describe("traceRequest: stopped, naming the deciding rule", () => {
  it("at the destination's OPA: another method", () => {
    const h = stopped(shop(), { ...API_REQUEST, method: "GET" });
    expect(h.kind).toBe("ext-authz");
    expect(h.rule).toContain('deny, "no intent allows this request" (403 Forbidden; decision logged)');
  });

  it("at RBAC when OPA allows but the compiled RBAC does not", () => {
    const s = shop();
    const api = proxyOf(s, "z1/shop/api");
    api.bootstrap = inbound(API, "api.shop.svc.cluster.local", "shop/api", [extAuthz(), rbac("ALLOW", { "web-other": callPolicy(WEB, ["POST"], ["/other"]) }), router()]);
    const h = stopped(s, API_REQUEST);
    expect(h.kind).toBe("rbac");
    expect(h.rule).toBe(`envoy.filters.http.rbac ALLOW: no policy matches ${WEB} POST /orders (403 RBAC: access denied)`);
  });

  it("at a DENY RBAC filter, naming the matching policy", () => {
    const s = shop();
    proxyOf(s, "z1/shop/api").bootstrap = inbound(API, "api.shop.svc.cluster.local", "shop/api", [
      extAuthz(),
      rbac("DENY", { "no-orders": callPolicy(WEB, ["POST"], ["/"]) }, "ztmesh.filters.http.rbac_deny"),
      router(),
    ]);
    const h = stopped(s, API_REQUEST);
    expect(h.rule).toContain('ztmesh.filters.http.rbac_deny DENY: policy "no-orders" matches');
  });

  it("at the TLS handshake: no client certificate", () => {
    const h = stopped(shop(), { ...LEDGER_REQUEST, source: { kind: "external", zone: "z2" } });
    expect(h.kind).toBe("tls");
    expect(h.at).toBe("z2/shop/ledger");
    expect(h.rule).toContain("no client certificate: require_client_certificate is true");
  });

  it("at trust bundle validation: a foreign or look-alike trust domain", () => {
    for (const id of ["spiffe://other.example/ns/shop/sa/web", `spiffe://${TD}.evil/ns/shop/sa/web`]) {
      const h = stopped(shop(), { ...LEDGER_REQUEST, source: { kind: "external", zone: "z2", spiffeId: id } });
      expect(h.kind).toBe("tls");
      expect(h.rule).toContain(`client certificate ${id} rejected at trust bundle validation`);
    }
  });

  it("at SAN validation when the listener's matcher does not admit the caller", () => {
    const s = shop();
    proxyOf(s, "z1/shop/api").bootstrap = inbound(API, "api.shop.svc.cluster.local", "shop/api", [router()], downstreamTls(API, { exact: `spiffe://${TD}/ns/shop/sa/admin` }));
    const h = stopped(s, API_REQUEST);
    expect(h.rule).toContain(`client certificate ${WEB} rejected at SAN validation`);
  });

  it("at the caller when the server is not the identity it expects", () => {
    const s = shop();
    const impostor = `spiffe://${TD}/ns/shop/sa/impostor`;
    proxyOf(s, "z1/shop/api").bootstrap = inbound(impostor, "api.shop.svc.cluster.local", "shop/api", [router()]);
    const h = stopped(s, API_REQUEST);
    expect(h.at).toBe("z1/shop/web");
    expect(h.rule).toContain(`rejects the server certificate ${impostor}`);
  });

  it("at NetworkPolicy egress of the source pod", () => {
    const s = shop();
    s.zones["z1"].networkPolicies = s.zones["z1"].networkPolicies.filter((p) => p.metadata.name !== "allow-egress-web");
    const h = stopped(s, API_REQUEST);
    expect(h.kind).toBe("network-policy");
    expect(h.rule).toContain("egress of pod of z1/shop/web: no rule of shop/default-deny admits it");
  });

  it("at NetworkPolicy ingress of the next pod", () => {
    const s = shop();
    s.zones["z1"].networkPolicies = s.zones["z1"].networkPolicies.filter((p) => p.metadata.name !== "allow-ingress-api");
    const h = stopped(s, API_REQUEST);
    expect(h.rule).toContain("ingress of pod of z1/shop/api: no rule of shop/default-deny admits it (from pod of z1/shop/web, port 15006)");
  });

  it("when the application bypasses its proxy (no hostAliases entry): plaintext to a port nothing admits", () => {
    const s = shop();
    proxyOf(s, "z1/shop/web");
    s.proxies[0].hostAliases = {};
    const r = traceRequest(s, API_REQUEST);
    expect(r.delivered).toBe(false);
    expect(r.hops[1].rule).toContain("bypassing its proxy");
    expect(last(r.hops).rule).toContain("egress of pod of z1/shop/web");
  });

  it("at the gateway when the SNI matches no filter chain", () => {
    const h = stopped(shop(), { ...LEDGER_REQUEST, host: "ledger.example.com", source: { kind: "external", zone: "z2", spiffeId: WEB } });
    expect(h.kind).toBe("filter-chain");
    expect(h.rule).toContain("no filter chain matches port 8443, SNI ledger.example.com");
    expect(h.rule).toContain("logged by the listener's access log");
  });

  it("at DNS for an in-cluster name no Service has", () => {
    const s = shop();
    s.proxies[0].hostAliases = {};
    const h = stopped(s, { ...API_REQUEST, host: "nothing.shop.svc.cluster.local" });
    expect(h.rule).toBe("DNS: no Service nothing.shop.svc.cluster.local in zone z1: NXDOMAIN");
  });

  it("fails closed when the zone's policy engine has no bundles", () => {
    const s = shop();
    delete s.zones["z1"].opa;
    s.zones["z1"].opaNotes.push("no bundle");
    const h = stopped(s, API_REQUEST);
    expect(h.kind).toBe("ext-authz");
    expect(h.rule).toContain("failure_mode_allow false -> fails closed (403 Forbidden)");
  });

  it("passes without a decision when ext_authz fails open (and says so)", () => {
    const s = shop();
    delete s.zones["z1"].opa;
    proxyOf(s, "z1/shop/api").bootstrap = inbound(API, "api.shop.svc.cluster.local", "shop/api", [extAuthz("ztmesh", true), router()]);
    const r = traceRequest(s, API_REQUEST);
    expect(r.delivered).toBe(true);
    expect(r.hops.find((h) => h.kind === "ext-authz")!.rule).toContain("request passes WITHOUT a decision");
  });

  it("at OPA when ext_authz sends no destination labels", () => {
    const s = shop();
    proxyOf(s, "z1/shop/api").bootstrap = inbound(API, "api.shop.svc.cluster.local", "shop/api", [extAuthz(null), router()]);
    expect(stopped(s, API_REQUEST).rule).toContain("unknown destination: the enforcement point names no destination domain");
  });

  it("at routing: no virtual host for the authority, no route for the path", () => {
    const s = shop();
    const b = inbound(API, "api.shop.svc.cluster.local", "shop/api", [router()]);
    const hcmCfg = ((b["static_resources"] as { listeners: Obj[] }).listeners[0]["filter_chains"] as Obj[])[0]["filters"] as Obj[];
    const rc = (hcmCfg[0]["typed_config"] as Obj)["route_config"] as { virtual_hosts: Obj[] };
    rc.virtual_hosts[0]["domains"] = ["other.shop.svc.cluster.local"];
    proxyOf(s, "z1/shop/api").bootstrap = b;
    expect(stopped(s, API_REQUEST).rule).toContain("no virtual host has a domain matching api.shop.svc.cluster.local:8080");
    rc.virtual_hosts[0]["domains"] = ["*"];
    rc.virtual_hosts[0]["routes"] = [{ match: { path: "/exact" }, route: { cluster: "inbound|8080" } }];
    expect(stopped(s, API_REQUEST).rule).toContain("no route of virtual host shop/api matches POST /orders");
  });

  it("at a listener when nothing listens on the port", () => {
    const s = shop();
    const b = proxyOf(s, "z1/shop/api").bootstrap;
    ((b["static_resources"] as { listeners: Obj[] }).listeners[0]["address"] as { socket_address: { port_value: number } }).socket_address.port_value = 15007;
    expect(stopped(s, API_REQUEST).rule).toContain("no listener of z1/shop/api takes the pod address:15006 (listeners on 0.0.0.0:15007): connection refused");
  });

  it("at a cluster that is not defined", () => {
    const s = shop();
    const b = proxyOf(s, "z1/shop/api").bootstrap;
    (b["static_resources"] as { clusters: Obj[] }).clusters = (b["static_resources"] as { clusters: Obj[] }).clusters.filter((c) => c["name"] !== "inbound|8080");
    expect(stopped(s, API_REQUEST).rule).toBe("cluster inbound|8080 is not defined: 503 (no cluster)");
  });

  it("stops a forwarding loop (a cluster pointing back at its own listener)", () => {
    const s = shop();
    const b = proxyOf(s, "z1/shop/web").bootstrap;
    const c = (b["static_resources"] as { clusters: Obj[] }).clusters.find((x) => x["name"] === "outbound|8080|api")!;
    c["load_assignment"] = { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.1.1.1", port_value: 8080 } } } }] }] };
    delete c["transport_socket"];
    const h = stopped(s, API_REQUEST);
    expect(h.rule).toBe("more than 12 proxies on the path: a forwarding loop");
  });

  it("an HTTP connection manager cannot read a TLS stream its chain does not terminate", () => {
    const s = shop();
    const b = proxyOf(s, "z1/shop/api").bootstrap;
    delete (((b["static_resources"] as { listeners: Obj[] }).listeners[0]["filter_chains"] as Obj[])[0]["transport_socket"]);
    const h = stopped(s, API_REQUEST);
    expect(h.rule).toContain("receives a TLS stream (z1/shop/web, SNI api.shop.svc.cluster.local) it does not terminate");
  });

  it("names a missing workload proxy as the first hop", () => {
    const h = stopped(shop(), { ...API_REQUEST, source: { kind: "workload", key: "shop/ghost" } });
    expect(h.kind).toBe("source");
  });
});
