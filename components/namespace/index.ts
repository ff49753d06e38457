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

/** Annotation carrying the workload's AWS role ARN (its only one: home zone or a store's account). */
export const AWS_ROLE_ARN_ANNOTATION = "ztmesh.io/aws-role-arn";
/** Annotation carrying the workload's Azure user-assigned identity client id (its only one). */
export const AZURE_CLIENT_ID_ANNOTATION = "ztmesh.io/azure-client-id";
/** Annotation carrying the Entra ID tenant of {@link AZURE_CLIENT_ID_ANNOTATION}'s identity. */
export const AZURE_TENANT_ID_ANNOTATION = "ztmesh.io/azure-tenant-id";
/** Annotation carrying the workload's GCP service account email (its only one). */
export const GCP_SERVICE_ACCOUNT_ANNOTATION = "ztmesh.io/gcp-service-account";
/** Annotation carrying the audience (pool provider resource name) to request for {@link GCP_SERVICE_ACCOUNT_ANNOTATION}. */
export const GCP_AUDIENCE_ANNOTATION = "ztmesh.io/gcp-audience";
/**
 * Annotation carrying every cloud identity of the workload as JSON, by zone id:
 * `{"<zone>": {"cloud": "aws", "principal": "arn:...", "audience": "sts.amazonaws.com"}}`
 * (all zones of one account name the same identity). Complete even when a workload has
 * identities in two accounts of one cloud, where the per-cloud annotations are left out.
 */
export const CLOUD_IDENTITIES_ANNOTATION = "ztmesh.io/cloud-identities";

/** One cloud identity of a workload (its zone's, or one in a store's account). */
export interface CloudIdentityRef {
  /** The zones whose object stores (or, for the home zone, whose cloud) the identity serves. */
  zones: string[];
  cloud: "aws" | "azure" | "gcp";
  /** AWS role ARN, Azure client id, GCP service account email. */
  principal: pulumi.Input<string>;
  /** The JWT-SVID audience to request for it. */
  audience: string;
  /**
   * Azure only: the identity's tenant id.
   * @default none
   */
  tenantId?: string;
}

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
   * Every cloud identity of each workload (keyed as `cloudPrincipals`): in its own zone's cloud
   * and in the accounts of the object stores it uses from another cloud. Rendered as the
   * per-cloud annotations `ztmesh.io/aws-role-arn`, `ztmesh.io/azure-client-id` (+
   * `ztmesh.io/azure-tenant-id`), `ztmesh.io/gcp-service-account` (+ `ztmesh.io/gcp-audience`)
   * when the workload has exactly one identity in that cloud, and always as the JSON
   * annotation `ztmesh.io/cloud-identities` (by zone).
   * @default {} (no annotations)
   */
  cloudIdentities?: Record<string, CloudIdentityRef[]>;
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
      const identities = sa.workloads.map((w) => args.cloudIdentities?.[w]).find((p) => p !== undefined && p.length > 0);
      if (identities) Object.assign(annotations, identityAnnotations(identities));
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

/** The annotations of a workload's cloud identities (see {@link MeshNamespaceArgs.cloudIdentities}). */
export function identityAnnotations(identities: readonly CloudIdentityRef[]): Record<string, pulumi.Input<string>> {
  const out: Record<string, pulumi.Input<string>> = {};
  const only = (cloud: CloudIdentityRef["cloud"]): CloudIdentityRef | undefined => {
    const found = identities.filter((i) => i.cloud === cloud);
    return found.length === 1 ? found[0] : undefined;
  };
  const aws = only("aws");
  if (aws) out[AWS_ROLE_ARN_ANNOTATION] = aws.principal;
  const azure = only("azure");
  if (azure) {
    out[AZURE_CLIENT_ID_ANNOTATION] = azure.principal;
    if (azure.tenantId !== undefined) out[AZURE_TENANT_ID_ANNOTATION] = azure.tenantId;
  }
  const gcp = only("gcp");
  if (gcp) {
    out[GCP_SERVICE_ACCOUNT_ANNOTATION] = gcp.principal;
    out[GCP_AUDIENCE_ANNOTATION] = gcp.audience;
  }
  const byZone = identities.flatMap((i) => i.zones.map((zone) => ({ zone, i })));
  byZone.sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
  out[CLOUD_IDENTITIES_ANNOTATION] = pulumi
    .all(byZone.map(({ i }) => i.principal))
    .apply((principals) =>
      JSON.stringify(
        Object.fromEntries(
          byZone.map(({ zone, i }, k) => [zone, { cloud: i.cloud, principal: principals[k], audience: i.audience, ...(i.tenantId !== undefined ? { tenantId: i.tenantId } : {}) }]),
        ),
      ),
    );
  return out;
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
  for (const arg of ["cloudPrincipals", "cloudIdentities"] as const) {
    for (const key of Object.keys(args[arg] ?? {})) {
      c.check(
        known.has(key),
        `${arg}[${show(key)}]`,
        `no workload ${show(key)} runs in namespace ${show(args.namespace)} of zone ${show(args.zone)}`,
        `use one of ${[...known].join(", ") || "(none: the namespace has no workloads)"}`,
      );
    }
  }
  for (const [key, list] of Object.entries(args.cloudIdentities ?? {})) {
    const zonesSeen = new Set<string>();
    for (const [i, ref] of (Array.isArray(list) ? list : []).entries()) {
      c.check(["aws", "azure", "gcp"].includes(ref?.cloud), `cloudIdentities[${show(key)}][${i}].cloud`, `must be "aws", "azure" or "gcp", got ${show(ref?.cloud)}`);
      for (const z of Array.isArray(ref?.zones) ? ref.zones : []) {
        c.check(zones.includes(z) && !zonesSeen.has(z), `cloudIdentities[${show(key)}][${i}].zones`, `${show(z)} is not a zone of the model or is listed twice`, "name each zone once");
        zonesSeen.add(z);
      }
    }
  }
  for (const sa of plan.serviceAccounts) {
    const withIds = sa.workloads.filter((w) => (args.cloudIdentities?.[w] ?? []).length > 0);
    c.check(withIds.length <= 1, "cloudIdentities", `workloads ${withIds.map((g) => show(g)).join(", ")} share service account ${show(sa.name)}, so they share its identities; give them to one`, "keep one of the entries");
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
