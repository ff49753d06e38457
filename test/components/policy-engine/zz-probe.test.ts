import { it } from "vitest";
it("probe", async () => {
  const { buildMesh } = await import("../../../components/model");
  const { domains, mesh } = await import("../../fixtures/mesh");
  const { compileNetworkPolicies } = await import("../../../components/compile/kubernetes");
  const model = buildMesh(mesh, domains);
  for (const p of compileNetworkPolicies(model, "aws-eu")) if (p.metadata.name.includes("trades-proxy")) console.log(JSON.stringify(p, null, 1));
});
