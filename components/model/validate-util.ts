/**
 * Small helpers shared by the validators: type guards for untrusted input (YAML config may
 * put anything anywhere), name rules, "did you mean" suggestions and an issue collector.
 */
import type { ValidationIssue } from "./errors";

/** A plain object read from untrusted input. */
export type Rec = Record<string, unknown>;

/** True for a non-null, non-array object. */
export function isRecord(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True for a string with at least one non-blank character. */
export function isNonEmptyString(v: unknown): v is string {
  return typeof v === "string" && v.trim().length > 0;
}

/** Renders any value for a message: strings quoted, everything else as JSON-ish text. */
export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined) return "undefined";
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return typeof v;
}

/** DNS-1123 label: lowercase alphanumerics and `-`, starting and ending alphanumeric. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** True when `v` is a DNS-1123 label of at most `max` characters. */
export function isDnsLabel(v: unknown, max = 63): v is string {
  return typeof v === "string" && v.length <= max && DNS_LABEL.test(v);
}

/** Why `v` is not a DNS-1123 label of at most `max` characters (undefined when it is). */
export function dnsLabelProblem(v: unknown, max = 63): string | undefined {
  if (typeof v !== "string") return `expected a DNS-1123 label, got ${show(v)}`;
  if (v.length === 0) return "must not be empty";
  if (v.length > max) return `${show(v)} is ${v.length} characters long, at most ${max} allowed`;
  if (!DNS_LABEL.test(v)) return `${show(v)} is not a DNS-1123 label`;
  return undefined;
}

/** The fix for a bad DNS-1123 label. */
export const DNS_LABEL_FIX = "use lowercase letters, digits and '-', starting and ending with a letter or digit";

/** Edit distance (Levenshtein, counting a transposition of adjacent characters as one edit). */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest candidate within a small edit distance of `value`, if any (ties: first candidate). */
export function closest(value: string, candidates: Iterable<string>): string | undefined {
  const max = Math.max(1, Math.floor(value.length / 3));
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = levenshtein(value.toLowerCase(), c.toLowerCase());
    if (d <= max && d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

/**
 * A fix for an unknown name: `did you mean "x"?` when a candidate is close, otherwise a short
 * list of the valid choices (or `none` when there are none).
 */
export function suggest(value: unknown, candidates: readonly string[], what = "valid choices"): string {
  const near = typeof value === "string" ? closest(value, candidates) : undefined;
  if (near !== undefined) return `did you mean ${JSON.stringify(near)}?`;
  if (candidates.length === 0) return `there are no ${what}`;
  const shown = candidates.slice(0, 8).map((c) => JSON.stringify(c));
  return `${what}: ${shown.join(", ")}${candidates.length > 8 ? `, ... (${candidates.length} in all)` : ""}`;
}

/** Collects issues. */
export class Issues {
  readonly list: ValidationIssue[] = [];

  /** Records one issue. */
  add(path: string, message: string, fix?: string): void {
    this.list.push(fix === undefined ? { path, message } : { path, message, fix });
  }

  /** Checks that `v` is a DNS-1123 label; records an issue and returns false when it is not. */
  label(path: string, v: unknown, what: string, max = 63): v is string {
    const problem = dnsLabelProblem(v, max);
    if (problem === undefined) return true;
    this.add(path, `invalid ${what}: ${problem}`, DNS_LABEL_FIX);
    return false;
  }

  /** Checks that `v` is a non-empty string; records an issue and returns false when it is not. */
  nonEmpty(path: string, v: unknown, what: string, fix: string): v is string {
    if (isNonEmptyString(v)) return true;
    this.add(path, v === undefined ? `missing ${what}` : `invalid ${what}: expected a non-empty string, got ${show(v)}`, fix);
    return false;
  }

  /**
   * Returns `v` as an array, or an empty array after recording an issue when it is present but
   * not an array (or absent while `required`).
   */
  array(path: string, v: unknown, what: string, required: boolean): unknown[] {
    if (Array.isArray(v)) return v;
    if (v === undefined && !required) return [];
    this.add(path, v === undefined ? `missing ${what}` : `${what} must be a list, got ${show(v)}`, `declare ${what} as a list`);
    return [];
  }

  /** Records an issue when `v` is not one of `allowed`; returns whether it is. */
  oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[], what: string): v is T {
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return true;
    this.add(
      path,
      v === undefined ? `missing ${what}` : `unknown ${what} ${show(v)}`,
      suggest(v, allowed, "use one of"),
    );
    return false;
  }

  /** Records an issue for every key of `obj` not in `known` (a typo would otherwise be silently ignored). */
  unknownKeys(path: string, obj: Rec, known: readonly string[], what: string): void {
    for (const k of Object.keys(obj)) {
      if (known.includes(k)) continue;
      this.add(`${path}.${k}`, `unknown field ${JSON.stringify(k)} in ${what}`, suggest(k, known, "known fields"));
    }
  }
}

/** True for an integer number. */
export function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}
