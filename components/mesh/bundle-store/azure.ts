/**
 * Azure: a hardened storage account encrypted with the zone's own Key Vault key (reached
 * through a user-assigned identity of the account) and a private container; the engine's
 * user-assigned identity reads it and needs no permission on the key.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as storage from "@pulumi/azure-native/storage";
import { azureStoreKey, keyVaultEncryption } from "../../common/azure-key-vault";
import { HARDENED_STORAGE_ACCOUNT } from "../../common/azure-storage";
import { policyEngineName } from "../../policy-engine";
import { AZURE_BLOB_READER_ROLE, AZURE_BUNDLE_CONTAINER, AZURE_BUNDLE_KEY, BUNDLE_PREFIX, bundleVaultName, type BundleStoreContext, type ZoneBundleStore } from "./core";

export function azureBundleStore({ name, zone, reader, tags, bucketName, opts }: BundleStoreContext): ZoneBundleStore {
  const prefix = BUNDLE_PREFIX;
  const az = zone.azure!;
  const key = azureStoreKey(
    name,
    { zone, names: { vault: bundleVaultName(zone), key: AZURE_BUNDLE_KEY, identity: `${bucketName}-cmk` }, purpose: "the OPA bundle storage account wraps its keys with this key", tags },
    opts,
  );
  const account = new storage.StorageAccount(
    `${name}-account`,
    {
      accountName: bucketName,
      resourceGroupName: az.resourceGroupName,
      location: zone.region,
      ...HARDENED_STORAGE_ACCOUNT,
      sku: { name: "Standard_ZRS" },
      // No infrastructure encryption: Azure sets it only when an account is created, and the
      // bundle stores of existing meshes take the key in place.
      ...keyVaultEncryption(key, false),
      tags,
    },
    { ...opts, dependsOn: key.keyAccess },
  );
  const container = new storage.BlobContainer(
    `${name}-container`,
    { accountName: account.name, resourceGroupName: az.resourceGroupName, containerName: AZURE_BUNDLE_CONTAINER, publicAccess: "None" },
    opts,
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
      opts,
    );
  }
  const signIn = reader.principal !== undefined ? { clientId: reader.principal, tenantId: az.tenantId } : {};
  return {
    engine: { kind: "azure-blob", storageAccount: bucketName, container: AZURE_BUNDLE_CONTAINER, resourceGroupName: az.resourceGroupName, prefix, ...signIn },
    contract: { kind: "azure-blob", storageAccount: bucketName, container: AZURE_BUNDLE_CONTAINER, resourceGroupName: az.resourceGroupName, prefix },
  };
}
