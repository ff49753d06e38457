import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1";
import { ConfigMap, Service, ServiceAccount } from "kubernetes-models/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { EgressGateway as EgressGatewayClass } from "../../../components/gateway";
import type { Provider as K8sProvider } from "@pulumi/kubernetes";
import { Recorder } from "../../../cli/lib/recorder";
import { compileEgressGateway, validateEnvoyConfig } from "../../../components/compile/envoy";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const rec = new Recorder();
const model = buildMesh(mesh, domains);
const issuer = { trustDomain: model.trustDomain };
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => v as Obj;

let EgressGateway: typeof EgressGatewayClass;
let cluster: K8sProvider;
let eg: EgressGatewayClass;

beforeAll(async () => {
  const k8s = await import("@pulumi/kubernetes");
  ({ EgressGateway } = await import("../../../components/gateway"));
  cluster = new k8s.Provider("aws-eu-cluster", {});
  eg = new EgressGateway("eg", { model, zone: "aws-eu", issuer }, { provider: cluster });
  new EgressGateway("eg-nonp", { model, zone: "aws-eu", issuer, networkPolicies: false, replicas: 3 }, { provider: cluster });
  await rec.settle();
});

describe("EgressGateway", () => {
  it("creates its children under the component, on the zone's cluster", () => {
    const c = rec.get("eg");
    expect(c.type).toBe("ztmesh:gateway:EgressGateway");
    const kids = rec.childrenOf(c.urn);
    expect(kids.map((k) => `${k.type} ${k.name}`).sort()).toEqual(
      [
        "kubernetes:apps/v1:Deployment eg-deployment",
        "kubernetes:core/v1:ConfigMap eg-config",
        "kubernetes:core/v1:Service eg-service",
        "kubernetes:core/v1:ServiceAccount eg-sa",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy eg-allow-egress-egress-gateway",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy eg-allow-ingress-egress-gateway",
        "kubernetes:policy/v1:PodDisruptionBudget eg-pdb",
      ].sort(),
    );
    for (const k of kids) expect(k.provider).toMatch(/pulumi:providers:kubernetes::aws-eu-cluster::/);
    expect(eg.spiffeId).toBe("spiffe://mesh.acme.example/ns/ztmesh-system/sa/aws-eu-egress");
    expect(eg.host).toBe("aws-eu-egress.ztmesh-system.svc.cluster.local");
    expect(rec.childrenOf(rec.get("eg-nonp").urn).filter((k) => k.type.endsWith(":NetworkPolicy"))).toEqual([]);
  });

  it("ships the compiled egress bootstrap (valid Envoy) in an envoy ConfigMap", () => {
    const cm = rec.get("eg-config").inputs;
    expect(obj(cm.metadata)).toMatchObject({
      name: "aws-eu-egress-envoy",
      namespace: "ztmesh-system",
      labels: { "ztmesh.io/role": "envoy", "app.kubernetes.io/name": "ztmesh-egress-gateway" },
      annotations: { "ztmesh.io/artifact": "envoy/aws-eu-egress.yaml" },
    });
    const parsed = parse(String(obj(cm.data)["envoy.yaml"]));
    expect(parsed).toEqual(JSON.parse(JSON.stringify(compileEgressGateway(model, "aws-eu"))));
    expect(validateEnvoyConfig(parsed)).toEqual([]);
    expect(() => new ConfigMap(cm as never).validate()).not.toThrow();
    expect(() => new ServiceAccount(rec.get("eg-sa").inputs as never).validate()).not.toThrow();
    expect(obj(obj(rec.get("eg-sa").inputs.metadata).annotations)["ztmesh.io/spiffe-id"]).toBe(eg.spiffeId);
  });

  it("runs >= 2 restricted Envoy replicas on the mesh port behind a ClusterIP Service", () => {
    const d = rec.get("eg-deployment").inputs;
    expect(obj(d.spec).replicas).toBe(2);
    expect(obj(rec.get("eg-nonp-deployment").inputs.spec).replicas).toBe(3);
    const pod = obj(obj(obj(d.spec).template).spec);
    expect(pod.serviceAccountName).toBe("aws-eu-egress");
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 101, runAsGroup: 101, fsGroup: 101, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" } });
    const [envoy] = pod.containers as Obj[];
    expect(envoy.ports).toEqual([{ name: "mtls", containerPort: 15006, protocol: "TCP" }]);
    expect(obj(envoy.readinessProbe).tcpSocket).toEqual({ port: 15006 });
    expect(() => new Deployment(d as never).validate()).not.toThrow();
    expect(() => new PodDisruptionBudget(rec.get("eg-pdb").inputs as never).validate()).not.toThrow();
    const svc = rec.get("eg-service").inputs;
    expect(obj(svc.spec)).toMatchObject({ type: "ClusterIP", ports: [{ name: "mesh", port: 15006, targetPort: 15006, protocol: "TCP" }] });
    expect(() => new Service(svc as never).validate()).not.toThrow();
  });

  it("admits mesh pods on the mesh port only; leaves for the policy engines on 9191 and for 443", () => {
    const selector = { matchLabels: { "app.kubernetes.io/name": "ztmesh-egress-gateway" } };
    const ingress = rec.get("eg-allow-ingress-egress-gateway").inputs;
    expect(obj(ingress.metadata)).toMatchObject({ name: "allow-ingress-egress-gateway", namespace: "ztmesh-system" });
    expect(ingress.spec).toEqual({
      podSelector: selector,
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { "ztmesh.io/mesh": "true" } } }], ports: [{ protocol: "TCP", port: 15006 }] }],
    });
    const egress = rec.get("eg-allow-egress-egress-gateway").inputs;
    expect(obj(egress.metadata)).toMatchObject({ name: "allow-egress-egress-gateway", namespace: "ztmesh-system" });
    expect(egress.spec).toEqual({
      podSelector: selector,
      policyTypes: ["Egress"],
      egress: [
        { to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "ztmesh-policy-engine" } } }], ports: [{ protocol: "TCP", port: 9191 }] },
        { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
      ],
    });
    for (const np of rec.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")) expect(() => new NetworkPolicy(np.inputs as never).validate()).not.toThrow();
  });

  it("names bad input before creating anything", async () => {
    const before = rec.resources.length;
    expect(() => new EgressGateway("bad1", { model, zone: "aws-eu", issuer, replicas: 1 }, { provider: cluster })).toThrow(/args\.replicas: must be an integer >= 2, got 1/);
    expect(() => new EgressGateway("bad2", { model, zone: "mars", issuer }, { provider: cluster })).toThrow(/args\.zone: zone "mars" is not in the mesh/);
    expect(() => new EgressGateway("bad3", { model, zone: "aws-eu" } as never, { provider: cluster })).toThrow(/args\.issuer/);
    expect(() => new EgressGateway("bad4", { model, zone: "aws-eu", issuer })).toThrow(/args\.clusters/);
    await rec.settle();
    expect(rec.resources.length).toBe(before);
  });
});
