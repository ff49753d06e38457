/** The per-zone plan: every part the components deploy for a zone, from the pure compilers. */
import { describe, expect, it } from "vitest";
import { compileEgressGateway, compileGateway, compileWorkloadProxy, validateEnvoyConfig, workloadUpstreams } from "../../components/compile/envoy";
import { compileAuthzFront } from "../../components/compile/envoy/authz-front";
import { compileNetworkPolicies, compileSystemNetworkPolicies } from "../../components/compile/kubernetes";
import { buildMesh } from "../../components/model";
import { planWorkloadProxies, planZone } from "../../components/plan/zone";
import { domains, mesh } from "../fixtures/mesh";

const model = buildMesh(mesh, domains);

describe("planZone", () => {
  it("holds exactly what the compilers give for the zone, every Envoy schema-valid", () => {
    const plan = planZone(model, "aws-eu", { opa: { policyModules: {} } });
    expect(plan.zone.id).toBe("aws-eu");
    expect(plan.gateway).toEqual(compileGateway(model, "aws-eu"));
    expect(plan.egressGateway).toEqual(compileEgressGateway(model, "aws-eu"));
    expect(plan.policyEngineFront).toEqual(compileAuthzFront(model, "aws-eu"));
    expect(plan.networkPolicies).toEqual({ workloads: compileNetworkPolicies(model, "aws-eu"), system: compileSystemNetworkPolicies(model, "aws-eu") });
    const here = [...model.services.values()].filter((s) => s.zone === "aws-eu").map((s) => s.key);
    expect(plan.workloadProxies.map((w) => w.service.key)).toEqual(here);
    for (const w of plan.workloadProxies) {
      expect(w.bootstrap).toEqual(compileWorkloadProxy(model, w.service.key));
      expect(w.upstreams).toEqual(workloadUpstreams(model, w.service.key));
      expect(w.pod.hostAliases.flatMap((a) => a.hostnames)).toEqual(expect.arrayContaining(w.upstreams.flatMap((u) => u.hostnames)));
    }
    expect(plan.dataProxies.map((d) => d.product.key)).toEqual([...model.dataProducts.values()].filter((p) => p.zone === "aws-eu").map((p) => p.key));
    for (const b of [plan.gateway, plan.egressGateway, plan.policyEngineFront, ...plan.workloadProxies.map((w) => w.bootstrap), ...plan.dataProxies.map((d) => d.bootstrap)]) {
      expect(validateEnvoyConfig(b)).toEqual([]);
    }
  });

  it("narrows the proxies to one domain (what its stack instantiates)", () => {
    const domain = [...model.services.values()].find((s) => s.zone === "aws-eu")!.domain;
    const plan = planZone(model, "aws-eu", { domain, opa: { policyModules: {} } });
    expect(plan.workloadProxies.every((w) => w.service.domain === domain && w.service.zone === "aws-eu")).toBe(true);
    expect(plan.workloadProxies).toEqual(planWorkloadProxies(model, "aws-eu", domain));
    expect(plan.dataProxies.every((d) => d.product.domain === domain)).toBe(true);
  });

  it("refuses a zone the mesh does not have, naming the zones", () => {
    expect(() => planZone(model, "mars-1")).toThrow(`planZone: zone "mars-1" is not in the mesh (zones: ${model.zones.map((z) => z.id).join(", ")})`);
  });
});
