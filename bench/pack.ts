/**
 * `npm run bench -- --pack [--sizes 1000,10000]`: the zero-trust pack against a trivial pack of
 * three policies, both driven over the analyzer protocol the way the engine drives them (one
 * Analyze at a time, each preceded by Remediate, then one AnalyzeStack), on the same graph:
 * the resources of the example platform stack, repeated until the size is reached.
 * Goal: the full pack within 1.3x of the trivial floor.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AnalysisSession } from "../cli/lib/analysis-session";
import type { AnalyzedResource } from "../cli/lib/analyzer";
import { parseStackExport } from "../cli/lib/export";
import { DEFAULT_POLICY_PACK } from "../cli/lib/packs";

const TRIVIAL_PACK = path.join(__dirname, "trivial-pack");

/** Repeats a real graph's resources (renamed) up to `size` resources. */
export function syntheticGraph(base: AnalyzedResource[], size: number): AnalyzedResource[] {
  const out: AnalyzedResource[] = [];
  for (let copy = 0; out.length < size; copy++) {
    const suffix = (urn: string) => `${urn}-${copy}`;
    for (const r of base) {
      if (out.length >= size) break;
      out.push({
        ...r,
        urn: suffix(r.urn),
        name: `${r.name}-${copy}`,
        parent: r.parent ? suffix(r.parent) : undefined,
        dependencies: r.dependencies.map(suffix),
      });
    }
  }
  return out;
}

async function drive(pack: string, graph: AnalyzedResource[]): Promise<{ ms: number; violations: number }> {
  const session = await AnalysisSession.start(pack, { project: "bench", stack: "bench", dryRun: true });
  const started = performance.now();
  for (const r of graph) session.push(r);
  const result = await session.finish(graph);
  return { ms: performance.now() - started, violations: result.violations.length };
}

export async function packBench(sizes: number[], exportFile: string): Promise<Record<string, unknown>[]> {
  const base = parseStackExport(fs.readFileSync(exportFile, "utf8"), exportFile);
  const rows: Record<string, unknown>[] = [];
  for (const size of sizes) {
    const graph = syntheticGraph(base, size);
    const floor = await drive(TRIVIAL_PACK, graph);
    const full = await drive(DEFAULT_POLICY_PACK, graph);
    rows.push({
      size,
      trivialS: +(floor.ms / 1000).toFixed(2),
      trivialMsPerResource: +(floor.ms / size).toFixed(2),
      fullS: +(full.ms / 1000).toFixed(2),
      fullMsPerResource: +(full.ms / size).toFixed(2),
      ratio: +(full.ms / floor.ms).toFixed(2),
      goal: full.ms / floor.ms <= 1.3 ? "ok ratio<=1.3" : "MISSED ratio<=1.3",
    });
  }
  return rows;
}
