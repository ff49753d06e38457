/** Envoy config compiler: workload proxies, gateways and data proxies as typed bootstrap objects, plus an offline schema checker and RBAC evaluator. */
export * from "./types";
export * from "./names";
export { compileGateway, passthroughCluster, passthroughListener } from "./gateway";
export { compileWorkloadProxy, upstreamHostAliases, workloadUpstreams } from "./workload-proxy";
export { compileEgressGateway, egressClusterName } from "./egress";
export type { Upstream } from "./workload-proxy";
export { compileDataProxy, dataProxyFilters, protocolFilter, storeEndpoint, NETWORK_RBAC_DENY_FILTER } from "./data-proxy";
export type { DataProxyOptions, StoreEndpoint } from "./data-proxy";
export {
  allowPrincipal,
  authorityMatcher,
  compileHttpAllowRules,
  compileHttpDenyRules,
  compileOutboundDenyRules,
  compileServiceAllowRules,
  compileServiceDenyRules,
  compileNetworkAllowRules,
  compileNetworkDenyRules,
  sourceToken,
} from "./rbac";
export { rbacAllows, rulesAllow, permissionMatches, principalMatches, stringMatches } from "./rbac-eval";
export type { RbacRequest } from "./rbac-eval";
export { toYaml } from "./yaml";
export { validateEnvoyConfig, envoyProtoRoot, lookupMessage, ENVOY_PROTO_FILES } from "./schema";
export { durationMs, routedPort, HTTP_LOG_FORMAT, TCP_LOG_FORMAT } from "./common";
