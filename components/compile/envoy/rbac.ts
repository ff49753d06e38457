/**
 * Intents and deny rules -> Envoy RBAC rules. Pure and deterministic (policies keyed and
 * sorted by name, principals and permissions sorted).
 *
 * - Workload proxy inbound (HTTP): one ALLOW policy per (destination service, source), so each
 *   source gets exactly the methods and paths declared for it (a single policy per service
 *   would let every source use every other source's methods). A second RBAC filter with
 *   action DENY carries the deny rules that target the zone's services (deny-overrides at L7).
 * - Data proxy (L4): one ALLOW policy per product whose principals are the sources of any
 *   data intent to it; deny rules without methods or paths deny those sources outright.
 */
import type { DenyRule, MeshModel, Service, Source } from "../../model/model";
import { trustDomainPrefix } from "../../model/spiffe";
import { routedPort } from "./common";
import type { RbacPermission, RbacPolicy, RbacPrincipal, RbacRules, StringMatcher } from "./types";

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The policy-name token of a source: its workload key, or `*`. */
export function sourceToken(source: Source): string {
  return source.kind === "any" ? "*" : source.key;
}

/** Escapes a literal for an RE2 regex. */
function reEscape(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}

/** The `:authority` matcher of a service host, with an optional port. */
export function authorityMatcher(host: string): StringMatcher {
  return { safe_regex: { regex: `${reEscape(host)}(:[0-9]+)?` } };
}

/**
 * The RBAC principal of an intent source: the workload's exact SPIFFE ID, or for `*` any
 * authenticated peer of the trust domain.
 */
export function allowPrincipal(source: Source, trustDomain: string): RbacPrincipal {
  return source.kind === "any"
    ? { authenticated: { principal_name: { prefix: trustDomainPrefix(trustDomain) } } }
    : { authenticated: { principal_name: { exact: source.spiffeId } } };
}

/** The RBAC principal a deny rule matches: the workload's SPIFFE ID, or anyone. */
function denyPrincipal(source: Source): RbacPrincipal {
  return source.kind === "any" ? { any: true } : { authenticated: { principal_name: { exact: source.spiffeId } } };
}

const authority = (host: string): RbacPermission => ({ header: { name: ":authority", string_match: authorityMatcher(host) } });
const method = (m: string): RbacPermission => ({ header: { name: ":method", string_match: { exact: m } } });
const pathPrefix = (p: string): RbacPermission => ({ url_path: { path: { prefix: p } } });

/** Services of zone `zoneId` the gateway routes to (see {@link routedPort}), by key. */
function zoneServices(model: MeshModel, zoneId: string): Map<string, Service> {
  return new Map([...model.services].filter(([, s]) => s.zone === zoneId && routedPort(s) !== undefined));
}

function sorted<T>(record: Map<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of [...record.keys()].sort(cmp)) out[k] = record.get(k)!;
  return out;
}

/** The HTTP ALLOW rules of zone `zoneId`'s services. Empty policies (deny all) when no intent reaches the zone. */
export function compileHttpAllowRules(model: MeshModel, zoneId: string): RbacRules {
  return httpAllowRules(model, zoneServices(model, zoneId));
}

/** The HTTP ALLOW rules of one service's inbound (its workload proxy). Empty policies (deny all) without intents. */
export function compileServiceAllowRules(model: MeshModel, svc: Service): RbacRules {
  return httpAllowRules(model, new Map(routedPort(svc) ? [[svc.key, svc]] : []));
}

/** The HTTP DENY rules of one service's inbound: every deny rule the model holds that targets it. */
export function compileServiceDenyRules(model: MeshModel, svc: Service): RbacRules {
  return httpDenyRules(new Map(routedPort(svc) ? [[svc.key, svc]] : []), model.denyRules);
}

/**
 * The HTTP DENY rules a caller enforces on its own way out to `upstream`: the deny rules its own
 * domain or the mesh declared that match the caller (the destination's stack may never see
 * them: it holds only its own domain's rules and the domains it references).
 */
export function compileOutboundDenyRules(model: MeshModel, caller: Service, upstream: Service): RbacRules {
  const own = model.denyRules.filter((r) => (r.scope === caller.domain || r.scope === "global") && (r.source.kind === "any" || r.source.key === caller.key));
  const policies = new Map<string, RbacPolicy>();
  for (const rule of own) {
    if (denyTargets(rule, [upstream]).length === 0) continue;
    // The listener serves this one upstream, whatever host name the application used (the
    // authority is rewritten after RBAC), so only methods and paths are matched; and it is in
    // the caller's own pod (no peer certificate): the rule was chosen for this caller above.
    const rules: RbacPermission[] = [];
    if (rule.methods) rules.push({ or_rules: { rules: [...rule.methods].sort(cmp).map(method) } });
    if (rule.paths) rules.push({ or_rules: { rules: [...rule.paths].sort(cmp).map(pathPrefix) } });
    policies.set(rule.id, { permissions: [rules.length > 0 ? { and_rules: { rules } } : { any: true }], principals: [{ any: true }] });
  }
  return { action: "DENY", policies: sorted(policies) };
}

function httpAllowRules(model: MeshModel, services: Map<string, Service>): RbacRules {
  // policy name -> {source, host, "METHOD path" combinations}
  const grants = new Map<string, { source: Source; host: string; combos: Set<string> }>();
  for (const intent of model.intents) {
    if (intent.kind !== "call") continue;
    const svc = services.get(intent.to);
    if (!svc) continue;
    const name = `${svc.key} <- ${sourceToken(intent.source)}`;
    const grant = grants.get(name) ?? { source: intent.source, host: svc.host, combos: new Set<string>() };
    for (const m of intent.methods) for (const p of intent.paths) grant.combos.add(`${m} ${p}`);
    grants.set(name, grant);
  }
  const policies = new Map<string, RbacPolicy>();
  for (const [name, g] of grants) {
    const combos: RbacPermission[] = [...g.combos].sort(cmp).map((c) => {
      const i = c.indexOf(" ");
      return { and_rules: { rules: [method(c.slice(0, i)), pathPrefix(c.slice(i + 1))] } };
    });
    policies.set(name, {
      permissions: [{ and_rules: { rules: [authority(g.host), { or_rules: { rules: combos } }] } }],
      principals: [allowPrincipal(g.source, model.trustDomain)],
    });
  }
  return { action: "ALLOW", policies: sorted(policies) };
}

/** The destination keys (among `candidates`) a deny rule applies to. */
function denyTargets(rule: DenyRule, candidates: Iterable<{ key: string; domain: string }>): string[] {
  const out: string[] = [];
  for (const c of candidates) {
    if (rule.to !== undefined ? rule.to === c.key : rule.scope === "global" || rule.scope === c.domain) out.push(c.key);
  }
  return out.sort(cmp);
}

/** The HTTP DENY rules of zone `zoneId`'s services: one policy per deny rule that targets a service of the zone. */
export function compileHttpDenyRules(model: MeshModel, zoneId: string): RbacRules {
  return httpDenyRules(zoneServices(model, zoneId), model.denyRules);
}

function httpDenyRules(services: Map<string, Service>, rules: readonly DenyRule[]): RbacRules {
  const policies = new Map<string, RbacPolicy>();
  for (const rule of rules) {
    const targets = denyTargets(rule, services.values());
    if (targets.length === 0) continue;
    const permissions: RbacPermission[] = targets.map((key) => {
      const rules: RbacPermission[] = [authority(services.get(key)!.host)];
      if (rule.methods) rules.push({ or_rules: { rules: [...rule.methods].sort(cmp).map(method) } });
      if (rule.paths) rules.push({ or_rules: { rules: [...rule.paths].sort(cmp).map(pathPrefix) } });
      return { and_rules: { rules } };
    });
    policies.set(rule.id, { permissions, principals: [denyPrincipal(rule.source)] });
  }
  return { action: "DENY", policies: sorted(policies) };
}

/** The L4 ALLOW rules of a data product's proxy. Empty policies (deny all) without data intents. */
export function compileNetworkAllowRules(model: MeshModel, productKey: string): RbacRules {
  const principals = new Map<string, RbacPrincipal>();
  for (const intent of model.intents) {
    if (intent.kind !== "data" || intent.to !== productKey) continue;
    principals.set(sourceToken(intent.source), allowPrincipal(intent.source, model.trustDomain));
  }
  const policies = new Map<string, RbacPolicy>();
  if (principals.size > 0) {
    policies.set(productKey, { permissions: [{ any: true }], principals: Object.values(sorted(principals)) });
  }
  return { action: "ALLOW", policies: sorted(policies) };
}

/**
 * The L4 DENY rules of a data product's proxy: deny rules that target the product (or all
 * of its domain, or everything) without restricting methods or paths. Rules that name
 * methods or paths cannot be seen at L4 and are left to the policy engine.
 */
export function compileNetworkDenyRules(model: MeshModel, productKey: string): RbacRules {
  const product = model.dataProducts.get(productKey);
  const policies = new Map<string, RbacPolicy>();
  if (product) {
    for (const rule of model.denyRules) {
      if (rule.methods || rule.paths) continue;
      if (denyTargets(rule, [product]).length === 0) continue;
      policies.set(rule.id, { permissions: [{ any: true }], principals: [denyPrincipal(rule.source)] });
    }
  }
  return { action: "DENY", policies: sorted(policies) };
}
