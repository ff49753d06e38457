import { describe, expect, it } from "vitest";
import { chooseFilterChain, chooseRoute, chooseVirtualHost, listenerAt, sanAdmits, trustAdmits } from "../../components/trace/envoy";

const inspector = { listener_filters: [{ name: "envoy.filters.listener.tls_inspector" }] };
const chain = (m: Record<string, unknown>, name: string): Record<string, unknown> => ({ name, filter_chain_match: m, filters: [] });

describe("Envoy filter chain match", () => {
  const listener = {
    ...inspector,
    filter_chains: [chain({ server_names: ["*.svc.cluster.local"] }, "wild"), chain({ server_names: ["*.shop.svc.cluster.local"] }, "longer"), chain({ server_names: ["api.shop.svc.cluster.local"] }, "exact"), chain({}, "any")],
  };
  it("prefers an exact server name, then the longest wildcard, then a chain without names", () => {
    expect(chooseFilterChain(listener, { port: 1, sni: "api.shop.svc.cluster.local", tls: true }).name).toBe("exact");
    expect(chooseFilterChain(listener, { port: 1, sni: "web.shop.svc.cluster.local", tls: true }).name).toBe("longer");
    expect(chooseFilterChain(listener, { port: 1, sni: "x.other.svc.cluster.local", tls: true }).name).toBe("wild");
    expect(chooseFilterChain(listener, { port: 1, sni: "example.com", tls: true }).name).toBe("any");
  });
  it("a wildcard does not match the bare suffix", () => {
    const l = { ...inspector, filter_chains: [chain({ server_names: ["*.svc.cluster.local"] }, "wild")] };
    expect(chooseFilterChain(l, { port: 1, sni: "svc.cluster.local", tls: true }).chain).toBeUndefined();
  });
  it("without the TLS inspector the SNI is not seen: chains naming servers never match", () => {
    const l = { filter_chains: [chain({ server_names: ["api.shop.svc.cluster.local"] }, "exact")] };
    const c = chooseFilterChain(l, { port: 1, sni: "api.shop.svc.cluster.local", tls: true });
    expect(c.chain).toBeUndefined();
    expect(c.reason).toContain("no tls_inspector");
  });
  it("destination_port first: a chain naming the port beats one without", () => {
    const l = { filter_chains: [chain({}, "any"), chain({ destination_port: 443 }, "p443")] };
    expect(chooseFilterChain(l, { port: 443, tls: false }).name).toBe("p443");
    expect(chooseFilterChain(l, { port: 80, tls: false }).name).toBe("any");
  });
  it("falls back to the default filter chain", () => {
    const l = { filter_chains: [chain({ destination_port: 1 }, "one")], default_filter_chain: { name: "dflt", filters: [] } };
    expect(chooseFilterChain(l, { port: 2, tls: false }).index).toBe("default");
  });
});

describe("Envoy listeners, routes and TLS", () => {
  it("an exact bind wins over a wildcard bind on the same port", () => {
    const b = { static_resources: { listeners: [
      { name: "wild", address: { socket_address: { address: "0.0.0.0", port_value: 80 } } },
      { name: "lo", address: { socket_address: { address: "127.1.2.3", port_value: 80 } } },
    ] } };
    expect(listenerAt(b, "127.1.2.3", 80)?.["name"]).toBe("lo");
    expect(listenerAt(b, "10.0.0.1", 80)?.["name"]).toBe("wild");
    expect(listenerAt(b, "10.0.0.1", 81)).toBeUndefined();
  });
  it("virtual hosts: exact domain, then suffix wildcard, then *", () => {
    const rc = { virtual_hosts: [{ name: "star", domains: ["*"] }, { name: "suffix", domains: ["*.shop.svc.cluster.local"] }, { name: "exact", domains: ["api.shop.svc.cluster.local:8080"] }] };
    expect(chooseVirtualHost(rc, "api.shop.svc.cluster.local:8080", false).vhost?.["name"]).toBe("exact");
    expect(chooseVirtualHost(rc, "web.shop.svc.cluster.local", false).vhost?.["name"]).toBe("suffix");
    expect(chooseVirtualHost(rc, "example.com", false).vhost?.["name"]).toBe("star");
    expect(chooseVirtualHost({ virtual_hosts: [{ name: "e", domains: ["api"] }] }, "api:8080", true).vhost?.["name"]).toBe("e");
  });
  it("routes: first match wins; prefix, exact path, headers; the query string is not part of the path", () => {
    const vh = { name: "v", routes: [
      { match: { path: "/exact" }, route: { cluster: "exact" } },
      { match: { prefix: "/api", headers: [{ name: ":method", string_match: { exact: "POST" } }] }, route: { cluster: "post" } },
      { match: { prefix: "/" }, route: { cluster: "rest" } },
    ] };
    const req = (method: string, path: string) => chooseRoute(vh, { method, path, authority: "h" }).cluster;
    expect(req("GET", "/exact?x=1")).toBe("exact");
    expect(req("POST", "/api/v1")).toBe("post");
    expect(req("GET", "/api/v1")).toBe("rest");
    expect(chooseRoute({ name: "v", routes: [{ match: { prefix: "/a" }, direct_response: { status: 403 } }] }, { method: "GET", path: "/a", authority: "h" }).stop).toContain("status 403");
  });
  it("trust: a certificate chains to a SPIRE bundle only from its own trust domain", () => {
    expect(trustAdmits({ sds: "spiffe://mesh.test" }, "spiffe://mesh.test/ns/a/sa/b", "mesh.test").ok).toBe(true);
    expect(trustAdmits({ sds: "spiffe://mesh.test" }, "spiffe://mesh.test.evil/ns/a/sa/b", "mesh.test").ok).toBe(false);
    expect(trustAdmits({ spiffeTrustDomains: ["a.example", "mesh.test"] }, "spiffe://a.example/x", undefined).ok).toBe(true);
  });
  it("SAN matchers: any URI matcher admits; none matching rejects", () => {
    const m = [{ sanType: "URI", matcher: { prefix: "spiffe://mesh.test/" } }];
    expect(sanAdmits(m, "spiffe://mesh.test/ns/a/sa/b").ok).toBe(true);
    expect(sanAdmits(m, "spiffe://mesh.test.evil/ns/a/sa/b").ok).toBe(false);
  });
});
