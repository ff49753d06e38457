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

describe("unfederated object-store intents (what the store still refuses)", () => {
  const zones: MeshSpec = {
    trustDomain: "mesh.example",
    zones: [
      { id: "a", cloud: "aws", region: "eu-west-1", failureZones: ["x"], aws: { accountId: "123456789012" } },
      { id: "a2", cloud: "aws", region: "eu-west-2", failureZones: ["x"], aws: { accountId: "210987654321" } },
      { id: "a3", cloud: "aws", region: "eu-west-3", failureZones: ["x"], aws: { accountId: "123456789012" } },
      { id: "g", cloud: "gcp", region: "europe-west3", failureZones: ["x"], gcp: { project: "p-1234", projectNumber: "1" } },
      { id: "g2", cloud: "gcp", region: "europe-west2", failureZones: ["x"], gcp: { project: "p-5678", projectNumber: "2" } },
    ],
  };
  const product = (name: string, zone: string, engine: "s3" | "gcs" | "postgres") => ({ name, zone, engine, sensitivity: "low" as const, owner: "o", residency: zone === "a2" || zone === "g2" ? "uk" : "eu", schemaVersion: "1.0.0" });
  const d: DomainSpec = {
    name: "d",
    owner: "o",
    services: [{ name: "on-aws", zone: "a", ports: [{ port: 8080 }] }, { name: "on-gcp", zone: "g", ports: [{ port: 8080 }] }],
    dataProducts: [product("s3-data", "a", "s3"), product("gcs-data", "g", "gcs"), product("db", "g", "postgres"), product("other-account", "a2", "s3"), product("same-account", "a3", "s3"), product("other-project", "g2", "gcs")],
    intents: [
      { from: "on-aws", data: "s3-data" },
      { from: "on-aws", data: "gcs-data" },
      { from: "on-aws", data: "db" },
      { from: "*", data: "gcs-data" },
      { from: "on-aws", data: "other-account" },
      { from: "on-aws", data: "same-account" },
      { from: "on-gcp", data: "other-project" },
    ],
  };

  it("lists only same-cloud reads from another AWS account (cross-cloud ones are federated; same account, GCP projects, databases and wildcards are not listed)", () => {
    const m = buildMesh(zones, [d]);
    expect(unfederatedIntents(m, "d")).toEqual([{ id: "d#4", from: "d/on-aws", to: "d/other-account", fromZone: "a", fromCloud: "aws", storeZone: "a2", storeCloud: "aws" }]);
  });

  it("says why the store refuses and what to do", () => {
    const [line] = unfederatedMessages(unfederatedIntents(buildMesh(zones, [d]), "d"));
    expect(line).toContain("d#4: d/on-aws (zone a) may use d/other-account (zone a2) through its data proxy, but its aws identity is in another AWS account");
    expect(line).toContain("Fix:");
  });
});
