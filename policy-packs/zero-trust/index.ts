/**
 * The ztmesh zero-trust pack: `pulumi policy publish` from this directory, or
 * `pulumi preview --policy-pack <this directory>` once its dependencies are installed.
 * It depends on the published `ztmesh` package for the policies; inside the ztmesh repository
 * the offline harness (`npm run preview`, `npm run audit`, the tests) bundles them from the
 * repository's source instead (see cli/lib/own-package.ts).
 */
import { PolicyPack } from "@pulumi/policy";
import { zeroTrustPolicies } from "ztmesh/policies";

new PolicyPack("ztmesh-zero-trust", {
  enforcementLevel: "mandatory",
  policies: zeroTrustPolicies,
});
