/**
 * GCP: a regional GCS bucket with uniform access, public access prevention, a retention policy
 * of retainedDays (locked with `lockRetention`), CMEK from a rotated Cloud KMS key that only the
 * project's storage service agent may use, lifecycle to ARCHIVE after hotDays and deletion after
 * retainedDays, and a writer that may only create objects.
 *
 * Object versioning stays off: GCS does not allow it together with a retention policy, which
 * already makes every object undeletable and unreplaceable until it expires.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { ArgChecker } from "../common/args";
import { gcpLabels, gcsStoreKey } from "../common/gcp-kms";
import { checkPlain, validated } from "./core";
import type { AuditLogStoreArgs, CloudLogStore, LogStoreContext, LogStoreResult } from "./types";

/** Members the writer may be: one service account or one federated subject (never a set or the public). */
export const GCP_WRITER_MEMBER = /^(serviceAccount:[^@\s/]+@[^@\s/]+|principal:\/\/iam\.googleapis\.com\/\S+\/subject\/\S+)$/;
export const GCP_WRITER_ROLE = "roles/storage.objectCreator";
export { GCP_KEY_ROLE, GCP_KEY_ROTATION } from "../common/gcp-kms";

const cryptoKeyId = (region: string): RegExp => new RegExp(`^projects/[^/]+/locations/${region.replace(/[^a-z0-9-]/g, "")}/keyRings/[^/]+/cryptoKeys/[^/]+$`);

/** The bucket lifecycle: ARCHIVE after hotDays (when archive days remain), delete after retainedDays. */
export function gcpLifecycleRules(hotDays: number, retainedDays: number): gcp.types.input.storage.BucketLifecycleRule[] {
  const rules: gcp.types.input.storage.BucketLifecycleRule[] = [];
  if (retainedDays > hotDays) rules.push({ action: { type: "SetStorageClass", storageClass: "ARCHIVE" }, condition: { age: hotDays } });
  rules.push({ action: { type: "Delete" }, condition: { age: retainedDays } });
  return rules;
}

function check(args: AuditLogStoreArgs, c: ArgChecker): void {
  checkPlain(
    c,
    args.writer,
    "writer",
    (v) => GCP_WRITER_MEMBER.test(v),
    "one IAM member, serviceAccount:<email> or principal://.../subject/<id>",
    "pass the collector's identities[key].grantee from WorkloadIdentityFederation",
  );
  checkPlain(
    c,
    args.encryptionKey,
    "encryptionKey",
    (v) => cryptoKeyId(args.zone.region).test(v),
    `a Cloud KMS key id in the bucket's region, projects/<p>/locations/${args.zone.region}/keyRings/<r>/cryptoKeys/<k>`,
    "omit it to create a key ring and key",
  );
}

function create(ctx: LogStoreContext): LogStoreResult {
  const { parent, name, zone, retention, lockRetention } = ctx;
  const { project } = zone.gcp!;
  const location = zone.region;
  const labels = gcpLabels(ctx.tags);

  let keyId: pulumi.Output<string>;
  let keyAccess: pulumi.Resource[] = [];
  if (ctx.args.encryptionKey !== undefined) {
    keyId = validated(ctx.args.encryptionKey, (v) => cryptoKeyId(location).test(v), (v) => `AuditLogStore "${name}": args.encryptionKey must be a Cloud KMS key id in ${location}, got ${JSON.stringify(v)}`, parent);
  } else {
    ({ keyId, keyAccess } = gcsStoreKey(name, { project, location, labels }, { parent }));
  }

  const bucket = new gcp.storage.Bucket(
    `${name}-bucket`,
    {
      project,
      location,
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      encryption: { defaultKmsKeyName: keyId },
      retentionPolicy: { retentionPeriod: String(retention.retainedDays * 86400), isLocked: lockRetention },
      versioning: { enabled: false },
      lifecycleRules: gcpLifecycleRules(retention.hotDays, retention.retainedDays),
      forceDestroy: false,
      labels,
    },
    { parent, dependsOn: keyAccess },
  );
  if (ctx.args.writer !== undefined) {
    const member = validated(ctx.args.writer, (v) => GCP_WRITER_MEMBER.test(v), (v) => `AuditLogStore "${name}": args.writer must be one IAM member (serviceAccount:... or principal://...), got ${JSON.stringify(v)}`, parent);
    new gcp.storage.BucketIAMMember(`${name}-writer`, { bucket: bucket.name, role: GCP_WRITER_ROLE, member }, { parent });
  }
  return { storeName: bucket.name, endpoint: pulumi.interpolate`gs://${bucket.name}`, encryptionKey: keyId };
}

/** The GCP implementation of the log store interface. */
export const gcpLogStore: CloudLogStore = { check, create };
