import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { buildMesh } from "../../components/model";
import { snapshotFromModel, snapshotFromResources, traceRequest, buildRequest, type GraphResource } from "../../components/trace";
import { domains, mesh } from "../fixtures/mesh";
import { meshStacks } from "./graph";

const model = buildMesh(mesh, domains);
const stacks = meshStacks(model, mesh, domains);
const all = (): GraphResource[] => stacks.flatMap((s) => s.resources);

describe("snapshotFromResources", () => {
  const snap = snapshotFromResources(all());

  it("finds every Envoy bootstrap by shape, with its zone, pod and workload", () => {
    const ids = snap.proxies.map((p) => `${p.kind} ${p.id} ${p.workload ?? "-"}`).sort();
    expect(ids).toContain("gateway aws-eu/ztmesh-system/aws-eu-gateway-envoy -");
    expect(ids).toContain("workload aws-eu/trading/order-api-proxy trading/order-api");
    expect(ids).toContain("data-proxy gcp-eu/risk/customer-risk-proxy-envoy risk/customer-risk");
    expect(snap.proxies).toHaveLength(2 * model.zones.length + model.services.size + model.dataProducts.size);
    expect(ids).toContain("egress-gateway aws-eu/ztmesh-system/aws-eu-egress-envoy egress/aws-eu");
    const dataProxy = snap.proxies.find((p) => p.workload === "risk/customer-risk")!;
    expect(dataProxy.podLabelsFrom).toBe("pod template of Deployment/risk/customer-risk-proxy");
    expect(dataProxy.serviceAccount).toBe("customer-risk-proxy");
    const sidecar = snap.proxies.find((p) => p.workload === "trading/order-api")!;
    expect(sidecar.podLabels).toEqual({ "ztmesh.io/domain": "trading", "ztmesh.io/mesh": "true", "ztmesh.io/workload": "order-api" });
    expect(Object.keys(sidecar.hostAliases)).toContain("matching.trading.svc.cluster.local");
  });

  it("keeps only the declared hostAliases its proxy listens on (the pod and its proxy come from one stack's model)", () => {
    const trimmed = all().map((r) => {
      const data = r.inputs["data"] as Record<string, string> | undefined;
      if (!r.urn?.includes("trading-order-api-proxy") || !data) return r;
      const doc = parseYaml(data["envoy.yaml"]) as { static_resources: { listeners: Array<{ name: string }> } };
      doc.static_resources.listeners = doc.static_resources.listeners.filter((l) => !l.name.includes("matching"));
      return { ...r, inputs: { ...r.inputs, data: { "envoy.yaml": stringifyYaml(doc) } } };
    });
    const s = snapshotFromResources(trimmed);
    const sidecar = s.proxies.find((p) => p.workload === "trading/order-api")!;
    expect(Object.keys(sidecar.hostAliases)).not.toContain("matching.trading.svc.cluster.local");
    expect(Object.keys(sidecar.hostAliases)).toContain("risk-engine.risk.svc.cluster.local");
    const r = traceRequest(s, buildRequest(s, { from: "trading/order-api", to: "trading/matching", method: "POST", path: "/orders" }));
    expect(r.delivered).toBe(false);
    expect(r.hops[1].rule).toContain("bypassing its proxy");
  });

  it("takes a resource's zone from its cluster (provider) when it has no zone label", () => {
    for (const z of model.zones) expect(snap.zones[z.id].networkPolicies.length).toBeGreaterThan(0);
    expect(snap.zones["aws-eu"].networkPolicies.map((p) => p.metadata.name)).toContain("allow-ingress-trading-matching");
    expect(snap.zones["gcp-eu"].networkPolicies.map((p) => p.metadata.name)).not.toContain("allow-ingress-trading-matching");
  });

  it("names pods by their Services, load balancers and the zones' gateway hosts", () => {
    const hosts = (proxyId: string): string[] => snap.hosts.filter((h) => h.proxy === proxyId).map((h) => `${h.zone ?? "*"} ${h.host}`);
    expect(hosts("aws-eu/ztmesh-system/aws-eu-gateway-envoy")).toEqual(expect.arrayContaining(["* lb-aws-eu.example", "* gateway.aws-eu.mesh.acme.example"]));
    expect(hosts("gcp-eu/risk/customer-risk-proxy-envoy")).toContain("gcp-eu customer-risk-proxy.risk.svc.cluster.local");
    expect(hosts("aws-eu/trading/order-api-proxy")).toContain("aws-eu order-api.trading.svc.cluster.local");
  });

  it("loads into each zone's policy engine exactly the bundles its config names", () => {
    expect(Object.keys(snap.zones["aws-eu"].opa!.data.domains).sort()).toEqual(["trading"]);
    expect(snap.zones["aws-eu"].opa!.data.platform.trust_domain).toBe("mesh.acme.example");
    const withoutTrading = all().filter((r) => !(r.type.includes("bucketObject") && String(r.inputs["key"]).includes("ztmesh-domain-trading")));
    const s2 = snapshotFromResources(withoutTrading);
    expect(s2.zones["aws-eu"].opa!.data.domains).toEqual({});
    expect(s2.zones["aws-eu"].opaNotes.join()).toContain("is not among the published objects");
  });

  it("keeps resources of different clusters apart even with the same namespace and name", () => {
    // Two stacks, each with an unlabelled ConfigMap "edge-envoy" in namespace "shared", on two clusters.
    const boot = (port: number): string => JSON.stringify({ static_resources: { listeners: [{ name: "l", address: { socket_address: { address: "0.0.0.0", port_value: port } } }], clusters: [] } });
    const extra: GraphResource[] = [];
    for (const [stack, zone, port] of [["s1", "aws-eu", 1001], ["s2", "gcp-eu", 1002]] as const) {
      const urn = `urn:pulumi:${stack}::p::pulumi:providers:kubernetes::k`;
      extra.push({ type: "pulumi:providers:kubernetes", urn, inputs: { context: `ctx-${zone}` } });
      extra.push({ type: "kubernetes:core/v1:ConfigMap", urn: `urn:pulumi:${stack}::p::kubernetes:core/v1:ConfigMap::edge`, provider: `${urn}::id`, inputs: { metadata: { name: "edge-envoy", namespace: "shared" }, data: { "envoy.json": boot(port) } } });
    }
    const s = snapshotFromResources([...all(), ...extra]);
    const edges = s.proxies.filter((p) => p.id.endsWith("/shared/edge-envoy")).map((p) => `${p.id} ${JSON.stringify(p.bootstrap).includes("1001") ? 1001 : 1002}`).sort();
    expect(edges).toEqual(["aws-eu/shared/edge-envoy 1001", "gcp-eu/shared/edge-envoy 1002"]);
  });

  it("reads bundles published as file assets (through readAsset) and named URL-encoded (GCS JSON API)", () => {
    const files = new Map<string, Buffer>();
    const moved = all().map((r): GraphResource => {
      if (r.type === "aws:s3/bucketObjectv2:BucketObjectv2") {
        const key = String(r.inputs["key"]);
        files.set(`/virtual/${key}`, Buffer.from(String(r.inputs["contentBase64"]), "base64"));
        const asset = { "4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17", path: `/virtual/${key}` };
        return { ...r, type: "gcp:storage/bucketObject:BucketObject", inputs: { bucket: r.inputs["bucket"], name: key, source: asset } };
      }
      const data = r.inputs["data"] as Record<string, string> | undefined;
      if (data?.["config.yaml"]) {
        const encoded = data["config.yaml"].replace(/resource: (\S+)/g, (_m, p: string) => `resource: ${encodeURIComponent(p)}?alt=media`);
        return { ...r, inputs: { ...r.inputs, data: { "config.yaml": encoded } } };
      }
      return r;
    });
    expect(snapshotFromResources(moved).zones["aws-eu"].opa).toBeUndefined();
    const s = snapshotFromResources(moved, { readAsset: (p) => files.get(p) });
    expect(Object.keys(s.zones["aws-eu"].opa!.data.domains)).toEqual(["trading"]);
    expect(s.zones["aws-eu"].opa!.bundles).toContain("opa/aws-eu/ztmesh-platform.tar.gz");
  });

  it("reads outputs where a resource carries no inputs (what a stack policy sees)", () => {
    const outputsOnly = all().map((r) => (r.type.startsWith("kubernetes:") ? { ...r, inputs: {}, outputs: { ...r.inputs, ...(r.outputs ?? {}) } } : r));
    const s = snapshotFromResources(outputsOnly);
    expect(s.proxies).toHaveLength(snap.proxies.length);
    expect(s.zones["aws-eu"].networkPolicies).toHaveLength(snap.zones["aws-eu"].networkPolicies.length);
  });

  it("reads secret-wrapped inputs", () => {
    const wrapped = all().map((r) =>
      r.type === "kubernetes:core/v1:ConfigMap" ? { ...r, inputs: { ...r.inputs, data: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: r.inputs["data"] } } } : r,
    );
    expect(snapshotFromResources(wrapped).proxies).toHaveLength(snap.proxies.length);
  });

  it("traces every pair the same way as the snapshot built straight from the compilers", () => {
    const compiled = snapshotFromModel(model);
    const sources = [...model.services.keys(), "none", "spiffe://mesh.acme.example/ns/trading/sa/order-api"];
    const destinations = [...model.services.keys(), ...model.dataProducts.keys()];
    let delivered = 0;
    for (const from of sources) {
      for (const to of destinations) {
        if (from === to) continue;
        for (const method of ["GET", "POST"]) {
          const args = { from, to, ...(model.services.has(to) ? { method, path: "/orders" } : {}) };
          const a = traceRequest(snap, buildRequest(snap, args));
          const b = traceRequest(compiled, buildRequest(compiled, args));
          expect({ args, delivered: a.delivered, stop: a.hops.at(-1)!.kind }).toEqual({ args, delivered: b.delivered, stop: b.hops.at(-1)!.kind });
          if (a.delivered) delivered++;
        }
      }
    }
    expect(delivered).toBeGreaterThan(3);
  });

  it("at a data proxy (L4) names the access the policy data grants, and leaves a write to the store's IAM", () => {
    const write = traceRequest(snap, buildRequest(snap, { from: "risk/risk-engine", to: "trading/trades", access: "write" }));
    expect(write.delivered).toBe(true);
    const note = write.hops.at(-1)!;
    expect(note.verdict).toBe("info");
    expect(note.rule).toContain("grants spiffe://mesh.acme.example/ns/risk/sa/risk-engine read on trading/trades, so a write must be refused by the store's IAM");
    const read = traceRequest(snap, buildRequest(snap, { from: "risk/risk-engine", to: "trading/trades", access: "read" }));
    expect(read.hops.at(-1)!.rule).not.toContain("must be refused");
  });
});
