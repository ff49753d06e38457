/**
 * The platform stack: from one mesh declaration, the shared mesh in every zone.
 * Its outputs are the versioned contract domain stacks read (see `contract`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { compileSystemNetworkPolicies, SYSTEM_NAMESPACE } from "../../components/compile/kubernetes";
import { buildMesh, type MeshSpec } from "../../components/model";
import { clusterProvider, type ClusterConfig } from "../shared/cluster";

const config = new pulumi.Config();
const spec = config.requireObject<MeshSpec>("mesh");
const clusters = config.requireObject<Record<string, ClusterConfig>>("clusters");
const model = buildMesh(spec);

for (const zone of model.zones) {
  const provider = clusterProvider(zone.id, clusters[zone.id]);
  const ns = new k8s.core.v1.Namespace(
    `${zone.id}-system`,
    { metadata: { name: SYSTEM_NAMESPACE, labels: { "ztmesh.io/zone": zone.id } } },
    { provider },
  );
  for (const np of compileSystemNetworkPolicies(model, zone.id)) {
    new k8s.networking.v1.NetworkPolicy(`${zone.id}-${np.metadata.name}`, np, { provider, dependsOn: [ns] });
  }
}

/** The contract domain stacks read through a StackReference (bump `version` on breaking change). */
export const contract = {
  version: 1,
  mesh: spec,
  zones: model.zones.map((z) => ({ id: z.id, cloud: z.cloud, region: z.region })),
};
