import { describe, expect, it } from "vitest";
import { withoutSourceMaps } from "../../cli/lib/run-program";

describe("withoutSourceMaps (how the preview runs programs)", () => {
  it("turns source-mapped stack traces off while the program runs and restores the setting after", async () => {
    process.setSourceMapsEnabled(true);
    const during = await withoutSourceMaps(async () => process.sourceMapsEnabled);
    expect(during).toBe(false);
    expect(process.sourceMapsEnabled).toBe(true);
  });

  it("restores the setting when the program fails, and passes its error on unchanged", async () => {
    process.setSourceMapsEnabled(true);
    const boom = new Error("program failed: bad zone");
    await expect(withoutSourceMaps(async () => Promise.reject(boom))).rejects.toBe(boom);
    expect(process.sourceMapsEnabled).toBe(true);
  });
});
