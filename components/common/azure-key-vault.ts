/**
 * The customer-managed key of every Azure storage account ztmesh creates (audit-log stores, OPA
 * bundle stores): a purge-protected Key Vault with RBAC and no network access (the account
 * unwraps its key as a trusted Azure service), an RSA-3072 key rotated every 90 days, and a
 * user-assigned identity holding "Key Vault Crypto Service Encryption User" on that key only,
 * which the account uses to reach it. The account decrypts for every caller it admits, so
 * readers and writers need no permission on the key.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import type * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import type { Zone } from "../model/model";

/** "Key Vault Crypto Service Encryption User": wrap/unwrap with a key, nothing else. */
export const KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6";

/** A storage account's key: where it is, the identity reaching it, what the account must be created after. */
export interface AzureStoreKey {
  /** `https://<vault>.vault.azure.net/`. */
  keyVaultUri: pulumi.Output<string>;
  keyName: pulumi.Output<string>;
  /** Resource id of the user-assigned identity holding the key role. */
  identityId: pulumi.Output<string>;
  /** The identity's grant on the key: the account cannot be encrypted before it exists. */
  keyAccess: pulumi.Resource[];
}

/** Names of the vault, the key and the identity (vault: 3-24 letters, digits and hyphens, unique in Azure). */
export interface AzureStoreKeyNames {
  vault: string;
  key: string;
  identity: string;
}

/**
 * Creates the vault (`<name>-vault`), the key (`<name>-key`), the identity
 * (`<name>-encryption-identity`) and its role on the key (`<name>-encryption-access`) in
 * `zone`'s resource group. `purpose` completes the role assignment's description.
 */
export function azureStoreKey(
  name: string,
  args: { zone: Zone; names: AzureStoreKeyNames; purpose: string; tags: Record<string, string> },
  opts: pulumi.CustomResourceOptions,
): AzureStoreKey {
  const { zone, names, tags } = args;
  const { subscriptionId, tenantId, resourceGroupName } = zone.azure!;
  const location = zone.region;
  const vault = new keyvault.Vault(
    `${name}-vault`,
    {
      vaultName: names.vault,
      resourceGroupName,
      location,
      properties: {
        tenantId,
        sku: { family: "A", name: "standard" },
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        enablePurgeProtection: true,
        // No network reaches the vault's data plane; the storage account unwraps its key as a
        // trusted Azure service, and keys and role assignments go through the management plane.
        networkAcls: { defaultAction: "Deny", bypass: "AzureServices" },
      },
      tags,
    },
    opts,
  );
  const key = new keyvault.Key(
    `${name}-key`,
    {
      vaultName: vault.name,
      resourceGroupName,
      keyName: names.key,
      properties: {
        kty: "RSA",
        keySize: 3072,
        keyOps: ["wrapKey", "unwrapKey"],
        rotationPolicy: { lifetimeActions: [{ action: { type: "rotate" }, trigger: { timeAfterCreate: "P90D" } }], attributes: { expiryTime: "P2Y" } },
      },
      tags,
    },
    opts,
  );
  const identity = new managedidentity.UserAssignedIdentity(`${name}-encryption-identity`, { resourceName: names.identity, resourceGroupName, location, tags }, opts);
  const access = new authorization.RoleAssignment(
    `${name}-encryption-access`,
    {
      principalId: identity.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER}`,
      scope: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.KeyVault/vaults/${names.vault}/keys/${names.key}`,
      description: `ztmesh: ${args.purpose}`,
    },
    pulumi.mergeOptions(opts, { dependsOn: [key] }),
  );
  return { keyVaultUri: pulumi.output(`https://${names.vault}.vault.azure.net/`), keyName: pulumi.output(names.key), identityId: identity.id, keyAccess: [access] };
}

/**
 * The storage account's `identity` and `encryption` for a Key Vault key reached through a
 * user-assigned identity (blob and file services with the account key type).
 * `requireInfrastructureEncryption` (a second layer; can only be set when the account is created).
 */
export function keyVaultEncryption(
  key: Pick<AzureStoreKey, "keyVaultUri" | "keyName" | "identityId">,
  requireInfrastructureEncryption: boolean,
): Required<Pick<storage.StorageAccountArgs, "identity" | "encryption">> {
  return {
    identity: { type: "UserAssigned", userAssignedIdentities: [key.identityId] },
    encryption: {
      ...(requireInfrastructureEncryption ? { requireInfrastructureEncryption: true } : {}),
      keySource: "Microsoft.Keyvault",
      keyVaultProperties: { keyVaultUri: key.keyVaultUri, keyName: key.keyName },
      encryptionIdentity: { encryptionUserAssignedIdentity: key.identityId },
      services: { blob: { enabled: true, keyType: "Account" }, file: { enabled: true, keyType: "Account" } },
    },
  };
}
