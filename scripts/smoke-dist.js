// Loads the built package the way a user does (`require("ztmesh")`, `require("ztmesh/policies")`)
// and compiles the OPA bundles, which read the Rego shipped beside the compiled code.
const assert = require("node:assert");
const ztmesh = require("ztmesh");
const policies = require("ztmesh/policies");

const model = ztmesh.buildMesh(
  { trustDomain: "mesh.example", zones: [{ id: "z1", cloud: "onprem", region: "eu-dc1", failureZones: ["a", "b"] }] },
  [{ name: "d", owner: "o@example", services: [{ name: "a", zone: "z1", ports: [{ port: 8080 }] }, { name: "b", zone: "z1", ports: [{ port: 8080 }] }], intents: [{ from: "a", to: "b" }] }],
);
const bundles = ztmesh.opa.compileOpaBundles(model, "z1");
assert.ok(bundles.platform.rego && Object.keys(bundles.platform.rego).length > 0, "the Rego ships with the package");
assert.ok(Array.isArray(policies.zeroTrustPolicies) && policies.zeroTrustPolicies.length > 20, "the policies are exported");
assert.strictEqual(typeof ztmesh.HybridMesh, "function");
console.log(`dist ok: ${policies.zeroTrustPolicies.length} policies, platform bundle revision ${bundles.platform.manifest.revision.slice(0, 12)}`);
