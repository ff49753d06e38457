/**
 * A domain stack: one team's namespaces, workload identities, data proxies, intents and OPA
 * bundle (MeshDomain), joined to the platform through the platform's `contract` output, so a
 * domain changes its intents without touching the platform stack.
 *
 * Outputs: `contract` ({ version: 1, domain, admits }) for the domains that reference this one,
 * `bundleZones` (onboard them in the platform's `domains` config), `pendingIntents` (this
 * domain's intents that a producer does not admit yet; empty once every producer references
 * this stack), `crossCloudFederations` (the identities created in other clouds' accounts for
 * this domain's consumers of object stores there) and `unfederatedIntents` (what the stores
 * still refuse; see components/mesh/README.md, "Cross-cloud data").
 */
import * as pulumi from "@pulumi/pulumi";
import { MeshDomain, meshDomainStoreZones, type DomainContract, type DomainSpec, type DomainZoneInfra, type MeshContract, type StoreZoneInfra } from "../../components";
import { clusterProvider, type ClusterConfig } from "../shared/cluster";
import { signingKey } from "../shared/keys";
import { cloudProvider } from "../shared/providers";

/** The `contract` output of a stack, checked for the expected version; undefined if it has none yet. */
async function contractOf<T extends { version: number }>(stack: string, ref: pulumi.StackReference): Promise<T | undefined> {
  const value = (await ref.getOutputDetails("contract")).value as T | undefined;
  if (value !== undefined && value.version !== 1) {
    throw new Error(`stack ${stack}: expected output "contract" version 1, got ${JSON.stringify(value.version)}; update it with this ztmesh version first`);
  }
  return value;
}

export = async () => {
  const config = new pulumi.Config();
  const domain = config.requireObject<DomainSpec>("domain");
  const clusters = config.getObject<Record<string, ClusterConfig>>("clusters") ?? {};
  const platformStack = config.require("platformStack");
  const platform = await contractOf<MeshContract>(platformStack, new pulumi.StackReference("platform", { name: platformStack }));
  if (!platform) throw new Error(`stack ${platformStack}: has no output "contract"; deploy the platform stack first`);
  // The domains this one trades with, both ways (see MeshDomainArgs.peers). A referenced stack
  // that exists but was never deployed has no contract yet: skipped with a warning, so that a
  // first rollout of domains that reference each other converges on the second update.
  const references = config.getObject<string[]>("references") ?? [];
  const peers: DomainContract[] = [];
  for (const [i, stack] of references.entries()) {
    const contract = await contractOf<DomainContract>(stack, new pulumi.StackReference(`reference-${i}`, { name: stack }));
    if (contract) peers.push(contract);
    else void pulumi.log.warn(`stack ${stack} has no output "contract" yet (not deployed): its domain is left out until the next update after it is deployed`);
  }
  const zones: Record<string, DomainZoneInfra> = {};
  for (const zone of platform.mesh.zones) {
    if (clusters[zone.id] === undefined) continue;
    zones[zone.id] = { cluster: clusterProvider(zone.id, clusters[zone.id]), cloudProvider: cloudProvider(zone) };
  }
  // The zones whose object stores this domain's workloads use from another cloud: their
  // identities are created there, with that account's provider (see MeshDomainArgs.storeZones).
  const storeZones: Record<string, StoreZoneInfra> = {};
  for (const id of meshDomainStoreZones({ platform, domain, peers })) {
    const zone = platform.mesh.zones.find((z) => z.id === id)!;
    storeZones[id] = { cloudProvider: cloudProvider(zone) };
  }
  const meshDomain = new MeshDomain(domain.name, { platform, domain, peers, zones, storeZones, signing: signingKey(config), proxyReplicas: config.getNumber("proxyReplicas") });
  return {
    contract: meshDomain.contract,
    bundleZones: meshDomain.bundleZones,
    pendingIntents: meshDomain.pendingIntents,
    unfederatedIntents: meshDomain.unfederatedIntents,
    crossCloudFederations: meshDomain.crossCloudFederations.map((f) => ({ sourceZone: f.sourceZone, targetZones: f.targetZones, cloud: f.cloud, workloads: f.workloads.map((w) => w.key), intents: f.intents })),
  };
};
