/**
 * Timings over a mesh model (bench/enforcement.ts prints them):
 * - the tracer (components/trace, through its public API): `snapshotFromModel`, then
 *   `buildRequest` + `traceRequest` for every declared intent and its near misses (another
 *   method, a path outside, another source); each outcome is checked against the model (delivered
 *   exactly when an intent allows it);
 * - the policy engine's decision (`decide`, the twin of the Rego) at one destination with only
 *   its domain's bundle loaded, and with every domain's bundle loaded.
 */
import { compileWorkloadProxy } from "../components/compile/envoy";
import { decide, type CheckInput, type OpaZoneBundles, type ZtmeshData } from "../components/compile/opa";
import type { CallIntent, Intent, MeshModel } from "../components/model";
import { buildRequest, snapshotFromModel, traceRequest, type RequestArgs } from "../components/trace";

/** One request to trace and whether the model allows it. */
interface TraceCase {
  args: RequestArgs;
  expect: boolean;
  what: "intent" | "method" | "path" | "source";
}

const METHODS = ["DELETE", "PUT", "PATCH", "GET", "POST"] as const;
const OUTSIDE = "/near-miss-outside";

/** Whether the model's intents let `from` make this request (the bench mesh declares no deny rules). */
function allowedByModel(byDestination: Map<string, Intent[]>, from: string, to: string, method?: string, path?: string): boolean {
  return (byDestination.get(to) ?? []).some((i) => {
    if (i.source.kind !== "any" && i.source.key !== from) return false;
    if (i.kind === "data") return true;
    return method !== undefined && path !== undefined && i.methods.includes(method as CallIntent["methods"][number]) && i.paths.some((p) => path.startsWith(p));
  });
}

/** Every declared intent as a request, with its near misses; expectations from the model. */
export function traceCases(model: MeshModel): TraceCase[] {
  if (model.denyRules.length > 0) throw new Error("traceCases: the model declares deny rules; the expected outcomes only follow intents (use a mesh without deny rules)");
  const byDestination = new Map<string, Intent[]>();
  for (const i of model.intents) byDestination.set(i.to, [...(byDestination.get(i.to) ?? []), i]);
  const services = [...model.services.values()];
  const cases: TraceCase[] = [];
  const push = (what: TraceCase["what"], args: RequestArgs): void => {
    cases.push({ what, args, expect: allowedByModel(byDestination, args.from, args.to, args.method, args.path) });
  };
  for (const [n, i] of model.intents.entries()) {
    if (i.source.kind !== "workload") continue;
    const from = i.source.key;
    // Another source: a service of the destination's domain without an intent to it (else any other).
    const callers = new Set((byDestination.get(i.to) ?? []).map((x) => (x.source.kind === "workload" ? x.source.key : "")));
    const domain = i.to.split("/")[0];
    const pool = services.filter((s) => s.key !== i.to && s.key !== from);
    const near = pool.filter((s) => s.domain === domain && !callers.has(s.key));
    const other = (near.length > 0 ? near : pool)[n % (near.length > 0 ? near.length : pool.length)];
    if (i.kind === "call") {
      const [method, path] = [i.methods[0], i.paths[0]];
      push("intent", { from, to: i.to, method, path });
      push("method", { from, to: i.to, method: METHODS.find((m) => !i.methods.includes(m)) ?? "DELETE", path });
      push("path", { from, to: i.to, method, path: OUTSIDE });
      if (other) push("source", { from: other.key, to: i.to, method, path });
    } else {
      push("intent", { from, to: i.to });
      if (other) push("source", { from: other.key, to: i.to });
    }
  }
  return cases;
}

export interface TraceTiming {
  snapshotMs: number;
  traceMs: number;
  traces: number;
  byWhat: Record<string, number>;
  /** Traces whose outcome differs from the model's (must be 0), with the first few. */
  mismatches: number;
  examples: string[];
}

/** Builds the snapshot, then traces every case; checks each outcome against the model. */
export function traceTiming(model: MeshModel): TraceTiming {
  const cases = traceCases(model);
  const t0 = performance.now();
  const snapshot = snapshotFromModel(model);
  const t1 = performance.now();
  const delivered = cases.map((c) => traceRequest(snapshot, buildRequest(snapshot, c.args)).delivered);
  const t2 = performance.now();
  const byWhat: Record<string, number> = {};
  const examples: string[] = [];
  let mismatches = 0;
  cases.forEach((c, k) => {
    byWhat[c.what] = (byWhat[c.what] ?? 0) + 1;
    if (delivered[k] === c.expect) return;
    mismatches++;
    if (examples.length < 3) examples.push(`${c.what} ${JSON.stringify(c.args)}: ${delivered[k] ? "delivered" : "stopped"}, the model ${c.expect ? "allows" : "denies"} it`);
  });
  return { snapshotMs: t1 - t0, traceMs: t2 - t1, traces: cases.length, byWhat, mismatches, examples };
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
