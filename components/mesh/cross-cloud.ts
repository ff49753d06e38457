/**
 * Cross-cloud data: what a domain must federate in the clouds of the object stores its
 * workloads use from another cloud (or from on-prem), and which OIDC providers the platform
 * must create in AWS accounts so that those identities can trust the consumer zone's issuer.
 * Pure: nothing here creates resources (see components/mesh/README.md, "Cross-cloud data").
 */
import { compileIam, type IamDocuments } from "../compile/iam";
import { federationFor } from "../identity/workloads";
import type { FederatedWorkload } from "../identity/types";
import { defaultPoolId } from "../identity/gcp";
import { issuerHostPath, normalizeIssuer } from "../identity/core";
import type { MeshModel, Zone } from "../model/model";

/** The clouds an object store can live in. */
export type StoreCloud = "aws" | "azure" | "gcp";

/**
 * The cloud account a zone's cloud identities live in: AWS `aws:<partition>:<account id>`
 * (IAM roles and OIDC providers are account-wide), GCP `gcp:<project>` (service accounts and
 * pools are per project), Azure `azure:<subscription>/<resource group>` (user-assigned
 * identities are per resource group). Undefined on-prem.
 */
export function accountKey(zone: Zone): string | undefined {
  switch (zone.cloud) {
    case "aws":
      return `aws:${zone.aws?.partition ?? "aws"}:${zone.aws?.accountId ?? ""}`;
    case "gcp":
      return `gcp:${zone.gcp?.project ?? ""}`;
    case "azure":
      return `azure:${zone.azure?.subscriptionId ?? ""}/${zone.azure?.resourceGroupName ?? ""}`;
    default:
      return undefined;
  }
}

/** The ARN of the IAM OIDC provider for `issuerUrl` in an AWS zone's account (one per account and URL). */
export function awsOidcProviderArn(zone: Zone, issuerUrl: string): string {
  return `arn:${zone.aws?.partition ?? "aws"}:iam::${zone.aws?.accountId ?? ""}:oidc-provider/${issuerHostPath(issuerUrl)}`;
}

/**
 * The GCP workload identity pool a domain creates in a store zone's project for its workloads
 * of `sourceZone`: `ztmesh-<source zone>-<domain>`, hash-shortened to 32 characters. The target
 * project is where the pool lives, so (project, source zone, domain) names it uniquely.
 */
export function crossCloudPoolId(sourceZone: string, domain: string): string {
  return defaultPoolId({ id: `${sourceZone}-${domain}` });
}

/** One federation a domain creates in a store's cloud account for its workloads of one zone. */
export interface CrossCloudFederation {
  /** The zone of the consuming workloads: its issuer is what the target account trusts. */
  sourceZone: string;
  /** The first (in mesh order) of `targetZones`: its settings (account, region) and provider are used. */
  targetZone: string;
  /** Every zone of that cloud account holding a product the workloads use, in mesh order. */
  targetZones: string[];
  cloud: StoreCloud;
  /** The consuming workloads of `sourceZone`, sorted by key. */
  workloads: FederatedWorkload[];
  /** Exactly their grants on the products of `targetZones` (nothing of other accounts). */
  documents: IamDocuments;
  /** Ids of the intents these grants serve, sorted. */
  intents: string[];
}

function emptyDocuments(): IamDocuments {
  return { aws: {}, azure: {}, gcp: {} };
}

/** Merges the per-zone grants of one workload in one account (the zones hold distinct products). */
function mergeInto(into: IamDocuments, from: IamDocuments, cloud: StoreCloud, key: string): void {
  if (cloud === "aws") {
    const add = from.aws[key];
    const have = into.aws[key];
    into.aws[key] = have ? { ...have, policy: { ...have.policy, Statement: [...have.policy.Statement, ...add.policy.Statement] } } : add;
  } else if (cloud === "azure") {
    const add = from.azure[key];
    const have = into.azure[key];
    into.azure[key] = have ? { ...have, roleAssignments: [...have.roleAssignments, ...add.roleAssignments] } : add;
  } else {
    const add = from.gcp[key];
    const have = into.gcp[key];
    into.gcp[key] = have ? { ...have, bindings: [...have.bindings, ...add.bindings] } : add;
  }
}

/**
 * The federations `domain` needs in other clouds: for each of its services and each cloud
 * account (see {@link accountKey}) of another cloud than the service's zone (on-prem included)
 * where an intent grants it access to an object-store product, one identity in that account,
 * trusting the service zone's issuer, with only that account's grants. Services of one zone
 * share one federation per account; two zones of one account share one identity (IAM role
 * names, service account ids and identity names are unique per account). Same-cloud grants stay
 * with the zone's own federation. Sorted by source zone, then target zone (mesh order).
 * `iam`: `compileIam(model)` when the caller has it already (compiled here by default).
 */
export function crossCloudFederations(model: MeshModel, domain: string, iam: IamDocuments = compileIam(model)): CrossCloudFederation[] {
  const order = new Map(model.zones.map((z, i) => [z.id, i]));
  const zoneById = new Map(model.zones.map((z) => [z.id, z]));
  const groups = new Map<string, CrossCloudFederation>();
  for (const target of model.zones) {
    if (target.cloud === "onprem") continue;
    const cloud: StoreCloud = target.cloud;
    const here = federationFor(model, target.id, iam);
    for (const w of here.workloads) {
      const svc = model.services.get(w.key);
      const source = svc ? zoneById.get(svc.zone) : undefined;
      if (!svc || !source || svc.domain !== domain || source.cloud === cloud) continue;
      const id = `${source.id}\n${accountKey(target)}`;
      const group = groups.get(id) ?? { sourceZone: source.id, targetZone: target.id, targetZones: [], cloud, workloads: [], documents: emptyDocuments(), intents: [] };
      if (!group.targetZones.includes(target.id)) group.targetZones.push(target.id);
      if (!group.workloads.some((x) => x.key === w.key)) group.workloads.push(w);
      mergeInto(group.documents, here.documents, cloud, w.key);
      groups.set(id, group);
    }
  }
  for (const g of groups.values()) {
    g.workloads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const keys = new Set(g.workloads.map((w) => w.key));
    const ids = new Set<string>();
    for (const i of model.intents) {
      if (i.kind !== "data" || !g.targetZones.includes(model.dataProducts.get(i.to)?.zone ?? "")) continue;
      const engine = model.dataProducts.get(i.to)?.engine;
      if (engine !== "s3" && engine !== "gcs" && engine !== "blob") continue;
      const sources = i.source.kind === "any" ? [...keys] : [i.source.key];
      if (sources.some((k) => keys.has(k))) ids.add(i.id);
    }
    g.intents = [...ids].sort();
  }
  return [...groups.values()].sort((a, b) => order.get(a.sourceZone)! - order.get(b.sourceZone)! || order.get(a.targetZone)! - order.get(b.targetZone)!);
}

/** The zones holding products `domain` uses from another cloud (they need a cloud provider in its stack), in mesh order. */
export function crossCloudStoreZones(model: MeshModel, domain: string): string[] {
  const zones = new Set(crossCloudFederations(model, domain).flatMap((f) => f.targetZones));
  return model.zones.map((z) => z.id).filter((id) => zones.has(id));
}

/** A zone of the platform with the issuer URL it publishes (plain). */
export interface ZoneIssuer {
  zone: Zone;
  issuerUrl: string;
  /** On-prem zones: the zone keeping their logs (preferred host of their provider in that account). */
  logStoreZone?: string;
}

/** An IAM OIDC provider the platform creates in an AWS account for another zone's issuer. */
export interface AwsTrustedIssuer {
  /** The AWS zone whose account and cloud provider hold the provider. */
  hostZone: string;
  /** The zone whose issuer it trusts (the first zone publishing that URL, in mesh order). */
  sourceZone: string;
  /** The issuer URL as the source zone publishes it. */
  issuerUrl: string;
  /** `arn:<partition>:iam::<account>:oidc-provider/<issuer host/path>`. */
  arn: string;
}

/**
 * The IAM OIDC providers the platform creates so that every AWS account of the mesh trusts
 * every zone's issuer (domains federate cross-cloud consumers there; on-prem collectors write
 * logs there), exactly once per account and issuer URL: an AWS zone's own federation already
 * creates its own issuer's provider in its account, so that pair is skipped; two AWS zones of
 * one account share the others. (Zones publish distinct issuer URLs: HybridMesh validates it.) The host of a provider is the source's `logStoreZone` when
 * that zone is in the account (the provider's historical place), else the account's first
 * AWS zone. Sorted by source zone, then host zone (mesh order).
 */
export function awsTrustedIssuers(zones: readonly ZoneIssuer[]): AwsTrustedIssuer[] {
  const aws = zones.filter((z) => z.zone.cloud === "aws");
  const accounts = new Map<string, ZoneIssuer[]>();
  for (const z of aws) accounts.set(accountKey(z.zone)!, [...(accounts.get(accountKey(z.zone)!) ?? []), z]);
  const out: AwsTrustedIssuer[] = [];
  for (const members of accounts.values()) {
    const present = new Set(members.map((m) => normalizeIssuer(m.issuerUrl)));
    for (const source of zones) {
      const url = normalizeIssuer(source.issuerUrl);
      if (present.has(url)) continue;
      present.add(url);
      const host = members.find((m) => m.zone.id === source.logStoreZone) ?? members[0];
      out.push({ hostZone: host.zone.id, sourceZone: source.zone.id, issuerUrl: source.issuerUrl, arn: awsOidcProviderArn(host.zone, source.issuerUrl) });
    }
  }
  const order = new Map(zones.map((z, i) => [z.zone.id, i]));
  return out.sort((a, b) => order.get(a.sourceZone)! - order.get(b.sourceZone)! || order.get(a.hostZone)! - order.get(b.hostZone)!);
}
