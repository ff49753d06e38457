/**
 * Per-route overrides of HTTP filters: `typed_per_filter_config` on a virtual host, a route or a
 * weighted cluster of an HCM's inline `route_config` can switch ext_authz or RBAC off for the
 * requests it matches (`FilterConfig.disabled`, `ExtAuthzPerRoute.disabled`, an `RBACPerRoute`
 * without `rbac`), which a filter chain read alone does not show.
 */
import type { ChainView } from "./envoy-config";
import { asArray, asRecord, bool, field, str } from "./util";

type Obj = Record<string, unknown>;

/** One per-route config of a filter, and where it sits (for messages). */
export interface RouteOverride {
  where: string;
  config: Obj;
}

function overridesIn(holder: Obj | undefined, name: string, where: string, out: RouteOverride[]): void {
  const config = asRecord(asRecord(field(holder, "typed_per_filter_config", "typedPerFilterConfig"))?.[name]);
  if (config) out.push({ where, config });
}

/** The per-route configs of the HTTP filter named `name` in a chain's inline route config. */
export function routeOverrides(chain: ChainView, name: string): RouteOverride[] {
  const out: RouteOverride[] = [];
  const routeConfig = asRecord(field(chain.hcm, "route_config", "routeConfig"));
  asArray(field(routeConfig, "virtual_hosts", "virtualHosts")).forEach((v, vi) => {
    const vhost = asRecord(v);
    const vname = `virtual host "${str(vhost?.name) ?? `#${vi}`}"`;
    overridesIn(vhost, name, vname, out);
    asArray(vhost?.routes).forEach((r, ri) => {
      const route = asRecord(r);
      const rname = `${vname} route "${str(route?.name) ?? `#${ri}`}"`;
      overridesIn(route, name, rname, out);
      const clusters = asRecord(field(asRecord(route?.route), "weighted_clusters", "weightedClusters"))?.clusters;
      asArray(clusters).forEach((c, ci) => overridesIn(asRecord(c), name, `${rname} weighted cluster ${ci}`, out));
    });
  });
  return out;
}

/** The filter-specific config inside a generic `FilterConfig` wrapper, or the config itself; undefined when the wrapper disables the filter. */
function unwrap(config: Obj): Obj | undefined {
  const type = str(config["@type"]) ?? "";
  if (type.endsWith("envoy.config.route.v3.FilterConfig")) {
    if (bool(config.disabled) === true) return undefined;
    return asRecord(config.config) ?? {};
  }
  return config;
}

/** True when a per-route config turns ext_authz off (`disabled: true`, directly or in a FilterConfig wrapper). */
export function disablesExtAuthz(config: Obj): boolean {
  const inner = unwrap(config);
  return inner === undefined || bool(inner.disabled) === true;
}

/**
 * True when a per-route config leaves RBAC enforcing nothing: disabled by a FilterConfig wrapper,
 * an `RBACPerRoute` without `rbac` (Envoy then disables RBAC for the route), or one whose `rbac`
 * has no ALLOW `rules`.
 */
export function disablesRbac(config: Obj): boolean {
  const inner = unwrap(config);
  if (inner === undefined) return true;
  if (!(str(inner["@type"]) ?? "").endsWith("RBACPerRoute") && !("rbac" in inner)) return bool(inner.disabled) === true;
  const rules = asRecord(asRecord(inner.rbac)?.rules);
  const action = rules?.action ?? "ALLOW";
  return rules === undefined || !(action === "ALLOW" || action === 0);
}
