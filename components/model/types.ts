/**
 * The mesh's language: what platform and domain teams declare.
 *
 * Everything here is plain data (no Pulumi types) so that it can be validated and
 * compiled without a Pulumi runtime. `resolveMesh` (see `resolve.ts`) turns a
 * {@link MeshSpec} plus its {@link DomainSpec}s into a {@link MeshModel}, the
 * normalized form every compiler reads.
 */

/** Where a zone runs. `onprem` is a Kubernetes cluster outside any cloud. */
export type Cloud = "aws" | "azure" | "gcp" | "onprem";

/** Every cloud a zone may name, in a stable order. */
export const CLOUDS: readonly Cloud[] = ["aws", "azure", "gcp", "onprem"];

/** AWS account settings of a zone in `aws`. */
export interface AwsZoneSettings {
  /** The 12-digit AWS account id the zone's resources live in. */
  accountId: string;
  /**
   * The AWS partition.
   * @default "aws"
   */
  partition?: "aws" | "aws-cn" | "aws-us-gov";
}

/** Azure settings of a zone in `azure`. */
export interface AzureZoneSettings {
  /** Subscription id (a GUID). */
  subscriptionId: string;
  /** Entra ID tenant id (a GUID). */
  tenantId: string;
  /** Resource group that holds the zone's mesh resources. */
  resourceGroupName: string;
}

/** GCP settings of a zone in `gcp`. */
export interface GcpZoneSettings {
  /** Project id, e.g. `acme-risk-prod`. */
  project: string;
  /** Project number, used in workload identity principals. */
  projectNumber: string;
}

/**
 * Where a zone's gateway is reached from other zones and from outside the cluster: callers in
 * other zones connect to `host` on the gateway port, with the destination's in-cluster host
 * as TLS SNI (the gateway passes the connection through to the destination's proxy).
 */
export interface ZoneGatewaySettings {
  /**
   * DNS name of the gateway's LoadBalancer, resolvable from every zone.
   * @default `gateway.<zone id>.<trustDomain>`
   */
  host?: string;
  /**
   * The addresses the gateway's LoadBalancer takes (CIDRs). Workloads of other zones get
   * NetworkPolicy egress to these on the gateway port only. Without them that egress is
   * port-only (any address on the gateway port), which the pack's internet-egress rule refuses.
   * @default []
   */
  cidrs?: string[];
}

/**
 * Addresses outside the cluster's pods that the mesh's own system components reach. Named,
 * their NetworkPolicy egress is to these blocks only; unnamed, it is port-only (any address on
 * the port), which the pack's internet-egress policy refuses.
 */
export interface ZoneNetworkSettings {
  /** The Kubernetes API server's addresses (SPIRE, the log agent: 443/6443). @default [] */
  apiServer?: string[];
  /** The nodes' addresses (SPIRE agents attest workloads with the kubelet: 10250). @default [] */
  nodes?: string[];
  /**
   * The cloud object storage endpoints the zone reaches privately (an S3 VPC endpoint, GCS
   * through Private Service Connect, Azure Storage private endpoints): the policy engines' bundles
   * and the log collector's store, on 443. @default []
   */
  objectStorage?: string[];
}

/** A zone: one Kubernetes cluster in one cloud region (or on-prem site). */
export interface ZoneSpec {
  /** Zone id, a DNS-1123 label (e.g. `aws-eu`). Used in resource names. */
  id: string;
  /** The cloud the zone runs in. */
  cloud: Cloud;
  /**
   * The cloud region or location (`eu-west-1`, `westeurope`, `europe-west3`); for
   * `onprem`, a site name whose prefix names its jurisdiction (`eu-frankfurt-dc1`).
   */
  region: string;
  /**
   * The failure zones the policy engines and gateways spread over
   * (the values of the nodes' `topology.kubernetes.io/zone` label).
   * At least one.
   */
  failureZones: string[];
  /** Required when `cloud` is `aws`. */
  aws?: AwsZoneSettings;
  /** Required when `cloud` is `azure`. */
  azure?: AzureZoneSettings;
  /** Required when `cloud` is `gcp`. */
  gcp?: GcpZoneSettings;
  /** How other zones reach this zone's gateway. @default `{ host: "gateway.<id>.<trustDomain>", cidrs: [] }` */
  gateway?: ZoneGatewaySettings;
  /** Addresses the system components reach outside the pods (API server, nodes, object storage). @default {} */
  network?: ZoneNetworkSettings;
}

/** Policy engine (OPA) settings shared by every zone. */
export interface PolicyEngineSettings {
  /**
   * OPA replicas per zone; at least 2 so that one engine can fail.
   * @default 3
   */
  replicas?: number;
  /**
   * OPA version; the image is `openpolicyagent/opa:<version>-envoy`.
   * @default "1.4.2"
   */
  opaVersion?: string;
  /**
   * How long Envoy waits for a decision before failing closed, in milliseconds.
   * @default 250
   */
  decisionTimeoutMs?: number;
}

/** Log retention, in days. */
export interface LogRetentionSettings {
  /**
   * Days logs stay in the hot (immediately readable) tier.
   * @default 90
   */
  hotDays?: number;
  /**
   * Days logs are retained in all (hot plus archive) and cannot be deleted.
   * @default 2555 (7 years)
   */
  retainedDays?: number;
}

/** HTTP methods an intent may allow. */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/** Every HTTP method, in a stable order. */
export const HTTP_METHODS: readonly HttpMethod[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * A rule that denies matching requests whatever the intents allow (deny overrides allow).
 * Omitted fields match everything.
 */
export interface DenyRuleSpec {
  /** Source reference (see {@link CallIntentSpec.from}); omitted or `*` means any source. */
  from?: string;
  /** Destination service or data product reference; omitted means any destination. */
  to?: string;
  /** Methods denied; omitted means all. */
  methods?: HttpMethod[];
  /** Path prefixes denied; omitted means all paths. */
  paths?: string[];
  /** Why the rule exists; shown in decision logs. */
  reason: string;
}

/** The mesh: what the platform team declares once. */
export interface MeshSpec {
  /** The SPIFFE trust domain, a DNS name such as `mesh.acme.example`. */
  trustDomain: string;
  /** The zones; ids are unique. */
  zones: ZoneSpec[];
  /** Policy engine settings for every zone. */
  policyEngine?: PolicyEngineSettings;
  /** Audit log retention. */
  logRetention?: LogRetentionSettings;
  /** Deny rules that apply to every domain. */
  denyRules?: DenyRuleSpec[];
}

/** Protocols a service port speaks. */
export type PortProtocol = "http" | "grpc" | "tcp";

/** A port a service listens on. */
export interface PortSpec {
  /** Port number, 1-65535. */
  port: number;
  /**
   * Protocol spoken on the port.
   * @default "http"
   */
  protocol?: PortProtocol;
  /** Port name (a DNS-1123 label, at most 15 characters). @default `<protocol>-<port>` */
  name?: string;
}

/** A service (a workload) a domain runs. */
export interface ServiceSpec {
  /** Service name, a DNS-1123 label, unique within the domain. */
  name: string;
  /** The id of the zone the service runs in. */
  zone: string;
  /**
   * Kubernetes namespace.
   * @default the domain's name
   */
  namespace?: string;
  /**
   * Kubernetes service account, which determines the SPIFFE ID.
   * @default the service's name
   */
  serviceAccount?: string;
  /** Ports; at least one. */
  ports: PortSpec[];
}

/** Storage engines a data product may live in. */
export type DataEngine = "postgres" | "mysql" | "s3" | "gcs" | "blob";

/** Every data engine, in a stable order. */
export const DATA_ENGINES: readonly DataEngine[] = ["postgres", "mysql", "s3", "gcs", "blob"];

/** How sensitive a data product is. `high` products admit no wildcard consumers. */
export type SensitivityTier = "low" | "medium" | "high";

/** A data product a domain owns. */
export interface DataProductSpec {
  /** Name, a DNS-1123 label, unique within the domain (and distinct from its services). */
  name: string;
  /** The id of the zone the product's store lives in. */
  zone: string;
  /** The storage engine. Object stores must match the zone's cloud (`s3`/aws, `gcs`/gcp, `blob`/azure). */
  engine: DataEngine;
  /** Sensitivity tier. */
  sensitivity: SensitivityTier;
  /** Accountable owner (a team or person), e.g. `risk-data@acme.example`. */
  owner: string;
  /** Jurisdiction the data must stay in, e.g. `eu` or `us`; must match the zone's region. */
  residency: string;
  /** Schema version of the product's contract, e.g. `1.2.0`. */
  schemaVersion: string;
  /**
   * Namespace of the product's data proxy.
   * @default the domain's name
   */
  namespace?: string;
  /**
   * Where the store is: a bucket or container name for object stores, a host name for databases.
   * @default `<domain>-<name>`
   */
  location?: string;
  /**
   * The store's port (databases only).
   * @default 5432 for postgres, 3306 for mysql
   */
  port?: number;
}

/** What a data intent may do. */
export type DataAccess = "read" | "write";

/**
 * "Service `from` may call service `to`".
 *
 * References: a bare name means the same domain; `<domain>/<name>` another domain
 * (which must export it); `*` as a source means every workload of the mesh.
 */
export interface CallIntentSpec {
  /** The calling service. */
  from: string;
  /** The called service. */
  to: string;
  /**
   * Methods allowed.
   * @default ["GET"]
   */
  methods?: HttpMethod[];
  /**
   * Path prefixes allowed; each starts with `/`.
   * @default ["/"]
   */
  paths?: string[];
}

/** "Service `from` may read (or write) data product `data`". */
export interface DataIntentSpec {
  /** The consuming service (same reference rules as {@link CallIntentSpec.from}). */
  from: string;
  /** The data product. */
  data: string;
  /**
   * What the consumer may do.
   * @default ["read"]
   */
  access?: DataAccess[];
}

/** An intent: the only way anything is allowed. */
export type IntentSpec = CallIntentSpec | DataIntentSpec;

/** True when an intent is about a data product. */
export function isDataIntent(intent: IntentSpec): intent is DataIntentSpec {
  return (intent as DataIntentSpec).data !== undefined;
}

/** A domain: what one team declares. */
export interface DomainSpec {
  /** Domain name, a DNS-1123 label, unique in the mesh. */
  name: string;
  /** Accountable owner (team or person). */
  owner: string;
  /** The domain's services. */
  services: ServiceSpec[];
  /** The domain's data products. */
  dataProducts?: DataProductSpec[];
  /** What the domain's services may call or read. */
  intents?: IntentSpec[];
  /**
   * Names of services and data products other domains may target in their intents.
   * @default [] (nothing is exported)
   */
  exports?: string[];
  /** Deny rules that apply to requests to this domain's services and products. */
  denyRules?: DenyRuleSpec[];
}
