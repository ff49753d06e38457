import { describe, expect, it } from "vitest";
import { compileOpaBundles, dataTree, decide, type CheckInput } from "../../../components/compile/opa";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";
import { REGO_CASES } from "./rego-cases";
import { regoDomains, regoMesh } from "./rego-spec";

const noRego = { policyModules: {} };

describe("decide: the authz_test.rego cases", () => {
  const bundles = compileOpaBundles(buildMesh(regoMesh, regoDomains), "z1", noRego);
  for (const [name, checks] of Object.entries(REGO_CASES)) {
    it(name, () => {
      for (const c of checks) {
        const tree = dataTree(bundles);
        const d = decide(c.extraDomains ? { ...tree, domains: { ...tree.domains, ...c.extraDomains } } : tree, c.input);
        expect(d.allow, JSON.stringify(c.input)).toBe(c.allow);
        if (c.reason !== undefined) expect(d.reason).toBe(c.reason);
        if (c.reasonPrefix !== undefined) expect(d.reason.startsWith(c.reasonPrefix)).toBe(true);
      }
    });
  }
});

describe("decide: the fixture mesh", () => {
  const model = buildMesh(mesh, domains);
  const td = "spiffe://mesh.acme.example/ns";
  const call = (src: string | undefined, method: string, path: string, host: string): CheckInput => ({
    attributes: {
      ...(src === undefined ? {} : { source: { principal: src } }),
      destination: { principal: `${td}/ztmesh-system/sa/gateway` },
      request: { http: { method, path, host } },
    },
  });
  const l4 = (src: string, proxy: string): CheckInput => ({ attributes: { source: { principal: src }, destination: { principal: proxy } } });

  it("allows order-api to POST /orders on matching in aws-eu, and nothing else", () => {
    const b = compileOpaBundles(model, "aws-eu", noRego);
    const host = "matching.trading.svc.cluster.local";
    expect(decide(b, call(`${td}/trading/sa/order-api`, "POST", "/orders/1", host))).toEqual({ allow: true, reason: "allowed by trading#0" });
    expect(decide(b, call(`${td}/trading/sa/order-api`, "GET", "/orders/1", host)).allow).toBe(false);
    expect(decide(b, call(`${td}/trading/sa/matching`, "POST", "/orders/1", host)).allow).toBe(false);
    expect(decide(b, call(undefined, "POST", "/orders/1", host)).allow).toBe(false);
  });

  it("decides only for destinations in its own zone", () => {
    const host = "risk-engine.risk.svc.cluster.local:8080";
    const input = call(`${td}/trading/sa/order-api`, "GET", "/limits/eu", host);
    expect(decide(compileOpaBundles(model, "gcp-eu", noRego), input).allow).toBe(true);
    expect(decide(compileOpaBundles(model, "aws-eu", noRego), input).reason).toMatch(/^unknown destination/);
  });

  it("lets the global DELETE deny take write, not read, from customer-risk consumers", () => {
    const b = compileOpaBundles(model, "gcp-eu", noRego);
    const proxy = `${td}/risk/sa/customer-risk-proxy`;
    expect(decide(b, l4(`${td}/compliance/sa/auditor`, proxy)).allow).toBe(true);
    expect(decide(b, l4(`${td}/risk/sa/risk-engine`, proxy))).toEqual({ allow: true, reason: "allowed by risk#2" });
    const del: CheckInput = { attributes: { source: { principal: `${td}/risk/sa/risk-engine` }, destination: { principal: proxy }, request: { http: { method: "DELETE", path: "/x" } } } };
    expect(decide(b, del)).toEqual({ allow: false, reason: "denied by global#0 (risk data is append-only)" });
    expect(decide(b, l4(`${td}/trading/sa/order-api`, proxy)).allow).toBe(false);
  });

  it("never lets request values reach prototype members", () => {
    const b = compileOpaBundles(model, "aws-eu", noRego);
    for (const host of ["constructor", "__proto__", "hasOwnProperty", "toString"]) {
      expect(decide(b, call(`${td}/trading/sa/order-api`, "POST", "/orders", host)).allow).toBe(false);
      expect(decide(b, l4(`${td}/trading/sa/order-api`, host)).allow).toBe(false);
      expect(decide(b, call(`${td}/trading/sa/order-api`, host, "/orders", "matching.trading.svc.cluster.local")).allow).toBe(false);
    }
  });
});
