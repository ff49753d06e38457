/**
 * The platform stack: from one mesh declaration, the shared mesh in every zone (HybridMesh).
 * Its output `contract` ({ version: 1, mesh, zones }) is what domain stacks read.
 *
 * Config (see Pulumi.yaml): mesh, clusters, domains, lockRetention, gatewayReplicas,
 * collectorReplicas, issuerUrls, onprem, and the keys (stacks/shared/keys.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { HybridMesh, type MeshSpec, type ZoneInfra } from "../../components";
import { clusterProvider, type ClusterConfig } from "../shared/cluster";
import { signingKey, upstreamCa } from "../shared/keys";
import { cloudProvider } from "../shared/providers";

const config = new pulumi.Config();
const spec = config.requireObject<MeshSpec>("mesh");
const clusters = config.getObject<Record<string, ClusterConfig>>("clusters") ?? {};
/** Per on-prem zone: { bundleServerUrl, logStoreZone }. */
const onprem = config.getObject<Record<string, Pick<ZoneInfra, "bundleServerUrl" | "logStoreZone">>>("onprem") ?? {};
const issuerUrls = config.getObject<Record<string, string>>("issuerUrls") ?? {};

const zones: Record<string, ZoneInfra> = {};
for (const zone of spec.zones ?? []) {
  zones[zone.id] = {
    cluster: clusterProvider(zone.id, clusters[zone.id]),
    cloudProvider: cloudProvider(zone),
    issuerUrl: issuerUrls[zone.id],
    ...(onprem[zone.id] ?? {}),
  };
}

const mesh = new HybridMesh("mesh", {
  mesh: spec,
  zones,
  upstreamCa: upstreamCa(config),
  signing: signingKey(config),
  lockRetention: config.getBoolean("lockRetention") ?? false,
  domains: config.getObject<Record<string, string[]>>("domains"),
  gatewayReplicas: config.getNumber("gatewayReplicas"),
  collectorReplicas: config.getNumber("collectorReplicas"),
});

/** The versioned contract domain stacks read (bump `version` on breaking change). */
export const contract = mesh.contract;
