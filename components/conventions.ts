/**
 * Names that components, the policy pack and the offline harness agree on. Plain
 * constants, no Pulumi imports: the pack reads them to recognise ztmesh resources.
 */

/** Kubernetes label (and annotation) keys. */
export const K8S = {
  /** What a ztmesh object is: one of {@link ROLES}. */
  role: "ztmesh.io/role",
  /** The zone an object belongs to. */
  zone: "ztmesh.io/zone",
  /** Annotation naming an object's artifact path under `artifacts/` in preview output. */
  artifact: "ztmesh.io/artifact",
} as const;

/** Cloud tag/label keys (GCP labels and Azure tag keys allow neither dots nor slashes). */
export const CLOUD_TAGS = {
  role: "ztmesh-role",
  zone: "ztmesh-zone",
  managedBy: "managed-by",
  /** Tag naming a resource's artifact path (AWS/Azure tag values may contain slashes). */
  artifact: "ztmesh-artifact",
} as const;

/** Values of the role label/tag. */
export const ROLES = {
  gateway: "gateway",
  policyEngine: "policy-engine",
  dataProxy: "data-proxy",
  collector: "log-collector",
  identityIssuer: "identity-issuer",
  auditLogStore: "audit-log-store",
  /** A ConfigMap holding an Envoy bootstrap (`envoy.yaml`). */
  envoyConfig: "envoy",
  /** A ConfigMap holding an OPA config (`config.yaml`). */
  opaConfig: "opa-config",
  /** An OPA bundle's data (`data.json`), in a ConfigMap or an object store object. */
  opaBundle: "opa-bundle",
  /** A ConfigMap holding a data product's manifest (`product.json`). */
  dataProduct: "data-product",
  /** A ConfigMap holding the declared intents (`intents.json`). */
  intents: "intents",
} as const;

export type Role = (typeof ROLES)[keyof typeof ROLES];
