/**
 * Building blocks shared by the gateway and data proxy compilers: downstream mTLS with
 * SPIRE over SDS, the SPIRE and policy engine clusters, ext_authz gRPC service, access
 * logs and the bootstrap skeleton. Pure.
 */
import type { Service } from "../../model/model";
import { trustDomainPrefix } from "../../model/spiffe";
import {
  ADMIN_PORT,
  FILTER,
  NODE_LABELS_KEY,
  POLICY_ENGINE_CLUSTER,
  POLICY_ENGINE_GRPC_PORT,
  SPIRE_AGENT_CLUSTER,
  SPIRE_AGENT_SOCKET,
  TYPE_URL,
  policyEngineHost,
  policyEngineSpiffeId,
  trustBundleSdsName,
} from "./names";
import type {
  AccessLog,
  Cluster,
  DownstreamTlsContext,
  EnvoyBootstrap,
  EnvoyCompileOptions,
  GrpcService,
  Listener,
  MeshUpstreamTlsContext,
  NamedFilter,
  NetworkExtAuthz,
  NetworkRbac,
  SdsSecretConfig,
  TransportSocket,
  ZtmeshNodeLabels,
} from "./types";

/**
 * The first HTTP or gRPC port of a service: the one the gateway routes to. TCP-only services
 * are not routable at L7, so the gateway neither routes to them nor grants RBAC for them.
 */
export function routedPort(svc: Service): Service["ports"][number] | undefined {
  return svc.ports.find((p) => p.protocol === "http" || p.protocol === "grpc");
}

/** Options with every default applied. */
export interface ResolvedOptions {
  policyEngineHost: string;
  policyEnginePort: number;
  spireSocketPath: string;
  adminPort: number;
}

/** Applies the defaults of {@link EnvoyCompileOptions} for zone `zoneId`. */
export function resolveOptions(zoneId: string, opts: EnvoyCompileOptions = {}): ResolvedOptions {
  return {
    policyEngineHost: opts.policyEngineAddress ?? policyEngineHost(zoneId),
    policyEnginePort: opts.policyEnginePort ?? POLICY_ENGINE_GRPC_PORT,
    spireSocketPath: opts.spireSocketPath ?? SPIRE_AGENT_SOCKET,
    adminPort: opts.adminPort ?? ADMIN_PORT,
  };
}

/** Milliseconds as a protobuf JSON duration (`250` -> `"0.250s"`). */
export function durationMs(ms: number): string {
  const total = Math.round(ms);
  const whole = Math.floor(total / 1000);
  const frac = total % 1000;
  return frac === 0 ? `${whole}s` : `${whole}.${String(frac).padStart(3, "0")}s`;
}

/** An SDS secret served by the SPIRE agent under `name`. */
export function spireSecret(name: string): SdsSecretConfig {
  return {
    name,
    sds_config: {
      resource_api_version: "V3",
      api_config_source: {
        api_type: "GRPC",
        transport_api_version: "V3",
        grpc_services: [{ envoy_grpc: { cluster_name: SPIRE_AGENT_CLUSTER } }],
      },
    },
  };
}

/**
 * Downstream mTLS: the proxy presents `ownSpiffeId`'s SVID, requires a client certificate
 * chaining to the trust domain's SPIRE bundle, with a URI SAN inside the trust domain.
 */
export function downstreamMtls(
  trustDomain: string,
  ownSpiffeId: string,
  alpnProtocols?: string[],
): TransportSocket<DownstreamTlsContext> {
  const ctx: DownstreamTlsContext = {
    "@type": TYPE_URL.downstreamTls,
    require_client_certificate: true,
    common_tls_context: {
      tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
      tls_certificate_sds_secret_configs: [spireSecret(ownSpiffeId)],
      combined_validation_context: {
        default_validation_context: {
          match_typed_subject_alt_names: [{ san_type: "URI", matcher: { prefix: trustDomainPrefix(trustDomain) } }],
        },
        validation_context_sds_secret_config: spireSecret(trustBundleSdsName(trustDomain)),
      },
      ...(alpnProtocols ? { alpn_protocols: alpnProtocols } : {}),
    },
  };
  return { name: FILTER.tls, typed_config: ctx };
}

/** Explicit HTTP/2 upstream protocol options (gRPC clusters). */
function http2Options(): Cluster["typed_extension_protocol_options"] {
  return {
    [FILTER.httpProtocolOptions]: {
      "@type": TYPE_URL.httpProtocolOptions,
      explicit_http_config: { http2_protocol_options: {} },
    },
  };
}

/** A DNS (or static) cluster to one `host:port`. */
export function singleHostCluster(name: string, host: string, port: number, connectTimeoutMs = 1000): Cluster {
  return {
    name,
    type: "STRICT_DNS",
    connect_timeout: durationMs(connectTimeoutMs),
    lb_policy: "ROUND_ROBIN",
    dns_lookup_family: "V4_PREFERRED",
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }],
    },
  };
}

/** The SPIRE agent cluster: gRPC (HTTP/2) over the agent's unix socket. */
export function spireAgentCluster(socketPath: string): Cluster {
  return {
    name: SPIRE_AGENT_CLUSTER,
    type: "STATIC",
    connect_timeout: "1s",
    load_assignment: {
      cluster_name: SPIRE_AGENT_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: socketPath } } } }] }],
    },
    typed_extension_protocol_options: http2Options(),
  };
}

/**
 * The policy engine (OPA ext_authz gRPC) cluster, HTTP/2, in mTLS: the proxy presents its own
 * SVID (`ownSpiffeId`) and accepts only the zone's policy engine (its Envoy front, see
 * `authz-front.ts`), so decisions never cross the network in clear.
 */
export function policyEngineCluster(o: ResolvedOptions, trustDomain: string, ownSpiffeId: string, zoneId: string): Cluster {
  return {
    ...singleHostCluster(POLICY_ENGINE_CLUSTER, o.policyEngineHost, o.policyEnginePort, 250),
    typed_extension_protocol_options: http2Options(),
    transport_socket: meshUpstreamTls(trustDomain, ownSpiffeId, policyEngineSpiffeId(trustDomain, zoneId), o.policyEngineHost, ["h2"]),
  };
}

/** The ext_authz gRPC service pointing at the policy engine cluster. */
export function policyEngineGrpc(decisionTimeoutMs: number): GrpcService {
  return { envoy_grpc: { cluster_name: POLICY_ENGINE_CLUSTER }, timeout: durationMs(decisionTimeoutMs) };
}

/**
 * A network ext_authz filter asking `grpc` (the zone's OPA, or a local one) once per connection,
 * fail closed, with the peer certificate and the enforcement point's labels (`destination.labels`).
 */
export function networkExtAuthzFilter(statPrefix: string, grpc: GrpcService, opts: { includeTlsSession?: boolean } = {}): NamedFilter {
  const config: NetworkExtAuthz = {
    "@type": TYPE_URL.networkExtAuthz,
    stat_prefix: `${statPrefix}_ext_authz`,
    grpc_service: grpc,
    transport_api_version: "V3",
    failure_mode_allow: false,
    include_peer_certificate: true,
    ...(opts.includeTlsSession ? { include_tls_session: true } : {}),
    bootstrap_metadata_labels_key: NODE_LABELS_KEY,
  };
  return { name: FILTER.networkExtAuthz, typed_config: config };
}

/** A network RBAC filter with `rules` (ALLOW rules present: what no policy names is refused). */
export function networkRbacFilter(statPrefix: string, rules: NetworkRbac["rules"], name: string = FILTER.networkRbac): NamedFilter {
  const config: NetworkRbac = { "@type": TYPE_URL.networkRbac, stat_prefix: `${statPrefix}_rbac`, rules };
  return { name, typed_config: config };
}

/** JSON access log fields of HTTP requests (Envoy command operators). */
export const HTTP_LOG_FORMAT: Readonly<Record<string, string>> = {
  authority: "%REQ(:AUTHORITY)%",
  bytes_received: "%BYTES_RECEIVED%",
  bytes_sent: "%BYTES_SENT%",
  downstream_peer_uri_san: "%DOWNSTREAM_PEER_URI_SAN%",
  downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
  duration_ms: "%DURATION%",
  method: "%REQ(:METHOD)%",
  path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
  protocol: "%PROTOCOL%",
  request_id: "%REQ(X-REQUEST-ID)%",
  response_code: "%RESPONSE_CODE%",
  response_code_details: "%RESPONSE_CODE_DETAILS%",
  response_flags: "%RESPONSE_FLAGS%",
  start_time: "%START_TIME%",
  upstream_cluster: "%UPSTREAM_CLUSTER%",
  upstream_host: "%UPSTREAM_HOST%",
};

/** JSON access log fields of L4 connections. */
export const TCP_LOG_FORMAT: Readonly<Record<string, string>> = {
  bytes_received: "%BYTES_RECEIVED%",
  bytes_sent: "%BYTES_SENT%",
  connection_termination_details: "%CONNECTION_TERMINATION_DETAILS%",
  downstream_peer_uri_san: "%DOWNSTREAM_PEER_URI_SAN%",
  downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
  duration_ms: "%DURATION%",
  response_flags: "%RESPONSE_FLAGS%",
  start_time: "%START_TIME%",
  upstream_cluster: "%UPSTREAM_CLUSTER%",
  upstream_host: "%UPSTREAM_HOST%",
};

/** A JSON access log to stdout, tagged with the proxy's name. */
export function jsonAccessLog(proxy: string, format: Readonly<Record<string, string>>): AccessLog[] {
  return [
    {
      name: FILTER.fileAccessLog,
      typed_config: {
        "@type": TYPE_URL.fileAccessLog,
        path: "/dev/stdout",
        log_format: { json_format: { ...format, proxy } },
      },
    },
  ];
}

/** A single-chain listener on `0.0.0.0:<port>`. */
export function mtlsListener(
  name: string,
  port: number,
  filters: NamedFilter[],
  tls: TransportSocket<DownstreamTlsContext>,
): Listener {
  return {
    name,
    address: { socket_address: { address: "0.0.0.0", port_value: port } },
    filter_chains: [{ filters, transport_socket: tls }],
  };
}

/**
 * The bootstrap skeleton: node (with the labels ext_authz sends to OPA, for enforcement
 * points), admin on loopback, the listeners and clusters (clusters sorted by name).
 */
export function bootstrap(
  nodeId: string,
  adminPort: number,
  listeners: Listener | Listener[],
  clusters: Cluster[],
  labels?: ZtmeshNodeLabels,
): EnvoyBootstrap {
  return {
    node: { id: nodeId, cluster: nodeId, ...(labels ? { metadata: { [NODE_LABELS_KEY]: labels } } : {}) },
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: adminPort } } },
    static_resources: {
      listeners: Array.isArray(listeners) ? listeners : [listeners],
      clusters: [...clusters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    },
  };
}

/**
 * Upstream mTLS of a mesh hop: presents `ownSpiffeId`'s SVID, sends `sni` (the destination's
 * in-cluster host, which a zone gateway passes through by), and accepts only a peer whose
 * certificate chains to the trust domain's SPIRE bundle with exactly `peerSpiffeId` as URI SAN,
 * so no hop in between (a gateway) can stand in for the destination.
 */
export function meshUpstreamTls(trustDomain: string, ownSpiffeId: string, peerSpiffeId: string, sni: string, alpnProtocols?: string[]): TransportSocket<MeshUpstreamTlsContext> {
  return {
    name: FILTER.tls,
    typed_config: {
      "@type": TYPE_URL.upstreamTls,
      sni,
      common_tls_context: {
        tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
        tls_certificate_sds_secret_configs: [spireSecret(ownSpiffeId)],
        combined_validation_context: {
          default_validation_context: { match_typed_subject_alt_names: [{ san_type: "URI", matcher: { exact: peerSpiffeId } }] },
          validation_context_sds_secret_config: spireSecret(trustBundleSdsName(trustDomain)),
        },
        ...(alpnProtocols ? { alpn_protocols: alpnProtocols } : {}),
      },
    },
  };
}

/** Explicit HTTP/2 upstream protocol options, for gRPC clusters. */
export function grpcClusterOptions(): Cluster["typed_extension_protocol_options"] {
  return http2Options();
}
