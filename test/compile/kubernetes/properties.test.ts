import fc from "fast-check";
import { NetworkPolicy as K8sNetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { describe, expect, it } from "vitest";
import {
  GATEWAY_PORT,
  MESH_PORT,
  compileNetworkPolicies,
  compileSystemNetworkPolicies,
  networkAllows,
  workloadLabels,
} from "../../../components/compile/kubernetes";
import { type MeshModel, type Workload, buildMesh } from "../../../components/model";
import { arbMesh, type GeneratedMesh } from "../../fixtures/arbitraries";

const runs = { numRuns: 60 };

/** Every workload of a zone with its listener ports (services and data proxies). */
function zoneWorkloads(model: MeshModel, zone: string): { w: Workload; ports: number[]; targetKey: string }[] {
  return [
    ...[...model.services.values()].filter((s) => s.zone === zone).map((s) => ({ w: s as Workload, ports: s.ports.map((p) => p.port), targetKey: s.key })),
    ...[...model.dataProducts.values()].filter((p) => p.zone === zone).map((p) => ({ w: p.proxy, ports: [p.port], targetKey: p.key })),
  ];
}

const pod = (w: Workload) => ({ namespace: w.namespace, labels: workloadLabels(w) });
const engine = { namespace: "ztmesh-system", labels: { "app.kubernetes.io/name": "ztmesh-policy-engine" } };
/** Zone i's gateway LoadBalancer: 10.<i>.0.0/24 (declared only for zones `declare` picks). */
const gatewayCidr = (i: number): string => `10.${i}.0.0/24`;
const gatewayIp = (i: number): string => `10.${i}.0.9`;
const withGatewayCidrs = (g: GeneratedMesh, declare: (i: number) => boolean): GeneratedMesh => ({
  ...g,
  mesh: { ...g.mesh, zones: g.mesh.zones.map((z, i) => (declare(i) ? { ...z, gateway: { cidrs: [gatewayCidr(i)] } } : z)) },
});
/** The zones holding a destination `src` may reach (intents with `src` or `*` as source), other than its own. */
function remoteZones(model: MeshModel, srcKey: string, srcZone: string): Set<string> {
  const out = new Set<string>();
  for (const i of model.intents) {
    if (i.source.kind === "workload" && i.source.key !== srcKey) continue;
    const zone = model.services.get(i.to)?.zone ?? model.dataProducts.get(i.to)?.zone;
    if (zone !== undefined && zone !== srcZone) out.add(zone);
  }
  return out;
}

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
              expect(networkAllows(policies, pod(src), pod(dst.w), MESH_PORT), `${src.key} -> ${dst.w.key}`).toBe(declared);
              // Never an application's (or store's) own port: only the enforcement point's.
              for (const port of dst.ports) {
                if (port !== MESH_PORT) expect(networkAllows(policies, pod(src), pod(dst.w), port), `${src.key} -> ${dst.w.key}:${port}`).toBe(false);
              }
            }
          }
        }
      }),
      runs,
    );
  });

  it("lets every service reach its zone's policy engines, and the gateways of exactly the zones holding its destinations", () => {
    fc.assert(
      fc.property(arbMesh(), fc.nat(), (g0, bits) => {
        // Some zones declare their gateway's CIDRs; a source with a destination in a zone that does not is port-only.
        const declares = (i: number): boolean => ((bits >> i) & 1) === 1;
        const g = withGatewayCidrs(g0, declares);
        const model = buildMesh(g.mesh, g.domains);
        const index = new Map(model.zones.map((z, i) => [z.id, i]));
        for (const zone of model.zones) {
          const policies = [...compileNetworkPolicies(model, zone.id), ...compileSystemNetworkPolicies(model, zone.id)];
          for (const src of [...model.services.values()].filter((s) => s.zone === zone.id)) {
            expect(networkAllows(policies, pod(src), engine, 9191), src.key).toBe(true);
            const remote = remoteZones(model, src.key, zone.id);
            const portOnly = [...remote].some((z) => !declares(index.get(z)!));
            for (const other of model.zones) {
              const i = index.get(other.id)!;
              const target = { namespace: "elsewhere", labels: {}, ip: gatewayIp(i) };
              const expected = remote.has(other.id) || (portOnly && remote.size > 0);
              expect(networkAllows(policies, pod(src), target, GATEWAY_PORT), `${src.key} -> gateway of ${other.id}`).toBe(expected);
              expect(networkAllows(policies, pod(src), target, MESH_PORT)).toBe(false);
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
            for (const r of p.spec.ingress ?? []) expect(r.ports).toEqual([{ protocol: "TCP", port: MESH_PORT }]);
          }
          const second = [...compileNetworkPolicies(again, zone.id), ...compileSystemNetworkPolicies(again, zone.id)];
          expect(JSON.stringify(second)).toBe(JSON.stringify(policies));
        }
      }),
      { numRuns: 30 },
    );
  });
});
