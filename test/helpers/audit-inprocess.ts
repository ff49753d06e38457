/** `audit` with the packs in this process (kept apart from policy-inprocess.ts: the audit's report code loads @pulumi/pulumi). */
import * as path from "node:path";
import { PolicyPackProcess } from "../../cli/lib/analyzer";
import { runAudit } from "../../cli/lib/audit";
import type { Report } from "../../cli/lib/report";
import { inProcessAnalyzer } from "./in-process-analyzer";

/**
 * `ztmesh audit FILE [--policy-config CONFIG] --json` with the packs loaded in this process: the
 * command's own code (cli/lib/audit.ts) and report, without its process and pack host.
 */
export async function auditInProcess(file: string, policyConfig?: string): Promise<Report> {
  return runAudit({ file, policyConfig, startPack: (dir) => PolicyPackProcess.inProcess(path.resolve(dir), inProcessAnalyzer(dir)) });
}
