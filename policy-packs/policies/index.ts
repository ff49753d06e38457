/** Every ztmesh policy, grouped by concern. The pack entrypoint only assembles them. */
import type { Policies } from "@pulumi/policy";
import { awsIamNoWildcards } from "./aws-iam";
import { namespaceDefaultDeny } from "./kubernetes-network";

export { awsIamNoWildcards, wildcardGrants } from "./aws-iam";
export { namespaceDefaultDeny, isDefaultDeny } from "./kubernetes-network";

/** The policies of the zero-trust pack, in report order. */
export const zeroTrustPolicies: Policies = [awsIamNoWildcards, namespaceDefaultDeny];
