import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMesh } from "../../components/model";
import { runCli } from "../helpers/cli";
import { domains, mesh } from "../fixtures/mesh";
import { meshStacks, stackExport } from "./graph";

let dir: string;
let exportsArgs: string[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-trace-"));
  exportsArgs = [];
  for (const s of meshStacks(buildMesh(mesh, domains), mesh, domains)) {
    const file = path.join(dir, `${s.stack}.json`);
    fs.writeFileSync(file, JSON.stringify(stackExport(s.resources)));
    exportsArgs.push("--export", file);
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("npm run trace", () => {
  it("exits 0 and prints one line per hop when the request is delivered", () => {
    const r = runCli("trace", [...exportsArgs, "--from", "trading/order-api", "--to", "trading/matching", "--method", "POST", "--path", "/orders"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ 1\. ok {3}source/m);
    expect(r.stdout).toContain('OPA of zone aws-eu');
    expect(r.stdout).toContain("DELIVERED to trading/matching 127.0.0.1:9090");
  }, 60_000);

  it("exits 1 and --json gives delivered false and the hops, the last one stopping", () => {
    const r = runCli("trace", [...exportsArgs, "--from", "trading/order-api", "--to", "trading/matching", "--method", "GET", "--path", "/orders", "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { delivered: boolean; hops: Array<{ kind: string; verdict: string; rule: string }> };
    expect(out.delivered).toBe(false);
    const last = out.hops[out.hops.length - 1];
    expect(last).toMatchObject({ kind: "ext-authz", verdict: "stop" });
    expect(last.rule).toContain("no intent allows this request");
  }, 60_000);

  it("exits 1 for a caller without a certificate, stopped at the destination's TLS handshake", () => {
    const r = runCli("trace", [...exportsArgs, "--from", "none", "--to", "risk/risk-engine", "--method", "GET", "--path", "/limits"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("STOPPED at tls [gcp-eu/risk/risk-engine-proxy]: no client certificate");
  }, 60_000);

  it("exits 2 naming the argument, the value and the fix", () => {
    const bad = runCli("trace", [...exportsArgs, "--from", "trading/nobody", "--to", "trading/matching"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: --from "trading/nobody": no service trading/nobody in the declared model');
    expect(bad.stderr).toContain("expected one of");
    const missing = runCli("trace", ["--export", path.join(dir, "nope.json"), "--from", "a/b", "--to", "c/d"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--export");
    expect(runCli("trace", [...exportsArgs, "--to", "trading/matching"]).stderr).toContain("--from is required");
    const access = runCli("trace", [...exportsArgs, "--from", "trading/order-api", "--to", "trading/trades", "--access", "delete"]);
    expect(access.code).toBe(2);
    expect(access.stderr).toContain('--access "delete": expected read or write');
  }, 120_000);
});
