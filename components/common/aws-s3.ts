/**
 * The baseline of every S3 bucket ztmesh creates (audit-log stores, OPA bundle stores): every
 * kind of public access blocked, ACLs disabled (bucket owner enforced), versioning on, default
 * SSE-KMS with bucket keys; and the TLS-only statement every bucket policy starts with. Kept in
 * one place so that the baseline cannot drift between stores.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** The baseline's children that callers order other resources after. */
export interface PrivateBucketControls {
  publicAccess: aws.s3.BucketPublicAccessBlock;
  versioning: aws.s3.BucketVersioning;
}

/**
 * Creates the baseline controls of `bucket` (children `<name>-public-access`, `-ownership`,
 * `-versioning`, `-encryption`). `kmsKeyId`: the key for SSE-KMS; S3's AWS-managed key when
 * undefined.
 */
export function privateBucketControls(
  name: string,
  bucket: aws.s3.Bucket,
  kmsKeyId: pulumi.Input<string> | undefined,
  opts: pulumi.CustomResourceOptions,
): PrivateBucketControls {
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
  const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
  const sse = { sseAlgorithm: "aws:kms", ...(kmsKeyId === undefined ? {} : { kmsMasterKeyId: kmsKeyId }) };
  new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: sse, bucketKeyEnabled: true }] }, opts);
  return { publicAccess, versioning };
}

/** The bucket policy statement denying every request not made over TLS. */
export function denyInsecureTransport(bucketArn: string): Record<string, unknown> {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}
