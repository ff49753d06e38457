/**
 * Evaluates the RBAC of an Envoy config the way Envoy does, for one request or connection.
 * Used by tests and by the conformance policy to recompute the allowed flows from the
 * generated configs themselves.
 *
 * Scope: the downstream mTLS gate (client certificate required, URI SAN matchers), then every
 * RBAC filter (network and HTTP) of the listener's first filter chain, in order: ALLOW rules
 * need a matching policy, DENY rules none, LOG rules and absent rules enforce nothing
 * (`shadow_rules` are ignored). ext_authz (the policy engine's own decision) is out of scope.
 * Matchers this evaluator does not model (IPs, metadata, filter state, `matcher` trees)
 * never match, so an unmodelled ALLOW policy is treated as not allowing (fail closed).
 */
import type { EnvoyBootstrap } from "./types";
import { TYPE_URL } from "./names";

/** A request (HTTP) or connection (L4) to evaluate. */
export interface RbacRequest {
  /** The peer certificate's URI SAN (SPIFFE ID); undefined when no certificate is presented. */
  principal?: string;
  /** `:authority` (HTTP only). */
  host?: string;
  /** `:method` (HTTP only). */
  method?: string;
  /** `:path`, with an optional query string (HTTP only). */
  path?: string;
  /** Destination port (for `destination_port` permissions). */
  port?: number;
  /** TLS SNI (for `requested_server_name` permissions). */
  sni?: string;
  /** Name of the listener to evaluate. @default the first listener */
  listener?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Compiled `safe_regex` patterns (RE2 full match), by pattern; `null` for a pattern JavaScript
 * cannot compile (never matches). Configs repeat a few patterns (authority matchers) across many
 * evaluations: compiling once per pattern, not per evaluation, is what keeps a mesh-wide trace fast.
 * Bounded: cleared when it grows past {@link REGEX_CACHE_LIMIT} patterns.
 */
const regexCache = new Map<string, RegExp | null>();
const REGEX_CACHE_LIMIT = 10_000;

function fullMatchRegex(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${pattern})$`); // RE2 full match
    } catch {
      re = null;
    }
    if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** Evaluates an `envoy.type.matcher.v3.StringMatcher`. */
export function stringMatches(m: unknown, value: string | undefined): boolean {
  if (!isObj(m) || value === undefined) return false;
  const ic = m["ignore_case"] === true;
  const v = ic ? value.toLowerCase() : value;
  const exact = m["exact"];
  if (typeof exact === "string") return v === (ic ? exact.toLowerCase() : exact);
  const prefix = m["prefix"];
  if (typeof prefix === "string") return v.startsWith(ic ? prefix.toLowerCase() : prefix);
  const suffix = m["suffix"];
  if (typeof suffix === "string") return v.endsWith(ic ? suffix.toLowerCase() : suffix);
  const contains = m["contains"];
  if (typeof contains === "string") return v.includes(ic ? contains.toLowerCase() : contains);
  const re = m["safe_regex"];
  if (isObj(re) && typeof re["regex"] === "string") return fullMatchRegex(re["regex"])?.test(value) ?? false;
  return false;
}

function headerValue(req: RbacRequest, name: string): string | undefined {
  switch (name.toLowerCase()) {
    case ":authority":
    case "host":
      return req.host;
    case ":method":
      return req.method;
    case ":path":
      return req.path;
    default:
      return undefined;
  }
}

/** Evaluates an `envoy.config.route.v3.HeaderMatcher` (Envoy's missing-header semantics). */
export function headerMatches(h: unknown, req: RbacRequest): boolean {
  if (!isObj(h) || typeof h["name"] !== "string") return false;
  const invert = h["invert_match"] === true;
  const value = headerValue(req, h["name"]);
  if (value === undefined) {
    if (h["present_match"] === undefined) return false;
    return invert ? h["present_match"] === true : h["present_match"] === false;
  }
  let matched: boolean;
  if (h["present_match"] !== undefined) matched = h["present_match"] === true;
  else if (h["string_match"] !== undefined) matched = stringMatches(h["string_match"], value);
  else if (typeof h["exact_match"] === "string") matched = value === h["exact_match"];
  else if (typeof h["prefix_match"] === "string") matched = value.startsWith(h["prefix_match"]);
  else if (typeof h["suffix_match"] === "string") matched = value.endsWith(h["suffix_match"]);
  else if (isObj(h["safe_regex_match"])) matched = stringMatches({ safe_regex: h["safe_regex_match"] }, value);
  else matched = false;
  return matched !== invert;
}

const pathOnly = (p: string | undefined): string | undefined => (p === undefined ? undefined : p.split(/[?#]/)[0]);

/** Evaluates an `envoy.config.rbac.v3.Permission`. */
export function permissionMatches(p: unknown, req: RbacRequest): boolean {
  if (!isObj(p)) return false;
  if (p["any"] === true) return true;
  if (isObj(p["and_rules"])) return arr(p["and_rules"]["rules"]).every((r) => permissionMatches(r, req));
  if (isObj(p["or_rules"])) return arr(p["or_rules"]["rules"]).some((r) => permissionMatches(r, req));
  if (p["not_rule"] !== undefined) return !permissionMatches(p["not_rule"], req);
  if (p["header"] !== undefined) return headerMatches(p["header"], req);
  if (isObj(p["url_path"])) {
    const path = pathOnly(req.path);
    const m = p["url_path"]["path"];
    return isObj(m) && stringMatches(p["url_path"]["ignore_case"] === true ? { ...m, ignore_case: true } : m, path);
  }
  if (typeof p["destination_port"] === "number") return req.port === p["destination_port"];
  if (p["requested_server_name"] !== undefined) return stringMatches(p["requested_server_name"], req.sni);
  return false;
}

/** Evaluates an `envoy.config.rbac.v3.Principal`. */
export function principalMatches(p: unknown, req: RbacRequest): boolean {
  if (!isObj(p)) return false;
  if (p["any"] === true) return true;
  if (isObj(p["and_ids"])) return arr(p["and_ids"]["ids"]).every((r) => principalMatches(r, req));
  if (isObj(p["or_ids"])) return arr(p["or_ids"]["ids"]).some((r) => principalMatches(r, req));
  if (p["not_id"] !== undefined) return !principalMatches(p["not_id"], req);
  if (isObj(p["authenticated"])) {
    if (req.principal === undefined) return false;
    const name = p["authenticated"]["principal_name"];
    return name === undefined || stringMatches(name, req.principal);
  }
  if (p["header"] !== undefined) return headerMatches(p["header"], req);
  if (isObj(p["url_path"])) return permissionMatches({ url_path: p["url_path"] }, req);
  return false;
}

/** The outcome of one RBAC rule set: whether it lets the request through, and why. */
export interface RulesDecision {
  allowed: boolean;
  /** The rule set's action; `none` when the rules are absent (nothing enforced). */
  action: "ALLOW" | "DENY" | "LOG" | "none";
  /** Name of the first policy (in key order) whose permissions and principals both match. */
  matchedPolicy?: string;
}

/** Evaluates one `envoy.config.rbac.v3.RBAC` rule set, naming the policy that matched. */
export function rulesDecision(rules: unknown, req: RbacRequest): RulesDecision {
  if (!isObj(rules)) return { allowed: true, action: "none" }; // rules absent: nothing enforced
  const policies = isObj(rules["policies"]) ? Object.entries(rules["policies"]) : [];
  const matched = policies.find(
    ([, pol]) =>
      isObj(pol) &&
      arr(pol["permissions"]).some((x) => permissionMatches(x, req)) &&
      arr(pol["principals"]).some((x) => principalMatches(x, req)),
  )?.[0];
  const raw = rules["action"] ?? "ALLOW";
  const found = matched === undefined ? {} : { matchedPolicy: matched };
  if (raw === "ALLOW" || raw === 0) return { allowed: matched !== undefined, action: "ALLOW", ...found };
  if (raw === "DENY" || raw === 1) return { allowed: matched === undefined, action: "DENY", ...found };
  return { allowed: true, action: "LOG", ...found };
}

/** Whether one `envoy.config.rbac.v3.RBAC` rule set lets the request through. */
export function rulesAllow(rules: unknown, req: RbacRequest): boolean {
  return rulesDecision(rules, req).allowed;
}

/** Whether the chain's downstream TLS context admits the peer (client certificate and SAN matchers). */
function tlsAdmits(chain: Obj, req: RbacRequest): boolean {
  const ts = chain["transport_socket"];
  const ctx = isObj(ts) ? ts["typed_config"] : undefined;
  if (!isObj(ctx) || ctx["@type"] !== TYPE_URL.downstreamTls) return true;
  if (ctx["require_client_certificate"] === true && req.principal === undefined) return false;
  if (req.principal === undefined) return true;
  const common = isObj(ctx["common_tls_context"]) ? ctx["common_tls_context"] : {};
  const combined = common["combined_validation_context"];
  const vc = isObj(combined) ? combined["default_validation_context"] : common["validation_context"];
  const sans = isObj(vc) ? arr(vc["match_typed_subject_alt_names"]) : [];
  const uriMatchers = sans.filter((s) => isObj(s) && s["san_type"] === "URI");
  if (sans.length === 0) return true;
  return uriMatchers.some((s) => isObj(s) && stringMatches(s["matcher"], req.principal));
}

/** The HTTP RBAC rule sets of a filter chain's HTTP connection managers, in filter order. */
function httpRules(chain: Obj): unknown[] {
  const out: unknown[] = [];
  for (const f of arr(chain["filters"])) {
    const cfg = isObj(f) ? f["typed_config"] : undefined;
    if (!isObj(cfg) || cfg["@type"] !== TYPE_URL.httpConnectionManager) continue;
    for (const hf of arr(cfg["http_filters"])) {
      const hcfg = isObj(hf) ? hf["typed_config"] : undefined;
      if (isObj(hcfg) && hcfg["@type"] === TYPE_URL.httpRbac) out.push(hcfg["rules"]);
    }
  }
  return out;
}

/**
 * Whether the config's RBAC (and mTLS gate) lets `req` through, as Envoy would decide.
 * Accepts a compiled {@link EnvoyBootstrap} or the same shape parsed from YAML.
 */
export function rbacAllows(bootstrap: EnvoyBootstrap | Obj, req: RbacRequest): boolean {
  const sr = (bootstrap as Obj)["static_resources"];
  const listeners = isObj(sr) ? arr(sr["listeners"]).filter(isObj) : [];
  const listener = req.listener === undefined ? listeners[0] : listeners.find((l) => l["name"] === req.listener);
  if (!listener) return false;
  const chain = arr(listener["filter_chains"]).find(isObj);
  if (!chain) return false;
  if (!tlsAdmits(chain, req)) return false;
  // Network RBAC sees no HTTP attributes.
  const net: RbacRequest = { principal: req.principal, port: req.port, sni: req.sni };
  for (const f of arr(chain["filters"])) {
    const cfg = isObj(f) ? f["typed_config"] : undefined;
    if (isObj(cfg) && cfg["@type"] === TYPE_URL.networkRbac && !rulesAllow(cfg["rules"], net)) return false;
  }
  return httpRules(chain).every((r) => rulesAllow(r, req));
}
