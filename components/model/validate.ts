/**
 * Validation of a mesh declaration and its domains. Returns every problem at once, each with
 * the path of the bad value, a message quoting it, and a fix. Never throws: input may come
 * from YAML config, so any field may hold any value.
 */
import { DEFAULTS } from "./defaults";
import type { ValidationIssue } from "./errors";
import type { DomainSpec, MeshSpec } from "./types";
import { validateDomains } from "./validate-domains";
import { validateDenyRules, validateIntents } from "./validate-intents";
import { Issues, type Rec, isInt, isRecord, show } from "./validate-util";
import { validateZones } from "./validate-zones";

/**
 * Which part of the declarations a model covers. By default every domain's intents and deny
 * rules. With `focus`, the view of one domain's stack: the focus domain in full, and of every
 * other domain its services and products plus only the intents that target the focus domain
 * (`<focus>/<name>`); their other intents and their deny rules are neither validated nor
 * resolved, as they may reference domains that stack does not know. Intent ids keep their
 * declaration index (`<domain>#<index>`) either way.
 */
export interface ModelScope {
  focus?: string;
}

/** Whether `intent` of `domain` belongs to the model under `scope`. */
export function inScope(scope: ModelScope, domain: string, intent: unknown): boolean {
  if (scope.focus === undefined || domain === scope.focus) return true;
  if (!isRecord(intent)) return false;
  // A producer's grant to one of the focused domain's workloads (or to every workload, `*`)
  // shapes that workload's way out: its proxy's upstreams, NetworkPolicies and egress grants.
  if (typeof intent.from === "string" && (intent.from === "*" || intent.from.startsWith(`${scope.focus}/`))) return true;
  const target = intent.data ?? intent.to;
  return typeof target === "string" && target.startsWith(`${scope.focus}/`);
}

const MESH_KEYS = ["trustDomain", "zones", "policyEngine", "logRetention", "denyRules"] as const;
const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const MAX_DECISION_TIMEOUT_MS = 10_000;

/**
 * Checks a mesh declaration and its domains.
 * @param mesh the platform's declaration (possibly malformed, e.g. read from YAML)
 * @param domains every domain's declaration
 * @returns every problem found, in declaration order; empty when the declaration is valid
 */
export function validateMesh(mesh: MeshSpec, domains: readonly DomainSpec[], scope: ModelScope = {}): ValidationIssue[] {
  const issues = new Issues();
  const m: Rec = isRecord(mesh) ? mesh : {};
  if (!isRecord(mesh)) {
    issues.add("mesh", `expected a mesh object, got ${show(mesh)}`, "declare { trustDomain, zones }");
  } else {
    issues.unknownKeys("mesh", m, MESH_KEYS, "the mesh");
  }
  const trustDomain = checkTrustDomain(issues, m.trustDomain);
  checkPolicyEngine(issues, m.policyEngine);
  checkLogRetention(issues, m.logRetention);
  const zones = validateZones(issues, m.zones);
  const byName = validateDomains(issues, domains, zones, trustDomain ?? "<trustDomain>");
  validateIntents(issues, byName, (domain, intent) => inScope(scope, domain, intent));
  validateDenyRules(issues, "mesh.denyRules", m.denyRules, undefined, byName);
  for (const info of byName.values()) {
    if (scope.focus === undefined || info.name === scope.focus) validateDenyRules(issues, `${info.path}.denyRules`, info.spec.denyRules, info, byName);
  }
  return issues.list;
}

function checkTrustDomain(issues: Issues, v: unknown): string | undefined {
  const path = "mesh.trustDomain";
  if (typeof v !== "string" || v === "") {
    issues.add(path, v === undefined ? "missing trustDomain" : `invalid trustDomain ${show(v)}`, "set a DNS name such as \"mesh.acme.example\"");
    return undefined;
  }
  let problem: string | undefined;
  let fix = "use a lowercase DNS name such as \"mesh.acme.example\"";
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(v);
  if (scheme) {
    problem = "must not include a scheme";
    fix = `remove ${show(scheme[0])}`;
  } else if (v.includes("/")) {
    problem = "must not include a path";
    fix = `use ${show(v.split("/")[0])}`;
  } else if (v.includes("*")) {
    problem = "must not contain a wildcard";
  } else if (v !== v.toLowerCase()) {
    problem = "must be lowercase";
    fix = `use ${show(v.toLowerCase())}`;
  } else if (v.length > 253 || !DNS_NAME.test(v)) {
    problem = "is not a DNS name";
  }
  if (problem === undefined) return v;
  issues.add(path, `trustDomain ${show(v)} ${problem}`, fix);
  return undefined;
}

function checkPolicyEngine(issues: Issues, v: unknown): void {
  const path = "mesh.policyEngine";
  if (v === undefined) return;
  if (!isRecord(v)) {
    issues.add(path, `expected policy engine settings, got ${show(v)}`, "declare { replicas, opaVersion, decisionTimeoutMs } or omit it");
    return;
  }
  issues.unknownKeys(path, v, ["replicas", "opaVersion", "decisionTimeoutMs"], "policyEngine");
  const min = DEFAULTS.minPolicyEngineReplicas;
  if (v.replicas !== undefined && !(isInt(v.replicas) && v.replicas >= min)) {
    const why = isInt(v.replicas) ? `is below the minimum of ${min} (one engine must be able to fail)` : "is not an integer";
    issues.add(`${path}.replicas`, `replicas ${show(v.replicas)} ${why}`, `use an integer >= ${min} (default ${DEFAULTS.policyEngine.replicas})`);
  }
  if (v.opaVersion !== undefined && (typeof v.opaVersion !== "string" || !/^\d+\.\d+\.\d+$/.test(v.opaVersion))) {
    issues.add(`${path}.opaVersion`, `invalid opaVersion ${show(v.opaVersion)}`, `use a release version such as "${DEFAULTS.policyEngine.opaVersion}" (without "v" or "-envoy")`);
  }
  const t = v.decisionTimeoutMs;
  if (t !== undefined && !(isInt(t) && t > 0 && t <= MAX_DECISION_TIMEOUT_MS)) {
    issues.add(`${path}.decisionTimeoutMs`, `invalid decisionTimeoutMs ${show(t)}`, `use an integer from 1 to ${MAX_DECISION_TIMEOUT_MS} (default ${DEFAULTS.policyEngine.decisionTimeoutMs})`);
  }
}

function checkLogRetention(issues: Issues, v: unknown): void {
  const path = "mesh.logRetention";
  if (v === undefined) return;
  if (!isRecord(v)) {
    issues.add(path, `expected log retention settings, got ${show(v)}`, "declare { hotDays, retainedDays } or omit it");
    return;
  }
  issues.unknownKeys(path, v, ["hotDays", "retainedDays"], "logRetention");
  const hot = v.hotDays ?? DEFAULTS.logRetention.hotDays;
  const hotOk = isInt(hot) && hot >= 1;
  if (!hotOk) issues.add(`${path}.hotDays`, `invalid hotDays ${show(hot)}`, `use an integer >= 1 (default ${DEFAULTS.logRetention.hotDays})`);
  const kept = v.retainedDays ?? DEFAULTS.logRetention.retainedDays;
  if (!isInt(kept) || kept < 1) {
    issues.add(`${path}.retainedDays`, `invalid retainedDays ${show(kept)}`, `use an integer >= hotDays (default ${DEFAULTS.logRetention.retainedDays})`);
  } else if (hotOk && kept < (hot as number)) {
    issues.add(`${path}.retainedDays`, `retainedDays ${kept} is shorter than hotDays ${hot as number}`, `use retainedDays >= ${hot as number}`);
  }
}
