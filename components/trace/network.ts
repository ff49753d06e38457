/**
 * The network between pods, as the snapshot describes it: name resolution (a pod's
 * `hostAliases`, then its cluster's DNS, then names every zone resolves) and the
 * NetworkPolicy verdicts of a connection (the source pod's egress, the destination pod's
 * ingress), with the Kubernetes evaluator.
 */
import { type DirectionVerdict, type Endpoint, egressVerdict, ingressVerdict, selectingPolicies } from "../compile/kubernetes/evaluate";
import type { NetworkPolicy, NetworkPolicyPeer } from "../compile/kubernetes/types";
import { hostEntry, namespacePolicies, podPolicies } from "./lookup";
import type { HostEntry, Hop, MeshSnapshot, ProxySnapshot } from "./types";

/** Whether an address is the pod's own loopback. */
export function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === "localhost" || host === "::1" || host === "[::1]";
}

/** A name as resolved from a pod of zone `zone` (undefined: from outside every cluster). */
export function resolveHost(snapshot: MeshSnapshot, zone: string | undefined, host: string): HostEntry | undefined {
  const h = host.toLowerCase().replace(/\.$/, "");
  return (zone === undefined ? undefined : hostEntry(snapshot.hosts, zone, h)) ?? hostEntry(snapshot.hosts, undefined, h);
}

/** The endpoint a pod is to the NetworkPolicy evaluator. */
export function podEndpoint(snapshot: MeshSnapshot, p: ProxySnapshot): Endpoint {
  const ns = snapshot.zones[p.zone]?.namespaceLabels[p.namespace];
  return { namespace: p.namespace, labels: p.podLabels, ...(ns ? { namespaceLabels: ns } : {}), namedPorts: p.namedPorts };
}

const NO_POLICIES: readonly NetworkPolicy[] = [];

/** An address outside the cluster: only `ipBlock` peers select it. */
export const EXTERNAL: Endpoint = { namespace: "", labels: {}, external: true };

/** The policies with every `ipBlock` widened to all addresses of its family: "if the unknown address is in the block". */
function widenIpBlocks(policies: readonly NetworkPolicy[]): NetworkPolicy[] {
  const widen = (peers: NetworkPolicyPeer[] | undefined): NetworkPolicyPeer[] | undefined =>
    peers?.map((p) => (p.ipBlock ? { ipBlock: { cidr: p.ipBlock.cidr.includes(":") ? "::/0" : "0.0.0.0/0" } } : p));
  return policies.map((pol) => ({
    ...pol,
    spec: {
      ...pol.spec,
      ...(pol.spec.ingress ? { ingress: pol.spec.ingress.map((r) => ({ ...r, ...(r.from ? { from: widen(r.from) } : {}) })) } : {}),
      ...(pol.spec.egress ? { egress: pol.spec.egress.map((r) => ({ ...r, ...(r.to ? { to: widen(r.to) } : {}) })) } : {}),
    },
  }));
}

/** The ipBlocks of the rule that admitted a connection (for the caveat when the address is unknown). */
function ipBlocksOf(policies: readonly NetworkPolicy[], v: DirectionVerdict, direction: "egress" | "ingress"): string[] {
  const pol = policies.find((p) => `${p.metadata.namespace}/${p.metadata.name}` === v.admittedBy?.policy);
  const rule = direction === "egress" ? pol?.spec.egress?.[v.admittedBy?.rule ?? -1]?.to : pol?.spec.ingress?.[v.admittedBy?.rule ?? -1]?.from;
  return (rule ?? []).flatMap((p) => (p.ipBlock ? [p.ipBlock.cidr] : []));
}

/**
 * A verdict against an address the artifacts do not give: as the policies stand, then, when
 * only an `ipBlock` could admit it, "admitted if the address lies in <cidrs>" (a pass that says so).
 */
function unknownAddressVerdict(
  policies: readonly NetworkPolicy[],
  decide: (ps: readonly NetworkPolicy[]) => DirectionVerdict,
  direction: "egress" | "ingress",
): { v: DirectionVerdict; assumed?: string[] } {
  const v = decide(policies);
  if (v.allowed) return { v };
  const wide = decide(widenIpBlocks(policies));
  if (!wide.allowed) return { v };
  return { v: wide, assumed: ipBlocksOf(policies, wide, direction) };
}

function describe(v: DirectionVerdict, direction: "egress" | "ingress", who: string): string {
  if (!v.isolated) return `${direction} of ${who}: no NetworkPolicy selects the pod for ${direction} (not isolated)`;
  if (v.admittedBy) return `${direction} of ${who}: admitted by ${v.admittedBy.policy} rule ${v.admittedBy.rule}`;
  return `${direction} of ${who}: no rule of ${v.selecting.join(", ")} admits it`;
}

/**
 * The NetworkPolicy hops of a connection from `from` (a pod, or outside) to pod `to` on
 * `port` (the pod's port). `sameCluster` when the connection stays inside one cluster (pod to
 * pod); otherwise the source sees an external address and the destination an external peer.
 */
export function networkHops(
  snapshot: MeshSnapshot,
  from: ProxySnapshot | undefined,
  to: ProxySnapshot | undefined,
  port: number,
  sameCluster: boolean,
  externalPort: number = port,
  externalAddress?: string,
): Hop[] {
  const hops: Hop[] = [];
  const src = from ? podEndpoint(snapshot, from) : EXTERNAL;
  const dst = to ? podEndpoint(snapshot, to) : EXTERNAL;
  if (from) {
    // Only the policies selecting the source's pod for egress (those of its namespace) decide.
    const ns = namespacePolicies(snapshot.zones[from.zone]?.networkPolicies ?? NO_POLICIES, from.namespace);
    const policies = podPolicies(ns, src.labels, "Egress", (ps) => selectingPolicies(ps, src, "Egress"));
    const outside: Endpoint = externalAddress ? { ...EXTERNAL, ip: externalAddress } : EXTERNAL;
    const decide = (ps: readonly NetworkPolicy[]): DirectionVerdict => egressVerdict(ps, src, sameCluster ? dst : outside, sameCluster ? port : externalPort);
    const { v, assumed } = !sameCluster && !externalAddress ? unknownAddressVerdict(policies, decide, "egress") : { v: decide(policies), assumed: undefined };
    const target = sameCluster && to ? `pod of ${to.id}` : `an address outside the cluster${externalAddress ? ` (${externalAddress})` : ""}`;
    hops.push({
      kind: "network-policy",
      at: from.zone,
      verdict: v.allowed ? "pass" : "stop",
      rule: `${describe(v, "egress", `pod of ${from.id}`)} (to ${target} port ${sameCluster ? port : externalPort})${assumed ? `, if that address lies in ${assumed.join(", ")} (the artifacts do not give it)` : ""}${v.allowed ? "" : ": packets dropped"}`,
      detail: { direction: "egress", ...v, ...(assumed ? { assumedAddressIn: assumed } : {}) },
    });
    if (!v.allowed) return hops;
  }
  if (to) {
    // Only the policies selecting the destination's pod for ingress (those of its namespace) decide.
    const ns = namespacePolicies(snapshot.zones[to.zone]?.networkPolicies ?? NO_POLICIES, to.namespace);
    const policies = podPolicies(ns, dst.labels, "Ingress", (ps) => selectingPolicies(ps, dst, "Ingress"));
    const decide = (ps: readonly NetworkPolicy[]): DirectionVerdict => ingressVerdict(ps, sameCluster ? src : EXTERNAL, dst, port);
    const { v, assumed } = sameCluster ? { v: decide(policies), assumed: undefined } : unknownAddressVerdict(policies, decide, "ingress");
    const peer = sameCluster && from ? `pod of ${from.id}` : "outside the cluster";
    hops.push({
      kind: "network-policy",
      at: to.zone,
      verdict: v.allowed ? "pass" : "stop",
      rule: `${describe(v, "ingress", `pod of ${to.id}`)} (from ${peer}, port ${port})${assumed ? `, if the caller's address lies in ${assumed.join(", ")} (the artifacts do not give it)` : ""}${v.allowed ? "" : ": packets dropped"}`,
      detail: { direction: "ingress", ...v, ...(assumed ? { assumedAddressIn: assumed } : {}) },
    });
  }
  return hops;
}
