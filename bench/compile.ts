/**
 * `npm run bench -- --compile`: validation plus every compiler over a synthetic mesh of 1,000
 * services with 2,500 / 5,000 / 10,000 intents. Goals: 10,000 intents compile in under 1 s;
 * artifact bytes grow linearly with intents; the workloads that decide resources grow with
 * services, never with intents.
 */
import { compileGateway } from "../components/compile/envoy";
import { compileIam } from "../components/compile/iam";
import { compileNetworkPolicies } from "../components/compile/kubernetes";
import { bundleFiles, compileOpaBundles } from "../components/compile/opa";
import { buildMesh } from "../components/model";
import { BENCH_MESH, syntheticDomains } from "./synthetic-mesh";

export function compileBench(intentCounts: number[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const intents of intentCounts) {
    const domains = syntheticDomains(50, 1000, intents);
    const started = performance.now();
    const model = buildMesh(BENCH_MESH, domains);
    let bytes = 0;
    let policies = 0;
    for (const zone of model.zones) {
      const bundles = compileOpaBundles(model, zone.id);
      for (const b of [bundles.platform, ...Object.values(bundles.domains)]) for (const f of bundleFiles(b).values()) bytes += f.length;
      bytes += JSON.stringify(compileGateway(model, zone.id)).length;
      const nps = compileNetworkPolicies(model, zone.id);
      policies += nps.length;
      bytes += JSON.stringify(nps).length;
    }
    bytes += JSON.stringify(compileIam(model)).length;
    const ms = performance.now() - started;
    rows.push({
      services: model.services.size,
      intents: model.intents.length,
      compileMs: Math.round(ms),
      artifactKb: Math.round(bytes / 1024),
      bytesPerIntent: Math.round(bytes / model.intents.length),
      workloads: model.services.size + model.dataProducts.size,
      networkPolicies: policies,
      goal: ms < 1000 ? "ok <1s" : "MISSED <1s",
    });
  }
  return rows;
}
