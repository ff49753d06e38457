/** `audit`: the policy packs over a `pulumi stack export` file. */
import * as fs from "node:fs";
import { analyzeGraph, readPolicyConfig, type AnalysisResult, type PolicyPackProcess } from "./analyzer";
import { UsageError } from "./errors";
import { parseStackExport } from "./export";
import { DEFAULT_POLICY_PACK } from "./packs";
import { buildReport, formatReport, type Report } from "./report";

export interface AuditOptions {
  file: string;
  json?: boolean;
  policyPacks?: string[];
  policyConfig?: string;
  write?: (text: string) => void;
  /** Starts a pack (the tests run it in-process). @default its policy-pack host */
  startPack?: (dir: string) => PolicyPackProcess;
}

/** Project and stack names from a resource URN (`urn:pulumi:<stack>::<project>::...`). */
function stackOf(urn: string | undefined): { project: string; stack: string } {
  const parts = (urn ?? "").split("::");
  return { stack: (parts[0] ?? "").replace(/^urn:pulumi:/, "") || "unknown", project: parts[1] ?? "unknown" };
}

export async function runAudit(opts: AuditOptions): Promise<Report> {
  let text: string;
  try {
    text = fs.readFileSync(opts.file, "utf8");
  } catch {
    throw new UsageError(`export file not found or unreadable: ${opts.file}`);
  }
  const resources = parseStackExport(text, opts.file);
  const policyConfig = opts.policyConfig ? readPolicyConfig(opts.policyConfig) : {};
  const { project, stack } = stackOf(resources[0]?.urn);
  const packs = opts.policyPacks && opts.policyPacks.length > 0 ? opts.policyPacks : [DEFAULT_POLICY_PACK];
  const results: AnalysisResult[] = [];
  for (const pack of packs) {
    results.push(await analyzeGraph(pack, resources, { project, stack, dryRun: false, config: policyConfig }, opts.startPack?.(pack)));
  }
  return buildReport(project, stack, resources, results);
}

export async function auditExport(opts: AuditOptions): Promise<number> {
  const report = await runAudit(opts);
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return report.exitCode;
}
