/** Runs one of the offline commands (`preview`, `audit`, `bench`) as a user would, in a child process. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
const TSX = require.resolve("tsx/cli");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(command: "preview" | "audit" | "trace", args: string[]): CliResult {
  const r = spawnSync(process.execPath, [TSX, path.join(ROOT, "cli", `${command}.ts`), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
