/**
 * A second writer of an audit log store (an on-prem zone's collector writing to a cloud zone's
 * store): the same write-only grant the store gives its own zone's collector, per cloud, from
 * the store's own policy builders: AWS `s3:PutObject` plus the key through S3 (`awsWriterPolicy`),
 * GCP `roles/storage.objectCreator` on the bucket, Azure the store's custom write-only role at
 * its log container.
 */
import * as aws from "@pulumi/aws";
import * as authorization from "@pulumi/azure-native/authorization";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { Zone } from "../model/model";
import { awsWriterPolicy } from "./aws";
import { azureContainerScope } from "./azure";
import { GCP_WRITER_ROLE } from "./gcp";
import type { AuditLogStore } from "./index";

/** The writer: a workload key, its federated principal (GCP member, Azure principal id) and, on AWS, its role's name. */
export interface ExtraWriter {
  key: string;
  grantee: pulumi.Output<string>;
  awsRoleName: string;
}

/** Grants `writer` write-only access to `store` (named `storeName`, in `zone`), as the store grants its own collector. */
export function grantAuditLogWriter(name: string, store: AuditLogStore, storeName: string, zone: Zone, writer: ExtraWriter, opts: pulumi.CustomResourceOptions): void {
  if (zone.cloud === "aws") {
    const partition = zone.aws?.partition ?? "aws";
    const policy = pulumi.all([store.storeName, store.encryptionKey]).apply(([bucket, keyArn]) => JSON.stringify(awsWriterPolicy(`arn:${partition}:s3:::${bucket}`, keyArn, zone.region)));
    new aws.iam.RolePolicy(name, { role: writer.awsRoleName, name: "ztmesh-audit-log-writer", policy }, opts);
  } else if (zone.cloud === "gcp") {
    new gcp.storage.BucketIAMMember(name, { bucket: store.storeName, role: GCP_WRITER_ROLE, member: writer.grantee }, opts);
  } else if (zone.cloud === "azure") {
    const roleDefinitionId = store.writerRoleDefinitionId;
    // HybridMesh always gives a cloud zone's store its own collector as writer, so the role exists.
    if (roleDefinitionId === undefined) throw new pulumi.ResourceError(`the audit log store has no writer role to grant ${writer.key}`, store);
    new authorization.RoleAssignment(
      name,
      {
        principalId: writer.grantee,
        principalType: "ServicePrincipal",
        roleDefinitionId,
        scope: azureContainerScope(storeName, zone),
        description: `ztmesh: ${writer.key} writes audit logs of another zone`,
      },
      opts,
    );
  }
}
