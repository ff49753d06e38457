/**
 * Bundle publication: each compiled bundle is signed (`.signatures.json`, inside `apply`
 * because the signing key is a secret input), packed as a deterministic `.tar.gz` and
 * uploaded to the zone's object store. The object's content is secret-free (a signature
 * reveals nothing about the key), so it is un-secreted and readable in the state and in the
 * offline preview's artifacts.
 *
 * Binary content per cloud:
 * - AWS `s3.BucketObjectv2.contentBase64` carries bytes as base64 text;
 * - GCS `storage.BucketObject` and Azure `storage.Blob` only take bytes through an asset; a
 *   `StringAsset` is UTF-8 text, so the archive is written once to a content-addressed file
 *   (`<tmpdir>/ztmesh-opa-bundles/<sha256>.tar.gz`) and passed as a `FileAsset`.
 * - `http` (on-prem bundle server): nothing is uploaded; the archives are the component's
 *   `bundleArchives` output (base64), for the pipeline that publishes to that server.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { CLOUD_TAGS, ROLES } from "../conventions";

/** The zone's bundle store, per cloud (`kind` must match the zone's cloud; `http` fits any, and is the on-prem choice). */
export type BundleStoreArgs = S3BundleStore | GcsBundleStore | AzureBlobBundleStore | HttpBundleStore;

/** Amazon S3 (zones in `aws`). OPA authenticates with AWS web identity (AssumeRoleWithWebIdentity). */
export interface S3BundleStore {
  kind: "s3";
  /** Bucket name. */
  bucket: pulumi.Input<string>;
  /** Bucket region. @default the zone's region */
  region?: string;
  /** IAM role the engine's SPIFFE ID is federated to (from `WorkloadIdentityFederation`). */
  roleArn: pulumi.Input<string>;
  /** Object key prefix. @default "opa" */
  prefix?: string;
}

/** Google Cloud Storage (zones in `gcp`). OPA authenticates with `gcp_metadata` (GKE metadata server). */
export interface GcsBundleStore {
  kind: "gcs";
  /** Bucket name. */
  bucket: pulumi.Input<string>;
  /** Object name prefix. @default "opa" */
  prefix?: string;
}

/**
 * Azure Blob Storage (zones in `azure`). With `tenantId`, OPA exchanges the engine's JWT-SVID
 * (audience `api://AzureADTokenExchange`, written by a spiffe-helper sidecar) with Entra ID for a
 * token of the user-assigned identity `clientId`, which `WorkloadIdentityFederation` federates to
 * the engine's SPIFFE ID (OPA `oauth2` client credentials with `client_assertion_path`; OPA
 * re-reads the file for every token request). Without `tenantId`, OPA asks the instance metadata
 * service (`azure_managed_identity`): the identity must then be assigned to the node pool.
 */
export interface AzureBlobBundleStore {
  kind: "azure-blob";
  /** Storage account name (also the host `<account>.blob.core.windows.net`). */
  storageAccount: string;
  /** Container name. */
  container: string;
  /** Resource group of the storage account. */
  resourceGroupName: pulumi.Input<string>;
  /**
   * Client id of the user-assigned identity to request tokens for. Required with `tenantId`.
   * @default the node's identity (metadata service)
   */
  clientId?: pulumi.Input<string>;
  /**
   * Entra ID tenant of `clientId`: the engine signs in with its JWT-SVID (federated credential)
   * instead of the metadata service. Requires `clientId` and the engine's `issuer`.
   * @default none (metadata service)
   */
  tenantId?: string;
  /** Blob name prefix. @default "opa" */
  prefix?: string;
}

/**
 * Any HTTPS bundle server, including an S3-compatible store on-prem exposing bundles over
 * HTTPS (MinIO, Ceph RGW with a read policy for the engine). Nothing is uploaded by the
 * component: publish the `bundleArchives` output at `<url>/<prefix>/<zone>/<bundle>.tar.gz`.
 */
export interface HttpBundleStore {
  kind: "http";
  /** Base URL (https). */
  url: string;
  /** File in the pod holding a bearer token for the server. @default none (no credentials) */
  tokenPath?: string;
  /** Path prefix. @default "opa" */
  prefix?: string;
}

/** The object path of bundle `bundle` of zone `zone` under `prefix`. */
export function bundleObjectPath(prefix: string, zone: string, bundle: string): string {
  return `${prefix}/${zone}/${bundle}.tar.gz`;
}

/** Writes the archive once to a content-addressed file and returns its asset. */
export function archiveAsset(base64: string): pulumi.asset.FileAsset {
  const bytes = Buffer.from(base64, "base64");
  const dir = path.join(tmpdir(), "ztmesh-opa-bundles");
  const file = path.join(dir, `${createHash("sha256").update(bytes).digest("hex")}.tar.gz`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, bytes);
  }
  return new pulumi.asset.FileAsset(file);
}

/** Uploads one signed bundle archive; returns the created resource (none for `http`). */
export function uploadBundle(opts: {
  name: string;
  store: BundleStoreArgs;
  zone: string;
  objectPath: string;
  /** The signed archive, base64 (not secret). */
  archive: pulumi.Output<string>;
  parent: pulumi.Resource;
  /** The cloud provider to upload with. @default the one inherited from `parent` */
  provider?: pulumi.ProviderResource;
}): pulumi.CustomResource | undefined {
  const { store, zone, objectPath, archive } = opts;
  const parent = opts.parent;
  const o: pulumi.CustomResourceOptions = opts.provider ? { parent, provider: opts.provider } : { parent };
  const artifact = `opa/${zone}/${path.posix.basename(objectPath)}`;
  const tags = { [CLOUD_TAGS.role]: ROLES.opaBundle, [CLOUD_TAGS.zone]: zone, [CLOUD_TAGS.managedBy]: "ztmesh", [CLOUD_TAGS.artifact]: artifact };
  const contentType = "application/gzip";
  switch (store.kind) {
    case "s3":
      return new aws.s3.BucketObjectv2(opts.name, { bucket: store.bucket, key: objectPath, contentBase64: archive, contentType, tags }, o);
    case "gcs":
      return new gcp.storage.BucketObject(
        opts.name,
        { bucket: store.bucket, name: objectPath, contentType, source: archive.apply(archiveAsset), metadata: tags },
        o,
      );
    case "azure-blob":
      return new storage.Blob(
        opts.name,
        {
          accountName: store.storageAccount,
          containerName: store.container,
          resourceGroupName: store.resourceGroupName,
          blobName: objectPath,
          type: "Block",
          contentType,
          source: archive.apply(archiveAsset),
          // Blob metadata names must be C# identifiers: no `-`.
          metadata: Object.fromEntries(Object.entries(tags).map(([k, v]) => [k.replace(/-/g, "_"), v])),
        },
        o,
      );
    case "http":
      return undefined;
  }
}
