/** Labels shared by the typed Kubernetes objects ztmesh components create. */
import { APP_NAME_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../compile/kubernetes/labels";
import { K8S, type Role } from "../conventions";

/** `app.kubernetes.io/component`. */
export const APP_COMPONENT_LABEL = "app.kubernetes.io/component";
/** `app.kubernetes.io/instance`: the component instance (its Pulumi name). */
export const APP_INSTANCE_LABEL = "app.kubernetes.io/instance";
/** `app.kubernetes.io/version`. */
export const APP_VERSION_LABEL = "app.kubernetes.io/version";

/**
 * Namespace label set by `MeshNamespace` on every mesh workload namespace. The identity
 * issuer's ClusterSPIFFEID selects namespaces by it, so only mesh namespaces get SVIDs.
 */
export const MESH_NAMESPACE_LABEL = "ztmesh.io/mesh-namespace";

/** Pod Security Standards levels. */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/**
 * Pod Security Admission labels: `enforce` at `level`, `audit` and `warn` at `restricted`
 * (so a relaxed namespace still reports every deviation from the restricted profile), each
 * pinned to `version`.
 */
export function podSecurityLabels(level: PodSecurityLevel, version: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const modes: [string, PodSecurityLevel][] = [
    ["enforce", level],
    ["audit", "restricted"],
    ["warn", "restricted"],
  ];
  for (const [mode, l] of modes) {
    labels[`pod-security.kubernetes.io/${mode}`] = l;
    labels[`pod-security.kubernetes.io/${mode}-version`] = version;
  }
  return labels;
}

/** Labels naming an app: name, instance, component, managed-by, role and zone. */
export function appLabels(opts: {
  app: string;
  instance: string;
  component: string;
  role: Role;
  zone: string;
  version?: string;
}): Record<string, string> {
  const labels: Record<string, string> = {
    [APP_NAME_LABEL]: opts.app,
    [APP_INSTANCE_LABEL]: opts.instance,
    [APP_COMPONENT_LABEL]: opts.component,
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [K8S.role]: opts.role,
    [K8S.zone]: opts.zone,
  };
  if (opts.version !== undefined) labels[APP_VERSION_LABEL] = opts.version;
  return labels;
}

/** The stable subset of {@link appLabels} used in selectors (never the version). */
export function selectorLabels(labels: Record<string, string>): Record<string, string> {
  return {
    [APP_NAME_LABEL]: labels[APP_NAME_LABEL],
    [APP_INSTANCE_LABEL]: labels[APP_INSTANCE_LABEL],
    [APP_COMPONENT_LABEL]: labels[APP_COMPONENT_LABEL],
  };
}

export { LOG_COLLECTOR_APP } from "../compile/kubernetes/labels";
/** {@link APP_NAME_LABEL} value of the log agent (node) pods. */
export const LOG_AGENT_APP = "ztmesh-log-agent";
