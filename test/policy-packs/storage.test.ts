import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackSession, UNKNOWN, res, type TestResource } from "../helpers/policy-inprocess";
import { messages, names } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

describe("storage-no-public-access", () => {
  const P = "storage-no-public-access";
  const pab = (flags: Record<string, boolean>) =>
    res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", {
      bucket: "b",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
      ...flags,
    });
  const bucketPolicy = (statement: Record<string, unknown>) =>
    res("aws:s3/bucketPolicy:BucketPolicy", "bp", { bucket: "b", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", ...statement }] }) });
  const gcs = (inputs: Record<string, unknown>) =>
    res("gcp:storage/bucket:Bucket", "gcs", { location: "EU", publicAccessPrevention: "enforced", uniformBucketLevelAccess: true, ...inputs });

  it("passes private storage everywhere", async () => {
    const v = await pack.violationsOf(P, [
      res("aws:s3/bucketAclV2:BucketAclV2", "acl", { bucket: "b", acl: "private" }),
      pab({}),
      bucketPolicy({ Principal: "*", Condition: { StringEquals: { "aws:SourceVpce": "vpce-1" } } }),
      bucketPolicy({ Principal: { AWS: "arn:aws:iam::1:role/reader" } }),
      res("gcp:storage/bucketIAMMember:BucketIAMMember", "m", { bucket: "b", role: "roles/storage.objectViewer", member: "serviceAccount:a@p.iam.gserviceaccount.com" }),
      gcs({}),
      res("azure-native:storage:StorageAccount", "sa", { resourceGroupName: "rg", allowSharedKeyAccess: false }),
      res("azure-native:storage:BlobContainer", "c", { accountName: "sa", resourceGroupName: "rg" }),
      res("azure-native:storage:BlobContainer", "c2", { accountName: "sa", resourceGroupName: "rg", publicAccess: "None" }),
    ]);
    expect(v).toEqual([]);
  });

  it.each([
    ["a public-read ACL", res("aws:s3/bucketAclV2:BucketAclV2", "r", { bucket: "b", acl: "public-read" }), 'S3 ACL "public-read" makes the bucket public'],
    ["an authenticated-read ACL", res("aws:s3/bucketAcl:BucketAcl", "r", { bucket: "b", acl: "authenticated-read" }), 'S3 ACL "authenticated-read" makes the bucket public'],
    [
      "a grant to AllUsers",
      res("aws:s3/bucketAclV2:BucketAclV2", "r", {
        bucket: "b",
        accessControlPolicy: { owner: { id: "o" }, grants: [{ permission: "READ", grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" } }] },
      }),
      "S3 ACL grants READ to AllUsers; remove the grant.",
    ],
    ["a bucket policy for Principal *", bucketPolicy({ Principal: "*" }), "S3 bucket policy statement [0] allows every principal"],
    ["a bucket policy for AWS * with only a TLS condition", bucketPolicy({ Principal: { AWS: ["*"] }, Condition: { Bool: { "aws:SecureTransport": "true" } } }), "S3 bucket policy statement [0] allows every principal"],
    ["a public access block with a flag off", pab({ ignorePublicAcls: false }), "S3 public access block does not set ignorePublicAcls to true; all four must be true."],
    ["allUsers on a GCS bucket", res("gcp:storage/bucketIAMBinding:BucketIAMBinding", "r", { bucket: "b", role: "roles/storage.objectViewer", members: ["allUsers"] }), "GCS bucket IAM grants roles/storage.objectViewer to allUsers"],
    ["allAuthenticatedUsers on a GCS bucket", res("gcp:storage/bucketIAMMember:BucketIAMMember", "r", { bucket: "b", role: "roles/storage.objectViewer", member: "allAuthenticatedUsers" }), "to allAuthenticatedUsers"],
    ["a GCS bucket without public access prevention", gcs({ publicAccessPrevention: "inherited" }), 'GCS bucket publicAccessPrevention is not "enforced".'],
    ["a GCS bucket without uniform access", gcs({ uniformBucketLevelAccess: undefined }), "GCS bucket uniformBucketLevelAccess is not true"],
    ["an Azure account allowing public blobs", res("azure-native:storage:StorageAccount", "r", { allowSharedKeyAccess: false, allowBlobPublicAccess: true }), "allows blob public access"],
    ["a public Azure container", res("azure-native:storage:BlobContainer", "r", { accountName: "sa", publicAccess: "Blob" }), 'Azure blob container publicAccess is "Blob"; use "None".'],
  ])("fails %s", async (_l, r, message) => {
    const v = await pack.violationsOf(P, [r]);
    expect(messages(v)).toHaveLength(1);
    expect(messages(v)[0]).toContain(message);
  });

  it("reports an unknown ACL at preview", async () => {
    expect((await pack.violationsOf(P, [res("aws:s3/bucketAclV2:BucketAclV2", "r", { bucket: "b", acl: UNKNOWN })])).map((v) => v.level)).toEqual(["advisory"]);
  });
});

describe("audit-log-store-immutable", () => {
  const P = "audit-log-store-immutable";
  const AUDIT = { "ztmesh.io/role": "audit-log-store" };
  const denyInsecure = JSON.stringify({
    Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }],
  });
  function s3(over: Partial<Record<"bucket" | "lock" | "versioning" | "sse" | "policy", Record<string, unknown> | null>> = {}): TestResource[] {
    const parts: [string, string, Record<string, unknown>][] = [
      ["bucket", "aws:s3/bucket:Bucket", { bucket: "logs", objectLockEnabled: true, tags: AUDIT }],
      ["lock", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", { bucket: "logs", rule: { defaultRetention: { mode: "COMPLIANCE", years: 7 } } }],
      ["versioning", "aws:s3/bucketVersioning:BucketVersioning", { bucket: "logs", versioningConfiguration: { status: "Enabled" } }],
      ["sse", "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", { bucket: "logs", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:1:key/k" } }] }],
      ["policy", "aws:s3/bucketPolicy:BucketPolicy", { bucket: "logs", policy: denyInsecure }],
    ];
    return parts.flatMap(([n, type, inputs]) => {
      const o = over[n as keyof typeof over];
      return o === null ? [] : [res(type, n, { ...inputs, ...o })];
    });
  }
  const gcs = (inputs: Record<string, unknown> = {}) =>
    res("gcp:storage/bucket:Bucket", "gcs-logs", {
      location: "EU",
      labels: { "ztmesh-role": "audit-log-store" },
      retentionPolicy: { retentionPeriod: 2555 * 86400, isLocked: true },
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: "projects/p/locations/eu/keyRings/r/cryptoKeys/k" },
      ...inputs,
    });
  function azure(account: Record<string, unknown> = {}, withPolicy = true, days = 2555): TestResource[] {
    return [
      res("azure-native:storage:StorageAccount", "azlogs", {
        accountName: "azlogs",
        tags: { "ztmesh-role": "audit-log-store" },
        encryption: { keySource: "Microsoft.Keyvault", keyVaultProperties: { keyName: "k", keyVaultUri: "https://v.vault.azure.net" } },
        minimumTlsVersion: "TLS1_2",
        enableHttpsTrafficOnly: true,
        ...account,
      }),
      res("azure-native:storage:BlobServiceProperties", "blobsvc", { accountName: "azlogs", isVersioningEnabled: true }),
      ...(withPolicy ? [res("azure-native:storage:BlobContainerImmutabilityPolicy", "imm", { accountName: "x", containerName: "logs", immutabilityPeriodSinceCreationInDays: days }, { dependsOn: ["azlogs"] })] : []),
    ];
  }

  it("passes complete S3, GCS and Azure stores, and ignores unmarked buckets", async () => {
    const v = await pack.violationsOf(P, [...s3(), gcs(), ...azure(), res("aws:s3/bucket:Bucket", "plain", { bucket: "plain" })]);
    expect(v).toEqual([]);
  });

  it.each([
    ["objectLockEnabled missing", { bucket: { objectLockEnabled: false } }, "objectLockEnabled is not true"],
    ["no lock configuration", { lock: null }, "no object lock configuration with defaultRetention mode COMPLIANCE"],
    ["GOVERNANCE mode", { lock: { rule: { defaultRetention: { mode: "GOVERNANCE", years: 7 } } } }, "no object lock configuration with defaultRetention mode COMPLIANCE"],
    ["a short retention", { lock: { rule: { defaultRetention: { mode: "COMPLIANCE", days: 90 } } } }, "object lock retention is 90 days, less than 2555"],
    ["no versioning", { versioning: { versioningConfiguration: { status: "Suspended" } } }, "versioning is not Enabled"],
    ["AES256 encryption", { sse: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] } }, "no server-side encryption with aws:kms and a kmsMasterKeyId (customer-managed key)"],
    ["no TLS policy", { policy: null }, "no bucket policy denying aws:SecureTransport false (TLS not enforced)"],
  ])("fails an S3 store with %s", async (_l, over, problem) => {
    const v = await pack.violationsOf(P, s3(over));
    expect(messages(v)).toEqual([`S3 audit-log store "bucket": ${problem}.`]);
    expect(names(v)).toEqual(["bucket"]);
  });

  it.each([
    ["no retention", { retentionPolicy: undefined }, "no retentionPolicy"],
    ["a short retention", { retentionPolicy: { retentionPeriod: "86400", isLocked: true } }, "retentionPolicy is 1 days, less than 2555"],
    ["an unlocked retention", { retentionPolicy: { retentionPeriod: 2555 * 86400 } }, "retentionPolicy is not locked (isLocked), so it can be removed"],
    ["no CMEK", { encryption: undefined }, "no encryption.defaultKmsKeyName (customer-managed key)"],
  ])("fails a GCS store with %s", async (_l, inputs, problem) => {
    expect(messages(await pack.violationsOf(P, [gcs(inputs)]))).toEqual([`GCS audit-log store "gcs-logs": ${problem}.`]);
  });

  it("does not require GCS versioning with a retention policy (GCS rejects both together)", async () => {
    expect(messages(await pack.violationsOf(P, [gcs({ versioning: undefined })]))).toEqual([]);
  });

  it.each([
    ["no immutability policy", azure({}, false), "no immutability policy (BlobContainerImmutabilityPolicy or immutableStorageWithVersioning)"],
    ["a short immutability period", azure({}, true, 30), "immutability period is 30 days, less than 2555"],
    ["Microsoft-managed keys", azure({ encryption: { keySource: "Microsoft.Storage", requireInfrastructureEncryption: true } }), "encryption keySource is not Microsoft.Keyvault (customer-managed key)"],
    ["http allowed", azure({ enableHttpsTrafficOnly: false }), "enableHttpsTrafficOnly is false"],
    ["TLS 1.0", azure({ minimumTlsVersion: "TLS1_0" }), "minimumTlsVersion is not TLS1_2 or higher"],
    ["no versioning", azure().filter((r) => r.name !== "blobsvc"), "blob versioning is not enabled (BlobServiceProperties isVersioningEnabled)"],
  ])("fails an Azure store with %s", async (_l, resources, problem) => {
    expect(messages(await pack.violationsOf(P, resources))).toEqual([`Azure audit-log store "azlogs": ${problem}.`]);
  });

  it("accepts account-level immutability and takes minRetentionDays from config", async () => {
    const account = { immutableStorageWithVersioning: { enabled: true, immutabilityPolicy: { immutabilityPeriodSinceCreationInDays: 3000 } } };
    expect(await pack.violationsOf(P, azure(account, false))).toEqual([]);
    const config = { [P]: { minRetentionDays: 3650 } };
    const v = await pack.violationsOf(P, [...s3(), gcs()], { config });
    expect(messages(v)).toEqual(['S3 audit-log store "bucket": object lock retention is 2555 days, less than 3650.', 'GCS audit-log store "gcs-logs": retentionPolicy is 2555 days, less than 3650.']);
  });

  it("reports an unknown retention at preview", async () => {
    const v = await pack.violationsOf(P, s3({ lock: { rule: UNKNOWN } }));
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });
});
