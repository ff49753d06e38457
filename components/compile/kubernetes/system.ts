/**
 * NetworkPolicies of the mesh's system namespace (`ztmesh-system`) in one zone: the
 * gateways and the policy engines.
 *
 * - `default-deny` and `allow-dns`, as in every namespace;
 * - `allow-ingress-policy-engine`: ext_authz gRPC (9191) only from mesh pods (every workload
 *   proxy and data proxy asks its zone's engines);
 * - `allow-egress-policy-engine`: TCP 443 to the zone's object storage endpoints (`network.objectStorage`; port-only when unnamed: bundle download from the
 *   zone's object storage and the cloud's token exchange; their addresses are not known);
 * - `allow-ingress-gateway`: the listener port only, from anywhere (`0.0.0.0/0` and `::/0`).
 *   This is the one documented exception to "never an IP block": the gateway is the zone's
 *   door for other zones (east-west) and outside callers (north-south), whose addresses are
 *   not known in advance; it only passes TLS through by SNI to the mesh port of in-cluster
 *   hosts, where the destination's proxy authenticates (mTLS) and authorizes (OPA, RBAC);
 * - `allow-egress-gateway`: mesh pods on the mesh port only (where enforcement points listen).
 *   Domain-agnostic, so a domain's new destinations need no platform update;
 * - `allow-ingress-egress-gateway`: the mesh port from mesh pods only;
 * - `allow-egress-egress-gateway`: the policy engines on 9191 and anywhere on 443 (an IP block,
 *   the second documented exception): the cloud token endpoints it forwards to have no fixed
 *   addresses; what it forwards is limited by its filter chains (one per token endpoint, by SNI)
 *   and OPA (per caller and endpoint).
 */
import type { MeshModel } from "../../model/model";
import {
  DECISION_LOG_PORT,
  EGRESS_GATEWAY_APP,
  GATEWAY_APP,
  LOG_COLLECTOR_APP,
  GATEWAY_PORT,
  MESH_PORT,
  POLICY_ENGINE_APP,
  POLICY_ENGINE_GRPC_PORT,
  SYSTEM_NAMESPACE,
  appSelector,
} from "./labels";
import { anyMeshPeer, externalEgress, namespaceBaseline, networkPolicy, sortPolicies, tcpPorts } from "./compile";
import type { NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer } from "./types";

/** The IP blocks a gateway accepts east-west / ingress traffic from (its documented exception). */
export const GATEWAY_OPEN_BLOCKS: readonly string[] = ["0.0.0.0/0", "::/0"];

/** Where the egress gateway may connect (on 443 only): the token endpoints have no fixed addresses. */
export const EGRESS_OPEN_BLOCKS: readonly string[] = ["0.0.0.0/0", "::/0"];

/** HTTPS, for policy engines pulling bundles from object storage. */
export const HTTPS_PORT = 443;

/**
 * The NetworkPolicies of `ztmesh-system` in zone `zoneId`, sorted by name. Pure and
 * deterministic.
 */
export function compileSystemNetworkPolicies(model: MeshModel, zoneId: string): NetworkPolicy[] {
  const network = model.zones.find((z) => z.id === zoneId)?.network;
  const ns = SYSTEM_NAMESPACE;
  const gateways = appSelector(GATEWAY_APP);
  const engines = appSelector(POLICY_ENGINE_APP);

  // Every enforcement point: mesh pods (workload and data proxies) and the egress gateway.
  const engineFrom: NetworkPolicyPeer[] = [anyMeshPeer(), { podSelector: appSelector(EGRESS_GATEWAY_APP) }];
  const openBlocks: NetworkPolicyPeer[] = GATEWAY_OPEN_BLOCKS.map((cidr) => ({ ipBlock: { cidr } }));
  const gatewayEgress: NetworkPolicyEgressRule[] = [{ to: [anyMeshPeer()], ports: tcpPorts([MESH_PORT]) }];

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
      // Bundles from object storage (the zone's private storage endpoints); decision logs to the collector.
      egress: [
        externalEgress(network?.objectStorage, [HTTPS_PORT]),
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
    networkPolicy("allow-ingress-egress-gateway", ns, zoneId, {
      podSelector: appSelector(EGRESS_GATEWAY_APP),
      policyTypes: ["Ingress"],
      ingress: [{ from: [anyMeshPeer()], ports: tcpPorts([MESH_PORT]) }],
    }),
    networkPolicy("allow-egress-egress-gateway", ns, zoneId, {
      podSelector: appSelector(EGRESS_GATEWAY_APP),
      policyTypes: ["Egress"],
      egress: [
        { to: [{ podSelector: engines }], ports: tcpPorts([POLICY_ENGINE_GRPC_PORT]) },
        { to: EGRESS_OPEN_BLOCKS.map((cidr) => ({ ipBlock: { cidr } })), ports: tcpPorts([HTTPS_PORT]) },
      ],
    }),
  ]);
}
