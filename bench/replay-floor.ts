/**
 * The mesh's own floor, in a fresh process (Pulumi's runtime is global per process):
 *   tsx bench/replay-floor.ts --from DUMP [--batch 500]
 * "The same registrations with no components and no pack" (the foundation floor's rule) applied
 * to the mesh: every custom resource of a mesh-scale run (DUMP, written by
 * `bench/mesh-program.ts --dump`), registered flat under the stack through its own SDK class
 * (so each carries the same output properties as in the mesh), with the same inputs (secrets
 * kept secret) and the same provider, in the same order, in batches like the foundation floor.
 * No components, no compilers, no dependencies, no pack: what Pulumi itself costs to register
 * those resources, which no implementation of the mesh could avoid.
 * Prints one JSON line: { resources, wallMs, cpuMs, peakRssMb }.
 */
import * as fs from "node:fs";
import { isDeepStrictEqual, parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { type PropertyMap, type PropertyValue, SECRET_SIG, SPECIAL_SIG_KEY } from "../cli/lib/properties";
import { Recorder, waitForRpcs } from "../cli/lib/recorder";
import { withoutSourceMaps } from "../cli/lib/run-program";

/** One resource of the dump (bench/mesh-program.ts `--dump`). */
export interface DumpedResource {
  urn: string;
  type: string;
  name: string;
  provider?: string;
  rawInputs: PropertyMap;
}

type ResourceClass = new (name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const PACKAGES: Record<string, string> = { aws: "@pulumi/aws", gcp: "@pulumi/gcp", kubernetes: "@pulumi/kubernetes", "azure-native": "@pulumi/azure-native" };

/** Looks a value up by a dotted path; undefined when a step is missing. */
function walk(root: unknown, steps: string[]): unknown {
  let v = root;
  for (const s of steps) v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[s];
  return v;
}

/**
 * The SDK class that registers `type` (checked by its `__pulumiType`), or the Kubernetes
 * `CustomResource` class for custom resource kinds. Throws for a type it cannot map.
 */
export function resourceClass(type: string): ResourceClass {
  const [pkg, mod, name] = type.split(":");
  if (pkg === "pulumi" && mod === "providers") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return walk(require(PACKAGES[name]), ["Provider"]) as ResourceClass;
  }
  const pkgName = PACKAGES[pkg];
  if (!pkgName) throw new Error(`replay floor: no SDK for ${type}`);
  let cls: unknown;
  let customKind = false;
  if (pkg === "azure-native") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cls = walk(require(`${pkgName}/${mod}`), [name]);
  } else if (pkg === "kubernetes") {
    const [group, version] = mod.split("/");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const k8s = require(pkgName) as unknown;
    cls = walk(k8s, [group.split(".")[0], version, name]);
    if ((cls as { __pulumiType?: string } | undefined)?.__pulumiType !== type) {
      cls = walk(k8s, ["apiextensions", "CustomResource"]);
      customKind = true;
    }
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cls = walk(require(pkgName), [mod.split("/")[0], name]);
  }
  const token = (cls as { __pulumiType?: string } | undefined)?.__pulumiType;
  if (typeof cls !== "function" || (!customKind && token !== type)) throw new Error(`replay floor: no SDK class for ${type}`);
  return cls as ResourceClass;
}

/** Wire-form inputs back to program inputs: secret envelopes become secrets. */
function programValue(v: PropertyValue): unknown {
  if (Array.isArray(v)) return v.map(programValue);
  if (v === null || typeof v !== "object") return v;
  if (v[SPECIAL_SIG_KEY] === SECRET_SIG) return pulumi.secret(programValue(v.value));
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) out[k] = programValue(val);
  return out;
}

/** Provider inputs travel JSON-encoded (non-string values); the SDK class encodes them again. */
function providerArgs(inputs: PropertyMap): PropertyMap {
  const out: PropertyMap = {};
  for (const [k, v] of Object.entries(inputs)) {
    let decoded: PropertyValue = v;
    if (typeof v === "string") {
      try {
        decoded = JSON.parse(v) as PropertyValue;
      } catch {
        decoded = v;
      }
    }
    out[k] = decoded;
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { from: { type: "string" }, batch: { type: "string", default: "500" } } });
  if (!values.from) throw new Error("--from DUMP is required");
  const batch = Number(values.batch);
  const dumped = (JSON.parse(fs.readFileSync(values.from, "utf8")) as DumpedResource[]).filter(
    (r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("ztmesh:"),
  );
  // Timed from here, like the mesh run (which also loads the SDKs it uses).
  const started = performance.now();
  const classes = new Map(dumped.map((r) => [r.type, resourceClass(r.type)]));
  const rec = new Recorder({ project: "bench", stack: "bench" });
  // As the preview runs programs (cli/lib/run-program.ts).
  await withoutSourceMaps(async () => {
    await pulumi.runtime.runInPulumiStack(async () => {
      const providers = new Map<string, pulumi.ProviderResource>();
      for (let i = 0; i < dumped.length; i++) {
        const r = dumped[i];
        const cls = classes.get(r.type) as ResourceClass;
        const args = programValue(r.type.startsWith("pulumi:providers:") ? providerArgs(r.rawInputs) : r.rawInputs) as Record<string, unknown>;
        const provider = r.provider ? providers.get(r.provider.split("::").slice(0, -1).join("::")) : undefined;
        if (r.provider && !provider) throw new Error(`replay floor: ${r.urn} uses a provider not registered before it`);
        const res = new cls(r.name, args, provider ? { provider } : {});
        if (r.type.startsWith("pulumi:providers:")) providers.set(r.urn, res as pulumi.ProviderResource);
        if ((i + 1) % batch === 0) await waitForRpcs();
      }
      return {};
    });
    await waitForRpcs();
  });
  const wallMs = performance.now() - started;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const { user, system } = process.cpuUsage();
  // After timing: the floor registered exactly the mesh's inputs (else it measures something else).
  const replayed = new Map(rec.resources.map((r) => [`${r.type}::${r.name}`, r]));
  for (const r of dumped) {
    const got = replayed.get(`${r.type}::${r.name}`);
    if (!got) throw new Error(`replay floor: ${r.urn} was not registered`);
    if (!isDeepStrictEqual(got.rawInputs, r.rawInputs)) throw new Error(`replay floor: ${r.urn} registered other inputs than the mesh's`);
  }
  process.stdout.write(`${JSON.stringify({ resources: rec.resources.length, wallMs, cpuMs: (user + system) / 1000, peakRssMb })}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(2);
    },
  );
}
