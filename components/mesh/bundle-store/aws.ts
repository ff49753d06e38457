/** AWS: a private S3 bucket; the engine's federated role may `s3:GetObject` under its zone's prefix. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { denyInsecureTransport, privateBucketControls } from "../../common/aws-s3";
import { BUNDLE_PREFIX, type BundleStoreContext, type ZoneBundleStore } from "./core";

export function awsBundleStore({ name, zone, reader, tags, bucketName, opts }: BundleStoreContext): ZoneBundleStore {
  const prefix = BUNDLE_PREFIX;
  const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: bucketName, forceDestroy: false, tags }, opts);
  privateBucketControls(name, bucket, undefined, opts);
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
  const region = zone.region;
  return {
    engine: { kind: "s3", bucket: bucketName, region, roleArn: reader.principal ?? "", prefix },
    contract: { kind: "s3", bucket: bucketName, region, prefix },
  };
}
