/**
 * The customer-managed KMS key of every S3 store ztmesh creates (audit-log stores, OPA bundle
 * stores): rotation on, a 30-day deletion window and an explicit key policy, so that the key
 * and its policy cannot drift between stores. Principals of the store's own account use the key
 * only through S3 in the store's region (`kms:ViaService`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Zone } from "../model/model";

/** One statement of an IAM or key policy. */
export type PolicyStatement = Record<string, unknown>;
/** An IAM policy document as ztmesh writes it. */
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** The condition that limits a KMS permission to requests S3 makes in `region` on the caller's behalf. */
export function viaS3(region: string): { StringEquals: { "kms:ViaService": string } } {
  return { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } };
}

/**
 * A key policy statement letting `principal` (an IAM role ARN) use the key with `actions`, only
 * through S3 in `region`. `Resource` is `"*"`: in a key policy it can only mean "this key".
 */
export function keyUseViaS3(sid: string, principal: string, actions: readonly string[], region: string): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Principal: { AWS: principal }, Action: [...actions], Resource: "*", Condition: viaS3(region) };
}

/**
 * The key policy: the account administers the key with explicit actions (no `kms:*`; no
 * disabling rotation or the key) and may delegate S3's use of it to IAM policies; then
 * `statements` (principals granted in the key policy itself, e.g. a reader with no IAM policy).
 */
export function awsKeyPolicy(partition: string, accountId: string, region: string, statements: readonly PolicyStatement[] = []): PolicyDocument {
  const root = `arn:${partition}:iam::${accountId}:root`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersKey",
        Effect: "Allow",
        Principal: { AWS: root },
        Action: [
          "kms:DescribeKey",
          "kms:GetKeyPolicy",
          "kms:PutKeyPolicy",
          "kms:GetKeyRotationStatus",
          "kms:EnableKeyRotation",
          "kms:RotateKeyOnDemand",
          "kms:ListKeyPolicies",
          "kms:ListResourceTags",
          "kms:ListGrants",
          "kms:TagResource",
          "kms:UntagResource",
          "kms:UpdateKeyDescription",
          "kms:ScheduleKeyDeletion",
          "kms:CancelKeyDeletion",
        ],
        Resource: "*",
      },
      keyUseViaS3("AccountDelegatesS3Use", root, ["kms:GenerateDataKey", "kms:Decrypt"], region),
      ...statements,
    ],
  };
}

/**
 * Creates the store's key (child `<name>-key`) in `zone`'s account: rotation on, 30-day
 * deletion window, {@link awsKeyPolicy} with `statements` added.
 */
export function s3StoreKey(
  name: string,
  args: { zone: Zone; description: string; tags: Record<string, string>; statements?: pulumi.Input<PolicyStatement[]> },
  opts: pulumi.CustomResourceOptions,
): aws.kms.Key {
  const { accountId, partition = "aws" } = args.zone.aws!;
  const region = args.zone.region;
  const policy = pulumi.output(args.statements ?? []).apply((s) => JSON.stringify(awsKeyPolicy(partition, accountId, region, s)));
  return new aws.kms.Key(`${name}-key`, { description: args.description, enableKeyRotation: true, deletionWindowInDays: 30, policy, tags: args.tags }, opts);
}
