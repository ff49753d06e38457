import { beforeAll, describe, expect, it } from "vitest";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import type { WorkloadIdentityFederation as Federation } from "../../../components/identity";
import { federationFor } from "../../../components/identity/workloads";
import { compileIam } from "../../../components/compile/iam";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const rec = new Recorder();

const model = buildMesh(mesh, domains);
const zone = model.zones.find((z) => z.id === "azure-eu")!;
const ISSUER = "https://oidc.mesh.acme.example";
const collector = { key: "mesh/log-collector", spiffeId: "spiffe://mesh.acme.example/ns/ztmesh-system/sa/log-collector" };
const plan = federationFor(model, zone.id);
let fed: Federation;
let component: RecordedResource;
let children: RecordedResource[];
let credentials: RecordedResource[];
beforeAll(async () => {
  const { WorkloadIdentityFederation } = await import("../../../components/identity");
  fed = new WorkloadIdentityFederation("az-identity", {
    zone,
    trustDomain: model.trustDomain,
    issuerUrl: ISSUER,
    workloads: [...plan.workloads, collector],
    documents: plan.documents,
  });
  await rec.settle();

  component = rec.get("az-identity", "ztmesh:identity:WorkloadIdentityFederation");
  children = rec.resources.filter((r) => r.name.startsWith("az-identity-"));
  credentials = rec.ofType("azure-native:managedidentity:FederatedIdentityCredential");
});

const value = <T>(o: { apply(f: (v: T) => void): unknown }): Promise<T> => new Promise((resolve) => o.apply(resolve));

describe("WorkloadIdentityFederation on Azure", () => {
  it("creates an identity and one credential per workload and the compiled role assignments, parented to the component", () => {
    expect(plan.workloads.map((w) => w.key)).toEqual(["compliance/auditor"]);
    expect(children.map((c) => c.type).sort()).toEqual(
      [
        "azure-native:authorization:RoleAssignment",
        "azure-native:managedidentity:FederatedIdentityCredential",
        "azure-native:managedidentity:FederatedIdentityCredential",
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:managedidentity:UserAssignedIdentity",
      ].sort(),
    );
    for (const c of children) expect(c.parent).toBe(component.urn);
    const identity = rec.get("az-identity-compliance-auditor-identity");
    expect(identity.inputs).toMatchObject({ resourceName: "ztmesh-compliance-auditor", resourceGroupName: "mesh-compliance", location: "westeurope" });
    expect(identity.inputs.tags).toMatchObject({ "ztmesh-zone": "azure-eu", "managed-by": "ztmesh" });
  });

  it("federates the exact subject, the issuer and the token-exchange audience", () => {
    expect(credentials.map((c) => c.inputs.subject)).toEqual([model.services.get("compliance/auditor")!.spiffeId, collector.spiffeId]);
    for (const c of credentials) {
      expect(c.inputs.issuer).toBe(ISSUER);
      expect(c.inputs.audiences).toEqual(["api://AzureADTokenExchange"]);
      expect(c.inputs.claimsMatchingExpression).toBeUndefined();
      expect(c.inputs.federatedIdentityCredentialResourceName).toBe("ztmesh-spire");
    }
  });

  it("serializes credential writes: each credential depends on the previous one", () => {
    expect(credentials[0].dependencies).not.toContain(credentials[1].urn);
    expect(credentials[1].dependencies).toContain(credentials[0].urn);
  });

  it("assigns exactly the compiled role at the container scope, to the identity as a service principal", async () => {
    const [expected] = compileIam(model).azure["compliance/auditor"].roleAssignments.filter((r) => r.product === "compliance/findings");
    const ra = rec.get("az-identity-compliance-auditor-compliance-findings-access");
    expect(ra.inputs).toMatchObject({ principalType: "ServicePrincipal", roleDefinitionId: expected.roleDefinitionId, scope: expected.scope });
    expect(String(ra.inputs.scope)).toMatch(/\/blobServices\/default\/containers\/compliance-findings$/);
    expect(ra.inputs.principalId).toBe(await value(fed.identities["compliance/auditor"].grantee));
    expect(rec.ofType("azure-native:authorization:RoleAssignment")).toHaveLength(1);
  });

  it("exports the client id and the fixed audience", async () => {
    const id = fed.identities["mesh/log-collector"];
    expect(id.audience).toBe("api://AzureADTokenExchange");
    expect(await value(id.principal)).toMatch(/^[0-9a-f-]{36}$/);
    expect(await value(fed.trustAnchor)).toBe(ISSUER);
  });
});
