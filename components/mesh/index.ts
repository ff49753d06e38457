/** The whole mesh: HybridMesh (platform stack) and MeshDomain (one per domain stack). */
export * from "./types";
export { HybridMesh, HYBRID_MESH_TYPE } from "./hybrid-mesh";
export { MeshDomain, MESH_DOMAIN_TYPE, INTENTS_CONFIGMAP } from "./mesh-domain";
export { domainIntents, intentsJson } from "./intents";
export { admittedDomains, pendingIntents, unfederatedIntents, type PendingIntent, type UnfederatedIntent } from "./peers";
export { domainZones, meshDomainStoreZones, storeOnlyZones, validateHybridMesh, validateMeshDomain } from "./validate";
export {
  accountKey,
  awsOidcProviderArn,
  awsTrustedIssuers,
  crossCloudFederations,
  crossCloudPoolId,
  crossCloudStoreZones,
  type AwsTrustedIssuer,
  type CrossCloudFederation,
  type StoreCloud,
  type ZoneIssuer,
} from "./cross-cloud";
export { BUNDLE_PREFIX, AZURE_BUNDLE_CONTAINER, bundleStoreName } from "./bundle-store";
export { collectorSpiffeId, defaultIssuerUrl, systemWorkloadKey } from "./zone";
