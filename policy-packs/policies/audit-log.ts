/**
 * Audit-log stores (resources with the role marker `audit-log-store`, see conventions.ts):
 * immutable with a long enough retention, versioned, encrypted with a customer-managed
 * key, TLS enforced. S3 and Azure spread this over several resources, so this is a stack
 * policy; a configuration resource belongs to a store when it names it (`bucket` /
 * `accountName` equal to the store's name or id) or depends on it.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ROLES, hasRole } from "./conventions";
import { resourcesOfType } from "./stack-index";
import { TYPES } from "./types";
import { asArray, asRecord, bool, configWithDefaults, jsonOrObject, num, str, strings } from "./util";

const DAY_SECONDS = 86_400;

/** Resources of `types` that configure `store` (name the store by `key`, or depend on it). */
function related(all: PolicyResource[], store: PolicyResource, types: readonly string[], key: string, names: unknown[]): PolicyResource[] {
  const ids = names.filter((n): n is string => typeof n === "string" && n !== "");
  return resourcesOfType(all, types).filter((r) => {
    const ref = str(r.props[key]);
    return (ref !== undefined && ids.includes(ref)) || r.dependencies.some((d) => d.urn === store.urn);
  });
}

/** True when a bucket policy denies requests with aws:SecureTransport false. */
export function deniesInsecureTransport(policy: unknown): boolean {
  return asArray(asRecord(jsonOrObject(policy))?.Statement).some((s) => {
    const st = asRecord(s);
    const bools = asRecord(asRecord(st?.Condition)?.Bool);
    const v = Object.entries(bools ?? {}).find(([k]) => k.toLowerCase() === "aws:securetransport")?.[1];
    return st?.Effect === "Deny" && strings(asArray(v).map(String)).includes("false");
  });
}

/** S3 audit bucket problems. */
export function s3StoreProblems(bucket: PolicyResource, all: PolicyResource[], minDays: number): string[] {
  const p = bucket.props;
  const names = [p.bucket, p.id];
  const rel = (types: readonly string[]) => related(all, bucket, types, "bucket", names);
  const problems: string[] = [];
  if (bool(p.objectLockEnabled) !== true) problems.push("objectLockEnabled is not true");
  const retentions = rel(TYPES.awsBucketObjectLock).map((r) => asRecord(asArray(asRecord(asArray(r.props.rule)[0])?.defaultRetention)[0]));
  const compliant = retentions.filter((d) => d?.mode === "COMPLIANCE");
  const days = Math.max(-1, ...compliant.map((d) => num(d?.days) ?? (num(d?.years) ?? 0) * 365));
  if (compliant.length === 0) problems.push("no object lock configuration with defaultRetention mode COMPLIANCE");
  else if (days < minDays) problems.push(`object lock retention is ${days} days, less than ${minDays}`);
  const versioned =
    bool(asRecord(p.versioning)?.enabled) === true ||
    rel(TYPES.awsBucketVersioning).some((r) => asRecord(r.props.versioningConfiguration)?.status === "Enabled");
  if (!versioned) problems.push("versioning is not Enabled");
  const sseRules = [
    ...asArray(asRecord(p.serverSideEncryptionConfiguration)?.rule),
    ...rel(TYPES.awsBucketEncryption).flatMap((r) => asArray(r.props.rules ?? r.props.rule)),
  ].map((r) => asRecord(asArray(asRecord(r)?.applyServerSideEncryptionByDefault)[0]));
  const cmk = sseRules.some((d) => (str(d?.sseAlgorithm) ?? "").startsWith("aws:kms") && !!str(d?.kmsMasterKeyId));
  if (!cmk) problems.push("no server-side encryption with aws:kms and a kmsMasterKeyId (customer-managed key)");
  if (!rel([TYPES.awsBucketPolicy]).some((r) => deniesInsecureTransport(r.props.policy))) {
    problems.push("no bucket policy denying aws:SecureTransport false (TLS not enforced)");
  }
  return problems;
}

/** GCS audit bucket problems. */
export function gcsStoreProblems(p: Record<string, unknown>, minDays: number, requireLocked = true): string[] {
  const problems: string[] = [];
  const retention = asRecord(asArray(p.retentionPolicy)[0]);
  const seconds = num(retention?.retentionPeriod);
  if (!retention || seconds === undefined) problems.push("no retentionPolicy");
  else {
    if (seconds < minDays * DAY_SECONDS) problems.push(`retentionPolicy is ${Math.floor(seconds / DAY_SECONDS)} days, less than ${minDays}`);
    if (requireLocked && bool(retention.isLocked) !== true) problems.push("retentionPolicy is not locked (isLocked), so it can be removed");
  }
  // GCS rejects object versioning on a bucket with a retention policy, which already makes
  // objects undeletable and unreplaceable: versioning is required only without one.
  if (!retention && bool(asRecord(asArray(p.versioning)[0])?.enabled) !== true) problems.push("versioning is not enabled");
  if (!str(asRecord(asArray(p.encryption)[0])?.defaultKmsKeyName)) problems.push("no encryption.defaultKmsKeyName (customer-managed key)");
  return problems;
}

/** Azure audit storage account problems. */
export function azureStoreProblems(account: PolicyResource, all: PolicyResource[], minDays: number): string[] {
  const p = account.props;
  const names = [p.accountName, p.id];
  const rel = (types: readonly string[]) => related(all, account, types, "accountName", names);
  const problems: string[] = [];
  const accountLevel = asRecord(asRecord(p.immutableStorageWithVersioning)?.immutabilityPolicy);
  const periods = [
    ...(bool(asRecord(p.immutableStorageWithVersioning)?.enabled) === true ? [num(accountLevel?.immutabilityPeriodSinceCreationInDays)] : []),
    ...rel([TYPES.azureImmutabilityPolicy]).map((r) => num(r.props.immutabilityPeriodSinceCreationInDays)),
  ].filter((n): n is number => n !== undefined);
  if (periods.length === 0) problems.push("no immutability policy (BlobContainerImmutabilityPolicy or immutableStorageWithVersioning)");
  else if (Math.max(...periods) < minDays) problems.push(`immutability period is ${Math.max(...periods)} days, less than ${minDays}`);
  if (!rel([TYPES.azureBlobServiceProperties]).some((r) => bool(r.props.isVersioningEnabled) === true)) {
    problems.push("blob versioning is not enabled (BlobServiceProperties isVersioningEnabled)");
  }
  const encryption = asRecord(p.encryption);
  if (str(encryption?.keySource)?.toLowerCase() !== "microsoft.keyvault") {
    problems.push("encryption keySource is not Microsoft.Keyvault (customer-managed key)");
  }
  if (bool(p.enableHttpsTrafficOnly) === false) problems.push("enableHttpsTrafficOnly is false");
  if (!["TLS1_2", "TLS1_3"].includes(str(p.minimumTlsVersion) ?? "")) problems.push("minimumTlsVersion is not TLS1_2 or higher");
  return problems;
}

/** Audit-log stores are immutable for the retention period, versioned, CMK-encrypted and TLS-only. */
export const auditLogStoreImmutable: StackValidationPolicy = {
  name: "audit-log-store-immutable",
  description:
    "Every audit-log store (`ztmesh.io/role: audit-log-store` tag/label) is immutable for at least `minRetentionDays` (S3 Object Lock COMPLIANCE, locked GCS retention policy, Azure immutability policy), versioned, encrypted with a customer-managed key, and reachable only over TLS: audit evidence cannot be altered or read in transit.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minRetentionDays: { type: "integer", minimum: 1, default: 2555, description: "Shortest retention of an audit-log store, in days." },
      requireLockedRetention: {
        type: "boolean",
        default: true,
        description: "Require GCS retention policies to be locked (irreversible). Set false only for dev stacks (lockRetention: false).",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const { minRetentionDays, requireLockedRetention } = configWithDefaults(args.getConfig<{ minRetentionDays: number; requireLockedRetention: boolean }>(), {
      minRetentionDays: 2555,
      requireLockedRetention: true,
    });
    const stores = resourcesOfType(args.resources, [...TYPES.awsBucket, TYPES.gcpBucket, TYPES.azureStorageAccount]);
    for (const r of stores) {
      const kind = TYPES.awsBucket.includes(r.type) ? "S3" : r.type === TYPES.gcpBucket ? "GCS" : r.type === TYPES.azureStorageAccount ? "Azure" : undefined;
      if (kind === undefined || !hasRole(r.props, ROLES.auditLogStore)) continue;
      const problems =
        kind === "S3"
          ? s3StoreProblems(r, args.resources, minRetentionDays)
          : kind === "GCS"
            ? gcsStoreProblems(r.props, minRetentionDays, requireLockedRetention)
            : azureStoreProblems(r, args.resources, minRetentionDays);
      for (const p of problems) reportViolation(`${kind} audit-log store "${r.name}": ${p}.`, r.urn);
    }
  },
};
