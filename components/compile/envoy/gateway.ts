/**
 * The zone gateway: one Envoy per zone, the zone's door for callers in other zones (east-west)
 * and outside the cluster (north-south). It does not terminate TLS: it reads the SNI of each
 * connection (the destination's in-cluster host, `*.svc.cluster.local`) and passes the
 * connection through to that host on the mesh port, where the destination's own proxy (its
 * workload proxy or data proxy) verifies the caller's SVID, asks the zone's OPA and applies
 * its RBAC. So the caller's mTLS runs end to end, the gateway holds no per-domain
 * configuration (a domain's `pulumi up` makes its paths effective without a platform update),
 * and a connection with another SNI, or none, matches no filter chain and is closed (and
 * logged). Istio's multi-network east-west gateway (`AUTO_PASSTHROUGH`) works the same way.
 */
import type { MeshModel } from "../../model/model";
import { durationMs, jsonAccessLog, resolveOptions, TCP_LOG_FORMAT, bootstrap } from "./common";
import {
  FILTER,
  GATEWAY_PORT,
  MESH_PORT,
  PASSTHROUGH_CLUSTER,
  PASSTHROUGH_DNS_CACHE,
  PASSTHROUGH_SERVER_NAMES,
  TYPE_URL,
  gatewayServiceAccount,
} from "./names";
import type { Cluster, EnvoyBootstrap, EnvoyCompileOptions, Listener, TcpProxy } from "./types";

/** The DNS cache shared by the SNI filter and the forward proxy cluster (they must agree). */
function dnsCache(): Record<string, unknown> {
  return { name: PASSTHROUGH_DNS_CACHE, dns_lookup_family: "V4_ONLY", host_ttl: durationMs(30_000) };
}

/** The passthrough listener: SNI in `*.svc.cluster.local` -> that host on the mesh port. */
export function passthroughListener(name: string, port: number): Listener {
  const tcp: TcpProxy = {
    "@type": TYPE_URL.tcpProxy,
    stat_prefix: "passthrough",
    cluster: PASSTHROUGH_CLUSTER,
    access_log: jsonAccessLog(name, { ...TCP_LOG_FORMAT, requested_server_name: "%REQUESTED_SERVER_NAME%" }),
    idle_timeout: "3600s",
  };
  return {
    name,
    address: { socket_address: { address: "0.0.0.0", port_value: port } },
    listener_filters: [{ name: FILTER.tlsInspector, typed_config: { "@type": TYPE_URL.tlsInspector } }],
    filter_chains: [
      {
        filter_chain_match: { server_names: [...PASSTHROUGH_SERVER_NAMES] },
        filters: [
          {
            name: FILTER.sniDynamicForwardProxy,
            typed_config: { "@type": TYPE_URL.sniDynamicForwardProxy, dns_cache_config: dnsCache(), port_value: MESH_PORT },
          },
          { name: FILTER.tcpProxy, typed_config: tcp },
        ],
      },
    ],
    // Connections no chain takes (another SNI, none) are closed; this logs them.
    access_log: jsonAccessLog(name, { ...TCP_LOG_FORMAT, requested_server_name: "%REQUESTED_SERVER_NAME%" }),
  };
}

/** The dynamic forward proxy cluster the passthrough chain connects through. */
export function passthroughCluster(): Cluster {
  return {
    name: PASSTHROUGH_CLUSTER,
    connect_timeout: "2s",
    lb_policy: "CLUSTER_PROVIDED",
    cluster_type: {
      name: FILTER.dynamicForwardProxyCluster,
      typed_config: { "@type": TYPE_URL.dynamicForwardProxyCluster, dns_cache_config: dnsCache() },
    },
  };
}

/**
 * Compiles the Envoy bootstrap of zone `zoneId`'s gateway. The same for every zone but for
 * its name: nothing in it depends on the domains.
 * @throws Error when the zone does not exist in the model.
 */
export function compileGateway(model: MeshModel, zoneId: string, opts: EnvoyCompileOptions = {}): EnvoyBootstrap {
  if (!model.zones.some((z) => z.id === zoneId)) {
    throw new Error(`compileGateway: zone "${zoneId}" is not in the mesh (zones: ${model.zones.map((z) => z.id).join(", ")})`);
  }
  const o = resolveOptions(zoneId, opts);
  const name = gatewayServiceAccount(zoneId);
  return bootstrap(name, o.adminPort, passthroughListener(name, opts.listenerPort ?? GATEWAY_PORT), [passthroughCluster()]);
}
