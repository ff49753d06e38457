/**
 * HybridMesh: every AWS account of the mesh trusts every zone's issuer, exactly once per
 * account and issuer URL (two AWS zones share an account here), so domain stacks can federate
 * cross-cloud consumers there; the on-prem log federation reuses the platform's provider.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { rsaKeyPairPem } from "../../helpers/keys";
import type * as K8s from "@pulumi/kubernetes";
import type * as Pulumi from "@pulumi/pulumi";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import type { HybridMesh as HybridMeshClass, HybridMeshArgs } from "../../../components/mesh";
import type { MeshSpec } from "../../../components/model";

const rec = new Recorder();
const { privateKeyPem, publicKeyPem } = rsaKeyPairPem();

const A = "111111111111";
const B = "222222222222";
const mesh: MeshSpec = {
  trustDomain: "mesh.acme.example",
  zones: [
    { id: "aws-eu", cloud: "aws", region: "eu-west-1", failureZones: ["eu-west-1a", "eu-west-1b"], aws: { accountId: A } },
    { id: "aws-de", cloud: "aws", region: "eu-central-1", failureZones: ["eu-central-1a"], aws: { accountId: A } },
    { id: "aws-ie", cloud: "aws", region: "eu-west-1", failureZones: ["eu-west-1a"], aws: { accountId: B } },
    { id: "gcp-eu", cloud: "gcp", region: "europe-west3", failureZones: ["europe-west3-a"], gcp: { project: "acme-risk-dev", projectNumber: "998877665544" } },
    { id: "dc-eu", cloud: "onprem", region: "eu-frankfurt-dc1", failureZones: ["rack-a", "rack-b"] },
  ],
};
const account: Record<string, string> = { "aws-eu": A, "aws-de": A, "aws-ie": B };
const issuers = mesh.zones.map((z) => `https://oidc.${z.id}.mesh.acme.example`);

let HybridMesh: typeof HybridMeshClass;
let pulumi: typeof Pulumi;
let clusters: Record<string, K8s.Provider>;
let awsProviders: Record<string, Pulumi.ProviderResource>;
let hm: HybridMeshClass;
const args = (over: Partial<HybridMeshArgs> = {}): HybridMeshArgs => ({
  mesh,
  zones: {
    "aws-eu": { cluster: clusters["aws-eu"], cloudProvider: awsProviders["aws-eu"] },
    "aws-de": { cluster: clusters["aws-de"], cloudProvider: awsProviders["aws-de"] },
    "aws-ie": { cluster: clusters["aws-ie"], cloudProvider: awsProviders["aws-ie"] },
    "gcp-eu": { cluster: clusters["gcp-eu"] },
    "dc-eu": { cluster: clusters["dc-eu"], bundleServerUrl: "https://opa-bundles.dc1.acme.example", logStoreZone: "aws-de" },
  },
  upstreamCa: { certificate: "CERT", privateKey: pulumi.secret("KEY") },
  signing: { keyId: "ztmesh-test", publicKeyPem, privateKeyPem: pulumi.secret(privateKeyPem) },
  ...over,
});

beforeAll(async () => {
  pulumi = await import("@pulumi/pulumi");
  const k8s = await import("@pulumi/kubernetes");
  const aws = await import("@pulumi/aws");
  ({ HybridMesh } = await import("../../../components/mesh"));
  clusters = Object.fromEntries(mesh.zones.map((z) => [z.id, new k8s.Provider(`${z.id}-cluster`, {})]));
  awsProviders = Object.fromEntries(["aws-eu", "aws-de", "aws-ie"].map((id) => [id, new aws.Provider(`${id}-aws`, { region: mesh.zones.find((z) => z.id === id)!.region as Pulumi.Input<"eu-west-1"> })]));
  hm = new HybridMesh("mesh", args());
  await rec.settle();
}, 60_000);

const OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider";
const accountOf = (r: RecordedResource) => account[(r.inputs.tags as Record<string, string>)["ztmesh-zone"]];

describe("HybridMesh: AWS accounts trust every zone's issuer", () => {
  it("creates one OIDC provider per account and issuer URL, for every issuer, all with the sts.amazonaws.com audience", () => {
    const providers = rec.ofType(OIDC);
    const pairs = providers.map((p) => `${accountOf(p)} ${String(p.inputs.url)}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(new Set(pairs)).toEqual(new Set([A, B].flatMap((acct) => issuers.map((u) => `${acct} ${u}`))));
    for (const p of providers) expect(p.inputs.clientIdLists).toEqual(["sts.amazonaws.com"]);
    expect(hm.trustedIssuers).toHaveLength(providers.length - 3); // the three zones' own providers are their federations'
  });

  it("creates each in its host account's provider, after the trusted zone's issuer, under the mesh", () => {
    const gcpInIe = rec.get("mesh-gcp-eu-trust-aws-ie-oidc");
    expect(gcpInIe.inputs.url).toBe("https://oidc.gcp-eu.mesh.acme.example");
    expect(gcpInIe.provider).toContain(rec.get("aws-ie-aws").urn);
    expect(rec.byUrnOf(gcpInIe.parent!)?.name).toBe("mesh");
    expect(gcpInIe.dependencies.some((d) => d.includes("mesh-gcp-eu-identity-issuer"))).toBe(true);
    // The zones of one account share it: aws-de's issuer is trusted in account A by aws-de's own federation only.
    expect(rec.ofType(OIDC).filter((p) => p.inputs.url === "https://oidc.aws-de.mesh.acme.example").map((p) => p.name).sort()).toEqual([
      "mesh-aws-de-federation-oidc",
      "mesh-aws-de-trust-aws-ie-oidc",
    ]);
  });

  it("the on-prem log federation reuses the platform's provider in its log store's account instead of creating a second one", () => {
    expect(() => rec.get("mesh-dc-eu-log-federation-oidc")).toThrow();
    const provider = rec.get("mesh-dc-eu-trust-aws-de-oidc");
    expect(provider.provider).toContain(rec.get("aws-de-aws").urn);
    const [role] = rec.ofType("aws:iam/role:Role").filter((r) => rec.byUrnOf(r.parent!)?.name === "mesh-dc-eu-log-federation");
    const trust = JSON.parse(String(role.inputs.assumeRolePolicy)) as { Statement: { Principal: { Federated: string }; Condition: { StringEquals: Record<string, string> } }[] };
    expect(trust.Statement[0].Principal.Federated).toBe(`arn:aws:iam::${A}:oidc-provider/oidc.dc-eu.mesh.acme.example`);
    expect(trust.Statement[0].Condition.StringEquals).toEqual({
      "oidc.dc-eu.mesh.acme.example:sub": "spiffe://mesh.acme.example/ns/ztmesh-system/sa/ztmesh-log-collector",
      "oidc.dc-eu.mesh.acme.example:aud": "sts.amazonaws.com",
    });
    // The role waits for the provider (IAM refuses a trust policy naming a missing provider).
    expect(rec.get("mesh-dc-eu-log-federation").dependencies).toContain(provider.urn);
  });

  it("refuses two zones publishing the same issuer URL before creating anything", async () => {
    const before = rec.resources.length;
    const zones = { ...args().zones, "aws-ie": { ...args().zones["aws-ie"], issuerUrl: "https://oidc.aws-eu.mesh.acme.example/" } };
    expect(() => new HybridMesh("bad", args({ zones }))).toThrow('args.zones.aws-ie.issuerUrl: zone "aws-ie" publishes the issuer');
    await rec.settle();
    expect(rec.resources.length).toBe(before);
  });
});
