import { describe, expect, it } from "vitest";
import { type MeshSpec, ValidationError, buildMesh, validateMesh } from "../../components/model";
import { domains, mesh } from "../fixtures/mesh";
import { type DomainsByName, expectIssue, expectOnly, issuesAfter, set } from "./helpers";

/** name, mutation, path, message part, and whether other issues follow from it (references to the changed zone). */
type Case = [string, (m: MeshSpec, d: DomainsByName) => void, string, string, "cascades"?];

describe("validateMesh: the fixture", () => {
  it("is valid", () => {
    expect(validateMesh(mesh, domains)).toEqual([]);
  });

  it("does not modify its input", () => {
    const before = JSON.stringify([mesh, domains]);
    validateMesh(mesh, domains);
    expect(JSON.stringify([mesh, domains])).toBe(before);
  });
});

describe("validateMesh: trust domain", () => {
  const cases: Case[] = [
    ["scheme", (m) => (m.trustDomain = "spiffe://mesh.acme.example"), "mesh.trustDomain", "must not include a scheme"],
    ["path", (m) => (m.trustDomain = "mesh.acme.example/prod"), "mesh.trustDomain", "must not include a path"],
    ["wildcard", (m) => (m.trustDomain = "*.acme.example"), "mesh.trustDomain", "must not contain a wildcard"],
    ["uppercase", (m) => (m.trustDomain = "Mesh.Acme.example"), "mesh.trustDomain", "must be lowercase"],
    ["not a DNS name", (m) => (m.trustDomain = "mesh..acme"), "mesh.trustDomain", "is not a DNS name"],
    ["underscore", (m) => (m.trustDomain = "mesh_acme.example"), "mesh.trustDomain", "\"mesh_acme.example\" is not a DNS name"],
    ["missing", (m) => set(m, "trustDomain", undefined), "mesh.trustDomain", "missing trustDomain"],
    ["a number", (m) => set(m, "trustDomain", 42), "mesh.trustDomain", "invalid trustDomain 42"],
  ];
  it.each(cases)("rejects %s", (_, mutate, path, message) => {
    expectOnly(issuesAfter(mutate), path, message);
  });

  it("suggests the lowercase form", () => {
    const issue = expectOnly(issuesAfter((m) => (m.trustDomain = "Mesh.example")), "mesh.trustDomain", "lowercase");
    expect(issue.fix).toBe('use "mesh.example"');
  });
});

describe("validateMesh: policy engine and log retention", () => {
  const cases: Case[] = [
    ["one replica", (m) => (m.policyEngine = { replicas: 1 }), "mesh.policyEngine.replicas", "replicas 1 is below the minimum of 2"],
    ["fractional replicas", (m) => (m.policyEngine = { replicas: 2.5 }), "mesh.policyEngine.replicas", "replicas 2.5 is not an integer"],
    ["string replicas", (m) => set(m, "policyEngine", { replicas: "3" }), "mesh.policyEngine.replicas", 'replicas "3" is not an integer'],
    ["zero timeout", (m) => (m.policyEngine = { decisionTimeoutMs: 0 }), "mesh.policyEngine.decisionTimeoutMs", "invalid decisionTimeoutMs 0"],
    ["long timeout", (m) => (m.policyEngine = { decisionTimeoutMs: 10_001 }), "mesh.policyEngine.decisionTimeoutMs", "10001"],
    ["bad OPA version", (m) => (m.policyEngine = { opaVersion: "v1.4.2-envoy" }), "mesh.policyEngine.opaVersion", '"v1.4.2-envoy"'],
    ["policy engine not an object", (m) => set(m, "policyEngine", "fast"), "mesh.policyEngine", 'got "fast"'],
    ["zero hot days", (m) => (m.logRetention = { hotDays: 0 }), "mesh.logRetention.hotDays", "invalid hotDays 0"],
    ["retained < hot", (m) => (m.logRetention = { hotDays: 30, retainedDays: 7 }), "mesh.logRetention.retainedDays", "retainedDays 7 is shorter than hotDays 30"],
    ["hot above default retention", (m) => (m.logRetention = { hotDays: 3000 }), "mesh.logRetention.retainedDays", "2555 is shorter than hotDays 3000"],
    ["unknown field", (m) => set(m, "logRetention", { hotDay: 30 }), "mesh.logRetention.hotDay", 'unknown field "hotDay"'],
  ];
  it.each(cases)("rejects %s", (_, mutate, path, message) => {
    expectOnly(issuesAfter(mutate), path, message);
  });

  it("accepts the minimum replicas and the maximum timeout", () => {
    expect(issuesAfter((m) => (m.policyEngine = { replicas: 2, decisionTimeoutMs: 10_000 }))).toEqual([]);
  });
});

describe("validateMesh: zones", () => {
  const cases: Case[] = [
    ["duplicate id", (m) => (m.zones[1].id = "aws-eu"), "mesh.zones[1].id", 'duplicate zone id "aws-eu"', "cascades"],
    ["id not a label", (m) => (m.zones[3].id = "DC_EU"), "mesh.zones[3].id", '"DC_EU" is not a DNS-1123 label', "cascades"],
    ["unknown cloud", (m) => set(m.zones[3], "cloud", "openstack"), "mesh.zones[3].cloud", 'unknown cloud "openstack"'],
    ["empty region", (m) => (m.zones[0].region = ""), "mesh.zones[0].region", "invalid region"],
    ["azure name in aws", (m) => (m.zones[0].region = "westeurope"), "mesh.zones[0].region", 'region "westeurope" is not a aws region name (it looks like a azure region)'],
    ["aws name in gcp", (m) => (m.zones[1].region = "eu-west-3"), "mesh.zones[1].region", 'region "eu-west-3" is not a gcp region name'],
    ["azure display name", (m) => (m.zones[2].region = "West Europe"), "mesh.zones[2].region", '"West Europe" is not a azure region name'],
    ["no failure zones", (m) => (m.zones[0].failureZones = []), "mesh.zones[0].failureZones", "no failure zones"],
    ["duplicate failure zone", (m) => (m.zones[0].failureZones = ["a", "b", "a"]), "mesh.zones[0].failureZones[2]", 'duplicate failure zone "a"'],
    ["failure zones not a list", (m) => set(m.zones[0], "failureZones", "a,b"), "mesh.zones[0].failureZones", 'failureZones must be a list, got "a,b"'],
    ["aws without settings", (m) => delete m.zones[0].aws, "mesh.zones[0].aws", "zone in aws has no aws settings"],
    ["short account id", (m) => (m.zones[0].aws = { accountId: "12345" }), "mesh.zones[0].aws.accountId", 'invalid AWS account id "12345"'],
    ["numeric account id", (m) => set(m.zones[0], "aws", { accountId: 123456789012 }), "mesh.zones[0].aws.accountId", "123456789012"],
    ["bad partition", (m) => set(m.zones[0], "aws", { accountId: "123456789012", partition: "aws-eu" }), "mesh.zones[0].aws.partition", 'unknown AWS partition "aws-eu"'],
    ["azure subscription not a GUID", (m) => m.zones[2].azure && (m.zones[2].azure.subscriptionId = "sub-1"), "mesh.zones[2].azure.subscriptionId", '"sub-1": expected a GUID'],
    ["azure tenant missing", (m) => m.zones[2].azure && set(m.zones[2].azure, "tenantId", undefined), "mesh.zones[2].azure.tenantId", "invalid tenantId undefined"],
    ["azure resource group", (m) => m.zones[2].azure && (m.zones[2].azure.resourceGroupName = "rg."), "mesh.zones[2].azure.resourceGroupName", '"rg."'],
    ["gcp project id", (m) => m.zones[1].gcp && (m.zones[1].gcp.project = "Acme"), "mesh.zones[1].gcp.project", 'invalid GCP project id "Acme"'],
    ["gcp project number", (m) => m.zones[1].gcp && (m.zones[1].gcp.projectNumber = "acme-risk"), "mesh.zones[1].gcp.projectNumber", '"acme-risk"'],
    ["gcp block on aws", (m) => (m.zones[0].gcp = { project: "acme-risk", projectNumber: "1" }), "mesh.zones[0].gcp", 'zone has cloud "aws" but a "gcp" settings block'],
    ["aws block on onprem", (m) => (m.zones[3].aws = { accountId: "123456789012" }), "mesh.zones[3].aws", 'zone has cloud "onprem" but a "aws" settings block'],
    ["zone not an object", (m) => set(m.zones, "3", "dc-eu"), "mesh.zones[3]", 'expected a zone object, got "dc-eu"', "cascades"],
    ["typo in a field", (m) => set(m.zones[3], "failureZone", ["x"]), "mesh.zones[3].failureZone", 'unknown field "failureZone"'],
  ];
  it.each(cases)("rejects %s", (_, mutate, path, message, cascades) => {
    const issues = issuesAfter(mutate);
    if (cascades) expectIssue(issues, path, message);
    else expectOnly(issues, path, message);
  });

  it("rejects a mesh without zones", () => {
    const issues = issuesAfter((m) => (m.zones = []));
    expectIssue(issues, "mesh.zones", "the mesh declares no zones");
    expectIssue(issues, "domains.trading.services[0].zone", 'unknown zone "aws-eu"');
  });

  it("suggests the canonical azure region and the typo'd cloud", () => {
    expect(expectOnly(issuesAfter((m) => (m.zones[2].region = "West Europe")), "mesh.zones[2].region", "").fix).toBe('did you mean "westeurope"?');
    expect(expectOnly(issuesAfter((m) => set(m.zones[3], "cloud", "gpc")), "mesh.zones[3].cloud", "").fix).toBe('did you mean "gcp"?');
  });
});

describe("validateMesh: malformed input never throws", () => {
  const garbage: unknown[] = [null, undefined, 0, "mesh", [], [1, 2], true, {}];
  it.each(garbage.map((g) => [JSON.stringify(g) ?? "undefined", g]))("as the mesh: %s", (_, g) => {
    const issues = validateMesh(g as MeshSpec, domains);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.path.length > 0 && i.message.length > 0)).toBe(true);
  });
  it.each(garbage.map((g) => [JSON.stringify(g) ?? "undefined", g]))("as the domains: %s", (_, g) => {
    expect(() => validateMesh(mesh, g as never)).not.toThrow();
  });

  it("reports a non-list domains argument at `domains`", () => {
    const issues = validateMesh(mesh, "trading" as never);
    expect(issues.map((i) => [i.path, i.message])).toEqual([["domains", 'domains must be a list, got "trading"']]);
  });
});

describe("buildMesh", () => {
  it("throws a ValidationError carrying every issue", () => {
    const bad = structuredClone(mesh);
    bad.trustDomain = "https://mesh";
    bad.policyEngine = { replicas: 1 };
    let caught: unknown;
    try {
      buildMesh(bad, domains);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const err = caught as ValidationError;
    expect(err.issues.map((i) => i.path)).toEqual(["mesh.trustDomain", "mesh.policyEngine.replicas"]);
    expect(err.message).toContain("2 problems");
    expect(err.message).toContain("mesh.policyEngine.replicas: replicas 1");
  });

  it("throws ValidationError, not TypeError, on garbage", () => {
    expect(() => buildMesh(null as never, [null] as never)).toThrow(ValidationError);
  });
});

describe("validateMesh: zone gateway settings", () => {
  /** [name, gateway value, path, exact message, exact fix] */
  type GatewayCase = [string, unknown, string, string, string];
  const HOST_FIX = 'use the DNS name of the gateway\'s LoadBalancer, e.g. "gateway.aws-eu.mesh.acme.example"';
  const CIDR_FIX = 'use an IPv4 CIDR such as "10.20.0.0/24"';
  const WIDE_FIX = "name the LoadBalancer's own addresses (a /8 or narrower)";
  const cases: GatewayCase[] = [
    ["not an object", "gateway.aws-eu.example", "mesh.zones[0].gateway", 'expected gateway settings, got "gateway.aws-eu.example"', "declare gateway: { host?, cidrs? }"],
    ["a list", ["10.0.0.0/24"], "mesh.zones[0].gateway", "expected gateway settings, got an array", "declare gateway: { host?, cidrs? }"],
    ["unknown key", { host: "gw.example", cidr: ["10.0.0.0/24"] }, "mesh.zones[0].gateway.cidr", 'unknown field "cidr" in gateway settings', 'did you mean "cidrs"?'],
    ["uppercase host", { host: "Gateway.AWS.example" }, "mesh.zones[0].gateway.host", 'invalid gateway host "Gateway.AWS.example"', HOST_FIX],
    ["host with a scheme", { host: "https://gw.example" }, "mesh.zones[0].gateway.host", 'invalid gateway host "https://gw.example"', HOST_FIX],
    ["host with a port", { host: "gw.example:8443" }, "mesh.zones[0].gateway.host", 'invalid gateway host "gw.example:8443"', HOST_FIX],
    ["empty host", { host: "" }, "mesh.zones[0].gateway.host", 'invalid gateway host ""', HOST_FIX],
    ["numeric host", { host: 42 }, "mesh.zones[0].gateway.host", "invalid gateway host 42", HOST_FIX],
    ["cidrs not a list", { cidrs: "10.0.0.0/24" }, "mesh.zones[0].gateway.cidrs", 'cidrs must be a list, got "10.0.0.0/24"', "declare cidrs as a list"],
    ["prefix over 32", { cidrs: ["10.0.0.0/24", "10.0.0.0/33"] }, "mesh.zones[0].gateway.cidrs[1]", 'invalid CIDR "10.0.0.0/33"', CIDR_FIX],
    ["octet over 255", { cidrs: ["10.256.0.0/24"] }, "mesh.zones[0].gateway.cidrs[0]", 'invalid CIDR "10.256.0.0/24"', CIDR_FIX],
    ["no prefix length", { cidrs: ["10.0.0.1"] }, "mesh.zones[0].gateway.cidrs[0]", 'invalid CIDR "10.0.0.1"', CIDR_FIX],
    ["three octets", { cidrs: ["10.0.0/24"] }, "mesh.zones[0].gateway.cidrs[0]", 'invalid CIDR "10.0.0/24"', CIDR_FIX],
    ["IPv6", { cidrs: ["fd00::/64"] }, "mesh.zones[0].gateway.cidrs[0]", 'invalid CIDR "fd00::/64"', CIDR_FIX],
    ["a number", { cidrs: [10] }, "mesh.zones[0].gateway.cidrs[0]", "invalid CIDR 10", CIDR_FIX],
    ["the whole internet", { cidrs: ["0.0.0.0/0"] }, "mesh.zones[0].gateway.cidrs[0]", 'CIDR "0.0.0.0/0" is too wide for a gateway address', WIDE_FIX],
    ["wider than /8", { cidrs: ["10.20.0.0/24", "10.0.0.0/7"] }, "mesh.zones[0].gateway.cidrs[1]", 'CIDR "10.0.0.0/7" is too wide for a gateway address', WIDE_FIX],
  ];
  it.each(cases)("rejects %s", (_, gateway, path, message, fix) => {
    const issues = issuesAfter((m) => set(m.zones[0], "gateway", gateway));
    expect(issues.map((i) => [i.path, i.message, i.fix])).toEqual([[path, message, fix]]);
  });

  it("reports every bad entry of one zone's settings, each at its path", () => {
    const issues = issuesAfter((m) => set(m.zones[1], "gateway", { host: "bad host", cidrs: ["10.0.0.0/33", "1.0.0.0/4"] }));
    expect(issues.map((i) => i.path)).toEqual(["mesh.zones[1].gateway.host", "mesh.zones[1].gateway.cidrs[0]", "mesh.zones[1].gateway.cidrs[1]"]);
  });

  it("accepts a DNS host, /8 to /32 CIDRs, an empty list and empty settings", () => {
    expect(issuesAfter((m) => (m.zones[0].gateway = { host: "east-west.aws-eu.mesh.acme.example", cidrs: ["10.0.0.0/8", "10.20.0.7/32", "192.168.4.0/24"] }))).toEqual([]);
    expect(issuesAfter((m) => (m.zones[0].gateway = { host: "gateway" }))).toEqual([]);
    expect(issuesAfter((m) => (m.zones[0].gateway = { cidrs: [] }))).toEqual([]);
    expect(issuesAfter((m) => (m.zones[0].gateway = {}))).toEqual([]);
  });
});
