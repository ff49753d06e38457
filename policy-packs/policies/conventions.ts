/**
 * The markers ztmesh's components put on resources and that the policies read.
 *
 * A **role marker** says what a resource is for: key `ztmesh.io/role`, value one of
 * {@link ROLES}. Some clouds forbid `.` or `/` in tag/label keys (GCP labels allow only
 * `[a-z0-9_-]`; Azure tag names forbid `/`), so the same marker may also be written with the
 * key `ztmesh-role`. Where a marker is read:
 * - Kubernetes: `metadata.labels`
 * - AWS: `tags` (and `tagsAll`); an `aws:ec2/securityGroupRule` has no tags, so its
 *   `description` carries the marker as the text `ztmesh.io/role=gateway`
 * - Azure: `tags`
 * - GCP: `labels`; a `gcp:compute/firewall` has no labels, so it marks a gateway listener by
 *   network target tag `ztmesh-gateway` (see {@link GATEWAY_NETWORK_TAG})
 */
import { CLOUD_TAGS, K8S, ROLES as COMPONENT_ROLES } from "../../components/conventions";
import { asRecord, stringMap, str } from "./util";

/** The role marker key (shared with the components: `components/conventions.ts`). */
export const ROLE_KEY: string = K8S.role;
/** The role marker key where `.` and `/` are not allowed in keys (GCP labels, Azure tags). */
export const ROLE_KEY_PORTABLE: string = CLOUD_TAGS.role;

/** Role marker values the policies read (a subset of the components' roles). */
export const ROLES = {
  /** A mesh gateway listener: the only thing that may face the internet. */
  gateway: COMPONENT_ROLES.gateway,
  /** A ConfigMap holding a mesh Envoy bootstrap (YAML or JSON) in its data. */
  envoy: COMPONENT_ROLES.envoyConfig,
  /** A ConfigMap holding an OPA `config.yaml`. */
  opaConfig: COMPONENT_ROLES.opaConfig,
  /** A bucket, storage account or container that stores audit logs (immutable, CMK, TLS). */
  auditLogStore: COMPONENT_ROLES.auditLogStore,
  /** A ConfigMap declaring a data product in `product.json`. */
  dataProduct: COMPONENT_ROLES.dataProduct,
  /** A ConfigMap declaring the stack's intents in `intents.json`. */
  intents: COMPONENT_ROLES.intents,
} as const;

/** GCP firewall target tag that marks a gateway listener (network tags allow only `[a-z0-9-]`). */
export const GATEWAY_NETWORK_TAG = "ztmesh-gateway";

/**
 * Tag/label pairs marking a cloud firewall rule as the mesh egress gateway's (either spelling of
 * the role key). Cloud rules cannot see pods, so only there is a marker the exemption; in
 * Kubernetes the egress gateway is recognised by what it runs (`egress-gateway.ts`).
 */
export const DEFAULT_EGRESS_GATEWAY_MARKERS: Record<string, string> = { "ztmesh.io/role": "egress-gateway", "ztmesh-role": "egress-gateway" };
/** GCP firewall target tag of the egress gateway's instances. */
export const EGRESS_GATEWAY_NETWORK_TAG = "ztmesh-egress-gateway";

/** Kubernetes labels ztmesh puts on its gateway pods. The pack no longer reads them: gateways are recognised by what they run (`gateways.ts`). */
export const DEFAULT_GATEWAY_LABELS: Record<string, string> = { "app.kubernetes.io/name": "ztmesh-gateway" };
/** Kubernetes labels ztmesh puts on its policy engine (OPA) Deployments. The pack no longer reads them: engines are recognised by what they run (`opa-engine.ts`). */
export const DEFAULT_ENGINE_LABELS: Record<string, string> = { "app.kubernetes.io/name": "ztmesh-policy-engine" };
/** Tag/label pairs marking a cloud resource as a gateway listener (either spelling of the role key). */
export const DEFAULT_GATEWAY_MARKERS: Record<string, string> = { [ROLE_KEY]: ROLES.gateway, [ROLE_KEY_PORTABLE]: ROLES.gateway };

/** Every tag and label of a resource's properties, merged (Kubernetes labels, AWS/Azure tags, GCP labels). */
export function markersOf(props: Record<string, unknown>): Record<string, string> {
  return {
    ...stringMap(props.tagsAll),
    ...stringMap(props.tags),
    ...stringMap(props.labels),
    ...stringMap(asRecord(props.metadata)?.labels),
  };
}

/** True when the resource carries the role marker `role` under either key spelling. */
export function hasRole(props: Record<string, unknown>, role: string): boolean {
  const m = markersOf(props);
  return m[ROLE_KEY] === role || m[ROLE_KEY_PORTABLE] === role;
}

/** True when `labels` contain every key/value pair of `wanted` (an empty `wanted` matches nothing). */
export function matchesAll(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  const entries = Object.entries(wanted);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** True when `labels` contain at least one key/value pair of `markers`. */
export function matchesAny(labels: Record<string, string>, markers: Record<string, string>): boolean {
  return Object.entries(markers).some(([k, v]) => labels[k] === v);
}

/** A Kubernetes object's `metadata.name` (or undefined). */
export function k8sName(props: Record<string, unknown>): string | undefined {
  return str(asRecord(props.metadata)?.name);
}

/** A Kubernetes object's `metadata.namespace`, `default` when unset. */
export function k8sNamespace(props: Record<string, unknown>): string {
  return str(asRecord(props.metadata)?.namespace) ?? "default";
}
