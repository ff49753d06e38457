/**
 * GCP managed data services: no public endpoint, TLS in transit. Cloud SQL without a public IP
 * or internet-wide authorized networks and with TLS required (`sslMode`); Memorystore for Redis
 * with TLS and AUTH; no BigQuery dataset access entry and no BigQuery, Pub/Sub or Secret
 * Manager IAM grant for allUsers/allAuthenticatedUsers.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cidrsRanges, internetFamilies } from "./cidr";
import { gcpGrants } from "./identity";
import { TYPES } from "./types";
import { asArray, asRecord, bool, configWithDefaults, str, strings } from "./util";

const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"];

/** Cloud SQL ssl modes that refuse unencrypted connections. */
export const TLS_SSL_MODES = ["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"];

interface GcpConfig {
  cloudSqlSslModes: string[];
}

const DEFAULTS: GcpConfig = { cloudSqlSslModes: TLS_SSL_MODES };

/** A block that is a one-element list in some shapes (older providers, exports) and an object in others. */
function block(v: unknown): Record<string, unknown> | undefined {
  return asRecord(Array.isArray(v) ? v[0] : v);
}

export function cloudSqlProblems(p: Record<string, unknown>, sslModes: string[]): string[] {
  const problems: string[] = [];
  const ip = block(block(p.settings)?.ipConfiguration);
  const publicIp = bool(ip?.ipv4Enabled) !== false;
  if (publicIp) {
    problems.push("Cloud SQL instance has a public IP (settings.ipConfiguration.ipv4Enabled is not false, and GCP enables it by default); set it to false and use privateNetwork or Private Service Connect.");
    const open = asArray(ip?.authorizedNetworks).map((n) => str(asRecord(n)?.value) ?? "").filter((v) => internetFamilies([cidrsRanges([v])]).length > 0);
    if (open.length > 0) problems.push(`Cloud SQL instance authorizes the whole internet (authorizedNetworks ${open.join(", ")}); remove it.`);
  }
  const mode = str(ip?.sslMode);
  // `requireSsl: true` (providers before gcp 9) meant the same as ENCRYPTED_ONLY.
  const legacy = mode === undefined && bool(ip?.requireSsl) === true && sslModes.includes("ENCRYPTED_ONLY");
  if (!legacy && (mode === undefined || !sslModes.includes(mode))) {
    problems.push(`Cloud SQL instance settings.ipConfiguration.sslMode is ${mode === undefined ? "unset (unencrypted connections allowed)" : JSON.stringify(mode)}; set ${sslModes.join(" or ")}.`);
  }
  return problems;
}

export function memorystoreProblems(p: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const mode = str(p.transitEncryptionMode);
  if (mode !== "SERVER_AUTHENTICATION") problems.push(`Memorystore Redis instance transitEncryptionMode is ${mode === undefined ? "unset (DISABLED)" : JSON.stringify(mode)}; set "SERVER_AUTHENTICATION".`);
  if (bool(p.authEnabled) !== true) problems.push("Memorystore Redis instance does not set authEnabled: true, so reaching its network is enough to read it.");
  return problems;
}

/** Who a BigQuery access entry names, when that is everyone. */
function publicAccessEntry(entry: Record<string, unknown> | undefined): string | undefined {
  const special = str(entry?.specialGroup);
  if (special !== undefined && PUBLIC_MEMBERS.includes(special)) return special;
  const member = str(entry?.iamMember);
  return member !== undefined && PUBLIC_MEMBERS.includes(member) ? member : undefined;
}

function bigQueryAccessProblems(entries: unknown[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const entry = asRecord(e);
    const who = publicAccessEntry(entry);
    if (who !== undefined) out.push(`BigQuery dataset access grants ${str(entry?.role) ?? "access"} to ${who}; grant it to named identities.`);
  }
  return out;
}

const IAM_KINDS: [string, string][] = [
  ["gcp:bigquery/dataset", "BigQuery dataset"],
  ["gcp:bigquery/iam", "BigQuery table"],
  ["gcp:pubsub/topic", "Pub/Sub topic"],
  ["gcp:pubsub/subscription", "Pub/Sub subscription"],
  ["gcp:secretmanager/secret", "Secret Manager secret"],
];

/** Why a GCP data service resource is public or admits plaintext (empty: it is neither). */
export function gcpDataServiceProblems(type: string, p: Record<string, unknown>, cfg: GcpConfig = DEFAULTS): string[] {
  if (type === TYPES.gcpSqlInstance) return cloudSqlProblems(p, strings(cfg.cloudSqlSslModes));
  if (type === TYPES.gcpRedisInstance) return memorystoreProblems(p);
  if (type === TYPES.gcpBigQueryDataset) return bigQueryAccessProblems(asArray(p.accesses));
  if (type === TYPES.gcpBigQueryDatasetAccess) return bigQueryAccessProblems([p]);
  if (TYPES.gcpDataIam.includes(type)) {
    const kind = IAM_KINDS.find(([prefix]) => type.startsWith(prefix))?.[1] ?? "Data service";
    return gcpGrants(p)
      .filter(({ member }) => PUBLIC_MEMBERS.includes(member))
      .map(({ role, member }) => `${kind} IAM grants ${role} to ${member}; grant it to named identities.`);
  }
  return [];
}

const HANDLED: readonly string[] = [TYPES.gcpSqlInstance, TYPES.gcpRedisInstance, TYPES.gcpBigQueryDataset, TYPES.gcpBigQueryDatasetAccess, ...TYPES.gcpDataIam];

/** GCP data services have no public endpoint or public grant and accept TLS only. */
export const gcpDataServicesPrivateTls: ResourceValidationPolicy = {
  name: "gcp-data-services-private-tls",
  description:
    "GCP managed data services are private and TLS-only: Cloud SQL instances set ipConfiguration.ipv4Enabled false (GCP enables a public IP by default), authorize no internet-wide network and require TLS (sslMode ENCRYPTED_ONLY or TRUSTED_CLIENT_CERTIFICATE_REQUIRED, or `cloudSqlSslModes`); Memorystore for Redis uses SERVER_AUTHENTICATION transit encryption and AUTH; no BigQuery dataset access entry, and no BigQuery dataset/table, Pub/Sub topic/subscription or Secret Manager IAM member, binding or policy, names allUsers or allAuthenticatedUsers. A data store reachable by anyone, or readable on the wire, is outside the mesh's enforcement.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      cloudSqlSslModes: {
        type: "array",
        items: { type: "string", enum: TLS_SSL_MODES },
        minItems: 1,
        default: TLS_SSL_MODES,
        description: 'Cloud SQL sslMode values accepted. Set ["TRUSTED_CLIENT_CERTIFICATE_REQUIRED"] to also require client certificates (as Checkov CKV_GCP_6 does).',
      },
    },
  },
  validateResource: (args, reportViolation) => {
    if (!HANDLED.includes(args.type)) return;
    const cfg = configWithDefaults(args.getConfig<GcpConfig>(), DEFAULTS);
    for (const problem of gcpDataServiceProblems(args.type, args.props, cfg)) reportViolation(problem);
  },
};
