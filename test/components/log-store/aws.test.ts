import { beforeAll, describe, expect, it } from "vitest";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import { checkAwsPolicyDocument, wildcardIssues } from "../../../components/compile/iam";
import type { AuditLogStore } from "../../../components/log-store";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const rec = new Recorder();
const model = buildMesh(mesh, domains);
const zone = model.zones.find((z) => z.id === "aws-eu")!;
const WRITER = "arn:aws:iam::123456789012:role/ztmesh-mesh-log-collector";

let store: AuditLogStore;
let component: RecordedResource;
beforeAll(async () => {
  const { AuditLogStore } = await import("../../../components/log-store");
  store = new AuditLogStore("audit", { zone, retention: model.logRetention, writer: WRITER, lockRetention: true, tags: { team: "platform" } });
  new AuditLogStore("audit-dev", { zone, retention: { hotDays: 30, retainedDays: 30 } });
  await rec.settle();
  component = rec.get("audit", "ztmesh:log-store:AuditLogStore");
});

const value = <T>(o: { apply(f: (v: T) => void): unknown }): Promise<T> => new Promise((resolve) => o.apply(resolve));
const json = (r: RecordedResource, key = "policy") => JSON.parse(String(r.inputs[key]));

describe("AuditLogStore on AWS", () => {
  it("creates the bucket and its configuration, all parented to the component", () => {
    expect(rec.childrenOf(component.urn).map((c) => c.type).sort()).toEqual(
      [
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:iam/rolePolicy:RolePolicy",
      ].sort(),
    );
    const stores = rec.ofType("ztmesh:log-store:AuditLogStore").map((r) => r.urn);
    for (const r of rec.resources) if (!stores.includes(r.urn)) expect(stores).toContain(r.parent);
    const tags = { "ztmesh-role": "audit-log-store", "ztmesh-zone": "aws-eu", "managed-by": "ztmesh", team: "platform" };
    expect(rec.get("audit-bucket").inputs.tags).toEqual(tags);
    expect(rec.get("audit-key").inputs.tags).toEqual(tags);
  });

  it("locks objects in COMPLIANCE mode for the retained days, on a versioned bucket created with Object Lock", () => {
    expect(rec.get("audit-bucket").inputs).toMatchObject({ objectLockEnabled: true, forceDestroy: false });
    expect(rec.get("audit-versioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
    const lock = rec.get("audit-object-lock");
    expect(lock.inputs.rule).toEqual({ defaultRetention: { mode: "COMPLIANCE", days: 2555 } });
    expect(lock.dependencies).toContain(rec.get("audit-versioning").urn);
    expect(rec.get("audit-dev-object-lock").inputs.rule).toEqual({ defaultRetention: { mode: "COMPLIANCE", days: 30 } });
  });

  it("encrypts with a rotated customer-managed KMS key and bucket keys", async () => {
    const key = rec.get("audit-key");
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    const policy = json(key);
    expect(checkAwsPolicyDocument(policy)).toEqual([]);
    const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions.filter((a: string) => a.includes("*"))).toEqual([]);
    expect(actions).not.toContain("kms:DisableKeyRotation");
    // In a key policy, Resource "*" means "this key": the only wildcard the checker finds.
    expect(wildcardIssues(policy).every((i) => i.includes('wildcard resource "*"'))).toBe(true);
    expect(policy.Statement[0].Principal).toEqual({ AWS: "arn:aws:iam::123456789012:root" });
    const sse = rec.get("audit-encryption").inputs.rules as Record<string, unknown>[];
    expect(sse).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: await value(store.encryptionKey) }, bucketKeyEnabled: true }]);
    expect(await value(store.encryptionKey)).toMatch(/^arn:aws:kms:/);
  });

  it("blocks all public access and disables ACLs", () => {
    expect(rec.get("audit-public-access").inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(rec.get("audit-ownership").inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
  });

  it("denies non-TLS requests, everything but PutObject to the writer, and (locked) retention changes", async () => {
    const bucketArn = `arn:aws:s3:::${await value(store.storeName)}`;
    const policy = json(rec.get("audit-policy"));
    expect(checkAwsPolicyDocument(policy)).toEqual([]);
    expect(wildcardIssues(policy)).toEqual([]);
    expect(policy.Statement).toEqual([
      { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
      { Sid: "WriterOnlyPutsObjects", Effect: "Deny", Principal: { AWS: WRITER }, NotAction: ["s3:PutObject"], Resource: [bucketArn, `${bucketArn}/*`] },
      { Sid: "DenyRetentionChanges", Effect: "Deny", Principal: "*", Action: ["s3:PutBucketObjectLockConfiguration"], Resource: [bucketArn] },
    ]);
    expect(rec.get("audit-policy").dependencies).toContain(rec.get("audit-object-lock").urn);
    const dev = json(rec.get("audit-dev-policy"));
    expect(dev.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["DenyInsecureTransport"]);
  });

  it("grants the writer exactly s3:PutObject on the bucket's objects (and the key only through S3)", async () => {
    const bucketArn = `arn:aws:s3:::${await value(store.storeName)}`;
    const w = rec.get("audit-writer");
    expect(w.inputs.role).toBe("ztmesh-mesh-log-collector");
    const policy = json(w);
    expect(checkAwsPolicyDocument(policy)).toEqual([]);
    expect(wildcardIssues(policy)).toEqual([]);
    const s3 = policy.Statement.flatMap((s: { Action: string[] }) => s.Action).filter((a: string) => a.startsWith("s3:"));
    expect(s3).toEqual(["s3:PutObject"]);
    expect(policy.Statement[0].Resource).toEqual([`${bucketArn}/*`]);
    expect(policy.Statement[1]).toMatchObject({ Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [await value(store.encryptionKey)], Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } } });
    expect(rec.resources.filter((r) => r.name === "audit-dev-writer")).toEqual([]);
  });

  it("moves logs to Glacier after the hot days and expires them after the retained days", () => {
    const [rule] = rec.get("audit-lifecycle").inputs.rules as Record<string, unknown>[];
    expect(rule).toMatchObject({
      status: "Enabled",
      filter: {},
      transitions: [{ days: 90, storageClass: "GLACIER" }],
      expiration: { days: 2555 },
      noncurrentVersionExpiration: { noncurrentDays: 1 },
    });
    const [dev] = rec.get("audit-dev-lifecycle").inputs.rules as Record<string, unknown>[];
    expect(dev.transitions ?? []).toEqual([]);
    expect(dev.expiration).toEqual({ days: 30 });
  });

  it("exports the endpoint, the retention and the lock setting", async () => {
    expect(await value(store.endpoint)).toBe(`s3://${await value(store.storeName)}`);
    expect(store.retention).toEqual({ hotDays: 90, retainedDays: 2555 });
    expect(store.lockRetention).toBe(true);
  });
});
