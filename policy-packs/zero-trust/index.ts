/** The ztmesh zero-trust pack: `pulumi preview --policy-pack policy-packs/zero-trust`. */
import { PolicyPack } from "@pulumi/policy";
import { zeroTrustPolicies } from "../policies";

new PolicyPack("ztmesh-zero-trust", {
  enforcementLevel: "mandatory",
  policies: zeroTrustPolicies,
});
