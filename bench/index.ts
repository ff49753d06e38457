/**
 * `npm run bench [-- --sizes 1000,5000,10000] [--repeat N] [--json]`
 *
 * Foundation benchmark: synthetic programs of N resources in components, previewed with
 * the zero-trust pack, against a bare floor measured in the same run (the same
 * registrations with no components and no pack). Goals: linear growth, at most 1.5x the
 * floor per resource, 10,000 resources under 2 GB peak RSS. cpuS / floorCpuS: CPU time of the
 * program's process (program and analysis thread, not the pack host's) and of the floor's.
 * `--repeat N` runs each size's floor and full preview N times, interleaved, and reports the
 * median of each (by wall time): on a shared machine one run can be off by 20%.
 * Other modes: `--pack` (bench/pack.ts), `--compile` (bench/compile.ts), `--mesh [--intents
 * 10000,2500] [--only N]` (bench/mesh-scale.ts: the whole mesh, 50 domains, 1,000 services; then
 * bench/enforcement.ts over the same model), `--enforcement` (bench/enforcement.ts alone: config
 * sizes and RBAC rules per enforcement point, the tracer over every intent, `decide` vs domains).
 * `--policy-pack DIR` previews the foundation and mesh runs with another pack (default: the
 * zero-trust pack), e.g. a copy of an older version, to compare.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { compileBench } from "./compile";
import { enforcementBench } from "./enforcement";
import { median, meshBench } from "./mesh-scale";
import { packBench } from "./pack";

interface Run {
  size: number;
  mode: "floor" | "full";
  resources: number;
  wallMs: number;
  programMs: number;
  packMs: number;
  cpuMs: number;
  peakRssMb: number;
}

const { values } = parseArgs({
  options: {
    sizes: { type: "string" },
    json: { type: "boolean", default: false },
    pack: { type: "boolean", default: false },
    compile: { type: "boolean", default: false },
    mesh: { type: "boolean", default: false },
    enforcement: { type: "boolean", default: false },
    intents: { type: "string" },
    only: { type: "string" },
    repeat: { type: "string", default: "1" },
    "policy-pack": { type: "string" },
    export: { type: "string", default: ".preview/platform-dev/stack.json" },
  },
});
const sizes = (values.sizes ?? (values.pack ? "1000,10000" : "1000,5000,10000")).split(",").map(Number);
const TSX = require.resolve("tsx/cli");
const repeat = Math.max(1, Number(values.repeat));

function run(size: number, mode: "floor" | "full"): Run {
  const r = spawnSync(process.execPath, ["--max-old-space-size=4096", TSX, path.join(__dirname, "synthetic.ts"), "--size", String(size), "--mode", mode, ...(values["policy-pack"] ? ["--pack", values["policy-pack"]] : [])], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`bench ${mode} ${size} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Run;
}

async function foundation(): Promise<Record<string, unknown>[]> {
const rows: Record<string, unknown>[] = [];
for (const size of sizes) {
  // Interleaved, so that a slow spell of the machine hits the case and its floor alike.
  const floors: Run[] = [];
  const fulls: Run[] = [];
  for (let i = 0; i < repeat; i++) {
    floors.push(run(size, "floor"));
    fulls.push(run(size, "full"));
  }
  const floor = median(floors);
  const full = median(fulls);
  const floorPer = floor.wallMs / floor.resources;
  const fullPer = full.wallMs / full.resources;
  rows.push({
    size,
    runs: repeat,
    resources: full.resources,
    wallS: +(full.wallMs / 1000).toFixed(2),
    msPerResource: +fullPer.toFixed(2),
    packS: +(full.packMs / 1000).toFixed(2),
    cpuS: +(full.cpuMs / 1000).toFixed(2),
    peakRssMb: Math.round(full.peakRssMb),
    floorWallS: +(floor.wallMs / 1000).toFixed(2),
    floorMsPerResource: +floorPer.toFixed(2),
    floorCpuS: +(floor.cpuMs / 1000).toFixed(2),
    ratioToFloor: +(fullPer / floorPer).toFixed(2),
    goals: `${fullPer / floorPer <= 1.5 ? "ok" : "MISSED"} ratio<=1.5, ${full.peakRssMb < 2048 ? "ok" : "MISSED"} rss<2GB`,
  });
}
return rows;
}

async function main(): Promise<void> {
  const tables: Record<string, Record<string, unknown>[]> = {};
  if (!values.enforcement) {
    tables.rows = values.mesh
      ? meshBench((values.intents ?? "10000,2500").split(",").map(Number), values.only === undefined ? undefined : Number(values.only), values["policy-pack"], repeat)
      : values.compile
      ? compileBench((values.sizes ?? "2500,5000,10000").split(",").map(Number))
      : values.pack
        ? await packBench(sizes, values.export)
        : await foundation();
  }
  if (values.mesh || values.enforcement) {
    // The mesh case's model at the first intent count of --intents, in this process: pure compilers.
    const { points, timings } = enforcementBench({ intents: Number((values.intents ?? "10000").split(",")[0]) });
    Object.assign(tables, { enforcementPoints: points, enforcementTimings: timings });
  }
  const all = Object.values(tables);
  // --json: the one table as before, or an object of tables (`rows`, `enforcementPoints`, `enforcementTimings`).
  if (values.json) process.stdout.write(`${JSON.stringify(all.length === 1 ? all[0] : tables, null, 2)}\n`);
  else for (const t of all) console.table(t);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
