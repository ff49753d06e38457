/** GCP managed data services: private and TLS-only, customer-managed keys at rest. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackSession, UNKNOWN, res, type TestResource } from "../helpers/policy-harness";
import { messages, names } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

const KEY = "projects/p/locations/europe-west1/keyRings/data/cryptoKeys/data";
const T = {
  sql: "gcp:sql/databaseInstance:DatabaseInstance",
  redis: "gcp:redis/instance:Instance",
  dataset: "gcp:bigquery/dataset:Dataset",
  datasetAccess: "gcp:bigquery/datasetAccess:DatasetAccess",
  table: "gcp:bigquery/table:Table",
  topic: "gcp:pubsub/topic:Topic",
  secret: "gcp:secretmanager/secret:Secret",
  spanner: "gcp:spanner/database:Database",
  bucket: "gcp:storage/bucket:Bucket",
};
const NAMED = "serviceAccount:reader@p.iam.gserviceaccount.com";

describe("gcp-data-services-private-tls", () => {
  const P = "gcp-data-services-private-tls";
  const sql = (ip: Record<string, unknown> = {}) =>
    res(T.sql, "db", { databaseVersion: "POSTGRES_16", settings: { tier: "db-custom-2-7680", ipConfiguration: { ipv4Enabled: false, privateNetwork: "net", sslMode: "ENCRYPTED_ONLY", ...ip } } });
  const redis = (over: Record<string, unknown> = {}) => res(T.redis, "cache", { memorySizeGb: 1, transitEncryptionMode: "SERVER_AUTHENTICATION", authEnabled: true, ...over });

  it("passes private, TLS-only data services and grants to named identities", async () => {
    const v = await pack.violationsOf(P, [
      sql(),
      sql({ sslMode: "TRUSTED_CLIENT_CERTIFICATE_REQUIRED" }),
      res(T.sql, "legacy", { settings: [{ ipConfiguration: [{ ipv4Enabled: false, requireSsl: true }] }] }),
      redis(),
      res(T.dataset, "ds", { datasetId: "ds", accesses: [{ role: "READER", iamMember: NAMED }, { role: "OWNER", specialGroup: "projectOwners" }] }),
      res(T.datasetAccess, "acc", { datasetId: "ds", role: "READER", domain: "example.com" }),
      res("gcp:bigquery/datasetIamMember:DatasetIamMember", "m1", { datasetId: "ds", role: "roles/bigquery.dataViewer", member: NAMED }),
      res("gcp:pubsub/topicIAMBinding:TopicIAMBinding", "m2", { topic: "t", role: "roles/pubsub.publisher", members: [NAMED] }),
      res("gcp:secretmanager/secretIamPolicy:SecretIamPolicy", "m3", { secretId: "s", policyData: JSON.stringify({ bindings: [{ role: "roles/secretmanager.secretAccessor", members: [NAMED] }] }) }),
    ]);
    expect(v).toEqual([]);
  });

  it.each<[string, TestResource, string[]]>([
    [
      "a Cloud SQL instance with the default public IP",
      sql({ ipv4Enabled: undefined }),
      ["Cloud SQL instance has a public IP (settings.ipConfiguration.ipv4Enabled is not false, and GCP enables it by default); set it to false and use privateNetwork or Private Service Connect."],
    ],
    [
      "a Cloud SQL instance open to the internet",
      sql({ ipv4Enabled: true, authorizedNetworks: [{ name: "office", value: "203.0.113.0/24" }, { name: "all", value: "0.0.0.0/0" }] }),
      [
        "Cloud SQL instance has a public IP (settings.ipConfiguration.ipv4Enabled is not false, and GCP enables it by default); set it to false and use privateNetwork or Private Service Connect.",
        "Cloud SQL instance authorizes the whole internet (authorizedNetworks 0.0.0.0/0); remove it.",
      ],
    ],
    [
      "a Cloud SQL instance allowing plaintext",
      sql({ sslMode: "ALLOW_UNENCRYPTED_AND_ENCRYPTED" }),
      ['Cloud SQL instance settings.ipConfiguration.sslMode is "ALLOW_UNENCRYPTED_AND_ENCRYPTED"; set ENCRYPTED_ONLY or TRUSTED_CLIENT_CERTIFICATE_REQUIRED.'],
    ],
    [
      "a Cloud SQL instance without sslMode",
      sql({ sslMode: undefined }),
      ["Cloud SQL instance settings.ipConfiguration.sslMode is unset (unencrypted connections allowed); set ENCRYPTED_ONLY or TRUSTED_CLIENT_CERTIFICATE_REQUIRED."],
    ],
    ["a Memorystore instance without TLS", redis({ transitEncryptionMode: undefined }), ['Memorystore Redis instance transitEncryptionMode is unset (DISABLED); set "SERVER_AUTHENTICATION".']],
    ["a Memorystore instance without AUTH", redis({ authEnabled: false }), ["Memorystore Redis instance does not set authEnabled: true, so reaching its network is enough to read it."]],
    [
      "a dataset readable by allAuthenticatedUsers",
      res(T.dataset, "r", { datasetId: "ds", accesses: [{ role: "READER", specialGroup: "allAuthenticatedUsers" }] }),
      ["BigQuery dataset access grants READER to allAuthenticatedUsers; grant it to named identities."],
    ],
    ["a dataset access entry for allUsers", res(T.datasetAccess, "r", { datasetId: "ds", role: "READER", iamMember: "allUsers" }), ["BigQuery dataset access grants READER to allUsers; grant it to named identities."]],
    [
      "dataset IAM for allUsers",
      res("gcp:bigquery/datasetIamBinding:DatasetIamBinding", "r", { datasetId: "ds", role: "roles/bigquery.dataViewer", members: [NAMED, "allUsers"] }),
      ["BigQuery dataset IAM grants roles/bigquery.dataViewer to allUsers; grant it to named identities."],
    ],
    [
      "table IAM for allAuthenticatedUsers",
      res("gcp:bigquery/iamMember:IamMember", "r", { datasetId: "ds", tableId: "t", role: "roles/bigquery.dataViewer", member: "allAuthenticatedUsers" }),
      ["BigQuery table IAM grants roles/bigquery.dataViewer to allAuthenticatedUsers; grant it to named identities."],
    ],
    [
      "topic IAM for allUsers",
      res("gcp:pubsub/topicIAMMember:TopicIAMMember", "r", { topic: "t", role: "roles/pubsub.publisher", member: "allUsers" }),
      ["Pub/Sub topic IAM grants roles/pubsub.publisher to allUsers; grant it to named identities."],
    ],
    [
      "subscription IAM policy for allUsers",
      res("gcp:pubsub/subscriptionIAMPolicy:SubscriptionIAMPolicy", "r", { subscription: "s", policyData: JSON.stringify({ bindings: [{ role: "roles/pubsub.subscriber", members: ["allUsers"] }] }) }),
      ["Pub/Sub subscription IAM grants roles/pubsub.subscriber to allUsers; grant it to named identities."],
    ],
    [
      "secret IAM for allAuthenticatedUsers",
      res("gcp:secretmanager/secretIamMember:SecretIamMember", "r", { secretId: "s", role: "roles/secretmanager.secretAccessor", member: "allAuthenticatedUsers" }),
      ["Secret Manager secret IAM grants roles/secretmanager.secretAccessor to allAuthenticatedUsers; grant it to named identities."],
    ],
  ])("fails %s", async (_label, r, expected) => {
    expect(messages(await pack.violationsOf(P, [r]))).toEqual(expected);
  });

  it("accepts only the configured ssl modes", async () => {
    const config = { [P]: { enforcementLevel: "mandatory" as const, cloudSqlSslModes: ["TRUSTED_CLIENT_CERTIFICATE_REQUIRED"] } };
    expect(messages(await pack.violationsOf(P, [sql()], { config }))).toEqual(['Cloud SQL instance settings.ipConfiguration.sslMode is "ENCRYPTED_ONLY"; set TRUSTED_CLIENT_CERTIFICATE_REQUIRED.']);
  });

  it("reports an unknown ipv4Enabled at preview", async () => {
    expect((await pack.violationsOf(P, [sql({ ipv4Enabled: UNKNOWN })])).map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("data-encryption-at-rest-cmk on GCP", () => {
  const P = "data-encryption-at-rest-cmk";
  const why = (label: string, name: string, problem: string) => `${label} "${name}" is not encrypted at rest with a customer-managed key: ${problem}.`;

  it("passes stores encrypted with Cloud KMS keys", async () => {
    const v = await pack.violationsOf(P, [
      res(T.sql, "db", { encryptionKeyName: KEY }),
      res(T.dataset, "ds", { datasetId: "ds", defaultEncryptionConfiguration: { kmsKeyName: KEY } }),
      res(T.table, "inherits", { datasetId: "ds", tableId: "t1" }),
      res(T.table, "own", { datasetId: "other", tableId: "t2", encryptionConfiguration: { kmsKeyName: KEY } }),
      res(T.redis, "cache", { customerManagedKey: UNKNOWN }),
      res(T.topic, "topic", { kmsKeyName: KEY }),
      res(T.secret, "auto", { secretId: "a", replication: { auto: { customerManagedEncryption: { kmsKeyName: KEY } } } }),
      res(T.secret, "regional", { secretId: "r", replication: { userManaged: { replicas: [{ location: "europe-west1", customerManagedEncryption: { kmsKeyName: KEY } }] } } }),
      res(T.spanner, "sp", { instance: "i", encryptionConfig: { kmsKeyName: KEY } }),
      res(T.bucket, "bucket", { location: "EU", encryption: { defaultKmsKeyName: KEY } }),
    ]);
    expect(v).toEqual([]);
  });

  it.each<[string, TestResource[], string]>([
    ["a Cloud SQL instance without a key", [res(T.sql, "db", {})], why("Cloud SQL instance", "db", "no encryptionKeyName (a Cloud KMS key), so the provider's own key is used")],
    ["a dataset without a default key", [res(T.dataset, "ds", { datasetId: "ds" })], why("BigQuery dataset", "ds", "no defaultEncryptionConfiguration.kmsKeyName (a Cloud KMS key), so the provider's own key is used")],
    [
      "a table in a dataset without a default key",
      [res(T.table, "t", { datasetId: "elsewhere", tableId: "t" })],
      why("BigQuery table", "t", "no encryptionConfiguration.kmsKeyName, and its dataset in this stack has no defaultEncryptionConfiguration.kmsKeyName"),
    ],
    ["a Memorystore instance without a key", [res(T.redis, "c", {})], why("Memorystore Redis instance", "c", "no customerManagedKey (a Cloud KMS key), so the provider's own key is used")],
    ["a topic without a key", [res(T.topic, "t", {})], why("Pub/Sub topic", "t", "no kmsKeyName (a Cloud KMS key), so the provider's own key is used")],
    [
      "a secret replicated automatically without a key",
      [res(T.secret, "s", { secretId: "s", replication: { auto: {} } })],
      why("Secret Manager secret", "s", "no replication.auto.customerManagedEncryption.kmsKeyName (a Cloud KMS key), so the provider's own key is used"),
    ],
    [
      "a secret with a replica without a key",
      [res(T.secret, "s", { secretId: "s", replication: { userManaged: { replicas: [{ location: "europe-west1", customerManagedEncryption: { kmsKeyName: KEY } }, { location: "europe-west4" }] } } })],
      why("Secret Manager secret", "s", "replicas in europe-west4 have no customerManagedEncryption.kmsKeyName"),
    ],
    ["a Spanner database without a key", [res(T.spanner, "sp", { instance: "i" })], why("Spanner database", "sp", "no encryptionConfig.kmsKeyName (a Cloud KMS key), so the provider's own key is used")],
    ["a GCS bucket without a key", [res(T.bucket, "b", { location: "EU" })], why("GCS bucket", "b", "no encryption.defaultKmsKeyName (a Cloud KMS key), so the provider's own key is used")],
  ])("fails %s", async (_label, resources, expected) => {
    expect(messages(await pack.violationsOf(P, resources))).toEqual([expected]);
  });

  it("judges only the configured services", async () => {
    const v = await pack.violationsOf(P, [res(T.bucket, "b", { location: "EU" }), res(T.topic, "t", {})], { config: { [P]: { enforcementLevel: "mandatory", excludeServices: ["gcp-storage"] } } });
    expect(names(v)).toEqual(["t"]);
  });

  it("reports an unknown replication at preview", async () => {
    expect((await pack.violationsOf(P, [res(T.secret, "s", { secretId: "s", replication: UNKNOWN })])).map((x) => x.level)).toEqual(["advisory"]);
  });
});
