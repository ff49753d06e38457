/**
 * The ztmesh package's own entry points, by the specifier a policy pack imports them with
 * (`ztmesh`, `ztmesh/policies`, from package.json `exports`). The zero-trust pack imports
 * `ztmesh/policies` so that it can be published on its own (it then depends on the published
 * ztmesh); inside this package it has no ztmesh installed next to it, and runs against the
 * package around it: its TypeScript when running from source, the compiled files when built.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const FILE = path.basename(__filename);
/** Compiled into dist/cli/lib, or the TypeScript itself (or a bundle of it made by build-cache.ts). */
const COMPILED = FILE === "own-package.js";

/**
 * The package root: this file is `<root>/cli/lib/own-package.ts`, `<root>/dist/cli/lib/own-package.js`,
 * or inlined in a bundle in `<root>/.ztmesh-build/` (see build-cache.ts).
 */
export const PACKAGE_ROOT = COMPILED
  ? path.resolve(__dirname, "..", "..", "..")
  : FILE === "own-package.ts"
    ? path.resolve(__dirname, "..", "..")
    : path.resolve(__dirname, "..");

interface Manifest {
  name: string;
  exports?: Record<string, string | { default?: string }>;
}

let modules: Map<string, string> | undefined;

/**
 * Specifier -> file of every JavaScript entry point the package exports: the `exports` target,
 * or when running from source the TypeScript it is compiled from (`./dist/x.js` -> `x.ts`).
 */
export function ownModules(): ReadonlyMap<string, string> {
  if (modules) return modules;
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as Manifest;
  modules = new Map();
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    const file = typeof target === "string" ? target : target.default;
    if (!file?.endsWith(".js") || !key.startsWith(".")) continue;
    const specifier = key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`;
    const source = file.startsWith("./dist/") ? file.slice("./dist/".length).replace(/\.js$/, ".ts") : undefined;
    modules.set(specifier, path.join(PACKAGE_ROOT, !COMPILED && source ? source : file));
  }
  return modules;
}

/** Whether `dir` is inside this package (its own packs always run against it). */
export function insidePackage(dir: string): boolean {
  const rel = path.relative(PACKAGE_ROOT, path.resolve(dir));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel) && !rel.split(path.sep).includes("node_modules"));
}
