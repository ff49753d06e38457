/**
 * One mesh-scale run in a fresh process (Pulumi's runtime is global per process):
 *   tsx bench/mesh-program.ts --domains 50 --services 1000 --intents 10000 [--only N]
 * The whole mesh as the example stacks build it: a HybridMesh over BENCH_MESH's 4 zones (one
 * k8s.Provider per zone cluster, one cloud provider per cloud zone, keys from
 * stacks/platform/dev-keys), then one MeshDomain per domain (every other domain in `others`),
 * with the zero-trust pack analyzing each resource as it registers, as the preview does.
 * `--only N` builds the first N MeshDomains only (the model still holds every domain).
 * `--pack DIR` analyzes with another pack (default: the zero-trust pack), e.g. to compare two versions.
 * `--dump FILE` also writes the recorded resources (as the analyzer receives them) to FILE, after
 * timing: to replay the pack alone (bench/pack-replay.ts) or the mesh's floor (bench/replay-floor.ts).
 * Prints one JSON line: { domains, services, intents, built, resources, byDomain, meshResources,
 *   byType, wallMs, programMs, packMs, cpuMs, peakRssMb, violations }.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { AnalysisSession } from "../cli/lib/analysis-session";
import { DEFAULT_POLICY_PACK } from "../cli/lib/packs";
import { Recorder, waitForRpcs } from "../cli/lib/recorder";
import { withoutSourceMaps } from "../cli/lib/run-program";
import { BENCH_MESH, syntheticDomains } from "./synthetic-mesh";

const { values } = parseArgs({
  options: {
    domains: { type: "string", default: "50" },
    services: { type: "string", default: "1000" },
    intents: { type: "string", default: "10000" },
    only: { type: "string" },
    "no-pack": { type: "boolean", default: false },
    dump: { type: "string" },
    pack: { type: "string", default: DEFAULT_POLICY_PACK },
  },
});
const domainCount = Number(values.domains);
const serviceCount = Number(values.services);
const intentCount = Number(values.intents);
const only = values.only === undefined ? domainCount : Math.min(Number(values.only), domainCount);
const withPack = !values["no-pack"];
const DEV_KEYS = path.join(__dirname, "..", "stacks", "platform", "dev-keys");

async function main(): Promise<void> {
  const started = performance.now();
  const session = withPack ? AnalysisSession.open(values.pack, { project: "bench", stack: "bench", dryRun: true }) : undefined;
  const rec = new Recorder({ project: "bench", stack: "bench", onRegistered: (r) => session?.push(r) });
  // The example stacks' key helpers, reading the committed DEV ONLY keys (bench: project name).
  pulumi.runtime.setConfig("bench:devKeysDir", path.relative(path.join(__dirname, ".."), DEV_KEYS));
  pulumi.runtime.setConfig("bench:bundleSigningKeyId", "ztmesh-dev");
  const k8s = await import("@pulumi/kubernetes");
  const { HybridMesh, MeshDomain } = await import("../components/mesh");
  const { signingKey, upstreamCa } = await import("../stacks/shared/keys");
  const { cloudProvider } = await import("../stacks/shared/providers");
  const specs = syntheticDomains(domainCount, serviceCount, intentCount);

  const counts: number[] = [];
  let meshResources = 0;
  // As the preview runs programs (cli/lib/run-program.ts).
  await withoutSourceMaps(async () => {
    await pulumi.runtime.runInPulumiStack(async () => {
      const config = new pulumi.Config();
      const signing = signingKey(config);
      const clusters: Record<string, InstanceType<typeof k8s.Provider>> = {};
      const clouds: Record<string, pulumi.ProviderResource | undefined> = {};
      for (const zone of BENCH_MESH.zones) {
        clusters[zone.id] = new k8s.Provider(`${zone.id}-cluster`, { enableServerSideApply: true });
        clouds[zone.id] = cloudProvider(zone);
      }
      // Every domain onboarded in the zones of its services and products (MeshDomain.bundleZones).
      const onboarded: Record<string, string[]> = {};
      for (const d of specs) onboarded[d.name] = [...new Set([...d.services.map((s) => s.zone), ...(d.dataProducts ?? []).map((p) => p.zone)])].sort();
      const mesh = new HybridMesh("mesh", {
        mesh: BENCH_MESH,
        zones: Object.fromEntries(BENCH_MESH.zones.map((z) => [z.id, z.cloud === "onprem" ? { cluster: clusters[z.id], bundleServerUrl: "https://opa-bundles.dc1.bench.example", logStoreZone: "aws" } : { cluster: clusters[z.id], cloudProvider: clouds[z.id] }])),
        upstreamCa: upstreamCa(config),
        signing,
        domains: onboarded,
        lockRetention: true, // production settings: the default pack config requires locked retention
      });
      // The domain stacks read the platform's contract as a plain value.
      const platform = await new Promise<pulumi.Unwrap<typeof mesh.contract>>((resolve) => mesh.contract.apply(resolve));
      await waitForRpcs();
      meshResources = rec.resources.length;
      for (const spec of specs.slice(0, only)) {
        const before = rec.resources.length;
        const zones = Object.fromEntries(onboarded[spec.name].map((z) => [z, { cluster: clusters[z], cloudProvider: clouds[z] }]));
        new MeshDomain(spec.name, { platform, domain: spec, others: specs.filter((o) => o !== spec), zones, signing });
        await waitForRpcs();
        counts.push(rec.resources.length - before);
      }
      return {};
    });
    await waitForRpcs();
  });
  const programMs = performance.now() - started;
  let packMs = 0;
  let violations = 0;
  const resources = rec.resources;
  if (session) {
    const result = await session.finish(resources);
    packMs = result.packMillis;
    violations = result.violations.length;
    // A synthetic mesh is meant to be compliant: say what the pack found.
    for (const v of result.violations.slice(0, Number(process.env.ZTMESH_BENCH_VIOLATIONS ?? 5))) process.stderr.write(`violation ${v.level} ${v.policy} ${v.urn}: ${v.message.split("\n").pop()}\n`);
  }
  const wallMs = performance.now() - started;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  // CPU of this process (program and analysis thread; the pack host is a child, not counted).
  const { user, system } = process.cpuUsage();
  const cpuMs = (user + system) / 1000;
  // After timing: the dump is the benchmark's, not the preview's work.
  if (values.dump) {
    const wire = resources.map(({ urn, type, name, parent, dependencies, propertyDependencies, provider, protect, rawInputs, rawOutputs }) => ({ urn, type, name, parent, dependencies, propertyDependencies, provider, protect, rawInputs, rawOutputs }));
    fs.writeFileSync(values.dump, JSON.stringify(wire));
  }
  const byType: Record<string, number> = {};
  for (const r of resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
  process.stdout.write(
    `${JSON.stringify({ domains: domainCount, services: serviceCount, intents: intentCount, built: only, resources: resources.length, meshResources, byDomain: counts, byType, wallMs, programMs, packMs, cpuMs, peakRssMb, violations })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
  },
);
