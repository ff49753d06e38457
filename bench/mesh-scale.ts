/**
 * `npm run bench -- --mesh [--intents 10000,2500] [--only N]`: the whole mesh at scale, as the
 * example stacks build it (HybridMesh over 4 zones, then one MeshDomain per domain, 50 domains,
 * 1,000 services), previewed with the zero-trust pack. Each case and each floor runs in its own
 * process (bench/mesh-program.ts).
 *
 * The floor is the foundation benchmark's rule, "the same registrations with no components and no
 * pack", applied to the mesh (bench/replay-floor.ts): every custom resource the case registered,
 * through its own SDK class, with the same inputs and providers, flat under the stack, no
 * components, no compilers, no pack, measured in the same run. It checks that it registered
 * exactly the mesh's inputs. The mesh's resources are not the foundation's small
 * NetworkPolicies (179 ConfigMaps of up to 150 KB, AWS roles with 20 outputs), and Pulumi's own
 * cost of registering them is not ztmesh's to remove; the row also shows, for reference only,
 * the ratio to the foundation's floor of as many small NetworkPolicies (plainFloor*).
 * Goals: at most 1.5x the floor per resource; resources grow with services, not intents (the
 * same 1,000 services with fewer intents create as many resources, within 5%: a service with no
 * intent at all has no allow/egress NetworkPolicy, so the counts saturate at the services, they
 * are not equal; the row shows the types that differ and resources per added intent); under 2 GB
 * peak RSS (the program's process; the pack runs in its own). packS: wall time with analyses
 * outstanding (overlaps the program); packTailS: the wait for the pack after the program ended.
 * cpuS / floorCpuS: CPU time of the program's process (program and analysis thread, not the pack
 * host's process) and of the floor's: steadier than wall time on a shared machine.
 * `--repeat N` runs the case and both floors N times, interleaved, and reports the median of each
 * (by wall time). `--only N` builds N MeshDomains and extrapolates to all domains, and says so. `--policy-pack
 * DIR` (bench/index.ts) previews with another pack.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const DOMAINS = 50;
const SERVICES = 1000;
const TSX = require.resolve("tsx/cli");

interface MeshRun {
  intents: number;
  built: number;
  resources: number;
  meshResources: number;
  byDomain: number[];
  byType: Record<string, number>;
  wallMs: number;
  programMs: number;
  packMs: number;
  cpuMs: number;
  peakRssMb: number;
  violations: number;
}

interface FloorRun {
  resources: number;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
}

function child<T>(script: string, args: string[]): T {
  const r = spawnSync(process.execPath, ["--max-old-space-size=4096", TSX, path.join(__dirname, script), ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${script} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  // The last line is the result (the runtime logs the dev-key warnings to stdout before it).
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as T;
}

const round = (n: number, digits = 2) => +n.toFixed(digits);

/** The run with the median wall time (the lower middle one for an even count). */
export function median<T extends { wallMs: number }>(runs: T[]): T {
  const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function meshBench(intentCounts: number[], only?: number, pack?: string, repeat = 1): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  let reference: MeshRun | undefined;
  for (const intents of intentCounts) {
    const dump = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-bench-")), "mesh.json");
    const runs: MeshRun[] = [];
    const floors: FloorRun[] = [];
    const plains: FloorRun[] = [];
    // Interleaved, so that a slow spell of the machine hits the case and its floors alike.
    for (let i = 0; i < repeat; i++) {
      runs.push(child<MeshRun>("mesh-program.ts", ["--domains", String(DOMAINS), "--services", String(SERVICES), "--intents", String(intents), ...(i === 0 ? ["--dump", dump] : []), ...(only ? ["--only", String(only)] : []), ...(pack ? ["--pack", pack] : [])]));
      floors.push(child<FloorRun>("replay-floor.ts", ["--from", dump]));
      plains.push(child<FloorRun>("synthetic.ts", ["--size", String(runs[0].resources), "--mode", "floor"]));
    }
    fs.rmSync(path.dirname(dump), { recursive: true, force: true });
    const run = median(runs);
    const floor = median(floors);
    const plain = median(plains);
    // Extrapolation (only with --only): the platform once, the mean domain times every domain.
    const partial = run.built < DOMAINS;
    const perDomain = run.byDomain.reduce((a, b) => a + b, 0) / Math.max(run.byDomain.length, 1);
    const resources = partial ? Math.round(run.meshResources + perDomain * DOMAINS) : run.resources;
    const scale = partial ? resources / run.resources : 1;
    const perResource = run.wallMs / run.resources;
    const floorPer = floor.wallMs / floor.resources;
    const ratio = perResource / floorPer;
    const plainPer = plain.wallMs / plain.resources;
    reference ??= { ...run, resources };
    const delta = resources - reference.resources;
    const drift = Math.abs(delta) / reference.resources;
    // Which types differ, and by how much per added intent (growing with intents would be ~1 or more).
    const ref = reference;
    const types = [...new Set([...Object.keys(ref.byType), ...Object.keys(run.byType)])]
      .filter((t) => (run.byType[t] ?? 0) !== (ref.byType[t] ?? 0))
      .map((t) => `${(run.byType[t] ?? 0) - (ref.byType[t] ?? 0)} ${t.split(":").pop()}`);
    const perIntent = intents === ref.intents ? 0 : Math.abs(delta / (intents - ref.intents));
    const goals = [
      `${ratio <= 1.5 ? "ok" : "MISSED"} ratio<=1.5`,
      `${run.peakRssMb < 2048 ? "ok" : "MISSED"} rss<2GB${partial ? " (measured part only)" : ""}`,
      ...(rows.length === 0
        ? []
        : [
            `${drift <= 0.05 ? "ok" : "MISSED"} resources~services (${delta >= 0 ? "+" : ""}${delta} = ${round(drift * 100, 1)}% vs ${ref.intents} intents; ${round(perIntent, 3)}/intent; ${types.join(" ") || "same types"})`,
          ]),
    ];
    rows.push({
      services: SERVICES,
      intents,
      domains: partial ? `${run.built}/${DOMAINS} built, EXTRAPOLATED` : DOMAINS,
      runs: repeat,
      resources,
      platform: run.meshResources,
      perDomain: round(perDomain, 1),
      wallS: round((run.wallMs * scale) / 1000),
      msPerResource: round(perResource),
      packS: round((run.packMs * scale) / 1000),
      packTailS: round(((run.wallMs - run.programMs) * scale) / 1000),
      cpuS: round((run.cpuMs * scale) / 1000),
      peakRssMb: Math.round(run.peakRssMb),
      floorResources: floor.resources,
      floorWallS: round(floor.wallMs / 1000),
      floorMsPerResource: round(floorPer),
      floorCpuS: round(floor.cpuMs / 1000),
      ratioToFloor: round(ratio),
      plainFloorMsPerResource: round(plainPer),
      ratioToPlainFloor: round(perResource / plainPer),
      violations: run.violations,
      goals: goals.join(", "),
    });
  }
  return rows;
}
