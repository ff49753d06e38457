/**
 * Kubernetes exposure to the internet: only mesh gateways face it, recognised by what they run
 * (`gateways.ts`: Envoy-only pods whose every listener outside loopback enforces mTLS and a
 * fail-closed ext_authz, or passes TLS through unopened to a destination that does), never by label.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { type Blocks, blockRanges, internetFamilies } from "./cidr";
import { k8sName } from "./conventions";
import { ingressGateway } from "./gateways";
import { internetNetworkPolicies } from "./kubernetes-egress";
import { resourcesOfType } from "./stack-index";
import { TYPES, whenStackHas } from "./types";
import { asArray, asRecord, str, strings } from "./util";
import { ConfigIndex, Deferred, selectedWorkloads } from "./workloads";

/** What a NetworkPolicy's ingress admits from outside the cluster: all sources, or the ipBlocks' address ranges. */
export function ingressSources(spec: unknown): { allSources: boolean; blocks: Blocks[] } {
  const s = asRecord(spec);
  const blocks: Blocks[] = [];
  let allSources = false;
  const types = strings(s?.policyTypes);
  if (types.length > 0 && !types.includes("Ingress")) return { allSources, blocks };
  for (const rule of asArray(s?.ingress)) {
    const r = asRecord(rule);
    const from = asArray(r?.from);
    if (from.length === 0) allSources = true;
    for (const peer of from) {
      const ip = asRecord(asRecord(peer)?.ipBlock);
      const cidr = str(ip?.cidr);
      if (cidr !== undefined) blocks.push(blockRanges(cidr, strings(ip?.except)));
    }
  }
  return { allSources, blocks };
}

/** Why a NetworkPolicy admits internet ingress, or undefined when it does not. */
export function internetIngress(spec: unknown): string | undefined {
  const { allSources, blocks } = ingressSources(spec);
  if (allSources) return "NetworkPolicy has an ingress rule without `from`, which admits every source including the internet; name the peers.";
  const families = internetFamilies(blocks);
  if (families.length > 0) return `NetworkPolicy ingress ipBlocks admit the whole ${families.join(" and ")} internet; only mesh gateway pods may be reached from it.`;
  return undefined;
}

/** A NetworkPolicy's ingress never admits the whole internet, except on mesh gateway pods. */
export const networkPolicyNoInternetIngress: StackValidationPolicy = {
  name: "kubernetes-network-policy-no-internet-ingress",
  description:
    "No Kubernetes NetworkPolicy admits ingress from the whole public internet (ipBlocks that together cover 0.0.0.0/0 or ::/0 public space after `except`, or a rule with no `from`), unless it selects only mesh gateway pods, recognised by what they run (Envoy only; every listener outside loopback requires mTLS and a fail-closed ext_authz, or passes TLS through unopened), and admits the internet only on the ports they listen on.",
  enforcementLevel: "mandatory",
  validateStack: internetNetworkPolicies("ingress", internetIngress, ingressGateway),
};

/** LoadBalancer Services route only to mesh gateway pods. */
export const loadBalancerGatewayOnly: StackValidationPolicy = {
  name: "kubernetes-load-balancer-gateway-only",
  description:
    "A Kubernetes Service of type LoadBalancer exposes pods outside the cluster; only mesh gateways may be exposed, so its `spec.selector` must select, among the stack's workloads in its cluster and namespace, only mesh gateway pods (recognised by what they run, as for `kubernetes-network-policy-no-internet-ingress`), and at least one.",
  enforcementLevel: "mandatory",
  validateStack: whenStackHas(TYPES.k8sService, (args, reportViolation) => {
    const deferred = new Deferred();
    const configs = new ConfigIndex(args.resources, deferred);
    const workloads = resourcesOfType(args.resources, TYPES.k8sWorkloads);
    for (const svc of resourcesOfType(args.resources, TYPES.k8sService)) {
      deferred.run(() => {
        const spec = asRecord(svc.props.spec);
        if (str(spec?.type) !== "LoadBalancer") return;
        const selector = asRecord(spec?.selector);
        const selected = selector && Object.keys(selector).length > 0 ? selectedWorkloads(svc, { matchLabels: selector }, workloads) : undefined;
        const name = k8sName(svc.props) ?? svc.name;
        if (selected === undefined || selected.length === 0) {
          reportViolation(`Service "${name}" of type LoadBalancer selects no mesh gateway workload of this stack; expose workloads through a mesh gateway.`, svc.urn);
          return;
        }
        const others = selected.filter((w) => ingressGateway(w, configs).problems.length > 0);
        if (others.length > 0) {
          reportViolation(
            `Service "${name}" of type LoadBalancer selects pods that are not mesh gateways (${others.map((w) => k8sName(w.props) ?? w.name).join(", ")}); expose workloads through a mesh gateway.`,
            svc.urn,
          );
        }
      });
    }
    deferred.finish();
  }),
};
