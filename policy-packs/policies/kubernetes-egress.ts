/**
 * Kubernetes egress to the internet: no NetworkPolicy lets pods reach the whole internet, except
 * the mesh's egress gateway (recognised by what it runs: `egress-gateway.ts`).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { type Blocks, blockRanges, internetFamilies } from "./cidr";
import { k8sNamespace } from "./conventions";
import { egressGatewayProblems } from "./egress-gateway";
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

/**
 * True when a NetworkPolicy selects only egress gateway pods among the stack's workloads (and at
 * least one): every workload in its cluster and namespace whose pods its podSelector matches is
 * an egress gateway. A malformed selector never qualifies.
 */
export function selectsOnlyEgressGateways(np: PolicyResource, workloads: readonly PolicyResource[], configs: ConfigIndex): boolean {
  const selector = asRecord(np.props.spec)?.podSelector;
  const namespace = k8sNamespace(np.props);
  let selected = 0;
  for (const w of workloads) {
    if (clusterOf(w) !== clusterOf(np) || k8sNamespace(w.props) !== namespace) continue;
    const hit = selects(selector, podLabelsOf(w.type, w.props));
    if (hit === undefined) return false;
    if (!hit) continue;
    selected++;
    if (egressGatewayProblems(w, configs).length > 0) return false;
  }
  return selected > 0;
}

/** No NetworkPolicy admits egress to the whole internet, except on the mesh's egress gateway. */
export const networkPolicyNoInternetEgress: StackValidationPolicy = {
  name: "kubernetes-network-policy-no-internet-egress",
  description:
    "No Kubernetes NetworkPolicy admits egress to the whole internet: an egress rule without `to` (every destination, also when it names ports), or ipBlocks that together, over all its rules and after `except`, cover all public IPv4 or IPv6 space (`0.0.0.0/0`, `::/0`, `0.0.0.0/1` + `128.0.0.0/1`, ...). The one exception is a policy that selects only the mesh's egress gateway, recognised by what it runs: Envoy only, loading a bootstrap whose every listener outside loopback terminates mTLS (`require_client_certificate`) and forwards only after ext_authz that fails closed.",
  enforcementLevel: "mandatory",
  validateStack: whenStackHas(TYPES.k8sNetworkPolicy, (args, reportViolation) => {
    const deferred = new Deferred();
    const configs = new ConfigIndex(args.resources, deferred);
    const workloads = resourcesOfType(args.resources, TYPES.k8sWorkloads);
    for (const np of resourcesOfType(args.resources, TYPES.k8sNetworkPolicy)) {
      deferred.run(() => {
        const why = internetEgress(np.props.spec);
        if (why !== undefined && !selectsOnlyEgressGateways(np, workloads, configs)) reportViolation(why, np.urn);
      });
    }
    deferred.finish();
  }),
};
