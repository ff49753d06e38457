import { describe, expect, it } from "vitest";
import { admittedDomains, pendingIntents } from "../../../components/mesh";
import { pendingMessages, unfederatedIntents, unfederatedMessages } from "../../../components/mesh/peers";
import { buildMesh, type DomainSpec, type MeshSpec } from "../../../components/model";

const mesh: MeshSpec = { trustDomain: "mesh.example", zones: [{ id: "z1", cloud: "onprem", region: "eu-dc1", failureZones: ["a", "b"] }] };
const svc = (name: string) => ({ name, zone: "z1", ports: [{ port: 8080 }] });
const producer: DomainSpec = { name: "p", owner: "o", services: [svc("api")], exports: ["api"] };
const consumer: DomainSpec = { name: "c", owner: "o", services: [svc("app")], intents: [{ from: "app", to: "p/api" }, { from: "app", to: "app" }] };

describe("pending cross-domain intents", () => {
  const model = buildMesh(mesh, [consumer, producer], { focus: "c" });

  it("lists the intents towards a producer whose contract does not admit the domain, only those", () => {
    expect(pendingIntents(model, "c", [{ version: 1, domain: producer, admits: ["x"] }])).toEqual([{ id: "c#0", from: "c/app", to: "p/api", producer: "p" }]);
    expect(pendingIntents(model, "c", [{ version: 1, domain: producer, admits: ["c"] }])).toEqual([]);
    expect(pendingIntents(model, "c", [])).toEqual([]); // known only as a plain spec: not judged
  });

  it("says which producer must reference this stack", () => {
    const [line] = pendingMessages("c", pendingIntents(model, "c", [{ version: 1, domain: producer }]));
    expect(line).toBe('domain "p" does not admit domain "c" yet, so it still refuses 1 intent(s) declared here: c#0 (c/app -> p/api). Fix: add this stack to the references of p\'s stack and update it.');
  });

  it("a stack admits every other domain it was built with, peers over plain specs, never itself", () => {
    expect(admittedDomains("p", [consumer, producer], [{ version: 1, domain: { ...consumer, name: "d" } }])).toEqual(["c", "d"]);
  });
});

describe("buildMesh with a focus domain", () => {
  const third: DomainSpec = { name: "t", owner: "o", services: [svc("w")], intents: [{ from: "w", to: "unknown-domain/x" }, { from: "w", to: "p/api" }], denyRules: [{ from: "w", reason: "r" }] };

  it("keeps only the other domains' intents towards the focus, with their declaration index", () => {
    const m = buildMesh(mesh, [producer, third], { focus: "p" });
    expect(m.intents.map((i) => i.id)).toEqual(["t#1"]);
    expect(m.denyRules.filter((r) => r.scope === "t")).toEqual([]);
  });

  it("without a focus the same declarations fail on the unknown domain (the focus is what skips it)", () => {
    expect(() => buildMesh(mesh, [producer, third])).toThrow('unknown domain "unknown-domain"');
  });

  it("still validates the intents towards the focus", () => {
    const bad: DomainSpec = { ...third, intents: [{ from: "w", to: "p/missing" }] };
    expect(() => buildMesh(mesh, [producer, bad], { focus: "p" })).toThrow("domains.t.intents[0].to");
  });
});

describe("unfederated cross-cloud object-store intents", () => {
  const zones: MeshSpec = {
    trustDomain: "mesh.example",
    zones: [
      { id: "a", cloud: "aws", region: "eu-west-1", failureZones: ["x"], aws: { accountId: "123456789012" } },
      { id: "g", cloud: "gcp", region: "europe-west3", failureZones: ["x"], gcp: { project: "p-1234", projectNumber: "1" } },
    ],
  };
  const product = (name: string, zone: string, engine: "s3" | "gcs" | "postgres") => ({ name, zone, engine, sensitivity: "low" as const, owner: "o", residency: "eu", schemaVersion: "1.0.0" });
  const d: DomainSpec = {
    name: "d",
    owner: "o",
    services: [{ name: "on-aws", zone: "a", ports: [{ port: 8080 }] }],
    dataProducts: [product("s3-data", "a", "s3"), product("gcs-data", "g", "gcs"), product("db", "g", "postgres")],
    intents: [
      { from: "on-aws", data: "s3-data" },
      { from: "on-aws", data: "gcs-data" },
      { from: "on-aws", data: "db" },
      { from: "*", data: "gcs-data" },
    ],
  };

  it("lists only object-store reads from another cloud (same cloud, databases and wildcards are not)", () => {
    const m = buildMesh(zones, [d]);
    expect(unfederatedIntents(m, "d")).toEqual([{ id: "d#1", from: "d/on-aws", to: "d/gcs-data", fromZone: "a", fromCloud: "aws", storeCloud: "gcp" }]);
  });

  it("says why the store refuses and what to do", () => {
    const [line] = unfederatedMessages(unfederatedIntents(buildMesh(zones, [d]), "d"));
    expect(line).toContain("d#1: d/on-aws (zone a, aws) may read d/gcs-data through its data proxy, but has no gcp identity");
    expect(line).toContain("Fix:");
  });
});
