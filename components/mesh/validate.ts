/**
 * Eager validation of the mesh components' plain arguments: every problem, with the argument,
 * the value and the fix, before anything is created.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ArgChecker, show } from "../common/args";
import { durationSeconds, isDnsLabel, isDuration } from "../k8s";
import { buildMesh } from "../model";
import { ValidationError } from "../model/errors";
import type { MeshModel } from "../model/model";
import type { DomainSpec, MeshSpec, ZoneSpec } from "../model/types";
import type { ModelScope } from "../model/validate";
import { crossCloudStoreZones } from "./cross-cloud";
import { CONFIGMAP_MAX_BYTES, domainIntents, intentsConfigMapBytes, intentsJson } from "./intents";
import { ENTRA_JWT_SVID_TTL, ENTRA_MIN_JWT_SVID_TTL_SECONDS, MAX_JWT_SVID_TTL_SECONDS, defaultIssuerUrl } from "./zone";
import { peerDomains } from "./peers";
import type { DomainContract, DomainZoneInfra, HybridMeshArgs, IntentsDocument, MeshDomainArgs, StoreZoneInfra } from "./types";

/** Builds the model, reporting its issues under `args.<prefix>`. */
function modelOrIssues(c: ArgChecker, prefix: string, mesh: MeshSpec, domains: DomainSpec[], scope: ModelScope = {}): MeshModel | undefined {
  try {
    return buildMesh(mesh, domains, scope);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    c.add(e.issues.map((i) => ({ ...i, path: `${prefix}${i.path}` })));
    return undefined;
  }
}

function checkCluster(c: ArgChecker, path: string, cluster: unknown): void {
  c.check(k8s.Provider.isInstance(cluster), path, `must be the k8s.Provider of the zone's cluster, got ${cluster === undefined ? "undefined" : "another value"}`, "pass { cluster: new k8s.Provider(...) } for the zone");
}

function checkSigning(c: ArgChecker, signing: HybridMeshArgs["signing"] | undefined): void {
  c.check(/^[A-Za-z0-9._-]{1,64}$/.test(signing?.keyId ?? ""), "signing.keyId", `must be 1-64 of [A-Za-z0-9._-], got ${show(signing?.keyId)}`, 'e.g. "ztmesh-2026"');
  c.check(signing?.publicKeyPem !== undefined && signing?.privateKeyPem !== undefined, "signing", "needs publicKeyPem and privateKeyPem", "pass the RSA key pair's PEMs (private as a secret)");
}

/** An on-prem zone's `logStoreZone` must name a cloud zone (aws, azure or gcp): on-prem zones have no audit log store. */
function checkLogStoreZone(c: ArgChecker, id: string, value: unknown, declared: ReadonlyMap<string, ZoneSpec>): void {
  const path = `zones.${id}.logStoreZone`;
  const clouds = [...declared.values()].filter((z) => z.cloud !== "onprem").map((z) => z.id);
  const fix = clouds.length > 0 ? `use one of ${clouds.join(", ")} (a cloud zone in the same jurisdiction)` : "declare an aws, azure or gcp zone in mesh.zones to keep the on-prem zone's logs";
  const store = typeof value === "string" ? declared.get(value) : undefined;
  let problem: string | undefined;
  if (value === undefined) problem = `on-prem zone ${show(id)} needs the cloud zone (aws, azure or gcp) whose audit log store keeps its logs, got undefined`;
  else if (typeof value !== "string" || store === undefined) problem = `must name a zone of mesh.zones, got ${show(value)}`;
  else if (value === id) problem = `names the on-prem zone ${show(id)} itself, which has no audit log store`;
  else if (store.cloud === "onprem") problem = `names ${show(value)}, an on-prem zone, which has no audit log store`;
  c.check(problem === undefined, path, problem ?? "", fix);
}

/** `jwtSvidTtl`: a duration of at most a day; with an Azure zone, long enough for the Azure SDKs' token file reuse. */
function checkJwtSvidTtl(c: ArgChecker, ttl: unknown, zones: readonly ZoneSpec[]): void {
  if (ttl === undefined) return;
  if (!isDuration(ttl)) {
    c.check(false, "jwtSvidTtl", `must be a duration like "1h" or "45m", got ${show(ttl)}`);
    return;
  }
  const seconds = durationSeconds(ttl);
  c.check(seconds <= MAX_JWT_SVID_TTL_SECONDS, "jwtSvidTtl", `${show(ttl)} is longer than 24h`, 'Entra ID rejects longer-lived assertions (AADSTS70023); use "1h"');
  const azure = zones.filter((z) => z.cloud === "azure").map((z) => z.id);
  c.check(
    azure.length === 0 || seconds >= ENTRA_MIN_JWT_SVID_TTL_SECONDS,
    "jwtSvidTtl",
    `${show(ttl)} is too short for a mesh with the Azure zone(s) ${azure.join(", ")}: Azure SDKs reuse the JWT read from the token file for up to 10 minutes, and the file may hold a JWT with a quarter of its TTL left, so Entra ID could be handed an expired assertion (AADSTS700024)`,
    `use at least "45m" (the default with an Azure zone is "${ENTRA_JWT_SVID_TTL}")`,
  );
}

const isHttps = (v: unknown): boolean => typeof v === "string" && /^https:\/\/[^/?#\s]+[^?#\s]*$/.test(v);

/** Validates {@link HybridMeshArgs}; returns the model. Throws a ValidationError; creates nothing. */
export function validateHybridMesh(name: string, args: HybridMeshArgs): MeshModel {
  const c = new ArgChecker("HybridMesh", name);
  const model = modelOrIssues(c, "", args.mesh, []);
  const zones = args.zones ?? {};
  const declared = new Map((args.mesh?.zones ?? []).map((z) => [z.id, z]));
  for (const id of Object.keys(zones)) {
    c.check(declared.has(id), `zones.${id}`, `zone ${show(id)} is not declared in mesh.zones`, `remove it, or use one of ${[...declared.keys()].join(", ")}`);
  }
  for (const [id, zone] of declared) {
    const infra = zones[id];
    if (!infra) {
      c.check(false, `zones.${id}`, `zone ${show(id)} of mesh.zones has no infrastructure`, `pass zones["${id}"] = { cluster: <k8s.Provider> }`);
      continue;
    }
    checkCluster(c, `zones.${id}.cluster`, infra.cluster);
    if (infra.issuerUrl !== undefined) c.check(isHttps(infra.issuerUrl), `zones.${id}.issuerUrl`, `must be an https URL without query or fragment, got ${show(infra.issuerUrl)}`, "omit it for https://oidc.<zone>.<trustDomain>");
    if (zone.cloud === "onprem") {
      c.check(isHttps(infra.bundleServerUrl), `zones.${id}.bundleServerUrl`, `on-prem zone ${show(id)} needs the https URL of its bundle server, got ${show(infra.bundleServerUrl)}`, 'e.g. "https://opa-bundles.dc1.acme.example"');
      checkLogStoreZone(c, id, infra.logStoreZone, declared);
    } else {
      c.check(infra.bundleServerUrl === undefined, `zones.${id}.bundleServerUrl`, `only applies to on-prem zones, but ${show(id)} is ${zone.cloud}`, "remove it: the zone's bundle store is a bucket in its cloud");
      c.check(infra.logStoreZone === undefined, `zones.${id}.logStoreZone`, `only applies to on-prem zones, but ${show(id)} is ${zone.cloud}`, "remove it: a cloud zone keeps its logs in its own store");
    }
  }
  // Each zone runs its own SPIRE server: one issuer URL per zone (clouds trust them per URL).
  const issuers = new Map<string, string>();
  for (const [id] of declared) {
    const url = zones[id]?.issuerUrl ?? defaultIssuerUrl(id, String(args.mesh?.trustDomain));
    const norm = typeof url === "string" ? url.replace(/\/+$/, "") : url;
    const other = issuers.get(norm);
    c.check(other === undefined, `zones.${id}.issuerUrl`, `zone ${show(id)} publishes the issuer ${show(url)} of zone ${show(other)}`, "give every zone its own issuer URL (each zone runs its own SPIRE server), or omit it for https://oidc.<zone>.<trustDomain>");
    if (other === undefined) issuers.set(norm, id);
  }
  c.check(args.lockRetention === undefined || typeof args.lockRetention === "boolean", "lockRetention", `must be a plain boolean, got ${show(args.lockRetention)}`, "pass true (production) or false");
  c.check(args.upstreamCa?.certificate !== undefined && args.upstreamCa?.privateKey !== undefined, "upstreamCa", "needs certificate and privateKey", "pass the shared upstream CA's PEMs (key as a secret)");
  checkSigning(c, args.signing);
  for (const [domain, ids] of Object.entries(args.domains ?? {})) {
    c.check(isDnsLabel(domain), `domains.${domain}`, `must be a domain name (DNS-1123 label), got ${show(domain)}`);
    c.check(Array.isArray(ids), `domains.${domain}`, `must list the zones where the domain publishes its bundle, got ${show(ids)}`, "use MeshDomain.bundleZones");
    for (const [i, z] of (Array.isArray(ids) ? ids : []).entries()) {
      c.check(declared.has(z), `domains.${domain}[${i}]`, `unknown zone ${show(z)}`, `use one of ${[...declared.keys()].join(", ")}`);
    }
  }
  // Mesh deny rules may name domains the platform holds no spec of (they are enforced by the
  // stacks that hold them), but only onboarded ones: a misspelt domain would match nothing anywhere.
  const onboarded = Object.keys(args.domains ?? {});
  for (const [i, rule] of (Array.isArray(args.mesh?.denyRules) ? args.mesh.denyRules : []).entries()) {
    for (const field of ["from", "to"] as const) {
      const ref: unknown = (rule as unknown as Record<string, unknown> | undefined)?.[field];
      if (typeof ref !== "string" || !ref.includes("/")) continue;
      const domain = ref.slice(0, ref.indexOf("/"));
      c.check(
        onboarded.includes(domain),
        `mesh.denyRules[${i}].${field}`,
        `names domain ${show(domain)}, which is not onboarded (domains: ${onboarded.join(", ") || "none"})`,
        `onboard it in \`domains\` or fix the reference ${show(ref)}`,
      );
    }
  }
  for (const k of ["gatewayReplicas", "collectorReplicas"] as const) {
    const v = args[k];
    if (v !== undefined) c.check(Number.isInteger(v) && v >= 2, k, `must be an integer >= 2, got ${show(v)}`, "one replica must be able to fail");
  }
  checkJwtSvidTtl(c, args.jwtSvidTtl, [...declared.values()]);
  c.done();
  return model!;
}

/** The zones where a domain has services or data products, sorted. */
export function domainZones(model: MeshModel, domain: string): string[] {
  const zones = new Set<string>();
  for (const s of model.services.values()) if (s.domain === domain) zones.add(s.zone);
  for (const p of model.dataProducts.values()) if (p.domain === domain) zones.add(p.zone);
  return [...zones].sort();
}

/** The zones whose object stores the domain uses from another cloud, without its own zones (mesh order). */
export function storeOnlyZones(model: MeshModel, domain: string): string[] {
  const own = domainZones(model, domain);
  return crossCloudStoreZones(model, domain).filter((z) => !own.includes(z));
}

const isContract = (x: DomainContract | undefined): x is DomainContract => x?.version === 1 && typeof x?.domain === "object";

/**
 * The zones a domain stack must pass in `storeZones` (a cloud provider each): those where the
 * domain has no workloads but holds object-store products its workloads of another cloud use.
 * Computed from the same declarations as {@link MeshDomain}; empty when they are invalid (the
 * MeshDomain then reports why).
 */
export function meshDomainStoreZones(args: Pick<MeshDomainArgs, "platform" | "domain" | "peers" | "others">): string[] {
  if (args.platform?.version !== 1) return [];
  const others = peerDomains(args.domain?.name, args.others ?? [], (args.peers ?? []).filter(isContract));
  try {
    return storeOnlyZones(buildMesh(args.platform.mesh, [args.domain, ...others], { focus: args.domain?.name }), args.domain.name);
  } catch (e) {
    if (e instanceof ValidationError) return [];
    throw e;
  }
}

/** `storeZones`: exactly one entry per zone whose stores the domain's cross-cloud consumers use. */
function checkStoreZones(c: ArgChecker, m: MeshModel, domain: string, own: readonly string[], given: Record<string, StoreZoneInfra>): void {
  const store = storeOnlyZones(m, domain);
  const list = store.join(", ") || "none";
  for (const [id, infra] of Object.entries(given)) {
    if (own.includes(id)) {
      c.check(false, `storeZones.${id}`, `zone ${show(id)} is already in zones (the domain has workloads there)`, `remove storeZones["${id}"]: the identities use zones["${id}"].cloudProvider`);
      continue;
    }
    c.check(store.includes(id), `storeZones.${id}`, `domain ${show(domain)} uses no object store of zone ${show(id)} from another cloud`, `remove it (the zones it needs: ${list}; see meshDomainStoreZones)`);
    const p = infra?.cloudProvider;
    c.check(p === undefined || pulumi.ProviderResource.isInstance(p), `storeZones.${id}.cloudProvider`, `must be the cloud provider of zone ${show(id)}'s account, got another value`, "pass the aws, gcp or azure-native Provider, or omit it for the default provider");
  }
  for (const id of store) {
    const zone = m.zones.find((z) => z.id === id)!;
    c.check(
      given[id] !== undefined,
      `storeZones.${id}`,
      `the domain's workloads of other clouds use object stores of zone ${show(id)} (${zone.cloud}), where their identities must be created, but no entry was given`,
      `pass storeZones["${id}"] = { cloudProvider: <the ${zone.cloud} provider of that account> } (or {} for the default provider); meshDomainStoreZones(args) lists the zones`,
    );
  }
}

/** The domain's intents document and its `intents.json`, once validated (see {@link checkMeshDomain}). */
export interface DomainIntents {
  doc: IntentsDocument;
  text: string;
}

/** The domain's `intents.json` must fit in its ConfigMap, which the API server would refuse at `pulumi up`. */
function checkIntentsSize(c: ArgChecker, m: MeshModel, domain: string): DomainIntents {
  const doc = domainIntents(m, domain);
  const text = intentsJson(doc);
  const bytes = intentsConfigMapBytes(text);
  c.check(
    bytes <= CONFIGMAP_MAX_BYTES,
    "domain.intents",
    `the ${doc.intents.length} intents of domain ${show(domain)} and towards it take ${bytes} bytes in its intents ConfigMap, over Kubernetes' limit of ${CONFIGMAP_MAX_BYTES} bytes (1 MiB)`,
    "split the domain into smaller domains: each publishes its own intents ConfigMap",
  );
  return { doc, text };
}

/** Validates {@link MeshDomainArgs}; returns the model. Throws a ValidationError; creates nothing. */
export function validateMeshDomain(name: string, args: MeshDomainArgs): MeshModel {
  return checkMeshDomain(name, args).model;
}

/** {@link validateMeshDomain}, also returning what it computed that MeshDomain writes (the intents). */
export function checkMeshDomain(name: string, args: MeshDomainArgs): { model: MeshModel; intents: DomainIntents } {
  const c = new ArgChecker("MeshDomain", name);
  const p = args.platform;
  c.check(p?.version === 1, "platform.version", `expected the platform contract version 1, got ${show(p?.version)}`, "read the platform stack's `contract` output with a ztmesh version that writes version 1");
  if (p?.version !== 1) c.done();
  for (const [i, peer] of (args.peers ?? []).entries()) {
    c.check(isContract(peer), `peers[${i}]`, `expected a domain contract version 1, got version ${show(peer?.version)}`, "pass the peer stack's `contract` output, deployed with a ztmesh version that writes version 1");
  }
  const others = peerDomains(args.domain?.name, args.others ?? [], (args.peers ?? []).filter(isContract));
  // The domain's own view: the peers' intents towards it, not their other intents.
  const model = modelOrIssues(c, "", p.mesh, [args.domain, ...others], { focus: args.domain?.name });
  if (!model) c.done();
  const m = model!;
  const needed = domainZones(m, args.domain.name);
  const zones: Record<string, DomainZoneInfra> = args.zones ?? {};
  for (const id of Object.keys(zones)) {
    c.check(needed.includes(id), `zones.${id}`, `domain ${show(args.domain.name)} has no workloads in zone ${show(id)}`, `remove it (the domain's zones: ${needed.join(", ") || "none"})`);
  }
  for (const id of needed) {
    if (!zones[id]) c.check(false, `zones.${id}`, `the domain has workloads in zone ${show(id)} but no infrastructure for it`, `pass zones["${id}"] = { cluster: <k8s.Provider> }`);
    else checkCluster(c, `zones.${id}.cluster`, zones[id].cluster);
    const z = p.zones.find((x) => x.id === id);
    c.check(z !== undefined && z.bundleStore !== undefined, `platform.zones`, `the platform contract has no bundle store for zone ${show(id)}`, "deploy the platform stack with this zone first");
  }
  checkStoreZones(c, m, args.domain.name, needed, args.storeZones ?? {});
  const intents = checkIntentsSize(c, m, args.domain.name);
  checkSigning(c, args.signing);
  if (args.proxyReplicas !== undefined) c.check(Number.isInteger(args.proxyReplicas) && args.proxyReplicas >= 2, "proxyReplicas", `must be an integer >= 2, got ${show(args.proxyReplicas)}`);
  c.done();
  return { model: m, intents };
}
