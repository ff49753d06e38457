import { beforeAll, describe, expect, it } from "vitest";
import { Recorder } from "../../../cli/lib/recorder";
import type { Zone } from "../../../components/model";
import { ValidationError } from "../../../components/model";

const rec = new Recorder();
import type { WorkloadIdentityFederationArgs as Args, WorkloadIdentityFederation as Federation } from "../../../components/identity";
type Ctor = typeof Federation;
let WorkloadIdentityFederation: Ctor;
beforeAll(async () => {
  ({ WorkloadIdentityFederation } = await import("../../../components/identity"));
});

const awsZone: Zone = { id: "aws-eu", cloud: "aws", region: "eu-west-1", failureZones: ["a"], aws: { accountId: "123456789012" } };
const gcpZone: Zone = { id: "gcp-eu", cloud: "gcp", region: "europe-west3", failureZones: ["a"], gcp: { project: "acme-risk", projectNumber: "998877665544" } };
const azureZone: Zone = {
  id: "azure-eu",
  cloud: "azure",
  region: "westeurope",
  failureZones: ["1"],
  azure: { subscriptionId: "00000000-0000-0000-0000-000000000001", tenantId: "00000000-0000-0000-0000-0000000000aa", resourceGroupName: "rg" },
};
const ok = { key: "trading/matching", spiffeId: "spiffe://mesh.acme.example/ns/trading/sa/matching" };
const base: Args = { zone: awsZone, trustDomain: "mesh.acme.example", issuerUrl: "https://oidc.mesh.acme.example", workloads: [ok] };

/** Builds the component, expecting a ValidationError; returns its issues. Asserts nothing was registered. */
async function reject(name: string, args: Args): Promise<{ path: string; message: string; fix?: string }[]> {
  let err: unknown;
  try {
    new WorkloadIdentityFederation(name, args);
  } catch (e) {
    err = e;
  }
  await rec.settle();
  expect(err).toBeInstanceOf(ValidationError);
  expect(rec.resources.filter((r) => r.name === name || r.name.startsWith(`${name}-`))).toEqual([]);
  expect((err as Error).message).toContain(`WorkloadIdentityFederation "${name}"`);
  return [...(err as ValidationError).issues];
}

describe("WorkloadIdentityFederation rejects bad input before creating anything", () => {
  it("a wildcard SPIFFE ID", async () => {
    const issues = await reject("wild", { ...base, workloads: [{ key: "trading/matching", spiffeId: "spiffe://mesh.acme.example/ns/trading/sa/*" }] });
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe("args.workloads[0].spiffeId");
    expect(issues[0].message).toContain('"spiffe://mesh.acme.example/ns/trading/sa/*"');
    expect(issues[0].fix).toMatch(/^derive it with spiffeId\(trustDomain, /);
  });

  it("a malformed SPIFFE ID and one from another trust domain", async () => {
    const issues = await reject("malformed", {
      ...base,
      workloads: [
        { key: "a/b", spiffeId: "https://mesh.acme.example/ns/a/sa/b" },
        { key: "c/d", spiffeId: "spiffe://evil.example/ns/c/sa/d" },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual(["args.workloads[0].spiffeId", "args.workloads[1].spiffeId"]);
    expect(issues[1].message).toContain('"spiffe://evil.example/ns/c/sa/d"');
    expect(issues[1].message).toContain('"mesh.acme.example"');
  });

  it("a non-HTTPS issuer", async () => {
    const [issue] = await reject("http", { ...base, issuerUrl: "http://oidc.mesh.acme.example" });
    expect(issue.path).toBe("args.issuerUrl");
    expect(issue.message).toContain('"http://oidc.mesh.acme.example"');
    expect(issue.message).toContain("https");
  });

  it("an unknown cloud", async () => {
    const [issue] = await reject("cloud", { ...base, zone: { ...awsZone, cloud: "oracle" as Zone["cloud"] } });
    expect(issue.path).toBe("args.zone.cloud");
    expect(issue.message).toContain('"oracle"');
  });

  it("an on-prem zone, telling the user to skip it", async () => {
    const [issue] = await reject("onprem", { ...base, zone: { id: "dc-eu", cloud: "onprem", region: "eu-frankfurt-dc1", failureZones: ["a"] } });
    expect(issue.path).toBe("args.zone.cloud");
    expect(issue.message).toContain('"dc-eu"');
    expect(issue.fix).toContain("skip");
  });

  it("zones without the cloud settings they need", async () => {
    const aws = await reject("noaws", { ...base, zone: { ...awsZone, aws: undefined } });
    expect(aws.map((i) => i.path)).toEqual(["args.zone.aws.accountId"]);
    const az = await reject("noazure", { ...base, zone: { ...azureZone, azure: undefined } });
    expect(az.map((i) => i.path)).toEqual(["args.zone.azure.subscriptionId", "args.zone.azure.tenantId", "args.zone.azure.resourceGroupName"]);
    const gcp = await reject("nogcp", { ...base, zone: { ...gcpZone, gcp: { project: "acme-risk", projectNumber: "" } } });
    expect(gcp.map((i) => i.path)).toEqual(["args.zone.gcp.projectNumber"]);
    expect(gcp[0].message).toContain('""');
  });

  it("an Azure audience other than api://AzureADTokenExchange, and AWS-only options elsewhere", async () => {
    const issues = await reject("azaud", { ...base, zone: azureZone, audience: "api://other", thumbprints: ["a".repeat(40)] });
    expect(issues.map((i) => i.path)).toEqual(["args.audience", "args.thumbprints"]);
    expect(issues[0].message).toContain('"api://other"');
  });

  it("an existing OIDC provider of another issuer or account", async () => {
    const [issue] = await reject("arn", { ...base, existingOidcProviderArn: "arn:aws:iam::999999999999:oidc-provider/other.example" });
    expect(issue.path).toBe("args.existingOidcProviderArn");
    expect(issue.message).toContain("other.example");
  });

  it("duplicate workloads, bad keys, a session too long, and a SPIFFE ID too long for google.subject", async () => {
    const issues = await reject("dups", { ...base, workloads: [ok, ok, { key: "Bad Key", spiffeId: ok.spiffeId }], maxSessionDurationSeconds: 90000 });
    expect(issues.map((i) => i.path)).toEqual(["args.workloads[1].key", "args.workloads[2].key", "args.maxSessionDurationSeconds"]);
    const long = `spiffe://mesh.acme.example/ns/${"n".repeat(60)}/sa/${"s".repeat(60)}`;
    const [g] = await reject("long", { ...base, zone: gcpZone, workloads: [{ key: "a/b", spiffeId: long }] });
    expect(g.path).toBe("args.workloads[0].spiffeId");
    expect(g.message).toContain("127");
  });

  it("documents compiled for another SPIFFE ID", async () => {
    const documents = {
      aws: { "trading/matching": { workload: "trading/matching", spiffeId: "spiffe://mesh.acme.example/ns/x/sa/y", roleName: "r", policy: { Version: "2012-10-17" as const, Statement: [] } } },
      azure: {},
      gcp: {},
    };
    const [issue] = await reject("docs", { ...base, documents });
    expect(issue.path).toBe('args.documents.aws["trading/matching"].spiffeId');
  });

  it("reports every problem at once", async () => {
    const issues = await reject("many", { ...base, issuerUrl: "ftp://x", trustDomain: "Not A Domain", workloads: [{ key: "a/b", spiffeId: "spiffe://*" }] });
    expect(issues.map((i) => i.path)).toEqual(["args.trustDomain", "args.issuerUrl", "args.workloads[0].spiffeId"]);
  });
});
