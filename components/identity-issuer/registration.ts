/**
 * Workload registration through spire-controller-manager: the ClusterSPIFFEID CRD (a
 * structural schema covering the fields ztmesh sets) and the ClusterSPIFFEID objects that
 * give every mesh pod `spiffe://<td>/ns/<namespace>/sa/<serviceAccount>`.
 */
import { APP_NAME_LABEL, GATEWAY_APP, MESH_LABEL, MESH_LABEL_VALUE, NAMESPACE_NAME_LABEL, POLICY_ENGINE_APP, SYSTEM_NAMESPACE } from "../compile/kubernetes/labels";
import { LOG_COLLECTOR_APP, MESH_NAMESPACE_LABEL } from "../k8s";

/** The SPIFFE ID template: the Kubernetes workload convention of `model/spiffe.ts`. */
export const SPIFFE_ID_TEMPLATE = "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}";

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }>;
}

/** `spec` of a ClusterSPIFFEID (the fields ztmesh uses). */
export interface ClusterSPIFFEIDSpec {
  className: string;
  spiffeIDTemplate: string;
  namespaceSelector: Selector;
  podSelector: Selector;
  /** Pods not yet Ready get no entry until they are scheduled; the default. */
  fallback?: boolean;
}

/** The two ClusterSPIFFEIDs of a zone: mesh workloads, and the mesh's system pods. */
export function clusterSpiffeIds(className: string): Record<"workloads" | "system", ClusterSPIFFEIDSpec> {
  return {
    workloads: {
      className,
      spiffeIDTemplate: SPIFFE_ID_TEMPLATE,
      namespaceSelector: { matchLabels: { [MESH_NAMESPACE_LABEL]: "true" } },
      podSelector: { matchLabels: { [MESH_LABEL]: MESH_LABEL_VALUE } },
    },
    system: {
      className,
      spiffeIDTemplate: SPIFFE_ID_TEMPLATE,
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: SYSTEM_NAMESPACE } },
      podSelector: { matchExpressions: [{ key: APP_NAME_LABEL, operator: "In", values: [GATEWAY_APP, POLICY_ENGINE_APP, LOG_COLLECTOR_APP] }] },
    },
  };
}

const selectorSchema = {
  type: "object",
  properties: {
    matchLabels: { type: "object", additionalProperties: { type: "string" } },
    matchExpressions: {
      type: "array",
      items: {
        type: "object",
        required: ["key", "operator"],
        properties: { key: { type: "string" }, operator: { type: "string" }, values: { type: "array", items: { type: "string" } } },
      },
    },
  },
};

/** The `spire.spiffe.io` ClusterSPIFFEID CustomResourceDefinition spec. */
export function clusterSpiffeIdCrdSpec() {
  return {
    group: "spire.spiffe.io",
    names: { kind: "ClusterSPIFFEID", listKind: "ClusterSPIFFEIDList", plural: "clusterspiffeids", singular: "clusterspiffeid" },
    scope: "Cluster",
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object" },
              spec: {
                type: "object",
                required: ["spiffeIDTemplate"],
                properties: {
                  className: { type: "string" },
                  spiffeIDTemplate: { type: "string" },
                  namespaceSelector: selectorSchema,
                  podSelector: selectorSchema,
                  workloadSelectorTemplates: { type: "array", items: { type: "string" } },
                  dnsNameTemplates: { type: "array", items: { type: "string" } },
                  federatesWith: { type: "array", items: { type: "string" } },
                  ttl: { type: "string" },
                  jwtTtl: { type: "string" },
                  admin: { type: "boolean" },
                  downstream: { type: "boolean" },
                  autoPopulateDNSNames: { type: "boolean" },
                  fallback: { type: "boolean" },
                  hint: { type: "string" },
                },
              },
              // Pulumi spelling of `x-kubernetes-preserve-unknown-fields` (the provider writes the dashed name).
              status: { type: "object", x_kubernetes_preserve_unknown_fields: true },
            },
          },
        },
      },
    ],
  };
}
