/**
 * The zero-trust pack as `pulumi policy publish` ships it and as a stack that enforces it runs
 * it. The Pulumi CLI (pulumi/pulumi `pkg/backend/httpstate/policypack.go`, `sdk/nodejs/npm`)
 * publishes a Node.js pack as the tarball of `npm pack --loglevel=error` in the pack's directory;
 * enforcing it, it extracts the tarball's `package/` into its own directory, installs its
 * dependencies there (`npm install`) and starts it with `@pulumi/pulumi/cmd/run-policy-pack`
 * given the directory, which type-checks the TypeScript with ts-node.
 *
 * Done here the same way, from a temporary directory outside the repository, with one stand-in:
 * the pack's `ztmesh` dependency comes from this package's own `npm pack` tarball instead of the
 * registry. Slow (a full dependency install, about a minute), so not part of `npm test`: run it
 * with `npm run test:package` (CI does, after the build). Needs the compiled package, built
 * first if `dist/` is older than the sources.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyPackProcess, toViolation } from "../../cli/lib/analyzer";
import { zeroTrustPolicies } from "../../policy-packs/policies";

const ROOT = path.resolve(__dirname, "..", "..");
const PACK_SOURCE = path.join(ROOT, "policy-packs", "zero-trust");
let tmp: string;
let packDir: string;
let packFiles: string[];

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 240_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** The newest modification time of the files under `dir` that `keep` accepts. */
function newest(dir: string, keep: (file: string) => boolean): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && !e.name.startsWith(".")) t = Math.max(t, newest(f, keep));
    } else if (keep(f)) t = Math.max(t, fs.statSync(f).mtimeMs);
  }
  return t;
}

/** `npm run build` unless dist/ is newer than every source it is built from. */
function ensureBuilt(): void {
  const built = path.join(ROOT, "dist", "cli", "index.js");
  const sources = Math.max(...["components", "policy-packs", "cli"].map((d) => newest(path.join(ROOT, d), (f) => /\.(ts|rego|json|yaml)$/.test(f))));
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) return;
  run("npm", ["run", "build"], ROOT);
}

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-publish-"));
  // ztmesh as `npm publish` would upload it (the registry's copy the pack depends on).
  const ztmesh = path.join(tmp, run("npm", ["pack", "--silent", "--pack-destination", tmp], ROOT).trim().split("\n").pop()!);
  // The pack exactly as `pulumi policy publish` packs it: the file named on stdout, in the pack's directory.
  const packed = path.join(PACK_SOURCE, run("npm", ["pack", "--loglevel=error"], PACK_SOURCE).trim().split("\n").pop()!);
  const tarball = path.join(tmp, path.basename(packed));
  fs.renameSync(packed, tarball);
  packFiles = run("tar", ["-tzf", tarball], tmp).trim().split("\n").sort();
  // As the CLI installs it: extract, `package/` becomes the pack's directory, then its dependencies.
  run("tar", ["-xzf", tarball], tmp);
  packDir = path.join(tmp, "ztmesh-zero-trust");
  fs.renameSync(path.join(tmp, "package"), packDir);
  run("npm", ["install", "--no-save", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ztmesh], packDir);
}, 600_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Starts the installed pack with its own run-policy-pack, given the directory, as the Pulumi CLI does. */
async function startInstalledPack(): Promise<PolicyPackProcess> {
  const host = path.join(packDir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack", "index.js");
  const child = spawn(process.execPath, [host, "127.0.0.1:0", "."], { cwd: packDir, stdio: ["pipe", "pipe", "pipe"] });
  const stderr: string[] = [];
  child.stderr.on("data", (d: Buffer) => stderr.push(d.toString()));
  const port = new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`the installed pack exited (${code}) before serving: ${stderr.join("")}${out}`)));
  });
  return PolicyPackProcess.connect({ packDir, child, port, stderr });
}

describe("the published zero-trust pack", () => {
  it("is packed with its sources and manifests only", () => {
    expect(packFiles).toEqual(["package/PulumiPolicy.yaml", "package/index.ts", "package/package.json", "package/tsconfig.json"]);
  });

  it("installs from the tarballs, lists its policies and finds a violation, run as the Pulumi CLI runs it", async () => {
    expect(fs.existsSync(path.join(packDir, "node_modules", "ztmesh", "dist", "policy-packs", "policies", "index.js"))).toBe(true);
    const pack = await startInstalledPack();
    try {
      const info = await pack.info();
      expect(info.name).toBe("ztmesh-zero-trust");
      expect(info.version).toBe("0.1.0");
      expect(info.policies.map((p) => p.name)).toEqual(zeroTrustPolicies.map((p) => p.name));
      await pack.configure(info.policies, {});
      await pack.configureStack("published", "test", true);
      const urn = "urn:pulumi:test::published::aws:iam/policy:Policy::star";
      const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
      const diagnostics = await pack.analyze({ urn, type: "aws:iam/policy:Policy", name: "star", dependencies: [], propertyDependencies: {}, rawInputs: { policy }, rawOutputs: { policy } });
      expect(diagnostics.map((d) => toViolation(d, urn)).map((v) => [v.policy, v.level, v.message.split("\n")[1]])).toEqual([
        ["aws-iam-no-wildcards", "mandatory", 'IAM policy statement[0] allows action "*"; name the actions and resources explicitly.'],
        ["aws-iam-no-wildcards", "mandatory", 'IAM policy statement[0] allows resource "*"; name the actions and resources explicitly.'],
      ]);
    } finally {
      pack.stop();
    }
  }, 240_000);
});
