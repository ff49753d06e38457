/**
 * The normalized mesh every compiler reads: defaults applied, references resolved,
 * SPIFFE IDs derived. Built by `resolveMesh` from a validated spec; never written by hand.
 */
import type {
  AwsZoneSettings,
  AzureZoneSettings,
  Cloud,
  DataAccess,
  DataEngine,
  GcpZoneSettings,
  ZoneNetworkSettings,
  HttpMethod,
  PortProtocol,
  SensitivityTier,
} from "./types";

export interface Zone {
  id: string;
  cloud: Cloud;
  region: string;
  failureZones: string[];
  aws?: AwsZoneSettings;
  azure?: AzureZoneSettings;
  gcp?: GcpZoneSettings;
  /** How other zones reach the zone's gateway (`resolveMesh` applies the defaults; see {@link zoneGateway}). */
  gateway?: { host: string; cidrs: string[] };
  /** Addresses the system components reach outside the pods (see {@link ZoneNetworkSettings}). */
  network?: ZoneNetworkSettings;
}

/** A zone's gateway address and CIDRs, with the defaults for a zone built by hand. */
export function zoneGateway(zone: Zone, trustDomain: string): { host: string; cidrs: string[] } {
  return zone.gateway ?? { host: `gateway.${zone.id}.${trustDomain}`, cidrs: [] };
}

export interface Port {
  port: number;
  protocol: PortProtocol;
  name: string;
}

/** A workload identity: a Kubernetes service account in a namespace, and its SPIFFE ID. */
export interface Workload {
  /** `<domain>/<name>`: unique in the mesh. */
  key: string;
  domain: string;
  name: string;
  zone: string;
  namespace: string;
  serviceAccount: string;
  /** `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  spiffeId: string;
}

export interface Service extends Workload {
  kind: "service";
  ports: Port[];
  /** Whether other domains may call it. */
  exported: boolean;
  /** The in-cluster host name (`<name>.<namespace>.svc.cluster.local`). */
  host: string;
}

export interface DataProduct {
  kind: "data";
  /** `<domain>/<name>`. */
  key: string;
  domain: string;
  name: string;
  zone: string;
  engine: DataEngine;
  sensitivity: SensitivityTier;
  owner: string;
  residency: string;
  schemaVersion: string;
  namespace: string;
  location: string;
  /** Store port (databases) or 443 (object stores). */
  port: number;
  exported: boolean;
  /** The data proxy fronting the store: its own workload identity. */
  proxy: Workload;
}

/** Who an intent or deny rule applies to: one workload, or every workload (`*`). */
export type Source = { kind: "workload"; key: string; spiffeId: string } | { kind: "any" };

export interface CallIntent {
  kind: "call";
  /** `<domain>#<index>` of the declaring intent, for error messages and traceability. */
  id: string;
  /** The domain that declared the intent: the source's domain, or the destination's when it grants access to its own service or product. */
  domain: string;
  source: Source;
  /** Key of the destination service. */
  to: string;
  methods: HttpMethod[];
  paths: string[];
}

export interface DataIntent {
  kind: "data";
  id: string;
  domain: string;
  source: Source;
  /** Key of the data product. */
  to: string;
  access: DataAccess[];
}

export type Intent = CallIntent | DataIntent;

export interface DenyRule {
  /** `global#<i>` or `<domain>#<i>`. */
  id: string;
  /** `global` or the declaring domain. */
  scope: string;
  source: Source;
  /** Destination key, or undefined for any destination (within the scope's domain for domain rules). */
  to?: string;
  /** Undefined means all methods. */
  methods?: HttpMethod[];
  /** Undefined means all paths. */
  paths?: string[];
  reason: string;
}

export interface Domain {
  name: string;
  owner: string;
  services: string[];
  dataProducts: string[];
}

export interface MeshModel {
  trustDomain: string;
  zones: Zone[];
  policyEngine: { replicas: number; opaVersion: string; decisionTimeoutMs: number };
  logRetention: { hotDays: number; retainedDays: number };
  domains: Domain[];
  /** Every service, keyed by `<domain>/<name>`, in declaration order. */
  services: Map<string, Service>;
  /** Every data product, keyed by `<domain>/<name>`, in declaration order. */
  dataProducts: Map<string, DataProduct>;
  intents: Intent[];
  denyRules: DenyRule[];
}
