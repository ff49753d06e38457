/**
 * The OPA configuration (`config.yaml`) of a zone's policy engine, as a typed object built by
 * a pure function from plain values. Serialized once, at the edge (`toYaml`).
 *
 * Services: `bundle-store` (the zone's object store, authenticated with the engine's workload
 * identity) and `decision-logs` (the zone's collector; OPA only sends decision logs over HTTP).
 * Bundles: the platform bundle and one per domain, each verified with `signing.keyid` against
 * `keys.<keyid>` (RS256). Plugin: `envoy_ext_authz_grpc` on `:9191`, decision
 * `envoy/authz/allow`, never dry-run.
 */
import { DECISION_PATH } from "../compile/opa/compile";
import { POLICY_ENGINE_LOCAL_PORT } from "../compile/envoy/names";
import { SPIFFE_IDENTITY_DIR, SPIFFE_TOKEN_FILE, SPIFFE_TOKEN_PATH } from "../k8s/spiffe-helper";

/** Bundle store kinds: one per cloud object store, and a plain HTTPS bundle server (on-prem). */
export type BundleStoreKind = "s3" | "gcs" | "azure-blob" | "http";

/** Azure Blob REST API version OPA sends (`x-ms-version`); managed identity tokens need >= 2017-11-09. */
export const AZURE_BLOB_API_VERSION = "2020-04-08";
/** Where the engine's cloud identity token (a JWT-SVID) is written for AWS web identity. */
export const IDENTITY_DIR = SPIFFE_IDENTITY_DIR;
/** The token file name inside {@link IDENTITY_DIR}. */
export const IDENTITY_TOKEN_FILE = SPIFFE_TOKEN_FILE;
/** OAuth scope OPA requests from the GCP metadata server. */
export const GCS_READ_SCOPE = "https://www.googleapis.com/auth/devstorage.read_only";
/** Azure Storage resource (token audience) for managed identity. */
export const AZURE_STORAGE_RESOURCE = "https://storage.azure.com/";
/** The OAuth scope of Azure Storage for the client credentials flow. */
export const AZURE_STORAGE_SCOPE = `${AZURE_STORAGE_RESOURCE}.default`;
/** Entra ID's token endpoint of a tenant (public cloud). */
export const entraTokenUrl = (tenantId: string): string => `https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/token`;

/** OPA service credentials ztmesh uses. */
export interface OpaCredentials {
  s3_signing?: { web_identity_credentials: { aws_region: string; session_name: string } };
  gcp_metadata?: { scopes: string[] };
  azure_managed_identity?: { resource: string; client_id?: string };
  /** Client credentials with a client assertion read from a file (OPA >= 0.66). */
  oauth2?: { grant_type: "client_credentials"; token_url: string; client_id: string; client_assertion_path: string; scopes: string[] };
  bearer?: { token_path: string; scheme: string };
}

/** One entry of OPA's `services`. */
export interface OpaService {
  url: string;
  headers?: Record<string, string>;
  credentials?: OpaCredentials;
  response_header_timeout_seconds?: number;
}

/** One entry of OPA's `bundles`. */
export interface OpaBundleConfig {
  service: string;
  resource: string;
  persist: boolean;
  polling: { min_delay_seconds: number; max_delay_seconds: number };
  signing: { keyid: string };
}

/** OPA's `config.yaml`, the subset ztmesh writes. */
export interface OpaConfig {
  labels: Record<string, string>;
  services: Record<string, OpaService>;
  bundles: Record<string, OpaBundleConfig>;
  keys: Record<string, { algorithm: "RS256"; key: string }>;
  decision_logs: { service: string; resource: string; reporting: { min_delay_seconds: number; max_delay_seconds: number } };
  plugins: { envoy_ext_authz_grpc: { addr: string; path: string; "dry-run": false; "enable-reflection": false } };
}

/** The resolved (plain) bundle store the engine pulls from. */
export type ResolvedBundleStore =
  | { kind: "s3"; bucket: string; region: string }
  | { kind: "gcs"; bucket: string }
  | { kind: "azure-blob"; storageAccount: string; container: string; clientId?: string; tenantId?: string }
  | { kind: "http"; url: string; tokenPath?: string };

/** Everything {@link opaConfig} needs, as plain values. */
export interface OpaConfigInput {
  zone: string;
  store: ResolvedBundleStore;
  /** Object path of each bundle under the store (without container/bucket), by bundle name. */
  bundlePaths: Record<string, string>;
  keyId: string;
  publicKeyPem: string;
  decisionLogsUrl: string;
  decisionLogsPath: string;
  /**
   * Where the ext_authz gRPC server listens: `127.0.0.1:9192` behind the engine's mTLS front
   * (the default), or `:9191` for an engine without one (no SPIRE issuer).
   * @default "127.0.0.1:9192"
   */
  grpcAddr?: string;
}

/** Name of the bundle store service. */
export const BUNDLE_SERVICE = "bundle-store";
/** Name of the decision log service. */
export const DECISION_LOG_SERVICE = "decision-logs";

function storeService(zone: string, store: ResolvedBundleStore): OpaService {
  switch (store.kind) {
    case "s3":
      return {
        url: `https://${store.bucket}.s3.${store.region}.amazonaws.com`,
        credentials: { s3_signing: { web_identity_credentials: { aws_region: store.region, session_name: `${zone}-policy-engine` } } },
      };
    case "gcs":
      return { url: `https://storage.googleapis.com/storage/v1/b/${store.bucket}/o`, credentials: { gcp_metadata: { scopes: [GCS_READ_SCOPE] } } };
    case "azure-blob":
      return {
        url: `https://${store.storageAccount}.blob.core.windows.net/${store.container}`,
        headers: { "x-ms-version": AZURE_BLOB_API_VERSION },
        credentials:
          store.tenantId !== undefined && store.clientId !== undefined
            ? {
                oauth2: {
                  grant_type: "client_credentials",
                  token_url: entraTokenUrl(store.tenantId),
                  client_id: store.clientId,
                  client_assertion_path: SPIFFE_TOKEN_PATH,
                  scopes: [AZURE_STORAGE_SCOPE],
                },
              }
            : { azure_managed_identity: { resource: AZURE_STORAGE_RESOURCE, ...(store.clientId ? { client_id: store.clientId } : {}) } },
      };
    case "http":
      return { url: store.url, ...(store.tokenPath ? { credentials: { bearer: { token_path: store.tokenPath, scheme: "Bearer" } } } : {}) };
  }
}

/** The resource (URL path relative to the service) OPA downloads a bundle from. */
export function bundleResource(store: ResolvedBundleStore, objectPath: string): string {
  // GCS JSON API: the object name is one URL-encoded path segment, content via alt=media.
  return store.kind === "gcs" ? `${encodeURIComponent(objectPath)}?alt=media` : objectPath;
}

/** The OPA config of one zone's policy engine. Pure and deterministic. */
export function opaConfig(input: OpaConfigInput): OpaConfig {
  const bundles: Record<string, OpaBundleConfig> = {};
  for (const name of Object.keys(input.bundlePaths).sort()) {
    bundles[name] = {
      service: BUNDLE_SERVICE,
      resource: bundleResource(input.store, input.bundlePaths[name]),
      persist: false,
      polling: { min_delay_seconds: 10, max_delay_seconds: 30 },
      signing: { keyid: input.keyId },
    };
  }
  return {
    labels: { zone: input.zone, app: "ztmesh-policy-engine" },
    services: {
      [BUNDLE_SERVICE]: storeService(input.zone, input.store),
      [DECISION_LOG_SERVICE]: { url: input.decisionLogsUrl, response_header_timeout_seconds: 10 },
    },
    bundles,
    keys: { [input.keyId]: { algorithm: "RS256", key: input.publicKeyPem } },
    decision_logs: { service: DECISION_LOG_SERVICE, resource: input.decisionLogsPath, reporting: { min_delay_seconds: 5, max_delay_seconds: 10 } },
    plugins: {
      envoy_ext_authz_grpc: { addr: input.grpcAddr ?? `127.0.0.1:${POLICY_ENGINE_LOCAL_PORT}`, path: DECISION_PATH, "dry-run": false, "enable-reflection": false },
    },
  };
}
