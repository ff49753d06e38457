/**
 * Bundles a TypeScript entry point with esbuild for a process or thread that has no
 * TypeScript loader (the analysis thread, the policy-pack host), and reuses the bundle while
 * none of its inputs changed, the way an incremental build does: a manifest beside the bundle
 * records the hash of each input file (from esbuild's metafile) and of the bundle.
 * Bundles are content-addressed and every file is written atomically, so concurrent previews
 * and test workers share them safely. A rebuild removes the bundles it supersedes once they are
 * older than {@link SUPERSEDED_GRACE_MS} (a preview started from one meanwhile has loaded it), so
 * a pack edited a hundred times does not leave a hundred bundles behind.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as Esbuild from "esbuild";

export interface BundleOptions {
  /** The TypeScript (or JavaScript) entry point. */
  entry: string;
  /** Where the bundle and its manifest go. */
  outDir: string;
  /** Base name of the bundle (`<name>-<hash>.js`) and of its manifest (`<name>.manifest.json`). */
  name: string;
  /** Inline source map (stack traces of the pack's policies point at its TypeScript). @default false */
  sourcemap?: boolean;
  /** Bare imports bundled from these files instead of left to `require` (esbuild `alias`). @default {} */
  alias?: Record<string, string>;
}

interface Manifest {
  /** The bundle's file name inside `outDir`. */
  bundle: string;
  /** sha256 of the bundle's text. */
  hash: string;
  /** Input path (relative to the entry point's directory, where esbuild runs) -> sha256 of its content. */
  inputs: Record<string, string>;
  /** The esbuild version and options that built it. */
  key: string;
}

/** How old a superseded bundle must be before a rebuild removes it. */
export const SUPERSEDED_GRACE_MS = 10 * 60 * 1000;

/** Removes `<name>-<hash>.js` bundles in `outDir` other than `keep` that are older than the grace period. */
function pruneSuperseded(outDir: string, name: string, keep: string): void {
  const cutoff = Date.now() - SUPERSEDED_GRACE_MS;
  for (const f of fs.readdirSync(outDir)) {
    if (f === keep || !f.startsWith(`${name}-`) || !/^[0-9a-f]{16}\.js$/.test(f.slice(name.length + 1))) continue;
    const file = path.join(outDir, f);
    try {
      if (fs.statSync(file).mtimeMs < cutoff) fs.rmSync(file, { force: true });
    } catch {
      // removed meanwhile by a concurrent rebuild
    }
  }
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function sha256(text: string | Buffer): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/** The hash of a file's content (content, not mtime: an edit within one clock tick still counts). */
function fileHash(file: string): string | undefined {
  try {
    return sha256(fs.readFileSync(file));
  } catch {
    return undefined;
  }
}

/** The bundle recorded in `manifest` if every input and the bundle itself are unchanged. */
function reusable(outDir: string, workDir: string, manifest: Manifest, key: string): string | undefined {
  if (manifest.key !== key) return undefined;
  for (const [input, hash] of Object.entries(manifest.inputs)) {
    if (fileHash(path.resolve(workDir, input)) !== hash) return undefined;
  }
  const file = path.join(outDir, manifest.bundle);
  return fileHash(file) === manifest.hash ? file : undefined;
}

function readManifest(file: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

/** The path of an up-to-date bundle of `opts.entry`: reused when its inputs are unchanged, else built. */
export function cachedBundle(opts: BundleOptions): string {
  // Loaded only when running from source: the compiled package never bundles.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof Esbuild;
  const entry = path.resolve(opts.entry);
  const workDir = path.dirname(entry);
  const build: Esbuild.BuildOptions = {
    absWorkingDir: workDir,
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    ...(opts.alias && Object.keys(opts.alias).length > 0 ? { alias: opts.alias } : {}),
    sourcemap: opts.sourcemap ? "inline" : false,
    write: false,
    metafile: true,
    logLevel: "silent",
  };
  const key = sha256(JSON.stringify([esbuild.version, build]));
  const manifestFile = path.join(opts.outDir, `${opts.name}.manifest.json`);
  const previous = readManifest(manifestFile);
  const hit = previous && reusable(opts.outDir, workDir, previous, key);
  if (hit) return hit;

  const out = esbuild.buildSync(build);
  const code = out.outputFiles?.[0]?.text ?? "";
  const hash = sha256(code);
  const bundle = `${opts.name}-${hash.slice(0, 16)}.js`;
  fs.mkdirSync(opts.outDir, { recursive: true });
  const file = path.join(opts.outDir, bundle);
  if (fileHash(file) !== hash) writeAtomically(file, code);
  const inputs: Manifest["inputs"] = {};
  for (const input of Object.keys(out.metafile?.inputs ?? {})) {
    const h = fileHash(path.resolve(workDir, input));
    if (h) inputs[input] = h;
  }
  writeAtomically(manifestFile, JSON.stringify({ bundle, hash, inputs, key } satisfies Manifest));
  pruneSuperseded(opts.outDir, opts.name, bundle);
  return file;
}

/**
 * This folder (cli/lib, source or compiled). Inside a bundle made by {@link runnableModule}
 * (`<repo>/.ztmesh-build/*.js`, e.g. the analysis thread), `__dirname` is the bundle's folder.
 */
const LIB_DIR = /^build-cache\.(ts|js)$/.test(path.basename(__filename)) ? __dirname : path.resolve(__dirname, "..", "cli", "lib");

/**
 * The JavaScript of a module of cli/lib for a fresh thread or process: the compiled file when
 * the package is built (`<base>.js`), else a cached bundle of `<base>.ts` in `.ztmesh-build/`
 * at the repository root.
 */
export function runnableModule(base: string): string {
  const compiled = path.join(LIB_DIR, `${base}.js`);
  if (fs.existsSync(compiled)) return compiled;
  return cachedBundle({ entry: path.join(LIB_DIR, `${base}.ts`), outDir: path.resolve(LIB_DIR, "..", "..", ".ztmesh-build"), name: base });
}
