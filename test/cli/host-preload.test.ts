import { spawn } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PolicyPackProcess, analyzeGraph, type AnalyzedResource } from "../../cli/lib/analyzer";
import { runnableModule } from "../../cli/lib/build-cache";
import { UsageError } from "../../cli/lib/errors";

const ROOT = path.join(__dirname, "..", "..");
const RESOURCE: AnalyzedResource = {
  urn: "urn:pulumi:s::p::kubernetes:core/v1:ConfigMap::c",
  type: "kubernetes:core/v1:ConfigMap",
  name: "c",
  dependencies: [],
  propertyDependencies: {},
  rawInputs: { metadata: { name: "c", labels: { owner: "team" } } },
  rawOutputs: {},
};

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
const state = () => ({ typescript: loaded(/[\\\\/]node_modules[\\\\/]typescript[\\\\/]/), arborist: loaded(/[\\\\/]@npmcli[\\\\/]arborist[\\\\/]/), automation: loaded(/[\\\\/]@pulumi[\\\\/]pulumi[\\\\/]automation[\\\\/]/) });
`;

describe("the policy-pack host's preload", () => {
  it("keeps @pulumi/pulumi's closure-serialization modules unloaded until first use (control: loaded without it)", async () => {
    const script = `${LOADED} require("@pulumi/policy"); console.log(JSON.stringify(state())); process.exit(0);`;
    expect(await runNode(script, false)).toEqual({ typescript: true, arborist: true, automation: true });
    expect(await runNode(script, true)).toEqual({ typescript: false, arborist: false, automation: false });
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
      before: { typescript: false, arborist: false, automation: false },
      afterSerialize: { typescript: true, arborist: false, automation: false },
      after: { typescript: true, arborist: true, automation: false },
      text: true,
      exportName: "handler",
      paths: true,
    });
  }, 60_000);

  it("loads the Automation API on first use, and it works", async () => {
    const script = `${LOADED}
      const pulumi = require("@pulumi/pulumi");
      const before = state().automation;
      const fullyQualified = pulumi.automation.fullyQualifiedStackName("org", "proj", "dev");
      console.log(JSON.stringify({ before, after: state().automation, fullyQualified, workspace: typeof pulumi.automation.LocalWorkspace.create }));
      process.exit(0);`;
    expect(await runNode(script, true)).toEqual({ before: false, after: true, fullyQualified: "org/proj/dev", workspace: "function" });
  }, 60_000);
});

describe("TypeScript in the policy-pack host, registered on demand", () => {
  const probe = async (pack: string): Promise<unknown> => {
    const result = await analyzeGraph(path.join(__dirname, "..", "fixtures", "packs", pack), [RESOURCE], { project: "p", stack: "s", dryRun: true });
    return JSON.parse(result.violations[0]?.message.split("\n").pop() ?? "null");
  };

  it("a JavaScript pack runs without ts-node or the TypeScript compiler ever loading", async () => {
    expect(await probe("module-probe")).toEqual({ typescript: false, tsNode: false });
  }, 60_000);

  it("with allowJs in tsconfig.json (ts-node would compile .js too) the host registers ts-node at once, as without the preload", async () => {
    expect(await probe("module-probe-allowjs")).toEqual({ typescript: true, tsNode: true });
  }, 120_000);

  it("a TypeScript pack handed over as a directory is compiled by ts-node, registered at its first .ts module", async () => {
    const pack = await PolicyPackProcess.start(path.join(__dirname, "..", "fixtures", "packs", "remediating"), { typescript: "host" });
    try {
      const info = await pack.info();
      expect(info.name).toBe("ztmesh-test-remediating");
      await pack.configure(info.policies, {});
      expect((await pack.analyze({ ...RESOURCE, name: "legacy-x", urn: `${RESOURCE.urn}-legacy` })).map((d) => d.getPolicyname())).toEqual(["reject-legacy"]);
    } finally {
      pack.stop();
    }
  }, 240_000);
});

describe("a pack that fails while it loads", () => {
  it("ends its host, so the preview reports the pack's error instead of waiting forever", async () => {
    const started = PolicyPackProcess.start(path.join(__dirname, "..", "fixtures", "packs", "throws-at-load"));
    await expect(started).rejects.toThrow(UsageError);
    await expect(started).rejects.toThrow(/throws-at-load exited \(\d+\) before serving: [\s\S]*the throws-at-load pack refuses to load/);
  }, 60_000);
});
