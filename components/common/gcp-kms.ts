/**
 * The customer-managed Cloud KMS key of every GCS bucket ztmesh creates (audit-log stores, OPA
 * bundle stores): a key ring and a key rotated every 90 days in the bucket's region, which only
 * the project's Cloud Storage service agent may use. The agent encrypts and decrypts for every
 * caller the bucket admits, so readers and writers need no permission on the key.
 */
import * as gcp from "@pulumi/gcp";
import type * as pulumi from "@pulumi/pulumi";

/** The role the storage service agent holds on the key: encrypt and decrypt, nothing else. */
export const GCP_KEY_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
/** Key rotation period: 90 days. */
export const GCP_KEY_ROTATION = "7776000s";

/** A GCS bucket's key, and what the bucket must be created after. */
export interface GcsStoreKey {
  /** `projects/<p>/locations/<region>/keyRings/<r>/cryptoKeys/<k>`: the bucket's `encryption.defaultKmsKeyName`. */
  keyId: pulumi.Output<string>;
  /** The agent's grant on the key: GCS refuses a default key its agent cannot use. */
  keyAccess: pulumi.Resource[];
}

/** GCP labels from tags: lowercase letters, digits, `_` and `-`, at most 63 characters per value. */
export function gcpLabels(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, v.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63)]));
}

/**
 * Creates the key ring (`<name>-keyring`), the key (`<name>-key`) and the storage service
 * agent's grant on it (`<name>-key-access`) in `project`'s `location` (the bucket's region).
 */
export function gcsStoreKey(name: string, args: { project: string | undefined; location: string; labels: Record<string, string> }, opts: pulumi.CustomResourceOptions): GcsStoreKey {
  const { project, location, labels } = args;
  const ring = new gcp.kms.KeyRing(`${name}-keyring`, { project, location }, opts);
  const key = new gcp.kms.CryptoKey(`${name}-key`, { keyRing: ring.id, purpose: "ENCRYPT_DECRYPT", rotationPeriod: GCP_KEY_ROTATION, labels }, opts);
  const agent = gcp.storage.getProjectServiceAccountOutput({ project }, { parent: opts.parent, ...(opts.provider ? { provider: opts.provider } : {}) });
  const access = new gcp.kms.CryptoKeyIAMMember(`${name}-key-access`, { cryptoKeyId: key.id, role: GCP_KEY_ROLE, member: agent.member }, opts);
  return { keyId: key.id, keyAccess: [access] };
}
