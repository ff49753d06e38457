/**
 * Typed shape of the OPA bundles ztmesh compiles: the data documents the hand-written Rego
 * (`rego/envoy/authz/authz.rego`) reads, and the bundles that carry them. Plain data; the
 * files OPA loads are produced at the edge by `bundleFiles`.
 *
 * Layout under `data.ztmesh` (one bundle root each, never overlapping):
 * - `platform` (platform bundle): trust domain, zone, global deny rules.
 * - `domains.<domain>` (one bundle per domain): services, proxies, allow and deny entries of the
 *   domain's destinations located in the zone.
 */
import type { Cloud, DataAccess, HttpMethod } from "../../model/types";

/** The source key of entries that apply to every workload of the trust domain (or, in deny rules, to any caller). */
export const ANY = "*";

/** A set of HTTP methods as an object (`{ GET: true }`), so Rego tests membership by key. */
export type MethodSet = Partial<Record<HttpMethod, true>>;

/** What one call intent grants to one source on one service. */
export interface CallGrant {
  /** Id of the declaring intent (`<domain>#<index>`), reported in decision reasons. */
  intent: string;
  /** Methods allowed. */
  methods: MethodSet;
  /** Path prefixes allowed (plain string prefixes, as Envoy's `prefix` matcher), sorted. */
  paths: string[];
}

/** What one data intent grants to one source on one data product. */
export interface DataGrant {
  /** Id of the declaring intent. */
  intent: string;
  /** Access classes granted, sorted. */
  access: DataAccess[];
}

/** Either kind of grant; services only carry {@link CallGrant}s, data products only {@link DataGrant}s. */
export type Grant = CallGrant | DataGrant;

/**
 * `allow[<destination key>][<source SPIFFE ID or "*">]`: the grants of that pair, sorted by intent
 * id. A list (not one merged entry) so that two intents with different methods and paths never
 * combine into a grant neither declared.
 */
export type AllowIndex = Record<string, Record<string, Grant[]>>;

/**
 * One deny rule as the Rego reads it. Every field is present (normalized at compile time):
 * omitted methods become every method, omitted paths become `["/"]`.
 */
export interface DenyEntry {
  /** `global#<i>` or `<domain>#<i>`. */
  id: string;
  /** Why the rule exists (decision logs). */
  reason: string;
  /** Methods denied (HTTP destinations). */
  methods: MethodSet;
  /** Path prefixes denied (HTTP destinations), sorted. */
  paths: string[];
  /**
   * Access classes denied at data proxies, derived from `methods` (GET, HEAD, OPTIONS are
   * `read`; the others `write`). Empty when the rule is limited to paths other than `/`:
   * data proxies work at L4 and see no path.
   */
  access: DataAccess[];
}

/**
 * `deny[<destination key or "*">][<source SPIFFE ID or "*">]`: deny rules of that pair. In the
 * platform bundle `"*"` is every destination; in a domain bundle, every destination of that domain.
 */
export type DenyIndex = Record<string, Record<string, DenyEntry[]>>;

/** Data of the platform bundle, at `data.ztmesh.platform`. */
export interface PlatformData {
  /** The SPIFFE trust domain: wildcard (`*`) grants apply only to callers in it. */
  trust_domain: string;
  /** The zone this bundle is for (context for decision logs). */
  zone: { id: string; cloud: Cloud; region: string };
  /** Global deny rules relevant to the zone. */
  deny: DenyIndex;
}

/** Data of one domain bundle, at `data.ztmesh.domains.<domain>`. */
export interface DomainData {
  /** Service SPIFFE ID (its workload proxy's identity) -> service key, for the domain's services in the zone. */
  services: Record<string, string>;
  /** Data proxy SPIFFE ID -> data product key, for the domain's products in the zone. */
  proxies: Record<string, string>;
  /** Grants on the domain's destinations in the zone. */
  allow: AllowIndex;
  /** Domain deny rules (and rules naming one of its destinations) relevant to the zone. */
  deny: DenyIndex;
  /**
   * `egress[<SPIFFE ID>][<target id>]`: the cloud token endpoints (egress gateway targets) each of
   * the domain's workloads in the zone may reach, from its object-store intents.
   */
  egress: Record<string, Record<string, true>>;
}

/** An OPA bundle `.manifest`: only what OPA needs. */
export interface OpaManifest {
  /** sha256 (hex) of the bundle's roots and canonical file contents. */
  revision: string;
  /** The data paths the bundle owns; disjoint across the bundles one OPA loads. */
  roots: string[];
}

/** One OPA bundle. */
export interface OpaBundle<D> {
  /** Bundle name, the key under `bundles` in OPA's configuration. */
  name: string;
  /** Equal to `manifest.roots`. */
  roots: string[];
  manifest: OpaManifest;
  /** Slash path under `data` where {@link data} lives (`ztmesh/platform`); the file is `<dataPath>/data.json`. */
  dataPath: string;
  data: D;
  /** Rego modules: bundle-relative path -> source. */
  rego: Record<string, string>;
}

/** The bundles the OPA of one zone loads. */
export interface OpaZoneBundles {
  /** The zone id. */
  zone: string;
  /** Policy (root `envoy/authz`) and platform data (root `ztmesh/platform`). */
  platform: OpaBundle<PlatformData>;
  /** One bundle per domain with at least one destination in the zone, keyed and sorted by domain name. */
  domains: Record<string, OpaBundle<DomainData>>;
}

/** True for a grant on a service. */
export function isCallGrant(g: Grant): g is CallGrant {
  return (g as CallGrant).methods !== undefined;
}
