/**
 * Normalizes a validated declaration into a {@link MeshModel}: applies defaults, resolves
 * references and derives SPIFFE IDs. `buildMesh` (index.ts) validates first; calling
 * `resolveMesh` on an invalid spec is a programming error.
 */
import { DEFAULTS, ENGINE_PORT } from "./defaults";
import type {
  DataIntent,
  DataProduct,
  DenyRule,
  Domain,
  Intent,
  MeshModel,
  Port,
  Service,
  Source,
  Workload,
  Zone,
} from "./model";
import { spiffeId } from "./spiffe";
import { inScope, type ModelScope } from "./validate";
import { type DenyRuleSpec, type DomainSpec, type MeshSpec, isDataIntent } from "./types";

/** The wildcard source: every workload of the mesh. */
export const ANY_SOURCE = "*";

/** Resolves a reference made inside `domain` to a `<domain>/<name>` key. */
export function refKey(domain: string, ref: string): string {
  return ref.includes("/") ? ref : `${domain}/${ref}`;
}

/** Splits a `<domain>/<name>` key. */
export function splitKey(key: string): { domain: string; name: string } {
  const i = key.indexOf("/");
  return { domain: key.slice(0, i), name: key.slice(i + 1) };
}

/** The service account of a data product's proxy. */
export function proxyServiceAccount(product: string): string {
  return `${product}-proxy`;
}

/** `o` without its undefined fields, so that spreading it over defaults keeps the defaults. */
function definedFields<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function resolveMesh(mesh: MeshSpec, domainSpecs: readonly DomainSpec[], scope: ModelScope = {}): MeshModel {
  const td = mesh.trustDomain;
  const zones: Zone[] = mesh.zones.map((z) => ({
    ...z,
    failureZones: [...z.failureZones],
    gateway: { host: z.gateway?.host ?? `gateway.${z.id}.${mesh.trustDomain}`, cidrs: [...(z.gateway?.cidrs ?? [])] },
  }));
  const services = new Map<string, Service>();
  const dataProducts = new Map<string, DataProduct>();
  const domains: Domain[] = [];

  for (const d of domainSpecs) {
    const exported = new Set(d.exports ?? []);
    const domain: Domain = { name: d.name, owner: d.owner, services: [], dataProducts: [] };
    for (const s of d.services) {
      const namespace = s.namespace ?? d.name;
      const serviceAccount = s.serviceAccount ?? s.name;
      const key = `${d.name}/${s.name}`;
      const ports: Port[] = s.ports.map((p) => {
        const protocol = p.protocol ?? DEFAULTS.portProtocol;
        return { port: p.port, protocol, name: p.name ?? `${protocol}-${p.port}` };
      });
      services.set(key, {
        kind: "service",
        key,
        domain: d.name,
        name: s.name,
        zone: s.zone,
        namespace,
        serviceAccount,
        spiffeId: spiffeId(td, namespace, serviceAccount),
        ports,
        exported: exported.has(s.name),
        host: `${s.name}.${namespace}.svc.cluster.local`,
      });
      domain.services.push(key);
    }
    for (const p of d.dataProducts ?? []) {
      const namespace = p.namespace ?? d.name;
      const key = `${d.name}/${p.name}`;
      const sa = proxyServiceAccount(p.name);
      const proxy: Workload = {
        key: `${d.name}/${sa}`,
        domain: d.name,
        name: sa,
        zone: p.zone,
        namespace,
        serviceAccount: sa,
        spiffeId: spiffeId(td, namespace, sa),
      };
      dataProducts.set(key, {
        kind: "data",
        key,
        domain: d.name,
        name: p.name,
        zone: p.zone,
        engine: p.engine,
        sensitivity: p.sensitivity,
        owner: p.owner,
        residency: p.residency,
        schemaVersion: p.schemaVersion,
        namespace,
        location: p.location ?? `${d.name}-${p.name}`,
        port: p.port ?? ENGINE_PORT[p.engine],
        exported: exported.has(p.name),
        proxy,
      });
      domain.dataProducts.push(key);
    }
    domains.push(domain);
  }

  const source = (domain: string, ref: string | undefined): Source => {
    if (ref === undefined || ref === ANY_SOURCE) return { kind: "any" };
    const key = refKey(domain, ref);
    const svc = services.get(key);
    if (!svc) throw new Error(`resolveMesh: unresolved source "${ref}" in domain "${domain}" (validate first)`);
    return { kind: "workload", key, spiffeId: svc.spiffeId };
  };

  const intents: Intent[] = [];
  for (const d of domainSpecs) {
    (d.intents ?? []).forEach((spec, i) => {
      if (!inScope(scope, d.name, spec)) return;
      const id = `${d.name}#${i}`;
      if (isDataIntent(spec)) {
        const intent: DataIntent = {
          kind: "data",
          id,
          domain: d.name,
          source: source(d.name, spec.from),
          to: refKey(d.name, spec.data),
          access: [...(spec.access ?? DEFAULTS.dataAccess)],
        };
        intents.push(intent);
      } else {
        intents.push({
          kind: "call",
          id,
          domain: d.name,
          source: source(d.name, spec.from),
          to: refKey(d.name, spec.to),
          methods: [...(spec.methods ?? DEFAULTS.callMethods)],
          paths: [...(spec.paths ?? DEFAULTS.callPaths)],
        });
      }
    });
  }

  const deny = (scope: string, spec: DenyRuleSpec, i: number): DenyRule => ({
    id: `${scope}#${i}`,
    scope,
    source: source(scope, spec.from),
    to: spec.to === undefined ? undefined : refKey(scope, spec.to),
    methods: spec.methods ? [...spec.methods] : undefined,
    paths: spec.paths ? [...spec.paths] : undefined,
    reason: spec.reason,
  });
  // A mesh-level rule naming a workload or destination of a domain this model does not hold
  // applies in the stacks that hold it (each domain stack's model has the mesh's rules).
  const known = (ref: string | undefined): boolean => ref === undefined || ref === ANY_SOURCE || services.has(ref) || dataProducts.has(ref);
  const denyRules: DenyRule[] = [
    ...(mesh.denyRules ?? []).flatMap((r, i) => (known(r.from) && known(r.to) ? [deny("global", r, i)] : [])),
    ...domainSpecs.flatMap((d) => (scope.focus === undefined || d.name === scope.focus ? (d.denyRules ?? []).map((r, i) => deny(d.name, r, i)) : [])),
  ];

  return {
    trustDomain: td,
    zones,
    policyEngine: { ...DEFAULTS.policyEngine, ...definedFields(mesh.policyEngine) },
    logRetention: { ...DEFAULTS.logRetention, ...definedFields(mesh.logRetention) },
    domains,
    services,
    dataProducts,
    intents,
    denyRules,
  };
}
