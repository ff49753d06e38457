import { spawn } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("the policy-pack host's lifetime", () => {
  it("ends when the process that drives it is killed outright (no orphaned host)", async () => {
    const script = path.join(__dirname, "..", "fixtures", "scripts", "hold-pack.ts");
    const driver = spawn(process.execPath, ["--import", "tsx", script], { cwd: path.join(__dirname, "..", ".."), stdio: ["ignore", "pipe", "inherit"] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = "";
      driver.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\n/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      driver.on("exit", (code) => reject(new Error(`driver exited (${code}) before starting the pack`)));
    });
    expect(alive(pid)).toBe(true);
    driver.kill("SIGKILL");
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const survived = alive(pid);
    if (survived) process.kill(pid, "SIGKILL");
    expect(survived).toBe(false);
  }, 60_000);
});
