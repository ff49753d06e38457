/**
 * A deterministic synthetic mesh for benchmarks: 4 zones (one per cloud), `domains` domains,
 * `services` services spread over them, and `intents` call intents between services
 * (same-domain or to exported services of other domains), plus a data product per domain.
 */
import type { DomainSpec, IntentSpec, MeshSpec } from "../components/model";

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** As the example stacks declare them: each zone's gateway addresses and the networks its system components reach. */
function addresses(n: number): Pick<MeshSpec["zones"][number], "gateway" | "network"> {
  return { gateway: { cidrs: [`10.${n}.255.0/28`] }, network: { apiServer: [`10.${n}.0.0/28`], nodes: [`10.${n}.16.0/20`], objectStorage: [`10.${n}.250.0/24`] } };
}

export const BENCH_MESH: MeshSpec = {
  trustDomain: "mesh.bench.example",
  zones: [
    { id: "aws", cloud: "aws", region: "eu-west-1", failureZones: ["eu-west-1a", "eu-west-1b"], aws: { accountId: "123456789012" }, ...addresses(10) },
    { id: "gcp", cloud: "gcp", region: "europe-west3", failureZones: ["europe-west3-a", "europe-west3-b"], gcp: { project: "bench-project", projectNumber: "123456789012" }, ...addresses(20) },
    {
      id: "azure",
      cloud: "azure",
      region: "westeurope",
      failureZones: ["1", "2"],
      azure: { subscriptionId: "00000000-0000-0000-0000-000000000001", tenantId: "00000000-0000-0000-0000-000000000002", resourceGroupName: "bench" },
      ...addresses(30),
    },
    { id: "dc", cloud: "onprem", region: "eu-dc1", failureZones: ["rack-a", "rack-b"], ...addresses(40) },
  ],
};

const ENGINE_BY_ZONE = { aws: "s3", gcp: "gcs", azure: "blob", dc: "postgres" } as const;

export function syntheticDomains(domains: number, services: number, intents: number, seed = 42): DomainSpec[] {
  const random = rng(seed);
  const zones = BENCH_MESH.zones.map((z) => z.id) as (keyof typeof ENGINE_BY_ZONE)[];
  const perDomain = Math.ceil(services / domains);
  const specs: DomainSpec[] = [];
  for (let d = 0; d < domains; d++) {
    const name = `d${d}`;
    const zone = zones[d % zones.length];
    const count = Math.min(perDomain, services - d * perDomain);
    specs.push({
      name,
      owner: `${name}@bench.example`,
      services: Array.from({ length: Math.max(count, 1) }, (_, i) => ({ name: `s${i}`, zone, ports: [{ port: 8080 }] })),
      dataProducts: [{ name: "data", zone, engine: ENGINE_BY_ZONE[zone], sensitivity: "medium", owner: `${name}@bench.example`, residency: "eu", schemaVersion: "1.0.0" }],
      exports: ["s0", "data"],
      intents: [],
    });
  }
  // Unique (source, destination) pairs: same-domain calls, or calls to another domain's exported s0.
  const seen = new Set<string>();
  let guard = 0;
  while ([...specs].reduce((n, s) => n + (s.intents?.length ?? 0), 0) < intents && guard++ < intents * 20) {
    const from = specs[Math.floor(random() * specs.length)];
    const src = from.services[Math.floor(random() * from.services.length)].name;
    const cross = random() < 0.2;
    const to = cross ? specs[Math.floor(random() * specs.length)] : from;
    const dst = cross ? "s0" : to.services[Math.floor(random() * to.services.length)].name;
    if (to === from && dst === src) continue;
    const ref = to === from ? dst : `${to.name}/${dst}`;
    const key = `${from.name}/${src}->${ref}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const intent: IntentSpec = { from: src, to: ref, methods: ["GET", "POST"], paths: [`/api/${dst}`] };
    from.intents?.push(intent);
  }
  return specs;
}
