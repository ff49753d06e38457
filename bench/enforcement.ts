/**
 * `npm run bench -- --enforcement` (also run by `--mesh`): the enforcement points of the mesh
 * case's model (bench/synthetic-mesh.ts: 4 zones, 50 domains, 1,000 services, 10,000 call
 * intents, with `dataIntents` data intents added so the data proxies have consumers; the preview
 * case has none), from the pure compilers, in-process. Per kind of enforcement point (workload
 * proxy inbound, data proxy, egress gateway, zone gateway, policy engine front, policy engine
 * data), as min / median / p99 / max over the mesh:
 * - the compiled configuration's size (compact JSON of the bootstrap; the OPA data.json of each
 *   domain's bundle in each zone);
 * - the rules one request is matched against there (bench/enforcement-points.ts), next to the
 *   intents that target its destination: the largest ratio shows the bound (rules grow with the
 *   destination's own intents, never with the mesh's);
 * and (bench/enforcement-timing.ts) the tracer over every intent and its near misses (goal: under
 * 10 s in all), and `decide` at one destination with 1 vs every domain bundle loaded (goal: flat).
 */
import type { DomainSpec } from "../components/model";
import { buildMesh } from "../components/model";
import { enforcementPoints, zoneBundles, type PointKind } from "./enforcement-points";
import { decideTiming, traceTiming } from "./enforcement-timing";
import { BENCH_MESH, rng, syntheticDomains } from "./synthetic-mesh";

const DOMAINS = 50;
const SERVICES = 1000;

/**
 * Adds `count` data intents to `specs` (deterministic, unique (service, product) pairs): a service
 * reads (1 in 3: reads and writes) its own domain's product, or 1 in 5 another domain's.
 */
export function withDataIntents(specs: DomainSpec[], count: number, seed = 7): DomainSpec[] {
  const random = rng(seed);
  const out = specs.map((s) => ({ ...s, intents: [...(s.intents ?? [])] }));
  const seen = new Set<string>();
  for (let added = 0, guard = 0; added < count && guard < count * 20; guard++) {
    const from = out[Math.floor(random() * out.length)];
    const src = from.services[Math.floor(random() * from.services.length)].name;
    const to = random() < 0.2 ? out[Math.floor(random() * out.length)] : from;
    const data = to === from ? "data" : `${to.name}/data`;
    const access: ("read" | "write")[] = random() < 1 / 3 ? ["read", "write"] : ["read"];
    if (seen.has(`${from.name}/${src}->${data}`)) continue;
    seen.add(`${from.name}/${src}->${data}`);
    from.intents.push({ from: src, data, access });
    added++;
  }
  return out;
}

/** Nearest-rank quantile of sorted `xs`. */
function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** `min / median / p99 / max`, each through `fmt`. */
export function distribution(xs: number[], fmt: (n: number) => string = String): string {
  const s = [...xs].sort((a, b) => a - b);
  return [s[0] ?? 0, quantile(s, 0.5), quantile(s, 0.99), s[s.length - 1] ?? 0].map(fmt).join(" / ");
}

const kb = (n: number): string => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`);
const round = (n: number, digits = 2): number => +n.toFixed(digits);

/** The rows of one kind: config sizes, rules met, the largest rules-per-intent ratios. */
function pointRow(p: PointKind, matcherBound: number): Record<string, unknown> {
  const targeted = p.rules.filter((r) => r.intents !== undefined && r.intents > 0);
  const maxRatio = (f: (r: (typeof targeted)[number]) => number): number => targeted.reduce((m, r) => Math.max(m, f(r) / r.intents!), 0);
  const untargeted = p.rules.filter((r) => r.intents === 0 && r.policies > 0).length;
  const perDestination = p.rules.some((r) => r.intents !== undefined);
  const policyRatio = maxRatio((r) => r.policies);
  const matcherRatio = maxRatio((r) => r.matchers ?? 0);
  const goals = perDestination
    ? [
        `${policyRatio <= 1 && untargeted === 0 ? "ok" : "MISSED"} rules<=intents (${untargeted} without intents hold rules)`,
        ...(p.rules.some((r) => r.matchers !== undefined) ? [`${matcherRatio <= matcherBound ? "ok" : "MISSED"} matchers/intent<=${matcherBound}`] : []),
        ...(p.foreign === undefined ? [] : [`${p.foreign === 0 ? "ok" : "MISSED"} own grants only${p.foreign ? ` (${p.foreign} foreign)` : ""}`]),
      ]
    : [`${new Set(p.rules.map((r) => r.policies)).size <= 1 ? "ok" : "MISSED"} same rules in every zone`];
  return {
    point: p.kind,
    configs: `${p.configBytes.length} (${p.configPer})`,
    configSize: distribution(p.configBytes, kb),
    rulesMet: distribution(p.rules.map((r) => r.policies)),
    permissionsMet: p.rules.some((r) => r.permissions !== undefined) ? distribution(p.rules.map((r) => r.permissions ?? 0)) : "-",
    principalsMet: p.rules.some((r) => r.principals !== undefined) ? distribution(p.rules.map((r) => r.principals ?? 0)) : "-",
    intentsTargeting: perDestination ? distribution(p.rules.map((r) => r.intents ?? 0)) : "-",
    maxRulesPerIntent: perDestination ? round(policyRatio) : "-",
    maxMatchersPerIntent: perDestination && p.rules.some((r) => r.matchers !== undefined) ? round(matcherRatio) : "-",
    goals: goals.join(", "),
  };
}

export interface EnforcementOptions {
  intents?: number;
  dataIntents?: number;
}

/** Both tables: per enforcement point kind, then the timings. */
export function enforcementBench(opts: EnforcementOptions = {}): { points: Record<string, unknown>[]; timings: Record<string, unknown>[] } {
  const intents = opts.intents ?? 10_000;
  const model = buildMesh(BENCH_MESH, withDataIntents(syntheticDomains(DOMAINS, SERVICES, intents), opts.dataIntents ?? 1000));
  const bundles = zoneBundles(model);
  // A call intent's policy holds an authority, a method and a path per combination, and a principal.
  const matcherBound = model.intents.reduce((m, i) => Math.max(m, i.kind === "call" ? 2 + 2 * i.methods.length * i.paths.length : 2), 0);
  const points = enforcementPoints(model, bundles).map((p) => pointRow(p, matcherBound));

  const t = traceTiming(model);
  const d = decideTiming(model, bundles);
  const calls = model.intents.filter((i) => i.kind === "call").length;
  const total = (t.snapshotMs + t.traceMs) / 1000;
  const flat = d.usPerDecision[1] / d.usPerDecision[0];
  const timings: Record<string, unknown>[] = [
    {
      case: `trace every intent (${calls} call, ${model.intents.length - calls} data) and its near misses`,
      services: model.services.size,
      traces: `${t.traces} (${t.delivered} to deliver, ${t.stopped} near misses to stop)`,
      snapshotS: round(t.snapshotMs / 1000),
      traceS: round(t.traceMs / 1000),
      msPerTrace: round(t.traceMs / t.traces, 3),
      goals: `${total < 10 ? "ok" : "MISSED"} <10s (${round(total)} s), ${t.failures.length === 0 ? "ok" : "MISSED"} outcomes as declared (${t.failures.length} differ${t.failures.length ? `: ${t.failures.slice(0, 3).join("; ")}` : ""})`,
    },
    ...d.domainsLoaded.map((n, k) => ({
      case: `decide at ${d.destination} (${d.inputs} inputs), ${n} domain bundle${n === 1 ? "" : "s"} loaded`,
      usPerDecision: round(d.usPerDecision[k], 3),
      ...(k === 1 ? { goals: `${flat <= 1.5 ? "ok" : "MISSED"} flat (${round(flat)}x with ${n} domains), ${d.differ === 0 ? "ok" : "MISSED"} same decisions (${d.differ} differ)` } : {}),
    })),
  ];
  return { points, timings };
}
