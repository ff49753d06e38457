/**
 * MeshNamespace: one Kubernetes namespace of mesh workloads in one zone, secure by default:
 * Pod Security `restricted` (enforce, audit, warn), the compiled deny-by-default
 * NetworkPolicies, and one ServiceAccount per workload identity, with no token automount.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { MeshModel } from "../model/model";
import { ArgChecker, show } from "../common/args";
import { K8S } from "../conventions";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, SYSTEM_NAMESPACE } from "../compile/kubernetes/labels";
import { MESH_NAMESPACE_LABEL, isDnsLabel, podSecurityLabels } from "../k8s";
import { type NamespacePlan, planNamespace } from "./plan";

export { planNamespace, namespaceWorkloads, type NamespacePlan, type PlannedServiceAccount } from "./plan";

/** Annotation carrying a ServiceAccount's SPIFFE ID (what SPIRE issues to its pods). */
export const SPIFFE_ID_ANNOTATION = "ztmesh.io/spiffe-id";
/** Annotation carrying the cloud principal the SPIFFE ID is federated to (role ARN, client id, service account). */
export const CLOUD_PRINCIPAL_ANNOTATION = "ztmesh.io/cloud-principal";

/** Namespaces a mesh namespace may never be. */
export const RESERVED_NAMESPACES: readonly string[] = [SYSTEM_NAMESPACE, "kube-system", "kube-public", "kube-node-lease", "default"];

export interface MeshNamespaceArgs {
  /** The mesh model (from `buildMesh`). */
  model: MeshModel;
  /** Id of the zone (cluster) the namespace is created in; must be a zone of the model. */
  zone: string;
  /** The namespace name, a DNS-1123 label; the workloads of `zone` declaring it are placed here. */
  namespace: string;
  /**
   * Cloud principal each workload's SPIFFE ID is federated to, keyed by workload key
   * (`<domain>/<service>` or `<domain>/<product>-proxy`): an AWS role ARN, an Azure client id,
   * a GCP principal. Rendered as the `ztmesh.io/cloud-principal` annotation of the workload's
   * ServiceAccount, for humans, audits and the collectors that need it.
   * @default {} (no annotation)
   */
  cloudPrincipals?: Record<string, pulumi.Input<string>>;
  /**
   * The Pod Security Standards version the `enforce`, `audit` and `warn` labels pin.
   * @default "latest"
   */
  podSecurityVersion?: string;
  /**
   * Extra labels for the Namespace object (cannot override the ztmesh and Pod Security labels).
   * @default {}
   */
  labels?: Record<string, string>;
}

export class MeshNamespace extends pulumi.ComponentResource {
  /** The namespace's name (known once the Namespace exists). */
  readonly namespaceName: pulumi.Output<string>;
  /** Names of the workload ServiceAccounts, sorted. */
  readonly serviceAccountNames: string[];
  /** The Namespace. */
  readonly namespace: k8s.core.v1.Namespace;
  /** ServiceAccounts by name. */
  readonly serviceAccounts: Record<string, k8s.core.v1.ServiceAccount>;
  /** NetworkPolicies by policy name. */
  readonly networkPolicies: Record<string, k8s.networking.v1.NetworkPolicy>;
  /** The plan the resources were created from (pure data). */
  readonly plan: NamespacePlan;

  constructor(name: string, args: MeshNamespaceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ztmesh:namespace:MeshNamespace", name, {}, opts);
    const plan = validate(name, args);
    this.plan = plan;
    const version = args.podSecurityVersion ?? "latest";

    const labels: Record<string, string> = {
      ...(args.labels ?? {}),
      ...podSecurityLabels("restricted", version),
      [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
      [K8S.zone]: args.zone,
      [MESH_NAMESPACE_LABEL]: "true",
    };
    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: args.namespace, labels } },
      { parent: this },
    );
    const ns = this.namespace.metadata.name;

    this.networkPolicies = {};
    for (const policy of plan.networkPolicies) {
      this.networkPolicies[policy.metadata.name] = new k8s.networking.v1.NetworkPolicy(
        `${name}-${policy.metadata.name}`,
        { metadata: { ...policy.metadata, namespace: ns }, spec: policy.spec },
        { parent: this },
      );
    }

    this.serviceAccounts = {};
    for (const sa of plan.serviceAccounts) {
      const annotations: Record<string, pulumi.Input<string>> = { [SPIFFE_ID_ANNOTATION]: sa.spiffeId };
      const principal = sa.workloads.map((w) => args.cloudPrincipals?.[w]).find((p) => p !== undefined);
      if (principal !== undefined) annotations[CLOUD_PRINCIPAL_ANNOTATION] = principal;
      this.serviceAccounts[sa.name] = new k8s.core.v1.ServiceAccount(
        `${name}-sa-${sa.name}`,
        {
          metadata: {
            name: sa.name,
            namespace: ns,
            labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [K8S.zone]: args.zone },
            annotations,
          },
          automountServiceAccountToken: false,
        },
        { parent: this },
      );
    }

    this.namespaceName = ns;
    this.serviceAccountNames = plan.serviceAccounts.map((s) => s.name);
    this.registerOutputs({ namespaceName: this.namespaceName, serviceAccountNames: this.serviceAccountNames });
  }
}

/** Checks the plain arguments; returns the namespace plan. Throws before anything is created. */
function validate(name: string, args: MeshNamespaceArgs): NamespacePlan {
  const c = new ArgChecker("MeshNamespace", name);
  const zones = args.model?.zones?.map((z) => z.id) ?? [];
  c.check(zones.includes(args.zone), "zone", `unknown zone ${show(args.zone)}`, `use one of ${zones.join(", ")}`);
  c.check(isDnsLabel(args.namespace), "namespace", `must be a DNS-1123 label, got ${show(args.namespace)}`, "use lowercase letters, digits and '-', at most 63 characters");
  c.check(
    !RESERVED_NAMESPACES.includes(args.namespace),
    "namespace",
    `${show(args.namespace)} is reserved`,
    "mesh workloads live in their own namespaces; the system namespace is managed by the platform",
  );
  if (args.podSecurityVersion !== undefined) {
    c.check(
      /^(latest|v1\.[0-9]+)$/.test(args.podSecurityVersion),
      "podSecurityVersion",
      `must be "latest" or "v1.<minor>", got ${show(args.podSecurityVersion)}`,
    );
  }
  c.done();

  const plan = planNamespace(args.model, args.zone, args.namespace);
  const known = new Set(plan.serviceAccounts.flatMap((s) => s.workloads));
  for (const key of Object.keys(args.cloudPrincipals ?? {})) {
    c.check(
      known.has(key),
      `cloudPrincipals[${show(key)}]`,
      `no workload ${show(key)} runs in namespace ${show(args.namespace)} of zone ${show(args.zone)}`,
      `use one of ${[...known].join(", ") || "(none: the namespace has no workloads)"}`,
    );
  }
  for (const sa of plan.serviceAccounts) {
    const given = sa.workloads.filter((w) => args.cloudPrincipals?.[w] !== undefined);
    c.check(
      given.length <= 1,
      `cloudPrincipals`,
      `workloads ${given.map((g) => show(g)).join(", ")} share service account ${show(sa.name)}, so they share one identity; give it one principal`,
      "keep one of the entries",
    );
  }
  c.done();
  return plan;
}
