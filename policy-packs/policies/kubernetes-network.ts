/** Kubernetes L3/L4 deny-by-default. */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { resourcesOfType } from "./stack-index";
import { whenStackHas } from "./types";
import { asArray, asRecord, strings } from "./util";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** True when a NetworkPolicy spec selects every pod and denies all ingress and egress. */
export function isDefaultDeny(spec: unknown): boolean {
  const s = asRecord(spec);
  if (!s) return false;
  const selector = asRecord(s.podSelector);
  const selectsAll =
    selector !== undefined &&
    Object.keys(asRecord(selector.matchLabels) ?? {}).length === 0 &&
    asArray(selector.matchExpressions).length === 0;
  const types = strings(s.policyTypes);
  return selectsAll && types.includes("Ingress") && types.includes("Egress") && asArray(s.ingress).length === 0 && asArray(s.egress).length === 0;
}

function nameOf(r: PolicyResource): string | undefined {
  const name = asRecord(r.props.metadata)?.name;
  return typeof name === "string" ? name : undefined;
}

/**
 * A namespace is per cluster: the same name in two clusters (two zones' providers) is two
 * namespaces, each needing its own policy. The cluster is the resource's provider.
 */
function clusterKey(r: PolicyResource, namespace: string): string {
  return `${r.provider?.urn ?? ""}\u0000${namespace}`;
}

export const namespaceDefaultDeny: StackValidationPolicy = {
  name: "kubernetes-namespace-default-deny",
  description:
    "Every Kubernetes Namespace in the stack needs a NetworkPolicy that selects all its pods and denies all ingress and egress; allows are added per workload on top.",
  enforcementLevel: "mandatory",
  validateStack: whenStackHas(NAMESPACE, (args, reportViolation) => {
    const denied = new Set<string>();
    for (const r of resourcesOfType(args.resources, NETWORK_POLICY)) {
      const ns = asRecord(r.props.metadata)?.namespace;
      if (typeof ns === "string" && isDefaultDeny(r.props.spec)) denied.add(clusterKey(r, ns));
    }
    for (const r of resourcesOfType(args.resources, NAMESPACE)) {
      const name = nameOf(r);
      if (name === undefined) {
        reportViolation("Namespace has no metadata.name known at preview; cannot check its default-deny NetworkPolicy.", r.urn);
      } else if (!denied.has(clusterKey(r, name))) {
        reportViolation(
          `Namespace "${name}" has no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, Egress], no rules).`,
          r.urn,
        );
      }
    }
  }),
};
