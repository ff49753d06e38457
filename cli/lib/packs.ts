/** Where the policy packs are. */
import * as path from "node:path";

/** The zero-trust pack shipped with ztmesh. */
export const DEFAULT_POLICY_PACK = path.resolve(__dirname, "..", "..", "policy-packs", "zero-trust");
