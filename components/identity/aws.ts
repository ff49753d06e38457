/**
 * AWS: an IAM OIDC provider for the mesh issuer (or an existing one), and per workload an IAM
 * role that only that SPIFFE ID can assume (`StringEquals` on `<issuer>:sub` and `<issuer>:aud`),
 * with the inline policy the intents compile to.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { show, type ArgChecker } from "../common/args";
import { awsRoleName, type AwsPolicyDocument } from "../compile/iam";
import { issuerHostPath, onlyFor } from "./core";
import { checkZoneSettings } from "../common/cloud";
import type { CloudFederation, FederatedIdentity, FederationContext, FederationResult, WorkloadIdentityFederationArgs } from "./types";

/** The audience AWS STS expects by convention. */
export const AWS_DEFAULT_AUDIENCE = "sts.amazonaws.com";

/** `arn:<partition>:iam::<account>:oidc-provider/<issuer host/path>`. */
const OIDC_PROVIDER_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):oidc-provider\/(.+)$/;
const POLICY_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/;

/** A role trust policy admitting exactly one subject and one audience of one OIDC provider. */
export interface AwsTrustPolicy {
  Version: "2012-10-17";
  Statement: {
    Sid: string;
    Effect: "Allow";
    Principal: { Federated: string };
    Action: "sts:AssumeRoleWithWebIdentity";
    Condition: { StringEquals: Record<string, string> };
  }[];
}

/** The trust policy of a workload's role: `StringEquals` on the exact `sub` and `aud`. */
export function awsTrustPolicy(providerArn: string, hostPath: string, spiffeId: string, audience: string): AwsTrustPolicy {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "MeshWorkloadIdentity",
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${hostPath}:sub`]: spiffeId, [`${hostPath}:aud`]: audience } },
      },
    ],
  };
}

function check(args: WorkloadIdentityFederationArgs, c: ArgChecker): void {
  const zone = args.zone;
  checkZoneSettings(zone, c);
  const account = zone.aws?.accountId;
  const partition = zone.aws?.partition ?? "aws";
  if (args.existingOidcProviderArn !== undefined) {
    const m = OIDC_PROVIDER_ARN.exec(String(args.existingOidcProviderArn));
    const want = typeof args.issuerUrl === "string" ? issuerHostPath(args.issuerUrl) : undefined;
    c.check(
      m !== null && m[1] === partition && m[2] === account && (want === undefined || m[3] === want),
      "existingOidcProviderArn",
      `must be the OIDC provider of issuer ${show(want)} in account ${show(account)} (partition ${show(partition)}), got ${show(args.existingOidcProviderArn)}`,
      `use arn:${partition}:iam::${account ?? "<account>"}:oidc-provider/${want ?? "<issuer host/path>"}, or omit it to create the provider`,
    );
    c.check(args.thumbprints === undefined, "thumbprints", `cannot be set with existingOidcProviderArn, got ${show(args.thumbprints)}`, "set thumbprints on the existing provider");
  }
  if (args.thumbprints !== undefined) {
    const ok = Array.isArray(args.thumbprints) && args.thumbprints.every((t) => typeof t === "string" && /^[0-9a-fA-F]{40}$/.test(t));
    c.check(ok, "thumbprints", `must be SHA-1 thumbprints (40 hex digits), got ${show(args.thumbprints)}`, "omit it unless your issuer's CA is not publicly trusted");
  }
  if (args.permissionsBoundaryArn !== undefined) {
    c.check(
      POLICY_ARN.test(String(args.permissionsBoundaryArn)),
      "permissionsBoundaryArn",
      `must be an IAM managed policy ARN, got ${show(args.permissionsBoundaryArn)}`,
      "use arn:aws:iam::<account>:policy/<name>",
    );
  }
  const d = args.maxSessionDurationSeconds;
  c.check(
    d === undefined || (Number.isInteger(d) && d >= 3600 && d <= 43200),
    "maxSessionDurationSeconds",
    `must be an integer from 3600 to 43200, got ${show(d)}`,
    "omit it for the 1-hour default",
  );
  onlyFor(c, args, "gcp", ["jwksJson", "poolId", "poolProviderId"]);
}

function create(ctx: FederationContext): FederationResult {
  const { parent, name, args, issuerHostPath: hostPath, audience, tags } = ctx;
  const providerArn: pulumi.Output<string> =
    args.existingOidcProviderArn !== undefined
      ? pulumi.output(args.existingOidcProviderArn)
      : new aws.iam.OpenIdConnectProvider(
          `${name}-oidc`,
          { url: ctx.issuer, clientIdLists: [audience], thumbprintLists: args.thumbprints ?? [], tags },
          { parent },
        ).arn;

  const identities: Record<string, FederatedIdentity> = {};
  for (const w of ctx.workloads) {
    const role = new aws.iam.Role(
      `${name}-${w.slug}-role`,
      {
        name: awsRoleName(w),
        description: `ztmesh workload ${w.key} (${w.spiffeId})`,
        assumeRolePolicy: providerArn.apply((arn) => JSON.stringify(awsTrustPolicy(arn, hostPath, w.spiffeId, audience))),
        maxSessionDuration: args.maxSessionDurationSeconds ?? 3600,
        permissionsBoundary: args.permissionsBoundaryArn,
        tags,
      },
      { parent },
    );
    const doc: AwsPolicyDocument | undefined = ctx.documents.aws[w.key]?.policy;
    if (doc && doc.Statement.length > 0) {
      new aws.iam.RolePolicy(`${name}-${w.slug}-policy`, { role: role.name, name: "ztmesh-intents", policy: JSON.stringify(doc) }, { parent });
    }
    identities[w.key] = { principal: role.arn, grantee: role.arn, audience };
  }
  return { identities, trustAnchor: providerArn };
}

/** The AWS implementation of the federation interface. */
export const awsFederation: CloudFederation = {
  check,
  defaultAudience: () => AWS_DEFAULT_AUDIENCE,
  create,
};
