/**
 * The settings every Azure storage account ztmesh creates has (audit-log stores, OPA bundle
 * stores), kept in one place so that they cannot drift between stores: general-purpose v2,
 * HTTPS only with TLS 1.2 or later, no shared keys (Entra ID only, also as the portal's
 * default), no public blob access, no replication to other tenants.
 */
import type * as storage from "@pulumi/azure-native/storage";

export const HARDENED_STORAGE_ACCOUNT = {
  kind: "StorageV2",
  enableHttpsTrafficOnly: true,
  minimumTlsVersion: "TLS1_2",
  allowSharedKeyAccess: false,
  allowBlobPublicAccess: false,
  allowCrossTenantReplication: false,
  defaultToOAuthAuthentication: true,
} as const satisfies Partial<storage.StorageAccountArgs>;
