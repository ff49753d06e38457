/**
 * Pulumi type tokens the policies judge. The policies compare tokens rather than using
 * `validateResourceOfType(aws.iam.Role, ...)`: most policies handle several types across
 * clouds, and importing the provider SDKs into the pack costs about 3-4 s of start-up each
 * (`@pulumi/aws`, `@pulumi/gcp`, `@pulumi/azure-native`) for nothing but a type string.
 * {@link ofType} and {@link whenStackHas} give single-type policies the same fast path
 * `validateResourceOfType` gives, from the token alone.
 */
import type { ResourceValidation, StackValidation } from "@pulumi/policy";

export const TYPES = {
  awsRole: "aws:iam/role:Role",
  awsAccessKey: "aws:iam/accessKey:AccessKey",
  awsSecurityGroup: "aws:ec2/securityGroup:SecurityGroup",
  awsSecurityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  awsSecurityGroupIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  awsSecurityGroupEgressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  awsBucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"] as readonly string[],
  awsBucketAcl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"] as readonly string[],
  awsBucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  awsBucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  awsBucketObjectLock: [
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
  ] as readonly string[],
  awsBucketVersioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"] as readonly string[],
  awsBucketEncryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ] as readonly string[],
  gcpWorkloadIdentityPoolProvider: "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
  gcpServiceAccountKey: "gcp:serviceaccount/key:Key",
  gcpServiceAccountIam: [
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    "gcp:serviceaccount/iAMPolicy:IAMPolicy",
  ] as readonly string[],
  gcpIam: [
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:projects/iAMPolicy:IAMPolicy",
    "gcp:folder/iAMMember:IAMMember",
    "gcp:folder/iAMBinding:IAMBinding",
    "gcp:folder/iAMPolicy:IAMPolicy",
    "gcp:organizations/iAMMember:IAMMember",
    "gcp:organizations/iAMBinding:IAMBinding",
    "gcp:organizations/iAMPolicy:IAMPolicy",
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:storage/bucketIAMBinding:BucketIAMBinding",
    "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    "gcp:serviceaccount/iAMPolicy:IAMPolicy",
  ] as readonly string[],
  gcpBucketIam: [
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:storage/bucketIAMBinding:BucketIAMBinding",
    "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
  ] as readonly string[],
  gcpBucket: "gcp:storage/bucket:Bucket",
  gcpFirewall: "gcp:compute/firewall:Firewall",
  azureFederatedIdentityCredential: "azure-native:managedidentity:FederatedIdentityCredential",
  azureRoleAssignment: "azure-native:authorization:RoleAssignment",
  azureStorageAccount: "azure-native:storage:StorageAccount",
  azureBlobContainer: "azure-native:storage:BlobContainer",
  azureImmutabilityPolicy: "azure-native:storage:BlobContainerImmutabilityPolicy",
  azureBlobServiceProperties: "azure-native:storage:BlobServiceProperties",
  azureSecurityRule: "azure-native:network:SecurityRule",
  azureNetworkSecurityGroup: "azure-native:network:NetworkSecurityGroup",
  // Managed data services (data-services-*.ts, encryption-at-rest*.ts).
  awsRdsInstance: "aws:rds/instance:Instance",
  awsRdsCluster: "aws:rds/cluster:Cluster",
  awsRdsClusterInstance: "aws:rds/clusterInstance:ClusterInstance",
  awsRdsParameterGroup: "aws:rds/parameterGroup:ParameterGroup",
  awsRdsClusterParameterGroup: "aws:rds/clusterParameterGroup:ClusterParameterGroup",
  awsDocdbCluster: "aws:docdb/cluster:Cluster",
  awsDocdbClusterParameterGroup: "aws:docdb/clusterParameterGroup:ClusterParameterGroup",
  awsNeptuneCluster: "aws:neptune/cluster:Cluster",
  awsNeptuneClusterInstance: "aws:neptune/clusterInstance:ClusterInstance",
  awsRedshiftCluster: "aws:redshift/cluster:Cluster",
  awsRedshiftParameterGroup: "aws:redshift/parameterGroup:ParameterGroup",
  awsDmsReplicationInstance: "aws:dms/replicationInstance:ReplicationInstance",
  awsSearchDomain: ["aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain"] as readonly string[],
  awsSearchDomainPolicy: ["aws:opensearch/domainPolicy:DomainPolicy", "aws:elasticsearch/domainPolicy:DomainPolicy"] as readonly string[],
  awsElastiCacheReplicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
  awsElastiCacheCluster: "aws:elasticache/cluster:Cluster",
  awsElastiCacheServerless: "aws:elasticache/serverlessCache:ServerlessCache",
  awsMemoryDbCluster: "aws:memorydb/cluster:Cluster",
  awsMskCluster: "aws:msk/cluster:Cluster",
  awsDynamoDbTable: "aws:dynamodb/table:Table",
  awsDynamoDbResourcePolicy: "aws:dynamodb/resourcePolicy:ResourcePolicy",
  awsBackupVault: "aws:backup/vault:Vault",
  awsSsmParameter: "aws:ssm/parameter:Parameter",
  awsSecret: "aws:secretsmanager/secret:Secret",
  awsSecretPolicy: "aws:secretsmanager/secretPolicy:SecretPolicy",
  awsKinesisStream: "aws:kinesis/stream:Stream",
  awsSqsQueue: "aws:sqs/queue:Queue",
  azureSqlServer: "azure-native:sql:Server",
  azureSqlFirewallRule: "azure-native:sql:FirewallRule",
  azureSqlEncryptionProtector: "azure-native:sql:EncryptionProtector",
  azurePostgresServer: "azure-native:dbforpostgresql:Server",
  azurePostgresFirewallRule: "azure-native:dbforpostgresql:FirewallRule",
  azurePostgresConfiguration: "azure-native:dbforpostgresql:Configuration",
  azureMysqlServer: "azure-native:dbformysql:Server",
  azureMysqlFirewallRule: "azure-native:dbformysql:FirewallRule",
  azureMysqlConfiguration: "azure-native:dbformysql:Configuration",
  /** `cosmosdb` in azure-native 3; `documentdb` in 2.x (and in exports of stacks deployed with it). */
  azureCosmosAccount: ["azure-native:cosmosdb:DatabaseAccount", "azure-native:documentdb:DatabaseAccount"] as readonly string[],
  azureRedis: "azure-native:redis:Redis",
  azureRedisFirewallRule: "azure-native:redis:FirewallRule",
  azureRedisEnterpriseDatabase: "azure-native:redisenterprise:Database",
  azureEventHubNamespace: "azure-native:eventhub:Namespace",
  azureServiceBusNamespace: "azure-native:servicebus:Namespace",
  azureKeyVault: "azure-native:keyvault:Vault",
  gcpSqlInstance: "gcp:sql/databaseInstance:DatabaseInstance",
  gcpRedisInstance: "gcp:redis/instance:Instance",
  gcpBigQueryDataset: "gcp:bigquery/dataset:Dataset",
  gcpBigQueryDatasetAccess: "gcp:bigquery/datasetAccess:DatasetAccess",
  gcpBigQueryTable: "gcp:bigquery/table:Table",
  gcpPubSubTopic: "gcp:pubsub/topic:Topic",
  gcpSecret: "gcp:secretmanager/secret:Secret",
  gcpSpannerDatabase: "gcp:spanner/database:Database",
  /** IAM on data services (datasets, tables, topics, subscriptions, secrets): never allUsers/allAuthenticatedUsers. */
  gcpDataIam: [
    "gcp:bigquery/datasetIamMember:DatasetIamMember",
    "gcp:bigquery/datasetIamBinding:DatasetIamBinding",
    "gcp:bigquery/datasetIamPolicy:DatasetIamPolicy",
    "gcp:bigquery/iamMember:IamMember",
    "gcp:bigquery/iamBinding:IamBinding",
    "gcp:bigquery/iamPolicy:IamPolicy",
    "gcp:pubsub/topicIAMMember:TopicIAMMember",
    "gcp:pubsub/topicIAMBinding:TopicIAMBinding",
    "gcp:pubsub/topicIAMPolicy:TopicIAMPolicy",
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
    "gcp:pubsub/subscriptionIAMBinding:SubscriptionIAMBinding",
    "gcp:pubsub/subscriptionIAMPolicy:SubscriptionIAMPolicy",
    "gcp:secretmanager/secretIamMember:SecretIamMember",
    "gcp:secretmanager/secretIamBinding:SecretIamBinding",
    "gcp:secretmanager/secretIamPolicy:SecretIamPolicy",
  ] as readonly string[],
  k8sNamespace: "kubernetes:core/v1:Namespace",
  k8sNetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  k8sService: "kubernetes:core/v1:Service",
  k8sConfigMap: "kubernetes:core/v1:ConfigMap",
  k8sSecret: "kubernetes:core/v1:Secret",
  k8sDeployment: "kubernetes:apps/v1:Deployment",
  /** Every workload type that runs pods from a template (all API versions @pulumi/kubernetes has), and bare Pods. */
  k8sWorkloads: [
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:apps/v1beta1:Deployment",
    "kubernetes:apps/v1beta1:StatefulSet",
    "kubernetes:apps/v1beta2:Deployment",
    "kubernetes:apps/v1beta2:StatefulSet",
    "kubernetes:apps/v1beta2:DaemonSet",
    "kubernetes:apps/v1beta2:ReplicaSet",
    "kubernetes:extensions/v1beta1:Deployment",
    "kubernetes:extensions/v1beta1:DaemonSet",
    "kubernetes:extensions/v1beta1:ReplicaSet",
    "kubernetes:core/v1:Pod",
  ] as readonly string[],
  k8sPodDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
  k8sPodDisruptionBudgets: ["kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:policy/v1beta1:PodDisruptionBudget"] as readonly string[],
} as const;

/**
 * The tag `validateResourceOfType` and `validateStackResourcesOfType` put on the functions they
 * return (`fn.__pulumiType`); the policy host reads it before deserializing anything.
 */
const PULUMI_TYPE = "__pulumiType";

/**
 * A resource validation that judges resources of `type` only. Tagged as `validateResourceOfType`
 * tags its functions, so the policy host skips the policy for every other type without
 * deserializing the resource's properties for it (the host deserializes them once per policy it
 * runs: with ~20 policies, that copying is most of the cost of analyzing a resource). The type
 * is checked here too, for hosts that do not read the tag.
 */
export function ofType(type: string, validate: ResourceValidation): ResourceValidation {
  const fn: ResourceValidation = (args, reportViolation) => (args.type === type ? validate(args, reportViolation) : undefined);
  return Object.assign(fn, { [PULUMI_TYPE]: type });
}

/**
 * A stack validation that can only report something when the stack has a resource of `type`
 * (e.g. a check of every Namespace). Tagged like `validateStackResourcesOfType`'s functions, so
 * the host skips the policy, and deserializing the whole stack for it, when there is none; it
 * still receives every resource of the stack when it runs.
 */
export function whenStackHas(type: string, validate: StackValidation): StackValidation {
  const fn: StackValidation = (args, reportViolation) => validate(args, reportViolation);
  return Object.assign(fn, { [PULUMI_TYPE]: type });
}
