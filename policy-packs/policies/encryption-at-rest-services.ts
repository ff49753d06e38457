/**
 * Per service: how a store says it is encrypted at rest with a customer-managed key (a KMS key,
 * Key Vault key or Cloud KMS key the customer controls) rather than the provider's default or
 * provider-managed key. A key reference that is unknown at preview is an output of another
 * resource, a key this stack creates, and counts as customer-managed; every other value judged
 * is read normally, so an unknown one becomes the host's "can't run during preview" advisory.
 */
import type { PolicyResource } from "@pulumi/policy";
import { resourcesOfType } from "./stack-index";
import { TYPES } from "./types";
import { asArray, asRecord, bool, isSet, isUnknown, peek, str } from "./util";

/** What a service check sees: the resource, and the stack for stores configured by other resources. */
export interface StoreContext {
  resource: PolicyResource;
  all: PolicyResource[];
}

export interface EncryptedService {
  /** The id `services`/`excludeServices` name. */
  id: string;
  label: string;
  types: readonly string[];
  /** Why the store is not encrypted with a customer-managed key (undefined: it is). */
  problem: (p: Record<string, unknown>, ctx: StoreContext) => string | undefined;
}

type Obj = Record<string, unknown> | undefined;

/** AWS-managed keys are addressed by their `alias/aws/<service>` alias. */
function awsManagedAlias(v: unknown): boolean {
  return typeof v === "string" && !isUnknown(v) && /(^|:)alias\/aws\//.test(v);
}

/** The problem of an AWS key reference field (unset, or an AWS-managed alias). */
function awsKey(obj: Obj, field: string, path = field): string | undefined {
  if (!isSet(obj, field)) return `no ${path} (a customer-managed KMS key), so AWS uses its own key`;
  const v = peek(obj, field);
  return awsManagedAlias(v) ? `${path} ${JSON.stringify(v)} is an AWS-managed key` : undefined;
}

/** The problem of a key reference that only has to be set (Azure Key Vault key URIs, Cloud KMS key names). */
function keySet(obj: Obj, field: string, path: string, what: string): string | undefined {
  return isSet(obj, field) ? undefined : `no ${path} (${what}), so the provider's own key is used`;
}

const CLOUD_KMS = "a Cloud KMS key";

/** `flag` must be true; then the key. */
function flagAndKey(p: Record<string, unknown>, flag: string, keyField: string, defaultOn = false): string | undefined {
  const on = bool(p[flag]);
  if (on === false || (on === undefined && !defaultOn)) return `${flag} is not true`;
  return awsKey(p, keyField);
}

/** Resources of `types` that configure `store` (name it in `key` by its name or id, or depend on it). */
function related(ctx: StoreContext, types: readonly string[], key: string, names: string[]): PolicyResource[] {
  const ids = names.filter((n) => n !== "");
  return resourcesOfType(ctx.all, types).filter((r) => {
    const ref = str(peek(r.props, key));
    return (ref !== undefined && !isUnknown(ref) && ids.includes(ref)) || r.dependencies.some((d) => d.urn === ctx.resource.urn);
  });
}

function knownNames(p: Record<string, unknown>, ...fields: string[]): string[] {
  return fields.map((f) => peek(p, f)).filter((v): v is string => typeof v === "string" && !isUnknown(v));
}

function s3Problem(p: Record<string, unknown>, ctx: StoreContext): string | undefined {
  const rules = [
    ...asArray(asRecord(p.serverSideEncryptionConfiguration)?.rule),
    ...related(ctx, TYPES.awsBucketEncryption, "bucket", knownNames(p, "bucket", "id")).flatMap((r) => asArray(r.props.rules ?? r.props.rule)),
  ].map((r) => asRecord(asArray(asRecord(r)?.applyServerSideEncryptionByDefault)[0]));
  const kms = rules.filter((d) => (str(d?.sseAlgorithm) ?? "").startsWith("aws:kms"));
  if (kms.length === 0) return "no server-side encryption configuration with sseAlgorithm aws:kms, so S3 uses its own key";
  const problems = kms.map((d) => awsKey(d, "kmsMasterKeyId"));
  return problems.some((x) => x === undefined) ? undefined : problems[0];
}

function azureSqlProblem(p: Record<string, unknown>, ctx: StoreContext): string | undefined {
  if (isSet(p, "keyId")) return undefined;
  const protectors = related(ctx, [TYPES.azureSqlEncryptionProtector], "serverName", knownNames(p, "serverName", "name"));
  if (protectors.some((r) => str(r.props.serverKeyType)?.toLowerCase() === "azurekeyvault")) return undefined;
  return "no keyId and no EncryptionProtector with serverKeyType AzureKeyVault, so TDE uses the service-managed key";
}

function flexibleServerProblem(p: Record<string, unknown>): string | undefined {
  const enc = asRecord(p.dataEncryption);
  if (str(enc?.type)?.toLowerCase() !== "azurekeyvault") return 'dataEncryption.type is not "AzureKeyVault", so the service-managed key is used';
  return keySet(enc, "primaryKeyURI", "dataEncryption.primaryKeyURI", "a Key Vault key");
}

function namespaceProblem(p: Record<string, unknown>): string | undefined {
  const source = str(asRecord(p.encryption)?.keySource);
  return source?.toLowerCase() === "microsoft.keyvault" ? undefined : 'encryption.keySource is not "Microsoft.KeyVault" (customer-managed keys need the Premium tier), so the Microsoft-managed key is used';
}

function secretManagerProblem(p: Record<string, unknown>): string | undefined {
  const replication = asRecord(p.replication);
  const auto = asRecord(replication?.auto);
  if (auto) return keySet(asRecord(auto.customerManagedEncryption), "kmsKeyName", "replication.auto.customerManagedEncryption.kmsKeyName", CLOUD_KMS);
  const replicas = asArray(asRecord(replication?.userManaged)?.replicas).map(asRecord);
  if (replicas.length === 0) return "no replication.auto or replication.userManaged replicas with customerManagedEncryption";
  const bare = replicas.filter((r) => !isSet(asRecord(r?.customerManagedEncryption), "kmsKeyName")).map((r) => str(r?.location) ?? "?");
  return bare.length === 0 ? undefined : `replicas in ${bare.join(", ")} have no customerManagedEncryption.kmsKeyName`;
}

function bigQueryTableProblem(p: Record<string, unknown>, ctx: StoreContext): string | undefined {
  if (isSet(asRecord(p.encryptionConfiguration), "kmsKeyName")) return undefined;
  // A table without its own key takes its dataset's default key.
  const dataset = str(peek(p, "datasetId"));
  const datasets = resourcesOfType(ctx.all, TYPES.gcpBigQueryDataset).filter(
    (d) => (dataset !== undefined && !isUnknown(dataset) && str(peek(d.props, "datasetId")) === dataset) || ctx.resource.dependencies.some((x) => x.urn === d.urn),
  );
  if (datasets.some((d) => isSet(asRecord(d.props.defaultEncryptionConfiguration), "kmsKeyName"))) return undefined;
  return "no encryptionConfiguration.kmsKeyName, and its dataset in this stack has no defaultEncryptionConfiguration.kmsKeyName";
}

/** Every service the policy knows, in report order. */
export const ENCRYPTED_SERVICES: readonly EncryptedService[] = [
  // AWS
  {
    id: "aws-rds", label: "RDS instance", types: [TYPES.awsRdsInstance],
    // A read replica is encrypted like its source, which is judged itself.
    problem: (p) => (isSet(p, "replicateSourceDb") ? undefined : flagAndKey(p, "storageEncrypted", "kmsKeyId")),
  },
  {
    id: "aws-rds-cluster", label: "RDS cluster", types: [TYPES.awsRdsCluster],
    problem: (p) => flagAndKey(p, "storageEncrypted", "kmsKeyId", str(p.engineMode) === "serverless"),
  },
  { id: "aws-docdb", label: "DocumentDB cluster", types: [TYPES.awsDocdbCluster], problem: (p) => flagAndKey(p, "storageEncrypted", "kmsKeyId") },
  { id: "aws-neptune", label: "Neptune cluster", types: [TYPES.awsNeptuneCluster], problem: (p) => flagAndKey(p, "storageEncrypted", "kmsKeyArn") },
  { id: "aws-redshift", label: "Redshift cluster", types: [TYPES.awsRedshiftCluster], problem: (p) => flagAndKey(p, "encrypted", "kmsKeyId", true) },
  {
    id: "aws-dynamodb", label: "DynamoDB table", types: [TYPES.awsDynamoDbTable],
    problem: (p) => {
      const sse = asRecord(p.serverSideEncryption);
      if (bool(sse?.enabled) !== true) return "serverSideEncryption.enabled is not true, so DynamoDB uses its own key";
      return awsKey(sse, "kmsKeyArn", "serverSideEncryption.kmsKeyArn");
    },
  },
  { id: "aws-dms", label: "DMS replication instance", types: [TYPES.awsDmsReplicationInstance], problem: (p) => awsKey(p, "kmsKeyArn") },
  {
    id: "aws-opensearch", label: "OpenSearch/Elasticsearch domain", types: TYPES.awsSearchDomain,
    problem: (p) => {
      const at = asRecord(p.encryptAtRest);
      return bool(at?.enabled) !== true ? "encryptAtRest.enabled is not true" : awsKey(at, "kmsKeyId", "encryptAtRest.kmsKeyId");
    },
  },
  {
    id: "aws-elasticache", label: "ElastiCache replication group", types: [TYPES.awsElastiCacheReplicationGroup],
    problem: (p) => flagAndKey(p, "atRestEncryptionEnabled", "kmsKeyId", str(p.engine) === "valkey"),
  },
  { id: "aws-elasticache-serverless", label: "ElastiCache serverless cache", types: [TYPES.awsElastiCacheServerless], problem: (p) => awsKey(p, "kmsKeyId") },
  { id: "aws-memorydb", label: "MemoryDB cluster", types: [TYPES.awsMemoryDbCluster], problem: (p) => awsKey(p, "kmsKeyArn") },
  {
    id: "aws-msk", label: "MSK cluster", types: [TYPES.awsMskCluster],
    problem: (p) => awsKey(asRecord(p.encryptionInfo), "encryptionAtRestKmsKeyArn", "encryptionInfo.encryptionAtRestKmsKeyArn"),
  },
  { id: "aws-kinesis", label: "Kinesis stream", types: [TYPES.awsKinesisStream], problem: (p) => (str(p.encryptionType) !== "KMS" ? 'encryptionType is not "KMS"' : awsKey(p, "kmsKeyId")) },
  { id: "aws-sqs", label: "SQS queue", types: [TYPES.awsSqsQueue], problem: (p) => awsKey(p, "kmsMasterKeyId") },
  { id: "aws-backup-vault", label: "Backup vault", types: [TYPES.awsBackupVault], problem: (p) => awsKey(p, "kmsKeyArn") },
  {
    id: "aws-ssm-parameter", label: "SSM SecureString parameter", types: [TYPES.awsSsmParameter],
    // String and StringList parameters hold no secret and have no key.
    problem: (p) => (str(p.type) === "SecureString" ? awsKey(p, "keyId") : undefined),
  },
  { id: "aws-secrets-manager", label: "Secrets Manager secret", types: [TYPES.awsSecret], problem: (p) => awsKey(p, "kmsKeyId") },
  { id: "aws-s3", label: "S3 bucket", types: TYPES.awsBucket, problem: s3Problem },
  // Azure
  { id: "azure-sql", label: "Azure SQL server", types: [TYPES.azureSqlServer], problem: azureSqlProblem },
  { id: "azure-postgresql", label: "Azure PostgreSQL flexible server", types: [TYPES.azurePostgresServer], problem: flexibleServerProblem },
  { id: "azure-mysql", label: "Azure MySQL flexible server", types: [TYPES.azureMysqlServer], problem: flexibleServerProblem },
  {
    id: "azure-cosmosdb", label: "Azure Cosmos DB account", types: TYPES.azureCosmosAccount,
    problem: (p) => keySet(p, "keyVaultKeyUri", "keyVaultKeyUri", "a Key Vault key"),
  },
  {
    id: "azure-storage", label: "Azure storage account", types: [TYPES.azureStorageAccount],
    problem: (p) => (str(asRecord(p.encryption)?.keySource)?.toLowerCase() === "microsoft.keyvault" ? undefined : 'encryption.keySource is not "Microsoft.Keyvault", so the Microsoft-managed key is used'),
  },
  { id: "azure-eventhub", label: "Azure Event Hubs namespace", types: [TYPES.azureEventHubNamespace], problem: namespaceProblem },
  { id: "azure-servicebus", label: "Azure Service Bus namespace", types: [TYPES.azureServiceBusNamespace], problem: namespaceProblem },
  // GCP
  { id: "gcp-cloud-sql", label: "Cloud SQL instance", types: [TYPES.gcpSqlInstance], problem: (p) => keySet(p, "encryptionKeyName", "encryptionKeyName", CLOUD_KMS) },
  {
    id: "gcp-bigquery", label: "BigQuery dataset", types: [TYPES.gcpBigQueryDataset],
    problem: (p) => keySet(asRecord(p.defaultEncryptionConfiguration), "kmsKeyName", "defaultEncryptionConfiguration.kmsKeyName", CLOUD_KMS),
  },
  { id: "gcp-bigquery-table", label: "BigQuery table", types: [TYPES.gcpBigQueryTable], problem: bigQueryTableProblem },
  { id: "gcp-memorystore", label: "Memorystore Redis instance", types: [TYPES.gcpRedisInstance], problem: (p) => keySet(p, "customerManagedKey", "customerManagedKey", CLOUD_KMS) },
  { id: "gcp-pubsub", label: "Pub/Sub topic", types: [TYPES.gcpPubSubTopic], problem: (p) => keySet(p, "kmsKeyName", "kmsKeyName", CLOUD_KMS) },
  { id: "gcp-secret-manager", label: "Secret Manager secret", types: [TYPES.gcpSecret], problem: secretManagerProblem },
  {
    id: "gcp-spanner", label: "Spanner database", types: [TYPES.gcpSpannerDatabase],
    problem: (p) => {
      const c = asRecord(p.encryptionConfig);
      return isSet(c, "kmsKeyName") || isSet(c, "kmsKeyNames") ? undefined : `no encryptionConfig.kmsKeyName (${CLOUD_KMS}), so the provider's own key is used`;
    },
  },
  {
    id: "gcp-storage", label: "GCS bucket", types: [TYPES.gcpBucket],
    problem: (p) => keySet(asRecord(Array.isArray(p.encryption) ? p.encryption[0] : p.encryption), "defaultKmsKeyName", "encryption.defaultKmsKeyName", CLOUD_KMS),
  },
];

export const ENCRYPTED_SERVICE_IDS: readonly string[] = ENCRYPTED_SERVICES.map((s) => s.id);
