/** Azure: a hardened storage account and private container; the engine's user-assigned identity reads it. */
import * as authorization from "@pulumi/azure-native/authorization";
import * as storage from "@pulumi/azure-native/storage";
import { HARDENED_STORAGE_ACCOUNT } from "../../common/azure-storage";
import { policyEngineName } from "../../policy-engine";
import { AZURE_BLOB_READER_ROLE, AZURE_BUNDLE_CONTAINER, BUNDLE_PREFIX, type BundleStoreContext, type ZoneBundleStore } from "./core";

export function azureBundleStore({ name, zone, reader, tags, bucketName, opts }: BundleStoreContext): ZoneBundleStore {
  const prefix = BUNDLE_PREFIX;
  const az = zone.azure!;
  const account = new storage.StorageAccount(
    `${name}-account`,
    { accountName: bucketName, resourceGroupName: az.resourceGroupName, location: zone.region, ...HARDENED_STORAGE_ACCOUNT, sku: { name: "Standard_ZRS" }, tags },
    opts,
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
