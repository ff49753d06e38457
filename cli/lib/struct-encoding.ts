/**
 * Protobuf wire encoding of `google.protobuf.Struct` straight from a JSON-like value, the
 * bulk of every analyzer request (a resource's inputs or outputs). It writes the same bytes as
 * `Struct.fromJavaScript(value).serializeBinary()` (google-protobuf: map entries in sorted key
 * order, oneof members written even when they hold a default) without building a message
 * object per value, which is most of the analysis thread's CPU on large stacks.
 *
 * struct.proto: Struct { map<string, Value> fields = 1 }; Value { oneof kind { NullValue
 * null_value = 1; double number_value = 2; string string_value = 3; bool bool_value = 4;
 * Struct struct_value = 5; ListValue list_value = 6 } }; ListValue { repeated Value values = 1 }.
 */

/** A value a Struct can hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Wire tags: (field << 3) | wire type. */
const TAG = {
  entry: 0x0a, // Struct.fields / ListValue.values / MapEntry.key: field 1, length-delimited
  entryValue: 0x12, // MapEntry.value: field 2, length-delimited
  null: 0x08, // Value.null_value: field 1, varint
  number: 0x11, // Value.number_value: field 2, 64-bit
  string: 0x1a, // Value.string_value: field 3, length-delimited
  bool: 0x20, // Value.bool_value: field 4, varint
  struct: 0x2a, // Value.struct_value: field 5, length-delimited
  list: 0x32, // Value.list_value: field 6, length-delimited
} as const;

function varintSize(n: number): number {
  let size = 1;
  for (let v = n; v >= 0x80; v >>>= 7) size++;
  return size;
}

/** Sizes (and sorted keys) computed once per object or array, then used to write. */
class Plan {
  readonly sizes = new Map<object, number>();
  readonly keys = new Map<object, string[]>();
  readonly strings = new Map<string, number>();

  bytes(s: string): number {
    let n = this.strings.get(s);
    if (n === undefined) this.strings.set(s, (n = Buffer.byteLength(s, "utf8")));
    return n;
  }

  /** Size of a Value message. */
  value(v: unknown): number {
    switch (typeof v) {
      case "number":
        return 9;
      case "boolean":
        return 2;
      case "string": {
        const n = this.bytes(v);
        return 1 + varintSize(n) + n;
      }
      case "object": {
        if (v === null) return 2;
        const n = Array.isArray(v) ? this.list(v) : this.struct(v as Record<string, unknown>);
        return 1 + varintSize(n) + n;
      }
      default:
        throw new Error("Unexpected struct type."); // what Struct.fromJavaScript throws
    }
  }

  /** Size of a Struct message. */
  struct(o: Record<string, unknown>): number {
    const known = this.sizes.get(o);
    if (known !== undefined) return known;
    const keys = Object.keys(o).sort();
    let size = 0;
    for (const k of keys) {
      const kn = this.bytes(k);
      const vn = this.value(o[k]);
      const entry = 1 + varintSize(kn) + kn + 1 + varintSize(vn) + vn;
      size += 1 + varintSize(entry) + entry;
    }
    this.keys.set(o, keys);
    this.sizes.set(o, size);
    return size;
  }

  /** Size of a ListValue message. */
  list(a: unknown[]): number {
    const known = this.sizes.get(a);
    if (known !== undefined) return known;
    let size = 0;
    for (const v of a) {
      const n = this.value(v);
      size += 1 + varintSize(n) + n;
    }
    this.sizes.set(a, size);
    return size;
  }
}

class Writer {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    private readonly plan: Plan,
  ) {}

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  varint(n: number): void {
    let v = n;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  string(s: string): void {
    const n = this.plan.bytes(s);
    this.varint(n);
    this.pos += this.buf.write(s, this.pos, n, "utf8");
  }

  value(v: unknown): void {
    switch (typeof v) {
      case "number":
        this.byte(TAG.number);
        // google-protobuf writes NaN as 0x7fffffffffffffff (any NaN decodes the same).
        if (Number.isNaN(v)) this.buf.writeBigUInt64LE(0x7fffffffffffffffn, this.pos);
        else this.buf.writeDoubleLE(v, this.pos);
        this.pos += 8;
        return;
      case "boolean":
        this.byte(TAG.bool);
        this.byte(v ? 1 : 0);
        return;
      case "string":
        this.byte(TAG.string);
        this.string(v);
        return;
      default:
        if (v === null) {
          this.byte(TAG.null);
          this.byte(0);
        } else if (Array.isArray(v)) {
          this.byte(TAG.list);
          this.varint(this.plan.sizes.get(v) as number);
          this.list(v);
        } else {
          this.byte(TAG.struct);
          this.varint(this.plan.sizes.get(v as object) as number);
          this.struct(v as Record<string, unknown>);
        }
    }
  }

  struct(o: Record<string, unknown>): void {
    for (const k of this.plan.keys.get(o) as string[]) {
      const v = o[k];
      const kn = this.plan.bytes(k);
      const vn = this.plan.value(v);
      this.byte(TAG.entry);
      this.varint(1 + varintSize(kn) + kn + 1 + varintSize(vn) + vn);
      this.byte(TAG.entry);
      this.string(k);
      this.byte(TAG.entryValue);
      this.varint(vn);
      this.value(v);
    }
  }

  list(a: unknown[]): void {
    for (const v of a) {
      this.byte(TAG.entry);
      this.varint(this.plan.value(v));
      this.value(v);
    }
  }
}

/**
 * The wire bytes of `google.protobuf.Struct` for a plain object of JSON values (byte for byte
 * what google-protobuf writes). Throws `Unexpected struct type.` on a value JSON cannot hold
 * (undefined, a function, a symbol, a bigint), as `Struct.fromJavaScript` does.
 */
export function encodeStruct(o: Record<string, unknown>): Buffer {
  const plan = new Plan();
  const size = plan.struct(o);
  const w = new Writer(Buffer.allocUnsafe(size), plan);
  w.struct(o);
  return w.buf;
}
