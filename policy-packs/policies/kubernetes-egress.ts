/**
 * Kubernetes egress to the internet: no NetworkPolicy lets pods reach the whole internet, except
 * the mesh's egress gateway (recognised by what it runs: `gateways.ts`).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { type Blocks, blockRanges, internetFamilies, PUBLIC_V4, PUBLIC_V6, type Range, subtract } from "./cidr";
import { egressGateway, type GatewayView } from "./gateways";
import { resourcesOfType } from "./stack-index";
import { TYPES, whenStackHas } from "./types";
import { asArray, asRecord, str, strings } from "./util";
import { ConfigIndex, Deferred, selectedWorkloads } from "./workloads";

/**
 * What a NetworkPolicy's egress admits outside the cluster: every destination (a rule without
 * `to`, or with an empty one, whatever its ports: those ports on every address), or the ipBlocks'
 * address ranges (after `except`), over all its rules together.
 */
export function egressDestinations(spec: unknown): { allDestinations: boolean; blocks: Blocks[] } {
  const s = asRecord(spec);
  const blocks: Blocks[] = [];
  let allDestinations = false;
  const types = strings(s?.policyTypes);
  if (types.length > 0 && !types.includes("Egress")) return { allDestinations, blocks };
  for (const rule of asArray(s?.egress)) {
    const to = asArray(asRecord(rule)?.to);
    if (to.length === 0) allDestinations = true;
    for (const peer of to) {
      const ip = asRecord(asRecord(peer)?.ipBlock);
      const cidr = str(ip?.cidr);
      if (cidr !== undefined) blocks.push(blockRanges(cidr, strings(ip?.except)));
    }
  }
  return { allDestinations, blocks };
}

/** Why a NetworkPolicy admits internet egress, or undefined when it does not. */
export function internetEgress(spec: unknown): string | undefined {
  const { allDestinations, blocks } = egressDestinations(spec);
  if (allDestinations) {
    return "NetworkPolicy has an egress rule without `to`, which admits every destination (on its ports, if it names any) including the internet; name the destinations, or send internet traffic through the egress gateway.";
  }
  const families = internetFamilies(blocks);
  if (families.length > 0) return `NetworkPolicy egress ipBlocks admit the whole ${families.join(" and ")} internet; only the mesh egress gateway may reach it.`;
  return undefined;
}

const ALL_V4: Range[] = [{ lo: 0n, hi: (1n << 32n) - 1n }];
const ALL_V6: Range[] = [{ lo: 0n, hi: (1n << 128n) - 1n }];
const NON_PUBLIC = { v4: subtract(ALL_V4, PUBLIC_V4), v6: subtract(ALL_V6, PUBLIC_V6) };

/** True when a peer's ipBlock admits some public address. */
function reachesInternet(peer: unknown): boolean {
  const ip = asRecord(asRecord(peer)?.ipBlock);
  const cidr = str(ip?.cidr);
  if (cidr === undefined) return false;
  const b = blockRanges(cidr, strings(ip?.except));
  return subtract(b.v4, NON_PUBLIC.v4).length > 0 || subtract(b.v6, NON_PUBLIC.v6).length > 0;
}

/**
 * The ports (`<port>/<protocol>`) on which a NetworkPolicy's rules of `direction` reach or admit
 * the internet: the ports of every rule without peers (`to`/`from`) or with an ipBlock holding
 * public addresses. Undefined when such a rule covers every port (no `ports`, a port without
 * number, a named port or a range).
 */
export function internetPorts(spec: unknown, direction: "ingress" | "egress"): string[] | undefined {
  const out = new Set<string>();
  for (const rule of asArray(asRecord(spec)?.[direction])) {
    const r = asRecord(rule);
    const peers = asArray(r?.[direction === "egress" ? "to" : "from"]);
    if (peers.length > 0 && !peers.some(reachesInternet)) continue;
    const ports = asArray(r?.ports);
    if (ports.length === 0) return undefined;
    for (const p of ports.map(asRecord)) {
      const port = p?.port;
      if (typeof port !== "number" || (p?.endPort !== undefined && p.endPort !== port)) return undefined;
      out.add(`${port}/${str(p?.protocol) ?? "TCP"}`);
    }
  }
  return [...out].sort();
}

/** The ports on which a NetworkPolicy's egress reaches the internet ({@link internetPorts}). */
export function internetEgressPorts(spec: unknown): string[] | undefined {
  return internetPorts(spec, "egress");
}

/**
 * Whether a NetworkPolicy's internet traffic is a gateway's exception: its pod selector selects,
 * among the stack's workloads in its cluster and namespace, only gateways of the kind `read`
 * recognises (and at least one; a malformed selector never qualifies), and the policy opens the
 * internet only on the gateways' `ports` (what they forward to, or listen on). `why` explains a
 * policy that selects only gateways but opens more ports.
 */
export function gatewayException(
  np: PolicyResource,
  workloads: readonly PolicyResource[],
  read: (w: PolicyResource) => GatewayView,
  direction: "ingress" | "egress",
): { qualifies: boolean; why?: string } {
  const spec = asRecord(np.props.spec);
  const selected = selectedWorkloads(np, spec?.podSelector, workloads);
  if (selected === undefined || selected.length === 0) return { qualifies: false };
  const ports = new Set<string>();
  for (const w of selected) {
    const gw = read(w);
    if (gw.problems.length > 0) return { qualifies: false };
    for (const p of direction === "egress" ? gw.upstreamPorts : gw.listenerPorts) ports.add(`${p}/TCP`);
  }
  const open = internetPorts(spec, direction);
  const extra = open === undefined ? ["every port"] : open.filter((p) => !ports.has(p));
  if (extra.length === 0) return { qualifies: true };
  const own = ports.size === 0 ? "no static port" : `only ${[...ports].sort().join(", ")}`;
  const why =
    direction === "egress"
      ? `NetworkPolicy opens the internet to the egress gateway on ${extra.join(", ")}, but its Envoy forwards to ${own}; admit only the ports it forwards to.`
      : `NetworkPolicy admits the internet to the mesh gateway on ${extra.join(", ")}, but its Envoy listens on ${own}; admit only its listener ports.`;
  return { qualifies: false, why };
}

/**
 * The stack check shared by the internet ingress and egress policies: every NetworkPolicy that
 * `internet` says opens the internet fails, unless it selects only gateway pods `gateway`
 * recognises and opens only their ports.
 */
export function internetNetworkPolicies(
  direction: "ingress" | "egress",
  internet: (spec: unknown) => string | undefined,
  gateway: (w: PolicyResource, configs: ConfigIndex) => GatewayView,
): StackValidationPolicy["validateStack"] {
  return whenStackHas(TYPES.k8sNetworkPolicy, (args, reportViolation) => {
    const deferred = new Deferred();
    const configs = new ConfigIndex(args.resources, deferred);
    const workloads = resourcesOfType(args.resources, TYPES.k8sWorkloads);
    for (const np of resourcesOfType(args.resources, TYPES.k8sNetworkPolicy)) {
      deferred.run(() => {
        const why = internet(np.props.spec);
        if (why === undefined) return;
        const exception = gatewayException(np, workloads, (w) => gateway(w, configs), direction);
        if (!exception.qualifies) reportViolation(exception.why ?? why, np.urn);
      });
    }
    deferred.finish();
  });
}

/** No NetworkPolicy admits egress to the whole internet, except on the mesh's egress gateway. */
export const networkPolicyNoInternetEgress: StackValidationPolicy = {
  name: "kubernetes-network-policy-no-internet-egress",
  description:
    "No Kubernetes NetworkPolicy admits egress to the whole internet: an egress rule without `to` (every destination, also when it names ports), or ipBlocks that together, over all its rules and after `except`, cover all public IPv4 or IPv6 space (`0.0.0.0/0`, `::/0`, `0.0.0.0/1` + `128.0.0.0/1`, ...). The one exception is a policy that selects only the mesh's egress gateway, recognised by what it runs (Envoy only, loading a bootstrap whose every listener outside loopback terminates mTLS (`require_client_certificate`) and forwards only after ext_authz that fails closed), and that opens the internet only on ports the gateway's Envoy forwards to.",
  enforcementLevel: "mandatory",
  validateStack: internetNetworkPolicies("egress", internetEgress, egressGateway),
};
