import { beforeAll, describe, expect, it } from "vitest";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import type { AuditLogStore } from "../../../components/log-store";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const rec = new Recorder();
const model = buildMesh(mesh, domains);
const zone = model.zones.find((z) => z.id === "azure-eu")!;
const WRITER = "11111111-2222-4333-8444-555555555555";
const RG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/mesh-compliance";

let store: AuditLogStore;
let component: RecordedResource;
beforeAll(async () => {
  const { AuditLogStore } = await import("../../../components/log-store");
  store = new AuditLogStore("audit", { zone, retention: model.logRetention, writer: WRITER, lockRetention: true });
  new AuditLogStore("byok", {
    zone,
    encryptionKey: "https://corp-keys.vault.azure.net/keys/audit",
    encryptionIdentity: `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cmk`,
  });
  await rec.settle();
  component = rec.get("audit", "ztmesh:log-store:AuditLogStore");
});

const value = <T>(o: { apply(f: (v: T) => void): unknown }): Promise<T> => new Promise((resolve) => o.apply(resolve));

describe("AuditLogStore on Azure", () => {
  it("creates the account, vault, key, container, policies and writer role, all parented to the component", () => {
    expect(rec.childrenOf(component.urn).map((c) => c.type).sort()).toEqual(
      [
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Key",
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:authorization:RoleAssignment",
        "azure-native:storage:StorageAccount",
        "azure-native:storage:BlobServiceProperties",
        "azure-native:storage:BlobContainer",
        "azure-native:storage:BlobContainerImmutabilityPolicy",
        "azure-native:storage:ManagementPolicy",
        "azure-native:authorization:RoleDefinition",
        "azure-native:authorization:RoleAssignment",
        "azure-native:authorization:ManagementLockByScope",
      ].sort(),
    );
    const stores = rec.ofType("ztmesh:log-store:AuditLogStore").map((r) => r.urn);
    for (const r of rec.resources) if (!stores.includes(r.urn)) expect(stores).toContain(r.parent);
    expect(rec.get("audit-account").inputs.tags).toEqual({ "ztmesh-role": "audit-log-store", "ztmesh-zone": "azure-eu", "managed-by": "ztmesh" });
  });

  it("hardens the storage account: HTTPS, TLS 1.2, no shared keys, no public blobs, infrastructure encryption with a customer key", () => {
    const a = rec.get("audit-account").inputs;
    expect(a).toMatchObject({
      kind: "StorageV2",
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: "TLS1_2",
      allowSharedKeyAccess: false,
      allowBlobPublicAccess: false,
      allowCrossTenantReplication: false,
      defaultToOAuthAuthentication: true,
    });
    expect(String(a.accountName)).toMatch(/^[a-z0-9]{3,24}$/);
    const enc = a.encryption as Record<string, Record<string, unknown>>;
    expect(enc.requireInfrastructureEncryption).toBe(true);
    expect(enc.keySource).toBe("Microsoft.Keyvault");
    expect(enc.keyVaultProperties.keyName).toBe("audit-logs");
    expect(String(enc.keyVaultProperties.keyVaultUri)).toMatch(/^https:\/\/kv[a-z0-9]+\.vault\.azure\.net\/$/);
    expect(rec.get("audit-account").dependencies).toContain(rec.get("audit-encryption-access").urn);
    const vault = rec.get("audit-vault").inputs.properties as Record<string, unknown>;
    expect(vault).toMatchObject({
      enableRbacAuthorization: true,
      enablePurgeProtection: true,
      networkAcls: { defaultAction: "Deny", bypass: "AzureServices" },
      tenantId: "00000000-0000-0000-0000-0000000000aa",
    });
    const key = rec.get("audit-key").inputs.properties as Record<string, unknown>;
    expect(key).toMatchObject({ kty: "RSA", keySize: 3072, keyOps: ["wrapKey", "unwrapKey"] });
    expect(rec.get("audit-encryption-access").inputs.roleDefinitionId).toMatch(/e147488a-f6f5-4113-8e2d-b22465e65bf6$/);
  });

  it("uses a given key with its identity instead of creating one", () => {
    const byok = rec.get("byok", "ztmesh:log-store:AuditLogStore");
    const types = rec.childrenOf(byok.urn).map((c) => c.type);
    expect(types).not.toContain("azure-native:keyvault:Vault");
    const enc = rec.get("byok-account").inputs.encryption as Record<string, Record<string, unknown>>;
    expect(enc.keyVaultProperties).toEqual({ keyVaultUri: "https://corp-keys.vault.azure.net/", keyName: "audit" });
    expect(enc.encryptionIdentity.encryptionUserAssignedIdentity).toBe(`${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cmk`);
    expect(types).not.toContain("azure-native:authorization:ManagementLockByScope");
  });

  it("versions blobs and keeps a private container under a time-based immutability policy of the retained days", () => {
    expect(rec.get("audit-blob-service").inputs).toMatchObject({ isVersioningEnabled: true, deleteRetentionPolicy: { enabled: true, days: 30 } });
    expect(rec.get("audit-container").inputs).toMatchObject({ containerName: "audit-logs", publicAccess: "None" });
    expect(rec.get("audit-immutability").inputs).toMatchObject({ immutabilityPeriodSinceCreationInDays: 2555, allowProtectedAppendWrites: true, containerName: "audit-logs" });
  });

  it("tiers to cool after the hot days, to archive later, and deletes after the retained days", () => {
    const policy = rec.get("audit-lifecycle").inputs.policy as { rules: { definition: { actions: Record<string, unknown> } }[] };
    expect(policy.rules[0].definition.actions).toEqual({
      baseBlob: {
        tierToCool: { daysAfterCreationGreaterThan: 90 },
        tierToArchive: { daysAfterCreationGreaterThan: 180 },
        delete: { daysAfterCreationGreaterThan: 2555 },
      },
      version: { delete: { daysAfterCreationGreaterThan: 2555 } },
    });
  });

  it("gives the writer a custom role that can only write and append blobs, at the container scope", () => {
    const role = rec.get("audit-writer-role").inputs;
    expect(role.permissions).toEqual([
      {
        actions: [],
        notActions: [],
        dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action"],
        notDataActions: [],
      },
    ]);
    const data = (role.permissions as { dataActions: string[] }[])[0].dataActions;
    expect(data.some((a) => /delete|read/i.test(a))).toBe(false);
    const ra = rec.get("audit-writer").inputs;
    const account = String(rec.get("audit-account").inputs.accountName);
    expect(ra).toMatchObject({ principalId: WRITER, principalType: "ServicePrincipal", scope: `${RG}/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default/containers/audit-logs` });
  });

  it("with lockRetention, puts a CanNotDelete lock on the account", () => {
    expect(rec.get("audit-lock").inputs).toMatchObject({ level: "CanNotDelete" });
  });

  it("exports the container endpoint and key URI", async () => {
    const account = String(rec.get("audit-account").inputs.accountName);
    expect(await value(store.endpoint)).toBe(`https://${account}.blob.core.windows.net/audit-logs`);
    expect(await value(store.storeName)).toBe(`${account}/audit-logs`);
    expect(await value(store.encryptionKey)).toMatch(/^https:\/\/kv[a-z0-9]+\.vault\.azure\.net\/keys\/audit-logs$/);
  });
});
