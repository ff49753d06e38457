/** The offline preview: program under mocks, then the policy packs, then the report. */
import { AnalysisSession } from "./analysis-session";
import { readPolicyConfig, type AnalysisResult, type PolicyConfigFile } from "./analyzer";
import { collectArtifacts } from "./artifacts";
import * as fs from "node:fs";
import * as path from "node:path";
import { diagramFromOutputs } from "./diagram";
import { UsageError } from "./errors";
import { readStackReferences, toStackExport } from "./export";
import { checkOutputDir, writeOutputDir } from "./output";
import { DEFAULT_POLICY_PACK } from "./packs";
import { applyConfigArgs, checkRequiredConfig, loadProject, loadStackConfig } from "./project";
import { buildReport, formatReport, type Report } from "./report";
import type { RecordedResource } from "./recorder";
import { runProgram } from "./run-program";

export interface PreviewOptions {
  stack: string;
  projectDir: string;
  outDir?: string;
  json?: boolean;
  policyPacks?: string[];
  policyConfig?: string;
  /**
   * `KEY=VALUE` config for this run on top of `Pulumi.<stack>.yaml` (`pulumi preview --config`):
   * KEY is `name` (the project's, declared in Pulumi.yaml) or `namespace:name`.
   */
  config?: string[];
  /** Run as a real preview would: outputs computed by providers are unknown. */
  previewUnknowns?: boolean;
  /** `NAME=FILE` pairs: outputs of referenced stacks, from a stack export or a JSON object of outputs. */
  stackReferences?: string[];
  /** Write a Mermaid diagram of the mesh to this file. */
  diagram?: string;
  /** Where the report goes. @default process.stdout */
  write?: (text: string) => void;
}

export interface PreviewResult {
  report: Report;
  resources: RecordedResource[];
  results: AnalysisResult[];
}

/**
 * The stack's own policy config, `Pulumi.<stack>.policy.json` beside its `Pulumi.<stack>.yaml`,
 * used when no `--policy-config` is given (with the Pulumi CLI, pass it as `--policy-pack-config`).
 */
export function stackPolicyConfig(projectDir: string, stack: string): string | undefined {
  const file = path.join(projectDir, `Pulumi.${stack}.policy.json`);
  return fs.existsSync(file) ? file : undefined;
}

/** Runs the whole preview and returns the report (the caller maps it to an exit code). */
export async function runPreview(opts: PreviewOptions): Promise<PreviewResult> {
  const project = loadProject(opts.projectDir);
  const config = applyConfigArgs(project, loadStackConfig(project, opts.stack), opts.config ?? []);
  checkRequiredConfig(project, opts.stack, config);
  const policyConfigFile = opts.policyConfig ?? stackPolicyConfig(project.dir, opts.stack);
  const policyConfig: PolicyConfigFile = policyConfigFile ? readPolicyConfig(policyConfigFile) : {};
  if (opts.outDir) checkOutputDir(opts.outDir);
  const packs = opts.policyPacks && opts.policyPacks.length > 0 ? opts.policyPacks : [DEFAULT_POLICY_PACK];

  const stackReferences = readStackReferences(opts.stackReferences ?? []);

  // The packs start alongside the program and analyze each resource as it registers, as the engine does.
  const sessions = packs.map((pack) => AnalysisSession.open(pack, { project: project.name, stack: opts.stack, dryRun: true, config: policyConfig }));
  let run;
  try {
    run = await runProgram(project, opts.stack, config, {
      preview: opts.previewUnknowns,
      stackReferences,
      onRegistered: (r) => sessions.forEach((s) => s.push(r)),
    });
  } catch (e) {
    sessions.forEach((s) => s.abort());
    throw e;
  }
  const results: AnalysisResult[] = [];
  for (const s of sessions) results.push(await s.finish(run.resources));
  const report = buildReport(project.name, opts.stack, run.resources, results);

  if (opts.diagram) {
    const text = diagramFromOutputs([run.outputs, ...Object.values(stackReferences)]);
    try {
      fs.mkdirSync(path.dirname(path.resolve(opts.diagram)), { recursive: true });
      fs.writeFileSync(opts.diagram, text);
    } catch (e) {
      throw new UsageError(`--diagram ${opts.diagram}: cannot write (${(e as Error).message})`);
    }
  }
  if (opts.outDir) {
    const files = new Map<string, string>([["stack.json", `${JSON.stringify(toStackExport(run.resources), null, 2)}\n`]]);
    for (const [rel, content] of collectArtifacts(run.resources)) files.set(`artifacts/${rel}`, content);
    writeOutputDir(opts.outDir, files);
  }
  return { report, resources: run.resources, results };
}

/** The `preview` command: prints the report and returns the exit code. */
export async function previewStack(opts: PreviewOptions): Promise<number> {
  const { report } = await runPreview(opts);
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return report.exitCode;
}
