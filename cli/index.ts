#!/usr/bin/env node
/**
 * `ztmesh <command> [arguments]`: the package's bin (`npx ztmesh audit stack.json`). Each command
 * is loaded only when it runs, so `--help` starts at once. Exit codes: 0 clean, 1 a mandatory
 * violation, 2 broken arguments, files or programs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "./lib/errors";
import { runMain } from "./lib/main";
import { PACKAGE_ROOT } from "./lib/own-package";

type Run = (argv: string[]) => Promise<number>;

interface Command {
  summary: string;
  usage: string;
  load: () => Promise<Run>;
}

const COMMANDS: Record<string, Command> = {
  preview: {
    summary: "run a stack program offline under the mock runtime, then the policy pack(s) over its resources",
    usage: "ztmesh preview [--stack NAME] [--project DIR] [--out DIR] [--json] [-c|--config KEY=VALUE]... [--policy-pack DIR]... [--policy-config FILE] [--preview-unknowns] [--stack-reference NAME=FILE]... [--diagram FILE]",
    load: async () => {
      typeScriptPrograms();
      return (await import("./preview")).preview;
    },
  },
  audit: {
    summary: "run the policy pack(s) over a `pulumi stack export` file of a deployed stack",
    usage: "ztmesh audit FILE [--policy-config FILE] [--policy-pack DIR]... [--json]",
    load: async () => (await import("./audit")).audit,
  },
  // TODO(trace): cli/trace.ts is not in this tree yet. Once it exports `trace(argv): Promise<number>`,
  // replace `load` below with `async () => (await import("./trace")).trace` (and its usage line).
  trace: {
    summary: "follow one request through the artifacts of the stacks, hop by hop",
    usage: "ztmesh trace ...",
    load: async () => {
      throw new UsageError("trace is not available in this version of ztmesh");
    },
  },
};

/**
 * Stack programs are TypeScript (`index.ts`): under plain Node (the installed bin) they are
 * loaded through tsx, the loader `npm run preview` runs under, unless one is registered already.
 */
function typeScriptPrograms(): void {
  if (require.extensions[".ts"]) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("tsx/cjs/api") as { register: () => unknown }).register();
}

function version(): string {
  return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

export function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: ztmesh <command> [arguments]",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "`ztmesh <command> --help` shows a command's arguments. Exit codes: 0 clean, 1 a mandatory violation, 2 broken input.",
  ].join("\n");
}

/** Dispatches to a command; resolves to the exit code. */
export async function ztmesh(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(", ")}; see ztmesh --help)`);
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`usage: ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  return (await command.load())(rest);
}

if (require.main === module) runMain(ztmesh);
