/**
 * The subset of the Envoy v3 API that ztmesh generates, as plain typed objects.
 *
 * Field names are the proto field names (snake_case), exactly as Envoy's YAML/JSON
 * bootstrap accepts them; `typed_config` carries its `"@type"` URL. Durations are
 * protobuf JSON strings (`"0.250s"`), wrappers (BoolValue, UInt32Value) plain scalars.
 * {@link validateEnvoyConfig} (schema.ts) checks objects of these types against the
 * real Envoy protos.
 */

/** A protobuf JSON duration, e.g. `"0.250s"`. */
export type Duration = string;

/** `google.protobuf.Any` in JSON form: the type URL plus the message's own fields. */
export interface TypedConfig {
  "@type": string;
  [field: string]: unknown;
}

/** `envoy.config.core.v3.Address` (socket or unix pipe). */
export type Address =
  | { socket_address: { address: string; port_value: number; protocol?: "TCP" | "UDP" } }
  | { pipe: { path: string; mode?: number } };

/** `envoy.type.matcher.v3.StringMatcher`: exactly one of the match members. */
export type StringMatcher = (
  | { exact: string }
  | { prefix: string }
  | { suffix: string }
  | { contains: string }
  | { safe_regex: { regex: string } }
) & { ignore_case?: boolean };

/** `envoy.config.route.v3.HeaderMatcher` (the subset used here). */
export interface HeaderMatcher {
  name: string;
  string_match?: StringMatcher;
  present_match?: boolean;
  invert_match?: boolean;
}

/** `envoy.config.rbac.v3.Permission`: exactly one member. */
export type RbacPermission =
  | { any: true }
  | { and_rules: { rules: RbacPermission[] } }
  | { or_rules: { rules: RbacPermission[] } }
  | { not_rule: RbacPermission }
  | { header: HeaderMatcher }
  | { url_path: { path: StringMatcher; ignore_case?: boolean } }
  | { destination_port: number }
  | { requested_server_name: StringMatcher };

/** `envoy.config.rbac.v3.Principal`: exactly one member. */
export type RbacPrincipal =
  | { any: true }
  | { and_ids: { ids: RbacPrincipal[] } }
  | { or_ids: { ids: RbacPrincipal[] } }
  | { not_id: RbacPrincipal }
  | { authenticated: { principal_name: StringMatcher } }
  | { header: HeaderMatcher };

/** `envoy.config.rbac.v3.Policy`: matches when any permission and any principal match. */
export interface RbacPolicy {
  permissions: RbacPermission[];
  principals: RbacPrincipal[];
}

/** RBAC actions. */
export type RbacAction = "ALLOW" | "DENY" | "LOG";

/** `envoy.config.rbac.v3.RBAC`. Present but empty `policies` with ALLOW denies everything. */
export interface RbacRules {
  action: RbacAction;
  policies: Record<string, RbacPolicy>;
}

/** `envoy.extensions.filters.http.rbac.v3.RBAC`. */
export interface HttpRbac extends TypedConfig {
  rules: RbacRules;
}

/** `envoy.extensions.filters.network.rbac.v3.RBAC`. */
export interface NetworkRbac extends TypedConfig {
  stat_prefix: string;
  rules: RbacRules;
}

/** `envoy.config.core.v3.GrpcService` with the Envoy gRPC client. */
export interface GrpcService {
  envoy_grpc: { cluster_name: string };
  timeout?: Duration;
}

/** `envoy.extensions.filters.http.ext_authz.v3.ExtAuthz` (gRPC variant). */
export interface HttpExtAuthz extends TypedConfig {
  grpc_service: GrpcService;
  transport_api_version: "V3";
  failure_mode_allow: boolean;
  include_peer_certificate: boolean;
  status_on_error?: { code: string };
  /** Node metadata key whose value is sent as the destination's labels (the OPA input's `destination.labels`). */
  bootstrap_metadata_labels_key?: string;
  /** Request headers sent to OPA besides `:authority`, `:method` and `:path` (absent: every header, credentials included). */
  allowed_headers?: { patterns: StringMatcher[] };
}

/** `envoy.extensions.filters.network.ext_authz.v3.ExtAuthz`. */
export interface NetworkExtAuthz extends TypedConfig {
  stat_prefix: string;
  grpc_service: GrpcService;
  transport_api_version: "V3";
  failure_mode_allow: boolean;
  include_peer_certificate: boolean;
  /** Send the TLS session (SNI) with each check (the egress gateway's target and caller domain). */
  include_tls_session?: boolean;
  /** Node metadata key whose value is sent as the destination's labels (the OPA input's `destination.labels`). */
  bootstrap_metadata_labels_key?: string;
}

/** `envoy.extensions.access_loggers.file.v3.FileAccessLog` with a JSON format. */
export interface FileAccessLog extends TypedConfig {
  path: string;
  log_format: { json_format: Record<string, string>; omit_empty_values?: boolean };
}

/** `envoy.config.accesslog.v3.AccessLog`. */
export interface AccessLog {
  name: string;
  typed_config: FileAccessLog;
}

/** `envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig` (SDS from the SPIRE agent). */
export interface SdsSecretConfig {
  name: string;
  sds_config: {
    resource_api_version: "V3";
    api_config_source: {
      api_type: "GRPC";
      transport_api_version: "V3";
      grpc_services: Array<{ envoy_grpc: { cluster_name: string } }>;
    };
  };
}

/** `envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher`. */
export interface SubjectAltNameMatcher {
  san_type: "URI" | "DNS" | "EMAIL" | "IP_ADDRESS";
  matcher: StringMatcher;
}

/** `envoy.extensions.transport_sockets.tls.v3.CommonTlsContext` (SDS-based subset). */
export interface CommonTlsContext {
  tls_params: {
    tls_minimum_protocol_version: "TLSv1_2" | "TLSv1_3";
    tls_maximum_protocol_version?: "TLSv1_2" | "TLSv1_3";
  };
  tls_certificate_sds_secret_configs: SdsSecretConfig[];
  combined_validation_context: {
    default_validation_context: { match_typed_subject_alt_names: SubjectAltNameMatcher[] };
    validation_context_sds_secret_config: SdsSecretConfig;
  };
  alpn_protocols?: string[];
}

/** `envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`. */
export interface DownstreamTlsContext extends TypedConfig {
  common_tls_context: CommonTlsContext;
  require_client_certificate: boolean;
}

/** `envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext` (origination to an external store). */
export interface UpstreamTlsContext extends TypedConfig {
  sni: string;
  common_tls_context: {
    tls_params: { tls_minimum_protocol_version: "TLSv1_2" | "TLSv1_3" };
    validation_context: {
      trusted_ca: { filename: string };
      match_typed_subject_alt_names: SubjectAltNameMatcher[];
    };
  };
}

/**
 * `envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext` of a mesh hop: the caller's
 * own SVID, the peer verified against the SPIRE trust bundle and its exact SPIFFE ID.
 */
export interface MeshUpstreamTlsContext extends TypedConfig {
  sni: string;
  common_tls_context: CommonTlsContext;
}

/** `envoy.config.core.v3.TransportSocket`. */
export interface TransportSocket<T extends TypedConfig = TypedConfig> {
  name: string;
  typed_config: T;
}

/** `envoy.config.listener.v3.Filter` / `...http_connection_manager.v3.HttpFilter`. */
export interface NamedFilter<T extends TypedConfig = TypedConfig> {
  name: string;
  typed_config: T;
}

/** `envoy.config.route.v3.Route` (prefix match to one cluster). */
export interface Route {
  match: { prefix: string };
  route: { cluster: string; timeout?: Duration; host_rewrite_literal?: string };
}

/** `envoy.config.route.v3.VirtualHost`. */
export interface VirtualHost {
  name: string;
  domains: string[];
  routes: Route[];
}

/** `envoy.config.route.v3.RouteConfiguration`. */
export interface RouteConfiguration {
  name: string;
  virtual_hosts: VirtualHost[];
}

/** `envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`. */
export interface HttpConnectionManager extends TypedConfig {
  stat_prefix: string;
  codec_type: "AUTO" | "HTTP1" | "HTTP2";
  use_remote_address: boolean;
  normalize_path: boolean;
  merge_slashes: boolean;
  path_with_escaped_slashes_action: "REJECT_REQUEST" | "UNESCAPE_AND_REDIRECT" | "KEEP_UNCHANGED";
  common_http_protocol_options: { headers_with_underscores_action: "REJECT_REQUEST" | "DROP_HEADER" | "ALLOW" };
  forward_client_cert_details: "SANITIZE_SET" | "SANITIZE";
  set_current_client_cert_details: { uri: boolean };
  access_log: AccessLog[];
  http_filters: NamedFilter[];
  route_config: RouteConfiguration;
}

/** `envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`. */
export interface TcpProxy extends TypedConfig {
  stat_prefix: string;
  cluster: string;
  access_log: AccessLog[];
  idle_timeout?: Duration;
}

/** `envoy.config.listener.v3.FilterChain`. */
export interface FilterChain {
  /** Which connections the chain takes (TLS SNI); absent: every connection. */
  filter_chain_match?: { server_names?: string[] };
  filters: NamedFilter[];
  /** Downstream TLS; absent for plaintext in-pod listeners and TLS passthrough. */
  transport_socket?: TransportSocket<DownstreamTlsContext>;
}

/** `envoy.config.listener.v3.Listener`. */
export interface Listener {
  name: string;
  address: Address;
  /** Listener filters (the TLS inspector, for SNI matching). */
  listener_filters?: NamedFilter[];
  filter_chains: FilterChain[];
  /** Connections no filter chain takes are logged here. */
  access_log?: AccessLog[];
}

/** `envoy.config.endpoint.v3.ClusterLoadAssignment` (one locality, static endpoints). */
export interface ClusterLoadAssignment {
  cluster_name: string;
  endpoints: Array<{ lb_endpoints: Array<{ endpoint: { address: Address } }> }>;
}

/** `envoy.config.cluster.v3.Cluster`. */
export interface Cluster {
  name: string;
  /** Discovery type; absent for extension clusters ({@link cluster_type}). */
  type?: "STATIC" | "STRICT_DNS" | "LOGICAL_DNS";
  /** An extension cluster (the dynamic forward proxy). */
  cluster_type?: { name: string; typed_config: TypedConfig };
  connect_timeout: Duration;
  lb_policy?: "ROUND_ROBIN" | "LEAST_REQUEST" | "CLUSTER_PROVIDED";
  dns_lookup_family?: "V4_ONLY" | "V6_ONLY" | "AUTO" | "V4_PREFERRED" | "ALL";
  /** Endpoints; absent for extension clusters. */
  load_assignment?: ClusterLoadAssignment;
  typed_extension_protocol_options?: Record<string, TypedConfig>;
  transport_socket?: TransportSocket;
}

/** `envoy.config.bootstrap.v3.Admin`. */
export interface Admin {
  address: Address;
}

/** `envoy.config.bootstrap.v3.Bootstrap` (static resources only). */
export interface EnvoyBootstrap {
  /** `metadata.ztmesh` carries the destination labels ext_authz sends to OPA ({@link ZtmeshNodeLabels}). */
  node: { id: string; cluster: string; metadata?: { ztmesh: ZtmeshNodeLabels } };
  admin: Admin;
  static_resources: { listeners: Listener[]; clusters: Cluster[] };
}

/** Labels an enforcement point sends to OPA with every check (`input.attributes.destination.labels`). */
export interface ZtmeshNodeLabels {
  /** The destination's domain: OPA finds its bundle by this key (empty at the egress gateway, which serves every domain). */
  domain: string;
  /** The destination's key (`<domain>/<name>`), or `egress/<zone>`. */
  workload: string;
  /**
   * `egress` at an egress gateway: OPA decides by the caller's grants on the target its SNI
   * names; `policy-engine` at the policy engine's front: OPA admits the mesh's enforcement points.
   */
  kind?: "egress" | "policy-engine";
}

/** Options shared by the gateway and data proxy compilers. */
export interface EnvoyCompileOptions {
  /** Policy engine (OPA ext_authz gRPC) host. @default `<zone>-policy-engine.ztmesh-system.svc.cluster.local` */
  policyEngineAddress?: string;
  /** Policy engine gRPC port. @default 9191 */
  policyEnginePort?: number;
  /** SPIRE agent Workload API socket (SDS). @default "/run/spire/sockets/agent.sock" */
  spireSocketPath?: string;
  /** Admin port, bound to 127.0.0.1 only. @default 9901 */
  adminPort?: number;
  /** Listener port. @default 8443 for gateways, the product's port for data proxies */
  listenerPort?: number;
}
