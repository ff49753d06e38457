import { describe, expect, it } from "vitest";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { Recorder } from "../../../cli/lib/recorder";
import { buildMesh } from "../../../components/model";
import { ValidationError } from "../../../components/model/errors";
import { mesh, domains } from "../../fixtures/mesh";

const model = buildMesh(mesh, domains);
const NS = "kubernetes:core/v1:Namespace";
const SA = "kubernetes:core/v1:ServiceAccount";
const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

describe("MeshNamespace", () => {
  it("creates a restricted namespace, its compiled policies and one ServiceAccount per identity", async () => {
    const rec = new Recorder();
    const { MeshNamespace } = await import("../../../components/namespace");
    const { compileNetworkPolicies } = await import("../../../components/compile/kubernetes");
    const mn = new MeshNamespace("trading", {
      model,
      zone: "aws-eu",
      namespace: "trading",
      cloudPrincipals: { "trading/matching": "arn:aws:iam::123456789012:role/matching" },
    });
    await rec.settle();
    const urn = rec.get("trading").urn;
    expect(rec.get("trading").type).toBe("ztmesh:namespace:MeshNamespace");

    const [ns] = rec.ofType(NS);
    expect(ns.parent).toBe(urn);
    expect(ns.inputs.metadata).toMatchObject({
      name: "trading",
      labels: {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
        "ztmesh.io/mesh-namespace": "true",
        "ztmesh.io/zone": "aws-eu",
      },
    });
    new Namespace(ns.inputs as never).validate();

    const expected = compileNetworkPolicies(model, "aws-eu").filter((p) => p.metadata.namespace === "trading");
    const policies = rec.ofType(NP);
    expect(policies.map((p) => (p.inputs.metadata as { name: string }).name).sort()).toEqual(expected.map((p) => p.metadata.name).sort());
    for (const e of expected) expect(rec.get(`trading-${e.metadata.name}`).inputs.spec).toEqual(e.spec);
    expect(policies.map((p) => p.inputs.metadata as { name: string })).toContainEqual(expect.objectContaining({ name: "default-deny" }));
    for (const p of policies) {
      expect(p.parent).toBe(urn);
      expect(p.dependencies).toContain(ns.urn);
      new NetworkPolicy(p.inputs as never).validate();
    }
    const deny = policies.find((p) => (p.inputs.metadata as { name: string }).name === "default-deny")!;
    expect(deny.inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });

    const sas = rec.ofType(SA);
    expect(sas.map((s) => (s.inputs.metadata as { name: string }).name).sort()).toEqual(["matching", "order-api", "trades-proxy"]);
    expect(mn.serviceAccountNames).toEqual(["matching", "order-api", "trades-proxy"]);
    for (const s of sas) {
      expect(s.parent).toBe(urn);
      expect(s.inputs.automountServiceAccountToken).toBe(false);
      new ServiceAccount(s.inputs as never).validate();
    }
    expect(rec.get("trading-sa-matching").inputs.metadata).toMatchObject({
      namespace: "trading",
      annotations: {
        "ztmesh.io/spiffe-id": "spiffe://mesh.acme.example/ns/trading/sa/matching",
        "ztmesh.io/cloud-principal": "arn:aws:iam::123456789012:role/matching",
      },
    });
    expect((rec.get("trading-sa-order-api").inputs.metadata as { annotations: object }).annotations).toEqual({
      "ztmesh.io/spiffe-id": "spiffe://mesh.acme.example/ns/trading/sa/order-api",
    });
    expect(rec.get("trading").outputs).toMatchObject({ namespaceName: "trading", serviceAccountNames: ["matching", "order-api", "trades-proxy"] });
  });

  it("gives a namespace without workloads its default-deny baseline anyway", async () => {
    const rec = new Recorder();
    const { MeshNamespace } = await import("../../../components/namespace");
    new MeshNamespace("empty", { model, zone: "aws-eu", namespace: "sandbox" });
    await rec.settle();
    expect(rec.ofType(NP).map((p) => (p.inputs.metadata as { name: string }).name).sort()).toEqual(["allow-dns", "default-deny"]);
    expect(rec.ofType(SA)).toEqual([]);
  });

  it.each([
    [{ zone: "mars-1" }, "args.zone", '"mars-1"'],
    [{ namespace: "Trading_NS" }, "args.namespace", '"Trading_NS"'],
    [{ namespace: "ztmesh-system" }, "args.namespace", '"ztmesh-system"'],
    [{ cloudPrincipals: { "risk/risk-engine": "x" } }, 'args.cloudPrincipals["risk/risk-engine"]', '"risk/risk-engine"'],
    [{ podSecurityVersion: "1.30" }, "args.podSecurityVersion", '"1.30"'],
  ])("rejects %j naming the argument and the value before creating anything", async (bad, path, value) => {
    const rec = new Recorder();
    const { MeshNamespace } = await import("../../../components/namespace");
    let err: unknown;
    try {
      new MeshNamespace("bad", { model, zone: "aws-eu", namespace: "trading", ...bad });
    } catch (e) {
      err = e;
    }
    await rec.settle();
    expect(err).toBeInstanceOf(ValidationError);
    const issue = (err as ValidationError).issues[0];
    expect(issue.path).toBe(path);
    expect(issue.message).toContain(value);
    expect(rec.resources.filter((r) => r.custom)).toEqual([]);
  });
});
