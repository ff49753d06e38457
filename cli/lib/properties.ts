/**
 * Pulumi's wire form of property values: secrets, unknowns, resource references and
 * assets carry signatures (the same constants as `@pulumi/pulumi/runtime/rpc`).
 */

/** A property bag as it travels over the engine's gRPC protocols. */
export type PropertyValue = null | boolean | number | string | PropertyValue[] | { [key: string]: PropertyValue };
export type PropertyMap = { [key: string]: PropertyValue };

export const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/** The value the engine sends for a property not known until the update (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function isObject(v: unknown): v is { [key: string]: PropertyValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True when `v` is, or contains, an unknown value. */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (isObject(v)) return Object.values(v).some(containsUnknown);
  return false;
}

/**
 * Replaces secret envelopes by their plaintext, recursively. Export files' secrets
 * (`{sig, plaintext: "<json>"}`) are decoded too; encrypted ones (`ciphertext`) cannot
 * be read offline and become unknown. Arrays and objects with nothing to replace inside are
 * returned as they are, not copied (a recorded resource's inputs and their unwrapped form then
 * share everything but the secrets): treat the result as read-only.
 */
export function unwrapSecrets(v: unknown): PropertyValue {
  if (Array.isArray(v)) {
    let out: PropertyValue[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const u = unwrapSecrets(v[i]);
      if (out === undefined && u !== v[i]) out = v.slice(0, i) as PropertyValue[];
      out?.push(u);
    }
    return out ?? (v as PropertyValue[]);
  }
  if (!isObject(v)) return (v === undefined ? null : v) as PropertyValue;
  if (v[SPECIAL_SIG_KEY] === SECRET_SIG) {
    if ("value" in v) return unwrapSecrets(v.value);
    if (typeof v.plaintext === "string") return unwrapSecrets(JSON.parse(v.plaintext));
    return UNKNOWN;
  }
  if (v[SPECIAL_SIG_KEY] === OUTPUT_VALUE_SIG) {
    return "value" in v ? unwrapSecrets(v.value) : UNKNOWN;
  }
  let out: { [key: string]: PropertyValue } | undefined;
  for (const k of Object.keys(v)) {
    const val = v[k];
    const u = unwrapSecrets(val);
    if (out === undefined && u !== val) {
      out = {};
      for (const before of Object.keys(v)) {
        if (before === k) break;
        out[before] = v[before];
      }
    }
    if (out !== undefined) out[k] = u;
  }
  return out ?? v;
}

/** Converts a runtime secret envelope (`value`) to the export file's (`plaintext`) form. */
export function toExportForm(v: unknown): PropertyValue {
  if (Array.isArray(v)) return v.map(toExportForm);
  if (!isObject(v)) return (v === undefined ? null : v) as PropertyValue;
  if (v[SPECIAL_SIG_KEY] === SECRET_SIG && "value" in v) {
    return { [SPECIAL_SIG_KEY]: SECRET_SIG, plaintext: JSON.stringify(unwrapSecrets(v.value)) };
  }
  const out: { [key: string]: PropertyValue } = {};
  for (const [k, val] of Object.entries(v)) out[k] = toExportForm(val);
  return out;
}

/** Converts an export file's secret envelopes (`plaintext`) to the runtime wire form (`value`). */
export function fromExportForm(v: unknown): PropertyValue {
  if (Array.isArray(v)) return v.map(fromExportForm);
  if (!isObject(v)) return (v === undefined ? null : v) as PropertyValue;
  if (v[SPECIAL_SIG_KEY] === SECRET_SIG) {
    if (typeof v.plaintext === "string") return { [SPECIAL_SIG_KEY]: SECRET_SIG, value: fromExportForm(JSON.parse(v.plaintext)) };
    if ("value" in v) return { [SPECIAL_SIG_KEY]: SECRET_SIG, value: fromExportForm(v.value) };
    return { [SPECIAL_SIG_KEY]: SECRET_SIG, value: UNKNOWN };
  }
  const out: { [key: string]: PropertyValue } = {};
  for (const [k, val] of Object.entries(v)) out[k] = fromExportForm(val);
  return out;
}
