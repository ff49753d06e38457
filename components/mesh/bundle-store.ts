/**
 * The zone's OPA bundle store: a dedicated, private, versioned bucket per cloud zone (the audit
 * log store cannot hold bundles: its retention makes objects immutable, so a bundle could never
 * be replaced). The platform publishes the platform bundle there; each domain stack publishes
 * its own bundle under the same prefix (`opa/<zone>/ztmesh-domain-<domain>.tar.gz`).
 *
 * Read access for the zone's policy engine:
 * - AWS: the bucket policy allows the engine's federated role `s3:GetObject` under the zone's
 *   prefix (OPA signs with web identity credentials from the engine's JWT-SVID);
 * - GCP: `roles/storage.objectViewer` on the bucket for the engine's Kubernetes service account
 *   through GKE Workload Identity (OPA's `gcp_metadata` credentials read the GKE metadata server);
 * - Azure: "Storage Blob Data Reader" on the container for the engine's user-assigned identity,
 *   federated to its SPIFFE ID (OPA's `oauth2` client credentials present the engine's JWT-SVID
 *   to Entra ID as the client assertion).
 * On-prem zones use the `http` store (`bundleServerUrl`); nothing is created.
 */
import * as aws from "@pulumi/aws";
import * as authorization from "@pulumi/azure-native/authorization";
import * as storage from "@pulumi/azure-native/storage";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { stableHash } from "../compile/iam/names";
import { SYSTEM_NAMESPACE } from "../compile/kubernetes/labels";
import type { Zone } from "../model/model";
import type { BundleStoreArgs } from "../policy-engine/publish";
import { policyEngineName } from "../policy-engine";
import type { ContractBundleStore } from "./types";

/** The object prefix of every bundle. */
export const BUNDLE_PREFIX = "opa";
/** The Azure container holding bundles. */
export const AZURE_BUNDLE_CONTAINER = "opa-bundles";
/** Built-in Azure role "Storage Blob Data Reader". */
export const AZURE_BLOB_READER_ROLE = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

/** The bundle bucket (or storage account) name of a cloud zone: plain and deterministic. */
export function bundleStoreName(zone: Zone): string {
  switch (zone.cloud) {
    case "aws":
      return `ztmesh-opa-${zone.id}-${zone.aws?.accountId ?? "account"}`.slice(0, 63);
    case "gcp": {
      const n = `ztmesh-opa-${zone.id}-${zone.gcp?.project ?? "project"}`;
      return n.length <= 63 ? n : `ztmesh-opa-${zone.id.slice(0, 30)}-${stableHash(n)}`;
    }
    case "azure":
      return `opa${zone.id.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 13)}${stableHash(`${zone.azure?.subscriptionId}/${zone.id}`)}`.slice(0, 24);
    default:
      return "";
  }
}

/** What {@link createBundleStore} returns: the engine's store argument and the contract entry. */
export interface ZoneBundleStore {
  engine: BundleStoreArgs;
  contract: ContractBundleStore;
}

/** The engine's cloud identity, as far as the bundle store needs it. */
export interface EngineReader {
  /** The engine's federated principal (AWS role ARN; Azure client id). */
  principal?: pulumi.Output<string>;
  /** What to grant to (AWS role ARN; Azure principal object id). */
  grantee?: pulumi.Output<string>;
}

/** Creates the zone's bundle store (cloud zones) and grants the engine read access. */
export function createBundleStore(opts: {
  name: string;
  zone: Zone;
  reader: EngineReader;
  bundleServerUrl?: string;
  tags: Record<string, string>;
  parent: pulumi.Resource;
  provider?: pulumi.ProviderResource;
}): ZoneBundleStore {
  const { name, zone, reader, tags } = opts;
  const o = { parent: opts.parent, ...(opts.provider ? { provider: opts.provider } : {}) };
  const prefix = BUNDLE_PREFIX;
  const bucketName = bundleStoreName(zone);
  switch (zone.cloud) {
    case "aws": {
      const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: bucketName, forceDestroy: false, tags }, o);
      new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, o);
      new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, o);
      new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, o);
      new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] }, o);
      const arn = `arn:${zone.aws?.partition ?? "aws"}:s3:::${bucketName}`;
      const policy = pulumi.output(reader.grantee).apply((role) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
            ...(role ? [{ Sid: "PolicyEngineReadsBundles", Effect: "Allow", Principal: { AWS: role }, Action: "s3:GetObject", Resource: `${arn}/${prefix}/${zone.id}/*` }] : []),
          ],
        }),
      );
      new aws.s3.BucketPolicy(`${name}-policy`, { bucket: bucket.id, policy }, o);
      const region = zone.region;
      return {
        engine: { kind: "s3", bucket: bucketName, region, roleArn: reader.principal ?? "", prefix },
        contract: { kind: "s3", bucket: bucketName, region, prefix },
      };
    }
    case "gcp": {
      const project = zone.gcp?.project;
      const bucket = new gcp.storage.Bucket(
        `${name}-bucket`,
        { name: bucketName, project, location: zone.region.toUpperCase(), uniformBucketLevelAccess: true, publicAccessPrevention: "enforced", versioning: { enabled: true }, labels: tags },
        o,
      );
      // GKE Workload Identity principal of the engine's Kubernetes service account.
      const member = `principal://iam.googleapis.com/projects/${zone.gcp?.projectNumber}/locations/global/workloadIdentityPools/${project}.svc.id.goog/subject/ns/${SYSTEM_NAMESPACE}/sa/${policyEngineName(zone.id)}`;
      new gcp.storage.BucketIAMMember(`${name}-engine-reader`, { bucket: bucket.name, role: "roles/storage.objectViewer", member }, o);
      return { engine: { kind: "gcs", bucket: bucketName, prefix }, contract: { kind: "gcs", bucket: bucketName, prefix } };
    }
    case "azure": {
      const az = zone.azure!;
      const account = new storage.StorageAccount(
        `${name}-account`,
        {
          accountName: bucketName,
          resourceGroupName: az.resourceGroupName,
          location: zone.region,
          kind: "StorageV2",
          sku: { name: "Standard_ZRS" },
          enableHttpsTrafficOnly: true,
          minimumTlsVersion: "TLS1_2",
          allowSharedKeyAccess: false,
          allowBlobPublicAccess: false,
          allowCrossTenantReplication: false,
          defaultToOAuthAuthentication: true,
          tags,
        },
        o,
      );
      const container = new storage.BlobContainer(
        `${name}-container`,
        { accountName: account.name, resourceGroupName: az.resourceGroupName, containerName: AZURE_BUNDLE_CONTAINER, publicAccess: "None" },
        o,
      );
      if (reader.grantee) {
        new authorization.RoleAssignment(
          `${name}-engine-reader`,
          {
            principalId: reader.grantee,
            principalType: "ServicePrincipal",
            roleDefinitionId: `/subscriptions/${az.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${AZURE_BLOB_READER_ROLE}`,
            scope: container.id,
            description: `ztmesh: ${policyEngineName(zone.id)} reads OPA bundles`,
          },
          o,
        );
      }
      const signIn = reader.principal !== undefined ? { clientId: reader.principal, tenantId: az.tenantId } : {};
      return {
        engine: { kind: "azure-blob", storageAccount: bucketName, container: AZURE_BUNDLE_CONTAINER, resourceGroupName: az.resourceGroupName, prefix, ...signIn },
        contract: { kind: "azure-blob", storageAccount: bucketName, container: AZURE_BUNDLE_CONTAINER, resourceGroupName: az.resourceGroupName, prefix },
      };
    }
    default: {
      const url = opts.bundleServerUrl ?? "";
      return { engine: { kind: "http", url, prefix }, contract: { kind: "http", url, prefix } };
    }
  }
}
