/**
 * Envoy's own semantics over a parsed bootstrap, generic (nothing ztmesh-specific): which
 * listener takes a connection, which filter chain (destination port, SNI with wildcards,
 * transport protocol), TLS contexts, HTTP route matching (virtual host by domain, then route
 * by path), clusters and their endpoints. The tracer follows whatever a config says.
 */
import { headerMatches, stringMatches } from "../compile/envoy/rbac-eval";
import type { Obj } from "./types";

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The `typed_config` (or legacy `config`) of a named extension. */
export function typedConfig(ext: unknown): Obj {
  if (!isObj(ext)) return {};
  const tc = ext["typed_config"];
  return isObj(tc) ? tc : {};
}

/** The proto message name of a typed config (`...v3.HttpConnectionManager` -> `HttpConnectionManager`). */
export function messageName(cfg: Obj): string {
  const t = str(cfg["@type"]) ?? "";
  return t.slice(t.lastIndexOf(".") + 1);
}

/** A socket address (`host`, `port`), or undefined for pipes and malformed addresses. */
export function socketAddress(addr: unknown): { host: string; port: number } | undefined {
  const sa = isObj(addr) ? addr["socket_address"] : undefined;
  if (!isObj(sa)) return undefined;
  const host = str(sa["address"]);
  const port = typeof sa["port_value"] === "number" ? sa["port_value"] : Number(sa["port_value"]);
  return host !== undefined && Number.isInteger(port) ? { host, port } : undefined;
}

export function listeners(bootstrap: Obj): Obj[] {
  const sr = bootstrap["static_resources"];
  return isObj(sr) ? arr(sr["listeners"]).filter(isObj) : [];
}

export function clusters(bootstrap: Obj): Obj[] {
  const sr = bootstrap["static_resources"];
  return isObj(sr) ? arr(sr["clusters"]).filter(isObj) : [];
}

export function findCluster(bootstrap: Obj, name: string): Obj | undefined {
  return clusters(bootstrap).find((c) => c["name"] === name);
}

const WILDCARD_IPS = new Set(["0.0.0.0", "::", "[::]"]);

/**
 * The listener a connection to `ip:port` reaches: one bound to exactly that address first,
 * then a wildcard (`0.0.0.0`, `::`) one on the port (Envoy's most specific bind wins).
 */
export function listenerAt(bootstrap: Obj, ip: string, port: number): Obj | undefined {
  const all = listeners(bootstrap).map((l) => ({ l, a: socketAddress(l["address"]) }));
  return (
    all.find(({ a }) => a !== undefined && a.port === port && a.host === ip)?.l ??
    all.find(({ a }) => a !== undefined && a.port === port && WILDCARD_IPS.has(a.host))?.l
  );
}

/** Whether the listener runs the TLS inspector (without it, SNI and transport protocol are not detected). */
export function hasTlsInspector(listener: Obj): boolean {
  return arr(listener["listener_filters"]).some(
    (f) => isObj(f) && (f["name"] === "envoy.filters.listener.tls_inspector" || messageName(typedConfig(f)) === "TlsInspector"),
  );
}

/** What Envoy knows about an incoming connection when it picks a filter chain. */
export interface IncomingConnection {
  port: number;
  /** TLS SNI (only seen with the TLS inspector). */
  sni?: string;
  /** Whether the client speaks TLS. */
  tls: boolean;
}

/** Whether `name` matches a `server_names` entry (exact, or `*.suffix` wildcard). */
function serverNameMatch(pattern: string, name: string): "exact" | number | undefined {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  if (p === n) return "exact";
  if (p.startsWith("*.") && n.endsWith(p.slice(1)) && n.length > p.length - 1) return p.length;
  return undefined;
}

/** The outcome of filter chain selection. */
export interface ChainChoice {
  chain?: Obj;
  /** `filter_chains[i]` index, or `default` for the default filter chain. */
  index?: number | "default";
  name?: string;
  /** Why it was (or no chain was) chosen. */
  reason: string;
}

/**
 * Envoy's filter chain match, in its order of criteria: destination port (a chain naming the
 * port beats one without), server names (exact beats the longest wildcard beats none), then
 * transport protocol; `application_protocols` and source criteria are not modelled (a chain
 * requiring them is not chosen). Falls back to `default_filter_chain`.
 */
export function chooseFilterChain(listener: Obj, conn: IncomingConnection): ChainChoice {
  const inspector = hasTlsInspector(listener);
  const sni = inspector ? conn.sni : undefined;
  const transport = inspector ? (conn.tls ? "tls" : "raw_buffer") : undefined;
  let candidates = arr(listener["filter_chains"])
    .map((c, i) => ({ c, i }))
    .filter((x): x is { c: Obj; i: number } => isObj(x.c))
    .map((x) => ({ ...x, m: isObj(x.c["filter_chain_match"]) ? (x.c["filter_chain_match"] as Obj) : {} }));
  const unmodelled = (m: Obj): boolean =>
    arr(m["application_protocols"]).length > 0 || arr(m["source_prefix_ranges"]).length > 0 || arr(m["prefix_ranges"]).length > 0;
  candidates = candidates.filter((x) => !unmodelled(x.m));
  // destination_port
  const withPort = candidates.filter((x) => x.m["destination_port"] === conn.port);
  candidates = withPort.length > 0 ? withPort : candidates.filter((x) => x.m["destination_port"] === undefined);
  // server_names
  const scored = candidates.map((x) => {
    const names = arr(x.m["server_names"]).filter((n): n is string => typeof n === "string");
    if (names.length === 0) return { ...x, score: 0 };
    if (sni === undefined) return { ...x, score: -1 };
    let best = -1;
    for (const n of names) {
      const s = serverNameMatch(n, sni);
      if (s === "exact") best = Math.max(best, Number.MAX_SAFE_INTEGER);
      else if (s !== undefined) best = Math.max(best, s);
    }
    return { ...x, score: best };
  });
  const top = Math.max(-1, ...scored.map((x) => x.score));
  candidates = top < 0 ? [] : scored.filter((x) => x.score === top);
  // transport_protocol
  const tp = candidates.filter((x) => x.m["transport_protocol"] !== undefined && x.m["transport_protocol"] === transport);
  candidates = tp.length > 0 ? tp : candidates.filter((x) => x.m["transport_protocol"] === undefined);
  const seen = `port ${conn.port}, SNI ${sni ?? (conn.sni !== undefined && !inspector ? `unseen (no tls_inspector; client sent ${conn.sni})` : "none")}`;
  if (candidates.length > 0) {
    const { c, i, m } = candidates[0];
    const names = arr(m["server_names"]);
    const why = names.length > 0 ? `server_names ${JSON.stringify(names)} match SNI ${sni}` : "no match criteria on SNI";
    return { chain: c, index: i, name: str(c["name"]), reason: `filter_chains[${i}]${c["name"] ? ` (${String(c["name"])})` : ""}: ${why} (${seen})` };
  }
  const def = listener["default_filter_chain"];
  if (isObj(def)) return { chain: def, index: "default", name: str(def["name"]), reason: `default_filter_chain (no filter chain matches ${seen})` };
  const offered = arr(listener["filter_chains"])
    .filter(isObj)
    .map((c) => JSON.stringify(isObj(c["filter_chain_match"]) ? c["filter_chain_match"] : {}))
    .join(", ");
  return { reason: `no filter chain matches ${seen}; chains match ${offered || "nothing"}: connection closed` };
}

/** An SDS secret name or inline source of certificates. */
function sdsName(v: unknown): string | undefined {
  return isObj(v) ? str(v["name"]) : undefined;
}

/** The parts of a `CommonTlsContext` that decide a handshake. */
export interface TlsFacts {
  /** Names of the certificates presented (SDS secret names; a SPIRE SVID is named by its SPIFFE ID). */
  certificates: string[];
  /** Subject alt name matchers the peer must satisfy (any one). */
  sanMatchers: Array<{ sanType: string; matcher: Obj }>;
  /** Trust anchors the peer's chain must end in: SDS bundle names, CA files, or SPIFFE trust domains. */
  trust: { sds?: string; caFile?: string; spiffeTrustDomains?: string[] };
  sni?: string;
  requireClientCertificate?: boolean;
}

/** Reads a Downstream/UpstreamTlsContext. */
export function tlsFacts(ctx: Obj): TlsFacts {
  const common = isObj(ctx["common_tls_context"]) ? (ctx["common_tls_context"] as Obj) : {};
  const certificates = [
    ...arr(common["tls_certificate_sds_secret_configs"]).map(sdsName),
    ...arr(common["tls_certificates"]).map((c) => (isObj(c) && isObj(c["certificate_chain"]) ? str(c["certificate_chain"]["filename"]) : undefined)),
  ].filter((n): n is string => n !== undefined);
  const combined = isObj(common["combined_validation_context"]) ? (common["combined_validation_context"] as Obj) : undefined;
  const vc = (combined ? combined["default_validation_context"] : common["validation_context"]) as unknown;
  const v = isObj(vc) ? vc : {};
  const sanMatchers = arr(v["match_typed_subject_alt_names"])
    .filter(isObj)
    .map((m) => ({ sanType: str(m["san_type"]) ?? "", matcher: isObj(m["matcher"]) ? m["matcher"] : {} }));
  const trust: TlsFacts["trust"] = {};
  const sds = combined ? sdsName(combined["validation_context_sds_secret_config"]) : sdsName(common["validation_context_sds_secret_config"]);
  if (sds !== undefined) trust.sds = sds;
  const ca = isObj(v["trusted_ca"]) ? str(v["trusted_ca"]["filename"]) : undefined;
  if (ca !== undefined) trust.caFile = ca;
  const custom = v["custom_validator_config"];
  if (isObj(custom) && messageName(typedConfig(custom)) === "SPIFFECertValidatorConfig") {
    trust.spiffeTrustDomains = arr(typedConfig(custom)["trust_domains"])
      .map((t) => (isObj(t) ? str(t["name"]) : undefined))
      .filter((n): n is string => n !== undefined);
  }
  const out: TlsFacts = { certificates, sanMatchers, trust };
  if (typeof ctx["sni"] === "string") out.sni = ctx["sni"];
  if (ctx["require_client_certificate"] !== undefined) out.requireClientCertificate = ctx["require_client_certificate"] === true;
  return out;
}

/**
 * The TLS context of a transport socket, when it is Envoy's TLS socket (or a STARTTLS socket,
 * whose TLS starts once the protocol filter negotiated it, e.g. Postgres `SSLRequest`).
 */
export function tlsContext(transportSocket: unknown): Obj | undefined {
  const cfg = typedConfig(transportSocket);
  const n = messageName(cfg);
  if (n === "DownstreamTlsContext" || n === "UpstreamTlsContext") return cfg;
  if ((n === "UpstreamStartTlsConfig" || n === "StartTlsConfig") && isObj(cfg["tls_socket_config"])) return cfg["tls_socket_config"];
  return undefined;
}

/** The trust domain of a SPIFFE ID (`spiffe://<td>/...`). */
export function trustDomainOf(id: string | undefined): string | undefined {
  const m = /^spiffe:\/\/([^/]+)(\/|$)/.exec(id ?? "");
  return m ? m[1] : undefined;
}

/** Whether a presented SPIFFE ID chains to the trust anchors (a SPIRE bundle is named `spiffe://<td>`). */
export function trustAdmits(trust: TlsFacts["trust"], id: string, meshTrustDomain: string | undefined): { ok: boolean; rule: string } {
  const td = trustDomainOf(id);
  if (trust.spiffeTrustDomains) {
    const ok = td !== undefined && trust.spiffeTrustDomains.includes(td);
    return { ok, rule: `SPIFFE validator trusts ${JSON.stringify(trust.spiffeTrustDomains)}; certificate from ${td ?? "no trust domain"}` };
  }
  if (trust.sds !== undefined) {
    const bundleTd = trustDomainOf(trust.sds) ?? (trust.sds.startsWith("spiffe://") ? trust.sds.slice(9) : undefined);
    if (bundleTd !== undefined) {
      return { ok: td === bundleTd, rule: `trust bundle ${trust.sds} (SDS); certificate issued in trust domain ${td ?? "none"}` };
    }
    return { ok: td === meshTrustDomain, rule: `trust bundle ${trust.sds} (SDS, assumed to be the mesh's ${meshTrustDomain ?? "?"} CA); certificate from ${td ?? "none"}` };
  }
  if (trust.caFile !== undefined) {
    return { ok: td === meshTrustDomain, rule: `trusted CA ${trust.caFile} (assumed to be the mesh's ${meshTrustDomain ?? "?"} CA); certificate from ${td ?? "none"}` };
  }
  return { ok: true, rule: "no validation context: any certificate is accepted" };
}

/** Whether `id` (a URI SAN) satisfies the SAN matchers (any one; none means any). */
export function sanAdmits(sanMatchers: TlsFacts["sanMatchers"], id: string): { ok: boolean; rule: string } {
  if (sanMatchers.length === 0) return { ok: true, rule: "no SAN matchers" };
  const uri = sanMatchers.filter((m) => m.sanType === "URI");
  const hit = uri.find((m) => stringMatches(m.matcher, id));
  const list = sanMatchers.map((m) => `${m.sanType} ${JSON.stringify(m.matcher)}`).join(" or ");
  return hit ? { ok: true, rule: `URI SAN ${id} matches ${JSON.stringify(hit.matcher)}` } : { ok: false, rule: `URI SAN ${id} matches none of ${list}` };
}

/** An HTTP request as route matching sees it. */
export interface HttpRequestFacts {
  authority: string;
  method: string;
  path: string;
}

function domainScore(pattern: string, host: string): number {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h) return 4e6;
  if (p === "*") return 1;
  if (p.startsWith("*") && h.endsWith(p.slice(1)) && h.length > p.length - 1) return 3e6 + p.length;
  if (p.endsWith("*") && h.startsWith(p.slice(0, -1)) && h.length > p.length - 1) return 2e6 + p.length;
  return 0;
}

/** Envoy's virtual host selection: exact domain, then longest suffix wildcard, then prefix wildcard, then `*`. */
export function chooseVirtualHost(routeConfig: Obj, authority: string, stripPort: boolean): { vhost?: Obj; reason: string } {
  const host = stripPort ? authority.replace(/:\d+$/, "") : authority;
  let best: { v: Obj; s: number; d: string } | undefined;
  for (const v of arr(routeConfig["virtual_hosts"]).filter(isObj)) {
    for (const d of arr(v["domains"]).filter((x): x is string => typeof x === "string")) {
      const s = domainScore(d, host);
      if (s > 0 && (!best || s > best.s)) best = { v, s, d };
    }
  }
  if (best) return { vhost: best.v, reason: `virtual host ${String(best.v["name"])}: domain ${JSON.stringify(best.d)} matches ${host}` };
  const all = arr(routeConfig["virtual_hosts"]).filter(isObj).flatMap((v) => arr(v["domains"]));
  return { reason: `no virtual host has a domain matching ${host} (domains: ${JSON.stringify(all)}): 404 NR` };
}

function pathOnly(p: string): string {
  return p.split(/[?#]/)[0];
}

/** Whether a route's `match` takes the request. */
export function routeMatches(match: Obj, req: HttpRequestFacts): boolean {
  const caseSensitive = match["case_sensitive"] !== false;
  const norm = (s: string): string => (caseSensitive ? s : s.toLowerCase());
  const path = norm(pathOnly(req.path));
  let ok: boolean;
  if (typeof match["prefix"] === "string") ok = path.startsWith(norm(match["prefix"]));
  else if (typeof match["path"] === "string") ok = path === norm(match["path"]);
  else if (typeof match["path_separated_prefix"] === "string") {
    const p = norm(match["path_separated_prefix"]);
    ok = path === p || path.startsWith(`${p}/`);
  } else if (isObj(match["safe_regex"])) ok = stringMatches({ safe_regex: match["safe_regex"] }, pathOnly(req.path));
  else ok = false;
  if (!ok) return false;
  const rreq = { host: req.authority, method: req.method, path: req.path };
  return arr(match["headers"]).every((h) => headerMatches(h, rreq));
}

/** The route chosen within a virtual host (first match wins) and its action. */
export interface RouteChoice {
  route?: Obj;
  index?: number;
  /** The upstream cluster, when the route forwards. */
  cluster?: string;
  reason: string;
  /** Set when the route answers itself (direct response, redirect) or names no usable cluster. */
  stop?: string;
}

export function chooseRoute(vhost: Obj, req: HttpRequestFacts): RouteChoice {
  const routes = arr(vhost["routes"]).filter(isObj);
  const i = routes.findIndex((r) => isObj(r["match"]) && routeMatches(r["match"], req));
  if (i < 0) {
    const matches = routes.map((r) => JSON.stringify(r["match"])).join(", ");
    return { reason: `no route of virtual host ${String(vhost["name"])} matches ${req.method} ${req.path} (routes: ${matches || "none"}): 404 NR` };
  }
  const r = routes[i];
  const label = `route[${i}]${r["name"] ? ` ${String(r["name"])}` : ""} ${JSON.stringify(r["match"])}`;
  if (isObj(r["direct_response"])) return { route: r, index: i, reason: label, stop: `${label} answers directly with status ${String(r["direct_response"]["status"])}` };
  if (isObj(r["redirect"])) return { route: r, index: i, reason: label, stop: `${label} redirects` };
  const action = isObj(r["route"]) ? r["route"] : undefined;
  const cluster = action ? str(action["cluster"]) : undefined;
  if (cluster !== undefined) return { route: r, index: i, cluster, reason: `${label} -> cluster ${cluster}` };
  const weighted = action && isObj(action["weighted_clusters"]) ? arr(action["weighted_clusters"]["clusters"]).filter(isObj) : [];
  if (weighted.length > 0) {
    const first = str(weighted[0]["name"]);
    return { route: r, index: i, cluster: first, reason: `${label} -> weighted clusters ${weighted.map((w) => String(w["name"])).join(", ")} (following ${first})` };
  }
  return { route: r, index: i, reason: label, stop: `${label} has no static cluster (cluster_header / cluster_specifier not modelled)` };
}

/** The endpoints of a cluster's static load assignment. */
export function clusterEndpoints(cluster: Obj): Array<{ host: string; port: number } | { pipe: string }> {
  const la = cluster["load_assignment"];
  if (!isObj(la)) return [];
  const out: Array<{ host: string; port: number } | { pipe: string }> = [];
  for (const group of arr(la["endpoints"]).filter(isObj)) {
    for (const lb of arr(group["lb_endpoints"]).filter(isObj)) {
      const ep = isObj(lb["endpoint"]) ? lb["endpoint"] : {};
      const sa = socketAddress(ep["address"]);
      if (sa) out.push(sa);
      else if (isObj(ep["address"]) && isObj(ep["address"]["pipe"])) out.push({ pipe: String(ep["address"]["pipe"]["path"]) });
    }
  }
  return out;
}

/** Whether a cluster is a dynamic forward proxy (it forwards to the host the request names). */
export function isDynamicForwardProxy(cluster: Obj): boolean {
  const ct = cluster["cluster_type"];
  return isObj(ct) && (ct["name"] === "envoy.clusters.dynamic_forward_proxy" || messageName(typedConfig(ct)) === "ClusterConfig");
}
