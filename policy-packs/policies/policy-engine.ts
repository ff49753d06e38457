/**
 * Policy engines (OPA with the Envoy plugin, recognised by what they run: `opa-engine.ts`):
 * available, fail closed until their bundle is active, signed bundles, decision logs, never dry-run.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { k8sNamespace } from "./conventions";
import { type EngineView, effectiveConfig, enablesPlugin, engineView, extAuthzPlugin, opaCommand, parseText } from "./opa-engine";
import { resourcesOfType } from "./stack-index";
import { TYPES } from "./types";
import { asArray, asRecord, bool, configWithDefaults, num, str } from "./util";
import { clusterOf, ConfigIndex, configTexts, Deferred, kindOf, podLabelsOf, selects } from "./workloads";

const ZONE_KEY = "topology.kubernetes.io/zone";

/** True when a readiness path waits for bundles: `/health?bundles` (or `bundles=true`, with other parameters too). */
export function gatesOnBundles(path: string | undefined): boolean {
  if (path === undefined || !path.startsWith("/health?")) return false;
  return path
    .slice("/health?".length)
    .split("&")
    .some((p) => p === "bundles" || p === "bundles=true");
}

/**
 * Why a policy engine workload is not highly available or not gated on its bundle. A DaemonSet
 * runs one engine per node and its pods are not evicted by drains, so replicas and spread are its
 * nodes'; a bare Pod is one replica.
 */
export function engineProblems(engine: EngineView, minReplicas: number): string[] {
  const problems: string[] = [];
  const spec = asRecord(engine.resource.props.spec);
  const what = `Policy engine ${engine.kind} "${engine.name}"`;
  if (engine.kind !== "DaemonSet") {
    const replicas = engine.kind === "Pod" ? 1 : spec?.replicas === undefined || spec.replicas === null ? 1 : num(spec.replicas);
    if (replicas === undefined || replicas < minReplicas) {
      problems.push(`${what} runs ${replicas ?? JSON.stringify(spec?.replicas)} replica(s); run at least ${minReplicas} so a restart never leaves a zone without decisions.`);
    }
    const spread = asArray(engine.podSpec?.topologySpreadConstraints).some((c) => asRecord(c)?.topologyKey === ZONE_KEY);
    if (!spread && engine.kind !== "Pod") problems.push(`${what} has no topologySpreadConstraints over ${ZONE_KEY}; one zone failure could take every replica.`);
  }
  for (const c of engine.containers) {
    const path = str(asRecord(asRecord(c.readinessProbe)?.httpGet)?.path);
    if (!gatesOnBundles(path)) {
      problems.push(`${what} container "${str(c.name) ?? "?"}" has no readinessProbe on /health?bundles; it would serve before its policy bundle is active.`);
    }
  }
  return problems;
}

/** The stack's policy engine workloads (any workload type), each recognised by what it runs. */
export function policyEngines(resources: readonly PolicyResource[], configs: ConfigIndex, deferred: Deferred): EngineView[] {
  const out: EngineView[] = [];
  for (const w of resourcesOfType(resources, TYPES.k8sWorkloads)) {
    deferred.run(() => {
      const e = engineView(w, configs);
      if (e) out.push(e);
    });
  }
  return out;
}

/** Policy engines: replicas, zone spread, readiness gated on bundles. */
export const policyEngineDeployment: StackValidationPolicy = {
  name: "policy-engine-deployment",
  description:
    "A policy engine (any Deployment, StatefulSet, ReplicaSet, DaemonSet or Pod running OPA with the Envoy ext_authz plugin: by image, command line or mounted config, never by label) runs at least `minReplicas` replicas spread over `topology.kubernetes.io/zone`, and each engine container is ready only when its bundles are active (readinessProbe on `/health?bundles`): an engine without policy never serves.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minReplicas: { type: "integer", minimum: 1, default: 2, description: "Fewest replicas per engine workload." },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = configWithDefaults(args.getConfig<{ minReplicas: number }>(), { minReplicas: 2 });
    const deferred = new Deferred();
    const configs = new ConfigIndex(args.resources, deferred);
    for (const e of policyEngines(args.resources, configs, deferred)) {
      deferred.run(() => {
        for (const p of engineProblems(e, cfg.minReplicas)) reportViolation(p, e.resource.urn);
      });
    }
    deferred.finish();
  },
};

function pdbProtects(pdb: PolicyResource, engine: EngineView): boolean {
  if (clusterOf(pdb) !== clusterOf(engine.resource) || k8sNamespace(pdb.props) !== k8sNamespace(engine.resource.props)) return false;
  const spec = asRecord(pdb.props.spec);
  const selector = asRecord(spec?.selector);
  // policy/v1beta1: an empty selector selects nothing; policy/v1: every pod of the namespace.
  const empty = selector !== undefined && Object.keys(asRecord(selector.matchLabels) ?? {}).length === 0 && asArray(selector.matchExpressions).length === 0;
  if (empty && pdb.type.includes("v1beta1")) return false;
  if (selects(selector, podLabelsOf(engine.resource.type, engine.resource.props)) !== true) return false;
  const none = num(spec?.minAvailable) === 0 || spec?.minAvailable === "0%" || spec?.maxUnavailable === "100%";
  return !none;
}

/** Every policy engine has a PodDisruptionBudget in the stack. */
export const policyEngineDisruptionBudget: StackValidationPolicy = {
  name: "policy-engine-disruption-budget",
  description:
    "Every policy engine (recognised by what it runs, any workload type but DaemonSets, whose pods drains do not evict) has a PodDisruptionBudget in the stack, in its cluster and namespace, whose selector matches its pods (and that does not allow evicting all of them): node drains never take every engine down.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const deferred = new Deferred();
    const configs = new ConfigIndex(args.resources, deferred);
    const pdbs = resourcesOfType(args.resources, TYPES.k8sPodDisruptionBudgets);
    for (const e of policyEngines(args.resources, configs, deferred)) {
      if (e.kind === "DaemonSet") continue;
      deferred.run(() => {
        if (!pdbs.some((p) => pdbProtects(p, e))) {
          const namespace = k8sNamespace(e.resource.props);
          reportViolation(`Policy engine ${e.kind} "${e.name}" has no PodDisruptionBudget selecting its pods in namespace "${namespace}".`, e.resource.urn);
        }
      });
    }
    deferred.finish();
  },
};

/** Why an OPA config (parsed) is not safe to run. */
export function opaConfigProblems(config: unknown): string[] {
  const c = asRecord(config);
  if (!c) return ["OPA config.yaml is missing or not a YAML mapping."];
  const problems: string[] = [];
  const keys = asRecord(c.keys) ?? {};
  const bundles = Object.entries(asRecord(c.bundles) ?? {});
  if (bundles.length === 0) problems.push("OPA config has no bundles; the engine would run without policy.");
  for (const [name, b] of bundles) {
    const keyid = str(asRecord(asRecord(b)?.signing)?.keyid);
    if (!keyid) problems.push(`OPA bundle "${name}" has no signing.keyid; unsigned bundles could be tampered with in storage.`);
    else if (!asRecord(keys[keyid])) problems.push(`OPA bundle "${name}" is signed with key "${keyid}" but keys.${keyid} is not defined.`);
  }
  const logs = asRecord(c.decision_logs);
  if (!str(logs?.service) && bool(logs?.console) !== true) {
    problems.push("OPA config has no decision logging (decision_logs.service or decision_logs.console); decisions leave no audit trail.");
  }
  const plugin = extAuthzPlugin(c);
  if (bool(plugin?.["dry-run"]) === true || bool(plugin?.dry_run) === true) {
    problems.push("OPA envoy_ext_authz_grpc plugin runs with dry-run: true; every request is allowed.");
  }
  return problems;
}

/** OPA configs: signed bundles, decision logs, never dry-run; judged as each engine runs them, and wherever they are stored. */
export const opaConfigSecure: StackValidationPolicy = {
  name: "opa-config-secure",
  description:
    "Every policy engine's effective OPA config (its `--config-file`, traced through its mounts to a ConfigMap/Secret in the stack, plus `--set` overrides), and every OPA config enabling the Envoy ext_authz plugin stored in any ConfigMap or Secret key, verifies bundle signatures (`bundles.<name>.signing.keyid` with `keys.<id>`, no `--skip-verify`), logs decisions (`decision_logs.service` or console) and never sets the plugin's `dry-run: true`. A config file the pack cannot trace to the stack fails: it cannot be verified.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const deferred = new Deferred();
    const configs = new ConfigIndex(args.resources, deferred);
    /** ConfigMap/Secret keys an engine loads, judged through the engine. */
    const loaded = new Set<string>();
    for (const e of policyEngines(args.resources, configs, deferred)) {
      deferred.run(() => {
        for (const c of e.containers) {
          const what = `Policy engine ${e.kind} "${e.name}" container "${str(c.name) ?? "?"}"`;
          const eff = effectiveConfig(e, c, configs);
          const stored = eff.file && configs.find(e.resource, eff.file.source);
          if (stored && eff.file) loaded.add(`${stored.urn}\u0000${eff.file.key}`);
          if (eff.unverifiable !== undefined) {
            reportViolation(`${what} ${eff.unverifiable}; its OPA config cannot be verified.`, e.resource.urn);
            continue;
          }
          const problems = opaConfigProblems(eff.config);
          if (opaCommand(c).skipVerify) problems.push("OPA runs with --skip-verify; bundle signatures are not verified.");
          for (const p of problems) reportViolation(`${what}: ${p}`, e.resource.urn);
        }
      });
    }
    for (const r of resourcesOfType(args.resources, [TYPES.k8sConfigMap, TYPES.k8sSecret])) {
      deferred.run(() => {
        for (const [key, text] of Object.entries(configTexts(r.type, r.props))) {
          if (loaded.has(`${r.urn}\u0000${key}`)) continue;
          if (!enablesPlugin(text)) continue;
          for (const p of opaConfigProblems(parseText(text))) reportViolation(`${kindOf(r.type)} key "${key}": ${p}`, r.urn);
        }
      });
    }
    deferred.finish();
  },
};
