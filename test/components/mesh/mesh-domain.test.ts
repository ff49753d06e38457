import { beforeAll, describe, expect, it } from "vitest";
import { rsaKeyPairPem } from "../../helpers/keys";
import type * as K8s from "@pulumi/kubernetes";
import type * as Pulumi from "@pulumi/pulumi";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import type { MeshContract, MeshDomain as MeshDomainClass, MeshDomainArgs } from "../../../components/mesh";
import type { DomainSpec, IntentSpec, MeshSpec } from "../../../components/model";

const rec = new Recorder();
const { privateKeyPem, publicKeyPem } = rsaKeyPairPem();

const mesh: MeshSpec = {
  trustDomain: "mesh.acme.example",
  zones: [
    { id: "aws-eu", cloud: "aws", region: "eu-west-1", failureZones: ["eu-west-1a"], aws: { accountId: "123456789012" } },
    { id: "gcp-eu", cloud: "gcp", region: "europe-west3", failureZones: ["europe-west3-a"], gcp: { project: "acme-risk-dev", projectNumber: "998877665544" } },
  ],
};
const platform: MeshContract = {
  version: 1,
  mesh,
  zones: [
    { id: "aws-eu", cloud: "aws", region: "eu-west-1", issuerUrl: "https://oidc.aws-eu.mesh.acme.example", gatewayAddress: "", bundleStore: { kind: "s3", bucket: "ztmesh-opa-aws-eu-123456789012", region: "eu-west-1", prefix: "opa" } },
    { id: "gcp-eu", cloud: "gcp", region: "europe-west3", issuerUrl: "https://oidc.gcp-eu.mesh.acme.example", gatewayAddress: "", bundleStore: { kind: "gcs", bucket: "ztmesh-opa-gcp-eu", prefix: "opa" } },
  ],
};
const trading: DomainSpec = {
  name: "trading",
  owner: "trading@acme.example",
  services: [{ name: "trade-query", zone: "aws-eu", ports: [{ port: 8080 }] }],
  dataProducts: [{ name: "trades", zone: "aws-eu", engine: "s3", sensitivity: "medium", owner: "t@acme.example", residency: "eu", schemaVersion: "1.0.0" }],
  intents: [{ from: "trade-query", data: "trades" }],
  exports: ["trades", "trade-query"],
};
const risk: DomainSpec = {
  name: "risk",
  owner: "risk@acme.example",
  services: [{ name: "risk-engine", zone: "gcp-eu", ports: [{ port: 8080 }] }, { name: "pricer", zone: "aws-eu", ports: [{ port: 8080 }] }],
  dataProducts: [{ name: "customer-risk", zone: "gcp-eu", engine: "gcs", sensitivity: "high", owner: "r@acme.example", residency: "eu", schemaVersion: "1.0.0" }],
  intents: [
    { from: "risk-engine", data: "customer-risk", access: ["write"] },
    { from: "pricer", data: "trading/trades" },
    { from: "risk-engine", to: "trading/trade-query", methods: ["GET"], paths: ["/trades"] },
  ],
};

/** Risk with `n` more services, each calling trading's exported trade-query. */
const withDesks = (n: number): DomainSpec => {
  const desks = Array.from({ length: n }, (_, i) => `desk-${i}`);
  return {
    ...risk,
    services: [...risk.services, ...desks.map((name) => ({ name, zone: "gcp-eu", ports: [{ port: 8080 }] }))],
    intents: [...(risk.intents ?? []), ...desks.map((from): IntentSpec => ({ from, to: "trading/trade-query", methods: ["GET"], paths: ["/trades"] }))],
  };
};

let MeshDomain: typeof MeshDomainClass;
let pulumi: typeof Pulumi;
let clusters: Record<string, K8s.Provider>;
let md: MeshDomainClass;
const args = (over: Partial<MeshDomainArgs> = {}): MeshDomainArgs => ({
  platform,
  domain: risk,
  others: [trading],
  zones: { "aws-eu": { cluster: clusters["aws-eu"] }, "gcp-eu": { cluster: clusters["gcp-eu"] } },
  signing: { keyId: "ztmesh-test", publicKeyPem, privateKeyPem: pulumi.secret(privateKeyPem) },
  ...over,
});

beforeAll(async () => {
  pulumi = await import("@pulumi/pulumi");
  const k8s = await import("@pulumi/kubernetes");
  ({ MeshDomain } = await import("../../../components/mesh"));
  clusters = { "aws-eu": new k8s.Provider("aws-eu-cluster", {}), "gcp-eu": new k8s.Provider("gcp-eu-cluster", {}) };
  md = new MeshDomain("risk", args());
  await rec.settle();
}, 60_000);

const parentName = (r: RecordedResource) => rec.byUrnOf(r.parent!)?.name;

describe("MeshDomain", () => {
  it("creates namespaces, identities, proxies, intents and bundles per zone under the domain", () => {
    expect(rec.get("risk").type).toBe("ztmesh:mesh:MeshDomain");
    expect(md.bundleZones).toEqual(["aws-eu", "gcp-eu"]);
    for (const [name, type] of [
      ["risk-aws-eu-risk", "ztmesh:namespace:MeshNamespace"],
      ["risk-gcp-eu-risk", "ztmesh:namespace:MeshNamespace"],
      ["risk-aws-eu-federation", "ztmesh:identity:WorkloadIdentityFederation"],
      ["risk-gcp-eu-customer-risk-proxy", "ztmesh:data-proxy:DataProxy"],
      ["risk-aws-eu-intents", "kubernetes:core/v1:ConfigMap"],
      ["risk-gcp-eu-intents", "kubernetes:core/v1:ConfigMap"],
      ["risk-aws-eu-bundle", "aws:s3/bucketObjectv2:BucketObjectv2"],
      ["risk-gcp-eu-bundle", "gcp:storage/bucketObject:BucketObject"],
    ]) {
      const r = rec.get(name);
      expect(r.type).toBe(type);
      expect(parentName(r)).toBe("risk");
    }
  });

  it("federates the workloads with cloud grants, reusing the platform's AWS OIDC provider", () => {
    expect(() => rec.get("risk-aws-eu-federation-oidc")).toThrow();
    const policies = rec.ofType("aws:iam/rolePolicy:RolePolicy").filter((r) => r.name.startsWith("risk-aws-eu-federation"));
    expect(policies).toHaveLength(1);
    expect(String(policies[0].inputs.policy)).toContain("trading-trades");
    const sa = rec.ofType("kubernetes:core/v1:ServiceAccount").find((r) => r.name === "risk-aws-eu-risk-sa-pricer")!;
    expect(JSON.stringify(sa.inputs.metadata)).toContain("ztmesh.io/cloud-principal");
  });

  it("publishes intents.json labelled as intents", () => {
    const cm = rec.get("risk-gcp-eu-intents");
    expect((cm.inputs.metadata as { labels: Record<string, string> }).labels["ztmesh.io/role"]).toBe("intents");
    const text = (cm.inputs.data as Record<string, string>)["intents.json"];
    const doc = JSON.parse(text);
    expect(text).toBe(`${JSON.stringify(doc)}\n`); // compact: it grows with the intents, a ConfigMap holds 1 MiB
    expect(doc).toMatchObject({ version: 1, domain: "risk", trustDomain: "mesh.acme.example" });
    expect(doc.intents).toContainEqual({
      id: "risk#1",
      kind: "data",
      source: "spiffe://mesh.acme.example/ns/risk/sa/pricer",
      sourceKey: "risk/pricer",
      sourceZone: "aws-eu",
      destination: "trading/trades",
      destinationWorkload: "trading/trades-proxy",
      destinationZone: "aws-eu",
      host: "spiffe://mesh.acme.example/ns/trading/sa/trades-proxy",
      access: ["read"],
    });
  });

  it("uploads the domain's bundle under the platform's prefix", () => {
    const obj = rec.get("risk-aws-eu-bundle");
    expect(obj.inputs).toMatchObject({ bucket: "ztmesh-opa-aws-eu-123456789012", key: "opa/aws-eu/ztmesh-domain-risk.tar.gz" });
  });

  it.each([
    ["an intent to a service trading did not export", () => args({ others: [{ ...trading, exports: [] }] }), "args.domains.risk.intents[1].data"],
    ["a zone without a cluster", () => args({ zones: { "aws-eu": { cluster: clusters["aws-eu"] } } }), "args.zones.gcp-eu"],
    ["an unknown platform contract version", () => args({ platform: { ...platform, version: 2 as 1 } }), "args.platform.version"],
    ["intents that overflow the 1 MiB intents ConfigMap", () => args({ domain: withDesks(4000) }), "args.domain.intents"],
  ])("refuses %s before creating anything", async (_l, make, path) => {
    const before = rec.resources.length;
    expect(() => new MeshDomain("bad", make())).toThrow(path);
    await rec.settle();
    expect(rec.resources.length).toBe(before);
  });

  it("sizes the intents ConfigMap as the API server does: the limit's bytes, the count and the fix", async () => {
    const { validateMeshDomain, intentsJson, domainIntents } = await import("../../../components/mesh");
    // Just under the limit passes; the same domain with more intents is refused.
    const model = validateMeshDomain("ok", args({ domain: withDesks(2500) }));
    const bytes = "intents.json".length + Buffer.byteLength(intentsJson(domainIntents(model, "risk")));
    expect(bytes).toBeGreaterThan(900_000);
    expect(bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(() => validateMeshDomain("bad", args({ domain: withDesks(3000) }))).toThrow(
      /args\.domain\.intents: the 3003 intents of domain "risk" and towards it take \d+ bytes in its intents ConfigMap, over Kubernetes' limit of 1048576 bytes \(1 MiB\).*split the domain/s,
    );
  });
});

describe("MeshDomain across domains: a producer admits the consumers it references", () => {
  const proxyConfig = (name: string) => JSON.stringify(rec.get(name).inputs.data);
  const PRICER = "spiffe://mesh.acme.example/ns/risk/sa/pricer";
  const tradingArgs = (over: Partial<MeshDomainArgs>) => args({ domain: trading, others: [], zones: { "aws-eu": { cluster: clusters["aws-eu"] } }, ...over });
  let alone: MeshDomainClass;
  let admitting: MeshDomainClass;

  beforeAll(async () => {
    alone = new MeshDomain("trading-alone", tradingArgs({}));
    // risk's intents towards trading are compiled into trading; its intent towards a domain
    // trading does not know (ops) is none of trading's business and must not fail it.
    const riskWithMore: DomainSpec = { ...risk, intents: [...(risk.intents ?? []), { from: "risk-engine", data: "ops/audit" }] };
    admitting = new MeshDomain("trading-admits", tradingArgs({ peers: [{ version: 1, domain: riskWithMore }] }));
    await rec.settle();
  }, 60_000);

  it("without the consumer's contract the producer's proxy refuses the consumer", () => {
    expect(alone.contract.admits).toEqual([]);
    expect(proxyConfig("trading-alone-aws-eu-trades-proxy-config")).not.toContain(PRICER);
  });

  it("with it, the proxy RBAC, intents.json and the contract's `admits` carry the consumer", () => {
    expect(admitting.contract.admits).toEqual(["risk"]);
    expect(proxyConfig("trading-admits-aws-eu-trades-proxy-config")).toContain(PRICER);
    const doc = JSON.parse((rec.get("trading-admits-aws-eu-intents").inputs.data as Record<string, string>)["intents.json"]);
    // Ids keep the consumer's declaration index; only intents towards trading are there.
    expect(doc.intents.map((i: { id: string }) => i.id)).toEqual(["risk#1", "risk#2", "trading#0"]);
  });

  it("registers whom it admits as the component's output, not the whole contract (the stack exports that)", () => {
    const outputs = rec.get("trading-admits", "ztmesh:mesh:MeshDomain").outputs;
    expect(outputs.admits).toEqual(["risk"]);
    expect(outputs.contract).toBeUndefined();
  });

  it("reports the consumer's intents a producer does not admit yet as pending, and none once it does", () => {
    const notYet = new MeshDomain("risk-pending", args({ others: [], peers: [{ version: 1, domain: trading, admits: [] }] }));
    expect(notYet.pendingIntents).toEqual([
      { id: "risk#1", from: "risk/pricer", to: "trading/trades", producer: "trading" },
      { id: "risk#2", from: "risk/risk-engine", to: "trading/trade-query", producer: "trading" },
    ]);
    const admitted = new MeshDomain("risk-admitted", args({ others: [], peers: [{ version: 1, domain: trading, admits: ["risk"] }] }));
    expect(admitted.pendingIntents).toEqual([]);
    // A contract from before `admits` existed admits no one.
    const old = new MeshDomain("risk-old-peer", args({ others: [], peers: [{ version: 1, domain: trading }] }));
    expect(old.pendingIntents.map((p) => p.id)).toEqual(["risk#1", "risk#2"]);
  });

  it("refuses a peer that is not a version 1 contract, naming it", () => {
    expect(() => new MeshDomain("risk-bad-peer", args({ others: [], peers: [{ version: 2 as 1, domain: trading }] }))).toThrow("args.peers[0]");
  });
});
