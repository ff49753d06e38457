/**
 * Who may talk to whom inside one zone, derived from the intents: the shared input of the
 * workload and system NetworkPolicy compilers. Pure; sorted by workload key.
 */
import type { DataProduct, MeshModel, Service, Workload } from "../../model/model";

/** A workload located in the zone with the ports it listens on (TCP). */
export interface ZoneWorkload {
  workload: Workload;
  /** Listener ports, ascending, deduplicated. */
  ports: number[];
  /** Set for a data proxy: the product whose store it fronts. */
  product?: DataProduct;
}

/** A destination workload of the zone that at least one intent permits. */
export interface PlannedDestination extends ZoneWorkload {
  /** Permitted sources running in the same zone, sorted by key. */
  sameZoneSources: Service[];
  /** True when a `*` intent targets it (every mesh pod may connect). */
  anySource: boolean;
  /** True when traffic may arrive through the zone gateway (a cross-zone or `*` source). */
  viaGateway: boolean;
}

/** A source workload of the zone that at least one intent lets call something. */
export interface PlannedSource {
  workload: Service;
  /** Same-zone destinations, sorted by key. */
  sameZoneDestinations: ZoneWorkload[];
  /** True when at least one destination is in another zone (reached through the gateway). */
  viaGateway: boolean;
  /** The zones of those destinations (their gateways are the next hop), sorted. */
  remoteZones: string[];
}

/** The zone's traffic plan. */
export interface ZonePlan {
  zoneId: string;
  /** Every workload (services and data proxies) in the zone, sorted by key. */
  workloads: ZoneWorkload[];
  destinations: PlannedDestination[];
  sources: PlannedSource[];
}

const byKey = <T extends { key: string }>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The workload an intent's destination key designates: the service, or the product's data proxy. */
function destinationOf(model: MeshModel, to: string): ZoneWorkload | undefined {
  const svc = model.services.get(to);
  if (svc) return { workload: svc, ports: [...new Set(svc.ports.map((p) => p.port))].sort((a, b) => a - b) };
  const product = model.dataProducts.get(to);
  if (product) return { workload: product.proxy, ports: [product.port], product };
  return undefined;
}

/**
 * Plans the traffic of zone `zoneId`. A data proxy listens on its product's port
 * (the store port for databases, 443 for object stores).
 */
export function planZone(model: MeshModel, zoneId: string): ZonePlan {
  const workloads: ZoneWorkload[] = [];
  for (const svc of model.services.values()) if (svc.zone === zoneId) workloads.push(destinationOf(model, svc.key)!);
  for (const p of model.dataProducts.values()) if (p.zone === zoneId) workloads.push(destinationOf(model, p.key)!);
  workloads.sort((a, b) => byKey(a.workload, b.workload));

  const allServices = [...model.services.values()].sort(byKey);
  // destination workload key -> sources; source service key -> destinations
  const inbound = new Map<string, { sources: Map<string, Service>; any: boolean }>();
  const outbound = new Map<string, Map<string, ZoneWorkload>>();
  for (const intent of model.intents) {
    const dest = destinationOf(model, intent.to);
    if (!dest) continue;
    const sources =
      intent.source.kind === "any"
        ? allServices
        : [model.services.get(intent.source.key)].filter((s): s is Service => s !== undefined);
    const entry = inbound.get(dest.workload.key) ?? { sources: new Map<string, Service>(), any: false };
    if (intent.source.kind === "any") entry.any = true;
    else for (const s of sources) entry.sources.set(s.key, s);
    inbound.set(dest.workload.key, entry);
    for (const s of sources) {
      const out = outbound.get(s.key) ?? new Map<string, ZoneWorkload>();
      out.set(dest.workload.key, dest);
      outbound.set(s.key, out);
    }
  }

  const destinations: PlannedDestination[] = [];
  for (const w of workloads) {
    const entry = inbound.get(w.workload.key);
    if (!entry) continue;
    const sources = [...entry.sources.values()].sort(byKey);
    const sameZoneSources = sources.filter((s) => s.zone === zoneId);
    const viaGateway = entry.any || sources.some((s) => s.zone !== zoneId);
    destinations.push({ ...w, sameZoneSources, anySource: entry.any, viaGateway });
  }

  const sources: PlannedSource[] = [];
  for (const w of workloads) {
    const svc = model.services.get(w.workload.key);
    const out = svc && svc.key === w.workload.key && !w.product ? outbound.get(svc.key) : undefined;
    if (!svc || !out || out.size === 0) continue;
    const dests = [...out.values()].sort((a, b) => byKey(a.workload, b.workload));
    sources.push({
      workload: svc,
      sameZoneDestinations: dests.filter((d) => d.workload.zone === zoneId),
      viaGateway: dests.some((d) => d.workload.zone !== zoneId),
      remoteZones: [...new Set(dests.map((d) => d.workload.zone).filter((z) => z !== zoneId))].sort(),
    });
  }
  return { zoneId, workloads, destinations, sources };
}
