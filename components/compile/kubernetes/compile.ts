/**
 * Compiles the intents of one zone into Kubernetes NetworkPolicies for the mesh workloads
 * (services and data proxies) located there.
 *
 * They are the second layer: every connection they admit still ends at an enforcement point
 * (the destination's workload proxy or data proxy, on the mesh port) that verifies the
 * caller's SVID and asks OPA. Pods are only ever admitted on the mesh port, so no caller
 * reaches an application's own port.
 *
 * Shape (deny by default, one allow policy per workload and direction, never one per intent):
 * - per namespace used in the zone: `default-deny` (every pod, Ingress + Egress, no rules)
 *   and `allow-dns` (egress to kube-system's kube-dns on UDP/TCP 53);
 * - per destination with at least one permitted source: `allow-ingress-<domain>-<name>` on the
 *   mesh port, admitting each same-zone source, plus the zone gateway when a source is in
 *   another zone or is `*`; a `*` source admits every mesh pod, never an IP block;
 * - per service: `allow-egress-<domain>-<name>` to the zone's policy engines (its proxy's
 *   ext_authz), to each same-zone destination on the mesh port, and to the gateway of each
 *   zone holding one of its destinations (that zone's `gateway.cidrs` on the gateway port;
 *   port-only when the zone declares none), and to the zone's egress gateway when its
 *   object-store intents need a cloud token endpoint;
 * - workloads of one namespace are one peer (`ztmesh.io/workload In [...]`, see
 *   {@link workloadPeers}), so a policy grows by a name per workload, not by a peer;
 * - per data proxy: `allow-egress-<domain>-<name>` to its store on the store port and to the
 *   zone's policy engines (ext_authz). The model has no store CIDR, so unless
 *   {@link NetworkPolicyOptions.storeCidrs} names one, the store rule is port-only (any
 *   destination on that port); the cloud firewall narrows it further.
 */
import { zoneGateway, type MeshModel, type Service, type Workload } from "../../model/model";
import { workloadEgressTargets } from "../egress-targets";
import {
  DNS_PORT,
  EGRESS_GATEWAY_APP,
  GATEWAY_APP,
  GATEWAY_PORT,
  MESH_PORT,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  POLICY_ENGINE_APP,
  POLICY_ENGINE_GRPC_PORT,
  SYSTEM_NAMESPACE,
  appSelector,
  meshPodSelector,
  namespaceSelector,
  workloadSelector,
  workloadsSelector,
} from "./labels";
import { type PlannedDestination, type PlannedSource, type ZoneWorkload, planZone } from "./plan";
import type {
  NetworkPolicy,
  NetworkPolicyEgressRule,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicySpec,
} from "./types";

/** Label on every generated policy naming the zone it was compiled for. */
export const ZONE_LABEL = "ztmesh.io/zone";

/** Optional inputs the model does not carry (yet). */
export interface NetworkPolicyOptions {
  /**
   * CIDR of a data product's store, keyed by product key (`<domain>/<name>`). When set, the
   * proxy's store egress is limited to it.
   * @default {} (port-only store egress)
   */
  storeCidrs?: Readonly<Record<string, string>>;
}

/** Name of the ingress allow policy of a workload. */
export function ingressPolicyName(w: Pick<Workload, "domain" | "name">): string {
  return `allow-ingress-${w.domain}-${w.name}`;
}

/** Name of the egress allow policy of a workload. */
export function egressPolicyName(w: Pick<Workload, "domain" | "name">): string {
  return `allow-egress-${w.domain}-${w.name}`;
}

/** Builds a NetworkPolicy object with the standard ztmesh labels. */
export function networkPolicy(name: string, namespace: string, zoneId: string, spec: NetworkPolicySpec): NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [ZONE_LABEL]: zoneId } },
    spec,
  };
}

/** TCP ports, ascending. */
export function tcpPorts(ports: readonly number[]): NetworkPolicyPort[] {
  return [...new Set(ports)].sort((a, b) => a - b).map((port) => ({ protocol: "TCP", port }));
}

/** The peer selecting one workload's pods. */
export function workloadPeer(w: Workload): NetworkPolicyPeer {
  return { namespaceSelector: namespaceSelector(w.namespace), podSelector: workloadSelector(w) };
}

/**
 * The peers selecting `workloads`' pods: one per namespace (in order of first appearance),
 * naming its workloads with an `In` requirement on the workload label; a namespace with one
 * workload gets {@link workloadPeer}'s plain form. Selects exactly the same pods as one
 * {@link workloadPeer} per workload, in far fewer objects.
 */
export function workloadPeers(workloads: readonly Workload[]): NetworkPolicyPeer[] {
  const groups = new Map<string, { namespace: string; domain: string; names: string[] }>();
  for (const w of workloads) {
    const key = `${w.namespace}\u0000${w.domain}`;
    const g = groups.get(key) ?? { namespace: w.namespace, domain: w.domain, names: [] };
    g.names.push(w.name);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ namespaceSelector: namespaceSelector(g.namespace), podSelector: workloadsSelector(g.domain, g.names) }));
}

/**
 * Egress rules to `destinations`: one per set of ports (in order of first appearance), its
 * peers grouped by {@link workloadPeers}.
 */
export function workloadEgressRules(destinations: readonly ZoneWorkload[]): NetworkPolicyEgressRule[] {
  const byPorts = new Map<string, { ports: NetworkPolicyPort[]; workloads: Workload[] }>();
  for (const d of destinations) {
    const ports = tcpPorts(d.ports);
    const key = ports.map((p) => p.port).join(",");
    const g = byPorts.get(key) ?? { ports, workloads: [] };
    g.workloads.push(d.workload);
    byPorts.set(key, g);
  }
  return [...byPorts.values()].map((g) => ({ to: workloadPeers(g.workloads), ports: g.ports }));
}

/** The peer selecting the zone's gateway pods. */
export function gatewayPeer(): NetworkPolicyPeer {
  return { namespaceSelector: namespaceSelector(SYSTEM_NAMESPACE), podSelector: appSelector(GATEWAY_APP) };
}

/** The peer selecting the zone's policy engine pods. */
export function policyEnginePeer(): NetworkPolicyPeer {
  return { namespaceSelector: namespaceSelector(SYSTEM_NAMESPACE), podSelector: appSelector(POLICY_ENGINE_APP) };
}

/** The peer selecting every mesh workload pod in every namespace. */
export function anyMeshPeer(): NetworkPolicyPeer {
  return { namespaceSelector: {}, podSelector: meshPodSelector() };
}

/** `default-deny` and `allow-dns` for one namespace. */
export function namespaceBaseline(namespace: string, zoneId: string): NetworkPolicy[] {
  return [
    networkPolicy("default-deny", namespace, zoneId, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    networkPolicy("allow-dns", namespace, zoneId, {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ namespaceSelector: namespaceSelector("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [
            { protocol: "UDP", port: DNS_PORT },
            { protocol: "TCP", port: DNS_PORT },
          ],
        },
      ],
    }),
  ];
}

function ingressPolicy(d: PlannedDestination, zoneId: string): NetworkPolicy {
  const from: NetworkPolicyPeer[] = workloadPeers(d.sameZoneSources);
  if (d.viaGateway) from.push(gatewayPeer());
  if (d.anySource) from.push(anyMeshPeer());
  return networkPolicy(ingressPolicyName(d.workload), d.workload.namespace, zoneId, {
    podSelector: workloadSelector(d.workload),
    policyTypes: ["Ingress"],
    ingress: [{ from, ports: tcpPorts([MESH_PORT]) }],
  });
}

/** Egress to the gateways of `zones` (their CIDRs on the gateway port; port-only for a zone that declares none). */
function remoteGatewayRules(model: MeshModel, zones: readonly string[]): NetworkPolicyEgressRule[] {
  const cidrs = new Set<string>();
  let unknown = false;
  for (const id of zones) {
    const zone = model.zones.find((z) => z.id === id);
    const declared = zone ? zoneGateway(zone, model.trustDomain).cidrs : [];
    if (declared.length === 0) unknown = true;
    for (const c of declared) cidrs.add(c);
  }
  if (unknown) return [{ ports: tcpPorts([GATEWAY_PORT]) }];
  return cidrs.size === 0 ? [] : [{ to: [...cidrs].sort().map((cidr) => ({ ipBlock: { cidr } })), ports: tcpPorts([GATEWAY_PORT]) }];
}

function egressPolicy(model: MeshModel, svc: Service, s: PlannedSource | undefined, zoneId: string): NetworkPolicy {
  const egress: NetworkPolicyEgressRule[] = [{ to: [policyEnginePeer()], ports: tcpPorts([POLICY_ENGINE_GRPC_PORT]) }];
  if (s) {
    egress.push(...workloadEgressRules(s.sameZoneDestinations.map((d) => ({ ...d, ports: [MESH_PORT] }))));
    egress.push(...remoteGatewayRules(model, s.remoteZones));
  }
  // Cloud token endpoints, for object-store intents: only through the zone's egress gateway.
  if (workloadEgressTargets(model, svc.key).length > 0) {
    egress.push({ to: [{ namespaceSelector: namespaceSelector(SYSTEM_NAMESPACE), podSelector: appSelector(EGRESS_GATEWAY_APP) }], ports: tcpPorts([MESH_PORT]) });
  }
  return networkPolicy(egressPolicyName(svc), svc.namespace, zoneId, {
    podSelector: workloadSelector(svc),
    policyTypes: ["Egress"],
    egress,
  });
}

function proxyEgressPolicy(p: ZoneWorkload, zoneId: string, options: NetworkPolicyOptions): NetworkPolicy {
  const product = p.product!;
  const cidr = options.storeCidrs?.[product.key];
  const store: NetworkPolicyEgressRule = { ports: tcpPorts([product.port]) };
  if (cidr !== undefined) store.to = [{ ipBlock: { cidr } }];
  return networkPolicy(egressPolicyName(p.workload), p.workload.namespace, zoneId, {
    podSelector: workloadSelector(p.workload),
    policyTypes: ["Egress"],
    egress: [store, { to: [policyEnginePeer()], ports: tcpPorts([POLICY_ENGINE_GRPC_PORT]) }],
  });
}

/**
 * Egress to addresses outside the cluster's pods (the API server, nodes, object storage) on
 * `ports`: to the named CIDRs, or port-only (any address) when none are named, which the pack's
 * internet-egress policy refuses (see `ZoneNetworkSettings`).
 */
export function externalEgress(cidrs: readonly string[] | undefined, ports: readonly number[]): NetworkPolicyEgressRule {
  const rule: NetworkPolicyEgressRule = { ports: tcpPorts(ports) };
  if (cidrs && cidrs.length > 0) rule.to = [...new Set(cidrs)].sort().map((cidr) => ({ ipBlock: { cidr } }));
  return rule;
}

/** Sorts policies by namespace, then name. */
export function sortPolicies(policies: NetworkPolicy[]): NetworkPolicy[] {
  const k = (p: NetworkPolicy): string => `${p.metadata.namespace}\u0000${p.metadata.name}`;
  return policies.sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

/**
 * The NetworkPolicies of the mesh workloads (services and data proxies) of zone `zoneId`,
 * sorted by namespace and name. Pure and deterministic. A zone without workloads yields `[]`.
 */
export function compileNetworkPolicies(model: MeshModel, zoneId: string, options: NetworkPolicyOptions = {}): NetworkPolicy[] {
  const plan = planZone(model, zoneId);
  const namespaces = [...new Set(plan.workloads.map((w) => w.workload.namespace))].sort();
  const policies: NetworkPolicy[] = namespaces.flatMap((ns) => namespaceBaseline(ns, zoneId));
  for (const d of plan.destinations) policies.push(ingressPolicy(d, zoneId));
  const sources = new Map(plan.sources.map((s) => [s.workload.key, s]));
  for (const w of plan.workloads) {
    const svc = w.product ? undefined : model.services.get(w.workload.key);
    if (svc) policies.push(egressPolicy(model, svc, sources.get(svc.key), zoneId));
  }
  for (const w of plan.workloads) if (w.product) policies.push(proxyEgressPolicy(w, zoneId, options));
  return sortPolicies(policies);
}
