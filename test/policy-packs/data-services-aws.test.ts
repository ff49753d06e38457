/** AWS managed data services: private and TLS-only, TLS through parameter groups, customer-managed keys at rest. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackSession, UNKNOWN, res, secret, type TestResource } from "../helpers/policy-harness";
import { messages, names } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

const KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE = "arn:aws:iam::111122223333:role/reader";
const policyDoc = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*", ...statement }] });
const REACH = "reach it from inside the network (through the mesh data proxy)";
const ANY = 'allows every principal ("*") without a condition restricting the caller (aws:SourceVpce, aws:PrincipalOrgID, aws:PrincipalArn, ...); name the principals.';

describe("aws-data-services-private-tls", () => {
  const P = "aws-data-services-private-tls";
  const T = {
    rds: "aws:rds/instance:Instance",
    clusterInstance: "aws:rds/clusterInstance:ClusterInstance",
    neptune: "aws:neptune/clusterInstance:ClusterInstance",
    redshift: "aws:redshift/cluster:Cluster",
    dms: "aws:dms/replicationInstance:ReplicationInstance",
    opensearch: "aws:opensearch/domain:Domain",
    elasticsearch: "aws:elasticsearch/domain:Domain",
    domainPolicy: "aws:opensearch/domainPolicy:DomainPolicy",
    rg: "aws:elasticache/replicationGroup:ReplicationGroup",
    cache: "aws:elasticache/cluster:Cluster",
    memorydb: "aws:memorydb/cluster:Cluster",
    msk: "aws:msk/cluster:Cluster",
    dynamoPolicy: "aws:dynamodb/resourcePolicy:ResourcePolicy",
    secret: "aws:secretsmanager/secret:Secret",
    secretPolicy: "aws:secretsmanager/secretPolicy:SecretPolicy",
  };
  const domain = (type: string, over: Record<string, unknown> = {}) =>
    res(type, "search", {
      domainName: "search",
      vpcOptions: { subnetIds: ["subnet-1"] },
      domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
      nodeToNodeEncryption: { enabled: true },
      accessPolicies: policyDoc({ Principal: { AWS: ROLE } }),
      ...over,
    });
  const rg = (over: Record<string, unknown> = {}) =>
    res(T.rg, "rg", { description: "cache", transitEncryptionEnabled: true, transitEncryptionMode: "required", authToken: secret("t0ken-t0ken-t0ken"), ...over });
  const msk = (transit: Record<string, unknown>, publicAccess = "DISABLED") =>
    res(T.msk, "msk", {
      kafkaVersion: "3.6.0",
      numberOfBrokerNodes: 3,
      brokerNodeGroupInfo: { instanceType: "kafka.m5.large", clientSubnets: ["s1"], connectivityInfo: { publicAccess: { type: publicAccess } } },
      encryptionInfo: { encryptionInTransit: { clientBroker: "TLS", inCluster: true, ...transit } },
    });

  it("passes private, TLS-only data services", async () => {
    const v = await pack.violationsOf(P, [
      res(T.rds, "db", { engine: "postgres", instanceClass: "db.t4g.micro", publiclyAccessible: false }),
      res(T.clusterInstance, "ci", { clusterIdentifier: "c", engine: "aurora-postgresql", instanceClass: "db.r6g.large" }),
      res(T.neptune, "ni", { clusterIdentifier: "n", instanceClass: "db.r5.large" }),
      res(T.redshift, "wh", { clusterIdentifier: "wh", nodeType: "ra3.xlplus" }),
      res(T.dms, "dms", { replicationInstanceId: "dms", replicationInstanceClass: "dms.t3.micro", publiclyAccessible: false }),
      domain(T.opensearch),
      domain(T.elasticsearch, { domainEndpointOptions: { tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" } }),
      res(T.domainPolicy, "dp", { domainName: "search", accessPolicies: policyDoc({ Principal: "*", Condition: { StringEquals: { "aws:SourceVpce": "vpce-1" } } }) }),
      rg(),
      rg({ authToken: undefined, userGroupIds: ["app-users"] }),
      res(T.cache, "member", { replicationGroupId: "rg" }),
      res(T.cache, "memcached", { engine: "memcached", nodeType: "cache.t4g.micro", transitEncryptionEnabled: true }),
      res(T.memorydb, "mdb", { aclName: "app", nodeType: "db.t4g.small" }),
      msk({}),
      res(T.dynamoPolicy, "tp", { resourceArn: "arn:aws:dynamodb:eu-west-1:1:table/t", policy: policyDoc({ Principal: { AWS: ROLE } }) }),
      res(T.secret, "s", { name: "s", kmsKeyId: KEY }),
      res(T.secretPolicy, "sp", { secretArn: "arn", policy: policyDoc({ Principal: { AWS: ROLE } }) }),
    ]);
    expect(v).toEqual([]);
  });

  it.each<[string, TestResource, string[]]>([
    ["a public RDS instance", res(T.rds, "r", { engine: "mysql", publiclyAccessible: true }), [`RDS instance is publicly accessible (publiclyAccessible: true); set it to false and ${REACH}.`]],
    ["a public Aurora instance", res(T.clusterInstance, "r", { clusterIdentifier: "c", publiclyAccessible: true }), [`RDS cluster instance is publicly accessible (publiclyAccessible: true); set it to false and ${REACH}.`]],
    ["a public Neptune instance", res(T.neptune, "r", { clusterIdentifier: "n", publiclyAccessible: true }), [`Neptune cluster instance is publicly accessible (publiclyAccessible: true); set it to false and ${REACH}.`]],
    ["a public Redshift cluster", res(T.redshift, "r", { clusterIdentifier: "wh", publiclyAccessible: true }), [`Redshift cluster is publicly accessible (publiclyAccessible: true); set it to false and ${REACH}.`]],
    [
      "a DMS instance without publiclyAccessible",
      res(T.dms, "r", { replicationInstanceId: "d", replicationInstanceClass: "dms.t3.micro" }),
      [`DMS replication instance does not set publiclyAccessible: false, and AWS gives it a public IP when unset; set it to false and ${REACH}.`],
    ],
    ["a public DMS instance", res(T.dms, "r", { replicationInstanceId: "d", publiclyAccessible: true }), [`DMS replication instance is publicly accessible (publiclyAccessible: true); set it to false and ${REACH}.`]],
    ["an OpenSearch domain outside a VPC", domain(T.opensearch, { vpcOptions: undefined }), [`OpenSearch domain has a public endpoint (no vpcOptions.subnetIds); place it in a VPC and ${REACH}.`]],
    [
      "an OpenSearch domain without HTTPS",
      domain(T.opensearch, { domainEndpointOptions: { enforceHttps: false, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" } }),
      ["OpenSearch domain does not enforce HTTPS (domainEndpointOptions.enforceHttps: false)."],
    ],
    [
      "an Elasticsearch domain allowing TLS 1.0",
      domain(T.elasticsearch, { domainEndpointOptions: { tlsSecurityPolicy: "Policy-Min-TLS-1-0-2019-07" } }),
      ['Elasticsearch domain domainEndpointOptions.tlsSecurityPolicy is "Policy-Min-TLS-1-0-2019-07"; use Policy-Min-TLS-1-2-2019-07 or Policy-Min-TLS-1-2-PFS-2023-10.'],
    ],
    [
      "an OpenSearch domain without a TLS policy",
      domain(T.opensearch, { domainEndpointOptions: undefined }),
      ["OpenSearch domain domainEndpointOptions.tlsSecurityPolicy is unset; use Policy-Min-TLS-1-2-2019-07 or Policy-Min-TLS-1-2-PFS-2023-10."],
    ],
    ["an OpenSearch domain without node-to-node TLS", domain(T.opensearch, { nodeToNodeEncryption: { enabled: false } }), ["OpenSearch domain does not encrypt traffic between its nodes (nodeToNodeEncryption.enabled is not true)."]],
    ["an OpenSearch access policy for *", domain(T.opensearch, { accessPolicies: policyDoc({ Sid: "Open", Principal: { AWS: "*" } }) }), [`OpenSearch domain access policy statement Open ${ANY}`]],
    ["a domain policy for *", res(T.domainPolicy, "r", { domainName: "s", accessPolicies: policyDoc({ Principal: "*" }) }), [`OpenSearch domain policy statement [0] ${ANY}`]],
    ["a replication group without transit encryption", rg({ transitEncryptionEnabled: undefined }), ["ElastiCache replication group does not set transitEncryptionEnabled: true, so clients may connect in plaintext."]],
    [
      "a replication group in preferred mode",
      rg({ transitEncryptionMode: "preferred" }),
      ['ElastiCache replication group transitEncryptionMode is "preferred", which still accepts plaintext clients; use "required".'],
    ],
    ["a replication group without authentication", rg({ authToken: undefined }), ["ElastiCache replication group has no authentication (authToken or userGroupIds), so reaching its network is enough to read it."]],
    ["a cache cluster without transit encryption", res(T.cache, "r", { engine: "memcached" }), ["ElastiCache cluster does not set transitEncryptionEnabled: true, so clients may connect in plaintext."]],
    ["a MemoryDB cluster without TLS", res(T.memorydb, "r", { aclName: "open-access", tlsEnabled: false }), ["MemoryDB cluster disables TLS (tlsEnabled: false)."]],
    [
      "an MSK cluster accepting plaintext clients",
      msk({ clientBroker: "TLS_PLAINTEXT" }),
      ['MSK cluster encryptionInfo.encryptionInTransit.clientBroker is "TLS_PLAINTEXT"; use "TLS" so that no client connects in plaintext.'],
    ],
    ["an MSK cluster without TLS between brokers", msk({ inCluster: false }), ["MSK cluster disables TLS between brokers (encryptionInfo.encryptionInTransit.inCluster: false)."]],
    ["an MSK cluster with public brokers", msk({}, "SERVICE_PROVIDED_EIPS"), [`MSK cluster brokers have public IPs (connectivityInfo.publicAccess.type: SERVICE_PROVIDED_EIPS); use "DISABLED" and ${REACH}.`]],
    ["a DynamoDB resource policy for *", res(T.dynamoPolicy, "r", { resourceArn: "t", policy: policyDoc({ Principal: "*" }) }), [`DynamoDB resource policy statement [0] ${ANY}`]],
    ["a secret policy for *", res(T.secret, "r", { kmsKeyId: KEY, policy: policyDoc({ Principal: { AWS: ["*"] } }) }), [`Secrets Manager secret policy statement [0] ${ANY}`]],
    ["a SecretPolicy for *", res(T.secretPolicy, "r", { secretArn: "a", policy: policyDoc({ Principal: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } }) }), [`Secrets Manager secret policy statement [0] ${ANY}`]],
  ])("fails %s", async (_label, r, expected) => {
    expect(messages(await pack.violationsOf(P, [r]))).toEqual(expected);
  });

  it("reports an unknown publiclyAccessible at preview, and takes unknown subnet ids and auth tokens as set", async () => {
    expect((await pack.violationsOf(P, [res(T.rds, "r", { engine: "postgres", publiclyAccessible: UNKNOWN })])).map((x) => x.level)).toEqual(["advisory"]);
    expect(await pack.violationsOf(P, [domain(T.opensearch, { vpcOptions: { subnetIds: UNKNOWN } }), rg({ authToken: UNKNOWN })])).toEqual([]);
  });
});

describe("aws-database-tls-required", () => {
  const P = "aws-database-tls-required";
  const pg = (name: string, parameters: { name: string; value: string }[], type = "aws:rds/parameterGroup:ParameterGroup") => res(type, name, { name, family: "x", parameters });
  const rds = (name: string, inputs: Record<string, unknown>, extra: Partial<TestResource> = {}) => res("aws:rds/instance:Instance", name, { instanceClass: "db.t4g.micro", ...inputs }, extra);

  it("passes databases whose parameter groups (or engine defaults) require TLS", async () => {
    const v = await pack.violationsOf(P, [
      pg("pg-tls", [{ name: "rds.force_ssl", value: "1" }]),
      pg("mysql-tls", [{ name: "require_secure_transport", value: "ON" }]),
      pg("aurora-tls", [{ name: "require_secure_transport", value: "1" }], "aws:rds/clusterParameterGroup:ClusterParameterGroup"),
      pg("rs-tls", [{ name: "require_ssl", value: "true" }], "aws:redshift/parameterGroup:ParameterGroup"),
      rds("pg14", { engine: "postgres", engineVersion: "14.10", parameterGroupName: "pg-tls" }),
      rds("pg16", { engine: "postgres", engineVersion: "16.3" }),
      rds("pg-latest", { engine: "postgres" }),
      rds("mysql", { engine: "mysql", parameterGroupName: "mysql-tls" }),
      rds("oracle", { engine: "oracle-ee" }),
      rds("replica", { replicateSourceDb: "pg14" }),
      res("aws:rds/cluster:Cluster", "aurora", { engine: "aurora-mysql", dbClusterParameterGroupName: "aurora-tls" }),
      res("aws:redshift/cluster:Cluster", "wh", { clusterIdentifier: "wh", clusterParameterGroupName: "rs-tls" }),
      res("aws:docdb/cluster:Cluster", "docs", { clusterIdentifier: "docs" }),
      rds("unknown-name", { engine: "postgres", engineVersion: "13", parameterGroupName: UNKNOWN }, { dependsOn: ["pg-tls"] }),
    ]);
    expect(v).toEqual([]);
  });

  it.each<[string, TestResource[], string]>([
    ["MySQL on the default group", [rds("db", { engine: "mysql" })], 'RDS instance "db" uses the default parameter group, which does not require TLS; use a parameter group with require_secure_transport = 1.'],
    ["PostgreSQL 14 on the default group", [rds("db", { engine: "postgres", engineVersion: "14.10", parameterGroupName: "default.postgres14" })], 'RDS instance "db" uses the default parameter group, which does not require TLS; use a parameter group with rds.force_ssl = 1.'],
    ["SQL Server on the default group", [rds("db", { engine: "sqlserver-se" })], 'RDS instance "db" uses the default parameter group, which does not require TLS; use a parameter group with rds.force_ssl = 1.'],
    [
      "a group that does not set the parameter",
      [pg("plain", [{ name: "log_connections", value: "1" }]), rds("db", { engine: "postgres", engineVersion: "13.4", parameterGroupName: "plain" })],
      'RDS instance "db" uses parameter group "plain", which does not set rds.force_ssl = 1; TLS is not required.',
    ],
    [
      "a group that turns TLS off",
      [pg("off", [{ name: "rds.force_ssl", value: "0" }]), rds("db", { engine: "postgres", engineVersion: "16.1", parameterGroupName: "off" })],
      'RDS instance "db" uses parameter group "off", which sets rds.force_ssl to "0"; set rds.force_ssl = 1.',
    ],
    [
      "a group outside the stack",
      [rds("db", { engine: "mariadb", parameterGroupName: "shared-mariadb" })],
      'RDS instance "db" uses parameter group "shared-mariadb", which is not in this stack, so whether it requires TLS cannot be checked; manage the group in the stack (with require_secure_transport = 1) or list it in externalTlsParameterGroups.',
    ],
    ["an Aurora PostgreSQL cluster on the default group", [res("aws:rds/cluster:Cluster", "c", { engine: "aurora-postgresql" })], 'RDS cluster "c" uses the default parameter group, which does not require TLS; use a parameter group with rds.force_ssl = 1.'],
    ["a Redshift cluster on the default group", [res("aws:redshift/cluster:Cluster", "wh", { clusterIdentifier: "wh" })], 'Redshift cluster "wh" uses the default parameter group, which does not require TLS; use a parameter group with require_ssl = true.'],
    [
      "a DocumentDB group with TLS disabled",
      [pg("docdb", [{ name: "tls", value: "disabled" }], "aws:docdb/clusterParameterGroup:ClusterParameterGroup"), res("aws:docdb/cluster:Cluster", "docs", { dbClusterParameterGroupName: "docdb" })],
      'DocumentDB cluster "docs" uses parameter group "docdb", which sets tls to "disabled"; set tls = enabled.',
    ],
  ])("fails %s", async (_label, resources, expected) => {
    const v = await pack.violationsOf(P, resources);
    expect(messages(v)).toEqual([expected]);
    expect(names(v)).toEqual([expected.split('"')[1]]);
  });

  it("trusts the external groups the config lists", async () => {
    const r = [rds("db", { engine: "mariadb", parameterGroupName: "shared-mariadb" })];
    expect(await pack.violationsOf(P, r, { config: { [P]: { enforcementLevel: "mandatory", externalTlsParameterGroups: ["shared-mariadb"] } } })).toEqual([]);
  });

  it("reports an unknown engine at preview, after judging the other databases", async () => {
    const v = await pack.violationsOf(P, [rds("db", { engine: UNKNOWN }), rds("other", { engine: "mysql" })]);
    expect(v.map((x) => [x.level, names([x])[0]])).toEqual([
      ["mandatory", "other"],
      ["advisory", ""],
    ]);
  });
});

describe("data-encryption-at-rest-cmk on AWS", () => {
  const P = "data-encryption-at-rest-cmk";
  const cmk = (type: string, name: string, inputs: Record<string, unknown>) => res(type, name, inputs);
  const sse = (bucket: string, rule: Record<string, unknown>) =>
    res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `${bucket}-sse`, { bucket, rules: [{ applyServerSideEncryptionByDefault: rule }] });
  const COMPLIANT: TestResource[] = [
    cmk("aws:rds/instance:Instance", "db", { engine: "postgres", storageEncrypted: true, kmsKeyId: KEY }),
    cmk("aws:rds/instance:Instance", "replica", { replicateSourceDb: "db" }),
    cmk("aws:rds/cluster:Cluster", "aurora", { engine: "aurora-postgresql", storageEncrypted: true, kmsKeyId: UNKNOWN }),
    cmk("aws:docdb/cluster:Cluster", "docs", { storageEncrypted: true, kmsKeyId: KEY }),
    cmk("aws:neptune/cluster:Cluster", "graph", { storageEncrypted: true, kmsKeyArn: KEY }),
    cmk("aws:redshift/cluster:Cluster", "wh", { clusterIdentifier: "wh", kmsKeyId: KEY }),
    cmk("aws:dynamodb/table:Table", "t", { serverSideEncryption: { enabled: true, kmsKeyArn: KEY } }),
    cmk("aws:dms/replicationInstance:ReplicationInstance", "dms", { kmsKeyArn: KEY }),
    cmk("aws:opensearch/domain:Domain", "search", { encryptAtRest: { enabled: true, kmsKeyId: KEY } }),
    cmk("aws:elasticache/replicationGroup:ReplicationGroup", "rg", { atRestEncryptionEnabled: true, kmsKeyId: KEY }),
    cmk("aws:elasticache/replicationGroup:ReplicationGroup", "valkey", { engine: "valkey", kmsKeyId: KEY }),
    cmk("aws:elasticache/serverlessCache:ServerlessCache", "sc", { engine: "valkey", kmsKeyId: KEY }),
    cmk("aws:memorydb/cluster:Cluster", "mdb", { kmsKeyArn: KEY }),
    cmk("aws:msk/cluster:Cluster", "msk", { encryptionInfo: { encryptionAtRestKmsKeyArn: KEY } }),
    cmk("aws:kinesis/stream:Stream", "ks", { encryptionType: "KMS", kmsKeyId: KEY }),
    cmk("aws:sqs/queue:Queue", "q", { kmsMasterKeyId: KEY }),
    cmk("aws:backup/vault:Vault", "vault", { kmsKeyArn: KEY }),
    cmk("aws:ssm/parameter:Parameter", "secure", { type: "SecureString", value: secret("v"), keyId: KEY }),
    cmk("aws:ssm/parameter:Parameter", "plain", { type: "String", value: "v" }),
    cmk("aws:secretsmanager/secret:Secret", "sec", { kmsKeyId: KEY }),
    cmk("aws:s3/bucket:Bucket", "data", { bucket: "data" }),
    sse("data", { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY }),
  ];

  it("passes stores encrypted with customer-managed keys (a key that is an output counts)", async () => {
    expect(await pack.violationsOf(P, COMPLIANT)).toEqual([]);
  });

  const why = (label: string, name: string, problem: string) => `${label} "${name}" is not encrypted at rest with a customer-managed key: ${problem}.`;
  it.each<[string, TestResource[], string]>([
    ["an RDS instance without a key", [cmk("aws:rds/instance:Instance", "db", { storageEncrypted: true })], why("RDS instance", "db", "no kmsKeyId (a customer-managed KMS key), so AWS uses its own key")],
    ["an unencrypted RDS instance", [cmk("aws:rds/instance:Instance", "db", { kmsKeyId: KEY })], why("RDS instance", "db", "storageEncrypted is not true")],
    ["an RDS instance on aws/rds", [cmk("aws:rds/instance:Instance", "db", { storageEncrypted: true, kmsKeyId: "alias/aws/rds" })], why("RDS instance", "db", 'kmsKeyId "alias/aws/rds" is an AWS-managed key')],
    ["an Aurora cluster without a key", [cmk("aws:rds/cluster:Cluster", "c", { storageEncrypted: true })], why("RDS cluster", "c", "no kmsKeyId (a customer-managed KMS key), so AWS uses its own key")],
    ["a DynamoDB table on the AWS-owned key", [cmk("aws:dynamodb/table:Table", "t", {})], why("DynamoDB table", "t", "serverSideEncryption.enabled is not true, so DynamoDB uses its own key")],
    [
      "a DynamoDB table on the AWS-managed key",
      [cmk("aws:dynamodb/table:Table", "t", { serverSideEncryption: { enabled: true } })],
      why("DynamoDB table", "t", "no serverSideEncryption.kmsKeyArn (a customer-managed KMS key), so AWS uses its own key"),
    ],
    ["a Redshift cluster without a key", [cmk("aws:redshift/cluster:Cluster", "wh", {})], why("Redshift cluster", "wh", "no kmsKeyId (a customer-managed KMS key), so AWS uses its own key")],
    ["an unencrypted Redshift cluster", [cmk("aws:redshift/cluster:Cluster", "wh", { encrypted: false, kmsKeyId: KEY })], why("Redshift cluster", "wh", "encrypted is not true")],
    ["an unencrypted DocumentDB cluster", [cmk("aws:docdb/cluster:Cluster", "d", { kmsKeyId: KEY })], why("DocumentDB cluster", "d", "storageEncrypted is not true")],
    ["a Neptune cluster without a key", [cmk("aws:neptune/cluster:Cluster", "n", { storageEncrypted: true })], why("Neptune cluster", "n", "no kmsKeyArn (a customer-managed KMS key), so AWS uses its own key")],
    [
      "a serverless cache without a key",
      [cmk("aws:elasticache/serverlessCache:ServerlessCache", "sc", { engine: "valkey" })],
      why("ElastiCache serverless cache", "sc", "no kmsKeyId (a customer-managed KMS key), so AWS uses its own key"),
    ],
    ["a Kinesis stream without KMS", [cmk("aws:kinesis/stream:Stream", "k", {})], why("Kinesis stream", "k", 'encryptionType is not "KMS"')],
    ["a DMS instance without a key", [cmk("aws:dms/replicationInstance:ReplicationInstance", "d", {})], why("DMS replication instance", "d", "no kmsKeyArn (a customer-managed KMS key), so AWS uses its own key")],
    ["an OpenSearch domain unencrypted", [cmk("aws:opensearch/domain:Domain", "s", {})], why("OpenSearch/Elasticsearch domain", "s", "encryptAtRest.enabled is not true")],
    ["a Redis replication group unencrypted", [cmk("aws:elasticache/replicationGroup:ReplicationGroup", "rg", { kmsKeyId: KEY })], why("ElastiCache replication group", "rg", "atRestEncryptionEnabled is not true")],
    ["a MemoryDB cluster without a key", [cmk("aws:memorydb/cluster:Cluster", "m", {})], why("MemoryDB cluster", "m", "no kmsKeyArn (a customer-managed KMS key), so AWS uses its own key")],
    ["an MSK cluster without a key", [cmk("aws:msk/cluster:Cluster", "k", {})], why("MSK cluster", "k", "no encryptionInfo.encryptionAtRestKmsKeyArn (a customer-managed KMS key), so AWS uses its own key")],
    ["a Kinesis stream on aws/kinesis", [cmk("aws:kinesis/stream:Stream", "k", { encryptionType: "KMS", kmsKeyId: "alias/aws/kinesis" })], why("Kinesis stream", "k", 'kmsKeyId "alias/aws/kinesis" is an AWS-managed key')],
    ["an SQS queue with SQS-managed SSE", [cmk("aws:sqs/queue:Queue", "q", { sqsManagedSseEnabled: true })], why("SQS queue", "q", "no kmsMasterKeyId (a customer-managed KMS key), so AWS uses its own key")],
    ["a Backup vault without a key", [cmk("aws:backup/vault:Vault", "v", {})], why("Backup vault", "v", "no kmsKeyArn (a customer-managed KMS key), so AWS uses its own key")],
    ["a SecureString on aws/ssm", [cmk("aws:ssm/parameter:Parameter", "p", { type: "SecureString", keyId: "alias/aws/ssm" })], why("SSM SecureString parameter", "p", 'keyId "alias/aws/ssm" is an AWS-managed key')],
    ["a secret without a key", [cmk("aws:secretsmanager/secret:Secret", "s", {})], why("Secrets Manager secret", "s", "no kmsKeyId (a customer-managed KMS key), so AWS uses its own key")],
    ["a bucket without SSE-KMS", [cmk("aws:s3/bucket:Bucket", "b", { bucket: "b" }), sse("b", { sseAlgorithm: "AES256" })], why("S3 bucket", "b", "no server-side encryption configuration with sseAlgorithm aws:kms, so S3 uses its own key")],
    ["a bucket on aws/s3", [cmk("aws:s3/bucket:Bucket", "b", { bucket: "b" }), sse("b", { sseAlgorithm: "aws:kms" })], why("S3 bucket", "b", "no kmsMasterKeyId (a customer-managed KMS key), so AWS uses its own key")],
  ])("fails %s", async (_label, resources, expected) => {
    expect(messages(await pack.violationsOf(P, resources))).toEqual([expected]);
  });

  it("judges only the configured services", async () => {
    const bare = [cmk("aws:rds/instance:Instance", "db", {}), cmk("aws:backup/vault:Vault", "v", {})];
    const only = await pack.violationsOf(P, bare, { config: { [P]: { enforcementLevel: "mandatory", services: ["aws-backup-vault"] } } });
    expect(names(only)).toEqual(["v"]);
    const excluded = await pack.violationsOf(P, bare, { config: { [P]: { enforcementLevel: "mandatory", excludeServices: ["aws-rds", "aws-backup-vault"] } } });
    expect(excluded).toEqual([]);
  });

  it("reports an unknown encryption flag at preview, after judging the other stores", async () => {
    const v = await pack.violationsOf(P, [cmk("aws:rds/instance:Instance", "db", { storageEncrypted: UNKNOWN, kmsKeyId: KEY }), cmk("aws:backup/vault:Vault", "v", {})]);
    expect(v.map((x) => [x.level, names([x])[0]])).toEqual([
      ["mandatory", "v"],
      ["advisory", ""],
    ]);
  });
});
