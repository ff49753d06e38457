import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { TAR_FIXED, readTarGz, tar, tarGz, untar } from "../../../components/compile/opa/tarball";
import { bundleFiles, compileOpaBundles } from "../../../components/compile/opa";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const files = new Map<string, string>([
  ["ztmesh/platform/data.json", '{"a":1,"ü":"ß"}'],
  [".manifest", '{"revision":"r","roots":["x"]}'],
  ["envoy/authz/authz.rego", "package envoy.authz\n\ndefault allow := false\n"],
  [`${"d".repeat(120)}/${"n".repeat(90)}.rego`, "long path\n"],
  ["empty.txt", ""],
  ["block.txt", "x".repeat(512)],
]);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("tarGz", () => {
  it("is deterministic: same files, same bytes, whatever the insertion order", () => {
    const reversed = new Map([...files.entries()].reverse());
    expect(tarGz(files).equals(tarGz(reversed))).toBe(true);
    const gz = tarGz(files);
    expect(gz.readUInt32LE(4)).toBe(0); // gzip mtime
    expect(gz[9]).toBe(0xff); // gzip OS: unknown
  });

  it("round-trips through its own reader with fixed metadata, in path order", () => {
    const entries = untar(gunzipSync(tarGz(files)));
    expect(entries.map((e) => e.path)).toEqual([...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const e of entries) {
      expect(e.content.toString("utf8")).toBe(files.get(e.path));
      expect({ mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, type: e.type }).toEqual({ ...TAR_FIXED, type: "0" });
    }
    expect(readTarGz(tarGz(files))).toEqual(new Map([...files.entries()]));
    expect(tar(files).length % 512).toBe(0);
  });

  it("extracts with the system tar (-xzf) to the same files", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ztmesh-tar-"));
    dirs.push(dir);
    const archive = path.join(dir, "bundle.tar.gz");
    writeFileSync(archive, tarGz(files));
    const out = path.join(dir, "out");
    execFileSync("mkdir", [out]);
    execFileSync("tar", ["-xzf", archive, "-C", out]);
    for (const [p, content] of files) {
      expect(readFileSync(path.join(out, p), "utf8")).toBe(content);
      expect(statSync(path.join(out, p)).mode & 0o777).toBe(0o644);
    }
    const listing = execFileSync("tar", ["-tzvf", archive], { encoding: "utf8" });
    expect(listing).toMatch(/0\/0|root\/root/);
  });

  it("packs a compiled OPA bundle that the system tar lists completely", () => {
    const model = buildMesh(mesh, domains);
    const bundle = compileOpaBundles(model, "aws-eu").platform;
    const bf = bundleFiles(bundle);
    const dir = mkdtempSync(path.join(tmpdir(), "ztmesh-tar-"));
    dirs.push(dir);
    const archive = path.join(dir, "b.tar.gz");
    writeFileSync(archive, tarGz(bf));
    const names = execFileSync("tar", ["-tzf", archive], { encoding: "utf8" }).trim().split("\n");
    expect(names.sort()).toEqual([...bf.keys()].sort());
  });

  it("rejects absolute and dot-dot paths, and paths too long for ustar", () => {
    expect(() => tar(new Map([["/etc/passwd", "x"]]))).toThrow(/relative/);
    expect(() => tar(new Map([["a/../b", "x"]]))).toThrow(/relative/);
    expect(() => tar(new Map([["x".repeat(101), "x"]]))).toThrow(/too long/);
  });
});
