/**
 * The walk: one request through the artifacts, hop by hop, each with the rule that decided it,
 * ending in delivery or the hop that stopped it. One generic step drives everything: "a
 * connection arrives at a pod's address and port, with this SNI and client identity, from this
 * pod" -> the listener bound there, its filter chain, TLS, the filters in order, the route and
 * cluster -> the next connection. The walker follows what the configs say (Envoy's semantics,
 * Kubernetes' NetworkPolicy semantics, the policy engine's decision), not what was intended.
 */
import {
  chooseFilterChain,
  chooseRoute,
  chooseVirtualHost,
  clusterEndpoints,
  findCluster,
  isDynamicForwardProxy,
  isObj,
  arr,
  listenerAt,
  messageName,
  sanAdmits,
  socketAddress,
  tlsContext,
  tlsFacts,
  trustAdmits,
  typedConfig,
  type TlsFacts,
} from "./envoy";
import { type FilterContext, extAuthzHop, rbacHop } from "./filters";
import { proxyById, proxyOfWorkload } from "./lookup";
import { isLoopback, networkHops, resolveHost } from "./network";
import { ownSpiffeId } from "./snapshot";
import type { Hop, MeshSnapshot, Obj, ProxySnapshot, TraceRequest, TraceResult } from "./types";

/** One TLS session: SNI, the certificate the client presents, how it validates the server, who speaks it. */
interface TlsLayer {
  sni?: string;
  identity?: string;
  expect?: TlsFacts;
  by: string;
}

/** A connection on its way: who opens it, where to, and what it carries. */
interface Connection {
  /** The pod opening it; undefined for a client outside every cluster. */
  from?: ProxySnapshot;
  host: string;
  port: number;
  /** The outermost TLS session the client speaks. */
  tls?: TlsLayer;
  /** TLS sessions inside it, outermost first (an application's own TLS tunnelled in mesh mTLS). */
  inner?: TlsLayer[];
  http?: { method: string; path: string; authority: string };
}

/** What a proxy forwards: the bytes after what it terminated (an unopened TLS session, or plaintext). */
interface Stream {
  tls?: TlsLayer;
  inner: TlsLayer[];
}

const MAX_PROXIES = 12;

class Walk {
  readonly hops: Hop[] = [];
  visited = 0;
  result?: TraceResult["deliveredTo"];

  constructor(readonly snapshot: MeshSnapshot) {}

  push(h: Hop): boolean {
    this.hops.push(h);
    return h.verdict !== "stop";
  }

  stop(kind: Hop["kind"], at: string, rule: string, detail?: Record<string, unknown>): false {
    this.hops.push({ kind, at, verdict: "stop", rule, ...(detail ? { detail } : {}) });
    return false;
  }

  /** A connection leaves `conn.from` for `conn.host:conn.port`. */
  connect(conn: Connection): boolean {
    const at = conn.from?.id ?? "outside the mesh";
    if (conn.from && isLoopback(conn.host)) {
      const own = listenerAt(conn.from.bootstrap, conn.host, conn.port);
      if (own) return this.arrive(conn.from, conn.host, conn.port, conn);
      this.result = { proxy: conn.from.id, ...(conn.from.workload ? { workload: conn.from.workload } : {}), address: `${conn.host}:${conn.port}` };
      return this.push({ kind: "delivered", at, verdict: "pass", rule: `delivered to the application in the pod of ${conn.from.workload ?? conn.from.id} on ${conn.host}:${conn.port}${conn.http ? ` (${conn.http.method} ${conn.http.path}, :authority ${conn.http.authority})` : ""}` });
    }
    const zone = conn.from?.zone;
    const entry = resolveHost(this.snapshot, zone, conn.host);
    if (!entry) {
      if (/\.cluster\.local$/.test(conn.host) || /\.svc$/.test(conn.host)) {
        return this.stop("resolve", at, `DNS: no Service ${conn.host} in zone ${zone ?? "(outside)"}: NXDOMAIN`);
      }
      const hops = networkHops(this.snapshot, conn.from, undefined, conn.port, false);
      for (const h of hops) if (!this.push(h)) return false;
      this.result = { address: `${conn.host}:${conn.port}` };
      return this.push({ kind: "delivered", at, verdict: "pass", rule: `delivered to ${conn.host}:${conn.port}, outside the mesh's pods${conn.tls ? ` (TLS of ${conn.tls.by}, SNI ${conn.tls.sni ?? "none"})` : " (plaintext)"}` });
    }
    const target = proxyById(this.snapshot.proxies, entry.proxy);
    if (!target) return this.stop("resolve", at, `${conn.host} names proxy ${entry.proxy}, which is not in the snapshot`);
    let podPort: number = conn.port;
    if (entry.ports) {
      const tp = entry.ports[conn.port];
      if (tp === undefined) return this.stop("resolve", at, `${entry.from} has no port ${conn.port} (ports ${Object.keys(entry.ports).join(", ")}): connection refused`);
      if (typeof tp === "string") {
        const named = target.namedPorts[tp];
        if (named === undefined) return this.stop("resolve", at, `${entry.from} targets named port "${tp}", which the pod of ${target.id} does not declare`);
        podPort = named;
      } else podPort = tp;
    }
    this.push({ kind: "resolve", at, verdict: "pass", rule: `${conn.host}:${conn.port} -> pod of ${target.id} port ${podPort} (${entry.from}${entry.zone ? `, DNS of zone ${entry.zone}` : ""})` });
    const sameCluster = conn.from !== undefined && entry.zone !== undefined && conn.from.zone === target.zone;
    for (const h of networkHops(this.snapshot, conn.from, target, podPort, sameCluster, conn.port, entry.address)) if (!this.push(h)) return false;
    return this.arrive(target, undefined, podPort, conn);
  }

  /** The connection arrives at `proxy`'s pod on `port` (`ip` for loopback connections inside the pod). */
  arrive(proxy: ProxySnapshot, ip: string | undefined, port: number, conn: Connection): boolean {
    if (++this.visited > MAX_PROXIES) return this.stop("listener", proxy.id, `more than ${MAX_PROXIES} proxies on the path: a forwarding loop`);
    const listener = ip ? listenerAt(proxy.bootstrap, ip, port) : listenerAt(proxy.bootstrap, "0.0.0.0", port);
    if (!listener) {
      const bound = arr((proxy.bootstrap["static_resources"] as Obj | undefined)?.["listeners"]).filter(isObj).map((l) => {
        const a = socketAddress(l["address"]);
        return a ? `${a.host}:${a.port}` : "?";
      });
      return this.stop("listener", proxy.id, `no listener of ${proxy.id} takes ${ip ?? "the pod address"}:${port} (listeners on ${bound.join(", ") || "nothing"}): connection refused`);
    }
    const lname = String(listener["name"] ?? "?");
    const la = socketAddress(listener["address"]);
    this.push({ kind: "listener", at: proxy.id, verdict: "pass", rule: `listener ${lname} on ${la ? `${la.host}:${la.port}` : "?"}` });
    const choice = chooseFilterChain(listener, { port, ...(conn.tls?.sni !== undefined ? { sni: conn.tls.sni } : {}), tls: conn.tls !== undefined });
    if (!choice.chain) return this.stop("filter-chain", proxy.id, `listener ${lname}: ${choice.reason}${listener["access_log"] ? " (logged by the listener's access log)" : ""}`);
    this.push({ kind: "filter-chain", at: proxy.id, verdict: "pass", rule: `listener ${lname}: ${choice.reason}` });
    const chain = choice.chain;

    const ctx: FilterContext = { proxy, port, ...(conn.tls?.sni !== undefined ? { sni: conn.tls.sni } : {}) };
    let stream: Stream = { ...(conn.tls ? { tls: conn.tls } : {}), inner: conn.inner ?? [] };
    const down = tlsContext(chain["transport_socket"]);
    if (down) {
      if (!this.handshake(proxy, down, conn, ctx)) return false;
      const [next, ...rest] = stream.inner;
      stream = { ...(next ? { tls: next } : {}), inner: rest };
    } else if (conn.tls) {
      this.push({ kind: "tls", at: proxy.id, verdict: "info", rule: `no TLS termination in this chain: the TLS connection passes through untouched (SNI ${conn.tls.sni ?? "none"})` });
    }
    if (conn.http) ctx.http = conn.http;
    let dfpPort: number | undefined;
    for (const f of arr(chain["filters"]).filter(isObj)) {
      const cfg = typedConfig(f);
      const name = String(f["name"] ?? cfg["@type"] ?? "?");
      const msg = messageName(cfg);
      const type = String(cfg["@type"] ?? "");
      if (msg === "ExtAuthz" && type.includes(".network.")) {
        if (!this.push(extAuthzHop(this.snapshot, name, cfg, { ...ctx, http: undefined }))) return false;
      } else if (msg === "RBAC" && type.includes(".network.")) {
        if (!this.push(rbacHop(name, cfg, { ...ctx, http: undefined }, true))) return false;
      } else if (msg === "HttpConnectionManager") {
        if (stream.tls) return this.stop("filter", proxy.id, `${name} receives a TLS stream (${stream.tls.by}, SNI ${stream.tls.sni ?? "none"}) it does not terminate: codec error, connection closed`);
        return this.http(proxy, cfg, conn, ctx);
      } else if (msg === "TcpProxy") {
        const cluster = typeof cfg["cluster"] === "string" ? cfg["cluster"] : arr(isObj(cfg["weighted_clusters"]) ? cfg["weighted_clusters"]["clusters"] : []).filter(isObj).map((c) => String(c["name"]))[0];
        if (!cluster) return this.stop("filter", proxy.id, `${name}: no cluster`);
        this.push({ kind: "filter", at: proxy.id, verdict: "pass", rule: `${name} -> cluster ${cluster}` });
        // tcp_proxy forwards bytes: an HTTP request inside the stream stays as it is.
        return this.forward(proxy, cluster, conn, stream, dfpPort);
      } else if (msg === "FilterConfig" && type.includes("sni_dynamic_forward_proxy")) {
        dfpPort = typeof cfg["port_value"] === "number" ? cfg["port_value"] : undefined;
        this.push({ kind: "filter", at: proxy.id, verdict: "pass", rule: `${name}: forwards to the SNI host${dfpPort !== undefined ? ` on port ${dfpPort}` : ""}` });
      } else {
        this.push({ kind: "filter", at: proxy.id, verdict: "info", rule: `${name}: not an enforcement filter the tracer models; passes` });
      }
    }
    return this.stop("filter-chain", proxy.id, `the filter chain has no terminal filter (tcp_proxy or http_connection_manager): connection closed`);
  }

  /** Downstream TLS at `proxy`: client certificate, trust bundle, SAN matchers; and the client's check of the server. */
  handshake(proxy: ProxySnapshot, down: Obj, conn: Connection, ctx: FilterContext): boolean {
    const facts = tlsFacts(down);
    if (!conn.tls) return this.stop("tls", proxy.id, "the listener terminates TLS but the client speaks plaintext: handshake fails");
    const id = conn.tls.identity;
    const own = facts.certificates[0];
    const logged = "(handshake failure, logged by the listener's access log)";
    if (id === undefined) {
      if (facts.requireClientCertificate) return this.stop("tls", proxy.id, `no client certificate: require_client_certificate is true ${logged}`);
    } else {
      const trust = trustAdmits(facts.trust, id, this.snapshot.trustDomain);
      if (!trust.ok) return this.stop("tls", proxy.id, `client certificate ${id} rejected at trust bundle validation: ${trust.rule} ${logged}`);
      const san = sanAdmits(facts.sanMatchers, id);
      if (!san.ok) return this.stop("tls", proxy.id, `client certificate ${id} rejected at SAN validation: ${san.rule} ${logged}`);
    }
    if (conn.tls.expect && own !== undefined) {
      const trust = trustAdmits(conn.tls.expect.trust, own, this.snapshot.trustDomain);
      const san = sanAdmits(conn.tls.expect.sanMatchers, own);
      if (!trust.ok || !san.ok) return this.stop("tls", conn.tls.by, `the client (${conn.tls.by}) rejects the server certificate ${own}: ${!trust.ok ? trust.rule : san.rule}`);
    }
    ctx.peer = id;
    ctx.own = own;
    const who = id === undefined ? "no client certificate (not required)" : `client certificate ${id} verified (${trustAdmits(facts.trust, id, this.snapshot.trustDomain).rule}; ${sanAdmits(facts.sanMatchers, id).rule})`;
    return this.push({ kind: "tls", at: proxy.id, verdict: "pass", rule: `mTLS terminated: ${who}; server presents ${own ?? "no SPIFFE certificate"}`, detail: { clientIdentity: id ?? null, serverIdentity: own ?? null, requireClientCertificate: facts.requireClientCertificate ?? false } });
  }

  /** An HTTP connection manager: its HTTP filters in order, then the router. */
  http(proxy: ProxySnapshot, hcm: Obj, conn: Connection, ctx: FilterContext): boolean {
    if (!conn.http) return this.stop("filter", proxy.id, "http_connection_manager on a connection that does not carry HTTP: codec error, connection closed");
    const req = { ...conn.http };
    for (const hf of arr(hcm["http_filters"]).filter(isObj)) {
      const cfg = typedConfig(hf);
      const name = String(hf["name"] ?? "?");
      const msg = messageName(cfg);
      if (msg === "ExtAuthz") {
        if (!this.push(extAuthzHop(this.snapshot, name, cfg, { ...ctx, http: req }))) return false;
      } else if (msg === "RBAC") {
        if (!this.push(rbacHop(name, cfg, { ...ctx, http: req }, false))) return false;
      } else if (msg === "Router") {
        return this.route(proxy, hcm, conn, req);
      } else {
        this.push({ kind: "filter", at: proxy.id, verdict: "info", rule: `${name}: not an enforcement filter the tracer models; passes` });
      }
    }
    return this.stop("filter", proxy.id, "the HTTP filter chain has no router: no upstream");
  }

  route(proxy: ProxySnapshot, hcm: Obj, conn: Connection, req: { method: string; path: string; authority: string }): boolean {
    const rc = hcm["route_config"];
    if (!isObj(rc)) return this.stop("route", proxy.id, `routes come from ${hcm["rds"] ? "RDS (dynamic)" : "nowhere"}: not in the artifacts`);
    const strip = hcm["strip_any_host_port"] === true || rc["ignore_port_in_host_matching"] === true;
    const vh = chooseVirtualHost(rc, req.authority, strip);
    if (!vh.vhost) return this.stop("route", proxy.id, vh.reason);
    const r = chooseRoute(vh.vhost, req);
    if (r.stop || !r.cluster) return this.stop("route", proxy.id, `${vh.reason}; ${r.stop ?? r.reason}`);
    const action = isObj(r.route?.["route"]) ? (r.route["route"] as Obj) : {};
    const rewrite = typeof action["host_rewrite_literal"] === "string" ? action["host_rewrite_literal"] : undefined;
    this.push({ kind: "route", at: proxy.id, verdict: "pass", rule: `${vh.reason}; ${r.reason}${rewrite ? `; :authority rewritten to ${rewrite}` : ""}` });
    return this.forward(proxy, r.cluster, { ...conn, http: { ...req, ...(rewrite ? { authority: rewrite } : {}) } }, { inner: [] }, undefined);
  }

  /** Forwards through `clusterName` of `proxy`: its endpoint and upstream transport. */
  forward(proxy: ProxySnapshot, clusterName: string, conn: Connection, stream: Stream, dfpPort: number | undefined): boolean {
    const cluster = findCluster(proxy.bootstrap, clusterName);
    if (!cluster) return this.stop("cluster", proxy.id, `cluster ${clusterName} is not defined: 503 (no cluster)`);
    let host: string;
    let port: number;
    if (isDynamicForwardProxy(cluster)) {
      const sni = conn.tls?.sni;
      const authority = conn.http?.authority;
      if (sni !== undefined) {
        host = sni;
        port = dfpPort ?? conn.port;
      } else if (authority !== undefined) {
        const m = /^(.*?)(?::(\d+))?$/.exec(authority)!;
        host = m[1];
        port = m[2] ? Number(m[2]) : 80;
      } else return this.stop("cluster", proxy.id, `cluster ${clusterName} forwards to the requested host, but the connection names none (no SNI)`);
    } else {
      const eps = clusterEndpoints(cluster);
      const ep = eps[0];
      if (!ep) return this.stop("cluster", proxy.id, `cluster ${clusterName} has no endpoints: 503 (no healthy upstream)`);
      if ("pipe" in ep) {
        this.result = { proxy: proxy.id, address: `unix:${ep.pipe}` };
        return this.push({ kind: "delivered", at: proxy.id, verdict: "pass", rule: `cluster ${clusterName} -> unix socket ${ep.pipe} in the pod` });
      }
      host = ep.host;
      port = ep.port;
    }
    const up = tlsContext(cluster["transport_socket"]);
    let tls: TlsLayer | undefined;
    let inner: TlsLayer[];
    let how: string;
    if (up) {
      const f = tlsFacts(up);
      const cert = f.certificates[0];
      const sa = proxy.serviceAccount;
      const podId = sa && this.snapshot.trustDomain ? `spiffe://${this.snapshot.trustDomain}/ns/${proxy.namespace}/sa/${sa}` : undefined;
      if (cert?.startsWith("spiffe://") && podId && cert !== podId) {
        return this.stop("cluster", proxy.id, `cluster ${clusterName} presents ${cert}, but the SPIRE agent serves the pod (service account ${sa}) only ${podId}: no client certificate`);
      }
      tls = { ...(f.sni !== undefined ? { sni: f.sni } : {}), ...(cert?.startsWith("spiffe://") ? { identity: cert } : {}), expect: f, by: proxy.id };
      inner = stream.tls ? [stream.tls, ...stream.inner] : [];
      how = `originates TLS (SNI ${f.sni ?? "none"}, presenting ${cert ?? "no certificate"}, expecting ${f.sanMatchers.map((m) => JSON.stringify(m.matcher)).join(" or ") || "any SAN"})${stream.tls ? ` around the unopened TLS of ${stream.tls.by} (SNI ${stream.tls.sni ?? "none"})` : ""}`;
    } else if (stream.tls) {
      tls = stream.tls;
      inner = stream.inner;
      how = `forwards the unopened TLS of ${stream.tls.by} (SNI ${stream.tls.sni ?? "none"})`;
    } else {
      inner = [];
      how = "plaintext";
    }
    this.push({ kind: "cluster", at: proxy.id, verdict: "pass", rule: `cluster ${clusterName}${isDynamicForwardProxy(cluster) ? " (dynamic forward proxy)" : ""} -> ${host}:${port}, ${how}` });
    return this.connect({ from: proxy, host, port, ...(tls ? { tls } : {}), ...(inner.length > 0 ? { inner } : {}), ...(conn.http ? { http: conn.http } : {}) });
  }
}

function httpOf(req: TraceRequest): Connection["http"] {
  if (req.protocol !== "http") return undefined;
  const method = req.method ?? (req.access === "write" ? "PUT" : "GET");
  return { method, path: req.path ?? "/", authority: req.port === 80 ? req.host : `${req.host}:${req.port}` };
}

/** Follows one request through the snapshot. */
export function traceRequest(snapshot: MeshSnapshot, req: TraceRequest): TraceResult {
  const walk = new Walk(snapshot);
  const http = httpOf(req);
  const what = `${req.protocol === "http" ? `${http!.method} ${http!.path} ` : req.tls ? "TLS " : "TCP "}to ${req.host}:${req.port}`;
  if (req.source.kind === "workload") {
    const key = req.source.key;
    const proxy = proxyOfWorkload(snapshot.proxies, key);
    if (!proxy) {
      walk.stop("source", key, `no workload proxy of ${key} in the artifacts: its calls pass no enforcement point (and its SVID is unknown)`);
    } else {
      walk.push({ kind: "source", at: proxy.id, verdict: "pass", rule: `${key} in zone ${proxy.zone} (pod labels from ${proxy.podLabelsFrom}; identity ${ownSpiffeId(proxy.bootstrap) ?? "none"}) sends ${what}` });
      const alias = proxy.hostAliases[req.host.toLowerCase()];
      const appTls = req.tls ? { tls: { sni: req.host, by: "the application" } } : {};
      if (alias) {
        walk.push({ kind: "resolve", at: proxy.id, verdict: "pass", rule: `hostAliases of the pod: ${req.host} -> ${alias}` });
        walk.arrive(proxy, alias, req.port, { from: proxy, host: alias, port: req.port, ...appTls, ...(http ? { http } : {}) });
      } else {
        walk.push({ kind: "resolve", at: proxy.id, verdict: "info", rule: `no hostAliases entry for ${req.host} in the pod: the application connects through DNS directly, bypassing its proxy (${req.tls ? "its own TLS" : "plaintext"}, no client certificate)` });
        walk.connect({ from: proxy, host: req.host, port: req.port, ...appTls, ...(http ? { http } : {}) });
      }
    }
  } else {
    const { zone, spiffeId } = req.source;
    const gateway = snapshot.proxies.find((p) => p.zone === zone && p.kind === "gateway");
    const entry = gateway ? snapshot.hosts.find((h) => h.proxy === gateway.id && h.zone === undefined) : undefined;
    if (!gateway || !entry) {
      walk.stop("source", zone, `zone ${zone} has no gateway reachable from outside in the artifacts (no gateway proxy with a load balancer or declared host)`);
    } else {
      const port = entry.ports ? Number(Object.keys(entry.ports)[0]) : Number(listenerPorts(gateway)[0]);
      walk.push({ kind: "source", at: "outside the mesh", verdict: "pass", rule: `a client outside the mesh presenting ${spiffeId ?? "no client certificate"} sends ${what}, entering at zone ${zone}'s gateway ${entry.host}:${port} with SNI ${req.host}` });
      walk.connect({ host: entry.host, port, tls: { sni: req.host, ...(spiffeId ? { identity: spiffeId } : {}), by: "the external client" }, ...(req.tls ? { inner: [{ sni: req.host, by: "the external application" }] } : {}), ...(http ? { http } : {}) });
    }
  }
  const last = walk.hops[walk.hops.length - 1];
  const delivered = last?.kind === "delivered" && last.verdict === "pass";
  if (delivered && req.access !== undefined && req.protocol === "tcp") walk.push(accessNote(snapshot, walk, req));
  return { delivered, hops: walk.hops, ...(delivered && walk.result ? { deliveredTo: walk.result } : {}), warnings: snapshot.warnings };
}

/**
 * At L4 a data proxy admits a connection, not a read or a write: say which access the
 * destination zone's policy data grants the caller, and that the store's own IAM (the caller's
 * cloud identity) decides the rest.
 */
function accessNote(snapshot: MeshSnapshot, walk: Walk, req: TraceRequest): Hop {
  const authz = [...walk.hops].reverse().find((h) => h.kind === "ext-authz" && h.detail?.["input"] !== undefined);
  const zone = authz?.detail?.["zone"] as string | undefined;
  const data = zone ? snapshot.zones[zone]?.opa?.data : undefined;
  const input = authz?.detail?.["input"] as { attributes?: { source?: { principal?: string }; destination?: { labels?: Record<string, string> } } } | undefined;
  const source = input?.attributes?.source?.principal;
  const key = req.destination;
  const domain = key?.split("/")[0];
  const pairs = data && domain && key ? data.domains[domain]?.allow[key] : undefined;
  const inTd = source !== undefined && data !== undefined && source.startsWith(`spiffe://${data.platform.trust_domain}/`);
  const grants = [...((source && pairs?.[source]) || []), ...((inTd && pairs?.["*"]) || [])];
  const granted = [...new Set(grants.flatMap((g) => ("access" in g ? g.access : [])))].sort();
  const ok = granted.includes(req.access!);
  return {
    kind: "delivered",
    at: walk.result?.address ?? "store",
    verdict: "info",
    rule: `the data proxy works at L4: it admits the connection, not a ${req.access}; the policy data of zone ${zone ?? "?"} grants ${source ?? "the caller"} ${granted.length > 0 ? granted.join(" and ") : "no access"} on ${key ?? "this product"}${ok ? "" : `, so a ${req.access} must be refused by the store's IAM for the caller's cloud identity (not traced)`}`,
    detail: { requested: req.access, granted },
  };
}

function listenerPorts(p: ProxySnapshot): number[] {
  return arr((p.bootstrap["static_resources"] as Obj | undefined)?.["listeners"])
    .filter(isObj)
    .map((l) => socketAddress(l["address"])?.port)
    .filter((n): n is number => n !== undefined);
}
