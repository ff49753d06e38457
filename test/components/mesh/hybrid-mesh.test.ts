import { beforeAll, describe, expect, it } from "vitest";
import { rsaKeyPairPem } from "../../helpers/keys";
import type * as K8s from "@pulumi/kubernetes";
import type * as Pulumi from "@pulumi/pulumi";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import type { HybridMesh as HybridMeshClass, HybridMeshArgs } from "../../../components/mesh";
import type { MeshSpec } from "../../../components/model";
import { HARDENED_STORAGE_ACCOUNT } from "../../../components/common/azure-storage";
import { meshJwtSvidTtl } from "../../../components/mesh/zone";
import { parse } from "yaml";

const rec = new Recorder();
const { privateKeyPem, publicKeyPem } = rsaKeyPairPem();

const mesh: MeshSpec = {
  trustDomain: "mesh.acme.example",
  zones: [
    { id: "aws-eu", cloud: "aws", region: "eu-west-1", failureZones: ["eu-west-1a", "eu-west-1b"], aws: { accountId: "123456789012" } },
    { id: "gcp-eu", cloud: "gcp", region: "europe-west3", failureZones: ["europe-west3-a"], gcp: { project: "acme-risk-dev", projectNumber: "998877665544" } },
    { id: "azure-eu", cloud: "azure", region: "westeurope", failureZones: ["1", "2"], azure: { subscriptionId: "00000000-0000-0000-0000-000000000001", tenantId: "00000000-0000-0000-0000-0000000000aa", resourceGroupName: "mesh-dev" } },
    { id: "dc-eu", cloud: "onprem", region: "eu-frankfurt-dc1", failureZones: ["rack-a", "rack-b"] },
  ],
};

let HybridMesh: typeof HybridMeshClass;
let k8s: typeof K8s;
let pulumi: typeof Pulumi;
let clusters: Record<string, K8s.Provider>;
let hm: HybridMeshClass;
const args = (over: Partial<HybridMeshArgs> = {}): HybridMeshArgs => ({
  mesh,
  zones: {
    "aws-eu": { cluster: clusters["aws-eu"] },
    "gcp-eu": { cluster: clusters["gcp-eu"] },
    "azure-eu": { cluster: clusters["azure-eu"] },
    "dc-eu": { cluster: clusters["dc-eu"], bundleServerUrl: "https://opa-bundles.dc1.acme.example", logStoreZone: "aws-eu" },
  },
  upstreamCa: { certificate: "CERT", privateKey: pulumi.secret("KEY") },
  signing: { keyId: "ztmesh-test", publicKeyPem, privateKeyPem: pulumi.secret(privateKeyPem) },
  domains: { trading: ["aws-eu"] },
  ...over,
});

beforeAll(async () => {
  pulumi = await import("@pulumi/pulumi");
  k8s = await import("@pulumi/kubernetes");
  ({ HybridMesh } = await import("../../../components/mesh"));
  clusters = Object.fromEntries(mesh.zones.map((z) => [z.id, new k8s.Provider(`${z.id}-cluster`, {})]));
  hm = new HybridMesh("mesh", args());
  await rec.settle();
}, 60_000);

const child = (name: string): RecordedResource => rec.get(name);
const parentName = (r: RecordedResource) => rec.byUrnOf(r.parent!)?.name;

describe("HybridMesh", () => {
  it("is a ztmesh:mesh:HybridMesh", () => {
    expect(child("mesh").type).toBe("ztmesh:mesh:HybridMesh");
  });

  it.each(["aws-eu", "gcp-eu", "azure-eu", "dc-eu"])("creates every part of zone %s under the mesh", (zone) => {
    const parts: [string, string][] = [
      [`mesh-${zone}-system-namespace`, "kubernetes:core/v1:Namespace"],
      [`mesh-${zone}-identity-issuer`, "ztmesh:identity-issuer:IdentityIssuer"],
      [`mesh-${zone}-log-collector`, "ztmesh:log-collector:LogCollector"],
      [`mesh-${zone}-policy-engine`, "ztmesh:policy-engine:PolicyEngine"],
      [`mesh-${zone}-gateway`, "ztmesh:gateway:EnvoyGateway"],
    ];
    if (zone !== "dc-eu") parts.push([`mesh-${zone}-federation`, "ztmesh:identity:WorkloadIdentityFederation"], [`mesh-${zone}-audit-log-store`, "ztmesh:log-store:AuditLogStore"]);
    for (const [name, type] of parts) {
      const r = child(name);
      expect(r.type).toBe(type);
      expect(parentName(r)).toBe("mesh");
    }
    expect(child(`mesh-${zone}-system-namespace`).inputs.metadata).toMatchObject({ name: "ztmesh-system" });
  });

  it("federates no cloud identities in the on-prem zone, but its collector's in the log store zone", () => {
    expect(() => child("mesh-dc-eu-federation")).toThrow();
    expect(() => child("mesh-dc-eu-audit-log-store")).toThrow();
    expect(child("mesh-dc-eu-log-federation").type).toBe("ztmesh:identity:WorkloadIdentityFederation");
  });

  it("federates the engine only where it signs in with its JWT-SVID (AWS, Azure), not on GCP (GKE Workload Identity)", () => {
    const identities = (zone: string) =>
      rec.resources.filter((r) => r.custom && rec.byUrnOf(r.parent!)?.name === `mesh-${zone}-federation`).map((r) => `${r.type} ${r.name}`);
    for (const zone of ["aws-eu", "azure-eu"]) expect(identities(zone).some((n) => n.includes(`${zone}-policy-engine`))).toBe(true);
    expect(identities("gcp-eu").some((n) => n.includes("log-collector"))).toBe(true);
    expect(identities("gcp-eu").filter((n) => n.includes("policy-engine"))).toEqual([]);
  });

  it("wires the collector to the zone's store and the engine's decision logs to the collector", () => {
    const bucket = child("mesh-aws-eu-audit-log-store-bucket");
    const sts = rec.ofType("kubernetes:apps/v1:StatefulSet").find((r) => r.name === "mesh-aws-eu-log-collector-aggregator")!;
    const env = JSON.stringify(sts.inputs.spec);
    expect(env).toContain(String(bucket.outputs.bucket));
    const onprem = JSON.stringify(rec.ofType("kubernetes:apps/v1:StatefulSet").find((r) => r.name === "mesh-dc-eu-log-collector-aggregator")!.inputs.spec);
    expect(onprem).toContain(String(bucket.outputs.bucket));
    const config = rec.ofType("kubernetes:core/v1:ConfigMap").find((r) => r.name === "mesh-aws-eu-policy-engine-config")!;
    const yaml = String((config.inputs.data as Record<string, string>)["config.yaml"]);
    expect(yaml).toContain(hm.zones["aws-eu"].collector.decisionLogUrl);
    expect(yaml).toContain("ztmesh-opa-aws-eu-123456789012");
    expect(yaml).toContain("opa/aws-eu/ztmesh-domain-trading.tar.gz");
    const gcpYaml = String((rec.ofType("kubernetes:core/v1:ConfigMap").find((r) => r.name === "mesh-gcp-eu-policy-engine-config")!.inputs.data as Record<string, string>)["config.yaml"]);
    expect(gcpYaml).not.toContain("ztmesh-domain-trading");
  });

  it("grants the collector write access and the engine read access through their federated identities", () => {
    const roles = rec.ofType("aws:iam/role:Role").map((r) => r.name);
    expect(roles).toEqual(expect.arrayContaining(["mesh-aws-eu-federation-ztmesh-system-aws-eu-log-collector-role", "mesh-aws-eu-federation-ztmesh-system-aws-eu-policy-engine-role"].map((n) => expect.stringContaining(n.split("-role")[0]))));
    const policy = String(child("mesh-aws-eu-bundle-store-policy").inputs.policy);
    expect(policy).toContain("PolicyEngineReadsBundles");
    expect(policy).toContain("opa/aws-eu/*");
    // The engine's own role (the one its config signs in as) decrypts bundles, through S3 only.
    const engineRole = rec.ofType("aws:iam/role:Role").find((r) => parentName(r) === "mesh-aws-eu-federation" && r.name.includes("policy-engine"))!;
    const keyPolicy = JSON.parse(String(child("mesh-aws-eu-bundle-store-key").inputs.policy)) as { Statement: Record<string, unknown>[] };
    expect(keyPolicy.Statement.find((s) => s.Sid === "PolicyEngineDecryptsBundles")).toEqual({
      Sid: "PolicyEngineDecryptsBundles",
      Effect: "Allow",
      Principal: { AWS: engineRole.outputs.arn },
      Action: ["kms:Decrypt"],
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
    });
  });

  it("gives every bucket and storage account, audit-log store or bundle store, the same private baseline", () => {
    const buckets = rec.ofType("aws:s3/bucket:Bucket");
    expect(buckets.map((b) => b.name).sort()).toEqual(["mesh-aws-eu-audit-log-store-bucket", "mesh-aws-eu-bundle-store-bucket"]);
    for (const b of buckets) {
      const prefix = b.name.replace(/-bucket$/, "");
      expect(child(`${prefix}-public-access`).inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
      expect(child(`${prefix}-ownership`).inputs).toMatchObject({ rule: { objectOwnership: "BucketOwnerEnforced" } });
      expect(child(`${prefix}-versioning`).inputs).toMatchObject({ versioningConfiguration: { status: "Enabled" } });
      expect(child(`${prefix}-encryption`).inputs).toMatchObject({ rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] });
      const [first] = (JSON.parse(String(child(`${prefix}-policy`).inputs.policy)) as { Statement: Record<string, unknown>[] }).Statement;
      expect(first).toMatchObject({ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    }
    // Each store has its own customer-managed key: a rotated KMS key, Key Vault key, Cloud KMS key.
    const keyArns = buckets.map((b) => {
      const key = child(`${b.name.replace(/-bucket$/, "")}-key`);
      expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
      expect(child(`${b.name.replace(/-bucket$/, "")}-encryption`).inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.outputs.arn }, bucketKeyEnabled: true }]);
      return key.outputs.arn;
    });
    expect(new Set(keyArns).size).toBe(2);
    const accounts = rec.ofType("azure-native:storage:StorageAccount");
    expect(accounts.map((a) => a.name).sort()).toEqual(["mesh-azure-eu-audit-log-store-account", "mesh-azure-eu-bundle-store-account"]);
    // The baseline's values themselves are pinned by the log store's tests.
    for (const a of accounts) {
      expect(a.inputs).toMatchObject(HARDENED_STORAGE_ACCOUNT);
      const identity = child(`${a.name.replace(/-account$/, "")}-encryption-identity`);
      expect(a.inputs).toMatchObject({ encryption: { keySource: "Microsoft.Keyvault", encryptionIdentity: { encryptionUserAssignedIdentity: identity.id } } });
    }
    const gcs = rec.ofType("gcp:storage/bucket:Bucket");
    expect(gcs.map((b) => b.name).sort()).toEqual(["mesh-gcp-eu-audit-log-store-bucket", "mesh-gcp-eu-bundle-store-bucket"]);
    for (const b of gcs) expect(b.inputs.encryption).toEqual({ defaultKmsKeyName: child(b.name.replace(/-bucket$/, "-key")).id });
  });

  it("has the Azure engine read bundles as its federated identity, signing in with its JWT-SVID", () => {
    const identity = rec.ofType("azure-native:managedidentity:UserAssignedIdentity").find((r) => parentName(r) === "mesh-azure-eu-federation" && r.name.includes("policy-engine"));
    expect(identity).toBeDefined();
    const config = parse(String((child("mesh-azure-eu-policy-engine-config").inputs.data as Record<string, string>)["config.yaml"])) as { services: Record<string, { credentials: unknown }> };
    expect(config.services["bundle-store"].credentials).toEqual({
      oauth2: {
        grant_type: "client_credentials",
        token_url: "https://login.microsoftonline.com/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/token",
        client_id: identity!.outputs.clientId,
        client_assertion_path: "/var/run/ztmesh/identity/token",
        scopes: ["https://storage.azure.com/.default"],
      },
    });
    // The identity that signs in is the one granted read access to the bundles.
    expect(child("mesh-azure-eu-bundle-store-engine-reader").inputs.principalId).toBe(identity!.outputs.principalId);
  });

  it("gives every zone's SPIRE server JWT-SVIDs that outlive the Azure SDKs' token reuse when the mesh has an Azure zone", () => {
    for (const zone of mesh.zones) {
      const conf = JSON.parse((child(`mesh-${zone.id}-identity-issuer-server-config`).inputs.data as Record<string, string>)["server.conf"]) as { server: Record<string, unknown> };
      expect(conf.server.default_jwt_svid_ttl).toBe("1h");
    }
    expect(meshJwtSvidTtl(mesh.zones, undefined)).toBe("1h");
    expect(meshJwtSvidTtl(mesh.zones.filter((z) => z.cloud !== "azure"), undefined)).toBeUndefined();
    expect(meshJwtSvidTtl(mesh.zones, "2h")).toBe("2h");
  });

  it("exports the versioned contract", async () => {
    const contract = await new Promise((resolve) => hm.contract.apply(resolve));
    expect(contract).toMatchObject({ version: 1, mesh, zones: [{ id: "aws-eu", bundleStore: { kind: "s3" } }, { id: "gcp-eu" }, { id: "azure-eu" }, { id: "dc-eu", bundleStore: { kind: "http" } }] });
  });

  it.each([
    ["an unknown zone", () => args({ zones: { ...args().zones, "aws-us": { cluster: clusters["aws-eu"] } } }), "args.zones.aws-us"],
    ["a zone without a cluster", () => args({ zones: { ...args().zones, "gcp-eu": { cluster: undefined as unknown as K8s.Provider } } }), "args.zones.gcp-eu.cluster"],
    ["a missing zone", () => { const z = { ...args().zones }; delete z["azure-eu"]; return args({ zones: z }); }, "args.zones.azure-eu"],
    ["an on-prem zone without logStoreZone", () => args({ zones: { ...args().zones, "dc-eu": { cluster: clusters["dc-eu"], bundleServerUrl: "https://b.example" } } }), "args.zones.dc-eu.logStoreZone"],
    ["an on-prem zone without bundleServerUrl", () => args({ zones: { ...args().zones, "dc-eu": { cluster: clusters["dc-eu"], logStoreZone: "aws-eu" } } }), "args.zones.dc-eu.bundleServerUrl"],
    ["a bad mesh", () => args({ mesh: { ...mesh, trustDomain: "Not A Domain" } }), "args.mesh.trustDomain"],
    ["a JWT-SVID TTL that is not a duration", () => args({ jwtSvidTtl: "1 hour" }), 'args.jwtSvidTtl: must be a duration like "1h" or "45m", got "1 hour"'],
    ["a JWT-SVID TTL too short for Entra ID", () => args({ jwtSvidTtl: "30m" }), 'args.jwtSvidTtl: "30m" is too short for a mesh with the Azure zone(s) azure-eu'],
    ["a JWT-SVID TTL longer than a day", () => args({ jwtSvidTtl: "25h" }), 'args.jwtSvidTtl: "25h" is longer than 24h'],
  ])("refuses %s before creating anything", async (_l, make, path) => {
    const before = rec.resources.length;
    expect(() => new HybridMesh("bad", make())).toThrow(path);
    await rec.settle();
    expect(rec.resources.length).toBe(before);
  });
});
