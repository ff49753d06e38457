/**
 * Minimal typed shape of a Kubernetes `networking.k8s.io/v1` NetworkPolicy: only the fields
 * ztmesh produces or the evaluator reads. Plain data, serialized at the edge.
 */

/** A label selector (`matchLabels` AND every `matchExpressions` term). An empty selector matches everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** One `matchExpressions` term of a {@link LabelSelector}. */
export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** A CIDR peer; `except` carves sub-ranges out. */
export interface IPBlock {
  cidr: string;
  except?: string[];
}

/**
 * A peer of a rule. Kubernetes semantics: `podSelector` alone means pods of the policy's
 * namespace; `namespaceSelector` alone means every pod of the matching namespaces; both
 * together means matching pods in matching namespaces; `ipBlock` stands alone.
 */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

/** Transport protocol of a {@link NetworkPolicyPort}. Kubernetes' default is TCP. */
export type NetworkProtocol = "TCP" | "UDP" | "SCTP";

/** A port (or range `port..endPort`) a rule allows; omitted `port` means every port. */
export interface NetworkPolicyPort {
  protocol?: NetworkProtocol;
  port?: number | string;
  endPort?: number;
}

/** An ingress rule: omitted/empty `from` admits every peer, omitted/empty `ports` every port. */
export interface NetworkPolicyIngressRule {
  from?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

/** An egress rule: omitted/empty `to` admits every peer, omitted/empty `ports` every port. */
export interface NetworkPolicyEgressRule {
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

/** Directions a policy isolates. */
export type PolicyType = "Ingress" | "Egress";

/** The `spec` of a NetworkPolicy. */
export interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes?: PolicyType[];
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
}

/** A `networking.k8s.io/v1` NetworkPolicy object. */
export interface NetworkPolicy {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: NetworkPolicySpec;
}
