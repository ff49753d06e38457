/**
 * Static checks of the hand-written Rego (no OPA binary here): required declarations, that
 * every `data.ztmesh` path it reads exists in compiled data, that the data literal of its tests
 * is the compiler's real output, and that `decide` mirrors its rules and its test cases.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compileOpaBundles, dataTree, regoDir } from "../../../components/compile/opa";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";
import { REGO_CASES } from "./rego-cases";
import { regoDomains, regoMesh } from "./rego-spec";

const dir = regoDir();
const policy = readFileSync(path.join(dir, "envoy/authz/authz.rego"), "utf8");
const tests = readFileSync(path.join(dir, "envoy/authz/authz_test.rego"), "utf8");
const noRego = { policyModules: {} };

/** Every zone's `data.ztmesh` for the fixture mesh and the Rego test mesh. */
const trees: unknown[] = [buildMesh(mesh, domains), buildMesh(regoMesh, regoDomains)].flatMap((m) =>
  m.zones.map((z) => dataTree(compileOpaBundles(m, z.id, noRego))),
);

/** Rule names the policy defines (`name :=`, `name if`, `name contains`, `default name :=`). */
function ruleNames(src: string): Set<string> {
  const names = new Set<string>();
  for (const m of src.matchAll(/^(?:default )?([a-z_]+)(?:\([^)]*\))? (?::=|if\b|contains\b)/gm)) names.add(m[1]);
  return names;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Walks a ref (`.name`, `["lit"]`, `[var]` = any key) over every tree; returns the segment where nothing matched. */
function missingSegment(ref: string): string | undefined {
  let nodes: unknown[] = trees;
  for (const seg of ref.match(/\.[a-z_]+|\[[^\]]+\]/g) ?? []) {
    const lit = seg.startsWith(".") ? seg.slice(1) : /^\["(.*)"\]$/.exec(seg)?.[1];
    nodes =
      lit !== undefined
        ? nodes.filter((n) => isObject(n) && Object.hasOwn(n, lit)).map((n) => (n as Record<string, unknown>)[lit])
        : nodes.flatMap((n) => (isObject(n) ? Object.values(n) : Array.isArray(n) ? n : []));
    if (nodes.length === 0) return seg;
  }
  return undefined;
}

describe("authz.rego", () => {
  it("is a rego.v1 module of package envoy.authz that denies by default", () => {
    expect(policy).toMatch(/^package envoy\.authz$/m);
    expect(policy).toMatch(/^import rego\.v1$/m);
    expect(policy).toMatch(/^default allow := false$/m);
    expect(tests).toMatch(/^package envoy\.authz_test$/m);
    expect(tests).toMatch(/^import rego\.v1$/m);
  });

  it("reads only data.ztmesh paths that exist in compiled data", () => {
    const aliases = [...policy.matchAll(/^([a-z_]+) := (data\.ztmesh\S*)$/gm)].map((m) => [m[1], m[2]] as const);
    expect(aliases.map(([a]) => a)).toEqual(["domain_data"]);
    const refs = [...policy.matchAll(/\b(data\.ztmesh|domain_data)((?:\.[a-z_]+|\[[^\]]+\])+)/g)].map((m) => {
      const alias = aliases.find(([a]) => a === m[1]);
      return (alias ? alias[1] : m[1]) + m[2];
    });
    expect(refs.length).toBeGreaterThanOrEqual(8);
    expect(missingSegment(".domains[d].rotues[host]")).toBe(".rotues"); // the check does catch a typo
    for (const ref of refs) expect(missingSegment(ref.replace(/^data\.ztmesh/, "")), ref).toBeUndefined();
  });

  it("reads only fields grants and deny entries have", () => {
    const fields = (v: string): string[] => [...new Set([...policy.matchAll(new RegExp(`\\b${v}\\.([a-z_]+)`, "g"))].map((m) => m[1]))];
    for (const f of fields("g")) expect(missingSegment(`.domains[d].allow[k][s][i].${f}`), `g.${f}`).toBeUndefined();
    for (const f of fields("r")) {
      const inPlatform = missingSegment(`.platform.deny[k][s][i].${f}`) === undefined;
      expect(inPlatform || missingSegment(`.domains[d].deny[k][s][i].${f}`) === undefined, `r.${f}`).toBe(true);
    }
  });

  it("is mirrored rule for rule by decide.ts", () => {
    const decideSrc = readFileSync(path.join(dir, "..", "decide.ts"), "utf8");
    const mirrored = new Set(
      // `// rule, rule (Helper) (note)` or `// rule: note`
      [...decideSrc.matchAll(/^\s*\/\/ ([a-z_]+(?:, [a-z_]+(?: \([A-Za-z]+\))?)*)(?: \(.*\)|: .*)?$/gm)].flatMap((m) => m[1].replace(/ \([A-Za-z]+\)/g, "").split(", ")),
    );
    const rules = ruleNames(policy);
    rules.delete("result"); // the plugin's object response; decide returns allow and reason
    expect([...mirrored].filter((r) => !rules.has(r)), "decide names rules the Rego lacks").toEqual([]);
    expect([...rules].filter((r) => !mirrored.has(r)), "Rego rules decide does not mirror").toEqual([]);
  });
});

describe("authz_test.rego", () => {
  it("tests against the compiler's real output (zone z1 of rego-spec.ts)", () => {
    const m = /^# BEGIN compiled data.*\nmesh := ([\s\S]*)\n# END compiled data$/m.exec(tests);
    expect(m).not.toBeNull();
    const literal: unknown = JSON.parse(m?.[1] ?? "null");
    expect(literal).toEqual(dataTree(compileOpaBundles(buildMesh(regoMesh, regoDomains), "z1", noRego)));
  });

  it("has exactly the cases decide.test.ts runs", () => {
    const names = [...tests.matchAll(/^(test_[a-z0-9_]+) if\b/gm)].map((m) => m[1]).sort();
    expect(names).toEqual(Object.keys(REGO_CASES).sort());
    expect(names.length).toBeGreaterThanOrEqual(15);
  });

  it("covers the required situations", () => {
    for (const t of ["allowed_call", "wrong_method", "wrong_path_prefix", "unknown_source", "no_peer_certificate", "deny_rule_overrides_intent", "wildcard_source", "data_read_vs_write", "global_deny"]) {
      expect(tests).toContain(`test_${t} if`);
    }
  });
});
