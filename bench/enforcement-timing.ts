/**
 * Timings over a mesh model (bench/enforcement.ts prints them):
 * - the tracer (components/trace, through its public API): `snapshotFromModel`, then `checkMesh`,
 *   which traces every declared intent and its near misses (another method, a path outside,
 *   another source, callers from outside the mesh) and holds each outcome to the declarations;
 * - the policy engine's decision (`decide`, the twin of the Rego) at one destination with only
 *   its domain's bundle loaded, and with every domain's bundle loaded.
 */
import { compileWorkloadProxy } from "../components/compile/envoy";
import { decide, type CheckInput, type OpaZoneBundles, type ZtmeshData } from "../components/compile/opa";
import type { MeshModel } from "../components/model";
import { checkFailures, checkMesh, snapshotFromModel } from "../components/trace";

export interface TraceTiming {
  snapshotMs: number;
  traceMs: number;
  traces: number;
  /** Traces expected delivered (the intents) and stopped (their near misses). */
  delivered: number;
  stopped: number;
  /** Traces whose outcome differs from the declarations' (must be 0), with the first few. */
  failures: string[];
}

/** Builds the snapshot, then `checkMesh`: every intent and its near misses traced and held to the declarations. */
export function traceTiming(model: MeshModel): TraceTiming {
  const t0 = performance.now();
  const snapshot = snapshotFromModel(model);
  const t1 = performance.now();
  const checks = checkMesh(snapshot, model);
  const t2 = performance.now();
  const delivered = checks.filter((c) => c.expected === "delivered").length;
  return { snapshotMs: t1 - t0, traceMs: t2 - t1, traces: checks.length, delivered, stopped: checks.length - delivered, failures: checkFailures(checks) };
}

export interface DecideTiming {
  destination: string;
  inputs: number;
  domainsLoaded: [number, number];
  /** Microseconds per decision, median of the rounds, with only the destination's domain bundle and with every domain's. */
  usPerDecision: [number, number];
  /** Inputs decided differently with more bundles loaded (must be 0). */
  differ: number;
}

const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/**
 * `decide` at the service most intents target: its intents' requests and a near miss each, with
 * one domain bundle loaded and with all of them (the bundles of every zone, each domain's own),
 * interleaved over `rounds` rounds of `perRound` decisions each.
 */
export function decideTiming(model: MeshModel, bundles: readonly OpaZoneBundles[], perRound = 40_000, rounds = 5): DecideTiming {
  const count = new Map<string, number>();
  for (const i of model.intents) if (i.kind === "call") count.set(i.to, (count.get(i.to) ?? 0) + 1);
  const [key] = [...count.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  const svc = model.services.get(key)!;
  const zone = bundles.find((b) => b.zone === svc.zone)!;
  const own = zone.domains[svc.domain];
  const one: ZtmeshData = { platform: zone.platform.data, domains: { [svc.domain]: own.data } };
  const all: ZtmeshData = { platform: zone.platform.data, domains: {} };
  for (const b of bundles) for (const [d, bundle] of Object.entries(b.domains)) all.domains[d] ??= bundle.data;
  all.domains[svc.domain] = own.data;
  // destination.labels: the node metadata the proxy's ext_authz sends (bootstrap_metadata_labels_key).
  const node = compileWorkloadProxy(model, key).node as { metadata?: Record<string, Record<string, string>> };
  const labels = Object.values(node.metadata ?? {})[0] ?? {};
  const inputs: CheckInput[] = [];
  for (const i of model.intents) {
    if (i.kind !== "call" || i.to !== key || i.source.kind !== "workload") continue;
    const request = (method: string, path: string): CheckInput => ({
      attributes: { source: { principal: i.source.kind === "workload" ? i.source.spiffeId : undefined }, destination: { principal: svc.spiffeId, labels }, request: { http: { method, path, host: `${svc.host}:${svc.ports[0].port}` } } },
    });
    inputs.push(request(i.methods[0], i.paths[0]), request("DELETE", i.paths[0]));
  }
  const differ = inputs.filter((x) => JSON.stringify(decide(one, x)) !== JSON.stringify(decide(all, x))).length;
  const time = (data: ZtmeshData): number => {
    const started = performance.now();
    for (let k = 0; k < perRound; k++) decide(data, inputs[k % inputs.length]);
    return ((performance.now() - started) * 1000) / perRound;
  };
  time(one); // warm-up
  time(all);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(time(one));
    b.push(time(all));
  }
  return { destination: key, inputs: inputs.length, domainsLoaded: [1, Object.keys(all.domains).length], usPerDecision: [medianOf(a), medianOf(b)], differ };
}
