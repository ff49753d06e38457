import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OUTPUT_VALUE_SIG, type PropertyValue, SECRET_SIG, SPECIAL_SIG_KEY, UNKNOWN, unwrapSecrets } from "../../cli/lib/properties";

const secret = (value: PropertyValue): PropertyValue => ({ [SPECIAL_SIG_KEY]: SECRET_SIG, value });

/** The reference: a full copy with every envelope replaced (the behaviour before sharing). */
function copyUnwrap(v: unknown): PropertyValue {
  if (Array.isArray(v)) return v.map(copyUnwrap);
  if (v === undefined) return null;
  if (typeof v !== "object" || v === null) return v as PropertyValue;
  const o = v as Record<string, unknown>;
  if (o[SPECIAL_SIG_KEY] === SECRET_SIG) return "value" in o ? copyUnwrap(o.value) : typeof o.plaintext === "string" ? copyUnwrap(JSON.parse(o.plaintext)) : UNKNOWN;
  if (o[SPECIAL_SIG_KEY] === OUTPUT_VALUE_SIG) return "value" in o ? copyUnwrap(o.value) : UNKNOWN;
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, copyUnwrap(x)]));
}

const value: fc.Arbitrary<PropertyValue> = fc.letrec<{ v: PropertyValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie("v"), { maxKeys: 4 }),
    tie("v").map(secret),
  ),
})).v;

describe("unwrapSecrets", () => {
  it("replaces every secret envelope, keeping key order, and leaves its argument unchanged", () => {
    fc.assert(
      fc.property(value, (v) => {
        const before = JSON.stringify(v);
        const out = unwrapSecrets(v);
        expect(out).toEqual(copyUnwrap(v));
        expect(JSON.stringify(out)).toBe(JSON.stringify(copyUnwrap(v)));
        expect(JSON.stringify(v)).toBe(before);
      }),
    );
  });

  it("returns what has no secret inside as it is, and copies only the paths to secrets", () => {
    const plain = { spec: { ports: [{ port: 80 }] }, metadata: { name: "a" } };
    expect(unwrapSecrets(plain)).toBe(plain);
    const mixed = { metadata: plain.metadata, data: { key: secret("s3cr3t") }, list: [1, secret(2)] };
    const out = unwrapSecrets(mixed) as Record<string, unknown>;
    expect(out).toEqual({ metadata: { name: "a" }, data: { key: "s3cr3t" }, list: [1, 2] });
    expect(out).not.toBe(mixed);
    expect(out.metadata).toBe(plain.metadata);
    expect((mixed.data as Record<string, unknown>).key).toEqual(secret("s3cr3t"));
  });
});
