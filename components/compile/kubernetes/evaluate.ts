/**
 * A NetworkPolicy evaluator with Kubernetes semantics, used by tests and by the conformance
 * policy to recompute the allowed flows from the enforcement objects themselves.
 *
 * Semantics: a pod selected by at least one policy of a type (Ingress/Egress) is isolated for
 * that type; an isolated pod's traffic is allowed when any rule of any selecting policy
 * allows it (policies are additive); a connection needs both the source's egress and the
 * destination's ingress. Where the inputs leave a question open, the evaluator answers
 * "allowed" (an over-approximation, the safe side for a conformance check):
 * - an `ipBlock` matches an endpoint without a known `ip` only when its prefix length is 0;
 * - a named port matches any port when the destination's `namedPorts` are not given.
 */
import type {
  IPBlock,
  LabelSelector,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkProtocol,
  PolicyType,
} from "./types";
import { NAMESPACE_NAME_LABEL } from "./labels";

/** One end of a connection: a pod, described by what policies can select. */
export interface Endpoint {
  namespace: string;
  /** The pod's labels. */
  labels: Readonly<Record<string, string>>;
  /** The namespace's labels. @default `{ "kubernetes.io/metadata.name": namespace }` */
  namespaceLabels?: Readonly<Record<string, string>>;
  /** The pod IP, when known (for `ipBlock` peers). */
  ip?: string;
  /** Named container ports of the pod (for named `port`s on the destination). */
  namedPorts?: Readonly<Record<string, number>>;
  /**
   * True for an address outside the cluster (a load balancer, another zone, a store): pod and
   * namespace selectors never select it, only `ipBlock` peers can.
   */
  external?: boolean;
}

/** A destination port; a bare number means TCP. */
export type PortSpec = number | { port: number; protocol?: NetworkProtocol };

/** True when `labels` satisfy `selector` (an empty selector matches everything). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (!has || !values.includes(labels[req.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[req.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** Parses an IPv4 or IPv6 address to a bigint and its bit width; undefined when malformed. */
export function parseIp(ip: string): { value: bigint; bits: number } | undefined {
  if (ip.includes(".") && !ip.includes(":")) {
    const parts = ip.split(".");
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
    return { value: parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n), bits: 32 };
  }
  const halves = ip.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), bits: 128 };
}

/** True when `ip` lies in `cidr`; false when either is malformed or their families differ. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [net, lenText] = cidr.split("/");
  const a = parseIp(net);
  const b = parseIp(ip);
  const len = Number(lenText);
  if (!a || !b || a.bits !== b.bits || !Number.isInteger(len) || len < 0 || len > a.bits) return false;
  const shift = BigInt(a.bits - len);
  return a.value >> shift === b.value >> shift;
}

function ipBlockMatches(block: IPBlock, ep: Endpoint): boolean {
  if (ep.ip === undefined) return /\/0$/.test(block.cidr);
  return cidrContains(block.cidr, ep.ip) && !(block.except ?? []).some((e) => cidrContains(e, ep.ip!));
}

function namespaceLabels(ep: Endpoint): Readonly<Record<string, string>> {
  return ep.namespaceLabels ?? { [NAMESPACE_NAME_LABEL]: ep.namespace };
}

/** True when `peer` of a policy in namespace `policyNamespace` designates endpoint `ep`. */
export function peerMatches(peer: NetworkPolicyPeer, policyNamespace: string, ep: Endpoint): boolean {
  if (peer.ipBlock) return ipBlockMatches(peer.ipBlock, ep);
  if (!peer.podSelector && !peer.namespaceSelector) return false;
  if (ep.external) return false;
  const nsOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, namespaceLabels(ep))
    : ep.namespace === policyNamespace;
  return nsOk && (!peer.podSelector || selectorMatches(peer.podSelector, ep.labels));
}

function portMatches(rule: NetworkPolicyPort, port: { port: number; protocol: NetworkProtocol }, dest: Endpoint): boolean {
  if ((rule.protocol ?? "TCP") !== port.protocol) return false;
  if (rule.port === undefined) return true;
  if (typeof rule.port === "string") {
    if (!dest.namedPorts) return true;
    return dest.namedPorts[rule.port] === port.port;
  }
  return rule.endPort !== undefined ? port.port >= rule.port && port.port <= rule.endPort : port.port === rule.port;
}

/** The policy types a policy isolates (Kubernetes defaults when `policyTypes` is omitted). */
export function effectivePolicyTypes(policy: NetworkPolicy): PolicyType[] {
  if (policy.spec.policyTypes && policy.spec.policyTypes.length > 0) return policy.spec.policyTypes;
  return policy.spec.egress && policy.spec.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

/** The policies that select pod `ep` for `type`. */
export function selectingPolicies(policies: readonly NetworkPolicy[], ep: Endpoint, type: PolicyType): NetworkPolicy[] {
  return policies.filter(
    (p) =>
      p.metadata.namespace === ep.namespace &&
      effectivePolicyTypes(p).includes(type) &&
      selectorMatches(p.spec.podSelector, ep.labels),
  );
}

function ruleAllows(
  peers: NetworkPolicyPeer[] | undefined,
  ports: NetworkPolicyPort[] | undefined,
  policyNamespace: string,
  peer: Endpoint,
  port: { port: number; protocol: NetworkProtocol },
  dest: Endpoint,
): boolean {
  const peerOk = !peers || peers.length === 0 || peers.some((p) => peerMatches(p, policyNamespace, peer));
  const portOk = !ports || ports.length === 0 || ports.some((p) => portMatches(p, port, dest));
  return peerOk && portOk;
}

/**
 * Why one direction of a connection is allowed or not: `isolated` false when no policy selects
 * the pod for that direction (everything allowed); otherwise the first admitting policy and
 * rule index, or none (denied), and the names of the policies that select the pod.
 */
export interface DirectionVerdict {
  allowed: boolean;
  isolated: boolean;
  /** Namespace/name of each policy selecting the pod for this direction. */
  selecting: string[];
  /** The admitting policy (`<namespace>/<name>`) and the index of its rule. */
  admittedBy?: { policy: string; rule: number };
}

function verdict(
  selecting: NetworkPolicy[],
  rulesOf: (pol: NetworkPolicy) => Array<{ peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }>,
  peer: Endpoint,
  p: { port: number; protocol: NetworkProtocol },
  dest: Endpoint,
): DirectionVerdict {
  const names = selecting.map((pol) => `${pol.metadata.namespace}/${pol.metadata.name}`);
  if (selecting.length === 0) return { allowed: true, isolated: false, selecting: names };
  for (const pol of selecting) {
    const rules = rulesOf(pol);
    for (let i = 0; i < rules.length; i++) {
      if (ruleAllows(rules[i].peers, rules[i].ports, pol.metadata.namespace, peer, p, dest)) {
        return { allowed: true, isolated: true, selecting: names, admittedBy: { policy: `${pol.metadata.namespace}/${pol.metadata.name}`, rule: i } };
      }
    }
  }
  return { allowed: false, isolated: true, selecting: names };
}

/** The egress verdict of `from` opening a connection to `to` on `port`. */
export function egressVerdict(policies: readonly NetworkPolicy[], from: Endpoint, to: Endpoint, port: PortSpec): DirectionVerdict {
  const selecting = from.external ? [] : selectingPolicies(policies, from, "Egress");
  return verdict(selecting, (pol) => (pol.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })), to, normalizePort(port), to);
}

/** The ingress verdict of `to` admitting a connection from `from` on `port`. */
export function ingressVerdict(policies: readonly NetworkPolicy[], from: Endpoint, to: Endpoint, port: PortSpec): DirectionVerdict {
  const selecting = to.external ? [] : selectingPolicies(policies, to, "Ingress");
  return verdict(selecting, (pol) => (pol.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })), from, normalizePort(port), to);
}

/** True when `from`'s egress policies let it open a connection to `to` on `port`. */
export function egressAllows(policies: readonly NetworkPolicy[], from: Endpoint, to: Endpoint, port: PortSpec): boolean {
  return egressVerdict(policies, from, to, port).allowed;
}

/** True when `to`'s ingress policies admit a connection from `from` on `port`. */
export function ingressAllows(policies: readonly NetworkPolicy[], from: Endpoint, to: Endpoint, port: PortSpec): boolean {
  return ingressVerdict(policies, from, to, port).allowed;
}

function normalizePort(port: PortSpec): { port: number; protocol: NetworkProtocol } {
  return typeof port === "number" ? { port, protocol: "TCP" } : { port: port.port, protocol: port.protocol ?? "TCP" };
}

/**
 * True when the policies let pod `from` connect to pod `to` on `port` (TCP unless given):
 * the source's egress and the destination's ingress must both allow it.
 */
export function networkAllows(policies: readonly NetworkPolicy[], from: Endpoint, to: Endpoint, port: PortSpec): boolean {
  return egressAllows(policies, from, to, port) && ingressAllows(policies, from, to, port);
}
