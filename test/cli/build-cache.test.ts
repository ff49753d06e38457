import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SUPERSEDED_GRACE_MS, cachedBundle } from "../../cli/lib/build-cache";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function project(): { src: string; out: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-build-cache-"));
  dirs.push(root);
  const src = path.join(root, "src");
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, "entry.ts"), `import { answer } from "./dep";\nexport const value: number = answer();\n`);
  fs.writeFileSync(path.join(src, "dep.ts"), `export function answer(): number { return 41; }\n`);
  return { src, out: path.join(root, "out") };
}

const valueOf = (file: string): unknown => {
  const mod: { exports: { value?: unknown } } = { exports: {} };
  new Function("module", "exports", "require", fs.readFileSync(file, "utf8"))(mod, mod.exports, require);
  return mod.exports.value;
};

describe("cachedBundle", () => {
  it("bundles an entry point with its imports into a content-addressed file", () => {
    const { src, out } = project();
    const file = cachedBundle({ entry: path.join(src, "entry.ts"), outDir: out, name: "entry" });
    expect(path.basename(file)).toMatch(/^entry-[0-9a-f]{16}\.js$/);
    expect(valueOf(file)).toBe(41);
  });

  it("reuses the bundle while no input changed, without rebuilding", () => {
    const { src, out } = project();
    const first = cachedBundle({ entry: path.join(src, "entry.ts"), outDir: out, name: "entry" });
    const built = fs.statSync(first).mtimeMs;
    const manifest = fs.readFileSync(path.join(out, "entry.manifest.json"), "utf8");
    const again = cachedBundle({ entry: path.join(src, "entry.ts"), outDir: out, name: "entry" });
    expect(again).toBe(first);
    expect(fs.statSync(again).mtimeMs).toBe(built);
    expect(fs.readFileSync(path.join(out, "entry.manifest.json"), "utf8")).toBe(manifest);
    expect(Object.keys(JSON.parse(manifest).inputs).sort()).toEqual(["dep.ts", "entry.ts"]);
  });

  it("rebuilds when an imported file changes (not only the entry point)", () => {
    const { src, out } = project();
    const first = cachedBundle({ entry: path.join(src, "entry.ts"), outDir: out, name: "entry" });
    fs.writeFileSync(path.join(src, "dep.ts"), `export function answer(): number { return 42; }\n`);
    const second = cachedBundle({ entry: path.join(src, "entry.ts"), outDir: out, name: "entry" });
    expect(second).not.toBe(first);
    expect(valueOf(second)).toBe(42);
  });

  it("rebuilds when the bundle was tampered with or removed, and when the options differ", () => {
    const { src, out } = project();
    const first = cachedBundle({ entry: path.join(src, "entry.ts"), outDir: out, name: "entry" });
    fs.writeFileSync(first, "module.exports.value = 0;\n");
    const repaired = cachedBundle({ entry: path.join(src, "entry.ts"), outDir: out, name: "entry" });
    expect(valueOf(repaired)).toBe(41);
    fs.rmSync(repaired);
    expect(valueOf(cachedBundle({ entry: path.join(src, "entry.ts"), outDir: out, name: "entry" }))).toBe(41);
    const mapped = cachedBundle({ entry: path.join(src, "entry.ts"), outDir: out, name: "entry", sourcemap: true });
    expect(fs.readFileSync(mapped, "utf8")).toContain("sourceMappingURL=data:application/json");
  });

  it("a rebuild removes the bundles it supersedes once past the grace period, and nothing else", () => {
    const { src, out } = project();
    const build = () => cachedBundle({ entry: path.join(src, "entry.ts"), outDir: out, name: "entry" });
    const edit = (n: number) => fs.writeFileSync(path.join(src, "dep.ts"), `export function answer(): number { return ${n}; }\n`);
    const age = (file: string, ms: number) => fs.utimesSync(file, new Date(Date.now() - ms), new Date(Date.now() - ms));
    const old = build();
    age(old, SUPERSEDED_GRACE_MS + 60_000);
    edit(42);
    const recent = build(); // supersedes `old`, which is past the grace period: removed
    expect(fs.existsSync(old)).toBe(false);
    const other = path.join(out, "other-0123456789abcdef.js");
    fs.writeFileSync(other, "");
    age(other, SUPERSEDED_GRACE_MS + 60_000);
    edit(43);
    const latest = build(); // supersedes `recent`, still within the grace period: kept
    expect(fs.existsSync(recent)).toBe(true);
    expect(fs.existsSync(other)).toBe(true);
    expect(valueOf(latest)).toBe(43);
    age(latest, SUPERSEDED_GRACE_MS + 60_000);
    expect(build()).toBe(latest); // the current bundle is never removed, however old
    expect(fs.existsSync(latest)).toBe(true);
  });
});
