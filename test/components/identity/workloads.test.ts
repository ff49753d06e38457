import { describe, expect, it } from "vitest";
import { compileIam } from "../../../components/compile/iam";
import { federationFor } from "../../../components/identity/workloads";
import { buildMesh, ValidationError, type DomainSpec, type MeshSpec } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const model = buildMesh(mesh, domains);

describe("federationFor", () => {
  it("selects the workloads with a grant on a product of the zone, with exactly those grants", () => {
    const docs = compileIam(model);
    const aws = federationFor(model, "aws-eu");
    expect(aws.workloads.map((w) => w.key)).toEqual(["compliance/auditor", "risk/risk-engine", "trading/matching"]);
    expect(aws.documents.aws).toEqual(docs.aws);
    expect(aws.documents.gcp).toEqual({});
    expect(federationFor(model, "gcp-eu").workloads.map((w) => w.key)).toEqual(["compliance/auditor", "risk/risk-engine"]);
    expect(federationFor(model, "azure-eu").documents.azure["compliance/auditor"].roleAssignments.map((r) => r.product)).toEqual(["compliance/findings"]);
    expect(federationFor(model, "dc-eu").workloads).toEqual([]);
    for (const w of aws.workloads) expect(w.spiffeId).toBe(model.services.get(w.key)!.spiffeId);
  });

  it("splits one cloud's grants between two zones (accounts) of that cloud", () => {
    const two: MeshSpec = {
      ...mesh,
      zones: [...mesh.zones, { id: "aws-us", cloud: "aws", region: "us-east-1", failureZones: ["us-east-1a"], aws: { accountId: "210987654321" } }],
    };
    const us: DomainSpec = {
      name: "us",
      owner: "us@acme.example",
      services: [{ name: "reader", zone: "aws-us", ports: [{ port: 8080 }] }],
      dataProducts: [{ name: "ledger", zone: "aws-us", engine: "s3", sensitivity: "low", owner: "us@acme.example", residency: "us", schemaVersion: "1.0.0" }],
      intents: [{ from: "reader", data: "ledger" }, { from: "reader", data: "trading/trades" }],
    };
    const m = buildMesh(two, [...domains, us]);
    const eu = federationFor(m, "aws-eu").documents.aws["us/reader"].policy.Statement.flatMap((s) => s.Resource);
    const usDocs = federationFor(m, "aws-us").documents.aws["us/reader"].policy.Statement.flatMap((s) => s.Resource);
    expect(eu.every((r) => r.includes("trading-trades"))).toBe(true);
    expect(usDocs.every((r) => r.includes("us-ledger"))).toBe(true);
  });

  it("rejects an unknown zone", () => {
    expect(() => federationFor(model, "nope")).toThrow(ValidationError);
  });
});
