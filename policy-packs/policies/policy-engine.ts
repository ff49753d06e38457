/** Policy engines (OPA with the Envoy plugin): available, fail closed until their bundle is active, signed bundles, decision logs. */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { DEFAULT_ENGINE_LABELS, ROLES, hasRole, k8sName, k8sNamespace, matchesAll } from "./conventions";
import { resourcesOfType } from "./stack-index";
import { ofType, TYPES, whenStackHas } from "./types";
import { asArray, asRecord, bool, configWithDefaults, num, parseYaml, str, stringMap } from "./util";

const ZONE_KEY = "topology.kubernetes.io/zone";
const READY_PATHS = ["/health?bundles", "/health?bundles=true"];

const ENGINE_LABELS_SCHEMA: PolicyConfigJSONSchema = {
  type: "object",
  additionalProperties: { type: "string" },
  default: DEFAULT_ENGINE_LABELS,
  description: "Labels (all must match, on the Deployment or its pod template) marking policy engine Deployments.",
};

/** The pod template labels of a Deployment-like spec. */
function podLabels(props: Record<string, unknown>): Record<string, string> {
  return stringMap(asRecord(asRecord(asRecord(props.spec)?.template)?.metadata)?.labels);
}

/** True when a Deployment is a policy engine (its own or its pods' labels match). */
export function isEngine(props: Record<string, unknown>, engineLabels: Record<string, string>): boolean {
  return matchesAll(stringMap(asRecord(props.metadata)?.labels), engineLabels) || matchesAll(podLabels(props), engineLabels);
}

/** Why a policy engine Deployment is not highly available or not gated on its bundle. */
export function engineProblems(props: Record<string, unknown>, minReplicas: number): string[] {
  const problems: string[] = [];
  const spec = asRecord(props.spec);
  const replicas = spec?.replicas === undefined || spec.replicas === null ? 1 : num(spec.replicas);
  if (replicas === undefined || replicas < minReplicas) {
    problems.push(`Policy engine runs ${replicas ?? JSON.stringify(spec?.replicas)} replica(s); run at least ${minReplicas} so a restart never leaves a zone without decisions.`);
  }
  const podSpec = asRecord(asRecord(spec?.template)?.spec);
  const spread = asArray(podSpec?.topologySpreadConstraints).some((c) => asRecord(c)?.topologyKey === ZONE_KEY);
  if (!spread) problems.push(`Policy engine has no topologySpreadConstraints over ${ZONE_KEY}; one zone failure could take every replica.`);
  const gated = asArray(podSpec?.containers).some((c) => {
    const path = str(asRecord(asRecord(asRecord(c)?.readinessProbe)?.httpGet)?.path);
    return path !== undefined && READY_PATHS.includes(path);
  });
  if (!gated) problems.push("Policy engine has no readinessProbe on /health?bundles; it would serve before its policy bundle is active.");
  return problems;
}

/** Policy engine Deployments: replicas, zone spread, readiness gated on bundles. */
export const policyEngineDeployment: ResourceValidationPolicy = {
  name: "policy-engine-deployment",
  description:
    "A policy engine Deployment (`engineLabels`) runs at least `minReplicas` replicas, spreads them over `topology.kubernetes.io/zone`, and is ready only when its bundles are active (readinessProbe on `/health?bundles`): an engine without policy never serves.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minReplicas: { type: "integer", minimum: 1, default: 2, description: "Fewest replicas per engine Deployment." },
      engineLabels: ENGINE_LABELS_SCHEMA,
    },
  },
  validateResource: ofType(TYPES.k8sDeployment, (args, reportViolation) => {
    const cfg = configWithDefaults(args.getConfig<{ minReplicas: number; engineLabels: Record<string, string> }>(), {
      minReplicas: 2,
      engineLabels: DEFAULT_ENGINE_LABELS,
    });
    if (!isEngine(args.props, stringMap(cfg.engineLabels))) return;
    for (const p of engineProblems(args.props, cfg.minReplicas)) reportViolation(p);
  }),
};

function pdbSelects(pdb: PolicyResource, namespace: string, labels: Record<string, string>): boolean {
  if (k8sNamespace(pdb.props) !== namespace) return false;
  const spec = asRecord(pdb.props.spec);
  const selector = stringMap(asRecord(spec?.selector)?.matchLabels);
  if (!matchesAll(labels, selector)) return false;
  return !(num(spec?.minAvailable) === 0 || spec?.maxUnavailable === "100%");
}

/** Every policy engine Deployment has a PodDisruptionBudget in the stack. */
export const policyEngineDisruptionBudget: StackValidationPolicy = {
  name: "policy-engine-disruption-budget",
  description:
    "Every policy engine Deployment (`engineLabels`) has a PodDisruptionBudget in the stack, in its namespace, whose selector matches its pods (and that does not allow evicting all of them): node drains never take every engine down.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { engineLabels: ENGINE_LABELS_SCHEMA } },
  validateStack: whenStackHas(TYPES.k8sDeployment, (args, reportViolation) => {
    const { engineLabels } = configWithDefaults(args.getConfig<{ engineLabels: Record<string, string> }>(), { engineLabels: DEFAULT_ENGINE_LABELS });
    const pdbs = resourcesOfType(args.resources, TYPES.k8sPodDisruptionBudget);
    for (const d of resourcesOfType(args.resources, TYPES.k8sDeployment)) {
      if (!isEngine(d.props, stringMap(engineLabels))) continue;
      const namespace = k8sNamespace(d.props);
      if (!pdbs.some((p) => pdbSelects(p, namespace, podLabels(d.props)))) {
        reportViolation(`Policy engine Deployment "${k8sName(d.props) ?? d.name}" has no PodDisruptionBudget selecting its pods in namespace "${namespace}".`, d.urn);
      }
    }
  }),
};

/** Why an OPA config (parsed `config.yaml`) is not safe to run. */
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
  const plugin = asRecord(asRecord(c.plugins)?.envoy_ext_authz_grpc);
  if (bool(plugin?.["dry-run"]) === true || bool(plugin?.dry_run) === true) {
    problems.push("OPA envoy_ext_authz_grpc plugin runs with dry-run: true; every request is allowed.");
  }
  return problems;
}

/** OPA configs: signed bundles, decision logs, never dry-run. */
export const opaConfigSecure: ResourceValidationPolicy = {
  name: "opa-config-secure",
  description:
    "An OPA config (ConfigMap labelled `ztmesh.io/role: opa-config`, key `config.yaml`) verifies bundle signatures (`bundles.<name>.signing.keyid` with `keys.<id>`), logs decisions (`decision_logs.service` or console) and never sets `plugins.envoy_ext_authz_grpc.dry-run: true`.",
  enforcementLevel: "mandatory",
  validateResource: ofType(TYPES.k8sConfigMap, (args, reportViolation) => {
    if (!hasRole(args.props, ROLES.opaConfig)) return;
    const text = stringMap(args.props.data)["config.yaml"];
    let config: unknown;
    try {
      config = text === undefined ? undefined : parseYaml(text);
    } catch {
      config = undefined;
    }
    for (const p of opaConfigProblems(config)) reportViolation(p);
  }),
};
