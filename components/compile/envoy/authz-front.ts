/**
 * The policy engine's front: an Envoy in each OPA pod that takes the ext_authz port (9191) so
 * that decisions never cross the network in clear. It terminates mTLS from the enforcement
 * points (client certificate of the trust domain required; the engine presents its own SVID,
 * which callers pin), asks the OPA beside it once per connection (network ext_authz, fail
 * closed: the Rego admits mesh workloads, see `policy_engine_access`), keeps other trust domains
 * out with RBAC, and forwards the HTTP/2 gRPC stream to OPA on `127.0.0.1:9192`, inside the pod.
 */
import type { MeshModel } from "../../model/model";
import { bootstrap, downstreamMtls, grpcClusterOptions, jsonAccessLog, resolveOptions, spireAgentCluster, TCP_LOG_FORMAT, networkExtAuthzFilter, networkRbacFilter } from "./common";
import { allowPrincipal } from "./rbac";
import {
  FILTER,
  LOCAL_OPA_CLUSTER,
  POLICY_ENGINE_GRPC_PORT,
  POLICY_ENGINE_LOCAL_PORT,
  TYPE_URL,
  policyEngineSpiffeId,
} from "./names";
import type { Cluster, EnvoyBootstrap, EnvoyCompileOptions, Listener, TcpProxy } from "./types";

/**
 * Compiles the bootstrap of zone `zoneId`'s policy engine front.
 * @throws Error when the zone does not exist in the model.
 */
export function compileAuthzFront(model: MeshModel, zoneId: string, opts: EnvoyCompileOptions = {}): EnvoyBootstrap {
  if (!model.zones.some((z) => z.id === zoneId)) {
    throw new Error(`compileAuthzFront: zone "${zoneId}" is not in the mesh (zones: ${model.zones.map((z) => z.id).join(", ")})`);
  }
  const o = resolveOptions(zoneId, opts);
  const own = policyEngineSpiffeId(model.trustDomain, zoneId);
  const name = `${zoneId}-policy-engine-front`;
  // The OPA beside it, directly (not through this front).
  const extAuthz = networkExtAuthzFilter("front", { envoy_grpc: { cluster_name: LOCAL_OPA_CLUSTER }, timeout: "0.250s" });
  const rbac = networkRbacFilter("front", { action: "ALLOW", policies: { "mesh-enforcement-points": { permissions: [{ any: true }], principals: [allowPrincipal({ kind: "any" }, model.trustDomain)] } } });
  const tcp: TcpProxy = { "@type": TYPE_URL.tcpProxy, stat_prefix: "front", cluster: LOCAL_OPA_CLUSTER, access_log: jsonAccessLog(name, TCP_LOG_FORMAT), idle_timeout: "3600s" };
  const listener: Listener = {
    name,
    address: { socket_address: { address: "0.0.0.0", port_value: opts.listenerPort ?? POLICY_ENGINE_GRPC_PORT } },
    filter_chains: [
      {
        filters: [
          extAuthz,
          rbac,
          { name: FILTER.tcpProxy, typed_config: tcp },
        ],
        transport_socket: downstreamMtls(model.trustDomain, own, ["h2"]),
      },
    ],
  };
  const localOpa: Cluster = {
    name: LOCAL_OPA_CLUSTER,
    type: "STATIC",
    connect_timeout: "0.250s",
    load_assignment: {
      cluster_name: LOCAL_OPA_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: POLICY_ENGINE_LOCAL_PORT } } } }] }],
    },
    typed_extension_protocol_options: grpcClusterOptions(),
  };
  return bootstrap(name, o.adminPort, listener, [spireAgentCluster(o.spireSocketPath), localOpa], { domain: "", workload: `policy-engine/${zoneId}`, kind: "policy-engine" });
}
