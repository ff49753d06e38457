import { spawn } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runnableModule } from "../../cli/lib/build-cache";

const ROOT = path.join(__dirname, "..", "..");

/**
 * Runs `script` in a fresh Node (optionally with the policy-pack host's preload) and returns its
 * last stdout line as JSON. Its stdin is a pipe kept open, as the host's is (so the script ends with process.exit).
 */
function runNode(script: string, preload: boolean): Promise<Record<string, unknown>> {
  const args = [...(preload ? ["--require", runnableModule("host-preload")] : []), "-e", script];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`node exited ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}") as Record<string, unknown>);
    }),
  );
}

const LOADED = `
const loaded = (re) => Object.keys(require.cache).some((k) => re.test(k));
const state = () => ({ typescript: loaded(/[\\\\/]node_modules[\\\\/]typescript[\\\\/]/), arborist: loaded(/[\\\\/]@npmcli[\\\\/]arborist[\\\\/]/) });
`;

describe("the policy-pack host's preload", () => {
  it("keeps @pulumi/pulumi's closure-serialization modules unloaded until first use (control: loaded without it)", async () => {
    const script = `${LOADED} require("@pulumi/policy"); console.log(JSON.stringify(state())); process.exit(0);`;
    expect(await runNode(script, false)).toEqual({ typescript: true, arborist: true });
    expect(await runNode(script, true)).toEqual({ typescript: false, arborist: false });
  }, 60_000);

  it("loads them on first use, and they work: closures serialize, code paths are computed", async () => {
    const script = `${LOADED}
      const pulumi = require("@pulumi/pulumi");
      const before = state();
      (async () => {
        const fn = await pulumi.runtime.serializeFunction(function answer() { return 42; });
        const afterSerialize = state();
        const paths = await pulumi.runtime.computeCodePaths({ extraIncludePackages: [] });
        console.log(JSON.stringify({ before, afterSerialize, after: state(), text: fn.text.includes("42"), exportName: fn.exportName, paths: paths instanceof Map }));
        process.exit(0);
      })().catch((e) => { console.error(e); process.exit(1); });`;
    expect(await runNode(script, true)).toEqual({
      before: { typescript: false, arborist: false },
      afterSerialize: { typescript: true, arborist: false },
      after: { typescript: true, arborist: true },
      text: true,
      exportName: "handler",
      paths: true,
    });
  }, 60_000);
});
