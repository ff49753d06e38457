/**
 * Replays a recorded graph (bench/mesh-program.ts `--dump FILE`) through the pack alone, in
 * this thread, as the preview drives it: Remediate + Analyze per resource (16 in flight), then
 * one AnalyzeStack. Isolates the pack's cost from the program's, for profiling the pack host:
 *   tsx bench/pack-replay.ts FILE [--pack DIR] [--stack-only]
 * `--stack-only` skips the per-resource analyses and sends AnalyzeStack alone.
 * Prints one JSON line: { resources, totalMs, packMs, violations, byPolicy }. To profile the pack
 * host, start it under `--cpu-prof` (it is spawned with `process.execPath`).
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { type AnalyzedResource, PackDriver } from "../cli/lib/analyzer";
import { DEFAULT_POLICY_PACK } from "../cli/lib/packs";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { pack: { type: "string", default: DEFAULT_POLICY_PACK }, "stack-only": { type: "boolean", default: false } } });

async function main(): Promise<void> {
  const file = positionals[0];
  if (!file) throw new Error("usage: tsx bench/pack-replay.ts FILE [--pack DIR]");
  const resources = JSON.parse(fs.readFileSync(file, "utf8")) as AnalyzedResource[];
  const driver = new PackDriver(values.pack, { project: "bench", stack: "bench", dryRun: true });
  await driver.ready;
  const t0 = performance.now();
  if (!values["stack-only"]) for (const r of resources) driver.push(r);
  // Waits for the queued analyses, then runs AnalyzeStack.
  const result = await driver.finish(resources);
  const total = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ resources: resources.length, totalMs: total, packMs: result.packMillis, violations: result.violations.length, byPolicy: countBy(result.violations.map((v) => v.policy)) })}\n`);
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
  },
);
