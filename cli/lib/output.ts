/** Writes an output directory all at once: into a sibling temp dir, then renamed into place. */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "./errors";

/** Checks that `dir` can be created or replaced, before any work is done. */
export function checkOutputDir(dir: string): void {
  const abs = path.resolve(dir);
  const parent = path.dirname(abs);
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.accessSync(parent, fs.constants.W_OK);
    if (fs.existsSync(abs)) {
      if (!fs.statSync(abs).isDirectory()) throw new Error("exists and is not a directory");
      fs.accessSync(abs, fs.constants.W_OK | fs.constants.R_OK);
    }
  } catch (e) {
    throw new UsageError(`--out ${dir}: cannot write there (${(e as Error).message})`);
  }
}

/** Writes `files` (relative path to content) as the new content of `dir`, atomically. */
export function writeOutputDir(dir: string, files: Map<string, string>): void {
  const abs = path.resolve(dir);
  const tmp = `${abs}.tmp-${process.pid}`;
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    for (const [rel, content] of files) {
      const file = path.join(tmp, rel);
      if (!file.startsWith(tmp + path.sep)) throw new Error(`artifact path escapes the output directory: ${rel}`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    fs.rmSync(abs, { recursive: true, force: true });
    fs.renameSync(tmp, abs);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new UsageError(`--out ${dir}: ${(e as Error).message}`);
  }
}
