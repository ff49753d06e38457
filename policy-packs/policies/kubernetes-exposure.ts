/** Kubernetes exposure to the internet: only mesh gateways face it. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { type Blocks, blockRanges, internetFamilies } from "./cidr";
import { DEFAULT_GATEWAY_LABELS, matchesAll } from "./conventions";
import { ofType, TYPES } from "./types";
import { asArray, asRecord, configWithDefaults, str, stringMap, strings } from "./util";

const GATEWAY_LABELS_SCHEMA: Record<string, PolicyConfigJSONSchema> = {
  gatewayLabels: {
    type: "object",
    additionalProperties: { type: "string" },
    default: DEFAULT_GATEWAY_LABELS,
    description: "Pod labels (all must match) that mark mesh gateway pods.",
  },
};

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

/** A NetworkPolicy's ingress never admits the whole internet, except on mesh gateway pods. */
export const networkPolicyNoInternetIngress: ResourceValidationPolicy = {
  name: "kubernetes-network-policy-no-internet-ingress",
  description:
    "No Kubernetes NetworkPolicy admits ingress from the whole public internet (ipBlocks that together cover 0.0.0.0/0 or ::/0 public space after `except`, or a rule with no `from`), unless it selects mesh gateway pods (`gatewayLabels`).",
  enforcementLevel: "mandatory",
  configSchema: { properties: GATEWAY_LABELS_SCHEMA },
  validateResource: ofType(TYPES.k8sNetworkPolicy, (args, reportViolation) => {
    const { gatewayLabels } = configWithDefaults(args.getConfig<{ gatewayLabels: Record<string, string> }>(), { gatewayLabels: DEFAULT_GATEWAY_LABELS });
    const spec = asRecord(args.props.spec);
    const selected = stringMap(asRecord(spec?.podSelector)?.matchLabels);
    const { allSources, blocks } = ingressSources(spec);
    if (matchesAll(selected, stringMap(gatewayLabels))) return;
    if (allSources) {
      reportViolation("NetworkPolicy has an ingress rule without `from`, which admits every source including the internet; name the peers.");
      return;
    }
    const families = internetFamilies(blocks);
    if (families.length > 0) {
      reportViolation(`NetworkPolicy ingress ipBlocks admit the whole ${families.join(" and ")} internet; only mesh gateway pods may be reached from it.`);
    }
  }),
};

/** LoadBalancer Services route only to mesh gateway pods. */
export const loadBalancerGatewayOnly: ResourceValidationPolicy = {
  name: "kubernetes-load-balancer-gateway-only",
  description:
    "A Kubernetes Service of type LoadBalancer exposes pods outside the cluster; only mesh gateways may be exposed, so its `spec.selector` must carry the gateway labels (`gatewayLabels`).",
  enforcementLevel: "mandatory",
  configSchema: { properties: GATEWAY_LABELS_SCHEMA },
  validateResource: ofType(TYPES.k8sService, (args, reportViolation) => {
    const { gatewayLabels } = configWithDefaults(args.getConfig<{ gatewayLabels: Record<string, string> }>(), { gatewayLabels: DEFAULT_GATEWAY_LABELS });
    const spec = asRecord(args.props.spec);
    if (str(spec?.type) !== "LoadBalancer") return;
    if (!matchesAll(stringMap(spec?.selector), stringMap(gatewayLabels))) {
      reportViolation(
        `Service of type LoadBalancer selects pods that are not mesh gateways (selector must include ${JSON.stringify(gatewayLabels)}); expose workloads through the gateway.`,
      );
    }
  }),
};
