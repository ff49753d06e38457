/**
 * A TypeScript twin of `rego/envoy/authz/authz.rego`: the same decision over the same compiled
 * data, rule for rule (each block names the Rego rule it mirrors). Used where no OPA binary is
 * available: property tests and the conformance policy. Change both files together;
 * `authz_test.rego` and `test/compile/opa/decide.test.ts` hold the same cases.
 */
import { accessOfMethod } from "./compile";
import {
  ANY,
  isCallGrant,
  type DenyEntry,
  type DomainData,
  type Grant,
  type OpaZoneBundles,
  type PlatformData,
} from "./types";
import type { DataAccess } from "../../model/types";

/** The Envoy CheckRequest attributes the policy reads, as the OPA-Envoy plugin presents them. */
export interface CheckInput {
  attributes?: {
    source?: { principal?: string };
    destination?: { principal?: string; labels?: Record<string, string> };
    request?: { http?: { method?: string; path?: string; host?: string } };
    /** Sent by the egress gateway's network ext_authz (`include_tls_session`). */
    tls_session?: { sni?: string };
  };
}

/** A decision: `allow` (what the plugin enforces) and `reason` (the Rego `reason` rule). */
export interface Decision {
  allow: boolean;
  reason: string;
}

/** `data.ztmesh` as OPA sees it once every bundle of a zone is loaded. */
export interface ZtmeshData {
  platform: PlatformData;
  domains: Record<string, DomainData>;
}

/** Assembles `data.ztmesh` from a zone's bundles (each bundle's data at its root). */
export function dataTree(bundles: OpaZoneBundles): ZtmeshData {
  const domains: Record<string, DomainData> = {};
  for (const name of Object.keys(bundles.domains)) domains[name] = bundles.domains[name].data;
  return { platform: bundles.platform.data, domains };
}

interface Target {
  domain: string;
  key: string;
  kind: "service" | "data";
}

/** Own-property lookup: request values (hosts, principals) must never reach prototype members. */
function get<T>(r: Record<string, T> | undefined, k: string | undefined): T | undefined {
  return r !== undefined && k !== undefined && Object.prototype.hasOwnProperty.call(r, k) ? r[k] : undefined;
}

/** The decision `data.envoy.authz.allow` / `reason` would give for `input` with `bundles` loaded. */
export function decide(bundles: OpaZoneBundles | ZtmeshData, input: CheckInput): Decision {
  const data = "platform" in bundles && "trust_domain" in bundles.platform ? (bundles as ZtmeshData) : dataTree(bundles as OpaZoneBundles);
  const attrs = input.attributes ?? {};

  // source
  const principal = attrs.source?.principal;
  const source = typeof principal === "string" && principal.startsWith("spiffe://") ? principal : undefined;
  // destination_principal, is_http, method, path
  const destinationPrincipal = attrs.destination?.principal;
  const http = attrs.request?.http;
  const isHttp = http?.method !== undefined;
  const method = http?.method;
  const path = http?.path;

  // destination_domain, domain_data (by key: the domain the enforcement point names)
  const label = attrs.destination?.labels?.domain;
  const destinationDomain = typeof label === "string" ? label : undefined;
  const domainData = get(data.domains, destinationDomain);
  // target: a data proxy by its identity, else a service by its identity
  let target: Target | undefined;
  const proxyKey = get(domainData?.proxies, destinationPrincipal);
  const serviceKey = get(domainData?.services, destinationPrincipal);
  if (proxyKey !== undefined) target = { domain: destinationDomain!, key: proxyKey, kind: "data" };
  else if (serviceKey !== undefined) target = { domain: destinationDomain!, key: serviceKey, kind: "service" };

  if (source === undefined) return { allow: false, reason: "no client certificate: the caller has no SPIFFE ID" };
  // is_engine_access (the policy engine's front)
  if (attrs.destination?.labels?.kind === "policy-engine") {
    return source.startsWith(`spiffe://${data.platform.trust_domain}/`)
      ? { allow: true, reason: "policy engine access for a workload of the trust domain" }
      : { allow: false, reason: "policy engine access: the caller is not a workload of the trust domain" };
  }
  // is_egress, egress_request, egress_allows
  if (attrs.destination?.labels?.kind === "egress") {
    const parts = (attrs.tls_session?.sni ?? "").toLowerCase().split(".");
    const request = parts.length > 3 && parts[2] === "egress" && parts.slice(3).join(".") === data.platform.trust_domain ? { domain: parts[0], target: parts[1] } : undefined;
    if (request === undefined) return { allow: false, reason: "egress: the TLS SNI names no target (expected <domain>.<target>.egress.<trust domain>)" };
    if (get(get(get(data.domains, request.domain)?.egress, source), request.target) === true) {
      return { allow: true, reason: `egress to ${request.target} allowed by the object-store intents of domain ${request.domain}` };
    }
    return { allow: false, reason: `egress to ${request.target}: no intent of domain ${request.domain} lets this workload use it` };
  }
  if (destinationDomain === undefined) {
    return { allow: false, reason: "unknown destination: the enforcement point names no destination domain (ext_authz bootstrap_metadata_labels_key)" };
  }
  if (domainData === undefined) return { allow: false, reason: `unknown destination: no bundle of domain ${destinationDomain} in this zone` };
  if (target === undefined) {
    return { allow: false, reason: `unknown destination: domain ${destinationDomain} has no service or data proxy with identity ${destinationPrincipal} in this zone` };
  }

  // in_trust_domain, grants
  const inTrustDomain = source.startsWith(`spiffe://${data.platform.trust_domain}/`);
  const pairs = get(domainData.allow, target.key);
  const grants: Grant[] = [...(get(pairs, source) ?? []), ...(inTrustDomain ? (get(pairs, ANY) ?? []) : [])];

  // service_grant
  const startsWithAny = (prefixes: readonly string[]): boolean => path !== undefined && prefixes.some((p) => path.startsWith(p));
  const serviceGrant =
    target.kind === "service" ? grants.filter((g) => isCallGrant(g) && get(g.methods, method) === true && startsWithAny(g.paths)) : [];
  // read_methods, is_read_method (accessOfMethod), needed_access, granted_access
  const neededAccess: DataAccess | undefined = isHttp && method !== undefined ? accessOfMethod(method) : undefined;
  const grantedAccess = new Set<DataAccess>(target.kind === "data" ? grants.flatMap((g) => (isCallGrant(g) ? [] : g.access)) : []);

  // deny_destination_keys, deny_source_keys, deny_rules
  const denyRules: DenyEntry[] = [];
  for (const index of [data.platform.deny, domainData.deny]) {
    for (const k of [target.key, ANY]) {
      for (const s of [source, ANY]) denyRules.push(...(get(get(index, k), s) ?? []));
    }
  }
  // denied_access, effective_access
  const deniedAccess = new Set<DataAccess>(target.kind === "data" ? denyRules.flatMap((r) => r.access) : []);
  const effectiveAccess = new Set([...grantedAccess].filter((a) => !deniedAccess.has(a)));

  // matched_deny
  let matchedDeny: DenyEntry[];
  if (target.kind === "service") matchedDeny = denyRules.filter((r) => get(r.methods, method) === true && startsWithAny(r.paths));
  else if (isHttp) matchedDeny = denyRules.filter((r) => neededAccess !== undefined && r.access.includes(neededAccess));
  else matchedDeny = effectiveAccess.size === 0 ? denyRules.filter((r) => r.access.some((a) => grantedAccess.has(a))) : [];

  // intent_allows, denied, allow
  let intentAllows: boolean;
  if (target.kind === "service") intentAllows = serviceGrant.length > 0;
  else if (isHttp) intentAllows = neededAccess !== undefined && grantedAccess.has(neededAccess);
  else intentAllows = grantedAccess.size > 0;
  const denied = matchedDeny.length > 0;
  const allow = intentAllows && !denied;

  // allowing, deny_labels, reason
  if (intentAllows && denied) {
    const labels = [...new Set(matchedDeny.map((r) => `${r.id} (${r.reason})`))].sort();
    return { allow, reason: `denied by ${labels.join(", ")}` };
  }
  if (allow) {
    const allowing = new Set<string>();
    if (target.kind === "service") for (const g of serviceGrant) allowing.add(g.intent);
    else {
      for (const g of grants) {
        if (isCallGrant(g)) continue;
        if (isHttp ? neededAccess !== undefined && g.access.includes(neededAccess) : g.access.some((a) => effectiveAccess.has(a))) allowing.add(g.intent);
      }
    }
    return { allow, reason: `allowed by ${[...allowing].sort().join(", ")}` };
  }
  return { allow: false, reason: "no intent allows this request" };
}

