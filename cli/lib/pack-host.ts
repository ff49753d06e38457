/**
 * Launching the policy-pack host: the real `@pulumi/pulumi/cmd/run-policy-pack` as a child
 * process, with the preload of host-preload.ts. Kept apart from the analyzer client (gRPC,
 * protobuf) so that the analysis thread can start the host before it loads those.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cachedBundle, runnableModule } from "./build-cache";
import { UsageError } from "./errors";
import { insidePackage, ownModules } from "./own-package";
import { trace } from "./trace";

/**
 * Extra Node flags for the policy-pack host, for performance work: `ZTMESH_PACK_HOST_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof"` (Node refuses `--cpu-prof` in NODE_OPTIONS).
 */
const HOST_NODE_ARGS = (process.env.ZTMESH_PACK_HOST_ARGS ?? "").split(" ").filter(Boolean);

/**
 * V8 flags the host always runs with. A larger young generation (semi-spaces of up to 64 MiB,
 * V8's default is 16 on 64-bit) lets the host decode a large graph's requests (protobuf
 * messages, then plain objects) with fewer scavenges: about a fifth less garbage-collection
 * time on the mesh benchmark. V8 grows the semi-spaces only as far as the allocation rate needs,
 * so a small stack's host stays small.
 */
const HOST_V8_ARGS = ["--max-semi-space-size=64"];

export interface LaunchOptions {
  /**
   * `bundle`: the pack's TypeScript is bundled with esbuild first (fast). `host`: the pack
   * directory is handed to the host exactly as the Pulumi CLI does, which type-checks it with
   * ts-node (slow).
   * @default "bundle"
   */
  typescript?: "bundle" | "host";
}

/** A host being started. */
export interface HostLaunch {
  packDir: string;
  child: ChildProcess;
  /** The port it serves the analyzer on; rejects (a UsageError with its stderr) if it exits first. */
  port: Promise<number>;
  /** Its stderr so far. */
  stderr: string[];
}

/**
 * What the pack's imports of ztmesh itself (`ztmesh/policies`) are bundled from: a pack inside
 * this package (the zero-trust pack) always uses the package around it, any other pack only
 * when it has no ztmesh installed (see own-package.ts).
 */
function ownAliases(packDir: string): Record<string, string> {
  const inside = insidePackage(packDir);
  const aliases: Record<string, string> = {};
  for (const [specifier, file] of ownModules()) {
    if (inside || !resolvable(specifier, packDir)) aliases[specifier] = file;
  }
  return aliases;
}

function resolvable(specifier: string, dir: string): boolean {
  try {
    require.resolve(specifier, { paths: [dir] });
    return true;
  } catch {
    return false;
  }
}

/**
 * The pack's JavaScript entry point: its `index.js`, or its `index.ts` bundled into
 * `.ztmesh-build/` in the pack (rebuilt only when one of its sources changed). The policy
 * tests load the same file in-process (test/helpers/in-process-analyzer.ts).
 */
export function packEntry(packDir: string): string {
  const jsEntry = path.join(packDir, "index.js");
  if (fs.existsSync(jsEntry)) return jsEntry;
  const tsEntry = path.join(packDir, "index.ts");
  if (!fs.existsSync(tsEntry)) throw new UsageError(`policy pack ${packDir} has no index.ts or index.js`);
  return cachedBundle({ entry: tsEntry, outDir: path.join(packDir, ".ztmesh-build"), name: "index", sourcemap: true, alias: ownAliases(packDir) });
}

/** Starts the pack in `dir` through the Pulumi policy-pack host and returns at once. */
export function launchPackHost(dir: string, opts: LaunchOptions = {}): HostLaunch {
  const packDir = path.resolve(dir);
  if (!fs.existsSync(path.join(packDir, "package.json"))) {
    throw new UsageError(`policy pack ${packDir} has no package.json (the pack's version is read from it)`);
  }
  trace("pack build start");
  const entry = opts.typescript === "host" ? packDir : packEntry(packDir);
  trace("pack build done");
  const host = require.resolve("@pulumi/pulumi/cmd/run-policy-pack/index.js");
  // The preload ends the host with the process that drives it (its stdin is our pipe) and
  // defers modules the host never uses (see host-preload.ts).
  const child = spawn(process.execPath, [...HOST_V8_ARGS, ...HOST_NODE_ARGS, "--require", runnableModule("host-preload"), host, "127.0.0.1:0", entry], { cwd: packDir, stdio: ["pipe", "pipe", "pipe"] });
  const stderr: string[] = [];
  child.stderr?.on("data", (d: Buffer) => stderr.push(d.toString()));
  const port = new Promise<number>((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) {
        child.stdout?.off("data", onData);
        trace("host serving");
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.on("exit", (code) => reject(new UsageError(`policy pack ${packDir} exited (${code}) before serving: ${stderr.join("").trim() || out.trim()}`)));
  });
  port.catch(() => undefined); // reported to whoever connects
  return { packDir, child, port, stderr };
}

/** Stops a host. */
export function stopHost(child: ChildProcess): void {
  // With extra Node flags (a profile), let the host exit on its own so it writes it.
  if (HOST_NODE_ARGS.length > 0) child.stdin?.end();
  else child.kill();
}
