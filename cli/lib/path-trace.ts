/**
 * `trace`: reads the `pulumi stack export` files of a mesh's stacks, builds the tracer's
 * snapshot (components/trace) and follows one request. The export parsing and the disk reads
 * (file assets, the preview's unpacked bundles) live here; everything else is the pure core.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tarGz } from "../../components/compile/opa/tarball";
import { TraceInputError, buildRequest, checkFailures, checkMesh, formatTrace, snapshotFromResources, traceRequest, type GraphResource } from "../../components/trace";
import { UsageError } from "./errors";
import { parseStackExport } from "./export";
import { unwrapSecrets } from "./properties";

export interface TraceOptions {
  exports: string[];
  from: string;
  to: string;
  method?: string;
  path?: string;
  access?: string;
  json?: boolean;
  write?: (text: string) => void;
}

/** Exit codes of `trace`. */
export const TRACE_EXIT = { delivered: 0, stopped: 1, broken: 2 } as const;

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p).split(path.sep).join("/"), fs.readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

/**
 * Reads a file asset: the asset's own path, or (a preview's export, whose temporary files are
 * gone) the bundle the preview unpacked under `<export dir>/artifacts/<mark without .tar.gz>/`.
 */
function assetReader(exportDir: string): (p: string, r: GraphResource) => Uint8Array | undefined {
  return (p, r) => {
    if (fs.existsSync(p)) return fs.readFileSync(p);
    const places = [r.inputs["tags"], r.inputs["metadata"], r.inputs["labels"]];
    for (const place of places) {
      if (typeof place !== "object" || place === null) continue;
      const rec = place as Record<string, unknown>;
      const mark = rec["ztmesh-artifact"] ?? rec["ztmesh_artifact"];
      if (typeof mark !== "string" || !mark.endsWith(".tar.gz")) continue;
      const dir = path.join(exportDir, "artifacts", mark.slice(0, -".tar.gz".length));
      if (fs.existsSync(dir)) return tarGz(filesUnder(dir));
    }
    return undefined;
  };
}

/** Reads the export files into graph resources (with their own asset readers). */
export function readExports(files: string[]): { resources: GraphResource[]; readAsset: (p: string, r: GraphResource) => Uint8Array | undefined } {
  const resources: GraphResource[] = [];
  // By URN (it names the stack): the core hands back its own copy of the resource.
  const readers = new Map<string, (p: string, r: GraphResource) => Uint8Array | undefined>();
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      throw new UsageError(`--export ${file}: file not found or unreadable (pass a \`pulumi stack export\` file, e.g. .preview/platform-dev/stack.json)`);
    }
    const reader = assetReader(path.dirname(file));
    for (const r of parseStackExport(text, file)) {
      const g: GraphResource = {
        type: r.type,
        urn: r.urn,
        name: r.name,
        ...(r.provider ? { provider: r.provider } : {}),
        inputs: unwrapSecrets(r.rawInputs) as Record<string, unknown>,
        outputs: unwrapSecrets(r.rawOutputs) as Record<string, unknown>,
      };
      resources.push(g);
      readers.set(r.urn, reader);
    }
  }
  return { resources, readAsset: (p, r) => (r.urn ? readers.get(r.urn) : undefined)?.(p, r) ?? (fs.existsSync(p) ? fs.readFileSync(p) : undefined) };
}

/** Options of `trace --check`. */
export interface CheckRunOptions {
  exports: string[];
  json?: boolean;
  write?: (text: string) => void;
}

/**
 * `trace --check`: traces every declared intent of the exported stacks and its near misses
 * (components/trace/check.ts). Exit 0 when every intent is delivered and every near miss stopped.
 */
export function runCheck(opts: CheckRunOptions): number {
  if (opts.exports.length === 0) throw new UsageError("--export FILE is required (once per stack: the platform and every domain), e.g. --export .preview/platform-dev/stack.json");
  const { resources, readAsset } = readExports(opts.exports);
  const snapshot = snapshotFromResources(resources, { readAsset });
  if (!snapshot.model) throw new UsageError("--check needs the declared model: pass the platform's export (its `contract` output) with the domains'");
  const checks = checkMesh(snapshot, snapshot.model);
  const failures = checkFailures(checks);
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  const delivered = checks.filter((c) => c.expected === "delivered").length;
  if (opts.json) {
    write(`${JSON.stringify({ ok: failures.length === 0, checked: checks.length, delivered, failures: checks.filter((c) => !c.ok) }, null, 2)}\n`);
  } else {
    for (const c of checks) write(`${c.ok ? "ok  " : "FAIL"} ${c.label}: ${c.expected === "delivered" ? (c.ok ? "delivered" : `stopped at ${c.last.kind}: ${c.last.rule}`) : c.ok ? `stopped at ${c.last.kind}: ${c.last.rule}` : "DELIVERED"}\n`);
    write(`\n${checks.length} traces: ${delivered} declared flows, ${checks.length - delivered} near misses; ${failures.length} failed\n`);
  }
  return failures.length === 0 ? TRACE_EXIT.delivered : TRACE_EXIT.stopped;
}

/** Runs `trace`; the result is the exit code. */
export function runTrace(opts: TraceOptions): number {
  if (opts.exports.length === 0) throw new UsageError("--export FILE is required (once per stack: the platform and every domain), e.g. --export .preview/platform-dev/stack.json");
  const { resources, readAsset } = readExports(opts.exports);
  const snapshot = snapshotFromResources(resources, { readAsset });
  let request;
  try {
    request = buildRequest(snapshot, { from: opts.from, to: opts.to, method: opts.method, path: opts.path, access: opts.access });
  } catch (e) {
    if (e instanceof TraceInputError) throw new UsageError(e.message);
    throw e;
  }
  const result = traceRequest(snapshot, request);
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  write(opts.json ? `${JSON.stringify({ delivered: result.delivered, request, hops: result.hops, ...(result.deliveredTo ? { deliveredTo: result.deliveredTo } : {}), warnings: result.warnings }, null, 2)}\n` : formatTrace(result));
  return result.delivered ? TRACE_EXIT.delivered : TRACE_EXIT.stopped;
}
