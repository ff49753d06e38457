/** Plain-value checks shared by the in-cluster components. */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;
const DURATION = /^[0-9]+(s|m|h)$/;

/** A DNS-1123 label (namespaces, most object names): at most 63 characters. */
export function isDnsLabel(v: unknown): v is string {
  return typeof v === "string" && v.length <= 63 && DNS_LABEL.test(v);
}

/** A DNS-1123 subdomain (ServiceAccount, ConfigMap names): at most 253 characters. */
export function isDnsSubdomain(v: unknown): v is string {
  return typeof v === "string" && v.length <= 253 && DNS_SUBDOMAIN.test(v);
}

/** An https URL with a host and no query or fragment (an OIDC issuer). */
export function isHttpsUrl(v: unknown): v is string {
  if (typeof v !== "string") return false;
  try {
    const u = new URL(v);
    return u.protocol === "https:" && u.hostname !== "" && u.search === "" && u.hash === "" && u.username === "";
  } catch {
    return false;
  }
}

/** A Kubernetes resource quantity such as `100m`, `1Gi`. */
export function isQuantity(v: unknown): v is string {
  return typeof v === "string" && QUANTITY.test(v);
}

/** A Go-style duration with one unit (`30s`, `5m`, `24h`). */
export function isDuration(v: unknown): v is string {
  return typeof v === "string" && DURATION.test(v);
}

/** Seconds of a {@link isDuration} string. */
export function durationSeconds(v: string): number {
  const n = Number(v.slice(0, -1));
  return v.endsWith("h") ? n * 3600 : v.endsWith("m") ? n * 60 : n;
}

/** An integer within [min, max]. */
export function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

/** A container image tag pinned to a version (not `latest`, not empty). */
export function isPinnedVersion(v: unknown): v is string {
  return typeof v === "string" && /^v?[0-9]+\.[0-9]+\.[0-9]+([-.][0-9A-Za-z.-]+)?$/.test(v);
}
