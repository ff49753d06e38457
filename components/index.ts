/**
 * ztmesh: Pulumi components for a zero-trust hybrid mesh, the mesh model and its compilers.
 *
 * - Whole mesh: {@link HybridMesh} (platform stack) and {@link MeshDomain} (domain stacks).
 * - Parts: IdentityIssuer, WorkloadIdentityFederation, AuditLogStore, LogCollector,
 *   PolicyEngine, EnvoyGateway, DataProxy, MeshNamespace.
 * - The model (`buildMesh`, spec types, `ValidationError`) at the top level; the pure compilers
 *   as namespaces (`opa`, `envoy`, `iam`, `kubernetes`), so their helper names never collide;
 *   the path tracer as `trace`.
 */
export * from "./model";
export * from "./mesh";
export { ROLES, K8S, CLOUD_TAGS, type Role } from "./conventions";
export * as opa from "./compile/opa";
export * as envoy from "./compile/envoy";
export * as iam from "./compile/iam";
export * as kubernetes from "./compile/kubernetes";
export * as plan from "./plan/zone";
export * as trace from "./trace";
export { IdentityIssuer, type IdentityIssuerArgs, type UpstreamAuthorityArgs, type ExternalDatastoreArgs } from "./identity-issuer";
export { WorkloadIdentityFederation, federationFor, type WorkloadIdentityFederationArgs, type FederatedIdentity, type FederatedWorkload } from "./identity";
export { AuditLogStore, type AuditLogStoreArgs, type Retention } from "./log-store";
export { LogCollector, type LogCollectorArgs, type AuditLogStoreTarget } from "./log-collector";
export { PolicyEngine, policyEngineName, type PolicyEngineArgs, type BundleStoreArgs } from "./policy-engine";
export { EnvoyGateway, EgressGateway, type EnvoyGatewayArgs, type EgressGatewayArgs, type IssuerArgs } from "./gateway";
export { DataProxy, dataProductManifest, type DataProxyArgs, type DataProductManifest } from "./data-proxy";
export { MeshNamespace, type MeshNamespaceArgs } from "./namespace";
export { MeshWorkload, type MeshWorkloadArgs } from "./workload";
