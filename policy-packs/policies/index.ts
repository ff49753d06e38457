/** Every ztmesh policy, grouped by concern. The pack entrypoint only assembles them. */
import type { Policies } from "@pulumi/policy";
import { auditLogStoreImmutable } from "./audit-log";
import { awsIamNoWildcards } from "./aws-iam";
import { cloudFirewallNoInternetEgress, cloudFirewallNoInternetIngress } from "./cloud-firewall";
import { dataProductDeclaration } from "./data-product";
import { envoyExtAuthzFailClosed, envoyMinimumTls, envoyMtlsRequired, envoyRbacDefaultDeny } from "./envoy";
import {
  awsOidcTrustPinned,
  azureFederatedCredentialExact,
  gcpWorkloadIdentityProviderRestricted,
  gcpWorkloadIdentityUserNotPoolWide,
  noLongLivedCredentials,
} from "./identity";
import { networkPolicyNoInternetEgress } from "./kubernetes-egress";
import { loadBalancerGatewayOnly, networkPolicyNoInternetIngress } from "./kubernetes-exposure";
import { namespaceDefaultDeny } from "./kubernetes-network";
import { azureNoPrivilegedRoleAssignments, gcpNoBasicRoles } from "./least-privilege";
import { opaConfigSecure, policyEngineDeployment, policyEngineDisruptionBudget } from "./policy-engine";
import { storageNoPublicAccess } from "./storage-public";
import { awsDataServicesPrivateTls } from "./data-services-aws";
import { awsDatabaseTlsRequired } from "./data-services-aws-tls";
import { azureDataServicesPrivateTls } from "./data-services-azure";
import { gcpDataServicesPrivateTls } from "./data-services-gcp";
import { dataEncryptionAtRestCmk } from "./encryption-at-rest";
import { meshConformance } from "./conformance";

export { awsIamNoWildcards, wildcardGrants } from "./aws-iam";
export { namespaceDefaultDeny, isDefaultDeny } from "./kubernetes-network";
export * from "./audit-log";
export * from "./cidr";
export * from "./cloud-firewall";
export * from "./conventions";
export * from "./data-product";
export * from "./gateways";
export * from "./envoy";
export * from "./identity";
export * from "./kubernetes-egress";
export * from "./kubernetes-exposure";
export * from "./least-privilege";
export * from "./policy-engine";
export * from "./storage-public";
export * from "./data-services-aws";
export * from "./data-services-aws-tls";
export * from "./data-services-azure";
export * from "./data-services-gcp";
export * from "./encryption-at-rest";
export { ENCRYPTED_SERVICES, ENCRYPTED_SERVICE_IDS, type EncryptedService } from "./encryption-at-rest-services";
export { TYPES } from "./types";
export { meshConformance, type DeclaredIntent } from "./conformance";

/** The policies of the zero-trust pack, in report order (identity, least privilege, network, gateways, engines, storage, data services, data). */
export const zeroTrustPolicies: Policies = [
  awsOidcTrustPinned,
  gcpWorkloadIdentityProviderRestricted,
  azureFederatedCredentialExact,
  gcpWorkloadIdentityUserNotPoolWide,
  noLongLivedCredentials,
  awsIamNoWildcards,
  gcpNoBasicRoles,
  azureNoPrivilegedRoleAssignments,
  namespaceDefaultDeny,
  networkPolicyNoInternetIngress,
  cloudFirewallNoInternetIngress,
  networkPolicyNoInternetEgress,
  cloudFirewallNoInternetEgress,
  loadBalancerGatewayOnly,
  envoyMtlsRequired,
  envoyExtAuthzFailClosed,
  envoyRbacDefaultDeny,
  envoyMinimumTls,
  policyEngineDeployment,
  policyEngineDisruptionBudget,
  opaConfigSecure,
  storageNoPublicAccess,
  awsDataServicesPrivateTls,
  awsDatabaseTlsRequired,
  azureDataServicesPrivateTls,
  gcpDataServicesPrivateTls,
  dataEncryptionAtRestCmk,
  auditLogStoreImmutable,
  dataProductDeclaration,
  meshConformance,
];
