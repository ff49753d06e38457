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
 *
 * Encryption at rest with the zone's own customer-managed key, as the audit log stores (the
 * shared helpers in `components/common`), so that the key can be audited, rotated and revoked:
 * - AWS: a KMS key (rotation, explicit key policy) for SSE-KMS with bucket keys; its key policy
 *   grants the engine's role `kms:Decrypt` only via `s3.<region>.amazonaws.com`;
 * - GCP: a Cloud KMS key ring and key (90-day rotation) as the bucket's default key, usable by
 *   the project's storage service agent, which does the crypto for every reader: the engine
 *   needs nothing on the key;
 * - Azure: a purge-protected Key Vault and RSA key, reached by the storage account through its
 *   own user-assigned identity ("Key Vault Crypto Service Encryption User" on the key); readers
 *   need nothing on the key.
 * Publishers (the platform's and the domain stacks' deployers) write with their own
 * credentials; on AWS their IAM policies need `kms:GenerateDataKey` on the key (the key policy
 * delegates its use through S3 to the account).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Zone } from "../../model/model";
import { awsBundleStore } from "./aws";
import { azureBundleStore } from "./azure";
import { BUNDLE_PREFIX, bundleStoreName, type EngineReader, type ZoneBundleStore } from "./core";
import { gcpBundleStore } from "./gcp";

export { AZURE_BLOB_READER_ROLE, AZURE_BUNDLE_CONTAINER, AZURE_BUNDLE_KEY, BUNDLE_PREFIX, bundleStoreName, bundleVaultName, type EngineReader, type ZoneBundleStore } from "./core";

const CLOUDS = { aws: awsBundleStore, gcp: gcpBundleStore, azure: azureBundleStore };

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
  const childOpts = { parent: opts.parent, ...(opts.provider ? { provider: opts.provider } : {}) };
  const cloud = Object.hasOwn(CLOUDS, zone.cloud) ? CLOUDS[zone.cloud as keyof typeof CLOUDS] : undefined;
  if (cloud) return cloud({ name, zone, reader, tags, bucketName: bundleStoreName(zone), opts: childOpts });
  const url = opts.bundleServerUrl ?? "";
  return { engine: { kind: "http", url, prefix: BUNDLE_PREFIX }, contract: { kind: "http", url, prefix: BUNDLE_PREFIX } };
}
