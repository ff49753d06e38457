import { describe, expect, it } from "vitest";
import type { DataProductSpec, MeshSpec } from "../../components/model";
import { type DomainsByName, expectIssue, expectOnly, issuesAfter, set } from "./helpers";

/** name, mutation, path, message part, and whether other issues follow from it. */
type Case = [string, (d: DomainsByName, m: MeshSpec) => void, string, string, "cascades"?];

function run(cases: Case[]): void {
  it.each(cases)("rejects %s", (_, mutate, path, message, cascades) => {
    const issues = issuesAfter((m, d) => mutate(d, m));
    if (cascades) expectIssue(issues, path, message);
    else expectOnly(issues, path, message);
  });
}

const s3 = (over: Partial<DataProductSpec>): DataProductSpec => ({
  name: "quotes",
  zone: "aws-eu",
  engine: "s3",
  sensitivity: "low",
  owner: "t@acme.example",
  residency: "eu",
  schemaVersion: "1.0.0",
  ...over,
});

describe("validateMesh: domains", () => {
  run([
    ["a duplicate name", (d) => (d.compliance.name = "risk"), "domains[2].name", 'duplicate domain name "risk"'],
    ["a name that is not a label", (d) => (d.trading.name = "Trading"), "domains[0].name", '"Trading" is not a DNS-1123 label', "cascades"],
    ["an empty owner", (d) => (d.trading.owner = " "), "domains.trading.owner", 'invalid owner: expected a non-empty string, got " "'],
    ["a missing services list", (d) => set(d.compliance, "services", undefined), "domains.compliance.services", "missing services", "cascades"],
    ["a services object", (d) => set(d.compliance, "services", { auditor: {} }), "domains.compliance.services", "services must be a list, got an object", "cascades"],
    ["a typo in a field", (d) => set(d.trading, "export", ["matching"]), "domains.trading.export", 'unknown field "export"'],
  ]);

  it("suggests the field a typo meant", () => {
    const issue = expectOnly(issuesAfter((_, d) => set(d.trading, "denyRule", [])), "domains.trading.denyRule", "unknown field");
    expect(issue.fix).toBe('did you mean "denyRules"?');
  });
});

describe("validateMesh: services", () => {
  run([
    ["a duplicate name", (d) => (d.trading.services[1].name = "order-api"), "domains.trading.services[1].name", 'duplicate service name "order-api" in domain "trading"', "cascades"],
    ["a 64-character name", (d) => (d.compliance.services[0].name = "a".repeat(64)), "domains.compliance.services[0].name", "is 64 characters long, at most 63 allowed", "cascades"],
    ["an unknown zone", (d) => (d.trading.services[0].zone = "aws-eu1"), "domains.trading.services[0].zone", 'unknown zone "aws-eu1"'],
    ["a bad namespace", (d) => (d.trading.services[0].namespace = "Trading"), "domains.trading.services[0].namespace", 'invalid namespace: "Trading"'],
    ["a bad service account", (d) => (d.trading.services[0].serviceAccount = "order_api"), "domains.trading.services[0].serviceAccount", 'invalid service account: "order_api"'],
    [
      "two services with one SPIFFE ID",
      (d) => (d.trading.services[1].serviceAccount = "order-api"),
      "domains.trading.services[1].serviceAccount",
      'derives SPIFFE ID "spiffe://mesh.acme.example/ns/trading/sa/order-api", already derived at domains.trading.services[0].name',
    ],
    [
      "a SPIFFE ID shared across domains",
      (d) => Object.assign(d.risk.services[0], { namespace: "trading", serviceAccount: "matching" }),
      "domains.risk.services[0].serviceAccount",
      '"spiffe://mesh.acme.example/ns/trading/sa/matching"',
    ],
    [
      "a service named like a data proxy",
      (d) => d.trading.services.push({ name: "trades-proxy", zone: "aws-eu", ports: [{ port: 80 }] }),
      "domains.trading.services[2].name",
      'service name "trades-proxy" is reserved for the data proxy of data product "trades"',
    ],
    [
      "a service account equal to a data proxy's",
      (d) => (d.trading.services[1].serviceAccount = "trades-proxy"),
      "domains.trading.dataProducts[0].name",
      'the data proxy of "trades" derives SPIFFE ID "spiffe://mesh.acme.example/ns/trading/sa/trades-proxy"',
    ],
    [
      "two services with one host",
      (d) => Object.assign(d.risk.services[0], { name: "matching", namespace: "trading", serviceAccount: "risk-engine" }),
      "domains.risk.services[0].name",
      'same host "matching.trading.svc.cluster.local" as domains.trading.services[1]',
      "cascades",
    ],
    ["a service that is not an object", (d) => set(d.risk.services, "0", "risk-engine"), "domains.risk.services[0]", 'expected a service object, got "risk-engine"', "cascades"],
  ]);

  it("suggests the nearest zone", () => {
    const issue = expectOnly(issuesAfter((_, d) => (d.trading.services[0].zone = "aws-eu1")), "domains.trading.services[0].zone", "unknown zone");
    expect(issue.fix).toBe('did you mean "aws-eu"?');
  });

  it("lists the zones when none is near", () => {
    const issue = expectOnly(issuesAfter((_, d) => (d.trading.services[0].zone = "mars")), "domains.trading.services[0].zone", 'unknown zone "mars"');
    expect(issue.fix).toBe('zones: "aws-eu", "gcp-eu", "azure-eu", "dc-eu"');
  });
});

describe("validateMesh: ports", () => {
  const port = (i: number) => `domains.trading.services[${i}].ports`;
  run([
    ["no ports", (d) => (d.trading.services[0].ports = []), port(0), "service has no ports"],
    ["port 0", (d) => (d.trading.services[0].ports = [{ port: 0 }]), `${port(0)}[0].port`, "invalid port 0"],
    ["port 65536", (d) => (d.trading.services[0].ports = [{ port: 65536 }]), `${port(0)}[0].port`, "invalid port 65536"],
    ["a string port", (d) => set(d.trading.services[0].ports[0], "port", "8080"), `${port(0)}[0].port`, 'invalid port "8080"'],
    ["a duplicate port", (d) => d.trading.services[0].ports.push({ port: 8080, protocol: "grpc" }), `${port(0)}[1].port`, "duplicate port 8080"],
    ["an unknown protocol", (d) => set(d.trading.services[1].ports[0], "protocol", "udp"), `${port(1)}[0].protocol`, 'unknown protocol "udp"'],
    ["a 16-character name", (d) => (d.trading.services[0].ports[0].name = "http-management1"), `${port(0)}[0].name`, 'invalid port name "http-management1"'],
    ["a name without a letter", (d) => (d.trading.services[0].ports[0].name = "8080"), `${port(0)}[0].name`, 'invalid port name "8080"'],
    [
      "a duplicate name",
      (d) => (d.trading.services[0].ports = [{ port: 80, name: "web" }, { port: 81, name: "web" }]),
      `${port(0)}[1].name`,
      'duplicate port name "web"',
    ],
    [
      "a name equal to another port's default",
      (d) => (d.trading.services[0].ports = [{ port: 80 }, { port: 81, name: "http-80" }]),
      `${port(0)}[1].name`,
      'duplicate port name "http-80"',
    ],
  ]);
});

describe("validateMesh: data products", () => {
  const p = (dom: string, i: number, f: string) => `domains.${dom}.dataProducts[${i}].${f}`;
  run([
    ["an unknown engine", (d) => set(d.risk.dataProducts?.[1] ?? {}, "engine", "postgresql"), p("risk", 1, "engine"), 'unknown data engine "postgresql"'],
    ["s3 in a gcp zone", (d) => set(d.risk.dataProducts?.[0] ?? {}, "engine", "s3"), p("risk", 0, "engine"), 'engine "s3" is an aws object store but zone "gcp-eu" is in gcp'],
    ["gcs in an aws zone", (d) => set(d.trading.dataProducts?.[0] ?? {}, "engine", "gcs"), p("trading", 0, "engine"), 'engine "gcs" is an gcp object store but zone "aws-eu" is in aws'],
    ["blob on premises", (d) => set(d.risk.dataProducts?.[1] ?? {}, "engine", "blob"), p("risk", 1, "engine"), 'zone "dc-eu" is in onprem'],
    ["an unknown sensitivity", (d) => set(d.risk.dataProducts?.[1] ?? {}, "sensitivity", "secret"), p("risk", 1, "sensitivity"), 'unknown sensitivity tier "secret"'],
    ["a missing owner", (d) => set(d.risk.dataProducts?.[1] ?? {}, "owner", undefined), p("risk", 1, "owner"), "missing owner"],
    ["a bad schema version", (d) => set(d.risk.dataProducts?.[1] ?? {}, "schemaVersion", "v1"), p("risk", 1, "schemaVersion"), 'invalid schemaVersion "v1"'],
    ["a missing schema version", (d) => set(d.risk.dataProducts?.[1] ?? {}, "schemaVersion", undefined), p("risk", 1, "schemaVersion"), "missing schemaVersion"],
    ["a residency outside the region", (d) => set(d.trading.dataProducts?.[0] ?? {}, "residency", "us"), p("trading", 0, "residency"), 'residency "us" does not match zone "aws-eu": region "eu-west-1" is in "eu"'],
    ["an unknown residency", (d) => set(d.risk.dataProducts?.[1] ?? {}, "residency", "europe"), p("risk", 1, "residency"), 'unknown residency "europe"'],
    ["a port on an object store", (d) => set(d.trading.dataProducts?.[0] ?? {}, "port", 443), p("trading", 0, "port"), "port 443 set on an object store (s3)"],
    ["a database port out of range", (d) => set(d.risk.dataProducts?.[1] ?? {}, "port", 70000), p("risk", 1, "port"), "invalid port 70000"],
    ["a bad bucket name", (d) => set(d.trading.dataProducts?.[0] ?? {}, "location", "Trades_Bucket"), p("trading", 0, "location"), 'location "Trades_Bucket" is not a valid s3 bucket/container name'],
    ["a bad database host", (d) => set(d.risk.dataProducts?.[1] ?? {}, "location", "db host"), p("risk", 1, "location"), 'location "db host" is not a valid host name'],
    ["a bad proxy namespace", (d) => set(d.risk.dataProducts?.[1] ?? {}, "namespace", "Risk"), p("risk", 1, "namespace"), 'invalid namespace: "Risk"'],
    ["a product that is not an object", (d) => set(d.compliance, "dataProducts", [42]), "domains.compliance.dataProducts[0]", "expected a data product object, got 42", "cascades"],
    ["a product named like a service", (d) => d.trading.dataProducts?.push(s3({ name: "matching" })), p("trading", 1, "name"), 'data product "matching" has the same name as a service of domain "trading"'],
    ["a name too long for its proxy", (d) => d.trading.dataProducts?.push(s3({ name: "q".repeat(58), location: "quotes" })), p("trading", 1, "name"), "at most 57 allowed"],
    [
      "a default location too long for a bucket",
      (d) => d.trading.dataProducts?.push(s3({ name: "q".repeat(57) })),
      p("trading", 1, "name"),
      `location "trading-${"q".repeat(57)}" (the default, "<domain>-<name>") is not a valid s3 bucket/container name`,
    ],
    ["a bucket used twice", (d) => d.trading.dataProducts?.push(s3({ location: "trading-trades" })), p("trading", 1, "location"), 'location "trading-trades" is already used by domains.trading.dataProducts[0]'],
  ]);

  it("checks eu residency against a UK region", () => {
    const issues = issuesAfter((m) => (m.zones[0].region = "eu-west-2"));
    expectOnly(issues, "domains.trading.dataProducts[0].residency", 'residency "eu" does not match zone "aws-eu": region "eu-west-2" is in "uk"');
  });

  it("asks on-prem sites to name their jurisdiction", () => {
    const issue = expectOnly(issuesAfter((m) => (m.zones[3].region = "frankfurt-dc1")), "domains.risk.dataProducts[1].residency", "cannot be verified");
    expect(issue.fix).toContain('"eu-site-dc1"');
  });

  it("suggests the native object store of the zone's cloud", () => {
    const issues = issuesAfter((_, d) => set(d.risk.dataProducts?.[0] ?? {}, "engine", "s3"));
    expect(issues[0].fix).toBe('use engine "gcs", or a zone in aws');
  });

  it("allows databases in every cloud", () => {
    expect(issuesAfter((_, d) => d.trading.dataProducts?.forEach((p) => (p.engine = "postgres")))).toEqual([]);
  });
});

describe("validateMesh: exports", () => {
  run([
    ["an unknown name", (d) => (d.trading.exports = ["trades", "order-apii"]), "domains.trading.exports[1]", 'unknown export "order-apii"'],
    ["a qualified name", (d) => (d.risk.exports = ["risk-engine", "customer-risk", "risk/risk-db"]), "domains.risk.exports[2]", "without a domain prefix"],
    ["a duplicate", (d) => (d.trading.exports = ["trades", "order-api", "trades"]), "domains.trading.exports[2]", 'duplicate export "trades"'],
    ["a non-list", (d) => set(d.trading, "exports", "trades"), "domains.trading.exports", 'exports must be a list, got "trades"', "cascades"],
  ]);

  it("suggests the nearest name", () => {
    const issue = expectOnly(issuesAfter((_, d) => (d.trading.exports = ["trades", "order-apii"])), "domains.trading.exports[1]", "unknown export");
    expect(issue.fix).toBe('did you mean "order-api"?');
  });
});
