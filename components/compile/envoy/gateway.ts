/**
 * The zone gateway: one Envoy per zone, east-west and ingress for the zone's services.
 * Downstream mTLS (SPIRE SVIDs over SDS), then ext_authz (OPA, fail closed), RBAC ALLOW
 * compiled from the intents, RBAC DENY compiled from the deny rules, and the router.
 */
import type { MeshModel, Service } from "../../model/model";
import {
  bootstrap,
  downstreamMtls,
  HTTP_LOG_FORMAT,
  jsonAccessLog,
  mtlsListener,
  policyEngineCluster,
  policyEngineGrpc,
  resolveOptions,
  routedPort,
  singleHostCluster,
  spireAgentCluster,
} from "./common";
import { FILTER, GATEWAY_PORT, TYPE_URL, gatewayServiceAccount, gatewaySpiffeId, serviceClusterName } from "./names";
import { compileHttpAllowRules, compileHttpDenyRules } from "./rbac";
import type {
  Cluster,
  EnvoyBootstrap,
  EnvoyCompileOptions,
  HttpConnectionManager,
  HttpExtAuthz,
  HttpRbac,
  NamedFilter,
  VirtualHost,
} from "./types";

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The zone's services the gateway routes to, sorted by key. */
function routedServices(model: MeshModel, zoneId: string): Service[] {
  return [...model.services.values()]
    .filter((s) => s.zone === zoneId && routedPort(s) !== undefined)
    .sort((a, b) => cmp(a.key, b.key));
}

function serviceCluster(svc: Service): Cluster {
  const port = routedPort(svc)!;
  const cluster = singleHostCluster(serviceClusterName(svc.key), svc.host, port.port);
  if (port.protocol !== "grpc") return cluster;
  return {
    ...cluster,
    typed_extension_protocol_options: {
      [FILTER.httpProtocolOptions]: {
        "@type": TYPE_URL.httpProtocolOptions,
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
  };
}

function virtualHost(svc: Service): VirtualHost {
  const ports = [...new Set(svc.ports.map((p) => p.port))].sort((a, b) => a - b);
  return {
    name: svc.key,
    domains: [svc.host, ...ports.map((p) => `${svc.host}:${p}`)],
    routes: [{ match: { prefix: "/" }, route: { cluster: serviceClusterName(svc.key) } }],
  };
}

/** The HTTP filters of the gateway, in enforcement order: ext_authz, RBAC allow, RBAC deny (when any), router. */
export function gatewayHttpFilters(model: MeshModel, zoneId: string): NamedFilter[] {
  const extAuthz: HttpExtAuthz = {
    "@type": TYPE_URL.httpExtAuthz,
    grpc_service: policyEngineGrpc(model.policyEngine.decisionTimeoutMs),
    transport_api_version: "V3",
    failure_mode_allow: false,
    include_peer_certificate: true,
  };
  const allow: HttpRbac = { "@type": TYPE_URL.httpRbac, rules: compileHttpAllowRules(model, zoneId) };
  const denyRules = compileHttpDenyRules(model, zoneId);
  const filters: NamedFilter[] = [
    { name: FILTER.httpExtAuthz, typed_config: extAuthz },
    { name: FILTER.httpRbac, typed_config: allow },
  ];
  if (Object.keys(denyRules.policies).length > 0) {
    filters.push({ name: FILTER.httpRbacDeny, typed_config: { "@type": TYPE_URL.httpRbac, rules: denyRules } });
  }
  filters.push({ name: FILTER.router, typed_config: { "@type": TYPE_URL.router } });
  return filters;
}

/**
 * Compiles the Envoy bootstrap of zone `zoneId`'s gateway.
 * @throws Error when the zone does not exist in the model.
 */
export function compileGateway(model: MeshModel, zoneId: string, opts: EnvoyCompileOptions = {}): EnvoyBootstrap {
  if (!model.zones.some((z) => z.id === zoneId)) {
    throw new Error(`compileGateway: zone "${zoneId}" is not in the mesh (zones: ${model.zones.map((z) => z.id).join(", ")})`);
  }
  const o = resolveOptions(zoneId, opts);
  const name = gatewayServiceAccount(zoneId);
  const services = routedServices(model, zoneId);
  const hcm: HttpConnectionManager = {
    "@type": TYPE_URL.httpConnectionManager,
    stat_prefix: "gateway",
    codec_type: "AUTO",
    use_remote_address: true,
    normalize_path: true,
    merge_slashes: true,
    path_with_escaped_slashes_action: "REJECT_REQUEST",
    common_http_protocol_options: { headers_with_underscores_action: "REJECT_REQUEST" },
    forward_client_cert_details: "SANITIZE_SET",
    set_current_client_cert_details: { uri: true },
    access_log: jsonAccessLog(name, HTTP_LOG_FORMAT),
    http_filters: gatewayHttpFilters(model, zoneId),
    route_config: { name, virtual_hosts: services.map(virtualHost) },
  };
  const listener = mtlsListener(
    name,
    opts.listenerPort ?? GATEWAY_PORT,
    [{ name: FILTER.httpConnectionManager, typed_config: hcm }],
    downstreamMtls(model.trustDomain, gatewaySpiffeId(model.trustDomain, zoneId)),
  );
  const clusters = [spireAgentCluster(o.spireSocketPath), policyEngineCluster(o), ...services.map(serviceCluster)];
  return bootstrap(name, o.adminPort, listener, clusters);
}
