/**
 * AWS: a private S3 bucket encrypted with the zone's own rotated KMS key; the engine's federated
 * role may `s3:GetObject` under its zone's prefix and decrypt with the key through S3 only.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { keyUseViaS3, type PolicyStatement, s3StoreKey } from "../../common/aws-kms";
import { denyInsecureTransport, privateBucketControls } from "../../common/aws-s3";
import { BUNDLE_PREFIX, type BundleStoreContext, type ZoneBundleStore } from "./core";

/** The key policy statement of the engine's role: S3 decrypts bundles for it, nothing else. */
export function engineKeyStatements(role: string | undefined, region: string): PolicyStatement[] {
  return role ? [keyUseViaS3("PolicyEngineDecryptsBundles", role, ["kms:Decrypt"], region)] : [];
}

export function awsBundleStore({ name, zone, reader, tags, bucketName, opts }: BundleStoreContext): ZoneBundleStore {
  const prefix = BUNDLE_PREFIX;
  const region = zone.region;
  // The engine's role has no IAM policy (it is granted in the bucket policy), so the key policy
  // grants it Decrypt itself. Publishers (the platform's and domains' deployers) encrypt through
  // the account's delegation: their IAM policies need kms:GenerateDataKey on the key.
  const statements = pulumi.output(reader.grantee).apply((role) => engineKeyStatements(role, region));
  const key = s3StoreKey(name, { zone, description: `ztmesh OPA bundle store of zone ${zone.id}`, tags, statements }, opts);
  const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: bucketName, forceDestroy: false, tags }, opts);
  privateBucketControls(name, bucket, key.arn, opts);
  const arn = `arn:${zone.aws?.partition ?? "aws"}:s3:::${bucketName}`;
  const policy = pulumi.output(reader.grantee).apply((role) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        denyInsecureTransport(arn),
        ...(role ? [{ Sid: "PolicyEngineReadsBundles", Effect: "Allow", Principal: { AWS: role }, Action: "s3:GetObject", Resource: `${arn}/${prefix}/${zone.id}/*` }] : []),
      ],
    }),
  );
  new aws.s3.BucketPolicy(`${name}-policy`, { bucket: bucket.id, policy }, opts);
  return {
    engine: { kind: "s3", bucket: bucketName, region, roleArn: reader.principal ?? "", prefix },
    contract: { kind: "s3", bucket: bucketName, region, prefix },
  };
}
