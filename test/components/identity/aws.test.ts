import { beforeAll, describe, expect, it } from "vitest";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import type { WorkloadIdentityFederation as Federation } from "../../../components/identity";
import { federationFor } from "../../../components/identity/workloads";
import { checkAwsPolicyDocument, compileIam, wildcardIssues } from "../../../components/compile/iam";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const rec = new Recorder();

const model = buildMesh(mesh, domains);
const zone = model.zones.find((z) => z.id === "aws-eu")!;
const ISSUER = "https://oidc.mesh.acme.example";
const HOST = "oidc.mesh.acme.example";
const TYPE = "ztmesh:identity:WorkloadIdentityFederation";

const existingArn = `arn:aws:iam::123456789012:oidc-provider/${HOST}`;
let fed: Federation;
let component: RecordedResource;
let children: RecordedResource[];
let roles: RecordedResource[];
beforeAll(async () => {
  const { WorkloadIdentityFederation } = await import("../../../components/identity");
  fed = new WorkloadIdentityFederation("aws-eu-identity", {
    zone,
    trustDomain: model.trustDomain,
    issuerUrl: ISSUER,
    ...federationFor(model, zone.id),
    tags: { team: "platform" },
  });
  new WorkloadIdentityFederation("aws-existing", {
    zone,
    trustDomain: model.trustDomain,
    issuerUrl: `${ISSUER}/`,
    workloads: [{ key: "mesh/log-collector", spiffeId: "spiffe://mesh.acme.example/ns/ztmesh-system/sa/log-collector" }],
    existingOidcProviderArn: existingArn,
    permissionsBoundaryArn: "arn:aws:iam::123456789012:policy/mesh-boundary",
    maxSessionDurationSeconds: 7200,
  });
  await rec.settle();

  component = rec.get("aws-eu-identity", TYPE);
  children = rec.resources.filter((r) => r.name.startsWith("aws-eu-identity-"));
  roles = rec.ofType("aws:iam/role:Role").filter((r) => r.name.startsWith("aws-eu-identity-"));
});

const value = <T>(o: { apply(f: (v: T) => void): unknown }): Promise<T> => new Promise((resolve) => o.apply(resolve));

describe("WorkloadIdentityFederation on AWS", () => {
  it("creates one OIDC provider and one role per workload with a grant in the zone, all parented to the component", () => {
    expect(children.map((c) => c.type).sort()).toEqual([
      "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
      ...Array(3).fill("aws:iam/role:Role"),
      ...Array(3).fill("aws:iam/rolePolicy:RolePolicy"),
    ].sort());
    for (const c of children) expect(c.parent).toBe(component.urn);
    expect(roles.map((r) => r.inputs.name).sort()).toEqual(["ztmesh-compliance-auditor", "ztmesh-risk-risk-engine", "ztmesh-trading-matching"]);
  });

  it("trusts the issuer with the STS audience", () => {
    const oidc = rec.get("aws-eu-identity-oidc");
    expect(oidc.inputs.url).toBe(ISSUER);
    expect(oidc.inputs.clientIdLists).toEqual(["sts.amazonaws.com"]);
    expect(oidc.inputs.tags).toMatchObject({ "ztmesh-zone": "aws-eu", "managed-by": "ztmesh", team: "platform" });
  });

  it("pins the exact SPIFFE ID (sub) and audience (aud) with StringEquals in each trust policy", () => {
    const providerArn = `arn:aws:iam::123456789012:oidc-provider/${HOST}`;
    for (const w of federationFor(model, zone.id).workloads) {
      const role = rec.get(`aws-eu-identity-${w.key.replace("/", "-")}-role`);
      const trust = JSON.parse(String(role.inputs.assumeRolePolicy));
      expect(checkAwsPolicyDocument(trust)).toEqual([]);
      expect(wildcardIssues(trust)).toEqual([]);
      expect(trust.Statement).toEqual([
        {
          Sid: "MeshWorkloadIdentity",
          Effect: "Allow",
          Principal: { Federated: providerArn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringEquals: { [`${HOST}:sub`]: w.spiffeId, [`${HOST}:aud`]: "sts.amazonaws.com" } },
        },
      ]);
      expect(role.inputs.maxSessionDuration).toBe(3600);
      expect(role.inputs.permissionsBoundary).toBeUndefined();
    }
  });

  it("attaches exactly the compiled policy, which passes the grammar and wildcard checks", () => {
    const docs = compileIam(model).aws;
    for (const key of ["trading/matching", "risk/risk-engine", "compliance/auditor"]) {
      const policy = rec.get(`aws-eu-identity-${key.replace("/", "-")}-policy`);
      const doc = JSON.parse(String(policy.inputs.policy));
      expect(doc).toEqual(docs[key].policy);
      expect(checkAwsPolicyDocument(doc)).toEqual([]);
      expect(wildcardIssues(doc)).toEqual([]);
      expect(policy.dependencies).toContain(rec.get(`aws-eu-identity-${key.replace("/", "-")}-role`).urn);
    }
    const matching = JSON.parse(String(rec.get("aws-eu-identity-trading-matching-policy").inputs.policy));
    expect(matching.Statement.flatMap((s: { Action: string[] }) => s.Action)).toEqual(["s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
  });

  it("exports each workload's role ARN and audience", async () => {
    expect(Object.keys(fed.identities)).toEqual(["compliance/auditor", "risk/risk-engine", "trading/matching"]);
    const id = fed.identities["trading/matching"];
    expect(id.audience).toBe("sts.amazonaws.com");
    expect(await value(id.principal)).toBe("arn:aws:iam::123456789012:role/ztmesh-trading-matching");
    expect(await value(id.grantee)).toBe(await value(id.principal));
    expect(await value(fed.trustAnchor)).toBe(`arn:aws:iam::123456789012:oidc-provider/${HOST}`);
  });

  it("reuses an existing provider, applies the boundary and session duration, and grants nothing without documents", () => {
    const kids = rec.resources.filter((r) => r.name.startsWith("aws-existing-"));
    expect(kids.map((k) => k.type)).toEqual(["aws:iam/role:Role"]);
    const role = kids[0];
    const trust = JSON.parse(String(role.inputs.assumeRolePolicy));
    expect(trust.Statement[0].Principal.Federated).toBe(existingArn);
    expect(trust.Statement[0].Condition.StringEquals[`${HOST}:sub`]).toBe("spiffe://mesh.acme.example/ns/ztmesh-system/sa/log-collector");
    expect(role.inputs.permissionsBoundary).toBe("arn:aws:iam::123456789012:policy/mesh-boundary");
    expect(role.inputs.maxSessionDuration).toBe(7200);
  });
});
