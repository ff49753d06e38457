/**
 * Data products declared in the stack: ConfigMaps labelled `ztmesh.io/role: data-product`
 * whose `product.json` holds `{name, domain, owner, sensitivity, residency, zone, region,
 * cloud?, policyManifest?, consumers}`.
 *
 * The **policy manifest** is the product's access contract: its `consumers` list (SPIFFE IDs
 * of the workloads that may read it, compiled into every enforcement layer), optionally with
 * a `policyManifest` (a reference to, or inline copy of, extra access policy). A product with
 * neither an explicit `policyManifest` nor a single consumer has no contract and fails.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { regionJurisdiction, regionShapeProblem } from "../../components/model/regions";
import type { Cloud } from "../../components/model/types";
import { ROLES, hasRole } from "./conventions";
import { ofType, TYPES } from "./types";
import { asRecord, configWithDefaults, jsonOrObject, str, stringMap, strings } from "./util";

const TIERS = ["low", "medium", "high"];
const CLOUDS: Cloud[] = ["aws", "gcp", "azure", "onprem"];

/** The jurisdiction of a region: the config table first, then ztmesh's region table (cloud given or inferred from the name's shape). */
export function jurisdictionOf(region: string, cloud: string | undefined, table: Record<string, string>): string | undefined {
  if (Object.hasOwn(table, region)) return table[region];
  const clouds = CLOUDS.filter((c) => (cloud === undefined ? regionShapeProblem(c, region) === undefined : c === cloud));
  for (const c of clouds) {
    const j = regionJurisdiction(c, region);
    if (j !== undefined) return j;
  }
  return undefined;
}

/** Why a parsed `product.json` is not an acceptable data product declaration. */
export function dataProductProblems(product: unknown, regionJurisdictions: Record<string, string>): string[] {
  const p = asRecord(product);
  if (!p) return ["product.json is missing or not a JSON object."];
  const label = `Data product ${JSON.stringify(str(p.name) ?? "?")}`;
  const problems: string[] = [];
  if (!str(p.owner)?.trim()) problems.push(`${label} has no owner; name the accountable team.`);
  const sensitivity = str(p.sensitivity);
  if (sensitivity === undefined || !TIERS.includes(sensitivity)) {
    problems.push(`${label} has sensitivity ${JSON.stringify(p.sensitivity ?? null)}; use one of ${TIERS.join(", ")}.`);
  }
  const consumers = strings(p.consumers);
  const manifest = p.policyManifest;
  const hasManifest = (typeof manifest === "string" && manifest.trim() !== "") || Object.keys(asRecord(manifest) ?? {}).length > 0;
  if (!hasManifest && consumers.length === 0) problems.push(`${label} has no policy manifest (no consumers and no policyManifest); declare who may read it.`);
  for (const c of consumers) {
    if (c !== "*" && !c.startsWith("spiffe://")) problems.push(`${label} consumer ${JSON.stringify(c)} is neither a SPIFFE ID nor "*".`);
  }
  if (sensitivity === "high") {
    const wild = consumers.filter((c) => c.includes("*"));
    if (wild.length > 0) problems.push(`${label} is high sensitivity but has wildcard consumers ${JSON.stringify(wild)}; name each consumer.`);
  }
  const residency = str(p.residency);
  const region = str(p.region);
  if (!residency) problems.push(`${label} has no residency; name the jurisdiction its data must stay in.`);
  else if (!region) problems.push(`${label} has no region; residency ${residency} cannot be checked.`);
  else {
    const j = jurisdictionOf(region, str(p.cloud), regionJurisdictions);
    if (j === undefined) problems.push(`${label} is in region ${JSON.stringify(region)} whose jurisdiction is unknown; add it to regionJurisdictions.`);
    else if (j !== residency) problems.push(`${label} must stay in ${residency} but is in region ${JSON.stringify(region)} (${j}).`);
  }
  return problems;
}

/** Data product declarations: owner, sensitivity tier, policy manifest, no wildcard consumers of high products, residency. */
export const dataProductDeclaration: ResourceValidationPolicy = {
  name: "data-product-declaration",
  description:
    "Every data product (ConfigMap `ztmesh.io/role: data-product`, `product.json`) has an owner, a sensitivity tier (low|medium|high), a policy manifest (consumers or policyManifest), no wildcard consumer when high, and lives in a region of its residency jurisdiction (`regionJurisdictions` adds or overrides regions).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      regionJurisdictions: {
        type: "object",
        additionalProperties: { type: "string" },
        default: {},
        description: 'Extra or overriding region -> jurisdiction entries, e.g. {"dc-paris-1": "eu"}.',
      },
    },
  },
  validateResource: ofType(TYPES.k8sConfigMap, (args, reportViolation) => {
    if (!hasRole(args.props, ROLES.dataProduct)) return;
    const cfg = configWithDefaults(args.getConfig<{ regionJurisdictions: Record<string, string> }>(), { regionJurisdictions: {} });
    const product = jsonOrObject(stringMap(args.props.data)["product.json"]);
    for (const p of dataProductProblems(product, stringMap(cfg.regionJurisdictions))) reportViolation(p);
  }),
};
