/**
 * Deterministic, valid cloud identity names derived from a workload's domain and name.
 * When a name does not fit a cloud's limits it is truncated and suffixed with a stable hash
 * of the full workload key, so distinct workloads keep distinct names.
 */
import type { DataProduct, Workload } from "../../model/model";

type Named = Pick<Workload, "domain" | "name">;

/** FNV-1a 32-bit hash of `text`, as 8 lowercase hex digits. Stable across runs and platforms. */
export function stableHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** `base` if it is at most `max` characters, else its prefix, a `-` and `hashLen` hash characters of `key`. */
function fit(base: string, key: string, max: number, hashLen = 8): string {
  if (base.length <= max) return base;
  const prefix = base.slice(0, max - hashLen - 1).replace(/-+$/, "");
  return `${prefix}-${stableHash(key).slice(0, hashLen)}`;
}

/**
 * The IAM role a workload assumes in AWS: `ztmesh-<domain>-<name>`, at most 64 characters
 * (the IAM limit; domain and name are DNS labels, so the characters are valid).
 */
export function awsRoleName(workload: Named): string {
  return fit(`ztmesh-${workload.domain}-${workload.name}`, `${workload.domain}/${workload.name}`, 64);
}

/** GCP service account ids: 6-30 characters, `[a-z][a-z0-9-]{4,28}[a-z0-9]`. */
export const GCP_SERVICE_ACCOUNT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/**
 * The GCP service account id of a workload: `<domain>-<name>` when it fits
 * {@link GCP_SERVICE_ACCOUNT_ID}; otherwise (too long, too short or starting with a digit)
 * `w`-prefixed and/or truncated to 23 characters plus `-` and a 6-character stable hash.
 */
export function gcpServiceAccountId(workload: Named): string {
  const key = `${workload.domain}/${workload.name}`;
  let base = `${workload.domain}-${workload.name}`;
  if (!/^[a-z]/.test(base)) base = `w${base}`;
  if (GCP_SERVICE_ACCOUNT_ID.test(base)) return base;
  if (base.length < 6) return `${base}-${stableHash(key).slice(0, 6)}`;
  return fit(base, key, 30, 6);
}

/**
 * The Azure user-assigned identity of a workload: `ztmesh-<domain>-<name>`, at most 128
 * characters (alphanumerics, `-` and `_`, starting alphanumeric).
 */
export function azureIdentityName(workload: Named): string {
  return fit(`ztmesh-${workload.domain}-${workload.name}`, `${workload.domain}/${workload.name}`, 128);
}

/** Azure storage account names: 3-24 lowercase alphanumerics. */
export const AZURE_STORAGE_ACCOUNT = /^[a-z0-9]{3,24}$/;

/**
 * Where a `blob` data product lives in Azure. `location` is either `<account>/<container>`
 * (an existing account), or a container name alone, in which case the account name is
 * derived: the location's alphanumerics (at most 16) followed by an 8-digit stable hash of
 * the product key (`complianc...` style names are unique per product and always valid).
 */
export function azureBlobTarget(product: Pick<DataProduct, "key" | "location">): { account: string; container: string } {
  const slash = product.location.indexOf("/");
  if (slash >= 0) return { account: product.location.slice(0, slash), container: product.location.slice(slash + 1) };
  const alnum = product.location.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 16);
  return { account: `${alnum}${stableHash(product.key)}`, container: product.location };
}
