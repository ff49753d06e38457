/**
 * Typed Vector configuration (aggregator and node agent), the spiffe-helper configuration
 * that keeps a JWT-SVID on disk for the cloud token exchange, and GCP's external-account
 * credential file. Pure data, serialized once with `toJson` (Vector and spiffe-helper read JSON).
 *
 * Vector option names as documented at vector.dev (sources `http_server`, `vector`,
 * `kubernetes_logs`; sinks `aws_s3`, `gcp_cloud_storage`, `azure_blob`, `vector`; sink
 * `buffer` with `type: disk`, `max_size` (bytes, at least 268435488) and `when_full: block`).
 * The `azure_blob` options are those of Vector >= 0.55 (`connection_string` naming only the
 * account, plus `auth.azure_credential_kind: workload_identity`; see {@link AzureBlobSink}).
 * Values that are Pulumi outputs (the bucket) reach Vector through `${ENV}` interpolation, so
 * the config file itself is fully known at preview (Vector < 0.57 interpolates by default).
 */
import { DECISION_LOG_PORT } from "../compile/kubernetes/labels";
import { SPIFFE_HELPER_CONFIG_DIR, SPIFFE_IDENTITY_DIR, SPIFFE_TOKEN_PATH, type SpiffeHelperConfig, spiffeHelperFileConfig } from "../k8s/spiffe-helper";

export type { SpiffeHelperConfig } from "../k8s/spiffe-helper";

/** Cloud object stores the collector writes to. */
export type StoreCloud = "aws" | "gcp" | "azure";

/** Paths in the collector pods. */
export const COLLECTOR_PATHS = {
  config: "/etc/vector",
  data: "/var/lib/vector",
  identity: SPIFFE_IDENTITY_DIR,
  token: SPIFFE_TOKEN_PATH,
  workloadApi: "/spiffe-workload-api",
  helperConfig: SPIFFE_HELPER_CONFIG_DIR,
} as const;

export const COLLECTOR_PORTS = {
  /** OPA decision logs (HTTP POST to `/logs`). */
  decisionLogs: DECISION_LOG_PORT,
  /** Vector-to-Vector (agents to aggregator). */
  vector: 6000,
  /** Vector API (`/health`). */
  api: 8686,
  /** spiffe-helper health. */
  helperHealth: 8081,
} as const;

/** Vector's smallest disk buffer (bytes). */
export const MIN_DISK_BUFFER_BYTES = 268435488;

/** Environment variables the config interpolates. */
export const ENV = { bucket: "ZTMESH_STORE_BUCKET", nodeName: "VECTOR_SELF_NODE_NAME" } as const;

export interface DiskBuffer {
  type: "disk";
  max_size: number;
  when_full: "block";
}
export interface MemoryBuffer {
  type: "memory";
  max_events: number;
  when_full: "block";
}

export interface HttpServerSource {
  type: "http_server";
  address: string;
  path: string;
  method: "POST";
  decoding: { codec: "json" };
}
export interface VectorSource {
  type: "vector";
  address: string;
  version: "2";
}
export interface KubernetesLogsSource {
  type: "kubernetes_logs";
  extra_label_selector: string;
  self_node_name: string;
}

interface SinkCommon {
  inputs: string[];
  compression: "gzip";
  encoding: { codec: "json" };
  framing: { method: "newline_delimited" };
  buffer: DiskBuffer;
  acknowledgements: { enabled: true };
}
export interface AwsS3Sink extends SinkCommon {
  type: "aws_s3";
  bucket: string;
  region: string;
  key_prefix: string;
}
export interface GcsSink extends SinkCommon {
  type: "gcp_cloud_storage";
  bucket: string;
  key_prefix: string;
  credentials_path: string;
}
/** `azure_blob` authentication: the SDK's `WorkloadIdentityCredential` (env `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`). */
export interface AzureWorkloadIdentityAuth {
  azure_credential_kind: "workload_identity";
}
/**
 * Vector >= 0.55 `azure_blob` sink. Vector 0.50 removed `storage_account` (vector#23351: only
 * `connection_string`); 0.55 (vector#24729) added `auth`, used with a connection string that
 * names only the account (`AccountName=<a>`: no `AccountKey`, no `SharedAccessSignature`), so
 * the container URL is `https://<a>.blob.core.windows.net/<container>` and requests carry an
 * Entra token from the `auth` credential. No secret is in the config.
 */
export interface AzureBlobSink extends SinkCommon {
  type: "azure_blob";
  connection_string: string;
  auth: AzureWorkloadIdentityAuth;
  container_name: string;
  blob_prefix: string;
}
export type StoreSink = AwsS3Sink | GcsSink | AzureBlobSink;

export interface VectorForwardSink {
  type: "vector";
  inputs: string[];
  address: string;
  version: "2";
  buffer: MemoryBuffer;
  acknowledgements: { enabled: true };
}

export interface AggregatorConfig {
  data_dir: string;
  api: { enabled: true; address: string };
  sources: { opa_decision_logs: HttpServerSource; envoy_access_logs: VectorSource };
  sinks: { decision_log_store: StoreSink; access_log_store: StoreSink };
}

export interface AgentConfig {
  data_dir: string;
  api: { enabled: true; address: string };
  sources: { envoy_pod_logs: KubernetesLogsSource };
  sinks: { aggregator: VectorForwardSink };
}

/** Where the store is. */
export interface StoreTarget {
  cloud: StoreCloud;
  /** AWS region of the bucket. */
  region?: string;
  /** Azure storage account. */
  account?: string;
}

/** The credential-free Azure connection string: the account name only (the endpoint defaults to `https://<account>.blob.core.windows.net`). */
export function azureAccountConnectionString(account: string): string {
  return `AccountName=${account}`;
}

/** The store sink for one log stream. The bucket comes from `${ZTMESH_STORE_BUCKET}`. */
export function storeSink(store: StoreTarget, input: string, prefix: string, bufferBytes: number): StoreSink {
  const common: SinkCommon = {
    inputs: [input],
    compression: "gzip",
    encoding: { codec: "json" },
    framing: { method: "newline_delimited" },
    // An outage of the store fills the disk buffer; when full, backpressure reaches OPA and
    // the agents (which retry) instead of dropping anything.
    buffer: { type: "disk", max_size: bufferBytes, when_full: "block" },
    acknowledgements: { enabled: true },
  };
  const bucket = `\${${ENV.bucket}}`;
  switch (store.cloud) {
    case "aws":
      return { type: "aws_s3", ...common, bucket, region: store.region ?? "", key_prefix: prefix };
    case "gcp":
      return { type: "gcp_cloud_storage", ...common, bucket, key_prefix: prefix, credentials_path: `${COLLECTOR_PATHS.config}/gcp-credentials.json` };
    case "azure":
      return {
        type: "azure_blob",
        ...common,
        connection_string: azureAccountConnectionString(store.account ?? ""),
        auth: { azure_credential_kind: "workload_identity" },
        container_name: bucket,
        blob_prefix: prefix,
      };
  }
}

/** The aggregator: receives decision logs (HTTP) and access logs (from agents), writes to the store. */
export function aggregatorConfig(i: { zone: string; store: StoreTarget; bufferBytes: number }): AggregatorConfig {
  return {
    data_dir: COLLECTOR_PATHS.data,
    api: { enabled: true, address: `0.0.0.0:${COLLECTOR_PORTS.api}` },
    sources: {
      opa_decision_logs: {
        type: "http_server",
        address: `0.0.0.0:${COLLECTOR_PORTS.decisionLogs}`,
        path: "/logs",
        method: "POST",
        decoding: { codec: "json" },
      },
      envoy_access_logs: { type: "vector", address: `0.0.0.0:${COLLECTOR_PORTS.vector}`, version: "2" },
    },
    sinks: {
      decision_log_store: storeSink(i.store, "opa_decision_logs", `decision-logs/zone=${i.zone}/date=%F/`, i.bufferBytes),
      access_log_store: storeSink(i.store, "envoy_access_logs", `access-logs/zone=${i.zone}/date=%F/`, i.bufferBytes),
    },
  };
}

/** The node agent: tails the Envoy containers' logs and forwards them to the aggregator. */
export function agentConfig(i: { aggregatorAddress: string; labelSelector: string }): AgentConfig {
  return {
    data_dir: COLLECTOR_PATHS.data,
    api: { enabled: true, address: `0.0.0.0:${COLLECTOR_PORTS.api}` },
    sources: {
      envoy_pod_logs: { type: "kubernetes_logs", extra_label_selector: i.labelSelector, self_node_name: `\${${ENV.nodeName}}` },
    },
    sinks: {
      aggregator: {
        type: "vector",
        inputs: ["envoy_pod_logs"],
        address: i.aggregatorAddress,
        version: "2",
        buffer: { type: "memory", max_events: 10000, when_full: "block" },
        // Checkpoints advance only once the aggregator has the events (on its disk buffer).
        acknowledgements: { enabled: true },
      },
    },
  };
}

/** spiffe-helper: keeps a JWT-SVID for `audience` at {@link COLLECTOR_PATHS.token}. */
export function spiffeHelperConfig(audience: string): SpiffeHelperConfig {
  return spiffeHelperFileConfig({ agentAddress: `${COLLECTOR_PATHS.workloadApi}/agent.sock`, audience, healthPort: COLLECTOR_PORTS.helperHealth });
}

/** GCP external-account credentials: exchange the JWT-SVID file for a federated token. */
export interface GcpExternalAccount {
  type: "external_account";
  audience: string;
  subject_token_type: "urn:ietf:params:oauth:token-type:jwt";
  token_url: "https://sts.googleapis.com/v1/token";
  credential_source: { file: string };
  service_account_impersonation_url?: string;
}

export function gcpExternalAccount(audience: string, impersonate?: string): GcpExternalAccount {
  const c: GcpExternalAccount = {
    type: "external_account",
    audience,
    subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    token_url: "https://sts.googleapis.com/v1/token",
    credential_source: { file: COLLECTOR_PATHS.token },
  };
  if (impersonate) c.service_account_impersonation_url = `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${impersonate}:generateAccessToken`;
  return c;
}
