/**
 * AWS managed data services: no public endpoint, TLS in transit, each judged by the service's
 * own settings (RDS/Aurora/Neptune/Redshift/DMS `publiclyAccessible`, OpenSearch VPC placement,
 * HTTPS and access policy, ElastiCache/MemoryDB/MSK transit encryption, `*` principals in
 * DynamoDB and Secrets Manager resource policies). TLS that RDS and Redshift enforce through
 * parameter groups is judged by the stack policy in data-services-aws-tls.ts.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { publicStatements } from "./storage-public";
import { TYPES } from "./types";
import { asRecord, bool, isSet, str } from "./util";

/** OpenSearch/Elasticsearch TLS policies that allow TLS 1.2 and later only. */
export const SEARCH_TLS_POLICIES = ["Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10"];

const REACH = "reach it from inside the network (through the mesh data proxy)";

/** `publiclyAccessible` of a service that is private when unset (`defaultPublic` false) or public when unset (DMS). */
function publicFlag(label: string, p: Record<string, unknown>, defaultPublic: boolean): string[] {
  const v = bool(p.publiclyAccessible);
  if (v === true) return [`${label} is publicly accessible (publiclyAccessible: true); set it to false and ${REACH}.`];
  if (v === undefined && defaultPublic) return [`${label} does not set publiclyAccessible: false, and AWS gives it a public IP when unset; set it to false and ${REACH}.`];
  return [];
}

function resourcePolicy(label: string, policy: unknown): string[] {
  return publicStatements(policy).map(
    (sid) => `${label} statement ${sid} allows every principal ("*") without a condition restricting the caller (aws:SourceVpce, aws:PrincipalOrgID, aws:PrincipalArn, ...); name the principals.`,
  );
}

function searchDomainProblems(label: string, p: Record<string, unknown>): string[] {
  const problems: string[] = [];
  // Subnet ids usually come from another resource (unknown at preview): set is what matters here.
  if (!isSet(asRecord(p.vpcOptions), "subnetIds")) problems.push(`${label} has a public endpoint (no vpcOptions.subnetIds); place it in a VPC and ${REACH}.`);
  const endpoint = asRecord(p.domainEndpointOptions);
  if (bool(endpoint?.enforceHttps) === false) problems.push(`${label} does not enforce HTTPS (domainEndpointOptions.enforceHttps: false).`);
  const tls = str(endpoint?.tlsSecurityPolicy);
  if (tls === undefined || !SEARCH_TLS_POLICIES.includes(tls)) {
    problems.push(`${label} domainEndpointOptions.tlsSecurityPolicy is ${tls === undefined ? "unset" : JSON.stringify(tls)}; use ${SEARCH_TLS_POLICIES.join(" or ")}.`);
  }
  if (bool(asRecord(p.nodeToNodeEncryption)?.enabled) !== true) problems.push(`${label} does not encrypt traffic between its nodes (nodeToNodeEncryption.enabled is not true).`);
  problems.push(...resourcePolicy(`${label} access policy`, p.accessPolicies));
  return problems;
}

function elastiCacheProblems(label: string, p: Record<string, unknown>, needsAuth: boolean): string[] {
  const problems: string[] = [];
  if (bool(p.transitEncryptionEnabled) !== true) problems.push(`${label} does not set transitEncryptionEnabled: true, so clients may connect in plaintext.`);
  else if (str(p.transitEncryptionMode) === "preferred") problems.push(`${label} transitEncryptionMode is "preferred", which still accepts plaintext clients; use "required".`);
  // A secret (authToken) need not be known to know it is set.
  if (needsAuth && !isSet(p, "authToken") && !isSet(p, "authTokenWo") && !isSet(p, "userGroupIds")) {
    problems.push(`${label} has no authentication (authToken or userGroupIds), so reaching its network is enough to read it.`);
  }
  return problems;
}

function mskProblems(p: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const transit = asRecord(asRecord(p.encryptionInfo)?.encryptionInTransit);
  const clientBroker = str(transit?.clientBroker);
  if (clientBroker !== undefined && clientBroker !== "TLS") {
    problems.push(`MSK cluster encryptionInfo.encryptionInTransit.clientBroker is "${clientBroker}"; use "TLS" so that no client connects in plaintext.`);
  }
  if (bool(transit?.inCluster) === false) problems.push("MSK cluster disables TLS between brokers (encryptionInfo.encryptionInTransit.inCluster: false).");
  const access = str(asRecord(asRecord(asRecord(p.brokerNodeGroupInfo)?.connectivityInfo)?.publicAccess)?.type);
  if (access === "SERVICE_PROVIDED_EIPS") problems.push(`MSK cluster brokers have public IPs (connectivityInfo.publicAccess.type: SERVICE_PROVIDED_EIPS); use "DISABLED" and ${REACH}.`);
  return problems;
}

/** Why an AWS data service resource has a public endpoint or admits plaintext (empty: it does neither). */
export function awsDataServiceProblems(type: string, p: Record<string, unknown>): string[] {
  switch (type) {
    case TYPES.awsRdsInstance:
      return publicFlag("RDS instance", p, false);
    case TYPES.awsRdsClusterInstance:
      return publicFlag("RDS cluster instance", p, false);
    case TYPES.awsNeptuneClusterInstance:
      return publicFlag("Neptune cluster instance", p, false);
    case TYPES.awsRedshiftCluster:
      return publicFlag("Redshift cluster", p, false);
    case TYPES.awsDmsReplicationInstance:
      return publicFlag("DMS replication instance", p, true);
    case TYPES.awsElastiCacheReplicationGroup:
      return elastiCacheProblems("ElastiCache replication group", p, true);
    case TYPES.awsElastiCacheCluster:
      // A member of a replication group is judged on the group.
      return isSet(p, "replicationGroupId") ? [] : elastiCacheProblems("ElastiCache cluster", p, false);
    case TYPES.awsMemoryDbCluster:
      return bool(p.tlsEnabled) === false ? ["MemoryDB cluster disables TLS (tlsEnabled: false)."] : [];
    case TYPES.awsMskCluster:
      return mskProblems(p);
    case TYPES.awsDynamoDbResourcePolicy:
      return resourcePolicy("DynamoDB resource policy", p.policy);
    case TYPES.awsSecret:
      return resourcePolicy("Secrets Manager secret policy", p.policy);
    case TYPES.awsSecretPolicy:
      return resourcePolicy("Secrets Manager secret policy", p.policy);
    default:
      if (TYPES.awsSearchDomain.includes(type)) return searchDomainProblems(type.startsWith("aws:opensearch") ? "OpenSearch domain" : "Elasticsearch domain", p);
      if (TYPES.awsSearchDomainPolicy.includes(type)) return resourcePolicy(type.startsWith("aws:opensearch") ? "OpenSearch domain policy" : "Elasticsearch domain policy", p.accessPolicies);
      return [];
  }
}

const HANDLED: readonly string[] = [
  TYPES.awsRdsInstance, TYPES.awsRdsClusterInstance, TYPES.awsNeptuneClusterInstance, TYPES.awsRedshiftCluster, TYPES.awsDmsReplicationInstance,
  TYPES.awsElastiCacheReplicationGroup, TYPES.awsElastiCacheCluster, TYPES.awsMemoryDbCluster, TYPES.awsMskCluster,
  TYPES.awsDynamoDbResourcePolicy, TYPES.awsSecret, TYPES.awsSecretPolicy, ...TYPES.awsSearchDomain, ...TYPES.awsSearchDomainPolicy,
];

/** AWS data services have no public endpoint and accept TLS only. */
export const awsDataServicesPrivateTls: ResourceValidationPolicy = {
  name: "aws-data-services-private-tls",
  description:
    "AWS managed data services are private and TLS-only: RDS, Aurora and Neptune instances, Redshift clusters and DMS replication instances are not publicly accessible (DMS must say false: AWS makes it public when unset); OpenSearch/Elasticsearch domains sit in a VPC, keep HTTPS enforced with a TLS 1.2 security policy, encrypt node-to-node traffic and have no access policy allowing `*` without a restricting condition; ElastiCache requires transit encryption (and replication groups authentication), MemoryDB keeps TLS on, MSK uses TLS between clients and brokers and among brokers with no public broker IPs; DynamoDB and Secrets Manager resource policies never allow `*` unconditionally. A data store reachable from the internet, or readable on the wire, is outside the mesh's enforcement.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!HANDLED.includes(args.type)) return;
    for (const problem of awsDataServiceProblems(args.type, args.props)) reportViolation(problem);
  },
};
