import { describe, expect, it } from "vitest";
import { type DenyRuleSpec, type IntentSpec, type MeshSpec, buildMesh, validateMesh } from "../../components/model";
import { domains, mesh } from "../fixtures/mesh";
import { type DomainsByName, expectIssue, expectOnly, issuesAfter, set } from "./helpers";

/** name, mutation, path, message part. */
type Case = [string, (d: DomainsByName, m: MeshSpec) => void, string, string];

function run(cases: Case[]): void {
  it.each(cases)("rejects %s", (_, mutate, path, message) => {
    expectOnly(
      issuesAfter((m, d) => mutate(d, m)),
      path,
      message,
    );
  });
}

/** Adds an intent to a domain of the fixture. */
const add = (domain: string, intent: unknown) => (d: DomainsByName) => void d[domain].intents?.push(intent as IntentSpec);
/** Replaces the first intent of `trading` (`order-api` -> `matching`). */
const first = (intent: unknown) => (d: DomainsByName) => void ((d.trading.intents as unknown[])[0] = intent);
const T0 = "domains.trading.intents[0]";
const C3 = "domains.compliance.intents[3]";
const R4 = "domains.risk.intents[4]";

describe("validateMesh: intent references", () => {
  run([
    ["an unknown service", first({ from: "order-api", to: "matchng" }), `${T0}.to`, 'unknown service "matchng"'],
    ["an unknown qualified service", add("risk", { from: "trading/order-apy", to: "risk-engine" }), `${R4}.from`, 'unknown service "order-apy" in domain "trading"'],
    ["an unknown domain", add("risk", { from: "tradin/order-api", to: "risk-engine" }), `${R4}.from`, 'unknown domain "tradin" in reference "tradin/order-api"'],
    ["a malformed reference", first({ from: "order-api", to: "risk/a/b" }), `${T0}.to`, 'malformed reference "risk/a/b"'],
    ["an uppercase reference", first({ from: "Order-Api", to: "matching" }), `${T0}.from`, 'malformed reference "Order-Api"'],
    ["a numeric reference", first({ from: 7, to: "matching" }), `${T0}.from`, "expected a service reference, got 7"],
    ["a data product in `to`", first({ from: "order-api", to: "trades" }), `${T0}.to`, '"trades" is a data product, use `data:`'],
    ["a service in `data`", first({ from: "order-api", data: "matching" }), `${T0}.data`, '"matching" is a service, use `to:`'],
    ["a data product as source", first({ from: "trades", to: "matching" }), `${T0}.from`, '"trades" is a data product; only services can be sources'],
    ["a wildcard destination", first({ from: "order-api", to: "*" }), `${T0}.to`, '"*" is allowed only as a source'],
    ["a missing source", first({ to: "matching" }), `${T0}.from`, "missing from"],
    ["a missing destination", first({ from: "order-api" }), T0, "intent has no destination"],
    ["both destinations", first({ from: "order-api", to: "matching", data: "trades" }), T0, "intent declares both `to` and `data`"],
    ["an intent that is not an object", first("order-api -> matching"), T0, 'expected an intent object, got "order-api -> matching"'],
    ["intents that are not a list", (d) => set(d.compliance, "intents", { auditor: "findings" }), "domains.compliance.intents", "intents must be a list, got an object"],
  ]);

  it("suggests the nearest name in the same domain", () => {
    const issue = expectOnly(issuesAfter((_, d) => first({ from: "order-api", to: "matchng" })(d)), `${T0}.to`, "unknown service");
    expect(issue.fix).toBe('did you mean "matching"?');
  });

  it("suggests the nearest qualified name and domain", () => {
    expect(expectOnly(issuesAfter((_, d) => add("risk", { from: "trading/order-apy", to: "risk-engine" })(d)), `${R4}.from`, "").fix).toBe(
      'did you mean "trading/order-api"?',
    );
    expect(expectOnly(issuesAfter((_, d) => add("risk", { from: "tradin/order-api", to: "risk-engine" })(d)), `${R4}.from`, "").fix).toBe('did you mean "trading"?');
  });
});

describe("validateMesh: intent ownership and exports", () => {
  run([
    ["a call to an unexported service", add("compliance", { from: "auditor", to: "trading/matching" }), `${C3}.to`, 'service "trading/matching" is not exported by domain "trading"'],
    ["a read of an unexported product", add("compliance", { from: "auditor", data: "risk/risk-db" }), `${C3}.data`, 'data product "risk/risk-db" is not exported by domain "risk"'],
    [
      "an intent between two other domains",
      add("compliance", { from: "trading/order-api", to: "risk/risk-engine" }),
      `${C3}.from`,
      'domain "compliance" owns neither the source "trading/order-api" nor the destination "risk/risk-engine"',
    ],
    ["a wildcard grant to another domain's service", add("compliance", { from: "*", to: "trading/order-api" }), `${C3}.from`, 'domain "compliance" grants "*" access to "trading/order-api", which it does not own'],
    ["a wildcard source on a high product", add("risk", { from: "*", data: "customer-risk" }), `${R4}.from`, 'wildcard source "*" may not access high-sensitivity data product "risk/customer-risk"'],
  ]);

  it("tells the declaring domain how to get an export", () => {
    const issues = issuesAfter((_, d) => add("compliance", { from: "auditor", to: "trading/matching" })(d));
    expect(issues[0].fix).toBe('ask domain "trading" to add "matching" to its exports');
  });

  it("lets a destination's owner grant access to a service of another domain, without an export", () => {
    expect(issuesAfter((_, d) => add("risk", { from: "compliance/auditor", to: "risk-engine" })(d))).toEqual([]);
  });

  it("lets the owner grant every workload access to a low product and to a service", () => {
    expect(issuesAfter((_, d) => add("risk", { from: "*", data: "risk-db" })(d))).toEqual([]);
    expect(issuesAfter((_, d) => add("trading", { from: "*", to: "order-api", paths: ["/health"] })(d))).toEqual([]);
  });
});

describe("validateMesh: intent methods, paths and access", () => {
  const call = (over: object) => first({ from: "order-api", to: "matching", ...over });
  const data = (over: object) => (d: DomainsByName) => void ((d.trading.intents as unknown[])[1] = { from: "matching", data: "trades", ...over });
  const T1 = "domains.trading.intents[1]";
  run([
    ["an empty method list", call({ methods: [] }), `${T0}.methods`, "empty methods list"],
    ["a lowercase method", call({ methods: ["get"] }), `${T0}.methods[0]`, 'unknown HTTP method "get"'],
    ["an unknown method", call({ methods: ["POST", "FETCH"] }), `${T0}.methods[1]`, 'unknown HTTP method "FETCH"'],
    ["a duplicate method", call({ methods: ["POST", "POST"] }), `${T0}.methods[1]`, 'duplicate method "POST"'],
    ["a method string", call({ methods: "POST" }), `${T0}.methods`, 'methods must be a list, got "POST"'],
    ["a relative path", call({ paths: ["orders"] }), `${T0}.paths[0]`, 'invalid path "orders": must start with "/"'],
    ["a glob path", call({ paths: ["/orders/*"] }), `${T0}.paths[0]`, 'invalid path "/orders/*": paths are plain prefixes'],
    ["a query in a path", call({ paths: ["/orders?id=1"] }), `${T0}.paths[0]`, "without \"*\", \"?\", \"#\""],
    ["a fragment in a path", call({ paths: ["/a#b"] }), `${T0}.paths[0]`, '"/a#b"'],
    ["an empty path list", call({ paths: [] }), `${T0}.paths`, "empty paths list"],
    ["a null path", call({ paths: [null] }), `${T0}.paths[0]`, "invalid path null"],
    ["access on a call", call({ access: ["read"] }), `${T0}.access`, "access applies to data intents, not call intents"],
    ["methods on a data intent", data({ methods: ["GET"] }), `${T1}.methods`, "methods apply to call intents, not data intents"],
    ["an unknown field", call({ method: ["GET"] }), `${T0}.method`, 'unknown field "method" in an intent'],
    ["an empty access list", data({ access: [] }), `${T1}.access`, "empty access list"],
    ["an unknown access", data({ access: ["read", "delete"] }), `${T1}.access[1]`, 'unknown access "delete"'],
    ["a duplicate access", data({ access: ["write", "write"] }), `${T1}.access[1]`, 'duplicate access "write"'],
    [
      "a duplicate intent",
      add("trading", { from: "order-api", to: "matching", methods: ["GET"] }),
      "domains.trading.intents[2]",
      "duplicate intent: trading/order-api -> trading/matching is already declared at domains.trading.intents[0]",
    ],
  ]);

  it("suggests the uppercase method and a prefix without the glob", () => {
    expect(expectOnly(issuesAfter((_, d) => call({ methods: ["get"] })(d)), `${T0}.methods[0]`, "").fix).toBe('did you mean "GET"?');
    expect(expectOnly(issuesAfter((_, d) => call({ paths: ["/orders/*"] })(d)), `${T0}.paths[0]`, "").fix).toBe('use the prefix "/orders/"');
  });

  it("tells the user to merge duplicates", () => {
    const issue = expectOnly(
      issuesAfter((_, d) => add("trading", { from: "order-api", to: "matching" })(d)),
      "domains.trading.intents[2]",
      "duplicate intent",
    );
    expect(issue.fix).toBe("merge the methods and paths into one intent");
  });

  it("reports every problem of one intent at once", () => {
    const issues = issuesAfter((_, d) => call({ from: "ordr-api", to: "matchin", methods: ["GIT"], paths: ["x"] })(d));
    expect(issues.map((i) => i.path)).toEqual([`${T0}.from`, `${T0}.to`, `${T0}.methods[0]`, `${T0}.paths[0]`]);
    expect(issues.map((i) => i.fix)).toEqual(['did you mean "order-api"?', 'did you mean "matching"?', 'did you mean "GET"?', 'use a path prefix such as "/orders"']);
  });
});

describe("validateMesh: deny rules", () => {
  const meshRule = (rule: unknown) => (_: DomainsByName, m: MeshSpec) => void (m.denyRules = [rule as DenyRuleSpec]);
  const riskRule = (rule: unknown) => (d: DomainsByName) => void (d.risk.denyRules = [rule as DenyRuleSpec]);
  run([
    ["an unqualified mesh reference", meshRule({ to: "customer-risk", reason: "r" }), "mesh.denyRules[0].to", 'reference "customer-risk" must be qualified as "<domain>/<name>"'],
    ["a wildcard destination", meshRule({ to: "*", reason: "r" }), "mesh.denyRules[0].to", '"*" is allowed only as a source'],
    ["an empty reason", meshRule({ to: "risk/customer-risk", reason: "" }), "mesh.denyRules[0].reason", 'invalid reason: expected a non-empty string, got ""'],
    ["a missing reason", meshRule({ from: "*" }), "mesh.denyRules[0].reason", "missing reason"],
    ["an unknown target", meshRule({ to: "risk/customer-risks", reason: "r" }), "mesh.denyRules[0].to", 'unknown service or data product "customer-risks" in domain "risk"'],
    ["a data product as source", meshRule({ from: "risk/risk-db", reason: "r" }), "mesh.denyRules[0].from", "only services can be sources"],
    ["an empty method list", meshRule({ methods: [], reason: "r" }), "mesh.denyRules[0].methods", "empty methods list"],
    ["a glob path", meshRule({ paths: ["/admin*"], reason: "r" }), "mesh.denyRules[0].paths[0]", '"/admin*"'],
    ["a rule that is not an object", meshRule("deny all"), "mesh.denyRules[0]", 'expected a deny rule object, got "deny all"'],
    ["rules that are not a list", (_, m) => set(m, "denyRules", { from: "*" }), "mesh.denyRules", "denyRules must be a list, got an object"],
    ["a domain rule for another domain's service", riskRule({ to: "trading/order-api", reason: "r" }), "domains.risk.denyRules[0].to", 'domain "risk" denies access to "trading/order-api"'],
    ["an unknown domain reference", riskRule({ from: "risk-engin", reason: "r" }), "domains.risk.denyRules[0].from", 'unknown service "risk-engin"'],
  ]);

  it("suggests the qualified name in mesh rules", () => {
    const issues = issuesAfter((m) => (m.denyRules = [{ to: "customer-risk", reason: "r" }]));
    expect(issues[0].fix).toBe('did you mean "risk/customer-risk"?');
  });

  it("accepts domain rules that protect the domain or restrict its own services", () => {
    const issues = issuesAfter((_, d) => {
      d.risk.denyRules = [
        { from: "trading/order-api", reason: "no trading access" },
        { to: "risk-db", methods: ["DELETE"], reason: "append-only" },
        { from: "risk-engine", to: "trading/order-api", reason: "risk never calls trading" },
      ];
    });
    expect(issues).toEqual([]);
  });

  it("reports several broken rules together", () => {
    const issues = issuesAfter((m) => (m.denyRules = [{ to: "x", reason: "" }, { from: "*", to: "Nope/y", reason: "r" }, { to: "risk/nothing", reason: "r" }]));
    expectIssue(issues, "mesh.denyRules[0].reason", "invalid reason");
    expectIssue(issues, "mesh.denyRules[0].to", 'reference "x" must be qualified');
    expectIssue(issues, "mesh.denyRules[1].to", 'malformed reference "Nope/y"');
    expectIssue(issues, "mesh.denyRules[2].to", 'unknown service or data product "nothing" in domain "risk"');
    expect(issues).toHaveLength(4);
  });

  it("accepts a mesh-level rule naming a domain this model does not hold, and applies it where the domain is held", () => {
    // The platform stack holds no domain; each domain stack's model holds the mesh's rules.
    expect(issuesAfter((m) => (m.denyRules = [{ from: "*", to: "nope/y", reason: "r" }, { from: "nope/x", to: "risk/risk-engine", reason: "r" }]))).toEqual([]);
    const rules = [{ from: "*", to: "nope/y", reason: "elsewhere" }, ...(mesh.denyRules ?? [])];
    // Dropped from this model, the others keeping their ids.
    expect(buildMesh({ ...mesh, denyRules: rules }, domains).denyRules.map((r) => r.id)).toEqual(["global#1"]);
    expect(buildMesh({ ...mesh, denyRules: [] }, []).denyRules).toEqual([]);
    expect(validateMesh({ ...mesh }, [])).toEqual([]);
  });
});
