/**
 * Helpers shared by the policies: tolerant readers that never throw on odd shapes
 * (nulls, strings where objects were expected, JSON given as a string).
 */
import { parseCached } from "../../components/trace/resources";

/** A plain object, or undefined. */
export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** An array (a single value becomes a one-element array; null/undefined an empty one). */
export function asArray(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** Parses JSON given as a string; objects pass through; anything else is undefined. */
export function jsonOrObject(v: unknown): unknown {
  if (typeof v === "string") {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return undefined;
    }
  }
  return v;
}

/** Strings of a string-or-list field. */
export function strings(v: unknown): string[] {
  return asArray(v).filter((x): x is string => typeof x === "string");
}

/** A string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A boolean (`true`/`false` or the strings "true"/"false"), or undefined. */
export function bool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

/** A finite number (numeric strings too, e.g. GCS `retentionPeriod`), or undefined. */
export function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** The string-valued entries of a map (tags, labels); anything else is an empty map. */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asRecord(v) ?? {})) if (typeof val === "string") out[k] = val;
  return out;
}

/** Reads a field by one of its spellings (`snake_case`, `camelCase`); the first present wins. */
export function field(obj: Record<string, unknown> | undefined, ...names: string[]): unknown {
  if (!obj) return undefined;
  for (const n of names) if (obj[n] !== undefined && obj[n] !== null) return obj[n];
  return undefined;
}

/** A policy's config: the user's values over the defaults, each kept only when it has the default's JSON type. */
export function configWithDefaults<T extends object>(given: unknown, defaults: T): T {
  const g = asRecord(given) ?? {};
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, d] of Object.entries(out)) {
    const v = g[k];
    if (v === undefined || v === null) continue;
    const sameKind = Array.isArray(d) ? Array.isArray(v) : typeof d === typeof v && Array.isArray(v) === Array.isArray(d);
    if (sameKind) out[k] = v;
  }
  return out as T;
}

/**
 * Parses a YAML or JSON document: JSON first when the text looks like it (much faster than the
 * YAML parser on large documents, same result), YAML otherwise. Throws when it is neither. Once
 * per distinct text for the whole pack and the tracer (`parseCached`): the Envoy, OPA and
 * conformance policies read the same ConfigMaps. The result is shared: treat it as read-only.
 */
export function parseDocument(text: string): unknown {
  return parseCached(text);
}

/**
 * A cheap pre-check before parsing a document to look for keys: false only when the text can
 * hold none of `needles` as a key. Only the escapes that encode a character by its code (`\x73`,
 * `\u0073`, `\U00000073` in YAML double-quoted and JSON strings) could spell a key without its
 * letters, so a text with one is always parsed; other backslashes (regular expressions in Envoy
 * configs) cannot.
 */
export function mayContain(text: string, needles: readonly string[]): boolean {
  return needles.some((n) => text.includes(n)) || CODE_ESCAPE.test(text);
}

/** A backslash escape that names a character by its code. */
const CODE_ESCAPE = /\\[xuU]/;

/**
 * The sentinels `@pulumi/policy` deserializes a value unknown at preview to. Reading such a
 * value through the host's proxy throws (the policy then reports an advisory "can't run during
 * preview"); {@link peek} reads it without throwing, for the few checks that only need to know
 * whether a value is present.
 */
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** True when `v` is a value unknown at preview (as {@link peek} returns it). */
export function isUnknown(v: unknown): boolean {
  return typeof v === "string" && UNKNOWN_SENTINELS.has(v);
}

/**
 * `obj[key]` read past the host's unknown check: the raw value, possibly an unknown sentinel.
 * Only to decide whether a value is set (e.g. a key reference that is another resource's
 * output); a value that is judged is read normally, so that an unknown one becomes an advisory.
 */
export function peek(obj: Record<string, unknown> | undefined, key: string): unknown {
  if (!obj) return undefined;
  try {
    return Object.getOwnPropertyDescriptor(obj, key)?.value as unknown;
  } catch {
    return undefined;
  }
}

/** True when `obj[key]` is set: a non-empty value, or one unknown at preview (an output of another resource). */
export function isSet(obj: Record<string, unknown> | undefined, key: string): boolean {
  const v = peek(obj, key);
  return v !== undefined && v !== null && v !== "" && v !== false;
}

/**
 * Runs `judge` on every item, then rethrows the first error any of them threw. For stack
 * policies that judge resources one by one: a value unknown at preview on one resource (the
 * host's UnknownValueError, which it turns into a "can't run during preview" advisory) does not
 * hide the violations of the others, which are reported first.
 */
export function judgeEach<T>(items: Iterable<T>, judge: (item: T) => void): void {
  let first: { error: unknown } | undefined;
  for (const item of items) {
    try {
      judge(item);
    } catch (error) {
      first ??= { error };
    }
  }
  if (first) throw first.error;
}
