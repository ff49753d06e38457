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
  /** The labels an enforcement point of `key` (`<domain>/<name>`) sends. */
  const labels = (key: string): Record<string, string> => ({ domain: key.slice(0, key.indexOf("/")), workload: key });
  /** An HTTP check at service `dst`'s workload proxy. */
  const call = (src: string | undefined, method: string, path: string, dst: string): CheckInput => {
    const svc = model.services.get(dst)!;
    return {
      attributes: {
        ...(src === undefined ? {} : { source: { principal: src } }),
        destination: { principal: svc.spiffeId, labels: labels(dst) },
        request: { http: { method, path, host: `${svc.host}:${svc.ports[0].port}` } },
      },
    };
  };
  /** An L4 check at data product `dst`'s proxy. */
  const l4 = (src: string, dst: string): CheckInput => ({
    attributes: { source: { principal: src }, destination: { principal: model.dataProducts.get(dst)!.proxy.spiffeId, labels: labels(dst) } },
  });

  it("allows order-api to POST /orders on matching in aws-eu, and nothing else", () => {
    const b = compileOpaBundles(model, "aws-eu", noRego);
    expect(decide(b, call(`${td}/trading/sa/order-api`, "POST", "/orders/1", "trading/matching"))).toEqual({ allow: true, reason: "allowed by trading#0" });
    expect(decide(b, call(`${td}/trading/sa/order-api`, "GET", "/orders/1", "trading/matching")).allow).toBe(false);
    expect(decide(b, call(`${td}/trading/sa/matching`, "POST", "/orders/1", "trading/matching")).allow).toBe(false);
    expect(decide(b, call(undefined, "POST", "/orders/1", "trading/matching")).allow).toBe(false);
    // order-api's own proxy holds no grant to order-api for that request.
    expect(decide(b, call(`${td}/trading/sa/order-api`, "POST", "/orders/1", "trading/order-api"))).toEqual({ allow: false, reason: "no intent allows this request" });
  });

  it("decides only for destinations in its own zone, finding their bundle by the domain label", () => {
    const input = call(`${td}/trading/sa/order-api`, "GET", "/limits/eu", "risk/risk-engine");
    expect(decide(compileOpaBundles(model, "gcp-eu", noRego), input)).toEqual({ allow: true, reason: "allowed by risk#0" });
    expect(decide(compileOpaBundles(model, "aws-eu", noRego), input)).toEqual({ allow: false, reason: "unknown destination: no bundle of domain risk in this zone" });
    // dc-eu has a risk bundle (risk-db), but risk-engine is not in it.
    expect(decide(compileOpaBundles(model, "dc-eu", noRego), input)).toEqual({
      allow: false,
      reason: `unknown destination: domain risk has no service or data proxy with identity ${td}/risk/sa/risk-engine in this zone`,
    });
  });

  it("lets the global DELETE deny take write, not read, from customer-risk consumers", () => {
    const b = compileOpaBundles(model, "gcp-eu", noRego);
    expect(decide(b, l4(`${td}/compliance/sa/auditor`, "risk/customer-risk")).allow).toBe(true);
    expect(decide(b, l4(`${td}/risk/sa/risk-engine`, "risk/customer-risk"))).toEqual({ allow: true, reason: "allowed by risk#2" });
    const del: CheckInput = {
      attributes: {
        source: { principal: `${td}/risk/sa/risk-engine` },
        destination: { principal: `${td}/risk/sa/customer-risk-proxy`, labels: labels("risk/customer-risk") },
        request: { http: { method: "DELETE", path: "/x" } },
      },
    };
    expect(decide(b, del)).toEqual({ allow: false, reason: "denied by global#0 (risk data is append-only)" });
    expect(decide(b, l4(`${td}/trading/sa/order-api`, "risk/customer-risk")).allow).toBe(false);
  });

  it("never lets request values reach prototype members", () => {
    const b = compileOpaBundles(model, "aws-eu", noRego);
    const good = call(`${td}/trading/sa/order-api`, "POST", "/orders", "trading/matching");
    expect(decide(b, good).allow).toBe(true);
    for (const bad of ["constructor", "__proto__", "hasOwnProperty", "toString"]) {
      const dst = good.attributes!.destination!;
      expect(decide(b, { attributes: { ...good.attributes, destination: { ...dst, labels: { domain: bad, workload: `${bad}/x` } } } }).allow, bad).toBe(false);
      expect(decide(b, { attributes: { ...good.attributes, destination: { ...dst, principal: bad } } }).allow, bad).toBe(false);
      expect(decide(b, { attributes: { source: good.attributes!.source, destination: { principal: bad, labels: { domain: "trading", workload: "trading/trades" } } } }).allow, bad).toBe(false);
      expect(decide(b, call(`${td}/trading/sa/order-api`, bad, "/orders", "trading/matching")).allow, bad).toBe(false);
    }
  });
});
