/**
 * The shared interface of the audit log store: arguments, outputs, and the contract each cloud
 * file (`aws.ts`, `azure.ts`, `gcp.ts`) implements.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ArgChecker } from "../common/args";
import type { Zone } from "../model/model";
import type { LogRetentionSettings } from "../model/types";

/** Arguments of {@link AuditLogStore}. */
export interface AuditLogStoreArgs {
  /**
   * The zone the store serves (from the `MeshModel`). Its `cloud` decides which resources exist;
   * it must carry that cloud's settings. On-prem zones need an external store: skip them.
   */
  zone: Zone;
  /**
   * Tiered retention, in days (pass `model.logRetention`). Logs stay `hotDays` in the readable
   * tier, then move to an archive tier; nothing can delete them before `retainedDays`, and they
   * are deleted after it.
   * @default { hotDays: 90, retainedDays: 2555 }
   */
  retention?: LogRetentionSettings;
  /**
   * Lock the retention so that it can never be shortened or removed (irreversible). Off in dev,
   * on in production.
   * - AWS: objects are always under Object Lock COMPLIANCE retention; `true` additionally denies
   *   `s3:PutBucketObjectLockConfiguration` to every principal in the bucket policy, so the default
   *   retention itself cannot be changed (only the account root can undo that, by deleting the policy).
   * - GCP: `retentionPolicy.isLocked` (Bucket Lock): the period can only be extended.
   * - Azure: Azure creates immutability policies unlocked and locks them in a separate action that
   *   the provider does not expose; `true` adds a `CanNotDelete` management lock on the storage
   *   account, and the policy must be locked once after the first deploy (see README).
   * @default false
   */
  lockRetention?: boolean;
  /**
   * The principal that writes logs (the zone's collector), granted write-only access: the
   * `grantee` of its `WorkloadIdentityFederation` identity. AWS: an IAM role ARN (gets
   * `s3:PutObject` and nothing else on the bucket); Azure: the identity's principal (object) id
   * (gets a custom role with blob write/add only); GCP: an IAM member `serviceAccount:<email>`
   * or `principal://...` (gets `roles/storage.objectCreator`).
   * @default no writer is granted
   */
  writer?: pulumi.Input<string>;
  /**
   * An existing customer-managed key. AWS: a KMS key ARN; GCP: a Cloud KMS key id
   * `projects/<p>/locations/<region>/keyRings/<r>/cryptoKeys/<k>` (in the zone's region);
   * Azure: a versionless Key Vault key URI `https://<vault>.vault.azure.net/keys/<name>`
   * (requires `encryptionIdentity`). You then grant the storage service access to it yourself.
   * @default a new key with rotation is created (AWS KMS key; GCP key ring and key rotated every
   * 90 days; Azure purge-protected Key Vault, RSA key rotated every 90 days and an identity the
   * storage account uses to reach it)
   */
  encryptionKey?: pulumi.Input<string>;
  /**
   * Azure only, with `encryptionKey`: the resource id of a user-assigned identity holding
   * "Key Vault Crypto Service Encryption User" on that key.
   * @default the identity created with the default key
   */
  encryptionIdentity?: pulumi.Input<string>;
  /**
   * Tags (labels on GCP) added to every taggable child, next to `ztmesh-role: audit-log-store`,
   * `ztmesh-zone` and `managed-by`.
   * @default {}
   */
  tags?: Record<string, string>;
}

/** Validated, defaulted retention. */
export interface Retention {
  hotDays: number;
  retainedDays: number;
}

/** Everything a cloud file needs, validated. */
export interface LogStoreContext {
  parent: pulumi.Resource;
  name: string;
  args: AuditLogStoreArgs;
  zone: Zone;
  retention: Retention;
  lockRetention: boolean;
  tags: Record<string, string>;
}

/** What a cloud file creates and exports. */
export interface LogStoreResult {
  /** Bucket name (AWS, GCP) or `<account>/<container>` (Azure). */
  storeName: pulumi.Output<string>;
  /** Where the collector writes: `s3://<bucket>`, `gs://<bucket>`, `https://<account>.blob.core.windows.net/<container>`. */
  endpoint: pulumi.Output<string>;
  /** The key encrypting the store: KMS key ARN, Cloud KMS key id, Key Vault key URI. */
  encryptionKey: pulumi.Output<string>;
  /** Azure, with a `writer`: the id of the custom write-only role assigned to it at the container. */
  writerRoleDefinitionId?: pulumi.Output<string>;
}

/** The per-cloud implementation: eager checks and resource creation. */
export interface CloudLogStore {
  /** Cloud-specific argument checks (settings, writer and key formats when plain). */
  check(args: AuditLogStoreArgs, c: ArgChecker): void;
  /** Creates the store. Called only after every check passed. */
  create(ctx: LogStoreContext): LogStoreResult;
}
