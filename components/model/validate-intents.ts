/** Validation of intents and deny rules: references, ownership, exports and their lists. */
import type { DomainInfo } from "./validate-domains";
import { type Ref, checkAccess, checkMethods, checkPaths, resolveRef } from "./validate-refs";
import { type Issues, type Rec, isDnsLabel, isRecord, show } from "./validate-util";

const CALL_KEYS = ["from", "to", "methods", "paths"] as const;
const DATA_KEYS = ["from", "data", "access"] as const;
const DENY_KEYS = ["from", "to", "methods", "paths", "reason"] as const;

/** Validates every domain's intents. */
export function validateIntents(
  issues: Issues,
  domains: ReadonlyMap<string, DomainInfo>,
  included: (domain: string, intent: unknown) => boolean = () => true,
): void {
  for (const info of domains.values()) {
    const list = issues.array(`${info.path}.intents`, info.spec.intents, "intents", false);
    const seen = new Map<string, number>();
    list.forEach((intent, k) => {
      if (!included(info.name, intent)) return;
      const path = `${info.path}.intents[${k}]`;
      if (!isRecord(intent)) {
        issues.add(path, `expected an intent object, got ${show(intent)}`, "declare { from, to } for a call or { from, data } for a data product");
        return;
      }
      const key = checkIntent(issues, path, intent, info, domains);
      if (key === undefined) return;
      const first = seen.get(key);
      if (first !== undefined) {
        issues.add(
          path,
          `duplicate intent: ${key.replace(" ", " -> ")} is already declared at ${info.path}.intents[${first}]`,
          intent.data !== undefined ? "merge the access lists into one intent" : "merge the methods and paths into one intent",
        );
      } else {
        seen.set(key, k);
      }
    });
  }
}

/** Checks one intent; returns its `<source> <destination>` key when both resolve. */
function checkIntent(issues: Issues, path: string, intent: Rec, info: DomainInfo, domains: ReadonlyMap<string, DomainInfo>): string | undefined {
  const isData = intent.data !== undefined;
  if (isData && intent.to !== undefined) {
    issues.add(path, "intent declares both `to` and `data`", "split it into a call intent (`to:`) and a data intent (`data:`)");
    return undefined;
  }
  if (!isData && intent.to === undefined) {
    issues.add(path, "intent has no destination", "set `to:` (a service) or `data:` (a data product)");
  }
  const known = isData ? DATA_KEYS : CALL_KEYS;
  for (const k of Object.keys(intent)) {
    if ((known as readonly string[]).includes(k)) continue;
    if (isData && (k === "methods" || k === "paths")) {
      issues.add(`${path}.${k}`, `${k} apply to call intents, not data intents`, "use `access: [read, write]` on a data intent");
    } else if (!isData && k === "access") {
      issues.add(`${path}.access`, "access applies to data intents, not call intents", "use `data:` for a data product, or methods/paths for a service");
    } else {
      issues.unknownKeys(path, { [k]: intent[k] }, known, "an intent");
    }
  }
  const src =
    intent.from === undefined
      ? (issues.add(`${path}.from`, "missing from", "name the calling service, or \"*\" for every workload of the mesh"), undefined)
      : resolveRef(issues, `${path}.from`, intent.from, info, domains, "source");
  let dst: Ref | undefined;
  if (isData) {
    dst = resolveRef(issues, `${path}.data`, intent.data, info, domains, "data");
    checkAccess(issues, `${path}.access`, intent.access);
  } else {
    if (intent.to !== undefined) dst = resolveRef(issues, `${path}.to`, intent.to, info, domains, "call");
    checkMethods(issues, `${path}.methods`, intent.methods);
    checkPaths(issues, `${path}.paths`, intent.paths);
  }
  const dPath = `${path}.${isData ? "data" : "to"}`;
  if (dst !== undefined && dst.kind !== "any" && dst.domain !== info.name) {
    const owner = domains.get(dst.domain);
    if (owner !== undefined && !owner.exports.has(dst.name)) {
      issues.add(
        dPath,
        `${dst.kind === "data" ? "data product" : "service"} ${show(dst.key)} is not exported by domain ${show(dst.domain)}`,
        `ask domain ${show(dst.domain)} to add ${show(dst.name)} to its exports`,
      );
    }
  }
  if (src === undefined || dst === undefined || dst.kind === "any") return undefined;
  const ownsSource = src.kind !== "any" && src.domain === info.name;
  if (!ownsSource && dst.domain !== info.name) {
    issues.add(
      `${path}.from`,
      src.kind === "any"
        ? `domain ${show(info.name)} grants "*" access to ${show(dst.key)}, which it does not own`
        : `domain ${show(info.name)} owns neither the source ${show(src.key)} nor the destination ${show(dst.key)}`,
      src.kind === "any" ? `only domain ${show(dst.domain)} may grant access to its ${show(dst.name)}` : `declare the intent in domain ${show(src.domain)} or ${show(dst.domain)}`,
    );
  }
  if (src.kind === "any" && dst.kind === "data" && dst.sensitivity === "high") {
    issues.add(
      `${path}.from`,
      `wildcard source "*" may not access high-sensitivity data product ${show(dst.key)}`,
      "name each consuming service in its own intent",
    );
  }
  return `${src.key} ${dst.key}`;
}

/** A well-formed `<domain>/<name>` reference to a domain `domains` does not hold. */
export function isForeignRef(v: unknown, domains: ReadonlyMap<string, DomainInfo>): boolean {
  if (typeof v !== "string") return false;
  const slash = v.indexOf("/");
  return slash > 0 && isDnsLabel(v.slice(0, slash)) && isDnsLabel(v.slice(slash + 1)) && !domains.has(v.slice(0, slash));
}

/**
 * Validates deny rules: `mesh.denyRules` (scope undefined: references qualified or `*`) or a
 * domain's `denyRules` (references as in intents; the domain must own the source or the
 * destination, or omit the destination to protect all of its own).
 */
export function validateDenyRules(
  issues: Issues,
  basePath: string,
  v: unknown,
  scope: DomainInfo | undefined,
  domains: ReadonlyMap<string, DomainInfo>,
): void {
  const list = issues.array(basePath, v, "denyRules", false);
  list.forEach((rule, k) => {
    const path = `${basePath}[${k}]`;
    if (!isRecord(rule)) {
      issues.add(path, `expected a deny rule object, got ${show(rule)}`, "declare { from?, to?, methods?, paths?, reason }");
      return;
    }
    issues.unknownKeys(path, rule, DENY_KEYS, "a deny rule");
    issues.nonEmpty(`${path}.reason`, rule.reason, "reason", "say why the rule exists; it is shown in decision logs");
    // A mesh-level rule may name domains this model does not hold (the platform stack holds none):
    // it is checked and enforced in the stacks that hold them (see `resolveMesh`).
    const elsewhere = (v: unknown): boolean => scope === undefined && isForeignRef(v, domains);
    const src = rule.from === undefined || elsewhere(rule.from) ? undefined : resolveRef(issues, `${path}.from`, rule.from, scope, domains, "source");
    const dst = rule.to === undefined || elsewhere(rule.to) ? undefined : resolveRef(issues, `${path}.to`, rule.to, scope, domains, "target");
    checkMethods(issues, `${path}.methods`, rule.methods);
    checkPaths(issues, `${path}.paths`, rule.paths);
    if (scope === undefined || dst === undefined || dst.kind === "any" || dst.domain === scope.name) return;
    if (rule.from !== undefined && src === undefined) return;
    if (src === undefined || src.kind === "any" || src.domain !== scope.name) {
      issues.add(
        `${path}.to`,
        `domain ${show(scope.name)} denies access to ${show(dst.key)}, which it does not own, for sources it does not own`,
        `move the rule to domain ${show(dst.domain)} or to mesh.denyRules`,
      );
    }
  });
}
