import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AnalysisSession } from "../../cli/lib/analysis-session";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { PolicyPackProcess, analyzeGraph, type AnalyzedResource } from "../../cli/lib/analyzer";
import { UsageError } from "../../cli/lib/errors";

const PACK = path.join(__dirname, "..", "fixtures", "packs", "remediating");
const OPTS = { project: "p", stack: "s", dryRun: true };

function resource(name: string, labels: Record<string, string> = {}): AnalyzedResource {
  return {
    urn: `urn:pulumi:s::p::kubernetes:core/v1:ConfigMap::${name}`,
    type: "kubernetes:core/v1:ConfigMap",
    name,
    dependencies: [],
    propertyDependencies: {},
    rawInputs: { metadata: { name, labels } },
    rawOutputs: {},
  };
}

describe("AnalysisSession (the pack driven from its own thread)", () => {
  it("Analyze sees the inputs a remediation produced, as in the engine", async () => {
    const session = AnalysisSession.open(PACK, OPTS);
    const graph = [resource("a"), resource("b", { owner: "team" })];
    graph.forEach((r) => session.push(r));
    const result = await session.finish(graph);
    expect(result.violations).toEqual([]);
  }, 60_000);

  it("without the remediation the same resource fails (the test above can fail)", async () => {
    const result = await analyzeGraph(PACK, [resource("a")], { ...OPTS, config: { "label-owner": "disabled" } });
    expect(result.violations.map((v) => v.policy)).toEqual(["require-owner"]);
    expect(result.violations[0]?.message).toContain("a has no owner label");
  }, 60_000);

  it("reports violations in registration order although analyses overlap", async () => {
    const session = AnalysisSession.open(PACK, OPTS);
    const names = Array.from({ length: 3 * 16 + 5 }, (_, i) => (i % 3 === 0 ? `legacy-${i}` : `ok-${i}`));
    const graph = names.map((n) => resource(n));
    graph.forEach((r) => session.push(r));
    const result = await session.finish(graph);
    expect(result.violations.map((v) => v.urn.split("::").pop())).toEqual(names.filter((n) => n.startsWith("legacy-")));
    expect(result.violations.every((v) => v.level === "mandatory" && v.policy === "reject-legacy")).toBe(true);
  }, 60_000);

  it("takes an AnalyzeStack response over grpc-js's default 4 MiB (the engine allows 400 MiB)", async () => {
    const session = AnalysisSession.open(PACK, OPTS);
    // 2,500 violations, each with a ~1 KB message and a ~1.1 KB URN: ~5 MB of response.
    const graph = Array.from({ length: 2500 }, (_, i): AnalyzedResource => ({
      ...resource(`r${i}-${"x".repeat(1000)}`, { owner: "team" }),
      rawOutputs: { state: "bad" },
    }));
    graph.forEach((r) => session.push(r));
    const result = await session.finish(graph);
    expect(result.violations).toHaveLength(2500);
    expect(result.violations.every((v) => v.policy === "no-bad-outputs")).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(result.violations))).toBeGreaterThan(4 * 1024 * 1024);
  }, 120_000);

  it("a pack that cannot start fails `start` with a usage error naming the pack", async () => {
    const missing = path.join(__dirname, "no-such-pack");
    await expect(AnalysisSession.start(missing, OPTS)).rejects.toThrow(UsageError);
    await expect(AnalysisSession.start(missing, OPTS)).rejects.toThrow(/no-such-pack has no package\.json/);
  }, 60_000);

  it("a bad policy config opened in the background is reported by `finish`", async () => {
    const session = AnalysisSession.open(PACK, { ...OPTS, config: { "no-such-policy": "mandatory" } });
    session.push(resource("a"));
    await expect(session.finish([resource("a")])).rejects.toThrow(/unknown policy "no-such-policy"/);
  }, 60_000);
});

describe("AnalyzeStack entries", () => {
  it("a request concatenated from per-resource entries decodes to the same resources (1-, 2- and 3-byte lengths)", async () => {
    const pack = await PolicyPackProcess.start(PACK);
    try {
      const graph: AnalyzedResource[] = [
        { ...resource("small"), dependencies: ["urn:a"], propertyDependencies: { spec: ["urn:a"] }, parent: "urn:p", rawOutputs: { a: 1 } },
        { ...resource("medium"), rawOutputs: { data: "x".repeat(300) } },
        { ...resource("large"), rawOutputs: { data: "y".repeat(40_000), list: [1, "two", { three: true }, null] } },
      ];
      const bytes = Buffer.concat(graph.map((r) => pack.stackEntry(r)));
      const decoded = analyzerPb.AnalyzeStackRequest.deserializeBinary(bytes).getResourcesList();
      expect(decoded.map((r) => [r.getUrn(), r.getName(), r.getParent(), r.getDependenciesList(), r.getProperties()?.toJavaScript()])).toEqual(
        graph.map((r) => [r.urn, r.name, r.parent ?? "", r.dependencies, r.rawOutputs]),
      );
      expect(decoded[0].getPropertydependenciesMap().get("spec")?.getUrnsList()).toEqual(["urn:a"]);
    } finally {
      pack.stop();
    }
  }, 60_000);

  it("each entry carries its resource's provider with the provider's inputs, current ones when they change", async () => {
    const pack = await PolicyPackProcess.start(PACK);
    try {
      const prov = "urn:pulumi:s::p::pulumi:providers:kubernetes::eu-cluster";
      const managed = (name: string): AnalyzedResource => ({ ...resource(name), provider: `${prov}::0f1e2d3c` });
      const decode = (entries: Uint8Array[]) =>
        analyzerPb.AnalyzeStackRequest.deserializeBinary(Buffer.concat(entries))
          .getResourcesList()
          .map((r) => {
            const p = r.getProvider();
            return [r.getName(), p?.getUrn(), p?.getType(), p?.getName(), p?.getProperties()?.toJavaScript()];
          });
      const first = new Map([[prov, { context: "eu", namespace: "default" }]]);
      expect(decode([pack.stackEntry(managed("a"), first), pack.stackEntry(managed("b"), first), pack.stackEntry(resource("c"), first)])).toEqual([
        ["a", prov, "pulumi:providers:kubernetes", "eu-cluster", { context: "eu", namespace: "default" }],
        ["b", prov, "pulumi:providers:kubernetes", "eu-cluster", { context: "eu", namespace: "default" }],
        ["c", undefined, undefined, undefined, undefined],
      ]);
      const changed = new Map([[prov, { context: "eu-2" }]]);
      expect(decode([pack.stackEntry(managed("a"), changed)])).toEqual([["a", prov, "pulumi:providers:kubernetes", "eu-cluster", { context: "eu-2" }]]);
      expect(decode([pack.stackEntry(managed("a"))])).toEqual([["a", prov, "pulumi:providers:kubernetes", "eu-cluster", {}]]);
    } finally {
      pack.stop();
    }
  }, 60_000);

  it("outputs replaced after a resource was pushed (a component's registerOutputs) are what AnalyzeStack judges", async () => {
    const session = AnalysisSession.open(PACK, OPTS);
    const changed = resource("late");
    const unchanged = { ...resource("early"), rawOutputs: { state: "bad" } };
    session.push(changed);
    session.push(unchanged);
    changed.rawOutputs = { state: "bad" };
    const result = await session.finish([changed, unchanged]);
    expect(result.violations.filter((v) => v.policy === "no-bad-outputs").map((v) => v.message.split("\n").pop())).toEqual(["late ended bad", "early ended bad"]);
  }, 60_000);
});

describe("Remediate, sent only when a resource policy remediates", () => {
  async function run(config: Parameters<PolicyPackProcess["configure"]>[1]): Promise<{ calls: PolicyPackProcess["calls"]; policies: string[] }> {
    const pack = await PolicyPackProcess.start(PACK);
    try {
      const info = await pack.info();
      await pack.configure(info.policies, config);
      const diagnostics = [...(await pack.analyze(resource("a"))), ...(await pack.analyze(resource("b", { owner: "team" })))];
      return { calls: { ...pack.calls }, policies: diagnostics.map((d) => d.getPolicyname()) };
    } finally {
      pack.stop();
    }
  }

  it("is sent per resource while label-owner remediates, and its result reaches Analyze", async () => {
    expect(await run({})).toEqual({ calls: { remediate: 2, analyze: 2, analyzeStack: 0 }, policies: [] });
  }, 60_000);

  it("is not sent when no policy is at the remediate level, with the same verdicts the engine gives", async () => {
    for (const level of ["disabled", "advisory", "mandatory"] as const) {
      expect(await run({ "label-owner": level })).toEqual({ calls: { remediate: 0, analyze: 2, analyzeStack: 0 }, policies: ["require-owner"] });
    }
  }, 60_000);

  it("is sent when `all` raises every policy to remediate", async () => {
    const { calls } = await run({ all: "remediate" });
    expect(calls.remediate).toBe(2);
  }, 60_000);
});

describe("the resource's provider, sent with its inputs as the engine does", () => {
  const provider = (region: string): AnalyzedResource => ({
    urn: `urn:pulumi:s::p::pulumi:providers:aws::aws-${region}`,
    type: "pulumi:providers:aws",
    name: `aws-${region}`,
    dependencies: [],
    propertyDependencies: {},
    rawInputs: { region },
    rawOutputs: {},
  });
  const managed = (name: string, by: AnalyzedResource): AnalyzedResource => ({ ...resource(name, { owner: "team" }), provider: `${by.urn}::04da6b54-80e4-46f7-96ec-b56ff0331ba9` });

  it("a policy judging the provider's configuration sees it (and passes other providers' resources)", async () => {
    const mars = provider("mars-1");
    const earth = provider("eu-west-1");
    const graph = [mars, earth, managed("on-mars", mars), managed("on-earth", earth)];
    const session = AnalysisSession.open(PACK, OPTS);
    graph.forEach((r) => session.push(r));
    const result = await session.finish(graph);
    expect(result.violations.filter((v) => v.policy === "no-mars-provider").map((v) => v.message.split("\n").pop())).toEqual(["on-mars is managed by a provider in mars-1"]);
  }, 60_000);
});
