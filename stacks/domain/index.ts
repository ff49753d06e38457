/**
 * A domain stack: one team's namespaces, workload identities and enforcement, joined to
 * the platform through a StackReference, so a domain changes its intents without
 * touching the platform stack.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { compileNetworkPolicies } from "../../components/compile/kubernetes";
import { buildMesh, type DomainSpec, type MeshSpec } from "../../components/model";
import { clusterProvider, type ClusterConfig } from "../shared/cluster";

interface PlatformContract {
  version: number;
  mesh: MeshSpec;
}

export = async () => {
  const config = new pulumi.Config();
  const domain = config.requireObject<DomainSpec>("domain");
  const clusters = config.requireObject<Record<string, ClusterConfig>>("clusters");
  const platform = new pulumi.StackReference("platform", { name: config.require("platformStack") });
  const contract = (await platform.getOutputDetails("contract")).value as PlatformContract | undefined;
  if (!contract || contract.version !== 1) {
    throw new Error(`platform stack ${config.require("platformStack")}: expected output "contract" version 1, got ${JSON.stringify(contract?.version)}`);
  }
  const model = buildMesh(contract.mesh, [domain]);

  const zones = new Set([...model.services.values(), ...model.dataProducts.values()].map((w) => w.zone));
  for (const zoneId of [...zones].sort()) {
    const provider = clusterProvider(zoneId, clusters[zoneId]);
    const policies = compileNetworkPolicies(model, zoneId);
    const namespaces = [...new Set(policies.map((p) => p.metadata.namespace))].sort();
    const created = new Map(
      namespaces.map((n) => [n, new k8s.core.v1.Namespace(`${zoneId}-${n}`, { metadata: { name: n } }, { provider })] as const),
    );
    for (const np of policies) {
      new k8s.networking.v1.NetworkPolicy(`${zoneId}-${np.metadata.namespace}-${np.metadata.name}`, np, {
        provider,
        dependsOn: [created.get(np.metadata.namespace) as k8s.core.v1.Namespace],
      });
    }
  }
  return { domain: domain.name, spiffeIds: Object.fromEntries([...model.services.values()].map((s) => [s.key, s.spiffeId])) };
};
