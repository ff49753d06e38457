/** SPIFFE ID derivation. IDs are always derived, never typed by hand. */

/** `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`, the Kubernetes workload convention. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

const SPIFFE_ID = /^spiffe:\/\/([a-z0-9]([a-z0-9.-]*[a-z0-9])?)((\/[A-Za-z0-9._-]+)+)$/;

/** Parses a SPIFFE ID; undefined when it is not a valid, wildcard-free ID with a path. */
export function parseSpiffeId(id: string): { trustDomain: string; path: string } | undefined {
  const m = SPIFFE_ID.exec(id);
  if (!m) return undefined;
  return { trustDomain: m[1], path: m[3] };
}

/** The SPIFFE ID prefix that matches every workload of a trust domain. */
export function trustDomainPrefix(trustDomain: string): string {
  return `spiffe://${trustDomain}/`;
}
