import { beforeAll, describe, expect, it } from "vitest";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Recorder } from "../../../cli/lib/recorder";
import type * as K8sHelpers from "../../../components/k8s";

const rec = new Recorder();
let helpers: typeof K8sHelpers;

beforeAll(async () => {
  helpers = await import("../../../components/k8s");
  helpers.redundantDeployment(
    "edge",
    {
      metadata: { name: "edge", namespace: "ztmesh-system", labels: { "app.kubernetes.io/name": "edge", "ztmesh.io/zone": "z1" } },
      selector: { "app.kubernetes.io/name": "edge" },
      replicas: 3,
      configHash: helpers.configHash("config v1"),
      failureZones: ["a", "b"],
      pod: { serviceAccountName: "edge", containers: [{ name: "envoy", image: "envoyproxy/envoy:v1.34.1" }] },
    },
    {},
  );
  await rec.settle();
});

describe("redundantDeployment", () => {
  it("rolls by surge, again on a config change, with the pods spread over the failure zones", () => {
    const d = rec.get("edge-deployment", "kubernetes:apps/v1:Deployment").inputs;
    new Deployment(d as never).validate();
    expect(d).toMatchObject({
      metadata: { name: "edge", namespace: "ztmesh-system" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { "app.kubernetes.io/name": "edge" } },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: { "app.kubernetes.io/name": "edge", "ztmesh.io/zone": "z1" }, annotations: { [helpers.CONFIG_HASH_ANNOTATION]: helpers.configHash("config v1") } },
          spec: { serviceAccountName: "edge", ...helpers.zonePlacement(["a", "b"], { "app.kubernetes.io/name": "edge" }) },
        },
      },
    });
  });

  it("keeps all pods but one available through voluntary disruptions", () => {
    const pdb = rec.get("edge-pdb", "kubernetes:policy/v1:PodDisruptionBudget").inputs;
    new PodDisruptionBudget(pdb as never).validate();
    expect(pdb).toEqual({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "edge", namespace: "ztmesh-system", labels: { "app.kubernetes.io/name": "edge", "ztmesh.io/zone": "z1" } },
      spec: { minAvailable: 2, selector: { matchLabels: { "app.kubernetes.io/name": "edge" } } },
    });
  });
});
