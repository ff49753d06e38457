/** What the per-cloud bundle stores share: names, the engine's reader, the result. */
import type * as pulumi from "@pulumi/pulumi";
import { stableHash } from "../../compile/iam/names";
import type { Zone } from "../../model/model";
import type { BundleStoreArgs } from "../../policy-engine/publish";
import type { ContractBundleStore } from "../types";

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

/** The Azure Key Vault key encrypting a zone's bundle store. */
export const AZURE_BUNDLE_KEY = "opa-bundles";

/**
 * The Key Vault of an Azure zone's bundle store: `kvopa`, up to 11 of the zone id's letters and
 * digits, and a hash of subscription and zone (at most 24 characters; vault names, like account
 * names, are unique in Azure).
 */
export function bundleVaultName(zone: Zone): string {
  return `kvopa${zone.id.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 11)}${stableHash(`${zone.azure?.subscriptionId}/${zone.id}/vault`)}`;
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

/** What a cloud's bundle store is created from. */
export interface BundleStoreContext {
  /** Prefix of the children's names. */
  name: string;
  zone: Zone;
  reader: EngineReader;
  tags: Record<string, string>;
  /** The bucket (or storage account) name: {@link bundleStoreName}. */
  bucketName: string;
  /** Options of every child (parent, provider). */
  opts: pulumi.CustomResourceOptions;
}
