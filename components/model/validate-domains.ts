/**
 * Validation of the domains' own declarations: names, owners, services, data products,
 * exports, and the workload identities (SPIFFE IDs) they derive.
 */
import { OBJECT_STORE_CLOUD } from "./defaults";
import { JURISDICTIONS, isJurisdiction, regionJurisdiction } from "./regions";
import { proxyServiceAccount } from "./resolve";
import { DATA_ENGINES, type DataEngine, type SensitivityTier } from "./types";
import { type Issues, type Rec, isDnsLabel, isInt, isNonEmptyString, isRecord, show, suggest } from "./validate-util";
import { type ZoneInfo, zoneFix } from "./validate-zones";
import { validatePorts } from "./validate-ports";

/** What reference checks need to know about one domain. */
export interface DomainInfo {
  /** The domain's name. */
  name: string;
  /** Path prefix of the domain in issues (`domains.<name>`, or `domains[<i>]` when the name is unusable). */
  path: string;
  /** The raw declaration (a record). */
  spec: Rec;
  /** Names of its services. */
  services: Set<string>;
  /** Names of its data products, with their sensitivity when valid. */
  products: Map<string, SensitivityTier | undefined>;
  /** Names it exports. */
  exports: Set<string>;
}

const DOMAIN_KEYS = ["name", "owner", "services", "dataProducts", "intents", "exports", "denyRules"] as const;
const SERVICE_KEYS = ["name", "zone", "namespace", "serviceAccount", "ports"] as const;
const PRODUCT_KEYS = ["name", "zone", "engine", "sensitivity", "owner", "residency", "schemaVersion", "namespace", "location", "port"] as const;
const SENSITIVITIES: readonly SensitivityTier[] = ["low", "medium", "high"];
const SEMVER = /^\d+\.\d+(\.\d+)?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const BUCKET = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
/** Longest product name whose proxy service account (`<name>-proxy`) is still a 63-character label. */
const MAX_PRODUCT_NAME = 63 - proxyServiceAccount("").length;

/** Shared state of the identity checks across all domains. */
interface Identities {
  trustDomain: string;
  /** `<namespace>/<serviceAccount>` -> path of the first workload deriving it. */
  spiffe: Map<string, string>;
  /** `<name>.<namespace>` -> path of the first service with that host. */
  hosts: Map<string, string>;
  /** `<engine>:<location>` -> path of the first object store with that location. */
  locations: Map<string, string>;
}

/**
 * Validates every domain's own declarations and returns the domains by name (first
 * declaration wins) for the reference checks.
 */
export function validateDomains(
  issues: Issues,
  domainsValue: unknown,
  zones: ReadonlyMap<string, ZoneInfo>,
  trustDomain: string,
): Map<string, DomainInfo> {
  const result = new Map<string, DomainInfo>();
  const list = issues.array("domains", domainsValue, "domains", false);
  const ids: Identities = { trustDomain, spiffe: new Map(), hosts: new Map(), locations: new Map() };
  list.forEach((d, i) => {
    if (!isRecord(d)) {
      issues.add(`domains[${i}]`, `expected a domain object, got ${show(d)}`, "declare the domain as { name, owner, services }");
      return;
    }
    let path = `domains[${i}]`;
    let named = false;
    if (issues.label(`${path}.name`, d.name, "domain name")) {
      if (result.has(d.name)) {
        issues.add(`${path}.name`, `duplicate domain name ${show(d.name)}`, "give every domain a unique name");
      } else {
        path = `domains.${d.name}`;
        named = true;
      }
    }
    issues.unknownKeys(path, d, DOMAIN_KEYS, "a domain");
    issues.nonEmpty(`${path}.owner`, d.owner, "owner", "name the accountable team or person, e.g. \"payments@acme.example\"");
    const info: DomainInfo = { name: typeof d.name === "string" ? d.name : "", path, spec: d, services: new Set(), products: new Map(), exports: new Set() };
    const namespace = isDnsLabel(d.name) ? d.name : "";
    checkServices(issues, info, zones, ids, namespace);
    checkProducts(issues, info, zones, ids, namespace);
    checkExports(issues, info);
    if (named) result.set(info.name, info);
  });
  return result;
}

function checkServices(issues: Issues, info: DomainInfo, zones: ReadonlyMap<string, ZoneInfo>, ids: Identities, domainNs: string): void {
  const list = issues.array(`${info.path}.services`, info.spec.services, "services", true);
  const products = Array.isArray(info.spec.dataProducts) ? info.spec.dataProducts : [];
  const proxies = new Map<string, string>();
  for (const p of products) if (isRecord(p) && isDnsLabel(p.name)) proxies.set(proxyServiceAccount(p.name), p.name);
  list.forEach((s, j) => {
    const path = `${info.path}.services[${j}]`;
    if (!isRecord(s)) {
      issues.add(path, `expected a service object, got ${show(s)}`, "declare the service as { name, zone, ports }");
      return;
    }
    issues.unknownKeys(path, s, SERVICE_KEYS, "a service");
    const nameOk = issues.label(`${path}.name`, s.name, "service name");
    const duplicate = nameOk && info.services.has(s.name as string);
    if (duplicate) {
      issues.add(`${path}.name`, `duplicate service name ${show(s.name)} in domain ${show(info.name)}`, "give every service of a domain a unique name");
    } else if (nameOk) {
      info.services.add(s.name as string);
    }
    const reservedFor = nameOk ? proxies.get(s.name as string) : undefined;
    if (reservedFor !== undefined) {
      issues.add(`${path}.name`, `service name ${show(s.name)} is reserved for the data proxy of data product ${show(reservedFor)}`, "rename the service");
    }
    checkZoneRef(issues, `${path}.zone`, s.zone, zones);
    const nsOk = s.namespace === undefined || issues.label(`${path}.namespace`, s.namespace, "namespace");
    const saOk = s.serviceAccount === undefined || issues.label(`${path}.serviceAccount`, s.serviceAccount, "service account");
    validatePorts(issues, `${path}.ports`, s.ports);
    if (!nameOk || duplicate || reservedFor !== undefined || !nsOk || !saOk || domainNs === "") return;
    const ns = (s.namespace as string | undefined) ?? domainNs;
    const sa = (s.serviceAccount as string | undefined) ?? (s.name as string);
    claimIdentity(issues, ids, ns, sa, `${path}${s.serviceAccount === undefined ? ".name" : ".serviceAccount"}`, `service ${show(s.name)}`);
    const host = `${s.name as string}.${ns}`;
    const other = ids.hosts.get(host);
    if (other !== undefined) {
      issues.add(`${path}.name`, `service ${show(s.name)} has the same host ${show(`${host}.svc.cluster.local`)} as ${other}`, "rename the service or move it to another namespace");
    } else {
      ids.hosts.set(host, path);
    }
  });
}

function checkProducts(issues: Issues, info: DomainInfo, zones: ReadonlyMap<string, ZoneInfo>, ids: Identities, domainNs: string): void {
  const list = issues.array(`${info.path}.dataProducts`, info.spec.dataProducts, "dataProducts", false);
  list.forEach((p, j) => {
    const path = `${info.path}.dataProducts[${j}]`;
    if (!isRecord(p)) {
      issues.add(path, `expected a data product object, got ${show(p)}`, "declare the product as { name, zone, engine, sensitivity, owner, residency, schemaVersion }");
      return;
    }
    issues.unknownKeys(path, p, PRODUCT_KEYS, "a data product");
    let nameOk = issues.label(`${path}.name`, p.name, "data product name", MAX_PRODUCT_NAME);
    const name = p.name as string;
    if (nameOk && (info.products.has(name) || info.services.has(name))) {
      const what = info.products.has(name) ? "data product" : "service";
      issues.add(`${path}.name`, `data product ${show(name)} has the same name as a ${what} of domain ${show(info.name)}`, "give every service and data product of a domain a distinct name");
      nameOk = false;
    }
    const zone = checkZoneRef(issues, `${path}.zone`, p.zone, zones);
    const engineOk = issues.oneOf(`${path}.engine`, p.engine, DATA_ENGINES, "data engine");
    const sensitivityOk = issues.oneOf(`${path}.sensitivity`, p.sensitivity, SENSITIVITIES, "sensitivity tier");
    if (nameOk) info.products.set(name, sensitivityOk ? (p.sensitivity as SensitivityTier) : undefined);
    issues.nonEmpty(`${path}.owner`, p.owner, "owner", "name the accountable team or person");
    if (typeof p.schemaVersion !== "string" || !SEMVER.test(p.schemaVersion)) {
      issues.add(`${path}.schemaVersion`, p.schemaVersion === undefined ? "missing schemaVersion" : `invalid schemaVersion ${show(p.schemaVersion)}`, "use a semantic version such as \"1.2.0\"");
    }
    const engine = engineOk ? (p.engine as DataEngine) : undefined;
    const storeCloud = engine === undefined ? undefined : OBJECT_STORE_CLOUD[engine];
    if (storeCloud !== undefined && zone?.cloud !== undefined && zone.cloud !== storeCloud) {
      const native = Object.entries(OBJECT_STORE_CLOUD).find(([, c]) => c === zone.cloud)?.[0];
      issues.add(
        `${path}.engine`,
        `engine ${show(engine)} is an ${storeCloud} object store but zone ${show(p.zone)} is in ${zone.cloud}`,
        native ? `use engine "${native}", or a zone in ${storeCloud}` : `use postgres or mysql, or a zone in ${storeCloud}`,
      );
    }
    checkResidency(issues, `${path}.residency`, p.residency, p.zone, zone);
    const nsOk = p.namespace === undefined || issues.label(`${path}.namespace`, p.namespace, "namespace");
    const defaultLocation = isDnsLabel(p.name) && isDnsLabel(info.name) ? `${info.name}-${p.name}` : undefined;
    if (engine !== undefined && (defaultLocation !== undefined || p.location !== undefined)) checkStore(issues, path, p, engine, defaultLocation ?? "", ids);
    if (!nameOk || !nsOk || domainNs === "") return;
    const ns = (p.namespace as string | undefined) ?? domainNs;
    claimIdentity(issues, ids, ns, proxyServiceAccount(name), `${path}.name`, `the data proxy of ${show(name)}`);
  });
}

function checkZoneRef(issues: Issues, path: string, v: unknown, zones: ReadonlyMap<string, ZoneInfo>): ZoneInfo | undefined {
  const zone = typeof v === "string" ? zones.get(v) : undefined;
  if (zone === undefined) {
    issues.add(path, v === undefined ? "missing zone" : `unknown zone ${show(v)}`, zoneFix(v, zones));
  }
  return zone;
}

function checkResidency(issues: Issues, path: string, v: unknown, zoneId: unknown, zone: ZoneInfo | undefined): void {
  if (!isJurisdiction(v)) {
    issues.add(path, v === undefined ? "missing residency" : `unknown residency ${show(v)}`, suggest(v, JURISDICTIONS, "use one of"));
    return;
  }
  if (zone?.cloud === undefined || zone.region === undefined) return;
  const actual = regionJurisdiction(zone.cloud, zone.region);
  if (actual === undefined) {
    issues.add(
      path,
      `residency ${show(v)} cannot be verified: the jurisdiction of ${zone.cloud} region ${show(zone.region)} (zone ${show(zoneId)}) is unknown`,
      zone.cloud === "onprem" ? `name the site with its jurisdiction first, e.g. "${v}-site-dc1"` : "place the product in a zone whose region is known, or extend components/model/regions.ts",
    );
  } else if (actual !== v) {
    issues.add(
      path,
      `residency ${show(v)} does not match zone ${show(zoneId)}: region ${show(zone.region)} is in ${show(actual)}`,
      `place the product in a zone in ${show(v)}, or correct the residency`,
    );
  }
}

function checkStore(issues: Issues, path: string, p: Rec, engine: DataEngine, defaultLocation: string, ids: Identities): void {
  const objectStore = OBJECT_STORE_CLOUD[engine] !== undefined;
  if (p.port !== undefined) {
    if (objectStore) {
      issues.add(`${path}.port`, `port ${show(p.port)} set on an object store (${engine})`, "remove port: it applies to databases only");
    } else if (!isInt(p.port) || p.port < 1 || p.port > 65535) {
      issues.add(`${path}.port`, `invalid port ${show(p.port)}`, "use an integer from 1 to 65535");
    }
  }
  if (p.location !== undefined && !isNonEmptyString(p.location)) {
    issues.add(`${path}.location`, `invalid location ${show(p.location)}`, "use a bucket/container name or a host name, or omit it");
    return;
  }
  const location = (p.location as string | undefined) ?? defaultLocation;
  const where = p.location === undefined ? `${path}.name` : `${path}.location`;
  const hint = p.location === undefined ? ` (the default, "<domain>-<name>")` : "";
  if (objectStore) {
    if (location.length < 3 || location.length > 63 || !BUCKET.test(location) || (engine === "blob" && location.includes("--"))) {
      issues.add(where, `location ${show(location)}${hint} is not a valid ${engine} bucket/container name`, "set location to 3-63 lowercase letters, digits and single '-'");
      return;
    }
    const key = `${engine}:${location}`;
    const other = ids.locations.get(key);
    if (other !== undefined) issues.add(where, `location ${show(location)} is already used by ${other}`, "set a distinct location");
    else ids.locations.set(key, path);
  } else if (location.length > 253 || !HOST.test(location)) {
    issues.add(where, `location ${show(location)}${hint} is not a valid host name`, "set location to the database's DNS name");
  }
}

function claimIdentity(issues: Issues, ids: Identities, ns: string, sa: string, path: string, what: string): void {
  const key = `${ns}/${sa}`;
  const other = ids.spiffe.get(key);
  if (other === undefined) {
    ids.spiffe.set(key, path);
    return;
  }
  issues.add(
    path,
    `${what} derives SPIFFE ID ${show(`spiffe://${ids.trustDomain}/ns/${ns}/sa/${sa}`)}, already derived at ${other}`,
    "set a distinct serviceAccount or namespace so every workload has its own identity",
  );
}

function checkExports(issues: Issues, info: DomainInfo): void {
  const list = issues.array(`${info.path}.exports`, info.spec.exports, "exports", false);
  const names = [...info.services, ...info.products.keys()];
  list.forEach((e, k) => {
    const path = `${info.path}.exports[${k}]`;
    if (typeof e !== "string" || !names.includes(e)) {
      const valid = isDnsLabel(e) ? "" : " (exports name this domain's own services and data products, without a domain prefix)";
      issues.add(path, `unknown export ${show(e)}${valid}`, suggest(e, names, "this domain's services and data products"));
    } else if (info.exports.has(e)) {
      issues.add(path, `duplicate export ${show(e)}`, "list each export once");
    } else {
      info.exports.add(e);
    }
  });
}
