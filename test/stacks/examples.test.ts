/**
 * The example stacks are integration tests: each runs through the offline preview (program
 * under mocks + the zero-trust pack) in dependency order, as scripts/preview-examples.sh does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../helpers/cli";

const out = mkdtempSync(path.join(tmpdir(), "ztmesh-examples-"));
const cfg = ["--policy-config", "Pulumi.dev.policy.json"];
const PLATFORM = "organization/ztmesh-platform/dev";
const ref = (name: string, dir: string) => ["--stack-reference", `${name}=${path.join(out, dir, "stack.json")}`];
const results: Record<string, CliResult> = {};

function preview(key: string, args: string[]): CliResult {
  const r = runCli("preview", [...args, ...cfg, "--json", "--out", path.join(out, key)]);
  results[key] = r;
  return r;
}
function mandatory(r: CliResult): number {
  const report = JSON.parse(r.stdout) as { violations?: { level?: string; enforcementLevel?: string }[] };
  return (report.violations ?? []).filter((v) => (v.level ?? v.enforcementLevel) === "mandatory").length;
}

const DOMAINS = ["trading", "risk", "compliance"];

beforeAll(() => {
  preview("platform-dev", ["--stack", "dev"]);
  // As scripts/preview-examples.sh: the domains reference each other, so a first rollout takes
  // two passes; a domain not previewed yet is a stack with no outputs.
  const notDeployed = path.join(out, "not-deployed.json");
  writeFileSync(notDeployed, "{}");
  const latest = new Map<string, string>();
  for (const pass of [1, 2]) {
    for (const d of DOMAINS) {
      const refs = ref(PLATFORM, "platform-dev");
      for (const o of DOMAINS.filter((x) => x !== d)) refs.push("--stack-reference", `organization/ztmesh-domain/${o}-dev=${latest.get(o) ?? notDeployed}`);
      const key = pass === 1 ? `${d}-dev-pass1` : `${d}-dev`;
      preview(key, ["--project", "stacks/domain", "--stack", `${d}-dev`, ...refs]);
      latest.set(d, path.join(out, key, "stack.json"));
    }
  }
  const refs = ref(PLATFORM, "platform-dev");
  for (const d of DOMAINS) refs.push(...ref(`organization/ztmesh-domain/${d}-dev`, `${d}-dev`));
  preview("negative-dev", ["--project", "stacks/domain", "--stack", "negative-dev", ...refs]);
}, 900_000);

type StackExport = { deployment: { resources: { type: string; outputs: Record<string, unknown> }[] } };
const stackOutputs = (key: string) =>
  (JSON.parse(readFileSync(path.join(out, key, "stack.json"), "utf8")) as StackExport).deployment.resources.find((x) => x.type === "pulumi:pulumi:Stack")!.outputs;
const artifact = (key: string, rel: string) => readFileSync(path.join(out, key, "artifacts", rel), "utf8");

describe("example stacks (offline preview)", () => {
  it.each(["platform-dev", "trading-dev", "risk-dev", "compliance-dev"])("%s previews with exit 0 and zero mandatory violations", (key) => {
    const r = results[key];
    expect(r.code, r.stderr).toBe(0);
    expect(mandatory(r)).toBe(0);
  });

  it.each(DOMAINS.map((d) => `${d}-dev-pass1`))("%s (first pass, peers not deployed yet) previews with exit 0", (key) => {
    expect(results[key].code, results[key].stderr).toBe(0);
  });

  it("on the first pass a consumer's intents are pending until the producer admits it; after the second, none are", () => {
    const pending = stackOutputs("compliance-dev-pass1").pendingIntents as { id: string; to: string; producer: string }[];
    expect(pending).toContainEqual({ id: "compliance#1", from: "compliance/surveillance", to: "risk/customer-risk", producer: "risk" });
    expect(results["compliance-dev-pass1"].stdout + results["compliance-dev-pass1"].stderr).toContain('domain "risk" does not admit domain "compliance" yet');
    for (const d of DOMAINS) expect(stackOutputs(`${d}-dev`).pendingIntents, d).toEqual([]);
    expect((stackOutputs("risk-dev").contract as { admits: string[] }).admits).toEqual(["compliance", "trading"]);
  });

  it("cross-cloud object-store reads are federated in the stores' accounts, so nothing is left unfederated", () => {
    type Planned = { sourceZone: string; targetZones: string[]; cloud: string; workloads: string[]; intents: string[] };
    const planned = (key: string) => (stackOutputs(key).crossCloudFederations as Planned[]).map((f) => [f.sourceZone, f.targetZones, f.workloads, f.intents]);
    // compliance (Azure) reads trading's S3 and risk's GCS products; risk (GCP) reads trading's S3 products.
    // trading's `*` intent on reference-prices (S3) federates every workload of the other domains too.
    expect(planned("compliance-dev")).toEqual([
      ["azure-eu", ["aws-eu"], ["compliance/case-manager", "compliance/regulatory-reporting", "compliance/surveillance"], ["compliance#0", "trading#5"]],
      ["azure-eu", ["gcp-eu"], ["compliance/regulatory-reporting", "compliance/surveillance"], ["compliance#1", "compliance#4"]],
    ]);
    expect(planned("risk-dev")).toEqual([["gcp-eu", ["aws-eu"], ["risk/exposure-api", "risk/market-data-loader", "risk/risk-engine"], ["risk#0", "risk#2", "trading#5"]]]);
    expect(planned("trading-dev")).toEqual([]);
    for (const d of DOMAINS) expect(stackOutputs(`${d}-dev`).unfederatedIntents, d).toEqual([]);
    expect(results["compliance-dev"].stdout + results["compliance-dev"].stderr).not.toContain("store refuses");

    // The identities live in the stores' accounts and trust the consumer zone's issuer, whose
    // OIDC provider in the AWS account is the platform's (the domain creates none).
    const resources = (key: string) => (JSON.parse(readFileSync(path.join(out, key, "stack.json"), "utf8")) as { deployment: { resources: { urn: string; type: string; inputs?: Record<string, unknown> }[] } }).deployment.resources;
    const compliance = resources("compliance-dev");
    const role = compliance.find((r) => r.type === "aws:iam/role:Role" && r.urn.endsWith("compliance-azure-eu-to-aws-eu-federation-compliance-surveillance-role"))!;
    const trust = JSON.parse(String(role.inputs!.assumeRolePolicy)) as { Statement: { Principal: { Federated: string }; Condition: { StringEquals: Record<string, string> } }[] };
    const host = "oidc.azure-eu.mesh.acme.example";
    expect(trust.Statement[0].Condition.StringEquals).toEqual({ [`${host}:sub`]: "spiffe://mesh.acme.example/ns/compliance/sa/surveillance", [`${host}:aud`]: "sts.amazonaws.com" });
    const arn = trust.Statement[0].Principal.Federated;
    expect(arn).toMatch(new RegExp(`^arn:aws:iam::\\d{12}:oidc-provider/${host.replace(/\./g, "\\.")}$`));
    expect(compliance.filter((r) => r.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual([]);
    const platformProviders = resources("platform-dev").filter((r) => r.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
    const urls = platformProviders.map((r) => String(r.inputs!.url)).sort();
    expect(urls).toEqual(["aws-eu", "azure-eu", "dc-eu", "gcp-eu"].map((z) => `https://oidc.${z}.mesh.acme.example`));
    const pool = compliance.find((r) => r.type === "gcp:iam/workloadIdentityPool:WorkloadIdentityPool")!;
    expect(pool.inputs).toMatchObject({ workloadIdentityPoolId: "ztmesh-azure-eu-compliance" });
  });

  it("risk's customer-risk proxy admits compliance's surveillance only once risk references compliance", () => {
    const surveillance = "spiffe://mesh.acme.example/ns/compliance/sa/surveillance";
    expect(artifact("risk-dev-pass1", "envoy/risk-customer-risk-proxy.yaml")).not.toContain(surveillance);
    expect(artifact("risk-dev", "envoy/risk-customer-risk-proxy.yaml")).toContain(surveillance);
    // ...and trading's trades proxy admits both of its consumers.
    const trades = artifact("trading-dev", "envoy/trading-trades-proxy.yaml");
    expect(trades).toContain(surveillance);
    expect(trades).toContain("spiffe://mesh.acme.example/ns/risk/sa/risk-engine");
  });

  it("the negative example (wildcard consumer of risk/customer-risk) fails validation, naming the path", () => {
    const r = results["negative-dev"];
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('args.domains.marketing.intents[0].from: wildcard source "*" may not access high-sensitivity data product "risk/customer-risk"');
    expect(r.stderr).not.toContain("unknown domain");
  });

  it("the platform exports the versioned contract with every zone's bundle store", () => {
    const s = JSON.parse(readFileSync(path.join(out, "platform-dev", "stack.json"), "utf8")) as { deployment: { resources: { type: string; outputs: Record<string, unknown> }[] } };
    const stack = s.deployment.resources.find((x) => x.type === "pulumi:pulumi:Stack")!;
    const contract = stack.outputs.contract as { version: number; zones: { id: string; bundleStore: { kind: string } }[] };
    expect(contract.version).toBe(1);
    expect(contract.zones.map((z) => [z.id, z.bundleStore.kind])).toEqual([["aws-eu", "s3"], ["gcp-eu", "gcs"], ["azure-eu", "azure-blob"], ["dc-eu", "http"]]);
  });

  it("platform prod differs from dev only in sizes, retention locks and where its keys come from", () => {
    const load = (f: string) => (parse(readFileSync(f, "utf8")) as { config: Record<string, unknown> }).config;
    const dev = load("Pulumi.dev.yaml");
    const prod = load("Pulumi.prod.yaml");
    const strip = (c: Record<string, unknown>) => {
      const { ["ztmesh-platform:mesh"]: mesh, ...rest } = c;
      const m = { ...(mesh as Record<string, unknown>) };
      delete m.policyEngine;
      const keep = Object.fromEntries(Object.entries(rest).filter(([k]) => !/Replicas|lockRetention|devKeysDir|upstreamCa|bundleSigning/.test(k)));
      return { mesh: m, ...keep };
    };
    expect(strip(prod)).toEqual(strip(dev));
    expect(prod["ztmesh-platform:lockRetention"]).toBe(true);
    expect(prod["ztmesh-platform:devKeysDir"]).toBeUndefined();
  });
});

describe("component conventions hold in every example stack", () => {
  type Exported = { urn: string; type: string; parent?: string };
  const load = (key: string) => (JSON.parse(readFileSync(path.join(out, key, "stack.json"), "utf8")) as { deployment: { resources: Exported[] } }).deployment.resources;
  const nameOf = (urn: string) => urn.split("::").pop() ?? "";

  it.each(["platform-dev", "trading-dev", "risk-dev", "compliance-dev"])(
    "%s: every resource lives in a ztmesh component, named after its parent, and no component creates a provider",
    (key) => {
      const resources = load(key);
      const byUrn = new Map(resources.map((r) => [r.urn, r]));
      const topLevel = resources.filter((r) => byUrn.get(r.parent ?? "")?.type === "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
      expect(topLevel.map((r) => r.type)).toEqual([key === "platform-dev" ? "ztmesh:mesh:HybridMesh" : "ztmesh:mesh:MeshDomain"]);
      for (const r of resources) {
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        if (!parent || parent.type === "pulumi:pulumi:Stack") continue;
        expect(r.type.startsWith("pulumi:providers:"), `${r.urn} is a provider created inside a component`).toBe(false);
        expect(nameOf(r.urn).startsWith(nameOf(parent.urn)), `${r.urn} is not named after ${parent.urn}`).toBe(true);
      }
    },
  );
});
