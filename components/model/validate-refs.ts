/**
 * Reference resolution for intents and deny rules (`name`, `<domain>/<name>`, `*`), and the
 * checks of their method, path and access lists.
 */
import { ANY_SOURCE } from "./resolve";
import { HTTP_METHODS, type SensitivityTier } from "./types";
import type { DomainInfo } from "./validate-domains";
import { type Issues, isDnsLabel, show, suggest } from "./validate-util";

/** A resolved reference. */
export type Ref =
  | { kind: "any"; key: typeof ANY_SOURCE }
  | { kind: "service"; domain: string; name: string; key: string }
  | { kind: "data"; domain: string; name: string; key: string; sensitivity: SensitivityTier | undefined };

/** What a reference must name. */
export type RefRole =
  /** A source: a service or `*`. */
  | "source"
  /** A call intent's `to`: a service. */
  | "call"
  /** A data intent's `data`: a data product. */
  | "data"
  /** A deny rule's `to`: a service or a data product. */
  | "target";

const EXPECTED: Record<RefRole, string> = {
  source: "service",
  call: "service",
  data: "data product",
  target: "service or data product",
};

/**
 * Resolves reference `v` made in domain `scope` (undefined for mesh-level rules, where
 * references must be qualified). Records an issue and returns undefined when it does not
 * resolve to what `role` requires.
 */
export function resolveRef(
  issues: Issues,
  path: string,
  v: unknown,
  scope: DomainInfo | undefined,
  domains: ReadonlyMap<string, DomainInfo>,
  role: RefRole,
): Ref | undefined {
  if (typeof v !== "string" || v === "") {
    issues.add(path, `expected a ${EXPECTED[role]} reference, got ${show(v)}`, "use \"<name>\" (same domain) or \"<domain>/<name>\"");
    return undefined;
  }
  if (v === ANY_SOURCE) {
    if (role === "source") return { kind: "any", key: ANY_SOURCE };
    issues.add(path, `"*" is allowed only as a source`, role === "target" ? "omit `to` to match every destination" : "name the destination");
    return undefined;
  }
  const slash = v.indexOf("/");
  if (slash < 0 && scope === undefined) {
    const candidates = [...domains.values()].flatMap((d) => [...d.services, ...d.products.keys()].filter((n) => n === v).map((n) => `${d.name}/${n}`));
    issues.add(
      path,
      `reference ${show(v)} must be qualified as "<domain>/<name>" in mesh-level deny rules`,
      candidates.length > 0 ? `did you mean ${show(candidates[0])}?` : "use \"<domain>/<name>\" or \"*\"",
    );
    return undefined;
  }
  const domainName = slash < 0 ? (scope as DomainInfo).name : v.slice(0, slash);
  const name = slash < 0 ? v : v.slice(slash + 1);
  if (!isDnsLabel(domainName) || !isDnsLabel(name)) {
    issues.add(path, `malformed reference ${show(v)}`, "use \"<name>\" (same domain), \"<domain>/<name>\" or \"*\" (sources only)");
    return undefined;
  }
  const domain = domains.get(domainName);
  if (domain === undefined) {
    issues.add(path, `unknown domain ${show(domainName)} in reference ${show(v)}`, suggest(domainName, [...domains.keys()], "domains"));
    return undefined;
  }
  const key = `${domainName}/${name}`;
  const where = slash < 0 ? "" : ` in domain ${show(domainName)}`;
  if (domain.services.has(name)) {
    if (role === "data") {
      issues.add(path, `${show(v)} is a service, use \`to:\``, "a data intent's `data` names a data product; a call intent names the service in `to`");
      return undefined;
    }
    return { kind: "service", domain: domainName, name, key };
  }
  if (domain.products.has(name)) {
    if (role === "call") {
      issues.add(path, `${show(v)} is a data product, use \`data:\``, "declare a data intent: { from, data, access }");
      return undefined;
    }
    if (role === "source") {
      issues.add(path, `${show(v)} is a data product; only services can be sources`, "name the service that makes the request");
      return undefined;
    }
    return { kind: "data", domain: domainName, name, key, sensitivity: domain.products.get(name) };
  }
  const pool = role === "data" ? [...domain.products.keys()] : role === "target" ? [...domain.services, ...domain.products.keys()] : [...domain.services];
  const qualified = slash < 0 ? pool : pool.map((n) => `${domainName}/${n}`);
  issues.add(path, `unknown ${EXPECTED[role]} ${show(name)}${where}`, suggest(slash < 0 ? name : v, qualified, `${EXPECTED[role]}s of domain ${show(domainName)}`));
  return undefined;
}

/** Checks an optional method list: non-empty, known methods, no duplicates. */
export function checkMethods(issues: Issues, path: string, v: unknown): void {
  if (v === undefined) return;
  const list = issues.array(path, v, "methods", true);
  if (Array.isArray(v) && list.length === 0) issues.add(path, "empty methods list", "list at least one method, or omit methods for the default");
  const seen = new Set<string>();
  list.forEach((m, i) => {
    if (!issues.oneOf(`${path}[${i}]`, m, HTTP_METHODS, "HTTP method")) return;
    if (seen.has(m)) issues.add(`${path}[${i}]`, `duplicate method ${show(m)}`, "list each method once");
    seen.add(m);
  });
}

/** Checks an optional path-prefix list: non-empty; each starts with `/` and has no `*`, `?`, `#` or whitespace. */
export function checkPaths(issues: Issues, path: string, v: unknown): void {
  if (v === undefined) return;
  const list = issues.array(path, v, "paths", true);
  if (Array.isArray(v) && list.length === 0) issues.add(path, "empty paths list", "list at least one path prefix, or omit paths for the default");
  const seen = new Set<string>();
  list.forEach((p, i) => {
    const pPath = `${path}[${i}]`;
    if (typeof p !== "string" || !p.startsWith("/")) {
      issues.add(pPath, `invalid path ${show(p)}: must start with "/"`, "use a path prefix such as \"/orders\"");
    } else if (/[*?#\s]/.test(p)) {
      issues.add(pPath, `invalid path ${show(p)}: paths are plain prefixes without "*", "?", "#" or spaces`, `use the prefix ${show(p.split(/[*?#\s]/)[0] || "/")}`);
    } else if (seen.has(p)) {
      issues.add(pPath, `duplicate path ${show(p)}`, "list each path once");
    } else {
      seen.add(p);
    }
  });
}

/** Checks an optional access list: non-empty, `read`/`write`, no duplicates. */
export function checkAccess(issues: Issues, path: string, v: unknown): void {
  if (v === undefined) return;
  const list = issues.array(path, v, "access", true);
  if (Array.isArray(v) && list.length === 0) issues.add(path, "empty access list", "list read and/or write, or omit access for read");
  const seen = new Set<string>();
  list.forEach((a, i) => {
    if (!issues.oneOf(`${path}[${i}]`, a, ["read", "write"] as const, "access")) return;
    if (seen.has(a)) issues.add(`${path}[${i}]`, `duplicate access ${show(a)}`, "list each access once");
    seen.add(a);
  });
}
