/** Least privilege in AWS IAM policy documents. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, asRecord, jsonOrObject, strings } from "./util";

/** Where each IAM resource type carries policy documents. */
const DOCUMENT_FIELDS: Record<string, (props: Record<string, unknown>) => unknown[]> = {
  "aws:iam/policy:Policy": (p) => [p.policy],
  "aws:iam/rolePolicy:RolePolicy": (p) => [p.policy],
  "aws:iam/userPolicy:UserPolicy": (p) => [p.policy],
  "aws:iam/groupPolicy:GroupPolicy": (p) => [p.policy],
  "aws:iam/role:Role": (p) => asArray(p.inlinePolicies).map((ip) => asRecord(ip)?.policy),
  "aws:s3/bucketPolicy:BucketPolicy": (p) => [p.policy],
};

/** Allow statements of a policy document that grant `*` actions or resources. */
export function wildcardGrants(document: unknown): string[] {
  const doc = asRecord(jsonOrObject(document));
  if (!doc) return [];
  const problems: string[] = [];
  asArray(doc.Statement).forEach((s, i) => {
    const st = asRecord(s);
    if (!st || st.Effect !== "Allow") return;
    const sid = typeof st.Sid === "string" ? ` (${st.Sid})` : `[${i}]`;
    for (const a of strings(st.Action)) {
      if (a === "*" || /^[^:]+:\*$/.test(a)) problems.push(`statement${sid} allows action "${a}"`);
    }
    if (st.NotAction !== undefined) problems.push(`statement${sid} allows NotAction (everything but a list)`);
    for (const r of strings(st.Resource)) {
      if (r === "*") problems.push(`statement${sid} allows resource "*"`);
    }
    if (st.NotResource !== undefined) problems.push(`statement${sid} allows NotResource (everything but a list)`);
  });
  return problems;
}

/** Allow of `*`/`service:*` actions, `*` resources, NotAction or NotResource in AWS IAM and bucket policy documents. */
export const awsIamNoWildcards: ResourceValidationPolicy = {
  name: "aws-iam-no-wildcards",
  description:
    "AWS IAM policies must not Allow `*` actions, `service:*` actions, `*` resources, NotAction or NotResource: every grant names what it allows (least privilege).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const fields = DOCUMENT_FIELDS[args.type];
    if (!fields) return;
    for (const doc of fields(args.props)) {
      for (const problem of wildcardGrants(doc)) reportViolation(`IAM policy ${problem}; name the actions and resources explicitly.`);
    }
  },
};
