import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PUBLIC_V4, blockRanges, cidrsRanges, covers, internetFamilies, merge, parseCidr, subtract } from "../../policy-packs/policies/cidr";

const v4 = (n: bigint) => [Number((n >> 24n) & 255n), Number((n >> 16n) & 255n), Number((n >> 8n) & 255n), Number(n & 255n)].join(".");
const block = fc.tuple(fc.bigInt(0n, (1n << 32n) - 1n), fc.integer({ min: 0, max: 32 })).map(([a, len]) => `${v4(a)}/${len}`);

describe("cidr coverage", () => {
  it("parses IPv4 and IPv6, normalizing host bits, and rejects garbage", () => {
    expect(parseCidr("10.1.2.3/8")?.range).toEqual({ lo: 10n << 24n, hi: (11n << 24n) - 1n });
    expect(parseCidr("::/0")?.range.hi).toBe((1n << 128n) - 1n);
    expect(parseCidr("2001:db8::1")?.family).toBe("v6");
    for (const bad of ["", "1.2.3/8", "1.2.3.4/33", "256.0.0.0/8", "::1::/8", "x", "1.2.3.4/8/9", "1.2.3.4/-1"]) expect(parseCidr(bad), bad).toBeUndefined();
  });

  it("decides internet coverage", () => {
    expect(internetFamilies([cidrsRanges(["0.0.0.0/0"])])).toEqual(["IPv4"]);
    expect(internetFamilies([cidrsRanges(["0.0.0.0/1", "128.0.0.0/1", "::/3"])])).toEqual(["IPv4"]);
    expect(internetFamilies([cidrsRanges(["2000::/3"])])).toEqual(["IPv6"]);
    expect(internetFamilies([blockRanges("0.0.0.0/0", ["10.0.0.0/8", "172.16.0.0/12"])])).toEqual(["IPv4"]);
    expect(internetFamilies([blockRanges("0.0.0.0/0", ["8.8.8.8/32"])])).toEqual([]);
  });

  it("splitting a block into halves never changes coverage", () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 6 }), block, (others, b) => {
        const p = parseCidr(b);
        if (!p || p.range.lo === p.range.hi) return;
        const mid = (p.range.lo + p.range.hi + 1n) / 2n;
        const len = Number(b.split("/")[1]) + 1;
        const halves = [`${v4(p.range.lo)}/${len}`, `${v4(mid)}/${len}`];
        expect(covers(cidrsRanges([...others, b]).v4, PUBLIC_V4)).toBe(covers(cidrsRanges([...others, ...halves]).v4, PUBLIC_V4));
      }),
    );
  });

  it("a block minus its exceptions covers exactly what is left", () => {
    fc.assert(
      fc.property(block, fc.array(block, { maxLength: 4 }), (b, except) => {
        const left = blockRanges(b, except).v4;
        // nothing of an exception is left ...
        for (const e of except) expect(subtract(cidrsRanges([e]).v4, left)).toEqual(merge(cidrsRanges([e]).v4));
        // ... and together with the exceptions the block is whole again
        const total = merge([...left, ...cidrsRanges(except).v4]);
        expect(covers(total, cidrsRanges([b]).v4)).toBe(true);
      }),
    );
  });
});
