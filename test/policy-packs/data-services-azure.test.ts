/** Azure managed data services: private and TLS-only, customer-managed keys at rest. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackSession, UNKNOWN, res, type TestResource } from "../helpers/policy-harness";
import { messages, names } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

const KEY_URI = "https://vault1.vault.azure.net/keys/data";
const HINT = "reach it through a private endpoint";
const T = {
  sql: "azure-native:sql:Server",
  sqlFw: "azure-native:sql:FirewallRule",
  sqlProtector: "azure-native:sql:EncryptionProtector",
  pg: "azure-native:dbforpostgresql:Server",
  pgFw: "azure-native:dbforpostgresql:FirewallRule",
  pgConf: "azure-native:dbforpostgresql:Configuration",
  mysql: "azure-native:dbformysql:Server",
  mysqlFw: "azure-native:dbformysql:FirewallRule",
  mysqlConf: "azure-native:dbformysql:Configuration",
  cosmos: "azure-native:cosmosdb:DatabaseAccount",
  cosmosV2: "azure-native:documentdb:DatabaseAccount",
  redis: "azure-native:redis:Redis",
  redisFw: "azure-native:redis:FirewallRule",
  redisEnterprise: "azure-native:redisenterprise:Database",
  eventhub: "azure-native:eventhub:Namespace",
  servicebus: "azure-native:servicebus:Namespace",
  vault: "azure-native:keyvault:Vault",
  storage: "azure-native:storage:StorageAccount",
};
const RG = { resourceGroupName: "rg" };

describe("azure-data-services-private-tls", () => {
  const P = "azure-data-services-private-tls";
  const sql = (over: Record<string, unknown> = {}) => res(T.sql, "sql", { ...RG, publicNetworkAccess: "Disabled", minimalTlsVersion: "1.2", ...over });
  const redis = (over: Record<string, unknown> = {}) =>
    res(T.redis, "cache", { ...RG, sku: { name: "Premium", family: "P", capacity: 1 }, enableNonSslPort: false, minimumTlsVersion: "1.2", publicNetworkAccess: "Disabled", ...over });
  const ns = (type: string, over: Record<string, unknown> = {}) => res(type, "ns", { ...RG, publicNetworkAccess: "Disabled", minimumTlsVersion: "1.2", ...over });
  const vault = (props: Record<string, unknown> = {}) =>
    res(T.vault, "kv", { ...RG, properties: { tenantId: "t", sku: { family: "A", name: "standard" }, enablePurgeProtection: true, publicNetworkAccess: "Disabled", ...props } });

  it("passes private, TLS-only data services", async () => {
    const v = await pack.violationsOf(P, [
      sql(),
      sql({ publicNetworkAccess: "SecuredByPerimeter", minimalTlsVersion: "1.3" }),
      res(T.sqlFw, "fw", { ...RG, serverName: "sql", startIpAddress: "10.1.0.0", endIpAddress: "10.1.255.255" }),
      res(T.pg, "pg", { ...RG, network: { publicNetworkAccess: "Disabled" } }),
      res(T.pg, "pg-vnet", { ...RG, network: { delegatedSubnetResourceId: UNKNOWN } }),
      res(T.pgConf, "pg-tls", { ...RG, serverName: "pg", configurationName: "require_secure_transport", value: "on" }),
      res(T.pgConf, "pg-min", { ...RG, serverName: "pg", configurationName: "ssl_min_protocol_version", value: "TLSv1.2" }),
      res(T.mysql, "my", { ...RG, network: { publicNetworkAccess: "Disabled" } }),
      res(T.mysqlConf, "my-tls", { ...RG, serverName: "my", configurationName: "tls_version", value: "TLSv1.2,TLSv1.3" }),
      res(T.cosmos, "cosmos", { ...RG, publicNetworkAccess: "Disabled", minimalTlsVersion: "Tls12" }),
      redis(),
      redis({ publicNetworkAccess: undefined, subnetId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/cache" }),
      res(T.redisEnterprise, "rde", { ...RG, clusterName: "c", clientProtocol: "Encrypted" }),
      ns(T.eventhub),
      ns(T.servicebus),
      vault(),
      vault({ publicNetworkAccess: undefined, networkAcls: { defaultAction: "Deny", bypass: "AzureServices" } }),
    ]);
    expect(v).toEqual([]);
  });

  it.each<[string, TestResource, string[]]>([
    ["a SQL server with public access unset", sql({ publicNetworkAccess: undefined }), [`Azure SQL server publicNetworkAccess is unset (Azure's default is Enabled); set it to "Disabled" and ${HINT}.`]],
    ["a SQL server with TLS 1.1", sql({ minimalTlsVersion: "1.1" }), ['Azure SQL server minimalTlsVersion is "1.1"; set "1.2" or later.']],
    ["a SQL server without a minimum TLS", sql({ minimalTlsVersion: undefined }), ['Azure SQL server minimalTlsVersion is unset; set "1.2" or later.']],
    [
      "a SQL firewall rule for the internet",
      res(T.sqlFw, "r", { ...RG, serverName: "sql", startIpAddress: "0.0.0.0", endIpAddress: "255.255.255.255" }),
      [`Azure SQL firewall rule 0.0.0.0-255.255.255.255 admits the whole internet; remove it and ${HINT}.`],
    ],
    [
      "the AllowAllWindowsAzureIps rule",
      res(T.sqlFw, "r", { ...RG, serverName: "sql", startIpAddress: "0.0.0.0", endIpAddress: "0.0.0.0" }),
      [`Azure SQL firewall rule 0.0.0.0-0.0.0.0 (AllowAllWindowsAzureIps) admits every Azure tenant's services, not only yours; remove it and ${HINT}.`],
    ],
    [
      "a PostgreSQL firewall rule covering the public internet",
      res(T.pgFw, "r", { ...RG, serverName: "pg", startIpAddress: "1.0.0.0", endIpAddress: "223.255.255.255" }),
      [`Azure PostgreSQL firewall rule 1.0.0.0-223.255.255.255 admits the whole internet; remove it and ${HINT}.`],
    ],
    [
      "a MySQL firewall rule for Azure services",
      res(T.mysqlFw, "r", { ...RG, serverName: "my", startIpAddress: "0.0.0.0", endIpAddress: "0.0.0.0" }),
      [`Azure MySQL firewall rule 0.0.0.0-0.0.0.0 (AllowAllWindowsAzureIps) admits every Azure tenant's services, not only yours; remove it and ${HINT}.`],
    ],
    ["a public PostgreSQL flexible server", res(T.pg, "r", { ...RG }), [`Azure PostgreSQL flexible server network.publicNetworkAccess is unset (Azure's default is Enabled); set it to "Disabled" and ${HINT}.`]],
    ["a public MySQL flexible server", res(T.mysql, "r", { ...RG, network: { publicNetworkAccess: "Enabled" } }), [`Azure MySQL flexible server network.publicNetworkAccess is "Enabled" (Azure's default is Enabled); set it to "Disabled" and ${HINT}.`]],
    [
      "PostgreSQL with require_secure_transport off",
      res(T.pgConf, "r", { ...RG, serverName: "pg", configurationName: "require_secure_transport", value: "off" }),
      ['Azure PostgreSQL server parameter require_secure_transport is "off"; TLS must be required ("on").'],
    ],
    [
      "PostgreSQL allowing TLS 1.1",
      res(T.pgConf, "r", { ...RG, serverName: "pg", configurationName: "ssl_min_protocol_version", value: "TLSv1.1" }),
      ['Azure PostgreSQL server parameter ssl_min_protocol_version is "TLSv1.1", which allows tlsv1.1; allow TLSv1.2 and later only.'],
    ],
    [
      "MySQL with require_secure_transport OFF",
      res(T.mysqlConf, "r", { ...RG, serverName: "my", configurationName: "require_secure_transport", value: "OFF" }),
      ['Azure MySQL server parameter require_secure_transport is "OFF"; TLS must be required ("on").'],
    ],
    [
      "MySQL allowing TLS 1.0",
      res(T.mysqlConf, "r", { ...RG, serverName: "my", configurationName: "tls_version", value: "TLSv1,TLSv1.2" }),
      ['Azure MySQL server parameter tls_version is "TLSv1,TLSv1.2", which allows tlsv1; allow TLSv1.2 and later only.'],
    ],
    [
      "a public Cosmos DB account (azure-native 2 token)",
      res(T.cosmosV2, "r", { ...RG, publicNetworkAccess: "Enabled", minimalTlsVersion: "Tls12" }),
      [`Azure Cosmos DB account publicNetworkAccess is "Enabled" (Azure's default is Enabled); set it to "Disabled" and ${HINT}.`],
    ],
    ["a Cosmos DB account allowing TLS 1.1", res(T.cosmos, "r", { ...RG, publicNetworkAccess: "Disabled", minimalTlsVersion: "Tls11" }), ['Azure Cosmos DB account minimalTlsVersion is "Tls11"; set "Tls12" or later.']],
    ["a Redis cache with its non-TLS port open", redis({ enableNonSslPort: true }), ["Azure Cache for Redis opens its non-TLS port (enableNonSslPort: true); set it to false."]],
    ["a Redis cache allowing TLS 1.0", redis({ minimumTlsVersion: "1.0" }), ['Azure Cache for Redis minimumTlsVersion is "1.0"; set "1.2" or later.']],
    ["a public Redis cache", redis({ publicNetworkAccess: "Enabled" }), [`Azure Cache for Redis publicNetworkAccess is "Enabled" (Azure's default is Enabled); set it to "Disabled" and ${HINT}.`]],
    [
      "a Redis firewall rule for the internet",
      res(T.redisFw, "r", { ...RG, cacheName: "cache", startIP: "0.0.0.0", endIP: "255.255.255.255" }),
      [`Azure Cache for Redis firewall rule 0.0.0.0-255.255.255.255 admits the whole internet; remove it and ${HINT}.`],
    ],
    [
      "a plaintext Redis Enterprise database",
      res(T.redisEnterprise, "r", { ...RG, clusterName: "c", clientProtocol: "Plaintext" }),
      ['Azure Redis Enterprise database accepts plaintext clients (clientProtocol: "Plaintext"); use "Encrypted".'],
    ],
    ["a public Event Hubs namespace", ns(T.eventhub, { publicNetworkAccess: "Enabled" }), [`Azure Event Hubs namespace publicNetworkAccess is "Enabled" (Azure's default is Enabled); set it to "Disabled" and ${HINT}.`]],
    ["an Event Hubs namespace allowing TLS 1.0", ns(T.eventhub, { minimumTlsVersion: "1.0" }), ['Azure Event Hubs namespace minimumTlsVersion is "1.0"; set "1.2" or later.']],
    ["a Service Bus namespace without a minimum TLS", ns(T.servicebus, { minimumTlsVersion: undefined }), ['Azure Service Bus namespace minimumTlsVersion is unset; set "1.2" or later.']],
    [
      "a Key Vault open to every network",
      vault({ publicNetworkAccess: undefined }),
      ['Azure Key Vault is reachable from every network (properties.publicNetworkAccess is unset and networkAcls.defaultAction is not "Deny"); disable public access or deny by default.'],
    ],
    [
      "a Key Vault without purge protection",
      vault({ enablePurgeProtection: undefined }),
      ["Azure Key Vault does not set properties.enablePurgeProtection: true; a purged customer-managed key makes every store it encrypts unreadable."],
    ],
  ])("fails %s", async (_label, r, expected) => {
    expect(messages(await pack.violationsOf(P, [r]))).toEqual(expected);
  });

  it("reports an unknown non-TLS port flag at preview", async () => {
    expect((await pack.violationsOf(P, [redis({ enableNonSslPort: UNKNOWN })])).map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("data-encryption-at-rest-cmk on Azure", () => {
  const P = "data-encryption-at-rest-cmk";
  const why = (label: string, name: string, problem: string) => `${label} "${name}" is not encrypted at rest with a customer-managed key: ${problem}.`;
  const cmkData = { type: "AzureKeyVault", primaryKeyURI: `${KEY_URI}/0123`, primaryUserAssignedIdentityId: "id" };

  it("passes stores encrypted with Key Vault keys", async () => {
    const v = await pack.violationsOf(P, [
      res(T.sql, "sql-key", { ...RG, keyId: `${KEY_URI}/0123` }),
      res(T.sql, "sql", { ...RG, serverName: "sql2" }),
      res(T.sqlProtector, "protector", { ...RG, serverName: "sql2", serverKeyType: "AzureKeyVault", serverKeyName: "vault1_data_0123" }),
      res(T.pg, "pg", { ...RG, dataEncryption: cmkData }),
      res(T.mysql, "my", { ...RG, dataEncryption: cmkData }),
      res(T.cosmos, "cosmos", { ...RG, keyVaultKeyUri: UNKNOWN }),
      res(T.storage, "st", { ...RG, encryption: { keySource: "Microsoft.Keyvault", keyVaultProperties: { keyName: "data", keyVaultUri: "https://vault1.vault.azure.net" } } }),
      res(T.eventhub, "eh", { ...RG, encryption: { keySource: "Microsoft.KeyVault" } }),
      res(T.servicebus, "sb", { ...RG, encryption: { keySource: "Microsoft.KeyVault" } }),
      res(T.redis, "cache", { ...RG }),
      res(T.vault, "kv", { ...RG, properties: {} }),
    ]);
    expect(v).toEqual([]);
  });

  it.each<[string, TestResource[], string]>([
    [
      "a SQL server with the service-managed TDE key",
      [res(T.sql, "sql", { ...RG, serverName: "sql" }), res(T.sqlProtector, "p", { ...RG, serverName: "sql", serverKeyType: "ServiceManaged" })],
      why("Azure SQL server", "sql", "no keyId and no EncryptionProtector with serverKeyType AzureKeyVault, so TDE uses the service-managed key"),
    ],
    [
      "a PostgreSQL server with the system-managed key",
      [res(T.pg, "pg", { ...RG, dataEncryption: { type: "SystemManaged" } })],
      why("Azure PostgreSQL flexible server", "pg", 'dataEncryption.type is not "AzureKeyVault", so the service-managed key is used'),
    ],
    [
      "a MySQL server without a key URI",
      [res(T.mysql, "my", { ...RG, dataEncryption: { type: "AzureKeyVault" } })],
      why("Azure MySQL flexible server", "my", "no dataEncryption.primaryKeyURI (a Key Vault key), so the provider's own key is used"),
    ],
    ["a Cosmos DB account without a key", [res(T.cosmos, "c", { ...RG })], why("Azure Cosmos DB account", "c", "no keyVaultKeyUri (a Key Vault key), so the provider's own key is used")],
    [
      "a storage account with Microsoft-managed keys",
      [res(T.storage, "st", { ...RG, encryption: { keySource: "Microsoft.Storage", requireInfrastructureEncryption: true } })],
      why("Azure storage account", "st", 'encryption.keySource is not "Microsoft.Keyvault", so the Microsoft-managed key is used'),
    ],
    [
      "an Event Hubs namespace with Microsoft-managed keys",
      [res(T.eventhub, "eh", { ...RG })],
      why("Azure Event Hubs namespace", "eh", 'encryption.keySource is not "Microsoft.KeyVault" (customer-managed keys need the Premium tier), so the Microsoft-managed key is used'),
    ],
    [
      "a Service Bus namespace with Microsoft-managed keys",
      [res(T.servicebus, "sb", { ...RG, encryption: { keySource: "Microsoft.Storage" } })],
      why("Azure Service Bus namespace", "sb", 'encryption.keySource is not "Microsoft.KeyVault" (customer-managed keys need the Premium tier), so the Microsoft-managed key is used'),
    ],
  ])("fails %s", async (_label, resources, expected) => {
    expect(messages(await pack.violationsOf(P, resources))).toEqual([expected]);
  });

  it("exempts the excluded services", async () => {
    const r = [res(T.eventhub, "eh", { ...RG }), res(T.servicebus, "sb", { ...RG }), res(T.cosmos, "c", { ...RG })];
    const v = await pack.violationsOf(P, r, { config: { [P]: { enforcementLevel: "mandatory", excludeServices: ["azure-eventhub", "azure-servicebus"] } } });
    expect(names(v)).toEqual(["c"]);
  });

  it("reports an unknown key source at preview", async () => {
    expect((await pack.violationsOf(P, [res(T.storage, "st", { ...RG, encryption: { keySource: UNKNOWN } })])).map((x) => x.level)).toEqual(["advisory"]);
  });
});
