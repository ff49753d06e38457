import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli } from "../helpers/cli";

const BASIC = "test/fixtures/programs/basic";

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-preview-"));
}

describe("preview", () => {
  it("exits 0 on a compliant program and summarizes resources per component and type", () => {
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("test:basic:Tenant::payments  (2)");
    expect(r.stdout).toMatch(/1\s+kubernetes:networking.k8s.io\/v1:NetworkPolicy/);
    expect(r.stdout).toContain("Policy violations: none");
  });

  it("exits 1 on a mandatory violation, naming the policy and the resource URN", () => {
    const r = runCli("preview", ["--project", BASIC, "--stack", "violating", "--json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { violations: { policy: string; level: string; urn: string; message: string }[] };
    expect(report.violations.map((v) => [v.policy, v.level, v.urn])).toEqual([
      ["aws-iam-no-wildcards", "mandatory", "urn:pulumi:violating::basic::aws:iam/rolePolicy:RolePolicy::reader-read"],
      ["kubernetes-namespace-default-deny", "mandatory", "urn:pulumi:violating::basic::test:basic:Tenant$kubernetes:core/v1:Namespace::ledger"],
    ]);
    expect(report.violations[0].message).toContain('allows action "s3:*"');
  });

  it("passes enforcement levels from --policy-config to the pack (mandatory downgraded to advisory exits 0)", () => {
    const dir = tmp();
    const cfg = path.join(dir, "policy-config.json");
    fs.writeFileSync(cfg, JSON.stringify({ all: "advisory" }));
    const r = runCli("preview", ["--project", BASIC, "--stack", "violating", "--policy-config", cfg, "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { violations: { level: string }[] };
    expect(report.violations.map((v) => v.level)).toEqual(["advisory", "advisory"]);
  });

  it("a disabled policy reports nothing", () => {
    const dir = tmp();
    const cfg = path.join(dir, "policy-config.json");
    fs.writeFileSync(cfg, JSON.stringify({ "aws-iam-no-wildcards": "disabled", "kubernetes-namespace-default-deny": { enforcementLevel: "disabled" } }));
    const r = runCli("preview", ["--project", BASIC, "--stack", "violating", "--policy-config", cfg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Policy violations: none");
  });

  it("exits 2 with the program's own message when the program throws", () => {
    const r = runCli("preview", ["--project", BASIC, "--stack", "broken"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("basic program failed on purpose: fail=true");
  });

  it("exits 2 when the stack config is missing", () => {
    const r = runCli("preview", ["--project", BASIC, "--stack", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`stack config not found: ${path.join(ROOT, BASIC, "Pulumi.nope.yaml")}`);
  });

  it("exits 2 on an unknown argument", () => {
    const r = runCli("preview", ["--stak", "dev"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--stak");
  });

  it.each([
    [{ "no-such-policy": "advisory" }, 'unknown policy "no-such-policy"'],
    [{ "aws-iam-no-wildcards": { colour: "blue" } }, 'unknown config key "colour"'],
    [{ "aws-iam-no-wildcards": "sometimes" }, 'unknown enforcement level "sometimes"'],
  ])("exits 2 on a bad policy config %j", (config, message) => {
    const dir = tmp();
    const cfg = path.join(dir, "c.json");
    fs.writeFileSync(cfg, JSON.stringify(config));
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "--policy-config", cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("exits 2 when --out cannot be written, and writes nothing", () => {
    const dir = tmp();
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "not a directory");
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "--out", path.join(file, "out")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--out");
    expect(fs.readFileSync(file, "utf8")).toBe("not a directory");
  });

  it("--out writes stack.json in the export format and artifacts from the recorded inputs", () => {
    const out = path.join(tmp(), "out");
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "--out", out]);
    expect(r.code).toBe(0);
    const exported = JSON.parse(fs.readFileSync(path.join(out, "stack.json"), "utf8"));
    expect(exported.version).toBe(3);
    const resources = exported.deployment.resources as Record<string, unknown>[];
    const stack = resources[0];
    expect(stack.type).toBe("pulumi:pulumi:Stack");
    const np = resources.find((x) => x.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy") as Record<string, unknown>;
    expect(np.parent).toBe("urn:pulumi:dev::basic::test:basic:Tenant::payments");
    expect(np.urn).toBe("urn:pulumi:dev::basic::test:basic:Tenant$kubernetes:networking.k8s.io/v1:NetworkPolicy::payments-default-deny");
    expect(np.dependencies).toContain("urn:pulumi:dev::basic::test:basic:Tenant$kubernetes:core/v1:Namespace::payments");
    expect((np.propertyDependencies as Record<string, string[]>).metadata).toContain(
      "urn:pulumi:dev::basic::test:basic:Tenant$kubernetes:core/v1:Namespace::payments",
    );
    // secrets keep their envelope in the export, as `pulumi stack export --show-secrets` writes them
    expect((stack.outputs as Record<string, unknown>).secretToken).toEqual({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      plaintext: '"s3cr3t"',
    });
    const policy = JSON.parse(fs.readFileSync(path.join(out, "artifacts", "iam", "aws", "reader-read.json"), "utf8"));
    expect(policy.Statement[0].Action).toEqual(["s3:GetObject"]);
    expect(fs.readFileSync(path.join(out, "artifacts", "kubernetes", "default", "networkpolicy-payments-default-deny.yaml"), "utf8")).toContain(
      "policyTypes:",
    );
  });
});

describe("preview --diagram", () => {
  it("writes a Mermaid diagram of the mesh the stack declares", () => {
    const file = path.join(tmp(), "mesh.mmd");
    const r = runCli("preview", ["--stack", "dev", "--policy-config", "Pulumi.dev.policy.json", "--diagram", file]);
    expect(r.code).toBe(0);
    const text = fs.readFileSync(file, "utf8");
    expect(text.startsWith("flowchart LR\n")).toBe(true);
    for (const zone of ["aws_eu", "gcp_eu", "azure_eu", "dc_eu"]) expect(text).toContain(`subgraph zone_${zone}[`);
  });

  it("exits 2 when the stack declares no mesh", () => {
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "--diagram", path.join(tmp(), "x.mmd")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--diagram: no mesh declaration found");
  });
});
