/** Validation of the mesh's zones and their per-cloud settings. */
import { AZURE_REGIONS, regionShapeProblem } from "./regions";
import { CLOUDS, type Cloud } from "./types";
import { type Issues, type Rec, isNonEmptyString, isRecord, show, suggest } from "./validate-util";

/** What later checks need to know about a declared zone (undefined fields were invalid). */
export interface ZoneInfo {
  cloud: Cloud | undefined;
  region: string | undefined;
}

const ZONE_KEYS = ["id", "cloud", "region", "failureZones", "aws", "azure", "gcp", "gateway", "network"] as const;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SETTINGS_CLOUDS = ["aws", "azure", "gcp"] as const;
/** A GUID (Azure subscription and tenant ids, client ids). */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AZURE_RG = /^[-\w.()]{0,89}[-\w()]$/;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const AWS_PARTITIONS = ["aws", "aws-cn", "aws-us-gov"] as const;

/**
 * Validates `mesh.zones` and returns every declared zone by id (first declaration wins), with
 * its cloud and region when those are valid.
 */
export function validateZones(issues: Issues, zonesValue: unknown): Map<string, ZoneInfo> {
  const zones = new Map<string, ZoneInfo>();
  const list = issues.array("mesh.zones", zonesValue, "zones", true);
  if (Array.isArray(zonesValue) && list.length === 0) {
    issues.add("mesh.zones", "the mesh declares no zones", "declare at least one zone (id, cloud, region, failureZones)");
  }
  const seen = new Set<string>();
  list.forEach((z, i) => {
    const path = `mesh.zones[${i}]`;
    if (!isRecord(z)) {
      issues.add(path, `expected a zone object, got ${show(z)}`, "declare the zone as { id, cloud, region, failureZones }");
      return;
    }
    issues.unknownKeys(path, z, ZONE_KEYS, "a zone");
    let idOk = issues.label(`${path}.id`, z.id, "zone id");
    if (idOk && seen.has(z.id as string)) {
      issues.add(`${path}.id`, `duplicate zone id ${show(z.id)}`, "give every zone a unique id");
      idOk = false;
    }
    if (typeof z.id === "string") seen.add(z.id);
    const cloudOk = issues.oneOf(`${path}.cloud`, z.cloud, CLOUDS, "cloud");
    let regionOk = issues.nonEmpty(`${path}.region`, z.region, "region", "set the cloud region or on-prem site name");
    if (cloudOk && regionOk) regionOk = checkRegion(issues, `${path}.region`, z.cloud as Cloud, z.region as string);
    checkFailureZones(issues, `${path}.failureZones`, z.failureZones);
    if (cloudOk) checkCloudSettings(issues, path, z, z.cloud as Cloud);
    if (z.gateway !== undefined) checkGateway(issues, `${path}.gateway`, z.gateway);
    if (z.network !== undefined) checkNetwork(issues, `${path}.network`, z.network);
    if (idOk) {
      zones.set(z.id as string, { cloud: cloudOk ? (z.cloud as Cloud) : undefined, region: regionOk ? (z.region as string) : undefined });
    }
  });
  return zones;
}

/** The zone's gateway settings: a DNS host, and IPv4 CIDRs no wider than /8 (never the whole internet). */
function checkGateway(issues: Issues, path: string, g: unknown): void {
  if (!isRecord(g)) {
    issues.add(path, `expected gateway settings, got ${show(g)}`, "declare gateway: { host?, cidrs? }");
    return;
  }
  issues.unknownKeys(path, g, ["host", "cidrs"], "gateway settings");
  if (g.host !== undefined && (typeof g.host !== "string" || !DNS_NAME.test(g.host))) {
    issues.add(`${path}.host`, `invalid gateway host ${show(g.host)}`, "use the DNS name of the gateway's LoadBalancer, e.g. \"gateway.aws-eu.mesh.acme.example\"");
  }
  if (g.cidrs !== undefined) checkCidrs(issues, `${path}.cidrs`, g.cidrs, "a gateway address", "name the LoadBalancer's own addresses (a /8 or narrower)");
}

/** IPv4 CIDRs no wider than /8: a list of addresses, never the internet. */
function checkCidrs(issues: Issues, path: string, v: unknown, what: string, fix: string): void {
  issues.array(path, v, "cidrs", true).forEach((c, i) => {
    if (typeof c !== "string" || !IPV4_CIDR.test(c)) {
      issues.add(`${path}[${i}]`, `invalid CIDR ${show(c)}`, "use an IPv4 CIDR such as \"10.20.0.0/24\"");
    } else if (Number(c.split("/")[1]) < 8) {
      issues.add(`${path}[${i}]`, `CIDR ${show(c)} is too wide for ${what}`, fix);
    }
  });
}

const NETWORK_KEYS = ["apiServer", "nodes", "objectStorage"] as const;

/** The zone's network settings: each a list of CIDRs no wider than /8. */
function checkNetwork(issues: Issues, path: string, n: unknown): void {
  if (!isRecord(n)) {
    issues.add(path, `expected network settings, got ${show(n)}`, "declare network: { apiServer?, nodes?, objectStorage? } (lists of CIDRs)");
    return;
  }
  issues.unknownKeys(path, n, NETWORK_KEYS, "network settings");
  for (const k of NETWORK_KEYS) {
    if (n[k] !== undefined) checkCidrs(issues, `${path}.${k}`, n[k], `the ${k} addresses`, "name the endpoints' own addresses (a /8 or narrower)");
  }
}

function checkRegion(issues: Issues, path: string, cloud: Cloud, region: string): boolean {
  const problem = regionShapeProblem(cloud, region);
  if (problem === undefined) return true;
  let fix = problem.fix;
  if (cloud === "azure") {
    const squashed = region.toLowerCase().replace(/[^a-z0-9]/g, "");
    if (AZURE_REGIONS.has(squashed)) fix = `did you mean ${JSON.stringify(squashed)}?`;
  }
  issues.add(path, problem.message, fix);
  return false;
}

function checkFailureZones(issues: Issues, path: string, v: unknown): void {
  const list = issues.array(path, v, "failureZones", true);
  if (Array.isArray(v) && list.length === 0) {
    issues.add(path, "no failure zones", "list at least one failure zone (the nodes' topology.kubernetes.io/zone values)");
  }
  const seen = new Set<string>();
  list.forEach((f, i) => {
    if (!isNonEmptyString(f)) {
      issues.add(`${path}[${i}]`, `invalid failure zone ${show(f)}`, "use the node label value, e.g. \"eu-west-1a\"");
    } else if (seen.has(f)) {
      issues.add(`${path}[${i}]`, `duplicate failure zone ${show(f)}`, "list each failure zone once");
    } else {
      seen.add(f);
    }
  });
}

function checkCloudSettings(issues: Issues, path: string, z: Rec, cloud: Cloud): void {
  for (const other of SETTINGS_CLOUDS) {
    if (other !== cloud && z[other] !== undefined) {
      issues.add(
        `${path}.${other}`,
        `zone has cloud ${show(cloud)} but a ${show(other)} settings block`,
        cloud === "onprem" ? `remove the ${other} block` : `remove the ${other} block, or set cloud to ${show(other)}`,
      );
    }
  }
  if (cloud === "onprem") return;
  const sPath = `${path}.${cloud}`;
  const s = z[cloud];
  if (s === undefined) {
    issues.add(sPath, `zone in ${cloud} has no ${cloud} settings`, SETTINGS_FIX[cloud]);
    return;
  }
  if (!isRecord(s)) {
    issues.add(sPath, `expected ${cloud} settings object, got ${show(s)}`, SETTINGS_FIX[cloud]);
    return;
  }
  if (cloud === "aws") {
    issues.unknownKeys(sPath, s, ["accountId", "partition"], "aws settings");
    if (typeof s.accountId !== "string" || !/^\d{12}$/.test(s.accountId)) {
      issues.add(`${sPath}.accountId`, `invalid AWS account id ${show(s.accountId)}`, "use the 12-digit account id as a string, e.g. \"123456789012\"");
    }
    if (s.partition !== undefined) issues.oneOf(`${sPath}.partition`, s.partition, AWS_PARTITIONS, "AWS partition");
  } else if (cloud === "azure") {
    issues.unknownKeys(sPath, s, ["subscriptionId", "tenantId", "resourceGroupName"], "azure settings");
    for (const k of ["subscriptionId", "tenantId"] as const) {
      if (typeof s[k] !== "string" || !GUID.test(s[k])) {
        issues.add(`${sPath}.${k}`, `invalid ${k} ${show(s[k])}: expected a GUID`, "use the GUID shown in the Azure portal, e.g. \"00000000-0000-0000-0000-000000000000\"");
      }
    }
    if (typeof s.resourceGroupName !== "string" || !AZURE_RG.test(s.resourceGroupName)) {
      issues.add(
        `${sPath}.resourceGroupName`,
        `invalid resource group name ${show(s.resourceGroupName)}`,
        "use 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending with '.'",
      );
    }
  } else {
    issues.unknownKeys(sPath, s, ["project", "projectNumber"], "gcp settings");
    if (typeof s.project !== "string" || !GCP_PROJECT.test(s.project)) {
      issues.add(`${sPath}.project`, `invalid GCP project id ${show(s.project)}`, "use the project id (6-30 lowercase letters, digits, '-'), e.g. \"acme-risk-prod\"");
    }
    if (typeof s.projectNumber !== "string" || !/^\d{1,20}$/.test(s.projectNumber)) {
      issues.add(`${sPath}.projectNumber`, `invalid GCP project number ${show(s.projectNumber)}`, "use the numeric project number as a string, e.g. \"998877665544\"");
    }
  }
}

const SETTINGS_FIX: Record<Exclude<Cloud, "onprem">, string> = {
  aws: "add aws: { accountId: \"<12 digits>\" }",
  azure: "add azure: { subscriptionId, tenantId, resourceGroupName }",
  gcp: "add gcp: { project, projectNumber }",
};

/** Fix text listing the valid zone ids. */
export function zoneFix(v: unknown, zones: ReadonlyMap<string, ZoneInfo>): string {
  return suggest(v, [...zones.keys()], "zones");
}
