/**
 * What a mesh namespace holds, computed from the model without Pulumi: its workloads'
 * service accounts and its NetworkPolicies. Pure, so the component and its tests share it.
 */
import type { MeshModel, Workload } from "../model/model";
import { compileNetworkPolicies, namespaceBaseline, type NetworkPolicy } from "../compile/kubernetes";

/** One Kubernetes ServiceAccount of the namespace and the workloads that run as it. */
export interface PlannedServiceAccount {
  /** ServiceAccount name. */
  name: string;
  /** `spiffe://<trustDomain>/ns/<namespace>/sa/<name>`. */
  spiffeId: string;
  /** Keys (`<domain>/<name>`) of the workloads (services, data proxies) using it, sorted. */
  workloads: string[];
}

export interface NamespacePlan {
  namespace: string;
  zone: string;
  serviceAccounts: PlannedServiceAccount[];
  /** `default-deny` and `allow-dns` first-class, then the allow policies; sorted by name. */
  networkPolicies: NetworkPolicy[];
}

/** Every workload (services and data proxies) located in `zone` and `namespace`. */
export function namespaceWorkloads(model: MeshModel, zone: string, namespace: string): Workload[] {
  const all: Workload[] = [...model.services.values(), ...[...model.dataProducts.values()].map((p) => p.proxy)];
  return all.filter((w) => w.zone === zone && w.namespace === namespace).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The namespace's plan. Its policies are the zone's compiled policies for this namespace; a
 * namespace without workloads still gets the baseline (`default-deny`, `allow-dns`), so no
 * mesh namespace is ever left open.
 */
export function planNamespace(model: MeshModel, zone: string, namespace: string): NamespacePlan {
  const bySa = new Map<string, PlannedServiceAccount>();
  for (const w of namespaceWorkloads(model, zone, namespace)) {
    const sa = bySa.get(w.serviceAccount) ?? { name: w.serviceAccount, spiffeId: w.spiffeId, workloads: [] };
    sa.workloads.push(w.key);
    bySa.set(w.serviceAccount, sa);
  }
  let networkPolicies = compileNetworkPolicies(model, zone).filter((p) => p.metadata.namespace === namespace);
  if (!networkPolicies.some((p) => p.metadata.name === "default-deny")) {
    networkPolicies = [...namespaceBaseline(namespace, zone), ...networkPolicies];
  }
  return {
    namespace,
    zone,
    serviceAccounts: [...bySa.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    networkPolicies,
  };
}
