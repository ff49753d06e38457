import { describe, expect, it } from "vitest";
import { PolicyPackProcess } from "../../cli/lib/analyzer";
import { DEFAULT_POLICY_PACK } from "../../cli/lib/packs";

describe("the zero-trust pack under the Pulumi CLI's own TypeScript path", () => {
  it("type-checks and serves through run-policy-pack given the pack directory, as `pulumi preview --policy-pack` does", async () => {
    const pack = await PolicyPackProcess.start(DEFAULT_POLICY_PACK, { typescript: "host" });
    try {
      const info = await pack.info();
      expect(info.name).toBe("ztmesh-zero-trust");
      expect(info.policies.map((p) => p.name)).toContain("aws-iam-no-wildcards");
    } finally {
      pack.stop();
    }
  }, 240_000);
});
