/**
 * GCP: a workload identity pool and an OIDC provider for the mesh issuer that admits only the
 * mesh trust domain's subjects, and per workload a service account that exactly one subject
 * (`principal://.../subject/<spiffe-id>`, never the pool) may impersonate, with the bucket
 * bindings the intents compile to.
 */
import * as gcp from "@pulumi/gcp";
import { show, type ArgChecker } from "../common/args";
import { gcpServiceAccountId, stableHash } from "../compile/iam";
import { trustDomainPrefix } from "../model/spiffe";
import type { Zone } from "../model/model";
import { onlyFor } from "./core";
import { checkZoneSettings } from "../common/cloud";
import type { CloudFederation, FederatedIdentity, FederationContext, FederationResult, WorkloadIdentityFederationArgs } from "./types";

/** Pool and provider ids: 4-32 of lowercase letters, digits and `-`. */
const POOL_ID = /^[a-z0-9-]{4,32}$/;
/** `google.subject` may hold at most 127 bytes. */
export const GCP_MAX_SUBJECT = 127;
export const WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser";
export const DEFAULT_POOL_PROVIDER_ID = "spire";

/** The default pool id: `ztmesh-<zone id>`, hash-shortened to 32 characters. */
export function defaultPoolId(zone: Pick<Zone, "id">): string {
  const base = `ztmesh-${zone.id}`;
  return base.length <= 32 ? base : `${base.slice(0, 23).replace(/-+$/, "")}-${stableHash(zone.id)}`;
}

/** The CEL condition admitting only subjects of the trust domain. */
export function gcpAttributeCondition(trustDomain: string): string {
  return `assertion.sub.startsWith(${JSON.stringify(trustDomainPrefix(trustDomain))})`;
}

/** The full resource name of a pool provider (also the default audience). */
export function gcpProviderResourceName(projectNumber: string, poolId: string, providerId: string): string {
  return `//iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${poolId}/providers/${providerId}`;
}

/** The IAM principal of one subject of a pool. */
export function gcpSubjectPrincipal(projectNumber: string, poolId: string, subject: string): string {
  return `principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${poolId}/subject/${subject}`;
}

const poolIdOf = (args: WorkloadIdentityFederationArgs): string => args.poolId ?? defaultPoolId(args.zone);
const providerIdOf = (args: WorkloadIdentityFederationArgs): string => args.poolProviderId ?? DEFAULT_POOL_PROVIDER_ID;

function check(args: WorkloadIdentityFederationArgs, c: ArgChecker): void {
  checkZoneSettings(args.zone, c);
  const pool = poolIdOf(args);
  c.check(
    typeof pool === "string" && POOL_ID.test(pool) && !pool.startsWith("gcp-"),
    "poolId",
    `must be 4-32 of [a-z0-9-] and not start with "gcp-", got ${show(pool)}`,
    "omit it for ztmesh-<zone id>",
  );
  const provider = providerIdOf(args);
  c.check(typeof provider === "string" && POOL_ID.test(provider) && !provider.startsWith("gcp-"), "poolProviderId", `must be 4-32 of [a-z0-9-], got ${show(provider)}`, `omit it for "${DEFAULT_POOL_PROVIDER_ID}"`);
  (Array.isArray(args.workloads) ? args.workloads : []).forEach((w, i) => {
    const id: unknown = w?.spiffeId;
    c.check(
      typeof id !== "string" || Buffer.byteLength(id) <= GCP_MAX_SUBJECT,
      `workloads[${i}].spiffeId`,
      `GCP maps the SPIFFE ID to google.subject, which holds at most ${GCP_MAX_SUBJECT} bytes; ${show(id)} has ${typeof id === "string" ? Buffer.byteLength(id) : 0}`,
      "shorten the namespace or service account name",
    );
  });
  onlyFor(c, args, "aws", ["thumbprints", "existingOidcProviderArn", "permissionsBoundaryArn", "maxSessionDurationSeconds"]);
}

function create(ctx: FederationContext): FederationResult {
  const { parent, name, args, zone, audience } = ctx;
  const { project, projectNumber } = zone.gcp!;
  const poolId = poolIdOf(args);
  const pool = new gcp.iam.WorkloadIdentityPool(
    `${name}-pool`,
    { workloadIdentityPoolId: poolId, project, displayName: `ztmesh ${zone.id}`.slice(0, 32), description: `ztmesh workloads of zone ${zone.id}` },
    { parent },
  );
  const provider = new gcp.iam.WorkloadIdentityPoolProvider(
    `${name}-provider`,
    {
      workloadIdentityPoolId: pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: providerIdOf(args),
      project,
      displayName: "ztmesh SPIRE",
      attributeMapping: { "google.subject": "assertion.sub" },
      attributeCondition: gcpAttributeCondition(args.trustDomain),
      oidc: { issuerUri: ctx.issuer, allowedAudiences: [audience], jwksJson: args.jwksJson },
    },
    { parent },
  );

  const identities: Record<string, FederatedIdentity> = {};
  for (const w of ctx.workloads) {
    const sa = new gcp.serviceaccount.Account(
      `${name}-${w.slug}-sa`,
      { accountId: gcpServiceAccountId(w), project, displayName: `ztmesh ${w.key}`.slice(0, 100), description: w.spiffeId },
      { parent },
    );
    new gcp.serviceaccount.IAMMember(
      `${name}-${w.slug}-federation`,
      { serviceAccountId: sa.name, role: WORKLOAD_IDENTITY_USER, member: gcpSubjectPrincipal(projectNumber, poolId, w.spiffeId) },
      { parent, dependsOn: [provider] },
    );
    for (const b of ctx.documents.gcp[w.key]?.bindings ?? []) {
      const role = b.role.replace("roles/storage.", "").toLowerCase();
      new gcp.storage.BucketIAMMember(`${name}-${w.slug}-${b.product.replace("/", "-")}-${role}`, { bucket: b.bucket, role: b.role, member: sa.member }, { parent });
    }
    identities[w.key] = { principal: sa.email, grantee: sa.member, audience };
  }
  return { identities, trustAnchor: provider.name };
}

/** The GCP implementation of the federation interface. */
export const gcpFederation: CloudFederation = {
  check,
  defaultAudience: (_name, args) => gcpProviderResourceName(args.zone.gcp?.projectNumber ?? "", poolIdOf(args), providerIdOf(args)),
  create,
};
