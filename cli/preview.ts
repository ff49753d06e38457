/**
 * `ztmesh preview [--stack NAME] [--project DIR] [--out DIR] [--json] [-c|--config KEY=VALUE]...
 *    [--policy-pack DIR]... [--policy-config FILE] [--preview-unknowns] [--stack-reference NAME=FILE]... [--diagram FILE]`
 *
 * Runs a stack program offline under the mock runtime, then its policy pack(s) through the
 * real policy-pack host and analyzer protocol. Exit 0 clean, 1 on a mandatory violation,
 * 2 when the program or the arguments are broken.
 */
import { parseArgs } from "node:util";
import { runMain } from "./lib/main";
import { previewStack } from "./lib/preview";

/** Runs `preview` with its arguments; resolves to the exit code. */
export async function preview(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string", default: "dev" },
      project: { type: "string", default: "." },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      config: { type: "string", short: "c", multiple: true },
      "policy-pack": { type: "string", multiple: true },
      "policy-config": { type: "string" },
      "preview-unknowns": { type: "boolean", default: false },
      "stack-reference": { type: "string", multiple: true },
      diagram: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  return previewStack({
    stack: values.stack,
    projectDir: values.project,
    outDir: values.out,
    json: values.json,
    config: values.config,
    policyPacks: values["policy-pack"],
    policyConfig: values["policy-config"],
    previewUnknowns: values["preview-unknowns"],
    stackReferences: values["stack-reference"],
    diagram: values.diagram,
  });
}

if (require.main === module) runMain(preview);
