import { beforeAll, describe, expect, it } from "vitest";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import type { WorkloadIdentityFederation as Federation } from "../../../components/identity";
import { federationFor } from "../../../components/identity/workloads";
import { compileIam } from "../../../components/compile/iam";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const rec = new Recorder();

const model = buildMesh(mesh, domains);
const zone = model.zones.find((z) => z.id === "gcp-eu")!;
const ISSUER = "https://oidc.mesh.acme.example";
const POOL = "//iam.googleapis.com/projects/998877665544/locations/global/workloadIdentityPools/ztmesh-gcp-eu";
let fed: Federation;
let component: RecordedResource;
let children: RecordedResource[];
beforeAll(async () => {
  const { WorkloadIdentityFederation } = await import("../../../components/identity");
  fed = new WorkloadIdentityFederation("gcp-identity", {
    zone,
    trustDomain: model.trustDomain,
    issuerUrl: ISSUER,
    jwksJson: '{"keys":[]}',
    ...federationFor(model, zone.id),
  });
  await rec.settle();

  component = rec.get("gcp-identity", "ztmesh:identity:WorkloadIdentityFederation");
  children = rec.resources.filter((r) => r.name.startsWith("gcp-identity-"));
});

const value = <T>(o: { apply(f: (v: T) => void): unknown }): Promise<T> => new Promise((resolve) => o.apply(resolve));

describe("WorkloadIdentityFederation on GCP", () => {
  it("creates a pool, a provider, and per workload a service account, its federation binding and the compiled bucket bindings", () => {
    expect(Object.keys(fed.identities)).toEqual(["compliance/auditor", "risk/risk-engine"]);
    const count = (t: string) => children.filter((c) => c.type === t).length;
    expect(count("gcp:iam/workloadIdentityPool:WorkloadIdentityPool")).toBe(1);
    expect(count("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")).toBe(1);
    expect(count("gcp:serviceaccount/account:Account")).toBe(2);
    expect(count("gcp:serviceaccount/iAMMember:IAMMember")).toBe(2);
    expect(count("gcp:storage/bucketIAMMember:BucketIAMMember")).toBe(3);
    expect(children).toHaveLength(9);
    for (const c of children) expect(c.parent).toBe(component.urn);
  });

  it("restricts the provider to the issuer, the audience and the mesh trust domain", () => {
    const p = rec.get("gcp-identity-provider");
    expect(p.inputs.attributeMapping).toEqual({ "google.subject": "assertion.sub" });
    expect(p.inputs.attributeCondition).toBe('assertion.sub.startsWith("spiffe://mesh.acme.example/")');
    expect(p.inputs.oidc).toEqual({ issuerUri: ISSUER, allowedAudiences: [`${POOL}/providers/spire`], jwksJson: '{"keys":[]}' });
    expect(p.inputs.workloadIdentityPoolProviderId).toBe("spire");
    expect(rec.get("gcp-identity-pool").inputs).toMatchObject({ workloadIdentityPoolId: "ztmesh-gcp-eu", project: "acme-risk" });
    expect(fed.audience).toBe(`${POOL}/providers/spire`);
  });

  it("lets exactly one subject impersonate each service account, never the whole pool", () => {
    for (const key of ["risk/risk-engine", "compliance/auditor"]) {
      const b = rec.get(`gcp-identity-${key.replace("/", "-")}-federation`);
      const spiffe = model.services.get(key)!.spiffeId;
      expect(b.inputs.role).toBe("roles/iam.workloadIdentityUser");
      expect(b.inputs.member).toBe(`principal://iam.googleapis.com/projects/998877665544/locations/global/workloadIdentityPools/ztmesh-gcp-eu/subject/${spiffe}`);
      expect(String(b.inputs.member)).not.toMatch(/principalSet|\*/);
      expect(b.dependencies).toContain(rec.get("gcp-identity-provider").urn);
    }
  });

  it("binds exactly the compiled bucket roles to the service account", () => {
    const expected = compileIam(model).gcp;
    const bindings = rec.ofType("gcp:storage/bucketIAMMember:BucketIAMMember");
    const got = bindings.map((b) => `${b.inputs.member} ${b.inputs.role} ${b.inputs.bucket}`).sort();
    const want = Object.values(expected)
      .flatMap((w) => w.bindings.map((b) => `serviceAccount:${w.serviceAccountId}@acme-risk.iam.gserviceaccount.com ${b.role} ${b.bucket}`))
      .sort();
    expect(got).toEqual(want);
  });

  it("exports the service account email and audience", async () => {
    const id = fed.identities["risk/risk-engine"];
    expect(await value(id.principal)).toBe("risk-risk-engine@acme-risk.iam.gserviceaccount.com");
    expect(await value(id.grantee)).toBe("serviceAccount:risk-risk-engine@acme-risk.iam.gserviceaccount.com");
    expect(id.audience).toBe(`${POOL}/providers/spire`);
  });
});
