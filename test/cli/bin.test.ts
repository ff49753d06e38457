/** The `ztmesh` bin's dispatcher (cli/index.ts), in-process; the installed bin itself is scripts/smoke-pack.sh's. */
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ztmesh } from "../../cli/index";
import { UsageError } from "../../cli/lib/errors";

function captured(): { text: () => string } {
  const out: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  return { text: () => out.join("") };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ztmesh", () => {
  it("--help lists every command and exits 0; no command prints it and exits 2", async () => {
    const out = captured();
    expect(await ztmesh(["--help"])).toBe(0);
    expect(out.text()).toMatch(/^usage: ztmesh <command>/);
    for (const c of ["preview", "audit", "trace"]) expect(out.text()).toMatch(new RegExp(`^  ${c}\\s`, "m"));
    expect(await ztmesh([])).toBe(2);
  });

  it("--version prints the package's version", async () => {
    const out = captured();
    expect(await ztmesh(["--version"])).toBe(0);
    expect(out.text().trim()).toBe((await import("../../package.json")).version);
  });

  it("<command> --help prints the command's usage without running it", async () => {
    const out = captured();
    expect(await ztmesh(["audit", "--help"])).toBe(0);
    expect(out.text()).toMatch(/^usage: ztmesh audit FILE/);
  });

  it("hands the arguments after the command to it", async () => {
    const missing = path.join(__dirname, "no-such-export.json");
    await expect(ztmesh(["audit", missing])).rejects.toThrow(`export file not found or unreadable: ${missing}`);
    await expect(ztmesh(["audit"])).rejects.toThrow(/^usage: audit FILE/);
  });

  it("refuses an unknown command, naming the commands", async () => {
    await expect(ztmesh(["deploy"])).rejects.toThrow(new UsageError('unknown command "deploy" (commands: preview, audit, trace; see ztmesh --help)'));
  });

  it("trace runs the path tracer: its own usage errors, and a trace through the given exports", async () => {
    await expect(ztmesh(["trace", "x"])).rejects.toThrow(/^unexpected argument "x"/);
    await expect(ztmesh(["trace", "--to", "a/b"])).rejects.toThrow(/^--from is required/);
    const missing = path.join(__dirname, "no-such-export.json");
    await expect(ztmesh(["trace", "--export", missing, "--from", "a/b", "--to", "c/d"])).rejects.toThrow(`--export ${missing}: file not found`);
  });
});
