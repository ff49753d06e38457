/**
 * Typed runtime configuration of SPIRE (server, agent), the OIDC discovery provider and
 * spire-controller-manager. Pure data, serialized once with `toJson`.
 *
 * SPIRE reads its config with hashicorp/hcl v1, which parses JSON when the file starts with
 * `{`. HCL's JSON decoder flattens nested single-key objects, so plugins must be written as
 * `{ "<Type>": [ { "<name>": { "plugin_data": {...} } } ] }` (a map of lists) to keep exactly
 * two keys (type then name) per plugin (spiffe/spire#3938; the same shape the
 * spiffe/helm-charts-hardened chart renders).
 */

/** Paths shared by the containers of the server pod. */
export const SERVER_PATHS = {
  config: "/run/spire/config",
  data: "/run/spire/data",
  socketDir: "/tmp/spire-server/private",
  socket: "/tmp/spire-server/private/api.sock",
  upstreamCa: "/run/spire/upstream-ca",
} as const;

/** Paths of the agent pod. */
export const AGENT_PATHS = {
  config: "/run/spire/config",
  data: "/run/spire/data",
  bundle: "/run/spire/bundle",
  token: "/var/run/secrets/tokens",
  /** Host directory holding the Workload API (and SDS) socket. */
  socketDir: "/run/spire/sockets",
  socket: "/run/spire/sockets/agent.sock",
} as const;

/** Ports. */
export const PORTS = {
  serverGrpc: 8081,
  serverHealth: 8080,
  bundleEndpoint: 8443,
  controllerManagerMetrics: 8082,
  controllerManagerHealth: 8083,
  oidcHttp: 8090,
  oidcHealth: 8008,
  agentHealth: 9980,
} as const;

/** Audience of the projected token the agent presents to the server (k8s_psat). */
export const PSAT_AUDIENCE = "spire-server";
/** Name of the ConfigMap the server's k8sbundle notifier keeps the trust bundle in. */
export const BUNDLE_CONFIGMAP = "spire-bundle";

/** One plugin: its settings and `plugin_data`. */
export interface PluginConfig<D> {
  plugin_data: D;
  enabled?: boolean;
}
/** `{ <Type>: [ { <name>: {...} } ] }`, the JSON shape SPIRE's HCL decoder needs. */
export type PluginSection = Record<string, Array<Record<string, PluginConfig<object>>>>;

export interface HealthChecks {
  listener_enabled: boolean;
  bind_address: string;
  bind_port: string;
  live_path: string;
  ready_path: string;
}

export interface SpireServerConfig {
  server: {
    bind_address: string;
    bind_port: string;
    socket_path: string;
    trust_domain: string;
    data_dir: string;
    log_level: string;
    log_format: "json" | "text";
    jwt_issuer: string;
    ca_ttl: string;
    ca_key_type: string;
    jwt_key_type: string;
    default_x509_svid_ttl: string;
    default_jwt_svid_ttl: string;
    ca_subject: Array<{ country: string[]; organization: string[]; common_name: string }>;
    federation: { bundle_endpoint: Array<{ address: string; port: number }> };
  };
  plugins: PluginSection;
  health_checks: HealthChecks;
}

export interface SpireAgentConfig {
  agent: {
    data_dir: string;
    log_level: string;
    log_format: "json" | "text";
    server_address: string;
    server_port: string;
    socket_path: string;
    trust_bundle_path: string;
    trust_domain: string;
    sds: { default_svid_name: string; default_bundle_name: string; default_all_bundles_name: string };
  };
  plugins: PluginSection;
  health_checks: HealthChecks;
}

export interface OidcProviderConfig {
  domains: string[];
  log_level: string;
  log_format: "json" | "text";
  insecure_addr: string;
  allow_insecure_scheme: boolean;
  server_api: { address: string; poll_interval: string };
  health_checks: { bind_port: string; live_path: string; ready_path: string };
}

export interface ControllerManagerConfig {
  apiVersion: "spire.spiffe.io/v1alpha1";
  kind: "ControllerManagerConfig";
  metrics: { bindAddress: string };
  health: { healthProbeBindAddress: string };
  leaderElection: { leaderElect: boolean; resourceName: string; resourceNamespace: string };
  logLevel: string;
  clusterName: string;
  trustDomain: string;
  spireServerSocketPath: string;
  ignoreNamespaces: string[];
  className: string;
  watchClassless: boolean;
  reconcile: { clusterSPIFFEIDs: boolean; clusterStaticEntries: boolean; clusterFederatedTrustDomains: boolean };
}

/** Where the SPIRE datastore lives. */
export type Datastore =
  | { kind: "sqlite" }
  /** External database; the connection string comes from an env var expanded by `-expandEnv`. */
  | { kind: "external"; databaseType: "postgres" | "mysql"; connectionStringEnv: string };

export interface ServerConfigInput {
  trustDomain: string;
  issuerUrl: string;
  clusterName: string;
  agentNamespace: string;
  agentServiceAccount: string;
  caTtl: string;
  x509SvidTtl: string;
  jwtSvidTtl: string;
  datastore: Datastore;
  upstreamBundle: boolean;
}

const health = (port: number): HealthChecks => ({
  listener_enabled: true,
  bind_address: "0.0.0.0",
  bind_port: String(port),
  live_path: "/live",
  ready_path: "/ready",
});

const plugin = <D extends object>(name: string, data: D): Array<Record<string, PluginConfig<object>>> => [{ [name]: { plugin_data: data } }];

/** The SPIRE server config of one zone. */
export function spireServerConfig(i: ServerConfigInput): SpireServerConfig {
  const datastore =
    i.datastore.kind === "sqlite"
      ? { database_type: "sqlite3", connection_string: `${SERVER_PATHS.data}/datastore.sqlite3` }
      : { database_type: i.datastore.databaseType, connection_string: `\${${i.datastore.connectionStringEnv}}` };
  const upstream: Record<string, string> = {
    cert_file_path: `${SERVER_PATHS.upstreamCa}/tls.crt`,
    key_file_path: `${SERVER_PATHS.upstreamCa}/tls.key`,
  };
  if (i.upstreamBundle) upstream.bundle_file_path = `${SERVER_PATHS.upstreamCa}/bundle.crt`;
  return {
    server: {
      bind_address: "0.0.0.0",
      bind_port: String(PORTS.serverGrpc),
      socket_path: SERVER_PATHS.socket,
      trust_domain: i.trustDomain,
      data_dir: SERVER_PATHS.data,
      log_level: "INFO",
      log_format: "json",
      jwt_issuer: i.issuerUrl,
      ca_ttl: i.caTtl,
      ca_key_type: "ec-p256",
      // RS256 JWT-SVIDs: the signature every cloud's token exchange accepts.
      jwt_key_type: "rsa-2048",
      default_x509_svid_ttl: i.x509SvidTtl,
      default_jwt_svid_ttl: i.jwtSvidTtl,
      ca_subject: [{ country: ["ZZ"], organization: ["ztmesh"], common_name: `${i.clusterName}.${i.trustDomain}` }],
      federation: { bundle_endpoint: [{ address: "0.0.0.0", port: PORTS.bundleEndpoint }] },
    },
    plugins: {
      DataStore: plugin("sql", datastore),
      KeyManager: plugin("disk", { keys_path: `${SERVER_PATHS.data}/keys.json` }),
      NodeAttestor: plugin("k8s_psat", {
        clusters: { [i.clusterName]: { service_account_allow_list: [`${i.agentNamespace}:${i.agentServiceAccount}`], audience: [PSAT_AUDIENCE] } },
      }),
      UpstreamAuthority: plugin("disk", upstream),
      Notifier: plugin("k8sbundle", { namespace: i.agentNamespace, config_map: BUNDLE_CONFIGMAP }),
    },
    health_checks: health(PORTS.serverHealth),
  };
}

/** The SPIRE agent config of one zone. */
export function spireAgentConfig(i: { trustDomain: string; clusterName: string; serverAddress: string }): SpireAgentConfig {
  return {
    agent: {
      data_dir: AGENT_PATHS.data,
      log_level: "INFO",
      log_format: "json",
      server_address: i.serverAddress,
      server_port: String(PORTS.serverGrpc),
      socket_path: AGENT_PATHS.socket,
      trust_bundle_path: `${AGENT_PATHS.bundle}/bundle.crt`,
      trust_domain: i.trustDomain,
      // Envoy fetches its certificate and the trust bundle over SDS on the same socket.
      sds: { default_svid_name: "default", default_bundle_name: "ROOTCA", default_all_bundles_name: "ALL" },
    },
    plugins: {
      NodeAttestor: plugin("k8s_psat", { cluster: i.clusterName, token_path: `${AGENT_PATHS.token}/${PSAT_AUDIENCE}` }),
      KeyManager: plugin("memory", {}),
      WorkloadAttestor: plugin("k8s", { node_name_env: "MY_NODE_NAME", disable_container_selectors: false }),
    },
    health_checks: health(PORTS.agentHealth),
  };
}

/** The OIDC discovery provider config: serves the issuer's discovery document and JWKS. */
export function oidcProviderConfig(issuerUrl: string): OidcProviderConfig {
  return {
    domains: [new URL(issuerUrl).hostname],
    log_level: "INFO",
    log_format: "json",
    // TLS terminates at the ingress / load balancer that serves the public issuer URL.
    insecure_addr: `:${PORTS.oidcHttp}`,
    allow_insecure_scheme: false,
    server_api: { address: `unix://${SERVER_PATHS.socket}`, poll_interval: "10s" },
    health_checks: { bind_port: String(PORTS.oidcHealth), live_path: "/live", ready_path: "/ready" },
  };
}

/** spire-controller-manager config: reconciles ClusterSPIFFEIDs into registration entries. */
export function controllerManagerConfig(i: { trustDomain: string; clusterName: string; namespace: string; className: string }): ControllerManagerConfig {
  return {
    apiVersion: "spire.spiffe.io/v1alpha1",
    kind: "ControllerManagerConfig",
    metrics: { bindAddress: `0.0.0.0:${PORTS.controllerManagerMetrics}` },
    health: { healthProbeBindAddress: `0.0.0.0:${PORTS.controllerManagerHealth}` },
    leaderElection: { leaderElect: true, resourceName: `${i.className}.spiffe.io`, resourceNamespace: i.namespace },
    logLevel: "info",
    clusterName: i.clusterName,
    trustDomain: i.trustDomain,
    spireServerSocketPath: SERVER_PATHS.socket,
    ignoreNamespaces: ["kube-system", "kube-public", "kube-node-lease"],
    className: i.className,
    watchClassless: false,
    reconcile: { clusterSPIFFEIDs: true, clusterStaticEntries: false, clusterFederatedTrustDomains: false },
  };
}
