/** Storage: nothing public anywhere (S3, GCS, Azure Storage). */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { gcpGrants } from "./identity";
import { TYPES } from "./types";
import { asArray, asRecord, bool, jsonOrObject, str, strings } from "./util";

const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GROUPS = ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"];
const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"];

/** Condition keys that restrict who (or from where) a `*` principal may be: with one of them the grant is not public. */
const RESTRICTING_KEYS = [
  "aws:sourcevpce", "aws:sourcevpc", "aws:sourceip", "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount",
  "aws:principalarn", "aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths", "aws:userid", "aws:username",
];

/** True when a policy statement's Principal is everyone (`"*"`, `{AWS: "*"}`). */
export function isAnyPrincipal(principal: unknown): boolean {
  if (principal === "*") return true;
  return strings(asRecord(principal)?.AWS).includes("*");
}

/** True when a statement's Condition restricts the caller by identity, organization or network. */
function restricts(condition: unknown): boolean {
  return Object.values(asRecord(condition) ?? {}).some((block) =>
    Object.keys(asRecord(block) ?? {}).some((k) => RESTRICTING_KEYS.includes(k.toLowerCase())),
  );
}

/** Allow statements of a bucket policy that grant everyone access without a restricting condition. */
export function publicStatements(policy: unknown): string[] {
  const out: string[] = [];
  asArray(asRecord(jsonOrObject(policy))?.Statement).forEach((s, i) => {
    const st = asRecord(s);
    if (st?.Effect === "Allow" && isAnyPrincipal(st.Principal) && !restricts(st.Condition)) {
      out.push(typeof st.Sid === "string" ? st.Sid : `[${i}]`);
    }
  });
  return out;
}

const PAB_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

/** Why a storage resource's properties make data public (empty: not public). */
export function publicStorageProblems(type: string, p: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (TYPES.awsBucketAcl.includes(type) || TYPES.awsBucket.includes(type)) {
    const acl = str(p.acl);
    if (acl !== undefined && PUBLIC_ACLS.includes(acl)) problems.push(`S3 ACL "${acl}" makes the bucket public; use "private" and grant access through IAM.`);
    for (const g of asArray(asRecord(p.accessControlPolicy)?.grants)) {
      const uri = str(asRecord(asRecord(g)?.grantee)?.uri);
      if (uri !== undefined && PUBLIC_GROUPS.includes(uri)) problems.push(`S3 ACL grants ${asRecord(g)?.permission ?? "access"} to ${uri.split("/").pop()}; remove the grant.`);
    }
  } else if (type === TYPES.awsBucketPolicy) {
    for (const sid of publicStatements(p.policy)) {
      problems.push(`S3 bucket policy statement ${sid} allows every principal ("*") without a condition restricting the caller (aws:SourceVpce, aws:PrincipalOrgID, ...).`);
    }
  } else if (type === TYPES.awsBucketPublicAccessBlock) {
    const off = PAB_FLAGS.filter((f) => bool(p[f]) !== true);
    if (off.length > 0) problems.push(`S3 public access block does not set ${off.join(", ")} to true; all four must be true.`);
  } else if (TYPES.gcpBucketIam.includes(type)) {
    for (const { role, member } of gcpGrants(p)) {
      if (PUBLIC_MEMBERS.includes(member)) problems.push(`GCS bucket IAM grants ${role} to ${member}; grant it to named identities.`);
    }
  } else if (type === TYPES.gcpBucket) {
    if (str(p.publicAccessPrevention) !== "enforced") problems.push('GCS bucket publicAccessPrevention is not "enforced".');
    if (bool(p.uniformBucketLevelAccess) !== true) problems.push("GCS bucket uniformBucketLevelAccess is not true; object ACLs could make objects public.");
  } else if (type === TYPES.azureStorageAccount) {
    if (bool(p.allowBlobPublicAccess) === true) problems.push("Azure storage account allows blob public access (allowBlobPublicAccess: true).");
  } else if (type === TYPES.azureBlobContainer) {
    const access = str(p.publicAccess) ?? "None";
    if (access !== "None") problems.push(`Azure blob container publicAccess is "${access}"; use "None".`);
  }
  return problems;
}

/** Nothing public: S3 ACLs/policies/public access blocks, GCS IAM and buckets, Azure accounts and containers. */
export const storageNoPublicAccess: ResourceValidationPolicy = {
  name: "storage-no-public-access",
  description:
    "No storage is public: no public S3 ACLs or grants to AllUsers/AuthenticatedUsers, no S3 bucket policy allowing `*` without a restricting condition, S3 public access blocks with all four flags true, no GCS IAM for allUsers/allAuthenticatedUsers, GCS buckets with publicAccessPrevention enforced and uniform access, no Azure blob public access (unset counts as off: the default for new accounts) and containers with publicAccess None.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const p of publicStorageProblems(args.type, args.props)) reportViolation(p);
  },
};
