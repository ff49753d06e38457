/**
 * AuditLogStore: one zone's immutable, encrypted audit log store with tiered retention and a
 * write-only writer (the zone's log collector).
 *
 * ```ts
 * const store = new AuditLogStore("aws-eu-audit", {
 *   zone,                                   // a cloud zone of the MeshModel
 *   retention: model.logRetention,          // 90 days hot, 2,555 days retained
 *   writer: fed.identities["mesh/log-collector"].grantee,
 *   lockRetention: true,                    // production: irreversible
 * }, { provider: awsEu });
 * ```
 */
import * as pulumi from "@pulumi/pulumi";
import { cloudTags } from "../common/cloud";
import { CLOUD_TAGS, ROLES } from "../conventions";
import { awsLogStore } from "./aws";
import { azureLogStore } from "./azure";
import { AUDIT_LOG_STORE_TYPE, resolveLogStoreArgs } from "./core";
import { gcpLogStore } from "./gcp";
import type { AuditLogStoreArgs, Retention } from "./types";

export * from "./types";
export { AUDIT_LOG_STORE_TYPE, MAX_RETAINED_DAYS } from "./core";
export { AWS_ARCHIVE_CLASS, awsBucketPolicy, awsWriterPolicy } from "./aws";
export { awsKeyPolicy } from "../common/aws-kms";
export { AZURE_CONTAINER, AZURE_WRITER_DATA_ACTIONS, azureContainerScope, azureLifecycleActions, azureStoreNames } from "./azure";
export { GCP_KEY_ROTATION, GCP_WRITER_ROLE, gcpLifecycleRules } from "./gcp";

const CLOUDS = { aws: awsLogStore, azure: azureLogStore, gcp: gcpLogStore } as const;

export class AuditLogStore extends pulumi.ComponentResource {
  /** The cloud the store is in. */
  readonly cloud: "aws" | "azure" | "gcp";
  /** Bucket name (AWS, GCP) or `<account>/<container>` (Azure). */
  readonly storeName: pulumi.Output<string>;
  /** Where the collector writes: `s3://...`, `gs://...` or the container URL. */
  readonly endpoint: pulumi.Output<string>;
  /** The customer-managed key encrypting the store. */
  readonly encryptionKey: pulumi.Output<string>;
  /** The retention in force (defaults applied). */
  readonly retention: Retention;
  /** Whether the retention is locked (irreversible). */
  readonly lockRetention: boolean;
  /**
   * Azure only, when `writer` is given: the id of the custom write-only role (blob write and
   * append, no read, list or delete). Assign it at {@link azureContainerScope} to grant a
   * further writer, e.g. an on-prem zone's collector (HybridMesh does).
   */
  readonly writerRoleDefinitionId?: pulumi.Output<string>;

  /**
   * @throws {ValidationError} before anything is created, naming each bad argument, its value and the fix.
   */
  constructor(name: string, args: AuditLogStoreArgs, opts: pulumi.ComponentResourceOptions = {}) {
    // Validate before registering the component, so bad input leaves no trace in the stack.
    const resolved = resolveLogStoreArgs(name, args, CLOUDS);
    super(AUDIT_LOG_STORE_TYPE, name, {}, opts);
    this.cloud = args.zone.cloud as "aws" | "azure" | "gcp";
    this.retention = resolved.retention;
    this.lockRetention = resolved.lockRetention;
    const tags = cloudTags(args.zone, args.tags, { [CLOUD_TAGS.role]: ROLES.auditLogStore });
    const result = resolved.cloud.create({ parent: this, name, args, zone: args.zone, retention: resolved.retention, lockRetention: resolved.lockRetention, tags });
    this.storeName = result.storeName;
    this.endpoint = result.endpoint;
    this.encryptionKey = result.encryptionKey;
    this.writerRoleDefinitionId = result.writerRoleDefinitionId;
    this.registerOutputs({
      cloud: this.cloud,
      storeName: this.storeName,
      endpoint: this.endpoint,
      encryptionKey: this.encryptionKey,
      retention: this.retention,
      lockRetention: this.lockRetention,
      ...(this.writerRoleDefinitionId ? { writerRoleDefinitionId: this.writerRoleDefinitionId } : {}),
    });
  }
}
