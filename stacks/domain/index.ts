/**
 * A domain stack: one team's namespaces, workload identities, data proxies, intents and OPA
 * bundle (MeshDomain), joined to the platform through the platform's `contract` output, so a
 * domain changes its intents without touching the platform stack.
 *
 * Outputs: `contract` ({ version: 1, domain }) for the domains that reference this one, and
 * `bundleZones` (onboard them in the platform's `domains` config).
 */
import * as pulumi from "@pulumi/pulumi";
import { MeshDomain, type DomainContract, type DomainSpec, type DomainZoneInfra, type MeshContract } from "../../components";
import { clusterProvider, type ClusterConfig } from "../shared/cluster";
import { signingKey } from "../shared/keys";
import { cloudProvider } from "../shared/providers";

/** The `contract` output of a stack, checked for the expected version. */
async function contractOf<T extends { version: number }>(stack: string, ref: pulumi.StackReference): Promise<T> {
  const value = (await ref.getOutputDetails("contract")).value as T | undefined;
  if (!value || value.version !== 1) {
    throw new Error(`stack ${stack}: expected output "contract" version 1, got ${JSON.stringify(value?.version)}; deploy it with this ztmesh version first`);
  }
  return value;
}

export = async () => {
  const config = new pulumi.Config();
  const domain = config.requireObject<DomainSpec>("domain");
  const clusters = config.getObject<Record<string, ClusterConfig>>("clusters") ?? {};
  const platformStack = config.require("platformStack");
  const platform = await contractOf<MeshContract>(platformStack, new pulumi.StackReference("platform", { name: platformStack }));
  const references = config.getObject<string[]>("references") ?? [];
  const others: DomainSpec[] = [];
  for (const [i, stack] of references.entries()) {
    others.push((await contractOf<DomainContract>(stack, new pulumi.StackReference(`reference-${i}`, { name: stack }))).domain);
  }
  const zones: Record<string, DomainZoneInfra> = {};
  for (const zone of platform.mesh.zones) {
    if (clusters[zone.id] === undefined) continue;
    zones[zone.id] = { cluster: clusterProvider(zone.id, clusters[zone.id]), cloudProvider: cloudProvider(zone) };
  }
  const meshDomain = new MeshDomain(domain.name, { platform, domain, others, zones, signing: signingKey(config), proxyReplicas: config.getNumber("proxyReplicas") });
  return { contract: meshDomain.contract, bundleZones: meshDomain.bundleZones };
};
