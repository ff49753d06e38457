/**
 * The edge of the OPA compiler: canonical serialization, content revisions, the on-disk
 * bundle layout, and the hand-written Rego modules read from `rego/`.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { OpaBundle } from "./types";

/**
 * JSON with object keys sorted at every level and no whitespace, so the same value always
 * gives the same bytes. Arrays keep their order (compilers sort them where order carries no meaning).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * The bundle revision: sha256 (hex) over the roots and every file but `.manifest`, each
 * file as `path NUL content NUL` in path order.
 */
export function bundleRevision(roots: readonly string[], files: ReadonlyMap<string, string>): string {
  const h = createHash("sha256");
  h.update(canonicalJson([...roots].sort()));
  h.update("\0");
  for (const p of [...files.keys()].sort()) {
    if (p === ".manifest") continue;
    h.update(p).update("\0").update(files.get(p) ?? "").update("\0");
  }
  return h.digest("hex");
}

/** The content files of a bundle (everything but `.manifest`): data document and Rego modules. */
export function contentFiles(dataPath: string, data: unknown, rego: Readonly<Record<string, string>>): Map<string, string> {
  const files = new Map<string, string>();
  files.set(`${dataPath}/data.json`, canonicalJson(data));
  for (const p of Object.keys(rego).sort()) files.set(p, rego[p]);
  return files;
}

/**
 * The bundle as a directory: relative path -> file content, sorted by path. Writing these
 * files into a directory gives a tree that `opa run -b <dir>` and `opa build -b <dir>` load:
 * `.manifest`, `<dataPath>/data.json` (canonical JSON) and the Rego modules.
 */
export function bundleFiles(bundle: OpaBundle<unknown>): Map<string, string> {
  const files = contentFiles(bundle.dataPath, bundle.data, bundle.rego);
  files.set(".manifest", canonicalJson(bundle.manifest));
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Absolute path of the directory holding the hand-written Rego (`opa test <dir> -v` runs its tests). */
export function regoDir(): string {
  return path.join(__dirname, "rego");
}

/**
 * Reads the policy modules shipped in the platform bundle: every `.rego` file under
 * {@link regoDir} except `*_test.rego`, keyed by path relative to that directory (with `/`).
 * Reads the disk at call time (never at module load).
 */
export function readPolicyModules(dir: string = regoDir()): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    const entries = readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith(".rego") && !e.name.endsWith("_test.rego")) out[r] = readFileSync(path.join(dir, r), "utf8");
    }
  };
  walk("");
  return out;
}
