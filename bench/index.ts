/**
 * `npm run bench [-- --sizes 1000,5000,10000] [--json]`
 *
 * Foundation benchmark: synthetic programs of N resources in components, previewed with
 * the zero-trust pack, against a bare floor measured in the same run (the same
 * registrations with no components and no pack). Goals: linear growth, at most 1.5x the
 * floor per resource, 10,000 resources under 2 GB peak RSS.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { parseArgs } from "node:util";

interface Run {
  size: number;
  mode: "floor" | "full";
  resources: number;
  wallMs: number;
  programMs: number;
  packMs: number;
  peakRssMb: number;
}

const { values } = parseArgs({ options: { sizes: { type: "string", default: "1000,5000,10000" }, json: { type: "boolean", default: false } } });
const sizes = values.sizes.split(",").map(Number);
const TSX = require.resolve("tsx/cli");

function run(size: number, mode: "floor" | "full"): Run {
  const r = spawnSync(process.execPath, ["--max-old-space-size=4096", TSX, path.join(__dirname, "synthetic.ts"), "--size", String(size), "--mode", mode], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`bench ${mode} ${size} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Run;
}

const rows: Record<string, unknown>[] = [];
for (const size of sizes) {
  const floor = run(size, "floor");
  const full = run(size, "full");
  const floorPer = floor.wallMs / floor.resources;
  const fullPer = full.wallMs / full.resources;
  rows.push({
    size,
    resources: full.resources,
    wallS: +(full.wallMs / 1000).toFixed(2),
    msPerResource: +fullPer.toFixed(2),
    packS: +(full.packMs / 1000).toFixed(2),
    peakRssMb: Math.round(full.peakRssMb),
    floorWallS: +(floor.wallMs / 1000).toFixed(2),
    floorMsPerResource: +floorPer.toFixed(2),
    ratioToFloor: +(fullPer / floorPer).toFixed(2),
    goals: `${fullPer / floorPer <= 1.5 ? "ok" : "MISSED"} ratio<=1.5, ${full.peakRssMb < 2048 ? "ok" : "MISSED"} rss<2GB`,
  });
}
if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else console.table(rows);
