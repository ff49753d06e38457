/** How the example stacks reach each zone's existing cluster. */
import * as k8s from "@pulumi/kubernetes";

/** Per zone: a kubeconfig context or a kubeconfig file path; both optional (ambient kubeconfig). */
export interface ClusterConfig {
  context?: string;
  kubeconfig?: string;
}

/** A Kubernetes provider for one zone's cluster. */
export function clusterProvider(zoneId: string, cluster: ClusterConfig | undefined): k8s.Provider {
  return new k8s.Provider(`${zoneId}-cluster`, {
    context: cluster?.context,
    kubeconfig: cluster?.kubeconfig,
    enableServerSideApply: true,
  });
}
