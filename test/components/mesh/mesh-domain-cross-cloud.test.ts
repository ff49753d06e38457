/**
 * MeshDomain with consumers of object stores in other clouds (Azure and on-prem workloads
 * reading S3, GCS and Azure blob products): the identities it creates in the stores' accounts,
 * what they trust, what they may do, the ServiceAccount annotations and the validation of
 * `storeZones`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { rsaKeyPairPem } from "../../helpers/keys";
import type * as K8s from "@pulumi/kubernetes";
import type * as Pulumi from "@pulumi/pulumi";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import type { MeshContract, MeshDomain as MeshDomainClass, MeshDomainArgs, meshDomainStoreZones as StoreZonesFn } from "../../../components/mesh";
import type { DomainSpec, MeshSpec } from "../../../components/model";
import { azureNativeProvider } from "../../helpers/providers";

const rec = new Recorder();
const { privateKeyPem, publicKeyPem } = rsaKeyPairPem();

const TD = "mesh.acme.example";
const mesh: MeshSpec = {
  trustDomain: TD,
  zones: [
    { id: "aws-eu", cloud: "aws", region: "eu-west-1", failureZones: ["eu-west-1a"], aws: { accountId: "123456789012" } },
    { id: "gcp-eu", cloud: "gcp", region: "europe-west3", failureZones: ["europe-west3-a"], gcp: { project: "acme-risk-dev", projectNumber: "998877665544" } },
    { id: "azure-eu", cloud: "azure", region: "westeurope", failureZones: ["1"], azure: { subscriptionId: "00000000-0000-0000-0000-000000000001", tenantId: "00000000-0000-0000-0000-0000000000aa", resourceGroupName: "mesh-dev" } },
    { id: "dc-eu", cloud: "onprem", region: "eu-frankfurt-dc1", failureZones: ["rack-a"] },
  ],
};
const issuer = (zone: string) => `https://oidc.${zone}.${TD}`;
const contractZone = (id: string, cloud: "aws" | "gcp" | "azure" | "onprem", region: string): MeshContract["zones"][number] => ({
  id,
  cloud,
  region,
  issuerUrl: issuer(id),
  gatewayAddress: "",
  bundleStore: { kind: "http", url: `https://bundles.${id}.example`, prefix: "opa" },
});
const platform: MeshContract = {
  version: 1,
  mesh,
  zones: [
    { ...contractZone("aws-eu", "aws", "eu-west-1"), bundleStore: { kind: "s3", bucket: "ztmesh-opa-aws-eu-123456789012", region: "eu-west-1", prefix: "opa" } },
    { ...contractZone("gcp-eu", "gcp", "europe-west3"), bundleStore: { kind: "gcs", bucket: "ztmesh-opa-gcp-eu", prefix: "opa" } },
    { ...contractZone("azure-eu", "azure", "westeurope"), bundleStore: { kind: "azure-blob", storageAccount: "ztmeshopa", container: "opa-bundles", resourceGroupName: "mesh-dev", prefix: "opa" } },
    contractZone("dc-eu", "onprem", "eu-frankfurt-dc1"),
  ],
};
const product = (name: string, zone: string, engine: "s3" | "gcs" | "blob", location: string) => ({ name, zone, engine, sensitivity: "medium" as const, owner: "d@acme.example", residency: "eu", schemaVersion: "1.0.0", location });
const trading: DomainSpec = {
  name: "trading",
  owner: "t@acme.example",
  services: [{ name: "trade-query", zone: "aws-eu", ports: [{ port: 8080 }] }],
  dataProducts: [product("trades", "aws-eu", "s3", "acme-trades"), product("prices", "aws-eu", "s3", "acme-prices")],
  exports: ["trades", "prices"],
};
const risk: DomainSpec = {
  name: "risk",
  owner: "r@acme.example",
  services: [{ name: "risk-engine", zone: "gcp-eu", ports: [{ port: 8080 }] }],
  dataProducts: [product("customer-risk", "gcp-eu", "gcs", "acme-customer-risk"), product("positions", "gcp-eu", "gcs", "acme-positions"), product("archive", "azure-eu", "blob", "archive")],
  exports: ["customer-risk", "positions", "archive"],
};
const compliance: DomainSpec = {
  name: "compliance",
  owner: "c@acme.example",
  services: [{ name: "auditor", zone: "azure-eu", ports: [{ port: 8080 }] }, { name: "batch", zone: "dc-eu", ports: [{ port: 8080 }] }],
  dataProducts: [product("findings", "azure-eu", "blob", "findings")],
  intents: [
    { from: "auditor", data: "trading/trades" },
    { from: "auditor", data: "risk/customer-risk" },
    { from: "auditor", data: "findings", access: ["write"] },
    { from: "batch", data: "trading/trades" },
    { from: "batch", data: "risk/archive", access: ["write"] },
  ],
};
const AUDITOR = `spiffe://${TD}/ns/compliance/sa/auditor`;
const BATCH = `spiffe://${TD}/ns/compliance/sa/batch`;

let MeshDomain: typeof MeshDomainClass;
let meshDomainStoreZones: typeof StoreZonesFn;
let pulumi: typeof Pulumi;
let clusters: Record<string, K8s.Provider>;
let providers: Record<string, Pulumi.ProviderResource>;
let md: MeshDomainClass;
const args = (over: Partial<MeshDomainArgs> = {}): MeshDomainArgs => ({
  platform,
  domain: compliance,
  others: [trading, risk],
  zones: { "azure-eu": { cluster: clusters["azure-eu"], cloudProvider: providers["azure-eu"] }, "dc-eu": { cluster: clusters["dc-eu"] } },
  storeZones: { "aws-eu": { cloudProvider: providers["aws-eu"] }, "gcp-eu": { cloudProvider: providers["gcp-eu"] } },
  signing: { keyId: "ztmesh-test", publicKeyPem, privateKeyPem: pulumi.secret(privateKeyPem) },
  ...over,
});

beforeAll(async () => {
  pulumi = await import("@pulumi/pulumi");
  const k8s = await import("@pulumi/kubernetes");
  const aws = await import("@pulumi/aws");
  const gcp = await import("@pulumi/gcp");
  ({ MeshDomain, meshDomainStoreZones } = await import("../../../components/mesh"));
  clusters = { "azure-eu": new k8s.Provider("azure-eu-cluster", {}), "dc-eu": new k8s.Provider("dc-eu-cluster", {}) };
  providers = {
    "aws-eu": new aws.Provider("aws-eu-provider", { region: "eu-west-1" }),
    "gcp-eu": new gcp.Provider("gcp-eu-provider", { project: "acme-risk-dev" }),
    "azure-eu": await azureNativeProvider("azure-eu-provider"),
  };
  md = new MeshDomain("compliance", args());
  await rec.settle();
}, 60_000);

const parentName = (r: RecordedResource) => rec.byUrnOf(r.parent!)?.name;
const under = (fed: string, type: string) => rec.ofType(type).filter((r) => parentName(r) === fed);
type Trust = { Statement: { Principal: { Federated: string }; Action: string; Condition: { StringEquals: Record<string, string> } }[] };
type Policy = { Statement: { Action: string[]; Resource: string[] }[] };

describe("MeshDomain: cross-cloud object-store consumers", () => {
  it("lists the zones it needs providers for, and leaves nothing unfederated", () => {
    expect(meshDomainStoreZones(args())).toEqual(["aws-eu", "gcp-eu"]);
    expect(md.unfederatedIntents).toEqual([]);
    expect(md.crossCloudFederations.map((f) => [f.sourceZone, f.targetZone, f.workloads.map((w) => w.key)])).toEqual([
      ["azure-eu", "aws-eu", ["compliance/auditor"]],
      ["azure-eu", "gcp-eu", ["compliance/auditor"]],
      ["dc-eu", "aws-eu", ["compliance/batch"]],
      ["dc-eu", "azure-eu", ["compliance/batch"]],
    ]);
    for (const f of md.crossCloudFederations) {
      const r = rec.get(`compliance-${f.sourceZone}-to-${f.targetZone}-federation`);
      expect(r.type).toBe("ztmesh:identity:WorkloadIdentityFederation");
      expect(parentName(r)).toBe("compliance");
    }
  });

  it("AWS: a role in the store's account trusting exactly the consumer zone's issuer (platform provider), SPIFFE ID and audience", () => {
    const cases: [string, string, string][] = [
      ["compliance-azure-eu-to-aws-eu-federation", "azure-eu", AUDITOR],
      ["compliance-dc-eu-to-aws-eu-federation", "dc-eu", BATCH],
    ];
    for (const [fed, zone, spiffe] of cases) {
      const [role] = under(fed, "aws:iam/role:Role");
      const host = issuer(zone).replace("https://", "");
      const trust = JSON.parse(String(role.inputs.assumeRolePolicy)) as Trust;
      expect(trust.Statement).toHaveLength(1);
      expect(trust.Statement[0].Principal.Federated).toBe(`arn:aws:iam::123456789012:oidc-provider/${host}`);
      expect(trust.Statement[0].Action).toBe("sts:AssumeRoleWithWebIdentity");
      expect(trust.Statement[0].Condition.StringEquals).toEqual({ [`${host}:sub`]: spiffe, [`${host}:aud`]: "sts.amazonaws.com" });
      expect(role.provider).toContain(rec.get("aws-eu-provider").urn);
      expect(role.inputs.tags).toMatchObject({ "ztmesh-domain": "compliance", "ztmesh-source-zone": zone, "ztmesh-zone": "aws-eu" });
    }
    // The domain never creates an OIDC provider: the platform owns one per account and issuer.
    expect(rec.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual([]);
  });

  it("AWS: the role may read only the product's bucket", () => {
    const [policy] = under("compliance-azure-eu-to-aws-eu-federation", "aws:iam/rolePolicy:RolePolicy");
    const doc = JSON.parse(String(policy.inputs.policy)) as Policy;
    expect(doc.Statement.map((s) => [s.Action, s.Resource])).toEqual([
      [["s3:GetObject"], ["arn:aws:s3:::acme-trades/*"]],
      [["s3:ListBucket"], ["arn:aws:s3:::acme-trades"]],
    ]);
  });

  it("GCP: its own pool and provider in the product's project, for the consumer zone's issuer; the service account impersonable by the exact SPIFFE ID; viewer on that bucket only", () => {
    const fed = "compliance-azure-eu-to-gcp-eu-federation";
    const [pool] = under(fed, "gcp:iam/workloadIdentityPool:WorkloadIdentityPool");
    expect(pool.inputs).toMatchObject({ workloadIdentityPoolId: "ztmesh-azure-eu-compliance", project: "acme-risk-dev" });
    const [provider] = under(fed, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider");
    const audience = "//iam.googleapis.com/projects/998877665544/locations/global/workloadIdentityPools/ztmesh-azure-eu-compliance/providers/spire";
    expect(provider.inputs).toMatchObject({ project: "acme-risk-dev", oidc: { issuerUri: issuer("azure-eu"), allowedAudiences: [audience] } });
    expect(provider.provider).toContain(rec.get("gcp-eu-provider").urn);
    const [binding] = under(fed, "gcp:serviceaccount/iAMMember:IAMMember");
    expect(binding.inputs.member).toBe(`principal://iam.googleapis.com/projects/998877665544/locations/global/workloadIdentityPools/ztmesh-azure-eu-compliance/subject/${AUDITOR}`);
    const grants = under(fed, "gcp:storage/bucketIAMMember:BucketIAMMember");
    expect(grants.map((g) => [g.inputs.bucket, g.inputs.role])).toEqual([["acme-customer-risk", "roles/storage.objectViewer"]]);
  });

  it("Azure: an identity whose credential trusts the on-prem issuer, the exact SPIFFE ID and the exchange audience, with a role on the product's container only, after the domain's other Azure credentials", () => {
    const fed = "compliance-dc-eu-to-azure-eu-federation";
    const [credential] = under(fed, "azure-native:managedidentity:FederatedIdentityCredential");
    expect(credential.inputs).toMatchObject({ issuer: issuer("dc-eu"), subject: BATCH, audiences: ["api://AzureADTokenExchange"], resourceGroupName: "mesh-dev" });
    const grants = under(fed, "azure-native:authorization:RoleAssignment");
    expect(grants).toHaveLength(1);
    expect(String(grants[0].inputs.scope)).toMatch(/\/storageAccounts\/archive[0-9a-f]{8}\/blobServices\/default\/containers\/archive$/);
    expect(String(grants[0].inputs.roleDefinitionId)).toContain("ba92f5b4-2d11-453d-a403-e96b0029c9fe"); // Contributor: write
    // Entra ID rejects concurrent credential writes: it waits for the home zone's federation.
    const [homeCredential] = under("compliance-azure-eu-federation", "azure-native:managedidentity:FederatedIdentityCredential");
    expect(rec.get(fed).dependencies).toContain(homeCredential.urn);
  });

  it("annotates each ServiceAccount with its principal in every cloud", () => {
    const annotations = (sa: string) => (rec.get(sa).inputs.metadata as { annotations: Record<string, string> }).annotations;
    const auditor = annotations("compliance-azure-eu-compliance-sa-auditor");
    const role = under("compliance-azure-eu-to-aws-eu-federation", "aws:iam/role:Role")[0];
    const sa = under("compliance-azure-eu-to-gcp-eu-federation", "gcp:serviceaccount/account:Account")[0];
    const home = under("compliance-azure-eu-federation", "azure-native:managedidentity:UserAssignedIdentity")[0];
    expect(auditor["ztmesh.io/aws-role-arn"]).toBe(role.outputs.arn);
    expect(auditor["ztmesh.io/gcp-service-account"]).toBe(sa.outputs.email);
    expect(auditor["ztmesh.io/gcp-audience"]).toContain("/workloadIdentityPools/ztmesh-azure-eu-compliance/providers/spire");
    expect(auditor["ztmesh.io/azure-client-id"]).toBe(home.outputs.clientId);
    expect(auditor["ztmesh.io/cloud-principal"]).toBe(home.outputs.clientId);
    expect(Object.keys(JSON.parse(auditor["ztmesh.io/cloud-identities"]))).toEqual(["aws-eu", "azure-eu", "gcp-eu"]);
    expect(JSON.parse(auditor["ztmesh.io/cloud-identities"])["aws-eu"]).toEqual({ cloud: "aws", principal: role.outputs.arn, audience: "sts.amazonaws.com" });

    const batch = annotations("compliance-dc-eu-compliance-sa-batch");
    expect(batch["ztmesh.io/cloud-principal"]).toBeUndefined(); // on-prem: no home cloud
    expect(batch["ztmesh.io/aws-role-arn"]).toBe(under("compliance-dc-eu-to-aws-eu-federation", "aws:iam/role:Role")[0].outputs.arn);
    expect(batch["ztmesh.io/azure-tenant-id"]).toBe("00000000-0000-0000-0000-0000000000aa");
    expect(batch["ztmesh.io/gcp-service-account"]).toBeUndefined();
  });

  it.each([
    ["a missing store zone entry", () => args({ storeZones: { "aws-eu": {} } }), "args.storeZones.gcp-eu", 'pass storeZones["gcp-eu"] = { cloudProvider:'],
    ["a store zone entry for a zone with workloads", () => args({ storeZones: { ...args().storeZones, "azure-eu": {} } }), "args.storeZones.azure-eu", "is already in zones"],
    ["a store zone entry the domain does not need", () => args({ domain: { ...compliance, intents: [{ from: "auditor", data: "trading/trades" }] } }), "args.storeZones.gcp-eu", "uses no object store of zone"],
  ])("refuses %s before creating anything, naming the argument and the fix", async (_l, make, path, text) => {
    const before = rec.resources.length;
    let error: Error | undefined;
    try {
      new MeshDomain("bad", make());
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toContain(path);
    expect(error?.message).toContain(text);
    await rec.settle();
    expect(rec.resources.length).toBe(before);
  });

  it("uses the default provider of the store's cloud when the entry has none", async () => {
    new MeshDomain("default-provider", args({ storeZones: { "aws-eu": {}, "gcp-eu": {} } }));
    await rec.settle();
    const [role] = under("default-provider-azure-eu-to-aws-eu-federation", "aws:iam/role:Role");
    expect(role.provider ?? "").not.toContain("aws-eu-provider");
  });
});
