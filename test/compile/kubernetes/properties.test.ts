import fc from "fast-check";
import { NetworkPolicy as K8sNetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { describe, expect, it } from "vitest";
import {
  compileNetworkPolicies,
  compileSystemNetworkPolicies,
  networkAllows,
  workloadLabels,
} from "../../../components/compile/kubernetes";
import { type MeshModel, type Workload, buildMesh } from "../../../components/model";
import { arbMesh } from "../../fixtures/arbitraries";

const runs = { numRuns: 60 };

/** Every workload of a zone with its listener ports (services and data proxies). */
function zoneWorkloads(model: MeshModel, zone: string): { w: Workload; ports: number[]; targetKey: string }[] {
  return [
    ...[...model.services.values()].filter((s) => s.zone === zone).map((s) => ({ w: s as Workload, ports: s.ports.map((p) => p.port), targetKey: s.key })),
    ...[...model.dataProducts.values()].filter((p) => p.zone === zone).map((p) => ({ w: p.proxy, ports: [p.port], targetKey: p.key })),
  ];
}

const pod = (w: Workload) => ({ namespace: w.namespace, labels: workloadLabels(w) });

describe("compileNetworkPolicies properties", () => {
  it("allows exactly the declared same-zone service -> workload flows", () => {
    fc.assert(
      fc.property(arbMesh(), ({ mesh, domains }) => {
        const model = buildMesh(mesh, domains);
        for (const zone of model.zones) {
          const policies = [...compileNetworkPolicies(model, zone.id), ...compileSystemNetworkPolicies(model, zone.id)];
          const workloads = zoneWorkloads(model, zone.id);
          for (const src of [...model.services.values()].filter((s) => s.zone === zone.id)) {
            for (const dst of workloads) {
              const declared = model.intents.some(
                (i) => i.to === dst.targetKey && (i.source.kind === "any" || i.source.key === src.key),
              );
              for (const port of dst.ports) {
                expect(networkAllows(policies, pod(src), pod(dst.w), port), `${src.key} -> ${dst.w.key}:${port}`).toBe(declared);
              }
            }
          }
        }
      }),
      runs,
    );
  });

  it("has default-deny in every namespace and one ingress policy per destination with sources", () => {
    fc.assert(
      fc.property(arbMesh(), ({ mesh, domains }) => {
        const model = buildMesh(mesh, domains);
        for (const zone of model.zones) {
          const policies = compileNetworkPolicies(model, zone.id);
          const workloads = zoneWorkloads(model, zone.id);
          const namespaces = new Set(workloads.map((x) => x.w.namespace));
          for (const ns of namespaces) {
            expect(policies.some((p) => p.metadata.namespace === ns && p.metadata.name === "default-deny")).toBe(true);
          }
          expect(new Set(policies.map((p) => p.metadata.namespace))).toEqual(namespaces);
          const withSources = workloads.filter((x) => model.intents.some((i) => i.to === x.targetKey));
          expect(policies.filter((p) => p.metadata.name.startsWith("allow-ingress-"))).toHaveLength(withSources.length);
          const names = policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
          expect(new Set(names).size).toBe(names.length);
        }
      }),
      runs,
    );
  });

  it("emits schema-valid objects, never an ipBlock towards workloads, deterministically", () => {
    fc.assert(
      fc.property(arbMesh(), ({ mesh, domains }) => {
        const model = buildMesh(mesh, domains);
        const again = buildMesh(mesh, domains);
        for (const zone of model.zones) {
          const policies = [...compileNetworkPolicies(model, zone.id), ...compileSystemNetworkPolicies(model, zone.id)];
          for (const p of policies) expect(() => new K8sNetworkPolicy(p).validate()).not.toThrow();
          for (const p of compileNetworkPolicies(model, zone.id)) {
            for (const r of p.spec.ingress ?? []) expect((r.from ?? []).every((peer) => peer.ipBlock === undefined)).toBe(true);
          }
          const second = [...compileNetworkPolicies(again, zone.id), ...compileSystemNetworkPolicies(again, zone.id)];
          expect(JSON.stringify(second)).toBe(JSON.stringify(policies));
        }
      }),
      { numRuns: 30 },
    );
  });
});
