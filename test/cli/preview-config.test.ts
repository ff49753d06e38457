import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { applyConfigArgs, loadProject, loadStackConfig } from "../../cli/lib/project";
import { ROOT, runCli } from "../helpers/cli";

const BASIC = "test/fixtures/programs/basic";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function outDir(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-preview-config-")), "out");
}

/** The root stack's outputs in `<out>/stack.json`. */
function stackOutputs(out: string): Record<string, unknown> {
  const exported = JSON.parse(fs.readFileSync(path.join(out, "stack.json"), "utf8"));
  return exported.deployment.resources[0].outputs as Record<string, unknown>;
}

describe("preview --config", () => {
  it("sets values on top of Pulumi.<stack>.yaml: bare keys in the project namespace, other namespaces as they are", () => {
    const out = outDir();
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "--out", out, "--config", 'namespaces=["a","b","c"]', "-c", "basic:greeting=hi", "-c", "aws:region=eu-west-1"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const outputs = stackOutputs(out);
    expect(outputs.tenantCount).toBe(3); // the stack file has two namespaces
    expect(outputs.fromConfig).toEqual({ greeting: "hi", tokenIsSecretKey: false });
  });

  it("without --config the stack file and the declared defaults apply", () => {
    const out = outDir();
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "--out", out]);
    expect(r.code).toBe(0);
    expect(stackOutputs(out).tenantCount).toBe(2);
    expect(stackOutputs(out).fromConfig).toEqual({ greeting: "hello", tokenIsSecretKey: false });
  });

  it("the last value of a repeated key wins, and the program sees typed values", () => {
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "-c", "fail=false", "-c", "fail=true"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("basic program failed on purpose: fail=true");
  });

  it("passes a key the project declares secret: true as a secret: marked for the runtime, and secret in the outputs", () => {
    const out = outDir();
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "--out", out, "--json", "--config", "token=t0p-s3cret"]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("t0p-s3cret");
    expect(stackOutputs(out).fromConfig).toEqual({
      greeting: "hello",
      token: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: '"t0p-s3cret"' },
      tokenIsSecretKey: true,
    });
  });

  it("exits 2 on an undeclared project key, with one line naming it and the known keys", () => {
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "--config", "colour=blue"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: --config colour: not declared in ${path.join(ROOT, BASIC, "Pulumi.yaml")} ` +
        "(known keys: namespaces, openNamespaces, s3Actions, fail, greeting, token)\n",
    );
  });

  it("exits 2 like the Pulumi CLI when a key declared without a default has no value, and --config can supply it", () => {
    const r = runCli("preview", ["--project", BASIC, "--stack", "incomplete"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: Stack 'incomplete' is missing configuration value 'namespaces' (set it in ${path.join(ROOT, BASIC, "Pulumi.incomplete.yaml")}, or give the key a default in Pulumi.yaml)\n`,
    );
    const ok = runCli("preview", ["--project", BASIC, "--stack", "incomplete", "--config", 'namespaces=["apps"]']);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("exits 2 on a malformed argument, with one line naming it", () => {
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "-c", "namespaces"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("error: --config namespaces: expected KEY=VALUE with KEY as name or namespace:name, e.g. --config gatewayReplicas=3\n");
  });

  it("exits 2 on a value not of the declared type", () => {
    const r = runCli("preview", ["--project", BASIC, "--stack", "dev", "-c", "fail=maybe"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --config fail: must be of type boolean, got "maybe"\n');
  });
});

describe("applyConfigArgs", () => {
  const project = loadProject(path.join(ROOT, BASIC));
  const base = loadStackConfig(project, "dev");

  it("marks declared-secret keys as secret keys, and only those", () => {
    const config = applyConfigArgs(project, base, ["token=x", "greeting=y", "aws:region=z"]);
    expect(config.secretKeys).toEqual(["basic:token"]);
    expect(config.values).toMatchObject({ "basic:token": "x", "basic:greeting": "y", "aws:region": "z", "basic:namespaces": '["payments","ledger"]' });
  });

  it("does not change the config it is given", () => {
    applyConfigArgs(project, base, ["token=x"]);
    expect(base.secretKeys).toEqual([]);
    expect(base.values["basic:token"]).toBe(""); // its declared default
  });

  it("rejects an undeclared key of the project namespace written in full", () => {
    expect(() => applyConfigArgs(project, base, ["basic:colour=blue"])).toThrow(/^--config basic:colour: not declared in .*Pulumi\.yaml \(known keys: namespaces, /);
  });

  it.each([["=x"], ["a b=c"], ["aws:region:x=1"], [""]])("rejects the malformed argument %j", (arg) => {
    expect(() => applyConfigArgs(project, base, [arg])).toThrow(`--config ${arg}: expected KEY=VALUE`);
  });

  it("shortens a long malformed argument in the message", () => {
    expect(() => applyConfigArgs(project, base, [`-----BEGIN PRIVATE KEY-----${"A".repeat(100)}`])).toThrow(
      /^--config -----BEGIN PRIVATE KEY-----A{13}\.\.\.: expected/,
    );
  });

  it.each([
    ["namespaces=payments", 'must be of type array, got "payments"'],
    ['namespaces={"a":1}', "must be of type array"],
    ["fail=", "must be of type boolean"],
  ])("checks %s against the declared type", (arg, message) => {
    expect(() => applyConfigArgs(project, base, [arg])).toThrow(message);
  });

  it("does not echo a secret value in a type error", () => {
    const secretInt = { ...project, config: { ...project.config, "basic:pin": { type: "integer" as const, secret: true } } };
    expect(() => applyConfigArgs(secretInt, base, ["pin=hunter2"])).toThrow(/^--config pin: must be of type integer$/);
  });
});
