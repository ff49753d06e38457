import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type * as Pulumi from "@pulumi/pulumi";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import { checkAwsPolicyDocument, wildcardIssues } from "../../../components/compile/iam";
import type { Zone } from "../../../components/model/model";
import { buildMesh } from "../../../components/model";
import { bundleVaultName, type ZoneBundleStore } from "../../../components/mesh/bundle-store";
import { domains, mesh } from "../../fixtures/mesh";

const AGENT = "service-998877665544@gs-project-accounts.iam.gserviceaccount.com";
const rec = new Recorder({
  invokes: { "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": () => ({ emailAddress: AGENT, member: `serviceAccount:${AGENT}` }) },
});
const model = buildMesh(mesh, domains);
const zone = (id: string): Zone => model.zones.find((z) => z.id === id)!;
const ENGINE_ROLE = "arn:aws:iam::123456789012:role/ztmesh-ztmesh-system-aws-eu-policy-engine";
const ENGINE_PRINCIPAL_ID = "11111111-2222-3333-4444-555555555555";
const ENGINE_CLIENT_ID = "66666666-7777-8888-9999-000000000000";

let stores: Record<string, ZoneBundleStore>;
let providers: Record<string, RecordedResource>;
beforeAll(async () => {
  const pulumi: typeof Pulumi = await import("@pulumi/pulumi");
  const aws = await import("@pulumi/aws");
  const gcp = await import("@pulumi/gcp");
  const azure = await import("@pulumi/azure-native");
  const { createBundleStore } = await import("../../../components/mesh/bundle-store");
  const parent = new pulumi.ComponentResource("test:index:Zone", "zone");
  const cloud = { "aws-eu": new aws.Provider("aws-eu", { region: "eu-west-1" }), "gcp-eu": new gcp.Provider("gcp-eu", {}), "azure-eu": new azure.Provider("azure-eu", {}) };
  const tags = { "ztmesh-zone": "x", "managed-by": "ztmesh" };
  stores = {
    aws: createBundleStore({ name: "aws-bs", zone: zone("aws-eu"), reader: { principal: pulumi.output(ENGINE_ROLE), grantee: pulumi.output(ENGINE_ROLE) }, tags, parent, provider: cloud["aws-eu"] }),
    awsNoReader: createBundleStore({ name: "aws-bare", zone: zone("aws-eu"), reader: {}, tags, parent, provider: cloud["aws-eu"] }),
    gcp: createBundleStore({ name: "gcp-bs", zone: zone("gcp-eu"), reader: {}, tags, parent, provider: cloud["gcp-eu"] }),
    azure: createBundleStore({
      name: "az-bs",
      zone: zone("azure-eu"),
      reader: { principal: pulumi.output(ENGINE_CLIENT_ID), grantee: pulumi.output(ENGINE_PRINCIPAL_ID) },
      tags,
      parent,
      provider: cloud["azure-eu"],
    }),
    onprem: createBundleStore({ name: "dc-bs", zone: zone("dc-eu"), reader: {}, bundleServerUrl: "https://opa-bundles.dc1.example", tags, parent }),
  };
  await rec.settle();
  providers = { aws: rec.get("aws-eu"), gcp: rec.get("gcp-eu"), azure: rec.get("azure-eu") };
}, 60_000);

const named = (prefix: string) => rec.resources.filter((r) => r.name.startsWith(`${prefix}-`));
const onProvider = (r: RecordedResource, p: RecordedResource) => expect(r.provider?.startsWith(`${p.urn}::`)).toBe(true);
const keyPolicy = (name: string) => JSON.parse(String(rec.get(name).inputs.policy)) as { Statement: Record<string, unknown>[] };

describe("bundle store on AWS", () => {
  it("encrypts the bucket with its own rotated KMS key (SSE-KMS, bucket keys), in the zone's account", () => {
    const key = rec.get("aws-bs-key");
    expect(key.type).toBe("aws:kms/key:Key");
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30, description: "ztmesh OPA bundle store of zone aws-eu" });
    onProvider(key, providers.aws);
    expect(rec.get("aws-bs-encryption").inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.outputs.arn }, bucketKeyEnabled: true }]);
    expect(String(key.outputs.arn)).toMatch(/^arn:aws:kms:/);
  });

  it("lets the engine's role decrypt only through S3 in the zone's region, beside the account's administration", () => {
    const policy = keyPolicy("aws-bs-key");
    expect(checkAwsPolicyDocument(policy)).toEqual([]);
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["AccountAdministersKey", "AccountDelegatesS3Use", "PolicyEngineDecryptsBundles"]);
    expect(policy.Statement[2]).toEqual({
      Sid: "PolicyEngineDecryptsBundles",
      Effect: "Allow",
      Principal: { AWS: ENGINE_ROLE },
      Action: ["kms:Decrypt"],
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
    });
    expect(policy.Statement[1]).toMatchObject({ Principal: { AWS: "arn:aws:iam::123456789012:root" }, Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } } });
    const actions = policy.Statement.flatMap((s) => s.Action as string[]);
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
    // In a key policy, Resource "*" means "this key": the only wildcard the checker finds.
    expect(wildcardIssues(policy).every((i) => i.includes('wildcard resource "*"'))).toBe(true);
    // The engine still reads through the bucket policy, under its zone's prefix only.
    const bucket = JSON.parse(String(rec.get("aws-bs-policy").inputs.policy)) as { Statement: Record<string, unknown>[] };
    expect(bucket.Statement[1]).toMatchObject({ Sid: "PolicyEngineReadsBundles", Principal: { AWS: ENGINE_ROLE }, Action: "s3:GetObject", Resource: "arn:aws:s3:::ztmesh-opa-aws-eu-123456789012/opa/aws-eu/*" });
  });

  it("grants no one in the key policy when there is no reader", () => {
    expect(keyPolicy("aws-bare-key").Statement.map((s) => s.Sid)).toEqual(["AccountAdministersKey", "AccountDelegatesS3Use"]);
    expect(rec.get("aws-bare-encryption").inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: rec.get("aws-bare-key").outputs.arn }, bucketKeyEnabled: true }]);
  });
});

describe("bundle store on GCP", () => {
  it("encrypts the bucket with its own rotated Cloud KMS key in the bucket's region, created after the agent's grant", () => {
    const ring = rec.get("gcp-bs-keyring");
    expect(ring.inputs).toMatchObject({ project: "acme-risk", location: "europe-west3" });
    const key = rec.get("gcp-bs-key");
    expect(key.inputs).toMatchObject({ purpose: "ENCRYPT_DECRYPT", rotationPeriod: "7776000s", keyRing: ring.id });
    for (const r of [ring, key, rec.get("gcp-bs-key-access"), rec.get("gcp-bs-bucket")]) onProvider(r, providers.gcp);
    const bucket = rec.get("gcp-bs-bucket");
    expect(bucket.inputs).toMatchObject({ location: "EUROPE-WEST3", encryption: { defaultKmsKeyName: key.id }, uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" });
    expect(bucket.dependencies).toContain(rec.get("gcp-bs-key-access").urn);
    // The service agent is looked up with the zone's provider (its project's agent).
    const invoke = rec.invokes.find((i) => i.token === "gcp:storage/getProjectServiceAccount:getProjectServiceAccount")!;
    expect(invoke.args.project).toBe("acme-risk");
    expect(invoke.provider?.startsWith(`${providers.gcp.urn}::`)).toBe(true);
  });

  it("has the storage service agent do the crypto: the only key grant is the agent's, the engine reads the bucket", () => {
    const grants = rec.ofType("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").filter((r) => r.name.startsWith("gcp-bs-"));
    expect(grants.map((g) => g.inputs)).toEqual([{ cryptoKeyId: rec.get("gcp-bs-key").id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: `serviceAccount:${AGENT}` }]);
    expect(rec.get("gcp-bs-engine-reader").inputs).toMatchObject({ role: "roles/storage.objectViewer", member: expect.stringContaining("/subject/ns/ztmesh-system/sa/") });
  });
});

describe("bundle store on Azure", () => {
  it("encrypts the account with its own Key Vault key, reached through the account's user-assigned identity", () => {
    const vaultName = bundleVaultName(zone("azure-eu"));
    const vault = rec.get("az-bs-vault");
    expect(vault.inputs).toMatchObject({
      vaultName,
      location: "westeurope",
      properties: { enableRbacAuthorization: true, enablePurgeProtection: true, networkAcls: { defaultAction: "Deny", bypass: "AzureServices" } },
    });
    expect(rec.get("az-bs-key").inputs).toMatchObject({ keyName: "opa-bundles", properties: { kty: "RSA", keySize: 3072, keyOps: ["wrapKey", "unwrapKey"] } });
    const identity = rec.get("az-bs-encryption-identity");
    const account = rec.get("az-bs-account");
    expect(account.inputs).toMatchObject({
      identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
      encryption: {
        keySource: "Microsoft.Keyvault",
        keyVaultProperties: { keyVaultUri: `https://${vaultName}.vault.azure.net/`, keyName: "opa-bundles" },
        encryptionIdentity: { encryptionUserAssignedIdentity: identity.id },
      },
    });
    expect(account.dependencies).toContain(rec.get("az-bs-encryption-access").urn);
    for (const r of named("az-bs")) onProvider(r, providers.azure);
  });

  it("gives the key role to the account's identity only, on the key; the engine reads the container", () => {
    const cryptoUser = rec.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.name.startsWith("az-bs-") && String(r.inputs.roleDefinitionId).endsWith("e147488a-f6f5-4113-8e2d-b22465e65bf6"));
    expect(cryptoUser.map((r) => r.name)).toEqual(["az-bs-encryption-access"]);
    expect(cryptoUser[0].inputs).toMatchObject({
      principalId: rec.get("az-bs-encryption-identity").outputs.principalId,
      scope: `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/mesh-compliance/providers/Microsoft.KeyVault/vaults/${bundleVaultName(zone("azure-eu"))}/keys/opa-bundles`,
    });
    expect(rec.get("az-bs-engine-reader").inputs).toMatchObject({ principalId: ENGINE_PRINCIPAL_ID, scope: rec.get("az-bs-container").id });
    expect(stores.azure.engine).toMatchObject({ kind: "azure-blob", container: "opa-bundles" });
  });

  it("names every zone's vault validly (3-24 letters, digits, hyphens; starts with a letter)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/), fc.uuid(), (id, subscriptionId) => {
        const name = bundleVaultName({ ...zone("azure-eu"), id, azure: { ...zone("azure-eu").azure!, subscriptionId } });
        expect(name).toMatch(/^kvopa[a-z0-9]{8,19}$/);
        expect(name.length).toBeLessThanOrEqual(24);
      }),
    );
  });
});

describe("bundle store on-prem", () => {
  it("creates nothing: bundles come from the bundle server", () => {
    expect(named("dc-bs")).toEqual([]);
    expect(stores.onprem.engine).toEqual({ kind: "http", url: "https://opa-bundles.dc1.example", prefix: "opa" });
  });
});
