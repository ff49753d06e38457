/**
 * Kubernetes egress to the internet: no NetworkPolicy lets pods reach the whole internet, except
 * the mesh's egress gateway (recognised by what it runs: `egress-gateway.ts`).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { type Blocks, blockRanges, internetFamilies, PUBLIC_V4, PUBLIC_V6, type Range, subtract } from "./cidr";
import { k8sNamespace } from "./conventions";
import { egressGateway } from "./egress-gateway";
import { resourcesOfType } from "./stack-index";
import { TYPES, whenStackHas } from "./types";
import { asArray, asRecord, str, strings } from "./util";
import { clusterOf, ConfigIndex, Deferred, podLabelsOf, selects } from "./workloads";

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
 * The ports (`<port>/<protocol>`) on which a NetworkPolicy's egress reaches the internet: the
 * ports of every rule without `to` or with an ipBlock admitting public addresses. Undefined when
 * such a rule admits every port (no `ports`, a port without number, a named port or a range).
 */
export function internetEgressPorts(spec: unknown): string[] | undefined {
  const out = new Set<string>();
  for (const rule of asArray(asRecord(spec)?.egress)) {
    const r = asRecord(rule);
    const to = asArray(r?.to);
    if (to.length > 0 && !to.some(reachesInternet)) continue;
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

/**
 * Whether a NetworkPolicy's internet egress is the egress gateway's exception: it selects, among
 * the stack's workloads in its cluster and namespace, only egress gateways (and at least one; a
 * malformed selector never qualifies), and opens the internet only on ports their Envoys forward
 * to. `why` explains a policy that selects only gateways but opens more ports.
 */
export function egressGatewayException(np: PolicyResource, workloads: readonly PolicyResource[], configs: ConfigIndex): { qualifies: true } | { qualifies: false; why?: string } {
  const spec = asRecord(np.props.spec);
  const namespace = k8sNamespace(np.props);
  const ports = new Set<string>();
  let selected = 0;
  for (const w of workloads) {
    if (clusterOf(w) !== clusterOf(np) || k8sNamespace(w.props) !== namespace) continue;
    const hit = selects(spec?.podSelector, podLabelsOf(w.type, w.props));
    if (hit === undefined) return { qualifies: false };
    if (!hit) continue;
    selected++;
    const gw = egressGateway(w, configs);
    if (gw.problems.length > 0) return { qualifies: false };
    for (const p of gw.upstreamPorts) ports.add(`${p}/TCP`);
  }
  if (selected === 0) return { qualifies: false };
  const open = internetEgressPorts(spec);
  const extra = open === undefined ? ["every port"] : open.filter((p) => !ports.has(p));
  if (extra.length === 0) return { qualifies: true };
  const forwards = ports.size === 0 ? "no static port" : `only ${[...ports].sort().join(", ")}`;
  return {
    qualifies: false,
    why: `NetworkPolicy opens the internet to the egress gateway on ${extra.join(", ")}, but its Envoy forwards to ${forwards}; admit only the ports it forwards to.`,
  };
}

/** No NetworkPolicy admits egress to the whole internet, except on the mesh's egress gateway. */
export const networkPolicyNoInternetEgress: StackValidationPolicy = {
  name: "kubernetes-network-policy-no-internet-egress",
  description:
    "No Kubernetes NetworkPolicy admits egress to the whole internet: an egress rule without `to` (every destination, also when it names ports), or ipBlocks that together, over all its rules and after `except`, cover all public IPv4 or IPv6 space (`0.0.0.0/0`, `::/0`, `0.0.0.0/1` + `128.0.0.0/1`, ...). The one exception is a policy that selects only the mesh's egress gateway, recognised by what it runs (Envoy only, loading a bootstrap whose every listener outside loopback terminates mTLS (`require_client_certificate`) and forwards only after ext_authz that fails closed), and that opens the internet only on ports the gateway's Envoy forwards to.",
  enforcementLevel: "mandatory",
  validateStack: whenStackHas(TYPES.k8sNetworkPolicy, (args, reportViolation) => {
    const deferred = new Deferred();
    const configs = new ConfigIndex(args.resources, deferred);
    const workloads = resourcesOfType(args.resources, TYPES.k8sWorkloads);
    for (const np of resourcesOfType(args.resources, TYPES.k8sNetworkPolicy)) {
      deferred.run(() => {
        const why = internetEgress(np.props.spec);
        if (why === undefined) return;
        const exception = egressGatewayException(np, workloads, configs);
        if (!exception.qualifies) reportViolation(exception.why ?? why, np.urn);
      });
    }
    deferred.finish();
  }),
};
