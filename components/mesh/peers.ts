/**
 * Cross-domain intents need both ends: the consumer's stack compiles its egress, the
 * producer's stack its ingress (proxy RBAC, OPA data, NetworkPolicies). A producer admits a
 * consumer by referencing the consumer's stack (its `contract` becomes one of the producer's
 * `peers`); the producer's contract then lists the consumer in `admits`. An intent whose
 * producer has not admitted its domain yet is *pending*: declared, allowed by this stack's
 * egress, and still refused by the producer until the producer's next update. Pure.
 */
import { OBJECT_STORE_CLOUD, splitKey } from "../model";
import type { MeshModel } from "../model/model";
import type { Cloud, DomainSpec } from "../model/types";
import type { DomainContract } from "./types";

/** An intent the producer's stack does not enforce yet. */
export interface PendingIntent {
  /** `<domain>#<index>` of the declaring intent. */
  id: string;
  /** The source workload key, or `*`. */
  from: string;
  /** The destination key `<domain>/<name>`. */
  to: string;
  /** The producing domain that has not admitted this domain yet. */
  producer: string;
}

/** The declarations a domain stack's model is built from: `others` and the peers' domains (peers win), without itself. */
export function peerDomains(self: string, others: readonly DomainSpec[], peers: readonly DomainContract[]): DomainSpec[] {
  const byName = new Map<string, DomainSpec>();
  for (const o of others) if (o?.name !== self) byName.set(o?.name, o);
  for (const p of peers) if (p?.domain?.name !== self) byName.set(p?.domain?.name, p?.domain);
  return [...byName.values()];
}

/** The domains a stack admits: every other domain its model was built with, sorted. */
export function admittedDomains(self: string, others: readonly DomainSpec[], peers: readonly DomainContract[]): string[] {
  return peerDomains(self, others, peers)
    .map((d) => d.name)
    .sort();
}

/**
 * The intents `domain` declared towards domains whose contract (in `peers`) does not admit it.
 * Producers known only through `others` (a plain spec, no contract) are not judged.
 */
export function pendingIntents(model: MeshModel, domain: string, peers: readonly DomainContract[]): PendingIntent[] {
  const contracts = new Map(peers.map((p) => [p.domain.name, p]));
  const out: PendingIntent[] = [];
  for (const i of model.intents) {
    if (i.domain !== domain) continue;
    const producer = splitKey(i.to).domain;
    if (producer === domain) continue;
    const contract = contracts.get(producer);
    if (contract && !(contract.admits ?? []).includes(domain)) {
      out.push({ id: i.id, from: i.source.kind === "any" ? "*" : i.source.key, to: i.to, producer });
    }
  }
  return out;
}

/** One warning line per producer with pending intents, saying what to do. */
export function pendingMessages(domain: string, pending: readonly PendingIntent[]): string[] {
  const byProducer = new Map<string, PendingIntent[]>();
  for (const p of pending) byProducer.set(p.producer, [...(byProducer.get(p.producer) ?? []), p]);
  return [...byProducer].map(
    ([producer, list]) =>
      `domain "${producer}" does not admit domain "${domain}" yet, so it still refuses ${list.length} intent(s) declared here: ` +
      `${list.map((p) => `${p.id} (${p.from} -> ${p.to})`).join(", ")}. ` +
      `Fix: add this stack to the references of ${producer}'s stack and update it.`,
  );
}

/**
 * A data intent on an object store that the store still refuses although the data proxy admits
 * it: the consumer's identity lives in another account of the same cloud, which ztmesh cannot
 * make the store's account trust (see {@link unfederatedIntents}).
 */
export interface UnfederatedIntent {
  /** `<domain>#<index>` of the declaring intent. */
  id: string;
  /** The consuming workload key. */
  from: string;
  /** The data product key. */
  to: string;
  /** The consumer's zone and its cloud. */
  fromZone: string;
  fromCloud: Cloud;
  /** The product's zone and cloud (where the grant would have to be honoured). */
  storeZone: string;
  storeCloud: "aws" | "gcp" | "azure";
}

/**
 * The data intents `domain` declared on object-store products (s3, gcs, blob) that the store
 * refuses even though the data proxy admits them. Cross-cloud (and on-prem) consumers are
 * federated in the store's account (see `crossCloudFederations`), and so are same-account
 * ones; what remains is a consumer in the same cloud but another account than the store, where
 * its own zone's identity holds the grant: an AWS role of another account (the bucket's owner
 * would need a bucket policy, which ztmesh does not manage), or an Azure identity of another
 * tenant (Entra ID role assignments do not cross tenants). GCP bindings cross projects, so GCP
 * is never listed. Reported, never silently dropped. `*` sources are not judged (every workload
 * of the mesh is not a consumer this stack can name).
 */
export function unfederatedIntents(model: MeshModel, domain: string): UnfederatedIntent[] {
  const zones = new Map(model.zones.map((z) => [z.id, z]));
  const out: UnfederatedIntent[] = [];
  for (const i of model.intents) {
    if (i.domain !== domain || i.kind !== "data" || i.source.kind === "any") continue;
    const product = model.dataProducts.get(i.to);
    const storeCloud = product ? OBJECT_STORE_CLOUD[product.engine] : undefined;
    const consumer = model.services.get(i.source.key);
    const from = consumer ? zones.get(consumer.zone) : undefined;
    const store = product ? zones.get(product.zone) : undefined;
    if (!product || !storeCloud || !consumer || !from || !store || from.cloud !== storeCloud) continue;
    const otherAccount =
      (storeCloud === "aws" && (from.aws?.accountId !== store.aws?.accountId || (from.aws?.partition ?? "aws") !== (store.aws?.partition ?? "aws"))) ||
      (storeCloud === "azure" && from.azure?.tenantId !== store.azure?.tenantId);
    if (!otherAccount) continue;
    out.push({ id: i.id, from: consumer.key, to: i.to, fromZone: from.id, fromCloud: from.cloud, storeZone: store.id, storeCloud });
  }
  return out;
}

/** One warning line per unfederated intent. */
export function unfederatedMessages(list: readonly UnfederatedIntent[]): string[] {
  return list.map((u) => {
    const where = u.storeCloud === "aws" ? "AWS account" : "Azure tenant";
    const fix =
      u.storeCloud === "aws"
        ? `have the bucket's owner add a bucket policy admitting the consumer's role, or run the consumer in a zone of the store's account`
        : `run the consumer in a zone of the store's tenant`;
    return (
      `${u.id}: ${u.from} (zone ${u.fromZone}) may use ${u.to} (zone ${u.storeZone}) through its data proxy, but its ${u.fromCloud} identity is in another ${where} ` +
      `than the store, so the store refuses it (see "Cross-cloud data" in components/mesh/README.md). ` +
      `Fix: ${fix}, or move the product to a database engine (postgres, mysql) reached only through the proxy.`
    );
  });
}
