/**
 * Helpers shared by the policies: tolerant readers that never throw on odd shapes
 * (nulls, strings where objects were expected, JSON given as a string).
 */

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
