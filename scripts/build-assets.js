// After `tsc -p tsconfig.build.json`: the files the compiled package reads at run time that tsc
// does not emit. The Rego beside the compiled OPA compiler, and the zero-trust pack's manifests
// beside its compiled entry point (the policy-pack host reads the pack's version from its
// package.json; `ztmesh preview`/`audit` run dist/policy-packs/zero-trust by default).
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");
fs.cpSync(path.join(root, "components/compile/opa/rego"), path.join(dist, "components/compile/opa/rego"), { recursive: true });
for (const f of ["package.json", "PulumiPolicy.yaml"]) {
  fs.copyFileSync(path.join(root, "policy-packs/zero-trust", f), path.join(dist, "policy-packs/zero-trust", f));
}
fs.chmodSync(path.join(dist, "cli/index.js"), 0o755);
