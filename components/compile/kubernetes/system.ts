/**
 * NetworkPolicies of the mesh's system namespace (`ztmesh-system`) in one zone: the
 * gateways and the policy engines.
 *
 * - `default-deny` and `allow-dns`, as in every namespace;
 * - `allow-ingress-policy-engine`: ext_authz gRPC (9191) only from the zone's gateways and
 *   the data proxies located in the zone;
 * - `allow-egress-policy-engine`: TCP 443 to any destination (bundle download from the
 *   zone's object storage and the cloud's token exchange; their addresses are not known);
 * - `allow-ingress-gateway`: the listener port only, from every mesh pod and from anywhere
 *   (`0.0.0.0/0` and `::/0`). This is the one documented exception to "never an IP block":
 *   a gateway terminates east-west (other zones) and north-south traffic, authenticated by
 *   mTLS and authorized by ext_authz + RBAC, so its network peers are not known in advance;
 * - `allow-egress-gateway`: the policy engines on 9191, every zone workload that admits the
 *   gateway (on that workload's ports), and remote gateways on the listener port (an IP
 *   block, same exception) when the mesh has more than one zone.
 */
import type { MeshModel } from "../../model/model";
import {
  DECISION_LOG_PORT,
  GATEWAY_APP,
  LOG_COLLECTOR_APP,
  GATEWAY_PORT,
  POLICY_ENGINE_APP,
  POLICY_ENGINE_GRPC_PORT,
  SYSTEM_NAMESPACE,
  appSelector,
} from "./labels";
import { anyMeshPeer, namespaceBaseline, networkPolicy, sortPolicies, tcpPorts, workloadEgressRules, workloadPeers } from "./compile";
import { planZone } from "./plan";
import type { NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer } from "./types";

/** The IP blocks a gateway accepts east-west / ingress traffic from (its documented exception). */
export const GATEWAY_OPEN_BLOCKS: readonly string[] = ["0.0.0.0/0", "::/0"];

/** HTTPS, for policy engines pulling bundles from object storage. */
export const HTTPS_PORT = 443;

/**
 * The NetworkPolicies of `ztmesh-system` in zone `zoneId`, sorted by name. Pure and
 * deterministic.
 */
export function compileSystemNetworkPolicies(model: MeshModel, zoneId: string): NetworkPolicy[] {
  const plan = planZone(model, zoneId);
  const ns = SYSTEM_NAMESPACE;
  const gateways = appSelector(GATEWAY_APP);
  const engines = appSelector(POLICY_ENGINE_APP);
  const proxies = workloadPeers(plan.workloads.filter((w) => w.product).map((w) => w.workload));

  const engineFrom: NetworkPolicyPeer[] = [{ podSelector: gateways }, ...proxies];
  const openBlocks: NetworkPolicyPeer[] = GATEWAY_OPEN_BLOCKS.map((cidr) => ({ ipBlock: { cidr } }));

  const gatewayEgress: NetworkPolicyEgressRule[] = [
    { to: [{ podSelector: engines }], ports: tcpPorts([POLICY_ENGINE_GRPC_PORT]) },
    ...workloadEgressRules(plan.destinations.filter((d) => d.viaGateway)),
  ];
  if (model.zones.length > 1) gatewayEgress.push({ to: openBlocks, ports: tcpPorts([GATEWAY_PORT]) });

  return sortPolicies([
    ...namespaceBaseline(ns, zoneId),
    networkPolicy("allow-ingress-policy-engine", ns, zoneId, {
      podSelector: engines,
      policyTypes: ["Ingress"],
      ingress: [{ from: engineFrom, ports: tcpPorts([POLICY_ENGINE_GRPC_PORT]) }],
    }),
    networkPolicy("allow-egress-policy-engine", ns, zoneId, {
      podSelector: engines,
      policyTypes: ["Egress"],
      // Bundles from object storage (addresses unknown: port-only); decision logs to the collector.
      egress: [
        { ports: tcpPorts([HTTPS_PORT]) },
        { to: [{ podSelector: appSelector(LOG_COLLECTOR_APP) }], ports: tcpPorts([DECISION_LOG_PORT]) },
      ],
    }),
    networkPolicy("allow-ingress-gateway", ns, zoneId, {
      podSelector: gateways,
      policyTypes: ["Ingress"],
      ingress: [{ from: [anyMeshPeer(), ...openBlocks], ports: tcpPorts([GATEWAY_PORT]) }],
    }),
    networkPolicy("allow-egress-gateway", ns, zoneId, {
      podSelector: gateways,
      policyTypes: ["Egress"],
      egress: gatewayEgress,
    }),
  ]);
}
