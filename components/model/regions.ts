/**
 * Which jurisdiction a zone's region is in, for data residency checks, and what a plausible
 * region name looks like in each cloud. `eu` means the EU/EEA; the UK (`uk`) and Switzerland
 * (`ch`) are separate jurisdictions.
 */
import type { Cloud } from "./types";

/** Jurisdictions a data product's `residency` may name. */
export const JURISDICTIONS = ["eu", "uk", "ch", "us", "ca", "mx", "sa", "apac", "me", "af", "cn"] as const;

/** One of {@link JURISDICTIONS}. */
export type Jurisdiction = (typeof JURISDICTIONS)[number];

/** True when `v` names a known jurisdiction. */
export function isJurisdiction(v: unknown): v is Jurisdiction {
  return typeof v === "string" && (JURISDICTIONS as readonly string[]).includes(v);
}

/** Exact regions whose jurisdiction differs from their prefix's. */
const EXACT: Record<string, Jurisdiction> = {
  // AWS
  "eu-west-2": "uk", // London
  "eu-central-2": "ch", // Zurich
  "il-central-1": "me",
  // GCP
  "europe-west2": "uk", // London
  "europe-west6": "ch", // Zurich
};

/** Region prefixes (longest match wins) per cloud. */
const PREFIXES: Record<"aws" | "gcp", readonly (readonly [string, Jurisdiction])[]> = {
  aws: [
    ["us-", "us"],
    ["eu-", "eu"],
    ["ca-", "ca"],
    ["mx-", "mx"],
    ["sa-", "sa"],
    ["ap-", "apac"],
    ["me-", "me"],
    ["il-", "me"],
    ["af-", "af"],
    ["cn-", "cn"],
  ],
  gcp: [
    ["europe-", "eu"],
    ["us-", "us"],
    ["northamerica-south", "mx"],
    ["northamerica-", "ca"],
    ["southamerica-", "sa"],
    ["asia-", "apac"],
    ["australia-", "apac"],
    ["me-", "me"],
    ["africa-", "af"],
  ],
};

const AZURE_GROUPS: readonly (readonly [Jurisdiction, readonly string[]])[] = [
  [
    "eu",
    [
      "westeurope", "northeurope", "francecentral", "francesouth", "germanywestcentral", "germanynorth",
      "swedencentral", "swedensouth", "italynorth", "polandcentral", "spaincentral", "norwayeast", "norwaywest",
      "austriaeast", "belgiumcentral", "denmarkeast", "finlandcentral", "greececentral",
    ],
  ],
  ["uk", ["uksouth", "ukwest"]],
  ["ch", ["switzerlandnorth", "switzerlandwest"]],
  [
    "us",
    [
      "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "southcentralus", "northcentralus",
      "westcentralus", "usgovvirginia", "usgovarizona", "usgovtexas",
    ],
  ],
  ["ca", ["canadacentral", "canadaeast"]],
  ["mx", ["mexicocentral"]],
  ["sa", ["brazilsouth", "brazilsoutheast", "chilecentral"]],
  [
    "apac",
    [
      "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth", "australiaeast",
      "australiasoutheast", "australiacentral", "australiacentral2", "centralindia", "southindia", "westindia",
      "jioindiawest", "jioindiacentral", "indonesiacentral", "malaysiawest", "newzealandnorth",
    ],
  ],
  ["me", ["uaenorth", "uaecentral", "qatarcentral", "israelcentral", "saudiarabiacentral"]],
  ["af", ["southafricanorth", "southafricawest"]],
  ["cn", ["chinaeast", "chinaeast2", "chinaeast3", "chinanorth", "chinanorth2", "chinanorth3"]],
];

/** Every Azure region this table knows, mapped to its jurisdiction. */
export const AZURE_REGIONS: ReadonlyMap<string, Jurisdiction> = new Map(
  AZURE_GROUPS.flatMap(([j, names]) => names.map((n) => [n, j] as const)),
);

/**
 * The jurisdiction of a region in a cloud, or undefined when unknown. On-prem sites name
 * their jurisdiction before the first `-` (`eu-frankfurt-dc1` is in `eu`).
 */
export function regionJurisdiction(cloud: Cloud, region: string): Jurisdiction | undefined {
  if (cloud === "azure") return AZURE_REGIONS.get(region);
  if (cloud === "onprem") {
    const i = region.indexOf("-");
    const prefix = i < 0 ? region : region.slice(0, i);
    return isJurisdiction(prefix) && i > 0 ? prefix : undefined;
  }
  if (Object.hasOwn(EXACT, region)) return EXACT[region];
  let best: readonly [string, Jurisdiction] | undefined;
  for (const entry of PREFIXES[cloud]) {
    if (region.startsWith(entry[0]) && (best === undefined || entry[0].length > best[0].length)) best = entry;
  }
  return best?.[1];
}

const REGION_SHAPE: Record<Cloud, { pattern: RegExp; example: string }> = {
  aws: { pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/, example: "eu-west-1" },
  gcp: { pattern: /^[a-z]+-[a-z]+\d{1,2}$/, example: "europe-west3" },
  azure: { pattern: /^[a-z][a-z0-9]*$/, example: "westeurope" },
  onprem: { pattern: /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, example: "eu-frankfurt-dc1" },
};

/**
 * Why `region` is not a plausible region name for `cloud` (undefined when it is), with an
 * example of the cloud's naming scheme.
 */
export function regionShapeProblem(cloud: Cloud, region: string): { message: string; fix: string } | undefined {
  const shape = REGION_SHAPE[cloud];
  if (shape.pattern.test(region)) return undefined;
  const other = (["aws", "gcp", "azure"] as const).find((c) => c !== cloud && REGION_SHAPE[c].pattern.test(region));
  const hint = other ? ` (it looks like a ${other} region)` : "";
  return {
    message: `region ${JSON.stringify(region)} is not a ${cloud} region name${hint}`,
    fix: `use a ${cloud} region such as ${JSON.stringify(shape.example)}`,
  };
}
