/**
 * Reading mesh Envoy configs: the listeners of a bootstrap (YAML or JSON, `snake_case` or
 * `camelCase`), their filter chains, downstream TLS contexts and L4/L7 filters in order.
 * Everything is tolerant: odd shapes read as "absent", never as an exception.
 */
import { ContentCache } from "./content-cache";
import { asArray, asRecord, field, parseYaml, str } from "./util";

/** Filters this pack recognizes, by well-known name or `@type` fragment. */
const KINDS = {
  hcm: ["envoy.filters.network.http_connection_manager", "http_connection_manager.v3.HttpConnectionManager"],
  httpExtAuthz: ["envoy.filters.http.ext_authz", "filters.http.ext_authz.v3.ExtAuthz"],
  netExtAuthz: ["envoy.filters.network.ext_authz", "filters.network.ext_authz.v3.ExtAuthz"],
  httpRbac: ["envoy.filters.http.rbac", "filters.http.rbac.v3.RBAC"],
  netRbac: ["envoy.filters.network.rbac", "filters.network.rbac.v3.RBAC"],
  router: ["envoy.filters.http.router", "filters.http.router.v3.Router"],
  tcpProxy: ["envoy.filters.network.tcp_proxy", "filters.network.tcp_proxy.v3.TcpProxy"],
  downstreamTls: ["envoy.transport_sockets.tls", "tls.v3.DownstreamTlsContext"],
  sniForwardProxy: ["envoy.filters.network.sni_dynamic_forward_proxy", "sni_dynamic_forward_proxy.v3.FilterConfig"],
} as const;

/** True when a listener is bound to a loopback address: only its own pod reaches it (an application's way out through its proxy). */
function isLoopbackListener(l: Record<string, unknown>): boolean {
  const sock = asRecord(field(asRecord(l.address), "socket_address", "socketAddress"));
  const a = str(sock?.address);
  return a !== undefined && (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a) || a === "::1" || a === "localhost");
}

/**
 * True for a TLS passthrough chain: it takes connections by SNI (`server_names`), terminates no
 * TLS and only forwards the bytes (tcp_proxy, SNI forward proxy). It cannot authenticate or
 * authorize anything; the destination it forwards to must (a zone gateway's chain).
 */
function isPassthroughChain(chain: Record<string, unknown>): boolean {
  const match = asRecord(field(chain, "filter_chain_match", "filterChainMatch"));
  const names = asArray(field(match, "server_names", "serverNames"));
  if (names.length === 0 || field(chain, "transport_socket", "transportSocket") !== undefined) return false;
  const filters = asArray(chain.filters);
  return filters.length > 0 && filters.every((f) => isKind(f, "tcpProxy") || isKind(f, "sniForwardProxy"));
}

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
   * listener only its own pod reaches (an application's way out through its proxy);
   * `passthrough`, a chain that takes TLS connections by SNI and forwards them unopened, so the
   * destination's proxy authenticates and authorizes them (a zone gateway).
   */
  exempt?: "loopback" | "passthrough";
}

/** The chains the policies judge (see {@link ChainView.exempt}). */
export function enforcingChains(chains: readonly ChainView[]): ChainView[] {
  return chains.filter((c) => c.exempt === undefined);
}

function listenersIn(doc: unknown, out: Record<string, unknown>[], depth = 0): void {
  if (depth > 8) return;
  if (Array.isArray(doc)) {
    for (const d of doc) listenersIn(d, out, depth + 1);
    return;
  }
  const r = asRecord(doc);
  if (!r) return;
  if (field(r, "filter_chains", "filterChains") !== undefined) {
    out.push(r);
    return;
  }
  for (const v of Object.values(r)) listenersIn(v, out, depth + 1);
}

/** Parses every data entry of an envoy ConfigMap (YAML is a superset of JSON); unparseable entries are skipped. */
export function parseDocuments(data: Record<string, string>): unknown[] {
  const docs: unknown[] = [];
  for (const text of Object.values(data)) {
    try {
      docs.push(parseYaml(text));
    } catch {
      // not YAML/JSON: not an Envoy config
    }
  }
  return docs;
}

/** The filter chains of every listener in the documents. */
export function chainsOf(docs: unknown[]): ChainView[] {
  const listeners: Record<string, unknown>[] = [];
  for (const d of docs) listenersIn(d, listeners);
  const chains: ChainView[] = [];
  listeners.forEach((l, li) => {
    const lname = str(l.name) ?? `#${li}`;
    const loopback = isLoopbackListener(l);
    asArray(field(l, "filter_chains", "filterChains")).forEach((c, ci) => {
      const chain = asRecord(c) ?? {};
      const exempt = loopback ? "loopback" : isPassthroughChain(chain) ? "passthrough" : undefined;
      const socket = field(chain, "transport_socket", "transportSocket");
      const tls = isKind(socket, "downstreamTls") ? typedConfig(socket) : undefined;
      const network = asArray(chain.filters);
      const layers: ChainView["layers"] = [{ filters: network, terminal: "tcpProxy" }];
      const hcm = network.find((f) => isKind(f, "hcm"));
      if (hcm !== undefined) {
        layers[0].terminal = "hcm";
        layers.push({ filters: asArray(field(typedConfig(hcm), "http_filters", "httpFilters")), terminal: "router" });
      }
      chains.push({ label: `listener "${lname}" filter chain ${ci}`, tls, layers, ...(exempt ? { exempt } : {}) });
    });
  });
  return chains;
}

/**
 * Recently read configs, by content: the four Envoy policies read each ConfigMap during Analyze,
 * and the conformance check reads them all again in AnalyzeStack, in the same pack process, so
 * each distinct config is parsed once per preview. Bounded by size rather than by count, so a mesh
 * with many configs keeps them all between the two phases instead of evicting each one before its
 * second reader comes.
 */
const recentChains = new ContentCache<ChainView[]>(32 * 1024 * 1024);

/** The filter chains of an Envoy ConfigMap's data, parsed once per distinct content. Treat as read-only. */
export function chainsOfData(data: Record<string, string>): ChainView[] {
  return recentChains.get(JSON.stringify(data), () => chainsOf(parseDocuments(data)));
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
