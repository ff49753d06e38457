import { describe, expect, it } from "vitest";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Service } from "kubernetes-models/v1/Service";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { CSIDriver } from "kubernetes-models/storage.k8s.io/v1/CSIDriver";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import { buildMesh } from "../../../components/model";
import { ValidationError } from "../../../components/model/errors";
import { mesh, domains } from "../../fixtures/mesh";

const model = buildMesh(mesh, domains);
const ca = { certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", privateKey: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n" };
const base = { model, zone: "aws-eu", issuerUrl: "https://oidc.aws-eu.mesh.acme.example", upstreamAuthority: ca };

type Pod = { containers: Array<Record<string, unknown>>; hostPID?: boolean; volumes?: Array<Record<string, unknown>> };
const podOf = (r: RecordedResource) => ((r.inputs.spec as { template: { spec: Pod } }).template.spec);

const VALIDATORS: Record<string, (o: never) => { validate(): void }> = {
  "kubernetes:apps/v1:StatefulSet": (o) => new StatefulSet(o),
  "kubernetes:apps/v1:DaemonSet": (o) => new DaemonSet(o),
  "kubernetes:core/v1:Service": (o) => new Service(o),
  "kubernetes:core/v1:ConfigMap": (o) => new ConfigMap(o),
  "kubernetes:core/v1:Namespace": (o) => new Namespace(o),
  "kubernetes:core/v1:Secret": (o) => new Secret(o),
  "kubernetes:core/v1:ServiceAccount": (o) => new ServiceAccount(o),
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": (o) => new NetworkPolicy(o),
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": (o) => new ClusterRole(o),
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": (o) => new ClusterRoleBinding(o),
  "kubernetes:rbac.authorization.k8s.io/v1:Role": (o) => new Role(o),
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": (o) => new RoleBinding(o),
  "kubernetes:policy/v1:PodDisruptionBudget": (o) => new PodDisruptionBudget(o),
  "kubernetes:storage.k8s.io/v1:CSIDriver": (o) => new CSIDriver(o),
};

describe("IdentityIssuer", () => {
  it("deploys SPIRE server, agent, OIDC provider, RBAC and registrations, all parented and schema-valid", async () => {
    const rec = new Recorder();
    const { IdentityIssuer, spireServerConfig, spireAgentConfig, controllerManagerConfig, oidcProviderConfig } = await import("../../../components/identity-issuer");
    const { toJson } = await import("../../../components/k8s");
    const issuer = new IdentityIssuer("idp", base);
    await rec.settle();
    const comp = rec.get("idp");
    expect(comp.type).toBe("ztmesh:identity-issuer:IdentityIssuer");
    const children = rec.resources.filter((r) => r.custom);
    for (const r of children) {
      expect(r.parent, r.name).toBe(comp.urn);
      expect(r.name.startsWith("idp-"), r.name).toBe(true);
      const v = VALIDATORS[r.type];
      if (v) v(r.inputs as never).validate();
    }
    const count = (t: string) => rec.ofType(t).length;
    expect(count("kubernetes:apps/v1:StatefulSet")).toBe(1);
    expect(count("kubernetes:apps/v1:DaemonSet")).toBe(2);
    expect(count("kubernetes:core/v1:Namespace")).toBe(2);
    expect(count("kubernetes:policy/v1:PodDisruptionBudget")).toBe(0);
    expect(count("kubernetes:spire.spiffe.io/v1alpha1:ClusterSPIFFEID")).toBe(2);

    // Namespaces: restricted for the server, privileged (documented) for the agent; both default-deny.
    const nsLabels = (n: string) => (rec.get(n).inputs.metadata as { labels: Record<string, string> }).labels;
    expect(nsLabels("idp-server-namespace")["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(nsLabels("idp-agent-namespace")["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    expect(nsLabels("idp-agent-namespace")["pod-security.kubernetes.io/warn"]).toBe("restricted");
    const deny = rec.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => (p.inputs.metadata as { name: string }).name === "default-deny");
    expect(deny.map((p) => (p.inputs.metadata as { namespace: string }).namespace).sort()).toEqual(["spire-server", "spire-system"]);

    // Server: one replica, PVC, restricted containers with probes and resources.
    const sts = rec.get("idp-server");
    const spec = sts.inputs.spec as { replicas: number; volumeClaimTemplates: unknown[] };
    expect(spec.replicas).toBe(1);
    expect(spec.volumeClaimTemplates).toHaveLength(1);
    const pod = podOf(sts);
    expect(pod.containers.map((c) => c.name)).toEqual(["spire-server", "spire-controller-manager", "oidc-discovery-provider"]);
    for (const c of pod.containers) {
      expect(c.readinessProbe, String(c.name)).toBeDefined();
      expect(c.livenessProbe, String(c.name)).toBeDefined();
      expect(c.resources).toMatchObject({ requests: expect.any(Object), limits: expect.any(Object) });
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
      expect(String(c.image)).toMatch(/:\d+\.\d+\.\d+$/);
    }

    // Agent: the documented hostPID + hostPath exception, socket at /run/spire/sockets.
    const agent = podOf(rec.get("idp-agent"));
    expect(agent.hostPID).toBe(true);
    expect(agent.volumes).toContainEqual({ name: "sockets", hostPath: { path: "/run/spire/sockets", type: "DirectoryOrCreate" } });

    // ConfigMaps hold exactly the serialized typed configs.
    const serverCm = rec.get("idp-server-config").inputs.data as Record<string, string>;
    const expectedServer = spireServerConfig({
      trustDomain: "mesh.acme.example", issuerUrl: base.issuerUrl, clusterName: "aws-eu", agentNamespace: "spire-system",
      agentServiceAccount: "spire-agent", caTtl: "24h", x509SvidTtl: "1h", jwtSvidTtl: "5m", datastore: { kind: "sqlite" }, upstreamBundle: false,
    });
    expect(serverCm["server.conf"]).toBe(toJson(expectedServer));
    const conf = JSON.parse(serverCm["server.conf"]);
    expect(conf.server).toMatchObject({ trust_domain: "mesh.acme.example", jwt_issuer: base.issuerUrl, default_x509_svid_ttl: "1h", default_jwt_svid_ttl: "5m", ca_ttl: "24h" });
    expect(Object.keys(conf.plugins).sort()).toEqual(["DataStore", "KeyManager", "NodeAttestor", "Notifier", "UpstreamAuthority"]);
    for (const list of Object.values(conf.plugins) as unknown[][]) {
      expect(list).toHaveLength(1);
      expect(Object.keys(list[0] as object)).toHaveLength(1);
    }
    expect(conf.plugins.NodeAttestor[0].k8s_psat.plugin_data.clusters["aws-eu"].service_account_allow_list).toEqual(["spire-system:spire-agent"]);
    expect(serverCm["controller-manager.json"]).toBe(toJson(controllerManagerConfig({ trustDomain: "mesh.acme.example", clusterName: "aws-eu", namespace: "spire-server", className: "ztmesh-aws-eu" })));
    expect(serverCm["oidc-discovery-provider.conf"]).toBe(toJson(oidcProviderConfig(base.issuerUrl)));
    expect(JSON.parse(serverCm["oidc-discovery-provider.conf"]).domains).toEqual(["oidc.aws-eu.mesh.acme.example"]);
    expect((rec.get("idp-agent-config").inputs.data as Record<string, string>)["agent.conf"]).toBe(
      toJson(spireAgentConfig({ trustDomain: "mesh.acme.example", clusterName: "aws-eu", serverAddress: "spire-server.spire-server.svc" })),
    );

    // Services are internal.
    for (const s of rec.ofType("kubernetes:core/v1:Service")) expect((s.inputs.spec as { type: string }).type).toBe("ClusterIP");

    // The upstream CA key is a secret in state.
    const secret = rec.get("idp-upstream-ca");
    expect(JSON.stringify(secret.rawInputs)).toContain("1b47061264138c4ac30d75fd1eb44270");
    expect((secret.inputs.stringData as Record<string, string>)["tls.key"]).toBe(ca.privateKey);

    // Registration: the SPIFFE ID template and selectors, after the CRD.
    const crd = rec.get("idp-clusterspiffeid-crd");
    const wl = rec.get("idp-spiffeid-workloads");
    expect(wl.inputs.spec).toMatchObject({
      spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
      podSelector: { matchLabels: { "ztmesh.io/mesh": "true" } },
      namespaceSelector: { matchLabels: { "ztmesh.io/mesh-namespace": "true" } },
    });
    expect(wl.dependencies).toContain(crd.urn);

    expect(issuer.agentSocketPath).toBe("/run/spire/sockets/agent.sock");
    expect(comp.outputs).toMatchObject({
      issuerUrl: base.issuerUrl,
      trustDomain: "mesh.acme.example",
      bundleEndpointAddress: "https://spire-server.spire-server.svc:8443",
      agentSocketPath: "/run/spire/sockets/agent.sock",
    });
  });

  it("ha: replicas > 1, external datastore from a Secret via -expandEnv, a PDB", async () => {
    const rec = new Recorder();
    const { IdentityIssuer } = await import("../../../components/identity-issuer");
    new IdentityIssuer("idp", { ...base, ha: true, datastore: { databaseType: "postgres", connectionString: "postgres://u:p@db/spire" } });
    await rec.settle();
    const sts = rec.get("idp-server");
    expect((sts.inputs.spec as { replicas: number }).replicas).toBe(3);
    const server = podOf(sts).containers[0];
    expect(server.args).toContain("-expandEnv");
    expect(server.env).toContainEqual({ name: "SPIRE_DATASTORE_CONNECTION_STRING", valueFrom: { secretKeyRef: { name: "spire-datastore", key: "connectionString" } } });
    const conf = JSON.parse((rec.get("idp-server-config").inputs.data as Record<string, string>)["server.conf"]);
    expect(conf.plugins.DataStore[0].sql.plugin_data).toEqual({ database_type: "postgres", connection_string: "${SPIRE_DATASTORE_CONNECTION_STRING}" });
    expect(JSON.stringify(conf)).not.toContain("u:p@db");
    const pdb = rec.get("idp-server-pdb");
    new PodDisruptionBudget(pdb.inputs as never).validate();
    expect(pdb.inputs.spec).toMatchObject({ maxUnavailable: 1 });
  });

  it.each([
    [{ zone: "mars-1" }, "args.zone", '"mars-1"'],
    [{ issuerUrl: "http://oidc.example" }, "args.issuerUrl", '"http://oidc.example"'],
    [{ ha: true, replicas: 1, datastore: { databaseType: "postgres" as const, connectionString: "x" } }, "args.replicas", "1"],
    [{ ha: true }, "args.datastore", "required"],
    [{ replicas: 2 }, "args.replicas", "2"],
    [{ serverNamespace: "Spire" }, "args.serverNamespace", '"Spire"'],
    [{ spireVersion: "latest" }, "args.spireVersion", '"latest"'],
    [{ x509SvidTtl: "24h" }, "args.x509SvidTtl", '"24h"'],
  ])("rejects %j naming the argument and value before creating anything", async (bad, path, value) => {
    const rec = new Recorder();
    const { IdentityIssuer } = await import("../../../components/identity-issuer");
    let err: unknown;
    try {
      new IdentityIssuer("bad", { ...base, ...bad });
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
});
