/**
 * One benchmark run in a fresh process (Pulumi's runtime is global per process):
 *   tsx bench/synthetic.ts --size N --mode floor|full
 * floor: N plain resources directly under the stack, no pack.
 * full:  the same N resources grouped into components of 10, then the zero-trust pack
 *        driven over the analyzer protocol as the preview does.
 * `--pack DIR` analyzes with another pack (default: the zero-trust pack).
 * Prints one JSON line: { size, mode, resources, wallMs, programMs, packMs, cpuMs, peakRssMb }.
 */
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { AnalysisSession } from "../cli/lib/analysis-session";
import { DEFAULT_POLICY_PACK } from "../cli/lib/packs";
import { Recorder, waitForRpcs } from "../cli/lib/recorder";
import { withoutSourceMaps } from "../cli/lib/run-program";
import { trace } from "../cli/lib/trace";

const { values } = parseArgs({
  options: { size: { type: "string" }, mode: { type: "string" }, batch: { type: "string", default: "500" }, pack: { type: "string", default: DEFAULT_POLICY_PACK } },
});
const size = Number(values.size);
const mode = values.mode === "floor" ? "floor" : "full";
const batch = Number(values.batch);

async function main(): Promise<void> {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  trace("bench start");
  // As the preview does: the pack analyzes each resource as it registers.
  const session =
    mode === "full" ? AnalysisSession.open(values.pack, { project: "bench", stack: "bench", dryRun: true }) : undefined;
  const rec = new Recorder({ project: "bench", stack: "bench", onRegistered: (r) => session?.push(r) });
  const k8s = await import("@pulumi/kubernetes");

  class Tenant extends pulumi.ComponentResource {
    constructor(name: string, children: number) {
      super("bench:synthetic:Tenant", name, {}, {});
      for (let i = 0; i < children; i++) makeResource(`${name}-${i}`, this);
      this.registerOutputs({});
    }
  }

  function makeResource(name: string, parent?: pulumi.Resource): void {
    new k8s.networking.v1.NetworkPolicy(
      name,
      {
        metadata: { name, namespace: "bench", labels: { "ztmesh.io/zone": "z1" } },
        spec: {
          podSelector: { matchLabels: { "ztmesh.io/workload": name } },
          policyTypes: ["Ingress", "Egress"],
          ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }], ports: [{ port: 8080, protocol: "TCP" }] }],
        },
      },
      parent ? { parent } : {},
    );
  }

  // As the preview runs programs (cli/lib/run-program.ts).
  await withoutSourceMaps(async () => {
    await pulumi.runtime.runInPulumiStack(async () => {
      if (mode === "floor") {
        for (let i = 0; i < size; i++) {
          makeResource(`r-${i}`);
          if ((i + 1) % batch === 0) await waitForRpcs();
        }
      } else {
        // Components of 10 resources (the component itself counts as one of them).
        for (let i = 0; i < size / 10; i++) {
          new Tenant(`t-${i}`, 9);
          if (((i + 1) * 10) % batch === 0) await waitForRpcs();
        }
      }
      return {};
    });
    await waitForRpcs();
  });
  const programMs = performance.now() - started;
  trace("program done");
  let packMs = 0;
  if (session) packMs = (await session.finish(rec.resources)).packMillis;
  const wallMs = performance.now() - started;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  // CPU of this process over the timed window (program and analysis thread; the pack host is a child, not counted).
  const { user, system } = process.cpuUsage(cpuAtStart);
  const cpuMs = (user + system) / 1000;
  process.stdout.write(`${JSON.stringify({ size, mode, resources: rec.resources.length, wallMs, programMs, packMs, cpuMs, peakRssMb })}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
  },
);
