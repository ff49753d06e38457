/**
 * `ztmesh audit FILE [--policy-config FILE] [--policy-pack DIR]... [--json]`
 *
 * Runs the policy pack(s) over a `pulumi stack export` file of a deployed stack: resource
 * policies on each resource's inputs, stack policies on outputs and the graph. Same
 * report and exit codes as `preview`.
 */
import { parseArgs } from "node:util";
import { auditExport } from "./lib/audit";
import { UsageError } from "./lib/errors";
import { runMain } from "./lib/main";

/** Runs `audit` with its arguments; resolves to the exit code. */
export async function audit(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      json: { type: "boolean", default: false },
      "policy-pack": { type: "string", multiple: true },
      "policy-config": { type: "string" },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError("usage: audit FILE [--policy-config FILE] [--policy-pack DIR]... [--json]");
  return auditExport({ file: positionals[0], json: values.json, policyPacks: values["policy-pack"], policyConfig: values["policy-config"] });
}

if (require.main === module) runMain(audit);
