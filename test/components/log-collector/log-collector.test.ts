import { describe, expect, it } from "vitest";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Service } from "kubernetes-models/v1/Service";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import { buildMesh } from "../../../components/model";
import { ValidationError } from "../../../components/model/errors";
import { mesh, domains } from "../../fixtures/mesh";

const model = buildMesh(mesh, domains);
const role = "arn:aws:iam::123456789012:role/ztmesh-aws-eu-log-writer";
const base = { model, zone: "aws-eu", store: { cloud: "aws" as const, bucket: "ztmesh-audit-aws-eu" }, cloudPrincipal: role };

const VALIDATORS: Record<string, (o: never) => { validate(): void }> = {
  "kubernetes:apps/v1:StatefulSet": (o) => new StatefulSet(o),
  "kubernetes:apps/v1:DaemonSet": (o) => new DaemonSet(o),
  "kubernetes:core/v1:Service": (o) => new Service(o),
  "kubernetes:core/v1:ConfigMap": (o) => new ConfigMap(o),
  "kubernetes:core/v1:Namespace": (o) => new Namespace(o),
  "kubernetes:core/v1:ServiceAccount": (o) => new ServiceAccount(o),
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": (o) => new NetworkPolicy(o),
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": (o) => new ClusterRole(o),
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": (o) => new ClusterRoleBinding(o),
  "kubernetes:policy/v1:PodDisruptionBudget": (o) => new PodDisruptionBudget(o),
};
type Container = Record<string, unknown> & { name: string; env?: Array<{ name: string; value?: string }> };
const podOf = (r: RecordedResource) => (r.inputs.spec as { template: { spec: { containers: Container[]; volumes: unknown[] } } }).template.spec;

describe("LogCollector", () => {
  it("deploys an aggregator StatefulSet with disk buffers, a PDB, an internal Service and node agents", async () => {
    const rec = new Recorder();
    const { LogCollector, aggregatorConfig, agentConfig, spiffeHelperConfig } = await import("../../../components/log-collector");
    const { toJson } = await import("../../../components/k8s");
    const lc = new LogCollector("logs", base);
    await rec.settle();
    const comp = rec.get("logs");
    expect(comp.type).toBe("ztmesh:log-collector:LogCollector");
    for (const r of rec.resources.filter((x) => x.custom)) {
      expect(r.parent, r.name).toBe(comp.urn);
      expect(r.name.startsWith("logs-")).toBe(true);
      VALIDATORS[r.type]?.(r.inputs as never).validate();
    }
    expect(rec.ofType("kubernetes:apps/v1:StatefulSet")).toHaveLength(1);
    expect(rec.ofType("kubernetes:apps/v1:DaemonSet")).toHaveLength(1);
    expect(rec.ofType("kubernetes:policy/v1:PodDisruptionBudget")).toHaveLength(1);

    const sts = rec.get("logs-aggregator");
    const spec = sts.inputs.spec as { replicas: number; volumeClaimTemplates: Array<{ spec: { resources: { requests: { storage: string } } } }> };
    expect(spec.replicas).toBe(2);
    expect(spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("5Gi");
    const pod = podOf(sts);
    for (const c of pod.containers) {
      expect(c.readinessProbe).toBeDefined();
      expect(c.livenessProbe).toBeDefined();
      expect(c.resources).toMatchObject({ requests: expect.any(Object), limits: expect.any(Object) });
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    }
    // Workload identity, no static credentials: web identity from the JWT-SVID file.
    const env = Object.fromEntries(pod.containers[0].env!.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ AWS_ROLE_ARN: role, AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/ztmesh/identity/token", AWS_REGION: "eu-west-1", ZTMESH_STORE_BUCKET: "ztmesh-audit-aws-eu" });
    expect(Object.keys(env).some((k) => /SECRET|ACCESS_KEY/.test(k))).toBe(false);
    expect(pod.volumes).toContainEqual({ name: "workload-api", csi: { driver: "csi.spiffe.io", readOnly: true } });

    const pdb = rec.get("logs-pdb");
    expect(pdb.inputs.spec).toMatchObject({ minAvailable: 1 });

    // The ConfigMap holds exactly the typed configs' serialization.
    const data = rec.get("logs-config").inputs.data as Record<string, string>;
    const expected = aggregatorConfig({ zone: "aws-eu", store: { cloud: "aws", region: "eu-west-1" }, bufferBytes: 2 * 1024 ** 3 });
    expect(data["vector.json"]).toBe(toJson(expected));
    expect(data["spiffe-helper.json"]).toBe(toJson(spiffeHelperConfig("sts.amazonaws.com")));
    const conf = JSON.parse(data["vector.json"]);
    expect(conf.sources.opa_decision_logs).toMatchObject({ type: "http_server", path: "/logs", decoding: { codec: "json" } });
    for (const sink of Object.values(conf.sinks) as Array<Record<string, unknown>>) {
      expect(sink).toMatchObject({ type: "aws_s3", bucket: "${ZTMESH_STORE_BUCKET}", region: "eu-west-1", buffer: { type: "disk", max_size: 2147483648, when_full: "block" }, acknowledgements: { enabled: true } });
    }
    const agentData = rec.get("logs-agent-config").inputs.data as Record<string, string>;
    expect(agentData["vector.json"]).toBe(
      toJson(agentConfig({ aggregatorAddress: "ztmesh-log-collector.ztmesh-system.svc.cluster.local:6000", labelSelector: "ztmesh.io/role in (gateway,data-proxy)" })),
    );

    // Services are internal.
    for (const s of rec.ofType("kubernetes:core/v1:Service")) expect((s.inputs.spec as { type: string }).type).toBe("ClusterIP");

    // Every namespace it creates has default-deny; the aggregator admits only OPA and the agents.
    const policies = rec.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs as { metadata: { name: string; namespace: string }; spec: unknown });
    expect(policies.filter((p) => p.metadata.name === "default-deny").map((p) => p.metadata.namespace)).toEqual(["ztmesh-log-agent"]);
    expect(rec.ofType("kubernetes:core/v1:Namespace").map((n) => (n.inputs.metadata as { name: string }).name)).toEqual(["ztmesh-log-agent"]);

    // The aggregator's ServiceAccount carries the SPIFFE ID and cloud principal.
    expect(rec.get("logs-sa").inputs).toMatchObject({
      automountServiceAccountToken: false,
      metadata: { annotations: { "ztmesh.io/spiffe-id": "spiffe://mesh.acme.example/ns/ztmesh-system/sa/ztmesh-log-collector", "ztmesh.io/cloud-principal": role } },
    });
    expect(lc.decisionLogUrl).toBe("http://ztmesh-log-collector.ztmesh-system.svc.cluster.local:8080");
    expect(comp.outputs).toMatchObject({ decisionLogUrl: lc.decisionLogUrl, namespace: "ztmesh-system" });
  });

  it("creates its own namespace with default-deny when not in ztmesh-system; GCP uses an external-account file", async () => {
    const rec = new Recorder();
    const { LogCollector, gcpExternalAccount } = await import("../../../components/log-collector");
    const { toJson } = await import("../../../components/k8s");
    const audience = "//iam.googleapis.com/projects/998877665544/locations/global/workloadIdentityPools/ztmesh/providers/gcp-eu";
    new LogCollector("logs", { model, zone: "gcp-eu", namespace: "ztmesh-logging", replicas: 3, store: { cloud: "gcp", bucket: "audit", audience } });
    await rec.settle();
    const deny = rec.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => (p.inputs.metadata as { name: string }).name === "default-deny");
    expect(deny.map((p) => (p.inputs.metadata as { namespace: string }).namespace).sort()).toEqual(["ztmesh-log-agent", "ztmesh-logging"]);
    const ns = rec.get("logs-namespace");
    expect((ns.inputs.metadata as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const data = rec.get("logs-config").inputs.data as Record<string, string>;
    expect(data["gcp-credentials.json"]).toBe(toJson(gcpExternalAccount(audience)));
    expect(JSON.parse(data["vector.json"]).sinks.decision_log_store).toMatchObject({ type: "gcp_cloud_storage", credentials_path: "/etc/vector/gcp-credentials.json" });
    expect((rec.get("logs-aggregator").inputs.spec as { replicas: number }).replicas).toBe(3);
    expect(rec.get("logs-pdb").inputs.spec).toMatchObject({ minAvailable: 2 });
  });

  it("writes an on-prem zone's logs to an Azure container with the federated JWT-SVID (no static credentials)", async () => {
    const rec = new Recorder();
    const { LogCollector, spiffeHelperConfig } = await import("../../../components/log-collector");
    const { toJson } = await import("../../../components/k8s");
    const clientId = "11111111-2222-3333-4444-555555555555";
    const tenantId = "00000000-0000-0000-0000-0000000000aa";
    new LogCollector("logs", { model, zone: "dc-eu", store: { cloud: "azure", bucket: "audit-logs", account: "alazureeu0123abcd", tenantId }, cloudPrincipal: clientId });
    await rec.settle();
    const data = rec.get("logs-config").inputs.data as Record<string, string>;
    const conf = JSON.parse(data["vector.json"]);
    // Vector >= 0.55 azure_blob: a connection string naming only the account (no key, no SAS)
    // plus the workload identity credential, which re-reads the rotated JWT-SVID file.
    const azureSink = {
      type: "azure_blob",
      connection_string: "AccountName=alazureeu0123abcd",
      auth: { azure_credential_kind: "workload_identity" },
      container_name: "${ZTMESH_STORE_BUCKET}",
    };
    expect(conf.sinks.decision_log_store).toMatchObject({ ...azureSink, blob_prefix: "decision-logs/zone=dc-eu/date=%F/" });
    expect(conf.sinks.access_log_store).toMatchObject({ ...azureSink, blob_prefix: "access-logs/zone=dc-eu/date=%F/" });
    for (const sink of Object.values(conf.sinks) as Array<Record<string, unknown>>) {
      // Options Vector 0.50+ rejects, and no static credential.
      expect(sink.storage_account).toBeUndefined();
      expect(String(sink.connection_string)).not.toMatch(/AccountKey|SharedAccessSignature|sig=/i);
      expect(Object.keys(sink.auth as object)).toEqual(["azure_credential_kind"]);
    }
    expect(data["spiffe-helper.json"]).toBe(toJson(spiffeHelperConfig("api://AzureADTokenExchange")));
    const pod = podOf(rec.get("logs-aggregator"));
    expect(pod.containers[0].image).toBe("timberio/vector:0.56.0-distroless-libc");
    expect(Object.fromEntries(pod.containers[0].env!.map((e) => [e.name, e.value]))).toEqual({
      ZTMESH_STORE_BUCKET: "audit-logs",
      AZURE_FEDERATED_TOKEN_FILE: "/var/run/ztmesh/identity/token",
      AZURE_TENANT_ID: tenantId,
      AZURE_CLIENT_ID: clientId,
    });
  });

  it.each([
    [{ replicas: 1 }, "args.replicas", "1"],
    [{ zone: "mars-1" }, "args.zone", '"mars-1"'],
    [{ namespace: "Logs!" }, "args.namespace", '"Logs!"'],
    [{ store: { cloud: "gcp" as const, bucket: "b" } }, "args.store.cloud", '"gcp"'],
    [{ bufferMaxBytes: 1024 }, "args.bufferMaxBytes", "1024"],
    [{ cloudPrincipal: undefined }, "args.cloudPrincipal", "aws"],
    [{ vectorVersion: "latest" }, "args.vectorVersion", '"latest"'],
    [{ zone: "dc-eu", store: { cloud: "azure" as const, bucket: "audit-logs", account: "alazureeu0123abcd" } }, "args.store.tenantId", "outside an azure zone"],
    // azure_blob before 0.56 reuses the first federated token (<= 0.49) or needs a keyed connection string (0.50-0.54).
    [{ zone: "dc-eu", vectorVersion: "0.49.0", store: { cloud: "azure" as const, bucket: "audit-logs", account: "alazureeu0123abcd", tenantId: "00000000-0000-0000-0000-0000000000aa" } }, "args.vectorVersion", "at least 0.56.0"],
    [{ zone: "dc-eu", vectorVersion: "0.55.0", store: { cloud: "azure" as const, bucket: "audit-logs", account: "alazureeu0123abcd", tenantId: "00000000-0000-0000-0000-0000000000aa" } }, "args.vectorVersion", '"0.55.0"'],
    // 0.57 stops interpolating ${VAR} in config files.
    [{ vectorVersion: "0.57.0" }, "args.vectorVersion", "below 0.57.0"],
  ])("rejects %j naming the argument and value before creating anything", async (bad, path, value) => {
    const rec = new Recorder();
    const { LogCollector } = await import("../../../components/log-collector");
    let err: unknown;
    try {
      new LogCollector("bad", { ...base, ...bad });
    } catch (e) {
      err = e;
    }
    await rec.settle();
    expect(err).toBeInstanceOf(ValidationError);
    const issue = (err as ValidationError).issues.find((i) => i.path === path);
    expect(issue, JSON.stringify((err as ValidationError).issues)).toBeDefined();
    expect(issue!.message).toContain(value);
    expect(rec.resources.filter((r) => r.custom)).toEqual([]);
  });

  it("orders versions numerically and keeps the default within the supported range", async () => {
    const { compareVersions, LOG_COLLECTOR_DEFAULTS, VECTOR_VERSION_SUPPORT } = await import("../../../components/log-collector");
    expect(compareVersions("0.56.0", "0.9.0")).toBeGreaterThan(0);
    expect(compareVersions("v0.56.0", "0.56.0")).toBe(0);
    expect(compareVersions("0.55.9", "0.56.0")).toBeLessThan(0);
    expect(compareVersions(LOG_COLLECTOR_DEFAULTS.vectorVersion, VECTOR_VERSION_SUPPORT.azureMin)).toBeGreaterThanOrEqual(0);
    expect(compareVersions(LOG_COLLECTOR_DEFAULTS.vectorVersion, VECTOR_VERSION_SUPPORT.maxExclusive)).toBeLessThan(0);
  });

  it("still accepts an older Vector for an aws store (its sink config is unchanged)", async () => {
    const rec = new Recorder();
    const { LogCollector } = await import("../../../components/log-collector");
    new LogCollector("logs", { ...base, vectorVersion: "0.49.0" });
    await rec.settle();
    expect(podOf(rec.get("logs-aggregator")).containers[0].image).toBe("timberio/vector:0.49.0-distroless-libc");
  });
});
