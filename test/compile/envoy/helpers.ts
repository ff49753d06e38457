/** Shared helpers of the Envoy compiler tests: navigate compiled bootstraps. */
import type {
  Address,
  Cluster,
  DownstreamTlsContext,
  EnvoyBootstrap,
  FilterChain,
  HttpConnectionManager,
  Listener,
  NamedFilter,
  RbacRules,
} from "../../../components/compile/envoy";

/** The listener named `name`, or the first listener. */
export function listenerOf(b: EnvoyBootstrap, name?: string): Listener {
  const listeners = b.static_resources.listeners;
  const l = name === undefined ? listeners[0] : listeners.find((x) => x.name === name);
  if (!l) throw new Error(`no listener ${name ?? "(first)"} in ${listeners.map((x) => x.name).join(", ")}`);
  return l;
}

/** The first filter chain of the listener named `listener` (default: the first listener). */
export function chainOf(b: EnvoyBootstrap, listener?: string): FilterChain {
  return listenerOf(b, listener).filter_chains[0];
}

/** The downstream TLS context of the listener's first chain (throws when it terminates no TLS). */
export function downstreamTlsOf(b: EnvoyBootstrap, listener?: string): DownstreamTlsContext {
  const ts = chainOf(b, listener).transport_socket;
  if (!ts) throw new Error(`listener ${listener ?? "(first)"} terminates no TLS`);
  return ts.typed_config;
}

/** The HTTP connection manager of the listener's first chain. */
export function hcmOf(b: EnvoyBootstrap, listener?: string): HttpConnectionManager {
  return chainOf(b, listener).filters[0].typed_config as HttpConnectionManager;
}

/** The HTTP filters of the listener's first chain. */
export function httpFiltersOf(b: EnvoyBootstrap, listener?: string): NamedFilter[] {
  return hcmOf(b, listener).http_filters;
}

/** The RBAC rules of the named filter (HTTP filters first, then network filters) of a listener (default: the first). */
export function rulesOf(b: EnvoyBootstrap, filterName: string, listener?: string): RbacRules | undefined {
  const chain = chainOf(b, listener);
  const filters = [...(chain.filters[0].name === "envoy.filters.network.http_connection_manager" ? httpFiltersOf(b, listener) : []), ...chain.filters];
  const f = filters.find((x) => x.name === filterName);
  return f ? (f.typed_config["rules"] as RbacRules) : undefined;
}

/** The cluster named `name` (throws when absent). */
export function clusterOf(b: EnvoyBootstrap, name: string): Cluster {
  const c = b.static_resources.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`no cluster ${name} in ${b.static_resources.clusters.map((x) => x.name).join(", ")}`);
  return c;
}

/** The address of a cluster's only endpoint (throws for clusters without endpoints). */
export function endpointOf(c: Cluster): Address {
  if (!c.load_assignment) throw new Error(`cluster ${c.name} has no endpoints`);
  return c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address;
}

/** The exact and prefix principal names of a rule set's policies, sorted. */
export function principalNames(rules: RbacRules): string[] {
  const out: string[] = [];
  for (const p of Object.values(rules.policies)) {
    for (const pr of p.principals) {
      if ("authenticated" in pr) {
        const m = pr.authenticated.principal_name;
        out.push("exact" in m ? m.exact : "prefix" in m ? `${m.prefix}*` : JSON.stringify(m));
      } else out.push(JSON.stringify(pr));
    }
  }
  return [...new Set(out)].sort();
}
