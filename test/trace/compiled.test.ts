import { describe, expect, it } from "vitest";
import { buildMesh } from "../../components/model";
import { buildRequest, snapshotFromModel, traceRequest } from "../../components/trace";
import { domains, mesh } from "../fixtures/mesh";

describe("snapshotFromModel", () => {
  it("has every zone's gateway, every service's workload proxy and every data proxy, with policy data per zone", () => {
    const model = buildMesh(mesh, domains);
    const s = snapshotFromModel(model);
    expect(s.proxies.filter((p) => p.kind === "gateway")).toHaveLength(model.zones.length);
    expect(s.proxies.filter((p) => p.kind === "workload").map((p) => p.workload).sort()).toEqual([...model.services.keys()].sort());
    expect(s.proxies.filter((p) => p.kind === "data-proxy").map((p) => p.workload).sort()).toEqual([...model.dataProducts.keys()].sort());
    expect(Object.keys(s.zones["gcp-eu"].opa!.data.domains).sort()).toEqual(["risk"]);
  });

  it("crosses zones through a gateway whose declared CIDRs the caller's egress names", () => {
    const withCidrs = { ...mesh, zones: mesh.zones.map((z) => (z.id === "gcp-eu" ? { ...z, gateway: { host: "gw.gcp.example", cidrs: ["203.0.113.0/28"] } } : z)) };
    const s = snapshotFromModel(buildMesh(withCidrs, domains));
    const r = traceRequest(s, buildRequest(s, { from: "trading/order-api", to: "risk/risk-engine", method: "GET", path: "/limits" }));
    expect(r.delivered).toBe(true);
    const egress = r.hops.find((h) => h.kind === "network-policy" && h.at === "aws-eu")!;
    expect(egress.rule).toContain("(to an address outside the cluster (203.0.113.0) port 8443)");
    expect(r.hops.find((h) => h.kind === "cluster")!.rule).toContain("-> gw.gcp.example:8443");
  });
});
