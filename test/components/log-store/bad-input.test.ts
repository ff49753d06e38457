import { beforeAll, describe, expect, it } from "vitest";
import { Recorder } from "../../../cli/lib/recorder";
import type { AuditLogStoreArgs as Args, AuditLogStore as Store } from "../../../components/log-store";
import { ValidationError, type Zone } from "../../../components/model";

const rec = new Recorder();
type Ctor = typeof Store;
let AuditLogStore: Ctor;
beforeAll(async () => {
  ({ AuditLogStore } = await import("../../../components/log-store"));
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

async function reject(name: string, args: Args): Promise<{ path: string; message: string; fix?: string }[]> {
  let err: unknown;
  try {
    new AuditLogStore(name, args);
  } catch (e) {
    err = e;
  }
  await rec.settle();
  expect(err).toBeInstanceOf(ValidationError);
  expect((err as Error).message).toContain(`AuditLogStore "${name}"`);
  expect(rec.resources.filter((r) => r.name === name || r.name.startsWith(`${name}-`))).toEqual([]);
  return [...(err as ValidationError).issues];
}

describe("AuditLogStore rejects bad input before creating anything", () => {
  it("retained days below hot days", async () => {
    const [issue] = await reject("short", { zone: awsZone, retention: { hotDays: 90, retainedDays: 30 } });
    expect(issue.path).toBe("args.retention.retainedDays");
    expect(issue.message).toContain("30");
    expect(issue.message).toContain("90");
  });

  it("hot days below 1, and fractional days", async () => {
    const issues = await reject("hot", { zone: awsZone, retention: { hotDays: 0, retainedDays: 10.5 } });
    expect(issues.map((i) => i.path)).toEqual(["args.retention.hotDays", "args.retention.retainedDays"]);
    expect(issues[0].message).toContain("got 0");
  });

  it("an unknown cloud", async () => {
    const [issue] = await reject("cloud", { zone: { ...awsZone, cloud: "oracle" as Zone["cloud"] } });
    expect(issue.path).toBe("args.zone.cloud");
    expect(issue.message).toContain('"oracle"');
  });

  it("an on-prem zone, pointing to an external store", async () => {
    const [issue] = await reject("onprem", { zone: { id: "dc-eu", cloud: "onprem", region: "eu-frankfurt-dc1", failureZones: ["a"] } });
    expect(issue.path).toBe("args.zone.cloud");
    expect(issue.message).toContain('"dc-eu"');
    expect(issue.fix).toContain("external");
  });

  it("zones without the settings they need", async () => {
    expect((await reject("noaws", { zone: { ...awsZone, aws: undefined } })).map((i) => i.path)).toEqual(["args.zone.aws.accountId"]);
    expect((await reject("nogcp", { zone: { ...gcpZone, gcp: undefined } })).map((i) => i.path)).toEqual(["args.zone.gcp.project", "args.zone.gcp.projectNumber"]);
    const az = await reject("noaz", { zone: { ...azureZone, azure: { ...azureZone.azure!, tenantId: "nope" } } });
    expect(az.map((i) => i.path)).toEqual(["args.zone.azure.tenantId"]);
    expect(az[0].message).toContain('"nope"');
  });

  it("a writer that is not a single principal of the zone's cloud", async () => {
    const [a] = await reject("wa", { zone: awsZone, writer: "arn:aws:iam::123456789012:user/alice" });
    expect(a.path).toBe("args.writer");
    expect(a.message).toContain("arn:aws:iam::123456789012:user/alice");
    const [g] = await reject("wg", { zone: gcpZone, writer: "allUsers" });
    expect(g.message).toContain('"allUsers"');
    const [p] = await reject("wp", { zone: gcpZone, writer: "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*" });
    expect(p.path).toBe("args.writer");
    const [z] = await reject("wz", { zone: azureZone, writer: "collector" });
    expect(z.path).toBe("args.writer");
  });

  it("keys of the wrong shape, a GCP key outside the bucket's region, and an Azure key without its identity", async () => {
    expect((await reject("ka", { zone: awsZone, encryptionKey: "alias/aws/s3" })).map((i) => i.path)).toEqual(["args.encryptionKey"]);
    const [g] = await reject("kg", { zone: gcpZone, encryptionKey: "projects/p/locations/us-east1/keyRings/r/cryptoKeys/k" });
    expect(g.message).toContain("europe-west3");
    const [z] = await reject("kz", { zone: azureZone, encryptionKey: "https://corp.vault.azure.net/keys/audit" });
    expect(z.path).toBe("args.encryptionIdentity");
    const [i] = await reject("ki", { zone: awsZone, encryptionIdentity: "/subscriptions/x" });
    expect(i.path).toBe("args.encryptionIdentity");
  });

  it("a non-boolean lockRetention", async () => {
    const [issue] = await reject("lock", { zone: gcpZone, lockRetention: "yes" as unknown as boolean });
    expect(issue.path).toBe("args.lockRetention");
    expect(issue.message).toContain('"yes"');
  });
});
