import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1";
import { ConfigMap, Service, ServiceAccount } from "kubernetes-models/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { EnvoyGateway as EnvoyGatewayClass } from "../../../components/gateway";
import type { Provider as K8sProvider } from "@pulumi/kubernetes";
import { Recorder } from "../../../cli/lib/recorder";
import { compileGateway, validateEnvoyConfig } from "../../../components/compile/envoy";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const rec = new Recorder();
const model = buildMesh(mesh, domains);
const issuer = { trustDomain: model.trustDomain };
let EnvoyGateway: typeof EnvoyGatewayClass;
let cluster: K8sProvider;
let gw: InstanceType<typeof EnvoyGateway>;
let children: ReturnType<Recorder["childrenOf"]>;
let component: ReturnType<Recorder["get"]>;

beforeAll(async () => {
  const k8s = await import("@pulumi/kubernetes");
  ({ EnvoyGateway } = await import("../../../components/gateway"));
  cluster = new k8s.Provider("aws-eu-cluster", {});
  gw = new EnvoyGateway("gw", { model, zone: "aws-eu", issuer }, { provider: cluster });
  await rec.settle();
  component = rec.get("gw");
  children = rec.childrenOf(component.urn);
});

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => v as Obj;

describe("EnvoyGateway", () => {
  it("creates the expected children, all parented and on the zone's cluster", () => {
    expect(component.type).toBe("ztmesh:gateway:EnvoyGateway");
    expect(children.map((c) => `${c.type} ${c.name}`).sort()).toEqual(
      [
        "kubernetes:apps/v1:Deployment gw-deployment",
        "kubernetes:core/v1:ConfigMap gw-config",
        "kubernetes:core/v1:Service gw-service",
        "kubernetes:core/v1:ServiceAccount gw-sa",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy gw-allow-egress-gateway",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy gw-allow-ingress-gateway",
        "kubernetes:policy/v1:PodDisruptionBudget gw-pdb",
      ].sort(),
    );
    for (const c of children) expect(c.provider).toMatch(/pulumi:providers:kubernetes::aws-eu-cluster::/);
    expect(gw.spiffeId).toBe("spiffe://mesh.acme.example/ns/ztmesh-system/sa/aws-eu-gateway");
  });

  it("deploys 2+ replicas spread over zones with TCP probes, restricted security and the SPIRE CSI socket", () => {
    const d = rec.get("gw-deployment").inputs;
    const spec = obj(d.spec);
    expect(spec.replicas).toBe(2);
    const pod = obj(obj(spec.template).spec);
    const spread = pod.topologySpreadConstraints as Obj[];
    expect(spread[0]).toMatchObject({ topologyKey: "topology.kubernetes.io/zone", maxSkew: 1, whenUnsatisfiable: "DoNotSchedule" });
    expect(spread[1]).toMatchObject({ topologyKey: "kubernetes.io/hostname" });
    const c = (pod.containers as Obj[])[0];
    expect(c.image).toBe("envoyproxy/envoy:v1.37.5");
    expect(c.readinessProbe).toMatchObject({ tcpSocket: { port: 8443 } });
    expect(c.livenessProbe).toMatchObject({ tcpSocket: { port: 8443 } });
    expect(obj(c.resources)).toMatchObject({ requests: { cpu: "100m" }, limits: { memory: "512Mi" } });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.serviceAccountName).toBe("aws-eu-gateway");
    // A TLS passthrough holds no SVID: no SPIRE socket in the pod.
    expect((pod.volumes as Obj[]).map((v) => v.name)).toEqual(["envoy-config", "tmp"]);
    expect((c.volumeMounts as Obj[]).map((m) => m.name)).toEqual(["envoy-config", "tmp"]);
    expect(() => new Deployment(d as never).validate()).not.toThrow();
  });

  it("ships exactly the compiled bootstrap, valid Envoy config, labelled and marked as an artifact", () => {
    const cm = rec.get("gw-config").inputs;
    const meta = obj(cm.metadata);
    expect(obj(meta.labels)["ztmesh.io/role"]).toBe("envoy");
    expect(obj(meta.annotations)["ztmesh.io/artifact"]).toBe("envoy/aws-eu-gateway.yaml");
    const parsed = parse(String(obj(cm.data)["envoy.yaml"]));
    expect(parsed).toEqual(JSON.parse(JSON.stringify(compileGateway(model, "aws-eu"))));
    expect(validateEnvoyConfig(parsed)).toEqual([]);
    expect(() => new ConfigMap(cm as never).validate()).not.toThrow();
  });

  it("exposes a LoadBalancer selecting only gateway pods; a PDB keeps one up", () => {
    const svc = rec.get("gw-service").inputs;
    const spec = obj(svc.spec);
    expect(spec.type).toBe("LoadBalancer");
    expect(obj(spec.selector)["app.kubernetes.io/name"]).toBe("ztmesh-gateway");
    expect(() => new Service(svc as never).validate()).not.toThrow();
    const pdb = rec.get("gw-pdb").inputs;
    expect(obj(pdb.spec).minAvailable).toBe(1);
    expect(() => new PodDisruptionBudget(pdb as never).validate()).not.toThrow();
    expect(() => new ServiceAccount(rec.get("gw-sa").inputs as never).validate()).not.toThrow();
    for (const np of rec.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")) {
      expect(() => new NetworkPolicy(np.inputs as never).validate()).not.toThrow();
    }
  });

  it("marks the LB internal per cloud when asked", async () => {
    new EnvoyGateway("gw-int", { model, zone: "azure-eu", issuer, internal: true, replicas: 3 }, { provider: cluster });
    await rec.settle();
    const svc = rec.get("gw-int-service").inputs;
    expect(obj(obj(svc.metadata).annotations)).toEqual({ "service.beta.kubernetes.io/azure-load-balancer-internal": "true" });
    expect(obj(rec.get("gw-int-pdb").inputs.spec).minAvailable).toBe(2);
  });

  it("names bad input before creating anything", async () => {
    const before = rec.resources.length;
    expect(() => new EnvoyGateway("bad1", { model, zone: "aws-eu", issuer, replicas: 1 }, { provider: cluster })).toThrow(/args\.replicas: must be an integer >= 2, got 1/);
    expect(() => new EnvoyGateway("bad2", { model, zone: "nowhere", issuer }, { provider: cluster })).toThrow(/args\.zone: zone "nowhere" is not in the mesh/);
    expect(() => new EnvoyGateway("bad3", { model, zone: "aws-eu" } as never, { provider: cluster })).toThrow(/args\.issuer: the zone's identity issuer is missing/);
    expect(() => new EnvoyGateway("bad4", { model, zone: "aws-eu", issuer: { trustDomain: "other.example" } }, { provider: cluster })).toThrow(/args\.issuer\.trustDomain/);
    expect(() => new EnvoyGateway("bad5", { model, zone: "aws-eu", issuer })).toThrow(/args\.clusters: no Kubernetes cluster for zone "aws-eu"/);
    expect(() => new EnvoyGateway("bad6", { model, zone: "aws-eu", issuer, image: "envoyproxy/envoy:latest" }, { provider: cluster })).toThrow(/args\.image/);
    await rec.settle();
    expect(rec.resources.length).toBe(before);
    expect(rec.resources.filter((r) => r.name.startsWith("bad"))).toEqual([]);
  });
});
