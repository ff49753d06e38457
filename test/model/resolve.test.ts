import { describe, expect, it } from "vitest";
import { DEFAULTS, buildMesh, zoneGateway, type Zone } from "../../components/model";
import { domains, mesh } from "../fixtures/mesh";

describe("resolveMesh (through buildMesh)", () => {
  const model = buildMesh(mesh, domains);

  it("derives SPIFFE IDs from namespace and service account", () => {
    const orderApi = model.services.get("trading/order-api");
    expect(orderApi).toMatchObject({
      namespace: "trading",
      serviceAccount: "order-api",
      spiffeId: "spiffe://mesh.acme.example/ns/trading/sa/order-api",
      host: "order-api.trading.svc.cluster.local",
      exported: true,
      zone: "aws-eu",
    });
    expect(model.services.get("trading/matching")?.exported).toBe(false);
  });

  it("honours namespace and service account overrides", () => {
    const custom = structuredClone(domains);
    Object.assign(custom[0].services[0], { namespace: "orders", serviceAccount: "api" });
    const svc = buildMesh(mesh, custom).services.get("trading/order-api");
    expect(svc?.spiffeId).toBe("spiffe://mesh.acme.example/ns/orders/sa/api");
    expect(svc?.host).toBe("order-api.orders.svc.cluster.local");
  });

  it("applies port defaults", () => {
    expect(model.services.get("trading/order-api")?.ports).toEqual([{ port: 8080, protocol: "http", name: "http-8080" }]);
    expect(model.services.get("trading/matching")?.ports).toEqual([{ port: 9090, protocol: "grpc", name: "grpc-9090" }]);
  });

  it("gives each data product a proxy identity and store defaults", () => {
    expect(model.dataProducts.get("risk/customer-risk")).toMatchObject({
      engine: "gcs",
      port: 443,
      location: "risk-customer-risk",
      exported: true,
      proxy: { key: "risk/customer-risk-proxy", serviceAccount: "customer-risk-proxy", spiffeId: "spiffe://mesh.acme.example/ns/risk/sa/customer-risk-proxy" },
    });
    expect(model.dataProducts.get("risk/risk-db")).toMatchObject({ port: 5432, exported: false });
  });

  it("resolves intents with defaults and qualified keys", () => {
    const byId = new Map(model.intents.map((i) => [i.id, i]));
    expect(byId.get("risk#0")).toEqual({
      kind: "call",
      id: "risk#0",
      domain: "risk",
      source: { kind: "workload", key: "trading/order-api", spiffeId: "spiffe://mesh.acme.example/ns/trading/sa/order-api" },
      to: "risk/risk-engine",
      methods: ["GET"],
      paths: ["/limits"],
    });
    expect(byId.get("risk#1")).toMatchObject({ kind: "data", to: "trading/trades", access: ["read"] });
    expect(model.intents).toHaveLength(9);
  });

  it("applies call defaults and resolves wildcard sources", () => {
    const custom = structuredClone(domains);
    custom[0].intents?.push({ from: "*", to: "order-api" });
    const intent = buildMesh(mesh, custom).intents.find((i) => i.id === "trading#2");
    expect(intent).toMatchObject({ kind: "call", source: { kind: "any" }, to: "trading/order-api", methods: DEFAULTS.callMethods, paths: DEFAULTS.callPaths });
  });

  it("resolves deny rules with their scope", () => {
    expect(model.denyRules).toEqual([
      { id: "global#0", scope: "global", source: { kind: "any" }, to: "risk/customer-risk", methods: ["DELETE"], paths: undefined, reason: "risk data is append-only" },
    ]);
  });

  it("applies engine and retention defaults, and keeps them for fields set to undefined", () => {
    expect(model.policyEngine).toEqual(DEFAULTS.policyEngine);
    expect(model.logRetention).toEqual(DEFAULTS.logRetention);
    const partial = buildMesh({ ...mesh, policyEngine: { replicas: 5, decisionTimeoutMs: undefined }, logRetention: { hotDays: 30 } }, domains);
    expect(partial.policyEngine).toEqual({ ...DEFAULTS.policyEngine, replicas: 5 });
    expect(partial.logRetention).toEqual({ hotDays: 30, retainedDays: DEFAULTS.logRetention.retainedDays });
  });
});

describe("resolveMesh: zone gateways", () => {
  it("defaults each zone's gateway to gateway.<zone>.<trustDomain> without CIDRs", () => {
    const model = buildMesh(mesh, domains);
    expect(model.zones.map((z) => [z.id, z.gateway])).toEqual([
      ["aws-eu", { host: "gateway.aws-eu.mesh.acme.example", cidrs: [] }],
      ["gcp-eu", { host: "gateway.gcp-eu.mesh.acme.example", cidrs: [] }],
      ["azure-eu", { host: "gateway.azure-eu.mesh.acme.example", cidrs: [] }],
      ["dc-eu", { host: "gateway.dc-eu.mesh.acme.example", cidrs: [] }],
    ]);
  });

  it("keeps declared settings, defaulting only what is left out, and does not share the caller's lists", () => {
    const spec = structuredClone(mesh);
    spec.zones[0].gateway = { host: "east-west.aws.acme.example", cidrs: ["10.20.0.0/28"] };
    spec.zones[1].gateway = { cidrs: ["10.40.0.0/28"] };
    spec.zones[2].gateway = { host: "gw.azure.acme.example" };
    const zones = buildMesh(spec, domains).zones;
    expect(zones[0].gateway).toEqual({ host: "east-west.aws.acme.example", cidrs: ["10.20.0.0/28"] });
    expect(zones[1].gateway).toEqual({ host: "gateway.gcp-eu.mesh.acme.example", cidrs: ["10.40.0.0/28"] });
    expect(zones[2].gateway).toEqual({ host: "gw.azure.acme.example", cidrs: [] });
    expect(zones[0].gateway?.cidrs).not.toBe(spec.zones[0].gateway.cidrs);
    spec.zones[0].gateway.cidrs?.push("10.99.0.0/28");
    expect(zones[0].gateway?.cidrs).toEqual(["10.20.0.0/28"]);
  });

  it("zoneGateway gives the same default for a zone built by hand", () => {
    const zone: Zone = { id: "onprem-x", cloud: "onprem", region: "eu-frankfurt-dc1", failureZones: ["a"] };
    expect(zoneGateway(zone, "td.example")).toEqual({ host: "gateway.onprem-x.td.example", cidrs: [] });
    expect(zoneGateway({ ...zone, gateway: { host: "h.example", cidrs: ["10.0.0.0/24"] } }, "td.example")).toEqual({ host: "h.example", cidrs: ["10.0.0.0/24"] });
  });
});
