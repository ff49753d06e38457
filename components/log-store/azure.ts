/**
 * Azure: a StorageV2 account (HTTPS and TLS 1.2 only, no shared keys, no public blobs,
 * infrastructure encryption plus a customer-managed Key Vault key), blob versioning and soft
 * delete, a private container with a time-based immutability policy of retainedDays, lifecycle
 * tiering (cool after hotDays, archive 90 days later, delete after retainedDays), and a writer
 * holding a custom data-plane role that can write and append blobs but not read or delete them.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as storage from "@pulumi/azure-native/storage";
import type * as inputs from "@pulumi/azure-native/types/input";
import * as pulumi from "@pulumi/pulumi";
import { show, type ArgChecker } from "../common/args";
import { stableHash } from "../compile/iam";
import { azureStoreKey, keyVaultEncryption } from "../common/azure-key-vault";
import { HARDENED_STORAGE_ACCOUNT } from "../common/azure-storage";
import { isGuid } from "../common/cloud";
import { checkPlain, validated } from "./core";
import type { AuditLogStoreArgs, CloudLogStore, LogStoreContext, LogStoreResult } from "./types";

/** The container logs are written to. */
export const AZURE_CONTAINER = "audit-logs";
/** The key created in the default vault. */
export const AZURE_KEY_NAME = "audit-logs";
export { KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER } from "../common/azure-key-vault";
/** The data actions of the writer role: create/overwrite-free writes and appends. No read, no delete. */
export const AZURE_WRITER_DATA_ACTIONS = [
  "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
  "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
];
/** Days logs stay in the cool tier before moving to archive. */
export const AZURE_COOL_DAYS = 90;

/** A versionless Key Vault key URI: `https://<vault>.vault.azure.net/keys/<name>`. */
export const AZURE_KEY_URI = /^(https:\/\/[a-z0-9-]{3,24}\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net))\/keys\/([A-Za-z0-9-]{1,127})\/?$/;
const IDENTITY_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;

/** Deterministic, valid, subscription-unique names for the account and the vault (3-24 characters). */
export function azureStoreNames(name: string, zone: LogStoreContext["zone"]): { account: string; vault: string } {
  const az = zone.azure!;
  const h = stableHash(`${az.subscriptionId}/${az.resourceGroupName}/${name}`);
  const alnum = zone.id.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 14);
  return { account: `al${alnum}${h}`, vault: `kv${alnum}${h}` };
}

/**
 * The ARM scope of the audit log container of the store named `name` (the AuditLogStore's
 * component name) in `zone`: where writers are assigned, never the account or resource group.
 */
export function azureContainerScope(name: string, zone: LogStoreContext["zone"]): string {
  const { subscriptionId, resourceGroupName } = zone.azure!;
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${azureStoreNames(name, zone).account}/blobServices/default/containers/${AZURE_CONTAINER}`;
}

/** The storage lifecycle: cool after hotDays, archive 90 days later, delete after retainedDays (tiers only when they fit). */
export function azureLifecycleActions(hotDays: number, retainedDays: number): inputs.storage.ManagementPolicyBaseBlobArgs {
  const actions: inputs.storage.ManagementPolicyBaseBlobArgs = { delete: { daysAfterCreationGreaterThan: retainedDays } };
  if (hotDays < retainedDays) actions.tierToCool = { daysAfterCreationGreaterThan: hotDays };
  if (hotDays + AZURE_COOL_DAYS < retainedDays) actions.tierToArchive = { daysAfterCreationGreaterThan: hotDays + AZURE_COOL_DAYS };
  return actions;
}

function check(args: AuditLogStoreArgs, c: ArgChecker): void {
  checkPlain(c, args.writer, "writer", isGuid, "an Entra ID principal (object) id, a GUID", "pass the collector's identities[key].grantee from WorkloadIdentityFederation");
  checkPlain(c, args.encryptionKey, "encryptionKey", (v) => AZURE_KEY_URI.test(v), "a versionless Key Vault key URI https://<vault>.vault.azure.net/keys/<name>", "omit it to create a vault and key");
  checkPlain(c, args.encryptionIdentity, "encryptionIdentity", (v) => IDENTITY_ID.test(v), "a user-assigned identity resource id", "pass the id of an identity with access to encryptionKey");
  c.check(
    (args.encryptionKey === undefined) === (args.encryptionIdentity === undefined),
    args.encryptionKey === undefined ? "encryptionIdentity" : "encryptionIdentity",
    args.encryptionKey === undefined
      ? `only applies with encryptionKey, got ${show(typeof args.encryptionIdentity === "string" ? args.encryptionIdentity : "a value")}`
      : "is required with encryptionKey on Azure, got undefined",
    "pass both encryptionKey and encryptionIdentity (an identity holding Key Vault Crypto Service Encryption User on the key), or neither",
  );
}

function create(ctx: LogStoreContext): LogStoreResult {
  const { parent, name, zone, retention, lockRetention, tags } = ctx;
  const { subscriptionId, resourceGroupName } = zone.azure!;
  const location = zone.region;
  const names = azureStoreNames(name, zone);
  const rgScope = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}`;

  let keyVaultUri: pulumi.Output<string>;
  let keyName: pulumi.Output<string>;
  let identityId: pulumi.Output<string>;
  let keyAccess: pulumi.Resource[] = [];
  if (ctx.args.encryptionKey !== undefined) {
    const uri = validated(ctx.args.encryptionKey, (v) => AZURE_KEY_URI.test(v), (v) => `AuditLogStore "${name}": args.encryptionKey must be a versionless Key Vault key URI, got ${JSON.stringify(v)}`, parent);
    keyVaultUri = uri.apply((v) => `${AZURE_KEY_URI.exec(v)![1]}/`);
    keyName = uri.apply((v) => AZURE_KEY_URI.exec(v)![2]);
    identityId = pulumi.output(ctx.args.encryptionIdentity!);
  } else {
    ({ keyVaultUri, keyName, identityId, keyAccess } = azureStoreKey(
      name,
      { zone, names: { vault: names.vault, key: AZURE_KEY_NAME, identity: `${names.account}-cmk` }, purpose: "the audit log storage account wraps its keys with this key", tags },
      { parent },
    ));
  }

  const account = new storage.StorageAccount(
    `${name}-account`,
    {
      accountName: names.account,
      resourceGroupName,
      location,
      ...HARDENED_STORAGE_ACCOUNT,
      // Archive tier needs LRS/GRS/RA-GRS; GRS keeps a copy in the paired region.
      sku: { name: "Standard_GRS" },
      accessTier: "Hot",
      ...keyVaultEncryption({ keyVaultUri, keyName, identityId }, true),
      tags,
    },
    { parent, dependsOn: keyAccess },
  );
  const blobService = new storage.BlobServiceProperties(
    `${name}-blob-service`,
    {
      accountName: account.name,
      resourceGroupName,
      blobServicesName: "default",
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days: 30 },
      containerDeleteRetentionPolicy: { enabled: true, days: 30 },
    },
    { parent },
  );
  const container = new storage.BlobContainer(
    `${name}-container`,
    { accountName: account.name, resourceGroupName, containerName: AZURE_CONTAINER, publicAccess: "None" },
    { parent, dependsOn: [blobService] },
  );
  new storage.BlobContainerImmutabilityPolicy(
    `${name}-immutability`,
    {
      accountName: account.name,
      containerName: AZURE_CONTAINER,
      resourceGroupName,
      immutabilityPolicyName: "default",
      immutabilityPeriodSinceCreationInDays: retention.retainedDays,
      allowProtectedAppendWrites: true,
    },
    { parent, dependsOn: [container] },
  );
  new storage.ManagementPolicy(
    `${name}-lifecycle`,
    {
      accountName: account.name,
      resourceGroupName,
      managementPolicyName: "default",
      policy: {
        rules: [
          {
            name: "tiered-retention",
            enabled: true,
            type: "Lifecycle",
            definition: {
              filters: { blobTypes: ["blockBlob"], prefixMatch: [`${AZURE_CONTAINER}/`] },
              actions: {
                baseBlob: azureLifecycleActions(retention.hotDays, retention.retainedDays),
                version: { delete: { daysAfterCreationGreaterThan: retention.retainedDays } },
              },
            },
          },
        ],
      },
    },
    { parent },
  );

  const containerScope = azureContainerScope(name, zone);
  let writerRoleDefinitionId: pulumi.Output<string> | undefined;
  if (ctx.args.writer !== undefined) {
    const writer = validated(ctx.args.writer, isGuid, (v) => `AuditLogStore "${name}": args.writer must be a principal (object) id GUID, got ${JSON.stringify(v)}`, parent);
    const role = new authorization.RoleDefinition(
      `${name}-writer-role`,
      {
        roleName: `ztmesh audit log writer ${names.account}`,
        description: "Write and append audit log blobs; no read, list or delete.",
        scope: rgScope,
        assignableScopes: [rgScope],
        permissions: [{ actions: [], notActions: [], dataActions: AZURE_WRITER_DATA_ACTIONS, notDataActions: [] }],
      },
      { parent },
    );
    new authorization.RoleAssignment(
      `${name}-writer`,
      { principalId: writer, principalType: "ServicePrincipal", roleDefinitionId: role.id, scope: containerScope, description: "ztmesh: the zone's log collector writes audit logs" },
      { parent, dependsOn: [container] },
    );
    writerRoleDefinitionId = role.id;
  }
  if (lockRetention) {
    new authorization.ManagementLockByScope(
      `${name}-lock`,
      {
        scope: account.id,
        lockName: "ztmesh-audit-log-store",
        level: "CanNotDelete",
        notes: "Audit logs are retained; lock the container's immutability policy too (see the ztmesh log-store README).",
      },
      { parent },
    );
  }
  return {
    storeName: pulumi.interpolate`${account.name}/${container.name.apply(() => AZURE_CONTAINER)}`,
    endpoint: pulumi.interpolate`https://${account.name}.blob.core.windows.net/${container.name.apply(() => AZURE_CONTAINER)}`,
    encryptionKey: pulumi.interpolate`${keyVaultUri}keys/${keyName}`,
    ...(writerRoleDefinitionId ? { writerRoleDefinitionId } : {}),
  };
}

/** The Azure implementation of the log store interface. */
export const azureLogStore: CloudLogStore = { check, create };
