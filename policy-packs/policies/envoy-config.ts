/**
 * Reading Envoy configs: recognising a bootstrap by its shape (in any ConfigMap or Secret key,
 * YAML or JSON), the listeners it declares, their filter chains (including the default chain),
 * downstream TLS contexts and L4/L7 filters in order, and the two kinds of chain that need no
 * downstream mTLS of their own: listeners bound to loopback (inside the pod) and TLS passthrough
 * (SNI-routed, never terminated). `snake_case` and `camelCase` both read. Everything is tolerant:
 * odd shapes read as "absent", never as an exception.
 */
import { parseCidr } from "./cidr";
import { ContentCache } from "./content-cache";
import { asArray, asRecord, field, mayContain, num, parseDocument, str } from "./util";

/** Filters this pack recognizes, by well-known name or `@type` fragment. */
const KINDS = {
  hcm: ["envoy.filters.network.http_connection_manager", "http_connection_manager.v3.HttpConnectionManager"],
  httpExtAuthz: ["envoy.filters.http.ext_authz", "filters.http.ext_authz.v3.ExtAuthz"],
  netExtAuthz: ["envoy.filters.network.ext_authz", "filters.network.ext_authz.v3.ExtAuthz"],
  httpRbac: ["envoy.filters.http.rbac", "filters.http.rbac.v3.RBAC"],
  netRbac: ["envoy.filters.network.rbac", "filters.network.rbac.v3.RBAC"],
  router: ["envoy.filters.http.router", "filters.http.router.v3.Router"],
  tcpProxy: ["envoy.filters.network.tcp_proxy", "filters.network.tcp_proxy.v3.TcpProxy"],
  sniForwardProxy: ["envoy.filters.network.sni_dynamic_forward_proxy", "sni_dynamic_forward_proxy.v3.FilterConfig"],
  tlsInspector: ["envoy.filters.listener.tls_inspector", "tls_inspector.v3.TlsInspector"],
  downstreamTls: ["envoy.transport_sockets.tls", "tls.v3.DownstreamTlsContext"],
} as const;

/** A filter's typed config (`typed_config`/`typedConfig`), or an empty object. */
export function typedConfig(filter: unknown): Record<string, unknown> {
  return asRecord(field(asRecord(filter), "typed_config", "typedConfig")) ?? {};
}

/** True when a filter (or transport socket) is of `kind`, by its name or its typed config's `@type`. */
export function isKind(filter: unknown, kind: keyof typeof KINDS): boolean {
  const name = str(asRecord(filter)?.name) ?? "";
  const type = str(typedConfig(filter)["@type"]) ?? "";
  return KINDS[kind].some((k) => name === k || type.endsWith(k));
}

/** One listener filter chain, read for what the policies judge. */
export interface ChainView {
  /** Listener name (or its index) and chain index, for messages. */
  label: string;
  /** The DownstreamTlsContext typed config, when the chain terminates TLS. */
  tls?: Record<string, unknown>;
  /** The chain's filters in order: network filters, then the HCM's HTTP filters when there is one. */
  layers: { filters: unknown[]; terminal: "router" | "tcpProxy" | "hcm" }[];
  /**
   * Why the chain is no enforcement point and the policies do not judge it: `loopback`, a
   * listener bound only to loopback addresses (127.0.0.0/8, ::1), which only its own pod reaches
   * (an application's way out through its proxy); `passthrough`, a chain that inspects TLS
   * (tls_inspector), matches `server_names`, terminates no TLS and only forwards the bytes
   * (tcp_proxy, sni_dynamic_forward_proxy, optionally behind network RBAC/ext_authz), so the
   * destination's proxy authenticates and authorizes (a zone gateway).
   */
  exempt?: "loopback" | "passthrough";
  /** The listener's port (`address.socket_address.port_value`), when given. */
  port?: number;
  /** The HTTP connection manager's typed config, when the chain has one (its inline `route_config` carries per-route filter overrides). */
  hcm?: Record<string, unknown>;
}

/** The chains the policies judge (see {@link ChainView.exempt}). */
export function enforcingChains(chains: readonly ChainView[]): ChainView[] {
  return chains.filter((c) => c.exempt === undefined);
}

/** The addresses a listener binds (`address` and `additional_addresses`), as written. */
function listenerAddresses(l: Record<string, unknown>): string[] {
  const one = (a: unknown) => str(field(asRecord(field(asRecord(a), "socket_address", "socketAddress")), "address"));
  const extra = asArray(field(l, "additional_addresses", "additionalAddresses")).map((x) => one(asRecord(x)?.address));
  return [one(l.address), ...extra].filter((x): x is string => x !== undefined);
}

const LOOPBACK = ["127.0.0.0/8", "::1/128", "::ffff:7f00:0/104"].flatMap((c) => parseCidr(c) ?? []);

/** True for a loopback address (127.0.0.0/8, ::1, IPv4-mapped 127/8). */
export function isLoopback(address: string): boolean {
  const a = parseCidr(address);
  return a !== undefined && LOOPBACK.some((l) => l.family === a.family && a.range.lo >= l.range.lo && a.range.hi <= l.range.hi);
}

/** True when every address a listener binds is loopback (and it binds at least one). */
export function isLoopbackListener(l: Record<string, unknown>): boolean {
  const addresses = listenerAddresses(l);
  return addresses.length > 0 && addresses.every(isLoopback);
}

function isPassthrough(listener: Record<string, unknown>, chain: Record<string, unknown>, tls: unknown, network: unknown[]): boolean {
  if (tls !== undefined || field(chain, "transport_socket", "transportSocket") !== undefined) return false;
  const inspects = asArray(field(listener, "listener_filters", "listenerFilters")).some((f) => isKind(f, "tlsInspector"));
  const match = asRecord(field(chain, "filter_chain_match", "filterChainMatch"));
  const sni = asArray(field(match, "server_names", "serverNames")).filter((n) => typeof n === "string" && n !== "");
  if (!inspects || sni.length === 0 || network.length === 0) return false;
  const last = network[network.length - 1];
  const forwards = (f: unknown) => isKind(f, "tcpProxy") || isKind(f, "sniForwardProxy");
  return isKind(last, "tcpProxy") && network.every((f) => forwards(f) || isKind(f, "netRbac") || isKind(f, "netExtAuthz"));
}

function listenersIn(doc: unknown, out: Record<string, unknown>[], depth = 0): void {
  if (depth > 8) return;
  if (Array.isArray(doc)) {
    for (const d of doc) listenersIn(d, out, depth + 1);
    return;
  }
  const r = asRecord(doc);
  if (!r) return;
  if (field(r, "filter_chains", "filterChains", "default_filter_chain", "defaultFilterChain") !== undefined) {
    out.push(r);
    return;
  }
  for (const v of Object.values(r)) listenersIn(v, out, depth + 1);
}

/**
 * True when a document is an Envoy bootstrap by its shape: `static_resources` with `listeners` or
 * `clusters`, or `dynamic_resources`. A listener discovery file (`resources` of
 * `envoy.config.listener.v3.Listener`, what a bootstrap's file-based `lds_config` points to)
 * counts too: it is where such an Envoy's listeners are.
 */
export function isEnvoyDocument(doc: unknown): boolean {
  const d = asRecord(doc);
  if (!d) return false;
  const stat = asRecord(field(d, "static_resources", "staticResources"));
  if (stat && (field(stat, "listeners") !== undefined || field(stat, "clusters") !== undefined)) return true;
  if (asRecord(field(d, "dynamic_resources", "dynamicResources"))) return true;
  return asArray(d.resources).some((r) => (str(asRecord(r)?.["@type"]) ?? "").endsWith("envoy.config.listener.v3.Listener"));
}

/** True when a bootstrap takes its listeners from a management server (`lds_config` over ADS or an API config source), where the pack cannot see them. */
export function listenersFromServer(doc: unknown): boolean {
  const lds = asRecord(field(asRecord(field(asRecord(doc), "dynamic_resources", "dynamicResources")), "lds_config", "ldsConfig"));
  return lds !== undefined && (field(lds, "ads") !== undefined || field(lds, "api_config_source", "apiConfigSource") !== undefined);
}

/** Keys one of which every Envoy document has ({@link isEnvoyDocument}): texts without any are not parsed. */
const ENVOY_KEYS = ["static_resources", "staticResources", "dynamic_resources", "dynamicResources", "envoy.config.listener.v3.Listener"];

/** Parses every entry (YAML is a superset of JSON) and keeps the Envoy documents ({@link isEnvoyDocument}); other entries are not Envoy configs. */
export function parseDocuments(data: Record<string, string>): unknown[] {
  const docs: unknown[] = [];
  for (const text of Object.values(data)) {
    if (!mayContain(text, ENVOY_KEYS)) continue;
    try {
      const doc = parseDocument(text);
      if (isEnvoyDocument(doc)) docs.push(doc);
    } catch {
      // not YAML/JSON: not an Envoy config
    }
  }
  return docs;
}

/** The filter chains (and default chain) of every listener in the documents. */
export function chainsOf(docs: unknown[]): ChainView[] {
  const listeners: Record<string, unknown>[] = [];
  for (const d of docs) listenersIn(d, listeners);
  const chains: ChainView[] = [];
  listeners.forEach((l, li) => {
    const lname = str(l.name) ?? `#${li}`;
    const loopback = isLoopbackListener(l);
    const all: [unknown, string][] = asArray(field(l, "filter_chains", "filterChains")).map((c, ci) => [c, `filter chain ${ci}`]);
    const fallback = field(l, "default_filter_chain", "defaultFilterChain");
    if (fallback !== undefined) all.push([fallback, "default filter chain"]);
    for (const [c, which] of all) {
      const chain = asRecord(c) ?? {};
      const socket = field(chain, "transport_socket", "transportSocket");
      const tls = isKind(socket, "downstreamTls") ? typedConfig(socket) : undefined;
      const network = asArray(chain.filters);
      const layers: ChainView["layers"] = [{ filters: network, terminal: "tcpProxy" }];
      const hcm = network.find((f) => isKind(f, "hcm"));
      if (hcm !== undefined) {
        layers[0].terminal = "hcm";
        layers.push({ filters: asArray(field(typedConfig(hcm), "http_filters", "httpFilters")), terminal: "router" });
      }
      const exempt = loopback ? "loopback" : isPassthrough(l, chain, tls, network) ? "passthrough" : undefined;
      chains.push({
        label: `listener "${lname}" ${which}`,
        tls,
        layers,
        ...(exempt ? { exempt } : {}),
        port: num(field(asRecord(field(asRecord(l.address), "socket_address", "socketAddress")), "port_value", "portValue")),
        hcm: hcm === undefined ? undefined : typedConfig(hcm),
      });
    }
  });
  return chains;
}

/** What the pack reads of one ConfigMap's or Secret's Envoy documents. */
export interface EnvoyView {
  chains: ChainView[];
  /** Some bootstrap takes its listeners from a management server. */
  serverListeners: boolean;
  /** The ports of the static cluster endpoints it connects to (where it forwards), sorted. */
  upstreamPorts: number[];
}

/** The ports of the static cluster endpoints of a bootstrap (`load_assignment` endpoints, legacy `hosts`). */
export function upstreamPortsOf(doc: unknown): number[] {
  const ports = new Set<number>();
  const portOf = (address: unknown) => num(field(asRecord(field(asRecord(address), "socket_address", "socketAddress")), "port_value", "portValue"));
  const clusters = asArray(field(asRecord(field(asRecord(doc), "static_resources", "staticResources")), "clusters"));
  for (const c of clusters.map(asRecord)) {
    const assignment = asRecord(field(c, "load_assignment", "loadAssignment"));
    for (const e of asArray(assignment?.endpoints)) {
      for (const lb of asArray(field(asRecord(e), "lb_endpoints", "lbEndpoints"))) {
        const p = portOf(asRecord(asRecord(lb)?.endpoint)?.address);
        if (p !== undefined) ports.add(p);
      }
    }
    for (const h of asArray(c?.hosts)) {
      const p = portOf(h);
      if (p !== undefined) ports.add(p);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * Recently read configs, by content: the four Envoy policies read each ConfigMap during Analyze,
 * and the conformance check reads them all again in AnalyzeStack, in the same pack process, so
 * each distinct config is parsed once per preview. Bounded by size rather than by count, so a mesh
 * with many configs keeps them all between the two phases instead of evicting each one before its
 * second reader comes.
 */
const recentViews = new ContentCache<EnvoyView | undefined>(32 * 1024 * 1024);

/** The Envoy documents of a ConfigMap's/Secret's text entries, parsed once per distinct content; undefined when it holds none. Treat as read-only. */
export function envoyOfData(data: Record<string, string>): EnvoyView | undefined {
  return recentViews.get(JSON.stringify(data), () => {
    const docs = parseDocuments(data);
    if (docs.length === 0) return undefined;
    return { chains: chainsOf(docs), serverListeners: docs.some(listenersFromServer), upstreamPorts: [...new Set(docs.flatMap(upstreamPortsOf))].sort((a, b) => a - b) };
  });
}

/** The filter chains of the Envoy documents in a ConfigMap's data (none when it holds no Envoy config). Treat as read-only. */
export function chainsOfData(data: Record<string, string>): ChainView[] {
  return envoyOfData(data)?.chains ?? [];
}

/** Index of the layer's terminal filter (router/tcp_proxy/HCM), or the layer's length when absent. */
function terminalIndex(layer: ChainView["layers"][number]): number {
  const i = layer.filters.findIndex((f) => isKind(f, layer.terminal));
  return i < 0 ? layer.filters.length : i;
}

/** Filters of `kinds` that run before the terminal filter, in every layer of the chain. */
export function filtersBeforeTerminal(chain: ChainView, kinds: (keyof typeof KINDS)[]): unknown[] {
  return chain.layers.flatMap((layer) => layer.filters.slice(0, terminalIndex(layer)).filter((f) => kinds.some((k) => isKind(f, k))));
}

/** Filters of `kinds` anywhere in the chain (to tell "after the router" from "absent"). */
export function filtersAnywhere(chain: ChainView, kinds: (keyof typeof KINDS)[]): unknown[] {
  return chain.layers.flatMap((layer) => layer.filters.filter((f) => kinds.some((k) => isKind(f, k))));
}

/** TLS versions in order; `TLS_AUTO` is Envoy's server default, TLS 1.2. */
export const TLS_VERSIONS = ["TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"] as const;

/** The minimum TLS version a DownstreamTlsContext accepts (missing or TLS_AUTO: Envoy's server default TLSv1_2). */
export function minimumTlsOf(tls: Record<string, unknown>): string {
  const common = asRecord(field(tls, "common_tls_context", "commonTlsContext"));
  const params = asRecord(field(common, "tls_params", "tlsParams"));
  const v = str(field(params, "tls_minimum_protocol_version", "tlsMinimumProtocolVersion"));
  return v === undefined || v === "TLS_AUTO" ? "TLSv1_2" : v;
}
