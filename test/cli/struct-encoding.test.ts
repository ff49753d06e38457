import fc from "fast-check";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { describe, expect, it } from "vitest";
import { encodeStruct } from "../../cli/lib/struct-encoding";

type Obj = Record<string, unknown>;
const reference = (o: Obj): Buffer => Buffer.from(Struct.fromJavaScript(o as Parameters<typeof Struct.fromJavaScript>[0]).serializeBinary());

/** JSON objects with the shapes resource properties take: nesting, unicode keys, every scalar. */
const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string({ unit: "binary" }),
  fc.constantFrom("", "4dabf18193072939515e22adb298388d", "04da6b54-80e4-46f7-96ec-b56ff0331ba9"),
);
const { object } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 6 }),
  // Not "__proto__": google-protobuf keeps map entries in a plain object and loses that key.
  object: fc.dictionary(fc.string({ unit: "binary", maxLength: 12 }).filter((k) => k !== "__proto__"), tie("value"), { maxKeys: 6 }),
}));

describe("encodeStruct", () => {
  it("writes byte for byte what google-protobuf writes, for any JSON object", () => {
    fc.assert(
      fc.property(object, (o) => {
        expect(encodeStruct(o as Obj).equals(reference(o as Obj))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips through the Struct decoder (keys sorted, defaults and -0 kept)", () => {
    const o = { z: "", a: 0, m: false, n: null, neg: -0, inf: -Infinity, nested: { list: [1, "two", [true, null], {}], empty: {} }, "ключ": "значение", big: 2 ** 60, long: "x".repeat(300) };
    const bytes = encodeStruct(o);
    expect(bytes.equals(reference(o))).toBe(true);
    const decoded = Struct.deserializeBinary(bytes).toJavaScript();
    expect(decoded).toEqual(o);
    expect(Object.is(decoded.neg, -0)).toBe(true);
    expect(encodeStruct({ nan: NaN }).equals(reference({ nan: NaN }))).toBe(true);
  });

  it("encodes an empty object as an empty Struct and lengths of 1, 2 and 3 bytes", () => {
    expect(encodeStruct({}).length).toBe(0);
    for (const n of [10, 200, 20_000]) {
      const o = { data: "y".repeat(n) };
      expect(encodeStruct(o).equals(reference(o))).toBe(true);
    }
  });

  it("refuses what a Struct cannot hold, as Struct.fromJavaScript does", () => {
    for (const bad of [{ u: undefined }, { f: () => 1 }, { deep: [{ b: BigInt(1) }] }]) {
      expect(() => reference(bad)).toThrow("Unexpected struct type.");
      expect(() => encodeStruct(bad)).toThrow("Unexpected struct type.");
    }
  });
});
