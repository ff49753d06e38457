import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AnalysisSession } from "../../cli/lib/analysis-session";
import { analyzeGraph, type AnalyzedResource } from "../../cli/lib/analyzer";
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
