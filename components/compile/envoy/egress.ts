/**
 * The zone's egress gateway: the only way out of the mesh to a cloud's token endpoint, the
 * first step of every object-store access (exchange the workload's JWT-SVID for cloud
 * credentials; the store itself is then reached through its data proxy).
 *
 * A workload's proxy listens for each token endpoint its object-store intents need (the pod maps
 * the endpoint's host name to it) and tunnels the application's own TLS connection inside mTLS
 * to this gateway, with the TLS SNI `<domain>.<target>.egress.<trustDomain>`. The gateway takes
 * the connection by that name (one filter chain per target), verifies the caller's SVID, asks
 * the zone's OPA (network ext_authz with the TLS session, so OPA reads the caller's domain and
 * the target from the SNI and looks up `data.ztmesh.domains[<domain>].egress[<caller>][<target>]`
 * by key: a caller naming another domain finds no grant there), then forwards the unopened
 * inner TLS stream to the endpoint on 443. The application's TLS runs end to end with the
 * cloud; nothing but the declared endpoints is reachable, and only by workloads whose intents
 * name a store of that cloud.
 */
import type { MeshModel } from "../../model/model";
import { type EgressTarget, meshEgressTargets } from "../egress-targets";
import {
  bootstrap,
  downstreamMtls,
  jsonAccessLog,
  policyEngineCluster,
  policyEngineGrpc,
  resolveOptions,
  singleHostCluster,
  spireAgentCluster,
  TCP_LOG_FORMAT,
  networkExtAuthzFilter,
  networkRbacFilter,
} from "./common";
import { allowPrincipal } from "./rbac";
import {
  FILTER,
  MESH_PORT,
  TYPE_URL,
  egressGatewayServiceAccount,
  egressGatewaySpiffeId,
} from "./names";
import type { Cluster, EnvoyBootstrap, EnvoyCompileOptions, Listener, TcpProxy } from "./types";

/** Envoy cluster name of an egress target. */
export function egressClusterName(targetId: string): string {
  return `egress_${targetId}`;
}

function targetChain(model: MeshModel, zoneId: string, t: EgressTarget): Listener["filter_chains"][number] {
  const stat = `egress_${t.id.replace(/-/g, "_")}`;
  // OPA decides per caller and target (the SNI names both); RBAC only keeps out identities of other trust domains.
  const extAuthz = networkExtAuthzFilter(stat, policyEngineGrpc(model.policyEngine.decisionTimeoutMs), { includeTlsSession: true });
  const rbac = networkRbacFilter(stat, { action: "ALLOW", policies: { "mesh-workloads": { permissions: [{ any: true }], principals: [allowPrincipal({ kind: "any" }, model.trustDomain)] } } });
  const tcp: TcpProxy = {
    "@type": TYPE_URL.tcpProxy,
    stat_prefix: stat,
    cluster: egressClusterName(t.id),
    access_log: jsonAccessLog(`${zoneId}-egress`, { ...TCP_LOG_FORMAT, requested_server_name: "%REQUESTED_SERVER_NAME%" }),
    idle_timeout: "300s",
  };
  return {
    filter_chain_match: { server_names: [`*.${t.id}.egress.${model.trustDomain}`] },
    filters: [
      extAuthz,
      rbac,
      { name: FILTER.tcpProxy, typed_config: tcp },
    ],
    transport_socket: downstreamMtls(model.trustDomain, egressGatewaySpiffeId(model.trustDomain, zoneId)),
  };
}

/**
 * Compiles the Envoy bootstrap of zone `zoneId`'s egress gateway: one chain per token endpoint
 * of the mesh's clouds. Domain-agnostic (which workload may use which target is OPA data in the
 * domains' bundles), so a domain's new intents need no platform update.
 * @throws Error when the zone does not exist in the model.
 */
export function compileEgressGateway(model: MeshModel, zoneId: string, opts: EnvoyCompileOptions = {}): EnvoyBootstrap {
  if (!model.zones.some((z) => z.id === zoneId)) {
    throw new Error(`compileEgressGateway: zone "${zoneId}" is not in the mesh (zones: ${model.zones.map((z) => z.id).join(", ")})`);
  }
  const o = resolveOptions(zoneId, opts);
  const name = egressGatewayServiceAccount(zoneId);
  const targets = meshEgressTargets(model);
  const listener: Listener = {
    name,
    address: { socket_address: { address: "0.0.0.0", port_value: opts.listenerPort ?? MESH_PORT } },
    listener_filters: [{ name: FILTER.tlsInspector, typed_config: { "@type": TYPE_URL.tlsInspector } }],
    filter_chains: targets.map((t) => targetChain(model, zoneId, t)),
    access_log: jsonAccessLog(name, { ...TCP_LOG_FORMAT, requested_server_name: "%REQUESTED_SERVER_NAME%" }),
  };
  const clusters: Cluster[] = [spireAgentCluster(o.spireSocketPath), policyEngineCluster(o, model.trustDomain, egressGatewaySpiffeId(model.trustDomain, zoneId), zoneId), ...targets.map((t) => singleHostCluster(egressClusterName(t.id), t.host, 443, 5000))];
  return bootstrap(name, o.adminPort, listener, clusters, { domain: "", workload: `egress/${zoneId}`, kind: "egress" });
}
