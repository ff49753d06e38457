/**
 * HybridMesh with an on-prem zone whose `logStoreZone` is an Azure zone: the collector's
 * identity in the Azure account, its write grant on the log container, and the collector's
 * Vector sink and environment.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { rsaKeyPairPem } from "../../helpers/keys";
import type * as K8s from "@pulumi/kubernetes";
import type * as Pulumi from "@pulumi/pulumi";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import type { HybridMesh as HybridMeshClass, HybridMeshArgs } from "../../../components/mesh";
import type { MeshSpec } from "../../../components/model";
import { azureNativeProvider } from "../../helpers/providers";

const rec = new Recorder();
const { privateKeyPem, publicKeyPem } = rsaKeyPairPem();

const TENANT = "00000000-0000-0000-0000-0000000000aa";
const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
const mesh: MeshSpec = {
  trustDomain: "mesh.acme.example",
  zones: [
    { id: "aws-eu", cloud: "aws", region: "eu-west-1", failureZones: ["eu-west-1a", "eu-west-1b"], aws: { accountId: "123456789012" } },
    { id: "gcp-eu", cloud: "gcp", region: "europe-west3", failureZones: ["europe-west3-a"], gcp: { project: "acme-risk-dev", projectNumber: "998877665544" } },
    { id: "azure-eu", cloud: "azure", region: "westeurope", failureZones: ["1", "2"], azure: { subscriptionId: SUBSCRIPTION, tenantId: TENANT, resourceGroupName: "mesh-dev" } },
    { id: "dc-eu", cloud: "onprem", region: "eu-frankfurt-dc1", failureZones: ["rack-a", "rack-b"] },
  ],
};
const COLLECTOR_SPIFFE_ID = "spiffe://mesh.acme.example/ns/ztmesh-system/sa/ztmesh-log-collector";
const DC_ISSUER = "https://oidc.dc-eu.mesh.acme.example";
const AZURE_ISSUER = "https://oidc.azure-eu.mesh.acme.example";
const TOKEN_FILE = "/var/run/ztmesh/identity/token";
/** Built-in "Storage Blob Data Contributor" (read, list and delete too): not what a log writer gets. */
const STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

let HybridMesh: typeof HybridMeshClass;
let pulumi: typeof Pulumi;
let clusters: Record<string, K8s.Provider>;
let azureProvider: Pulumi.ProviderResource;
const args = (over: Partial<HybridMeshArgs> = {}): HybridMeshArgs => ({
  mesh,
  zones: {
    "aws-eu": { cluster: clusters["aws-eu"] },
    "gcp-eu": { cluster: clusters["gcp-eu"] },
    "azure-eu": { cluster: clusters["azure-eu"], cloudProvider: azureProvider },
    "dc-eu": { cluster: clusters["dc-eu"], bundleServerUrl: "https://opa-bundles.dc1.acme.example", logStoreZone: "azure-eu" },
  },
  upstreamCa: { certificate: "CERT", privateKey: pulumi.secret("KEY") },
  signing: { keyId: "ztmesh-test", publicKeyPem, privateKeyPem: pulumi.secret(privateKeyPem) },
  ...over,
});

beforeAll(async () => {
  pulumi = await import("@pulumi/pulumi");
  const k8s = await import("@pulumi/kubernetes");
  ({ HybridMesh } = await import("../../../components/mesh"));
  clusters = Object.fromEntries(mesh.zones.map((z) => [z.id, new k8s.Provider(`${z.id}-cluster`, {})]));
  azureProvider = await azureNativeProvider("azure-eu-provider");
  new HybridMesh("mesh", args());
  await rec.settle();
}, 60_000);

const child = (name: string): RecordedResource => rec.get(name);
const parentName = (r: RecordedResource) => rec.byUrnOf(r.parent!)?.name;
type Container = { name: string; env?: Array<{ name: string; value?: string }>; volumeMounts?: Array<{ name: string; mountPath: string }> };
type PodSpec = { containers: Container[]; volumes: Array<Record<string, unknown>> };
const podOf = (r: RecordedResource) => (r.inputs.spec as { template: { spec: PodSpec } }).template.spec;
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
const configOf = (name: string) => child(name).inputs.data as Record<string, string>;

const DC_FED = "mesh-dc-eu-log-federation";
const DC_IDENTITY = `${DC_FED}-ztmesh-system-dc-eu-log-collector-identity`;
const DC_CREDENTIAL = `${DC_FED}-ztmesh-system-dc-eu-log-collector-credential`;
const AZ_CREDENTIAL = "mesh-azure-eu-federation-ztmesh-system-azure-eu-log-collector-credential";
const STORE = "mesh-azure-eu-audit-log-store";

describe("HybridMesh: an on-prem zone logging to an Azure zone's store", () => {
  it("federates the on-prem collector in the Azure zone's account, through the Azure zone's provider", () => {
    const fed = child(DC_FED);
    expect(fed.type).toBe("ztmesh:identity:WorkloadIdentityFederation");
    expect(parentName(fed)).toBe("mesh");
    const identity = child(DC_IDENTITY);
    expect(identity.type).toBe("azure-native:managedidentity:UserAssignedIdentity");
    expect(parentName(identity)).toBe(DC_FED);
    expect(identity.inputs).toMatchObject({ resourceName: "ztmesh-ztmesh-system-dc-eu-log-collector", resourceGroupName: "mesh-dev", location: "westeurope" });
    expect(identity.inputs.tags).toMatchObject({ "ztmesh-zone": "azure-eu", "ztmesh-source-zone": "dc-eu", "managed-by": "ztmesh" });
    expect(identity.provider).toContain(rec.get("azure-eu-provider").urn);
    // Nothing for the on-prem collector in the other clouds: the only AWS resource of the zone is
    // the platform's OIDC provider trusting its issuer in the AWS account (for cross-cloud data).
    const elsewhere = rec.resources.filter((r) => r.name.startsWith("mesh-dc-eu") && /^(aws|gcp):/.test(r.type));
    expect(elsewhere.map((r) => [r.type, r.name])).toEqual([["aws:iam/openIdConnectProvider:OpenIdConnectProvider", "mesh-dc-eu-trust-aws-eu-oidc"]]);
  });

  it("trusts the on-prem zone's issuer for exactly the collector's SPIFFE ID and the token-exchange audience", () => {
    const credential = child(DC_CREDENTIAL);
    expect(credential.type).toBe("azure-native:managedidentity:FederatedIdentityCredential");
    expect(credential.inputs).toEqual(
      expect.objectContaining({
        resourceName: "ztmesh-ztmesh-system-dc-eu-log-collector",
        resourceGroupName: "mesh-dev",
        federatedIdentityCredentialResourceName: "ztmesh-spire",
        issuer: DC_ISSUER,
        subject: COLLECTOR_SPIFFE_ID,
        audiences: ["api://AzureADTokenExchange"],
      }),
    );
    expect(credential.inputs.claimsMatchingExpression).toBeUndefined();
    // The same subject and audience as the Azure zone's own collector, but the on-prem issuer.
    const own = child(AZ_CREDENTIAL);
    expect(own.inputs).toMatchObject({ issuer: AZURE_ISSUER, subject: credential.inputs.subject, audiences: credential.inputs.audiences });
    const trusting = rec.ofType("azure-native:managedidentity:FederatedIdentityCredential").filter((c) => c.inputs.issuer === DC_ISSUER);
    expect(trusting.map((c) => c.name)).toEqual([DC_CREDENTIAL]);
  });

  it("grants it the store's write-only role at the log container, like the Azure zone's own collector", () => {
    const grant = child("mesh-dc-eu-log-writer");
    const own = child(`${STORE}-writer`);
    const role = child(`${STORE}-writer-role`);
    const identity = child(DC_IDENTITY);
    expect(grant.type).toBe("azure-native:authorization:RoleAssignment");
    expect(parentName(grant)).toBe("mesh");
    expect(grant.provider).toContain(rec.get("azure-eu-provider").urn);
    expect(grant.inputs.principalId).toBe(identity.outputs.principalId);
    expect(grant.inputs.principalType).toBe("ServicePrincipal");
    expect(grant.inputs.roleDefinitionId).toBe(role.id);
    expect(role.id).toBe(`${STORE}-writer-role-id`); // set, so the line above compares ids, not two undefineds
    expect(grant.inputs.roleDefinitionId).toBe(own.inputs.roleDefinitionId);
    expect(String(grant.inputs.roleDefinitionId).toLowerCase()).not.toContain(STORAGE_BLOB_DATA_CONTRIBUTOR);
    expect(role.inputs.permissions).toEqual([
      {
        actions: [],
        notActions: [],
        dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action"],
        notDataActions: [],
      },
    ]);
    const account = String(child(`${STORE}-account`).inputs.accountName);
    const container = `/subscriptions/${SUBSCRIPTION}/resourceGroups/mesh-dev/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default/containers/audit-logs`;
    expect(grant.inputs.scope).toBe(container);
    expect(own.inputs.scope).toBe(container);
    // After the identity (its credential) and the store exist.
    expect(grant.dependencies).toEqual(expect.arrayContaining([child(DC_CREDENTIAL).urn, child(`${STORE}-container`).urn, role.urn]));
    // The only role assignments naming the on-prem collector.
    expect(rec.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.inputs.principalId === identity.outputs.principalId)).toEqual([grant]);
  });

  it("configures the on-prem collector's Vector to write to the Azure container with the federated JWT-SVID", () => {
    const account = String(child(`${STORE}-account`).inputs.accountName);
    const identity = child(DC_IDENTITY);
    const vector = JSON.parse(configOf("mesh-dc-eu-log-collector-config")["vector.json"]);
    for (const [sink, prefix] of [
      ["decision_log_store", "decision-logs/zone=dc-eu/date=%F/"],
      ["access_log_store", "access-logs/zone=dc-eu/date=%F/"],
    ]) {
      // Account name only (no key, no SAS): Vector >= 0.56 authenticates with the federated token.
      expect(vector.sinks[sink]).toMatchObject({ type: "azure_blob", connection_string: `AccountName=${account}`, auth: { azure_credential_kind: "workload_identity" }, container_name: "${ZTMESH_STORE_BUCKET}", blob_prefix: prefix });
      expect(vector.sinks[sink].storage_account).toBeUndefined();
    }
    const helper = JSON.parse(configOf("mesh-dc-eu-log-collector-config")["spiffe-helper.json"]);
    expect(helper.jwt_svids).toEqual([{ jwt_audience: "api://AzureADTokenExchange", jwt_svid_file_name: "token" }]);
    expect(helper.cert_dir).toBe("/var/run/ztmesh/identity");

    const pod = podOf(child("mesh-dc-eu-log-collector-aggregator"));
    const vectorContainer = pod.containers.find((c) => c.name === "vector")!;
    const env = envOf(vectorContainer);
    expect(env).toEqual({
      ZTMESH_STORE_BUCKET: "audit-logs",
      AZURE_FEDERATED_TOKEN_FILE: TOKEN_FILE,
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: identity.outputs.clientId,
    });
    // The token file is the spiffe-helper's JWT-SVID (SPIRE Workload API over the CSI driver), as on the AWS/GCP paths.
    expect(pod.containers.map((c) => c.name)).toEqual(["vector", "spiffe-helper"]);
    expect(vectorContainer.volumeMounts).toContainEqual(expect.objectContaining({ name: "identity", mountPath: "/var/run/ztmesh/identity" }));
    expect(pod.volumes).toContainEqual({ name: "identity", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } });
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: "workload-api", csi: expect.objectContaining({ readOnly: true }) }));
    // The service account carries the Azure client id it is federated to.
    const sa = child("mesh-dc-eu-log-collector-sa");
    expect((sa.inputs.metadata as { annotations: Record<string, string> }).annotations).toMatchObject({
      "ztmesh.io/spiffe-id": COLLECTOR_SPIFFE_ID,
      "ztmesh.io/cloud-principal": identity.outputs.clientId,
    });
  });

  it("configures the on-prem collector like the Azure zone's own, except for its identity", () => {
    const own = configOf("mesh-azure-eu-log-collector-config");
    const dc = configOf("mesh-dc-eu-log-collector-config");
    expect(dc["spiffe-helper.json"]).toBe(own["spiffe-helper.json"]);
    expect(dc["vector.json"]).toBe(own["vector.json"].replaceAll("zone=azure-eu", "zone=dc-eu"));
    const ownEnv = envOf(podOf(child("mesh-azure-eu-log-collector-aggregator")).containers[0]);
    const dcEnv = envOf(podOf(child("mesh-dc-eu-log-collector-aggregator")).containers[0]);
    expect({ ...dcEnv, AZURE_CLIENT_ID: undefined }).toEqual({ ...ownEnv, AZURE_CLIENT_ID: undefined });
    expect(dcEnv.AZURE_CLIENT_ID).not.toBe(ownEnv.AZURE_CLIENT_ID);
  });

  const withZone = (over: Partial<HybridMeshArgs["zones"][string]>, extra?: MeshSpec["zones"][number]) => {
    const base = args();
    return args({
      mesh: extra ? { ...mesh, zones: [...mesh.zones, extra] } : mesh,
      zones: {
        ...base.zones,
        "dc-eu": { ...base.zones["dc-eu"], ...over },
        ...(extra ? { [extra.id]: { cluster: clusters["dc-eu"], bundleServerUrl: "https://opa-bundles.dc2.acme.example", logStoreZone: "aws-eu" } } : {}),
      },
    });
  };
  const dcUs = { id: "dc-us", cloud: "onprem" as const, region: "us-dc2", failureZones: ["rack-a", "rack-b"] };
  const FIX = "use one of aws-eu, gcp-eu, azure-eu";

  it.each([
    ["an unknown zone", () => withZone({ logStoreZone: "azure-us" }), 'must name a zone of mesh.zones, got "azure-us"'],
    ["the on-prem zone itself", () => withZone({ logStoreZone: "dc-eu" }), 'names the on-prem zone "dc-eu" itself, which has no audit log store'],
    ["another on-prem zone", () => withZone({ logStoreZone: "dc-us" }, dcUs), 'names "dc-us", an on-prem zone, which has no audit log store'],
    ["no zone", () => withZone({ logStoreZone: undefined }), 'on-prem zone "dc-eu" needs the cloud zone (aws, azure or gcp) whose audit log store keeps its logs, got undefined'],
  ])("refuses a logStoreZone naming %s, saying the argument, the value and the fix, before creating anything", async (_l, make, message) => {
    const before = rec.resources.length;
    let error: Error | undefined;
    try {
      new HybridMesh("bad", make());
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).toBe("ValidationError");
    expect(error?.message).toContain(`args.zones.dc-eu.logStoreZone: ${message} (${FIX}`);
    await rec.settle();
    expect(rec.resources.length).toBe(before);
  });
});
