/** The preview-like report shared by `preview` and `audit`. */
import type { AnalysisResult, AnalyzedResource, Violation } from "./analyzer";
import { EXIT } from "./errors";
import { ROOT_STACK_TYPE } from "./recorder";

export interface Report {
  project: string;
  stack: string;
  /** Resources per top-level component (or `<stack>` for resources directly under the stack), per type. */
  summary: Record<string, Record<string, number>>;
  resourceCount: number;
  packs: { name: string; version: string; policies: number }[];
  violations: Violation[];
  exitCode: number;
}

/** The top-level ancestor under the root stack, as `type::name`. */
function topComponent(r: AnalyzedResource, byUrn: Map<string, AnalyzedResource>): string {
  let cur = r;
  let top: AnalyzedResource | undefined;
  while (cur.parent) {
    const p = byUrn.get(cur.parent);
    if (!p || p.type === ROOT_STACK_TYPE) break;
    top = p;
    cur = p;
  }
  return top ? `${top.type}::${top.name}` : r.type === ROOT_STACK_TYPE ? "(stack)" : "(stack)";
}

export function buildReport(project: string, stack: string, resources: AnalyzedResource[], results: AnalysisResult[]): Report {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const summary: Record<string, Record<string, number>> = {};
  for (const r of resources) {
    if (r.type === ROOT_STACK_TYPE) continue;
    const group = (summary[topComponent(r, byUrn)] ??= {});
    group[r.type] = (group[r.type] ?? 0) + 1;
  }
  const violations = results.flatMap((r) => r.violations);
  const mandatory = violations.some((v) => v.level === "mandatory" || v.level === "remediate");
  return {
    project,
    stack,
    summary,
    resourceCount: resources.length,
    packs: results.map((r) => ({ name: r.pack, version: r.version, policies: r.policies.length })),
    violations,
    exitCode: mandatory ? EXIT.mandatoryViolation : EXIT.clean,
  };
}

/** Formats the report like `pulumi preview` does: resources, then policy violations. */
export function formatReport(report: Report): string {
  const lines: string[] = [];
  lines.push(`Previewing ${report.project}/${report.stack} (offline, mock runtime)`);
  lines.push("");
  lines.push("Resources:");
  for (const [group, types] of Object.entries(report.summary)) {
    const total = Object.values(types).reduce((a, b) => a + b, 0);
    lines.push(`  ${group}  (${total})`);
    for (const [type, n] of Object.entries(types).sort()) lines.push(`      ${String(n).padStart(4)}  ${type}`);
  }
  lines.push(`  ${report.resourceCount} resources`);
  lines.push("");
  for (const p of report.packs) lines.push(`Policy pack ${p.name}@${p.version}: ${p.policies} policies`);
  if (report.violations.length === 0) {
    lines.push("Policy violations: none");
  } else {
    lines.push("Policy violations:");
    for (const v of report.violations) {
      lines.push(`  [${v.level}]  ${v.policyPack} ${v.policy}  (${v.urn || "stack"})`);
      for (const l of v.message.split("\n")) lines.push(`      ${l}`);
    }
  }
  const mandatory = report.violations.filter((v) => v.level === "mandatory" || v.level === "remediate").length;
  const advisory = report.violations.length - mandatory;
  lines.push("");
  lines.push(`${mandatory} mandatory, ${advisory} advisory violation${advisory === 1 ? "" : "s"}`);
  return lines.join("\n");
}
