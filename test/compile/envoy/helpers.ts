/** Shared helpers of the Envoy compiler tests: navigate compiled bootstraps. */
import type { EnvoyBootstrap, FilterChain, HttpConnectionManager, NamedFilter, RbacRules } from "../../../components/compile/envoy";

/** The first filter chain of the first listener. */
export function chainOf(b: EnvoyBootstrap): FilterChain {
  return b.static_resources.listeners[0].filter_chains[0];
}

/** The gateway's HTTP connection manager. */
export function hcmOf(b: EnvoyBootstrap): HttpConnectionManager {
  return chainOf(b).filters[0].typed_config as HttpConnectionManager;
}

/** The gateway's HTTP filters. */
export function httpFiltersOf(b: EnvoyBootstrap): NamedFilter[] {
  return hcmOf(b).http_filters;
}

/** The RBAC rules of the named filter (HTTP filters first, then network filters). */
export function rulesOf(b: EnvoyBootstrap, filterName: string): RbacRules | undefined {
  const filters = [...(chainOf(b).filters[0].name === "envoy.filters.network.http_connection_manager" ? httpFiltersOf(b) : []), ...chainOf(b).filters];
  const f = filters.find((x) => x.name === filterName);
  return f ? (f.typed_config["rules"] as RbacRules) : undefined;
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
