/**
 * Times each policy of the zero-trust pack in-process on a recorded graph (bench/mesh-program.ts
 * `--dump FILE`), with the resources deserialized and proxied the way the policy host does it,
 * but once per resource (the host deserializes once per policy; that cost is the host's):
 *   tsx bench/policy-micro.ts FILE [--rounds 3]
 * Prints a table: per policy, milliseconds over all resources (resource policies) or for the
 * graph (stack policies). For profiling policy code apart from the host and the protocol.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { AnalyzedResource } from "../cli/lib/analyzer";
import { zeroTrustPolicies } from "../policy-packs/policies";

// The host's own deserializer and unknown-checking proxy (internal modules of @pulumi/policy).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deserializeProperties } = require("@pulumi/policy/deserialize") as { deserializeProperties: (s: Struct, secrets: boolean) => Record<string, unknown> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy: <T>(v: T) => T };

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: "string", default: "3" } } });

function props(raw: unknown): Record<string, unknown> {
  return unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(raw as Parameters<typeof Struct.fromJavaScript>[0]), false));
}

function main(): void {
  const file = positionals[0];
  if (!file) throw new Error("usage: tsx bench/policy-micro.ts FILE");
  const graph = JSON.parse(fs.readFileSync(file, "utf8")) as AnalyzedResource[];
  const rows: Record<string, unknown>[] = [];
  const violations = new Map<string, number>();
  const report = (name: string): ReportViolation => () => void violations.set(name, (violations.get(name) ?? 0) + 1);
  const getConfig = <T>() => ({}) as T;
  const timings = new Map<string, number[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    // Fresh objects per round, as every request brings new ones (no identity-keyed cache hits across rounds).
    const inputs = graph.map((r) => props(r.rawInputs));
    for (const p of zeroTrustPolicies) {
      if (!("validateResource" in p) || !p.validateResource) continue;
      const policy = p as ResourceValidationPolicy;
      const fns = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
      const t0 = performance.now();
      graph.forEach((r, i) => {
        const args = { type: r.type, props: inputs[i], urn: r.urn, name: r.name, getConfig } as unknown as ResourceValidationArgs;
        for (const fn of fns) void fn(args, report(p.name));
      });
      timings.set(p.name, [...(timings.get(p.name) ?? []), performance.now() - t0]);
    }
    const resources = graph.map((r) => ({ type: r.type, urn: r.urn, name: r.name, props: props(r.rawOutputs), dependencies: [], propertyDependencies: {} }) as unknown as PolicyResource);
    for (const p of zeroTrustPolicies) {
      if (!("validateStack" in p)) continue;
      const policy = p as StackValidationPolicy;
      const t0 = performance.now();
      void policy.validateStack({ resources, getConfig } as unknown as StackValidationArgs, report(p.name));
      timings.set(p.name, [...(timings.get(p.name) ?? []), performance.now() - t0]);
    }
  }
  for (const [name, ts] of timings) rows.push({ policy: name, firstMs: +ts[0].toFixed(1), bestMs: +Math.min(...ts).toFixed(1), violations: (violations.get(name) ?? 0) / ts.length });
  console.table(rows);
}

main();
