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

  it("annotates a workload's identities in every cloud: per cloud when it has one there, all of them by zone", async () => {
    const rec = new Recorder();
    const { MeshNamespace } = await import("../../../components/namespace");
    const role = "arn:aws:iam::123456789012:role/ztmesh-trading-matching";
    new MeshNamespace("ids", {
      model,
      zone: "aws-eu",
      namespace: "trading",
      cloudPrincipals: { "trading/matching": role },
      cloudIdentities: {
        "trading/matching": [
          { zones: ["aws-eu"], cloud: "aws", principal: role, audience: "sts.amazonaws.com" },
          { zones: ["gcp-eu"], cloud: "gcp", principal: "trading-matching@acme-risk.iam.gserviceaccount.com", audience: "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/spire" },
          // Two identities in one cloud (two tenants): no per-cloud annotation can name both.
          { zones: ["azure-eu"], cloud: "azure", principal: "client-1", audience: "api://AzureADTokenExchange", tenantId: "t-1" },
          { zones: ["dc-eu"], cloud: "azure", principal: "client-2", audience: "api://AzureADTokenExchange", tenantId: "t-2" },
        ],
      },
    });
    await rec.settle();
    const annotations = (rec.get("ids-sa-matching").inputs.metadata as { annotations: Record<string, string> }).annotations;
    expect(annotations).toMatchObject({
      "ztmesh.io/cloud-principal": role,
      "ztmesh.io/aws-role-arn": role,
      "ztmesh.io/gcp-service-account": "trading-matching@acme-risk.iam.gserviceaccount.com",
      "ztmesh.io/gcp-audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/spire",
    });
    expect(annotations["ztmesh.io/azure-client-id"]).toBeUndefined();
    expect(JSON.parse(annotations["ztmesh.io/cloud-identities"])).toEqual({
      "aws-eu": { cloud: "aws", principal: role, audience: "sts.amazonaws.com" },
      "azure-eu": { cloud: "azure", principal: "client-1", audience: "api://AzureADTokenExchange", tenantId: "t-1" },
      "dc-eu": { cloud: "azure", principal: "client-2", audience: "api://AzureADTokenExchange", tenantId: "t-2" },
      "gcp-eu": { cloud: "gcp", principal: "trading-matching@acme-risk.iam.gserviceaccount.com", audience: "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/spire" },
    });
    // Workloads without identities get none of these annotations.
    expect(Object.keys((rec.get("ids-sa-order-api").inputs.metadata as { annotations: object }).annotations)).toEqual(["ztmesh.io/spiffe-id"]);
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
    [{ cloudIdentities: { "risk/risk-engine": [] } }, 'args.cloudIdentities["risk/risk-engine"]', '"risk/risk-engine"'],
    [{ cloudIdentities: { "trading/matching": [{ zones: ["mars-1"], cloud: "aws" as const, principal: "x", audience: "a" }] } }, 'args.cloudIdentities["trading/matching"][0].zones', '"mars-1"'],
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
