/** Artifacts taken from recorded inputs: Kubernetes manifests of different clusters never overwrite each other. */
import { describe, expect, it } from "vitest";
import { collectArtifacts, type ResourceLike } from "../../cli/lib/artifacts";

const policy = (provider: string | undefined, zoneLabel?: string): ResourceLike => ({
  type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  name: "np",
  provider,
  rawInputs: {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny", namespace: "trading", labels: zoneLabel ? { "ztmesh.io/zone": zoneLabel } : {} },
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  },
});

describe("collectArtifacts", () => {
  it("files Kubernetes manifests by cluster: the provider's name, else the zone label, else default", () => {
    const files = collectArtifacts([
      policy("urn:pulumi:dev::p::pulumi:providers:kubernetes::aws-eu-cluster::id-1"),
      policy("urn:pulumi:dev::p::pulumi:providers:kubernetes::gcp-eu-cluster::id-2"),
      policy(undefined, "dc-eu"),
      policy(undefined),
    ]);
    const k8s = [...files.keys()].filter((f) => f.startsWith("kubernetes/"));
    expect(k8s.sort()).toEqual([
      "kubernetes/aws-eu-cluster/networkpolicy-trading-default-deny.yaml",
      "kubernetes/dc-eu/networkpolicy-trading-default-deny.yaml",
      "kubernetes/default/networkpolicy-trading-default-deny.yaml",
      "kubernetes/gcp-eu-cluster/networkpolicy-trading-default-deny.yaml",
    ]);
  });
});
