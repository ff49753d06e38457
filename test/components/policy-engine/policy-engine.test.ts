import { beforeAll, describe, expect, it } from "vitest";
import { rsaKeyPairPem } from "../../helpers/keys";
import { parse } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1";
import { ConfigMap, Service, ServiceAccount } from "kubernetes-models/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { PolicyEngine as PolicyEngineClass } from "../../../components/policy-engine";
import type { Provider as K8sProvider } from "@pulumi/kubernetes";
import type * as PulumiModule from "@pulumi/pulumi";
import { Recorder } from "../../../cli/lib/recorder";
import { compileOpaBundles } from "../../../components/compile/opa";
import { verifyBundleSignature } from "../../../components/compile/opa/signing";
import { readTarGz } from "../../../components/compile/opa/tarball";
import { policyEngineHost } from "../../../components/compile/envoy/names";
import { validateEnvoyConfig } from "../../../components/compile/envoy";
import { compileAuthzFront } from "../../../components/compile/envoy/authz-front";
import { buildMesh } from "../../../components/model";
import { opaConfigProblems } from "../../../policy-packs/policies/policy-engine";
import { domains, mesh } from "../../fixtures/mesh";

const rec = new Recorder();
const model = buildMesh(mesh, domains);
const { privateKeyPem, publicKeyPem } = rsaKeyPairPem();
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => v as Obj;

let PolicyEngine: typeof PolicyEngineClass;
let pulumi: typeof PulumiModule;
let cluster: K8sProvider;
const AZ_TENANT = "00000000-0000-0000-0000-0000000000aa";
type Container = { name: string; ports?: Obj[]; env?: { name: string; value: string }[]; volumeMounts?: { name: string; mountPath: string }[] };
type PodSpec = { containers: Container[]; volumes: { name: string; configMap?: { name: string } }[] };
const podOf = (deployment: string): PodSpec => (rec.get(deployment).inputs.spec as { template: { spec: PodSpec } }).template.spec;
const containersOf = (deployment: string): Container[] => podOf(deployment).containers;
const configOf = (configMap: string): Obj => parse(String(obj(rec.get(configMap).inputs.data)["config.yaml"])) as Obj;
// The zone declares its private object storage endpoints: the engines' 443 egress goes there only.
const storageModel = buildMesh(
  { ...mesh, zones: mesh.zones.map((z) => (z.id === "aws-eu" ? { ...z, network: { objectStorage: ["10.0.96.0/24", "10.0.64.0/24"] } } : z)) },
  domains,
);
const base = () => ({
  model,
  zone: "aws-eu",
  bundleStore: { kind: "s3" as const, bucket: "acme-opa-bundles", roleArn: "arn:aws:iam::123456789012:role/aws-eu-policy-engine" },
  signing: { keyId: "ztmesh-2026", publicKeyPem, privateKeyPem: pulumi.secret(privateKeyPem) },
  decisionLogs: { url: "http://aws-eu-log-collector.ztmesh-system.svc.cluster.local:8686", collector: { namespace: "ztmesh-system", podLabels: { "app.kubernetes.io/name": "ztmesh-log-collector" } } },
  issuer: { trustDomain: model.trustDomain },
});

beforeAll(async () => {
  pulumi = await import("@pulumi/pulumi");
  const k8s = await import("@pulumi/kubernetes");
  ({ PolicyEngine } = await import("../../../components/policy-engine"));
  cluster = new k8s.Provider("aws-eu-cluster", {});
  new PolicyEngine("pe", base(), { provider: cluster });
  new PolicyEngine("pe-gcp", { ...base(), zone: "gcp-eu", bundleStore: { kind: "gcs", bucket: "acme-opa-gcp" }, replicas: 2 }, { provider: cluster });
  new PolicyEngine(
    "pe-az",
    { ...base(), zone: "azure-eu", bundleStore: { kind: "azure-blob", storageAccount: "acmeopa", container: "bundles", resourceGroupName: "mesh", clientId: "c1" } },
    { provider: cluster },
  );
  new PolicyEngine(
    "pe-az-fed",
    {
      ...base(),
      zone: "azure-eu",
      bundleStore: { kind: "azure-blob", storageAccount: "acmeopa", container: "bundles", resourceGroupName: "mesh", clientId: pulumi.output("c2"), tenantId: AZ_TENANT },
    },
    { provider: cluster },
  );
  // Without an issuer (GCS reads bundles with the node's metadata identity): no mTLS front, OPA serves 9191 itself.
  new PolicyEngine("pe-plain", { ...base(), zone: "gcp-eu", bundleStore: { kind: "gcs", bucket: "acme-opa-gcp" }, issuer: undefined }, { provider: cluster });
  new PolicyEngine("pe-storage", { ...base(), model: storageModel, namespaceBaseline: false }, { provider: cluster });
  await rec.settle();
});

describe("PolicyEngine", () => {
  it("creates its children under the component, on the zone's cluster", () => {
    const c = rec.get("pe");
    expect(c.type).toBe("ztmesh:policy-engine:PolicyEngine");
    const kids = rec.childrenOf(c.urn);
    const names = kids.map((k) => k.name).sort();
    const bundles = compileOpaBundles(model, "aws-eu");
    const bundleNames = [bundles.platform.name, ...Object.keys(bundles.domains).map((d) => bundles.domains[d].name)];
    expect(names).toEqual(
      [
        "pe-sa", "pe-config", "pe-helper-config", "pe-front-config", "pe-deployment", "pe-pdb", "pe-service",
        "pe-allow-ingress-policy-engine", "pe-allow-egress-policy-engine", "pe-default-deny", "pe-allow-dns",
        "pe-allow-egress-policy-engine-decision-logs",
        ...bundleNames.map((b) => `pe-bundle-${b}`),
      ].sort(),
    );
    for (const k of kids.filter((k) => k.type.startsWith("kubernetes:"))) expect(k.provider).toMatch(/aws-eu-cluster/);
  });

  it("runs >= 2 OPA replicas spread over failure zones, gated on active bundles", () => {
    const d = rec.get("pe-deployment").inputs;
    const spec = obj(d.spec);
    expect(spec.replicas).toBe(3);
    expect(obj(obj(d.metadata).labels)["app.kubernetes.io/name"]).toBe("ztmesh-policy-engine");
    const pod = obj(obj(spec.template).spec);
    expect((pod.topologySpreadConstraints as Obj[])[0]).toMatchObject({ topologyKey: "topology.kubernetes.io/zone", maxSkew: 1, whenUnsatisfiable: "DoNotSchedule" });
    const opa = (pod.containers as Obj[])[0];
    expect(opa.image).toBe(`openpolicyagent/opa:${model.policyEngine.opaVersion}-envoy`);
    expect(opa.args).toEqual(["run", "--server", "--addr=localhost:8181", "--diagnostic-addr=0.0.0.0:8282", "--config-file=/config/config.yaml"]);
    expect(opa.readinessProbe).toMatchObject({ httpGet: { path: "/health?bundles", port: 8282 } });
    expect(opa.livenessProbe).toMatchObject({ httpGet: { path: "/health", port: 8282 } });
    expect(obj(opa.resources)).toHaveProperty("limits");
    expect(opa.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect((opa.env as Obj[]).map((e) => e.name)).toEqual(["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_REGION"]);
    // With the mTLS front, OPA declares no ext_authz port: it listens on loopback only.
    expect(opa.ports).toEqual([{ name: "diagnostics", containerPort: 8282, protocol: "TCP" }]);
    expect((pod.containers as Obj[]).map((c) => c.name)).toEqual(["opa", "spiffe-helper", "envoy-front"]);
    expect(() => new Deployment(d as never).validate()).not.toThrow();
    expect(obj(rec.get("pe-gcp-deployment").inputs.spec).replicas).toBe(2);
    expect(obj(rec.get("pe-pdb").inputs.spec).minAvailable).toBe(2);
    expect(() => new PodDisruptionBudget(rec.get("pe-pdb").inputs as never).validate()).not.toThrow();
  });

  it("serves ext_authz on an internal ClusterIP Service that policyEngineHost resolves", () => {
    const s = rec.get("pe-service").inputs;
    const meta = obj(s.metadata);
    expect(`${String(meta.name)}.${String(meta.namespace)}.svc.cluster.local`).toBe(policyEngineHost("aws-eu"));
    expect(obj(s.spec).type).toBe("ClusterIP");
    expect((obj(s.spec).ports as Obj[])[0]).toMatchObject({ port: 9191 });
    expect(() => new Service(s as never).validate()).not.toThrow();
    expect(() => new ServiceAccount(rec.get("pe-sa").inputs as never).validate()).not.toThrow();
  });

  it("fronts OPA with an Envoy on 9191 (mTLS, Envoy's UID 101) compiled by compileAuthzFront, in its own ConfigMap", () => {
    const cm = rec.get("pe-front-config").inputs;
    expect(obj(cm.metadata)).toMatchObject({
      name: "aws-eu-policy-engine-front-envoy",
      namespace: "ztmesh-system",
      labels: { "ztmesh.io/role": "envoy", "app.kubernetes.io/name": "ztmesh-policy-engine" },
      annotations: { "ztmesh.io/artifact": "envoy/aws-eu-policy-engine-front.yaml" },
    });
    expect(() => new ConfigMap(cm as never).validate()).not.toThrow();
    const front = parse(String(obj(cm.data)["envoy.yaml"])) as { static_resources: { listeners: Obj[]; clusters: Obj[] } };
    expect(front).toEqual(JSON.parse(JSON.stringify(compileAuthzFront(model, "aws-eu"))));
    expect(validateEnvoyConfig(front)).toEqual([]);
    expect(front.static_resources.listeners.map((l) => l.address)).toEqual([{ socket_address: { address: "0.0.0.0", port_value: 9191 } }]);
    const local = front.static_resources.clusters.find((c) => c.name === "local_opa")!;
    expect(local).toMatchObject({ load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 9192 } } } }] }] } });

    const pod = podOf("pe-deployment");
    const envoy = pod.containers.find((c) => c.name === "envoy-front")! as Container & Obj;
    expect(envoy.image).toBe("envoyproxy/envoy:v1.37.5");
    expect(envoy.ports).toEqual([{ name: "mtls", containerPort: 9191, protocol: "TCP" }]);
    expect(envoy.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 101,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(envoy.volumeMounts).toEqual([
      { name: "envoy-config", mountPath: "/etc/envoy", readOnly: true },
      { name: "spire-agent-socket", mountPath: "/run/spire/sockets", readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ]);
    expect(pod.volumes.find((v) => v.name === "envoy-config")!.configMap).toEqual({ name: "aws-eu-policy-engine-front-envoy" });
    // The Service's ext_authz port is the front's.
    expect((obj(rec.get("pe-service").inputs.spec).ports as Obj[])).toEqual([{ name: "grpc-authz", port: 9191, targetPort: 9191, appProtocol: "grpc", protocol: "TCP" }]);
    // Every pod's volumes are named once (the front and the spiffe-helper share the SPIRE socket volume).
    for (const d of ["pe", "pe-gcp", "pe-az", "pe-az-fed", "pe-plain"]) {
      const names = podOf(`${d}-deployment`).volumes.map((v) => v.name);
      expect(names, d).toEqual([...new Set(names)]);
    }
  });

  it("without an issuer: no front, OPA's ext_authz plugin serves :9191 and declares the port", () => {
    expect(rec.childrenOf(rec.get("pe-plain").urn).map((k) => k.name)).not.toContain("pe-plain-front-config");
    const containers = containersOf("pe-plain-deployment");
    expect(containers.map((c) => c.name)).toEqual(["opa"]);
    expect(containers[0].ports).toEqual([
      { name: "grpc-authz", containerPort: 9191, protocol: "TCP" },
      { name: "diagnostics", containerPort: 8282, protocol: "TCP" },
    ]);
    const config = configOf("pe-plain-config");
    expect(opaConfigProblems(config)).toEqual([]);
    expect(obj(obj(config.plugins).envoy_ext_authz_grpc)).toMatchObject({ addr: ":9191", path: "envoy/authz/allow", "dry-run": false });
    expect(() => new Deployment(rec.get("pe-plain-deployment").inputs as never).validate()).not.toThrow();
  });

  it("writes an OPA config with signed bundles per domain, decision logs and the Envoy plugin (never dry-run)", () => {
    const cm = rec.get("pe-config").inputs;
    expect(obj(obj(cm.metadata).labels)["ztmesh.io/role"]).toBe("opa-config");
    expect(() => new ConfigMap(cm as never).validate()).not.toThrow();
    const config = parse(String(obj(cm.data)["config.yaml"])) as Obj;
    expect(opaConfigProblems(config)).toEqual([]);
    const bundles = compileOpaBundles(model, "aws-eu");
    expect(Object.keys(obj(config.bundles)).sort()).toEqual([bundles.platform.name, ...Object.values(bundles.domains).map((b) => b.name)].sort());
    expect(obj(obj(config.bundles)[bundles.platform.name])).toMatchObject({ service: "bundle-store", resource: `opa/aws-eu/${bundles.platform.name}.tar.gz`, signing: { keyid: "ztmesh-2026" } });
    expect(obj(config.keys)["ztmesh-2026"]).toEqual({ algorithm: "RS256", key: publicKeyPem });
    expect(obj(obj(config.services)["bundle-store"])).toEqual({
      url: "https://acme-opa-bundles.s3.eu-west-1.amazonaws.com",
      credentials: { s3_signing: { web_identity_credentials: { aws_region: "eu-west-1", session_name: "aws-eu-policy-engine" } } },
    });
    expect(obj(config.decision_logs).service).toBe("decision-logs");
    // Behind the front: loopback only, on 9192.
    expect(obj(obj(config.plugins).envoy_ext_authz_grpc)).toMatchObject({ addr: "127.0.0.1:9192", path: "envoy/authz/allow", "dry-run": false });
    for (const c of ["pe-gcp-config", "pe-az-config", "pe-az-fed-config"]) expect(obj(obj(configOf(c).plugins).envoy_ext_authz_grpc).addr).toBe("127.0.0.1:9192");
  });

  it("configures GCS and Azure Blob stores per cloud", () => {
    const gcs = parse(String(obj(rec.get("pe-gcp-config").inputs.data)["config.yaml"])) as Obj;
    expect(obj(obj(gcs.services)["bundle-store"])).toEqual({
      url: "https://storage.googleapis.com/storage/v1/b/acme-opa-gcp/o",
      credentials: { gcp_metadata: { scopes: ["https://www.googleapis.com/auth/devstorage.read_only"] } },
    });
    expect(String(obj(Object.values(obj(gcs.bundles))[0]).resource)).toMatch(/^opa%2Fgcp-eu%2F.*\.tar\.gz\?alt=media$/);
    const az = parse(String(obj(rec.get("pe-az-config").inputs.data)["config.yaml"])) as Obj;
    expect(obj(obj(az.services)["bundle-store"])).toEqual({
      url: "https://acmeopa.blob.core.windows.net/bundles",
      headers: { "x-ms-version": "2020-04-08" },
      credentials: { azure_managed_identity: { resource: "https://storage.azure.com/", client_id: "c1" } },
    });
    expect(rec.ofType("gcp:storage/bucketObject:BucketObject").length).toBeGreaterThan(0);
    expect(rec.ofType("azure-native:storage:Blob").length).toBeGreaterThan(0);
    // GCS: no spiffe-helper (metadata identity), the front since an issuer is given.
    expect(containersOf("pe-gcp-deployment").map((c) => c.name)).toEqual(["opa", "envoy-front"]);
  });

  it("signs in to Entra ID with the engine's JWT-SVID when the Azure store names a tenant", () => {
    const az = parse(String(obj(rec.get("pe-az-fed-config").inputs.data)["config.yaml"])) as Obj;
    expect(opaConfigProblems(az)).toEqual([]);
    expect(obj(obj(az.services)["bundle-store"])).toEqual({
      url: "https://acmeopa.blob.core.windows.net/bundles",
      headers: { "x-ms-version": "2020-04-08" },
      credentials: {
        oauth2: {
          grant_type: "client_credentials",
          token_url: `https://login.microsoftonline.com/${AZ_TENANT}/oauth2/v2.0/token`,
          client_id: "c2",
          client_assertion_path: "/var/run/ztmesh/identity/token",
          scopes: ["https://storage.azure.com/.default"],
        },
      },
    });
    // The spiffe-helper writes the assertion OPA reads: Entra ID's audience, the path OPA is given.
    const containers = containersOf("pe-az-fed-deployment");
    expect(containers.map((c) => c.name)).toEqual(["opa", "spiffe-helper", "envoy-front"]);
    const helper = JSON.parse(String(obj(rec.get("pe-az-fed-helper-config").inputs.data)["spiffe-helper.json"])) as Obj;
    expect(helper.jwt_svids).toEqual([{ jwt_audience: "api://AzureADTokenExchange", jwt_svid_file_name: "token" }]);
    expect(helper.cert_dir).toBe("/var/run/ztmesh/identity");
    const opa = containers.find((c) => c.name === "opa")!;
    expect(opa.volumeMounts?.some((m) => m.mountPath === "/var/run/ztmesh/identity")).toBe(true);
    expect(opa.env ?? []).toEqual([]);
    // Without a tenant: the metadata service, no spiffe-helper (the front still, with an issuer).
    expect(containersOf("pe-az-deployment").map((c) => c.name)).toEqual(["opa", "envoy-front"]);
    expect(() => new Deployment(rec.get("pe-az-fed-deployment").inputs as never).validate()).not.toThrow();
  });

  it("publishes signed, deterministic bundle archives to S3, tagged as artifacts, without the secret", () => {
    const objects = rec.ofType("aws:s3/bucketObjectv2:BucketObjectv2").filter((o) => o.name.startsWith("pe-bundle-"));
    const bundles = compileOpaBundles(model, "aws-eu");
    expect(objects).toHaveLength(1 + Object.keys(bundles.domains).length);
    for (const o of objects) {
      expect(o.parent).toBe(rec.get("pe").urn);
      expect(JSON.stringify(o.rawInputs)).not.toContain("PRIVATE KEY");
      const tags = obj(o.inputs.tags);
      expect(tags["ztmesh-artifact"]).toBe(`opa/aws-eu/${String(o.inputs.key).split("/").pop()}`);
      expect(tags["ztmesh-role"]).toBe("opa-bundle");
      const files = readTarGz(Buffer.from(String(o.inputs.contentBase64), "base64"));
      expect(files.has(".signatures.json")).toBe(true);
      expect(files.has(".manifest")).toBe(true);
      expect(verifyBundleSignature(files, publicKeyPem)).toEqual([]);
    }
  });

  it("admits every mesh pod and the egress gateway on 9191 only, and reaches object storage and its collector", () => {
    const ingress = rec.get("pe-allow-ingress-policy-engine").inputs;
    expect(obj(ingress.spec)).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "ztmesh-policy-engine" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            { namespaceSelector: {}, podSelector: { matchLabels: { "ztmesh.io/mesh": "true" } } },
            { podSelector: { matchLabels: { "app.kubernetes.io/name": "ztmesh-egress-gateway" } } },
          ],
          ports: [{ protocol: "TCP", port: 9191 }],
        },
      ],
    });
    // No object storage endpoints declared: 443 by port only; with them: those CIDRs only (sorted).
    const egressOf = (n: string) => obj(rec.get(n).inputs.spec).egress as Obj[];
    const collector = { to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "ztmesh-log-collector" } } }], ports: [{ protocol: "TCP", port: 8080 }] };
    expect(egressOf("pe-allow-egress-policy-engine")).toEqual([{ ports: [{ protocol: "TCP", port: 443 }] }, collector]);
    expect(egressOf("pe-storage-allow-egress-policy-engine")).toEqual([
      { ports: [{ protocol: "TCP", port: 443 }], to: [{ ipBlock: { cidr: "10.0.64.0/24" } }, { ipBlock: { cidr: "10.0.96.0/24" } }] },
      collector,
    ]);
    expect(rec.childrenOf(rec.get("pe-storage").urn).map((k) => k.name)).not.toContain("pe-storage-default-deny");
    const logs = rec.get("pe-allow-egress-policy-engine-decision-logs").inputs;
    expect((obj(logs.spec).egress as Obj[])[0].ports).toEqual([{ protocol: "TCP", port: 8686 }]);
    for (const np of rec.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")) expect(() => new NetworkPolicy(np.inputs as never).validate()).not.toThrow();
  });

  it("names bad input before creating anything", async () => {
    const before = rec.resources.length;
    expect(() => new PolicyEngine("bad1", { ...base(), replicas: 1 }, { provider: cluster })).toThrow(/args\.replicas: must be an integer >= 2, got 1/);
    expect(() => new PolicyEngine("bad2", { ...base(), zone: "mars" }, { provider: cluster })).toThrow(/args\.zone: zone "mars" is not in the mesh/);
    expect(() => new PolicyEngine("bad3", { ...base(), bundleStore: { kind: "gcs", bucket: "b" } }, { provider: cluster })).toThrow(/args\.bundleStore\.kind/);
    expect(() => new PolicyEngine("bad4", { ...base(), zone: "dc-eu", bundleStore: { kind: "http", url: "http://insecure" } }, { provider: cluster })).toThrow(/args\.bundleStore\.url/);
    expect(() => new PolicyEngine("bad5", { ...base(), issuer: undefined }, { provider: cluster })).toThrow(/args\.issuer: is required with an s3 bundle store/);
    expect(() => new PolicyEngine("bad6", base())).toThrow(/args\.clusters/);
    expect(() => new PolicyEngine("bad7", { ...base(), decisionLogs: { url: "collector" } }, { provider: cluster })).toThrow(/args\.decisionLogs\.url/);
    const azure = { kind: "azure-blob" as const, storageAccount: "acmeopa", container: "bundles", resourceGroupName: "mesh" };
    expect(() => new PolicyEngine("bad8", { ...base(), zone: "azure-eu", bundleStore: { ...azure, tenantId: AZ_TENANT } }, { provider: cluster })).toThrow(/args\.bundleStore\.clientId: is required with tenantId/);
    expect(() => new PolicyEngine("bad9", { ...base(), zone: "azure-eu", bundleStore: { ...azure, clientId: "c", tenantId: "contoso" } }, { provider: cluster })).toThrow(/args\.bundleStore\.tenantId: must be the Entra ID tenant's GUID, got "contoso"/);
    expect(() => new PolicyEngine("bad10", { ...base(), zone: "azure-eu", issuer: undefined, bundleStore: { ...azure, clientId: "c", tenantId: AZ_TENANT } }, { provider: cluster })).toThrow(/args\.issuer: is required with an azure-blob store that has a tenantId/);
    await rec.settle();
    expect(rec.resources.length).toBe(before);
  });
});
