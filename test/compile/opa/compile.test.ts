import { describe, expect, it } from "vitest";
import { bundleFiles, compileOpaBundles, dataTree, decide, readPolicyModules, type OpaBundle } from "../../../components/compile/opa";
import { buildMesh, type DomainSpec } from "../../../components/model";
import { domains, mesh, risk } from "../../fixtures/mesh";

const model = buildMesh(mesh, domains);
const td = "spiffe://mesh.acme.example/ns";

/** True when two slash paths overlap as OPA bundle roots (one is a segment prefix of the other). */
function overlaps(a: string, b: string): boolean {
  const [x, y] = [a.split("/"), b.split("/")];
  const n = Math.min(x.length, y.length);
  return x.slice(0, n).join("/") === y.slice(0, n).join("/");
}

describe("compileOpaBundles: the fixture mesh", () => {
  it("emits a platform bundle and one bundle per domain with destinations in the zone", () => {
    expect(Object.keys(compileOpaBundles(model, "aws-eu").domains)).toEqual(["trading"]);
    expect(Object.keys(compileOpaBundles(model, "gcp-eu").domains)).toEqual(["risk"]);
    expect(Object.keys(compileOpaBundles(model, "azure-eu").domains)).toEqual(["compliance"]);
    expect(Object.keys(compileOpaBundles(model, "dc-eu").domains)).toEqual(["risk"]);
  });

  it("gives bundles disjoint roots, with data at its root", () => {
    for (const zone of model.zones) {
      const b = compileOpaBundles(model, zone.id);
      expect(b.platform.roots).toEqual(["envoy/authz", "ztmesh/platform"]);
      expect(b.platform.dataPath).toBe("ztmesh/platform");
      const all: OpaBundle<unknown>[] = [b.platform, ...Object.values(b.domains)];
      for (const [name, d] of Object.entries(b.domains)) {
        expect(d.roots).toEqual([`ztmesh/domains/${name}`]);
        expect(d.dataPath).toBe(`ztmesh/domains/${name}`);
        expect(d.rego).toEqual({});
      }
      const roots = all.flatMap((x) => x.roots);
      for (let i = 0; i < roots.length; i++) for (let j = i + 1; j < roots.length; j++) expect(overlaps(roots[i], roots[j]), `${roots[i]} ${roots[j]}`).toBe(false);
      for (const x of all) expect(x.manifest).toEqual({ revision: expect.stringMatching(/^[0-9a-f]{64}$/), roots: x.roots });
    }
  });

  it("lists each domain's destinations of the zone by SPIFFE ID, and keys grants by destination and source SPIFFE ID", () => {
    const trading = compileOpaBundles(model, "aws-eu").domains.trading.data;
    // Destinations by their enforcement point's own identity: the service's (its workload proxy) or the data proxy's.
    expect(trading.services).toEqual({
      [`${td}/trading/sa/matching`]: "trading/matching",
      [`${td}/trading/sa/order-api`]: "trading/order-api",
    });
    expect(trading).not.toHaveProperty("routes");
    expect(trading.proxies).toEqual({ [`${td}/trading/sa/trades-proxy`]: "trading/trades" });
    expect(trading.allow).toEqual({
      "trading/matching": { [`${td}/trading/sa/order-api`]: [{ intent: "trading#0", methods: { POST: true }, paths: ["/orders"] }] },
      "trading/trades": {
        [`${td}/compliance/sa/auditor`]: [{ intent: "compliance#1", access: ["read"] }],
        [`${td}/risk/sa/risk-engine`]: [{ intent: "risk#1", access: ["read"] }],
        [`${td}/trading/sa/matching`]: [{ intent: "trading#1", access: ["read", "write"] }],
      },
    });
    expect(trading.deny).toEqual({});
  });

  it("files global deny rules in the platform bundle of the zone holding their destination", () => {
    const gcp = compileOpaBundles(model, "gcp-eu").platform.data;
    expect(gcp).toEqual({
      trust_domain: "mesh.acme.example",
      zone: { id: "gcp-eu", cloud: "gcp", region: "europe-west3" },
      deny: {
        "risk/customer-risk": {
          "*": [{ id: "global#0", reason: "risk data is append-only", methods: { DELETE: true }, paths: ["/"], access: ["write"] }],
        },
      },
    });
    expect(compileOpaBundles(model, "aws-eu").platform.data.deny).toEqual({});
  });

  it("normalizes domain deny rules: omitted fields are every method and '/', a domain-wide rule is '*'", () => {
    const withDeny: DomainSpec = { ...risk, denyRules: [{ from: "trading/order-api", reason: "r1" }, { to: "risk-db", paths: ["/x"], reason: "r2" }] };
    const m = buildMesh({ ...mesh, denyRules: [] }, domains.map((d) => (d.name === "risk" ? withDeny : d)));
    expect(compileOpaBundles(m, "gcp-eu").domains.risk.data.deny).toEqual({
      "*": {
        [`${td}/trading/sa/order-api`]: [
          { id: "risk#0", reason: "r1", methods: { DELETE: true, GET: true, HEAD: true, OPTIONS: true, PATCH: true, POST: true, PUT: true }, paths: ["/"], access: ["read", "write"] },
        ],
      },
    });
    // risk-db lives in dc-eu; a rule limited to a path takes no access class from an L4 data proxy.
    expect(compileOpaBundles(m, "dc-eu").domains.risk.data.deny["risk/risk-db"]["*"][0].access).toEqual([]);
  });

  it("files a mesh rule naming a destination in that destination's domain bundle too (a domain stack publishes only its own bundle)", () => {
    const entry = { id: "global#0", reason: "risk data is append-only", methods: { DELETE: true }, paths: ["/"], access: ["write"] };
    const gcp = compileOpaBundles(model, "gcp-eu");
    expect(gcp.platform.data.deny["risk/customer-risk"]).toEqual({ "*": [entry] });
    expect(gcp.domains.risk.data.deny).toEqual({ "risk/customer-risk": { "*": [entry] } });
    // Not in other domains' bundles, nor in zones without the destination.
    expect(compileOpaBundles(model, "aws-eu").domains.trading.data.deny).toEqual({});
    expect(compileOpaBundles(model, "dc-eu").domains.risk.data.deny).toEqual({});
    // Either way the decision is the same: the rule takes write, not read.
    const tree = dataTree(gcp);
    const at = { principal: `${td}/risk/sa/customer-risk-proxy`, labels: { domain: "risk", workload: "risk/customer-risk" } };
    const put = { attributes: { source: { principal: `${td}/risk/sa/risk-engine` }, destination: at, request: { http: { method: "DELETE", path: "/x" } } } };
    expect(decide(tree, put)).toEqual({ allow: false, reason: "denied by global#0 (risk data is append-only)" });
    expect(decide({ ...tree, platform: { ...tree.platform, deny: {} } }, put)).toEqual({ allow: false, reason: "denied by global#0 (risk data is append-only)" });
  });

  it("lists a service under its own SPIFFE ID, also with a custom namespace and service account, and only in its own zone's bundle", () => {
    const custom: DomainSpec = { ...risk, services: [{ ...risk.services[0], namespace: "risk-apps", serviceAccount: "engine" }] };
    const m = buildMesh(mesh, domains.map((d) => (d.name === "risk" ? custom : d)));
    expect(compileOpaBundles(m, "gcp-eu").domains.risk.data.services).toEqual({ [`${td}/risk-apps/sa/engine`]: "risk/risk-engine" });
    expect(compileOpaBundles(m, "dc-eu").domains.risk.data.services).toEqual({});
    expect(compileOpaBundles(m, "dc-eu").domains.risk.data.proxies).toEqual({ [`${td}/risk/sa/risk-db-proxy`]: "risk/risk-db" });
  });

  it("throws on an unknown zone, naming the zones", () => {
    expect(() => compileOpaBundles(model, "mars")).toThrow(/unknown zone "mars".*"aws-eu"/);
  });
});

describe("bundle files and revisions", () => {
  it("lays out .manifest, data.json at the root and the policy modules", () => {
    const b = compileOpaBundles(model, "gcp-eu");
    const files = bundleFiles(b.platform);
    expect([...files.keys()]).toEqual([".manifest", "envoy/authz/authz.rego", "ztmesh/platform/data.json"]);
    expect(JSON.parse(files.get(".manifest") ?? "")).toEqual(b.platform.manifest);
    expect(JSON.parse(files.get("ztmesh/platform/data.json") ?? "")).toEqual(b.platform.data);
    expect([...bundleFiles(b.domains.risk).keys()]).toEqual([".manifest", "ztmesh/domains/risk/data.json"]);
  });

  it("ships the policy modules but not their tests", () => {
    const modules = readPolicyModules();
    expect(Object.keys(modules)).toEqual(["envoy/authz/authz.rego"]);
    expect(compileOpaBundles(model, "aws-eu").platform.rego).toEqual(modules);
  });

  it("writes canonical JSON: sorted keys, no whitespace", () => {
    const json = bundleFiles(compileOpaBundles(model, "aws-eu").domains.trading).get("ztmesh/domains/trading/data.json") ?? "";
    expect(json).not.toMatch(/\s/);
    expect(json.startsWith('{"allow":{"trading/matching":')).toBe(true);
  });

  it("changes only the domain bundle's revision when a domain changes its intents", () => {
    const changed: DomainSpec = { ...risk, intents: [...(risk.intents ?? []), { from: "*", to: "risk-engine", methods: ["HEAD"], paths: ["/health"] }] };
    const before = compileOpaBundles(model, "gcp-eu");
    const after = compileOpaBundles(buildMesh(mesh, domains.map((d) => (d.name === "risk" ? changed : d))), "gcp-eu");
    expect(after.platform.manifest.revision).toBe(before.platform.manifest.revision);
    expect(after.domains.risk.manifest.revision).not.toBe(before.domains.risk.manifest.revision);
  });

  it("changes the platform revision when the policy changes", () => {
    const a = compileOpaBundles(model, "aws-eu", { policyModules: { "envoy/authz/authz.rego": "package envoy.authz\n" } });
    const b = compileOpaBundles(model, "aws-eu", { policyModules: { "envoy/authz/authz.rego": "package envoy.authz\n# v2\n" } });
    expect(a.platform.manifest.revision).not.toBe(b.platform.manifest.revision);
    expect(a.domains.trading.manifest.revision).toBe(b.domains.trading.manifest.revision);
  });
});
