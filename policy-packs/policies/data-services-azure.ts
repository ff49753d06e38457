/**
 * Azure managed data services: no public network access, TLS 1.2+ only, SSL enforced, and no
 * firewall rule admitting the internet or every Azure tenant (`0.0.0.0`-`0.0.0.0`, the
 * AllowAllWindowsAzureIps rule). Azure SQL, PostgreSQL and MySQL flexible servers (and their
 * server parameters), Cosmos DB, Azure Cache for Redis (and Redis Enterprise databases),
 * Event Hubs and Service Bus namespaces, and Key Vault.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { PUBLIC_V4, covers, parseCidr } from "./cidr";
import { TYPES } from "./types";
import { asRecord, bool, isSet, str } from "./util";

const PRIVATE_ACCESS = ["disabled", "securedbyperimeter"];
const PRIVATE_HINT = "reach it through a private endpoint";

function show(v: string | undefined): string {
  return v === undefined ? "unset" : JSON.stringify(v);
}

/** `publicNetworkAccess` must say Disabled (or SecuredByPerimeter): every service here defaults to Enabled. */
function publicAccess(label: string, value: unknown, field = "publicNetworkAccess"): string[] {
  const v = str(value);
  if (v !== undefined && PRIVATE_ACCESS.includes(v.toLowerCase())) return [];
  return [`${label} ${field} is ${show(v)} (Azure's default is Enabled); set it to "Disabled" and ${PRIVATE_HINT}.`];
}

/** A minimum TLS version field must be set to TLS 1.2 or later (in the service's own spelling). */
function minimumTls(label: string, field: string, value: unknown, accepted: string[]): string[] {
  const v = str(value);
  return v !== undefined && accepted.includes(v) ? [] : [`${label} ${field} is ${show(v)}; set ${JSON.stringify(accepted[0])} or later.`];
}

/** What a start-end firewall rule admits: every Azure tenant (`0.0.0.0`-`0.0.0.0`), the whole internet, or neither. */
export function firewallRuleProblem(label: string, start: unknown, end: unknown): string[] {
  const s = str(start)?.trim();
  const e = str(end)?.trim();
  if (s === undefined || e === undefined) return [];
  if (s === "0.0.0.0" && e === "0.0.0.0") {
    return [`${label} 0.0.0.0-0.0.0.0 (AllowAllWindowsAzureIps) admits every Azure tenant's services, not only yours; remove it and ${PRIVATE_HINT}.`];
  }
  const lo = parseCidr(s);
  const hi = parseCidr(e);
  if (lo?.family !== "v4" || hi?.family !== "v4" || lo.range.lo > hi.range.hi) return [];
  return covers([{ lo: lo.range.lo, hi: hi.range.hi }], PUBLIC_V4) ? [`${label} ${s}-${e} admits the whole internet; remove it and ${PRIVATE_HINT}.`] : [];
}

/** A flexible server is private with `network.publicNetworkAccess: Disabled` or VNet integration (a delegated subnet). */
function flexibleServer(label: string, p: Record<string, unknown>): string[] {
  const network = asRecord(p.network);
  if (isSet(network, "delegatedSubnetResourceId")) return [];
  return publicAccess(label, network?.publicNetworkAccess, "network.publicNetworkAccess");
}

/** Server parameters that turn TLS off or allow TLS below 1.2 (PostgreSQL and MySQL flexible servers). */
export function serverParameterProblems(engine: "PostgreSQL" | "MySQL", p: Record<string, unknown>): string[] {
  const name = str(p.configurationName)?.toLowerCase();
  if (name === undefined) return [];
  const label = `Azure ${engine} server parameter ${name}`;
  if (name === "require_secure_transport") {
    const v = str(p.value)?.toLowerCase();
    return v !== undefined && ["off", "0", "false"].includes(v) ? [`${label} is ${JSON.stringify(p.value)}; TLS must be required ("on").`] : [];
  }
  if (name === "ssl_min_protocol_version" || name === "tls_version") {
    const v = str(p.value);
    if (v === undefined) return [];
    const old = v.split(",").map((x) => x.trim().toLowerCase()).filter((x) => x === "tlsv1" || x === "tlsv1.0" || x === "tlsv1.1");
    return old.length > 0 ? [`${label} is ${JSON.stringify(v)}, which allows ${old.join(", ")}; allow TLSv1.2 and later only.`] : [];
  }
  return [];
}

function keyVaultProblems(p: Record<string, unknown>): string[] {
  const props = asRecord(p.properties);
  const problems: string[] = [];
  const access = str(props?.publicNetworkAccess);
  const denies = str(asRecord(props?.networkAcls)?.defaultAction)?.toLowerCase() === "deny";
  if (!(access !== undefined && access.toLowerCase() === "disabled") && !denies) {
    problems.push(`Azure Key Vault is reachable from every network (properties.publicNetworkAccess is ${show(access)} and networkAcls.defaultAction is not "Deny"); disable public access or deny by default.`);
  }
  if (bool(props?.enablePurgeProtection) !== true) {
    problems.push("Azure Key Vault does not set properties.enablePurgeProtection: true; a purged customer-managed key makes every store it encrypts unreadable.");
  }
  return problems;
}

/** Why an Azure data service resource is public or admits plaintext or old TLS (empty: it is neither). */
export function azureDataServiceProblems(type: string, p: Record<string, unknown>): string[] {
  switch (type) {
    case TYPES.azureSqlServer:
      return [...publicAccess("Azure SQL server", p.publicNetworkAccess), ...minimumTls("Azure SQL server", "minimalTlsVersion", p.minimalTlsVersion, ["1.2", "1.3"])];
    case TYPES.azureSqlFirewallRule:
      return firewallRuleProblem("Azure SQL firewall rule", p.startIpAddress, p.endIpAddress);
    case TYPES.azurePostgresServer:
      return flexibleServer("Azure PostgreSQL flexible server", p);
    case TYPES.azurePostgresFirewallRule:
      return firewallRuleProblem("Azure PostgreSQL firewall rule", p.startIpAddress, p.endIpAddress);
    case TYPES.azurePostgresConfiguration:
      return serverParameterProblems("PostgreSQL", p);
    case TYPES.azureMysqlServer:
      return flexibleServer("Azure MySQL flexible server", p);
    case TYPES.azureMysqlFirewallRule:
      return firewallRuleProblem("Azure MySQL firewall rule", p.startIpAddress, p.endIpAddress);
    case TYPES.azureMysqlConfiguration:
      return serverParameterProblems("MySQL", p);
    case TYPES.azureRedis: {
      const problems: string[] = [];
      if (bool(p.enableNonSslPort) === true) problems.push("Azure Cache for Redis opens its non-TLS port (enableNonSslPort: true); set it to false.");
      problems.push(...minimumTls("Azure Cache for Redis", "minimumTlsVersion", p.minimumTlsVersion, ["1.2"]));
      // A cache injected into a VNet (subnetId) has no public endpoint.
      if (!isSet(p, "subnetId")) problems.push(...publicAccess("Azure Cache for Redis", p.publicNetworkAccess));
      return problems;
    }
    case TYPES.azureRedisFirewallRule:
      return firewallRuleProblem("Azure Cache for Redis firewall rule", p.startIP, p.endIP);
    case TYPES.azureRedisEnterpriseDatabase:
      return str(p.clientProtocol)?.toLowerCase() === "plaintext" ? ['Azure Redis Enterprise database accepts plaintext clients (clientProtocol: "Plaintext"); use "Encrypted".'] : [];
    case TYPES.azureEventHubNamespace:
      return [...publicAccess("Azure Event Hubs namespace", p.publicNetworkAccess), ...minimumTls("Azure Event Hubs namespace", "minimumTlsVersion", p.minimumTlsVersion, ["1.2", "1.3"])];
    case TYPES.azureServiceBusNamespace:
      return [...publicAccess("Azure Service Bus namespace", p.publicNetworkAccess), ...minimumTls("Azure Service Bus namespace", "minimumTlsVersion", p.minimumTlsVersion, ["1.2", "1.3"])];
    case TYPES.azureKeyVault:
      return keyVaultProblems(p);
    default:
      if (TYPES.azureCosmosAccount.includes(type)) {
        return [...publicAccess("Azure Cosmos DB account", p.publicNetworkAccess), ...minimumTls("Azure Cosmos DB account", "minimalTlsVersion", p.minimalTlsVersion, ["Tls12"])];
      }
      return [];
  }
}

const HANDLED: readonly string[] = [
  TYPES.azureSqlServer, TYPES.azureSqlFirewallRule, TYPES.azurePostgresServer, TYPES.azurePostgresFirewallRule, TYPES.azurePostgresConfiguration,
  TYPES.azureMysqlServer, TYPES.azureMysqlFirewallRule, TYPES.azureMysqlConfiguration, TYPES.azureRedis, TYPES.azureRedisFirewallRule,
  TYPES.azureRedisEnterpriseDatabase, TYPES.azureEventHubNamespace, TYPES.azureServiceBusNamespace, TYPES.azureKeyVault, ...TYPES.azureCosmosAccount,
];

/** Azure data services have no public network access and accept TLS 1.2+ only. */
export const azureDataServicesPrivateTls: ResourceValidationPolicy = {
  name: "azure-data-services-private-tls",
  description:
    'Azure managed data services are private and TLS-only: Azure SQL servers, Cosmos DB accounts, Azure Cache for Redis (unless VNet-injected), Event Hubs and Service Bus namespaces set publicNetworkAccess "Disabled" (unset means Enabled), and PostgreSQL/MySQL flexible servers disable it or use VNet integration; minimum TLS 1.2 is set explicitly; the Redis non-TLS port stays closed and Redis Enterprise databases are Encrypted; server parameters never turn `require_secure_transport` off or allow TLS below 1.2; no SQL, PostgreSQL, MySQL or Redis firewall rule admits the whole internet or every Azure tenant (0.0.0.0-0.0.0.0); Key Vaults deny public network access by default and have purge protection. A data store reachable from the internet, or readable on the wire, is outside the mesh\'s enforcement.',
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!HANDLED.includes(args.type)) return;
    for (const problem of azureDataServiceProblems(args.type, args.props)) reportViolation(problem);
  },
};
