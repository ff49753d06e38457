import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";

const BASIC = "test/fixtures/programs/basic";
let dir: string;

function violationsOf(stdout: string): [string, string, string][] {
  const report = JSON.parse(stdout) as { violations: { policy: string; level: string; urn: string }[] };
  return report.violations.map((v) => [v.policy, v.level, v.urn]);
}

describe("audit", () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-audit-"));
  });

  it("gives the same result on the exported stack.json as the preview did", () => {
    for (const stack of ["dev", "violating"]) {
      const out = path.join(dir, stack);
      const preview = runCli("preview", ["--project", BASIC, "--stack", stack, "--out", out, "--json"]);
      const audit = runCli("audit", [path.join(out, "stack.json"), "--json"]);
      expect(audit.stderr).toBe("");
      expect(audit.code).toBe(preview.code);
      expect(violationsOf(audit.stdout)).toEqual(violationsOf(preview.stdout));
    }
  });

  it("reads the policy config", () => {
    const cfg = path.join(dir, "cfg.json");
    fs.writeFileSync(cfg, JSON.stringify({ "kubernetes-namespace-default-deny": "advisory", "aws-iam-no-wildcards": "disabled" }));
    const r = runCli("audit", [path.join(dir, "violating", "stack.json"), "--policy-config", cfg, "--json"]);
    expect(r.code).toBe(0);
    expect(violationsOf(r.stdout).map(([p, l]) => [p, l])).toEqual([["kubernetes-namespace-default-deny", "advisory"]]);
  });

  it.each([
    ["not json", "{", "not a JSON file"],
    ["no deployment", JSON.stringify({ version: 3 }), 'no "deployment" object'],
    ["wrong version", JSON.stringify({ version: 1, deployment: { resources: [] } }), "deployment version 1 is not supported"],
    ["bad resources", JSON.stringify({ version: 3, deployment: { resources: [{ type: "x" }] } }), 'deployment.resources[0] needs a string "urn"'],
  ])("exits 2 on a malformed export (%s)", (_label, text, message) => {
    const file = path.join(dir, `bad-${_label.replace(/ /g, "-")}.json`);
    fs.writeFileSync(file, text);
    const r = runCli("audit", [file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(file);
  });

  it("exits 2 on a missing file", () => {
    const r = runCli("audit", [path.join(dir, "missing.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("export file not found");
  });
});
