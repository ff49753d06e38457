/**
 * AWS: an S3 bucket with Object Lock (COMPLIANCE, retainedDays), versioning, SSE-KMS with a
 * rotated customer-managed key and bucket keys, all public access blocked, ACLs disabled,
 * TLS-only access, lifecycle to Glacier after hotDays and expiry after retainedDays, and a
 * writer that may only `s3:PutObject`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ArgChecker } from "../common/args";
import { type PolicyDocument, type PolicyStatement, s3StoreKey, viaS3 } from "../common/aws-kms";
import { denyInsecureTransport, privateBucketControls } from "../common/aws-s3";
import { checkPlain, validated } from "./core";
import type { CloudLogStore, LogStoreContext, LogStoreResult } from "./types";

/** `arn:<partition>:iam::<account>:role/[path/]<name>`. */
export const AWS_ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
/** `arn:<partition>:kms:<region>:<account>:key/<id>`. */
export const AWS_KMS_KEY_ARN = /^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:\d{12}:key\/[0-9a-zA-Z-]+$/;

export type { PolicyDocument } from "../common/aws-kms";

/** The storage class logs move to after `hotDays`. */
export const AWS_ARCHIVE_CLASS = "GLACIER";

/** The bucket policy: TLS only; the writer may do nothing but PutObject; optionally, the retention is frozen. */
export function awsBucketPolicy(bucketArn: string, writerArn: string | undefined, lockRetention: boolean): PolicyDocument {
  const Statement: PolicyStatement[] = [denyInsecureTransport(bucketArn)];
  if (writerArn !== undefined) {
    Statement.push({
      Sid: "WriterOnlyPutsObjects",
      Effect: "Deny",
      Principal: { AWS: writerArn },
      NotAction: ["s3:PutObject"],
      Resource: [bucketArn, `${bucketArn}/*`],
    });
  }
  if (lockRetention) {
    Statement.push({ Sid: "DenyRetentionChanges", Effect: "Deny", Principal: "*", Action: ["s3:PutBucketObjectLockConfiguration"], Resource: [bucketArn] });
  }
  return { Version: "2012-10-17", Statement };
}

/** The writer's identity policy: PutObject on the bucket's objects, and the key only through S3. */
export function awsWriterPolicy(bucketArn: string, keyArn: string, region: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "PutAuditLogs", Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${bucketArn}/*`] },
      {
        Sid: "EncryptAuditLogs",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: [keyArn],
        Condition: viaS3(region),
      },
    ],
  };
}

function check(args: LogStoreContext["args"], c: ArgChecker): void {
  checkPlain(c, args.writer, "writer", (v) => AWS_ROLE_ARN.test(v), "an IAM role ARN", "pass the collector's identities[key].grantee from WorkloadIdentityFederation");
  checkPlain(c, args.encryptionKey, "encryptionKey", (v) => AWS_KMS_KEY_ARN.test(v), "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)", "omit it to create a key");
}

function create(ctx: LogStoreContext): LogStoreResult {
  const { parent, name, zone, retention, lockRetention, tags } = ctx;
  const region = zone.region;

  const keyArn: pulumi.Output<string> =
    ctx.args.encryptionKey !== undefined
      ? validated(ctx.args.encryptionKey, (v) => AWS_KMS_KEY_ARN.test(v), (v) => `AuditLogStore "${name}": args.encryptionKey must be a KMS key ARN, got ${JSON.stringify(v)}`, parent)
      : s3StoreKey(name, { zone, description: `ztmesh audit log store of zone ${zone.id}`, tags }, { parent }).arn;

  const bucket = new aws.s3.Bucket(`${name}-bucket`, { objectLockEnabled: true, forceDestroy: false, tags }, { parent });
  const { publicAccess, versioning } = privateBucketControls(name, bucket, keyArn, { parent });
  const objectLock = new aws.s3.BucketObjectLockConfiguration(
    `${name}-object-lock`,
    { bucket: bucket.id, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "COMPLIANCE", days: retention.retainedDays } } },
    { parent, dependsOn: [versioning] },
  );
  new aws.s3.BucketLifecycleConfiguration(
    `${name}-lifecycle`,
    {
      bucket: bucket.id,
      rules: [
        {
          id: "tiered-retention",
          status: "Enabled",
          filter: {},
          transitions: retention.retainedDays > retention.hotDays ? [{ days: retention.hotDays, storageClass: AWS_ARCHIVE_CLASS }] : [],
          expiration: { days: retention.retainedDays },
          noncurrentVersionExpiration: { noncurrentDays: 1 },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
      ],
    },
    { parent, dependsOn: [versioning] },
  );

  const writerArn =
    ctx.args.writer === undefined
      ? undefined
      : validated(ctx.args.writer, (v) => AWS_ROLE_ARN.test(v), (v) => `AuditLogStore "${name}": args.writer must be an IAM role ARN, got ${JSON.stringify(v)}`, parent);
  new aws.s3.BucketPolicy(
    `${name}-policy`,
    { bucket: bucket.id, policy: pulumi.all([bucket.arn, writerArn]).apply(([arn, w]) => JSON.stringify(awsBucketPolicy(arn, w, lockRetention))) },
    // The lock statement would deny the object lock configuration itself: apply it last.
    { parent, dependsOn: [publicAccess, objectLock] },
  );
  if (writerArn) {
    new aws.iam.RolePolicy(
      `${name}-writer`,
      {
        role: writerArn.apply((arn) => AWS_ROLE_ARN.exec(arn)![2]),
        name: `ztmesh-audit-log-${name}`.replace(/[^\w+=,.@-]/g, "-").slice(0, 128),
        policy: pulumi.all([bucket.arn, keyArn]).apply(([b, k]) => JSON.stringify(awsWriterPolicy(b, k, region))),
      },
      { parent },
    );
  }
  return { storeName: bucket.bucket, endpoint: pulumi.interpolate`s3://${bucket.bucket}`, encryptionKey: keyArn };
}

/** The AWS implementation of the log store interface. */
export const awsLogStore: CloudLogStore = { check, create };
