/** Workload identity federation: every cloud trusts exactly one workload, never a whole issuer or pool. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ofType, TYPES } from "./types";
import { asArray, asRecord, configWithDefaults, jsonOrObject, str, strings } from "./util";

const hasWildcard = (s: string): boolean => s.includes("*") || s.includes("?");

/** The issuer (host/path) of an IAM OIDC provider ARN, or undefined when `arn` is not one. */
export function oidcIssuerOf(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:iam::[^:]*:oidc-provider\/(.+)$/.exec(arn);
  return m?.[1];
}

/** Values a trust statement's Condition gives `key` under each operator (keys compared case-insensitively). */
function conditionValues(condition: unknown, key: string): { operator: string; values: string[] }[] {
  const out: { operator: string; values: string[] }[] = [];
  for (const [operator, block] of Object.entries(asRecord(condition) ?? {})) {
    for (const [k, v] of Object.entries(asRecord(block) ?? {})) {
      if (k.toLowerCase() === key.toLowerCase()) out.push({ operator, values: strings(v) });
    }
  }
  return out;
}

function pinProblem(issuer: string, claim: "sub" | "aud", condition: unknown): string | undefined {
  const key = `${issuer}:${claim}`;
  const found = conditionValues(condition, key);
  const wild = found.flatMap((f) => f.values.filter(hasWildcard).map((v) => `${f.operator} ${JSON.stringify(v)}`));
  if (wild.length > 0) return `matches "${key}" with a wildcard (${wild.join(", ")}); name the exact value with StringEquals.`;
  const exact = found.some((f) => f.operator === "StringEquals" && f.values.length > 0);
  if (!exact) return `does not pin "${key}" with StringEquals; every ${claim === "sub" ? "subject" : "audience"} of the issuer can assume the role.`;
  return undefined;
}

/** Problems of a role trust policy's OIDC (web identity) statements. */
export function oidcTrustProblems(document: unknown): string[] {
  const doc = asRecord(jsonOrObject(document));
  const problems: string[] = [];
  asArray(doc?.Statement).forEach((s, i) => {
    const st = asRecord(s);
    if (!st || st.Effect !== "Allow") return;
    const actions = strings(st.Action).map((a) => a.toLowerCase());
    if (!actions.some((a) => a === "sts:assumerolewithwebidentity" || a === "sts:*" || a === "*")) return;
    for (const fed of strings(asRecord(st.Principal)?.Federated)) {
      const issuer = oidcIssuerOf(fed);
      if (issuer === undefined) continue;
      const label = `trust statement ${typeof st.Sid === "string" ? st.Sid : `[${i}]`} for OIDC provider "${issuer}"`;
      for (const claim of ["sub", "aud"] as const) {
        const p = pinProblem(issuer, claim, st.Condition);
        if (p) problems.push(`${label} ${p}`);
      }
    }
  });
  return problems;
}

/** AWS roles trusting an OIDC provider pin the exact subject and audience. */
export const awsOidcTrustPinned: ResourceValidationPolicy = {
  name: "aws-oidc-trust-pinned",
  description:
    "An AWS role trusting an OIDC provider (sts:AssumeRoleWithWebIdentity) must pin `<issuer>:sub` and `<issuer>:aud` with StringEquals and no wildcards: otherwise every workload of the issuer can assume it.",
  enforcementLevel: "mandatory",
  validateResource: ofType(TYPES.awsRole, (args, reportViolation) => {
    for (const p of oidcTrustProblems(args.props.assumeRolePolicy)) reportViolation(p);
  }),
};

/** GCP workload identity pool providers restrict tokens (attributeCondition) and audiences. */
export const gcpWorkloadIdentityProviderRestricted: ResourceValidationPolicy = {
  name: "gcp-workload-identity-provider-restricted",
  description:
    "A GCP workload identity pool provider needs an `attributeCondition` (without one every token of the issuer is accepted) and, for OIDC, explicit `oidc.allowedAudiences`.",
  enforcementLevel: "mandatory",
  validateResource: ofType(TYPES.gcpWorkloadIdentityPoolProvider, (args, reportViolation) => {
    const condition = str(args.props.attributeCondition)?.trim();
    if (!condition) {
      reportViolation("Workload identity pool provider has no attributeCondition; every token from the issuer is accepted. Restrict it (e.g. to your trust domain's subjects).");
    } else if (condition === "true") {
      reportViolation('Workload identity pool provider has attributeCondition "true", which accepts every token from the issuer.');
    }
    const oidc = asRecord(args.props.oidc);
    if (oidc && strings(oidc.allowedAudiences).length === 0) {
      reportViolation("Workload identity pool provider has no explicit oidc.allowedAudiences; set the audience your workloads request.");
    }
  }),
};

/** The audience Entra ID accepts for federated workload tokens. */
export const AZURE_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Azure federated credentials trust one exact subject of an allowed https issuer for the token exchange audience. */
export const azureFederatedCredentialExact: ResourceValidationPolicy = {
  name: "azure-federated-credential-exact",
  description:
    'An Azure federated identity credential must name one exact subject (no wildcard, no claims matching expression), have audiences exactly ["api://AzureADTokenExchange"] and an https issuer from `allowedIssuers` (empty: every https issuer).',
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedIssuers: { type: "array", items: { type: "string" }, default: [], description: "Issuer URLs credentials may trust; empty allows every https issuer." },
    },
  },
  validateResource: ofType(TYPES.azureFederatedIdentityCredential, (args, reportViolation) => {
    const { allowedIssuers } = configWithDefaults(args.getConfig<{ allowedIssuers: string[] }>(), { allowedIssuers: [] as string[] });
    const p = args.props;
    const subject = str(p.subject);
    if (!subject) reportViolation("Federated credential has no subject; name the exact workload subject (its SPIFFE ID).");
    else if (hasWildcard(subject)) reportViolation(`Federated credential subject ${JSON.stringify(subject)} has a wildcard; name the exact workload subject.`);
    if (p.claimsMatchingExpression !== undefined && p.claimsMatchingExpression !== null) {
      reportViolation("Federated credential uses claimsMatchingExpression (pattern matching of subjects); use an exact subject.");
    }
    const audiences = strings(p.audiences);
    if (audiences.length !== 1 || audiences[0] !== AZURE_TOKEN_EXCHANGE_AUDIENCE) {
      reportViolation(`Federated credential audiences are ${JSON.stringify(audiences)}; use exactly ["${AZURE_TOKEN_EXCHANGE_AUDIENCE}"].`);
    }
    const issuer = str(p.issuer) ?? "";
    if (!issuer.startsWith("https://")) {
      reportViolation(`Federated credential issuer ${JSON.stringify(issuer)} is not an https URL; tokens from it could be forged in transit.`);
    } else if (strings(allowedIssuers).length > 0 && !strings(allowedIssuers).includes(issuer)) {
      reportViolation(`Federated credential issuer ${JSON.stringify(issuer)} is not in allowedIssuers ${JSON.stringify(allowedIssuers)}.`);
    }
  }),
};

const WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser";

/** Role/member pairs of a GCP IAM member, binding or policy resource (policyData as JSON string or object). */
export function gcpGrants(props: Record<string, unknown>): { role: string; member: string }[] {
  const out: { role: string; member: string }[] = [];
  const add = (role: unknown, members: unknown) => {
    const r = str(role);
    if (r !== undefined) for (const m of strings(members)) out.push({ role: r, member: m });
  };
  if (props.member !== undefined) add(props.role, props.member);
  if (props.members !== undefined) add(props.role, props.members);
  if (props.policyData !== undefined) {
    for (const b of asArray(asRecord(jsonOrObject(props.policyData))?.bindings)) add(asRecord(b)?.role, asRecord(b)?.members);
  }
  return out;
}

/** True when a member names a whole workload identity pool (`principalSet://.../workloadIdentityPools/<pool>/*`). */
export function isWholePool(member: string): boolean {
  return /^principalSet:\/\/.*\/workloadIdentityPools\/[^/]+\/\*$/.test(member);
}

/** `roles/iam.workloadIdentityUser` is never granted to a whole workload identity pool. */
export const gcpWorkloadIdentityUserNotPoolWide: ResourceValidationPolicy = {
  name: "gcp-workload-identity-user-not-pool-wide",
  description:
    "`roles/iam.workloadIdentityUser` on a service account is granted to one subject (`principal://.../subject/<id>`) or a narrow principalSet, never to a whole pool (`.../workloadIdentityPools/<pool>/*`) or the public.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!TYPES.gcpServiceAccountIam.includes(args.type)) return;
    for (const { role, member } of gcpGrants(args.props)) {
      if (role !== WORKLOAD_IDENTITY_USER) continue;
      if (isWholePool(member)) reportViolation(`${WORKLOAD_IDENTITY_USER} is granted to the whole pool ${JSON.stringify(member)}; grant it to principal://.../subject/<spiffe-id>.`);
      else if (member === "allUsers" || member === "allAuthenticatedUsers") reportViolation(`${WORKLOAD_IDENTITY_USER} is granted to ${member}.`);
    }
  },
};

/** No long-lived credentials: access keys, service account keys, storage shared keys. */
export const noLongLivedCredentials: ResourceValidationPolicy = {
  name: "no-long-lived-credentials",
  description:
    "No long-lived credentials: no AWS IAM access keys, no GCP service account keys, and Azure storage accounts with allowSharedKeyAccess false. Workloads authenticate with short-lived federated tokens.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type === TYPES.awsAccessKey) reportViolation("AWS IAM access key is a long-lived credential; use an IAM role with web identity federation.");
    else if (args.type === TYPES.gcpServiceAccountKey) reportViolation("GCP service account key is a long-lived credential; use workload identity federation.");
    else if (args.type === TYPES.azureStorageAccount && args.props.allowSharedKeyAccess !== false) {
      reportViolation("Azure storage account allows shared key access (allowSharedKeyAccess is not false); keys are long-lived credentials, use Entra ID.");
    }
  },
};
