/**
 * The mesh components' arguments and the versioned contracts between the platform stack and
 * the domain stacks. Contracts are plain JSON (stack outputs read with
 * `await stackReference.getOutputDetails(...)`); bump `version` on any breaking change.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Cloud, DomainSpec, MeshSpec } from "../model/types";

/** The version of {@link MeshContract} and {@link DomainContract} this library writes and reads. */
export const CONTRACT_VERSION = 1;

/** The existing infrastructure of one zone. */
export interface ZoneInfra {
  /** The Kubernetes provider of the zone's (existing) cluster. */
  cluster: k8s.Provider;
  /**
   * The cloud provider (aws, gcp or azure-native) of the zone's account, passed to cloud children.
   * @default the program's default provider of that cloud (none for on-prem zones)
   */
  cloudProvider?: pulumi.ProviderResource;
  /**
   * The public https URL of the zone's OIDC issuer (SPIRE OIDC discovery provider).
   * @default `https://oidc.<zone id>.<trust domain>`
   */
  issuerUrl?: string;
  /**
   * On-prem zones only (required there): the https URL of the on-prem bundle server (OPA
   * `http` store) the engines pull `opa/<zone>/<bundle>.tar.gz` from.
   * @default none
   */
  bundleServerUrl?: string;
  /**
   * On-prem zones only (required there): the cloud zone whose AuditLogStore keeps this zone's
   * logs (same jurisdiction). The collector writes with an identity federated to this zone's
   * issuer in that cloud account.
   * @default none
   */
  logStoreZone?: string;
}

/** The shared upstream CA every zone's SPIRE server chains to (cross-zone trust). */
export interface UpstreamCaArgs {
  /** PEM certificate of the CA. */
  certificate: pulumi.Input<string>;
  /** PEM private key of the CA (a secret). */
  privateKey: pulumi.Input<string>;
  /**
   * PEM bundle of the roots when `certificate` is an intermediate.
   * @default none (the certificate is the root)
   */
  bundle?: pulumi.Input<string>;
}

/** The OPA bundle signing key (RS256). */
export interface BundleSigningArgs {
  /** Key id (OPA `keys.<keyId>`). */
  keyId: string;
  /** RSA public key (PEM). */
  publicKeyPem: pulumi.Input<string>;
  /** RSA private key (PEM), a secret. */
  privateKeyPem: pulumi.Input<string>;
}

/** Arguments of {@link HybridMesh}. */
export interface HybridMeshArgs {
  /** The mesh declaration (plain: it decides which resources exist). */
  mesh: MeshSpec;
  /** Per zone id of `mesh.zones`: its cluster, cloud provider and zone settings. Every zone needs one entry. */
  zones: Record<string, ZoneInfra>;
  /** The shared upstream CA (see components/identity-issuer/README.md). */
  upstreamCa: UpstreamCaArgs;
  /** The bundle signing key. */
  signing: BundleSigningArgs;
  /**
   * Lock audit log retention (irreversible; production only).
   * @default false
   */
  lockRetention?: boolean;
  /**
   * Onboarded domains: domain name -> the zones where it publishes its bundle (the zones where it
   * has services or data products: `MeshDomain.bundleZones`). Each zone's engine loads
   * `ztmesh-domain-<domain>` for the domains listed for it; a listed bundle that is not published
   * keeps the engine unready, so onboard a domain here after its first `pulumi up`.
   * @default {} (engines load the platform bundle only: every request is denied)
   */
  domains?: Record<string, string[]>;
  /**
   * Default JWT-SVID TTL of every zone's SPIRE server (IdentityIssuer `jwtSvidTtl`). JWT-SVIDs are
   * what workloads exchange for cloud credentials. In a mesh with an Azure zone it must be at
   * least `45m`: Azure SDKs reuse the JWT read from the token file for up to 10 minutes, and the
   * file may hold a JWT with a quarter of its TTL left. At most `24h` (Entra ID's limit).
   * @default "1h" when the mesh has an Azure zone, else the IdentityIssuer default "5m"
   */
  jwtSvidTtl?: string;
  /**
   * Gateway replicas per zone (at least 2).
   * @default 2
   */
  gatewayReplicas?: number;
  /**
   * Log collector replicas per zone (at least 2).
   * @default 2
   */
  collectorReplicas?: number;
  /**
   * Tags (labels on GCP) added to the cloud resources.
   * @default {}
   */
  tags?: Record<string, string>;
}

/** Where a zone's OPA bundles live; domain stacks publish theirs there. */
export type ContractBundleStore =
  | { kind: "s3"; bucket: string; region: string; prefix: string }
  | { kind: "gcs"; bucket: string; prefix: string }
  | { kind: "azure-blob"; storageAccount: string; container: string; resourceGroupName: string; prefix: string }
  | { kind: "http"; url: string; prefix: string };

/** One zone in the platform contract. */
export interface ContractZone {
  id: string;
  cloud: Cloud;
  region: string;
  /** The zone's OIDC issuer URL (clouds trust it for the zone's workloads). */
  issuerUrl: string;
  /** The gateway's load balancer address (IP or host), empty until assigned. */
  gatewayAddress: string;
  /** Where the zone's engines pull bundles from. */
  bundleStore: ContractBundleStore;
}

/**
 * The platform stack's output `contract`, version 1: what domain stacks may rely on.
 * Additive changes keep `version: 1`; anything else bumps it.
 */
export interface MeshContract {
  version: 1;
  /** The mesh declaration, as given. */
  mesh: MeshSpec;
  zones: ContractZone[];
}

/** A domain stack's output `contract`, version 1. */
export interface DomainContract {
  version: 1;
  domain: DomainSpec;
  /**
   * The domains whose intents towards this domain its stack enforces (the domains of the
   * stacks it references), sorted. Absent in contracts written before it existed: read as
   * admitting no one.
   */
  admits?: string[];
}

export type { IntentsDocument, ResolvedIntentEntry } from "../model/intents";

/** Per zone (where the domain has workloads): the cluster and the cloud provider. */
export interface DomainZoneInfra {
  /** The zone's cluster. */
  cluster: k8s.Provider;
  /**
   * The zone's cloud provider.
   * @default the program's default provider of that cloud
   */
  cloudProvider?: pulumi.ProviderResource;
}

/**
 * A zone where the domain has no workloads but whose object-store products its workloads of
 * another cloud (or on-prem) use: the domain creates their identities in that zone's account.
 */
export interface StoreZoneInfra {
  /**
   * The cloud provider (aws, gcp or azure-native) of the zone's account.
   * @default the program's default provider of that cloud
   */
  cloudProvider?: pulumi.ProviderResource;
}

/** Arguments of {@link MeshDomain}. */
export interface MeshDomainArgs {
  /** The platform contract (plain: `(await platform.getOutputDetails("contract")).value`). */
  platform: MeshContract;
  /** The domain's declaration. */
  domain: DomainSpec;
  /**
   * The contracts (`contract` outputs) of the domains this one trades with: those it consumes
   * from (its intents may target their exports) and those it admits as consumers (their
   * intents towards this domain's exports are compiled into its proxies, OPA data,
   * NetworkPolicies and IAM). Referencing a domain is consenting to its intents. Intents of
   * this domain towards a peer whose contract does not admit it yet are reported in
   * {@link MeshDomain.pendingIntents}.
   * @default []
   */
  peers?: DomainContract[];
  /**
   * Plain declarations of other domains, as `peers` but without a contract (nothing is
   * reported pending for them). Prefer `peers`.
   * @default []
   */
  others?: DomainSpec[];
  /** Per zone where the domain has services or data products. */
  zones: Record<string, DomainZoneInfra>;
  /**
   * Per zone where the domain has no workloads but holds object-store products (s3, gcs, blob)
   * that the domain's workloads of another cloud or on-prem use: the zone's cloud provider. The
   * domain creates those workloads' identities in the zone's account, federated to their own
   * zone's issuer (see components/mesh/README.md, "Cross-cloud data"). Every such zone needs an
   * entry (`{}` for the default provider); `meshDomainStoreZones(args)` lists them. A zone
   * already in `zones` uses its `cloudProvider` there and must not be repeated here.
   * @default {}
   */
  storeZones?: Record<string, StoreZoneInfra>;
  /** The bundle signing key (the platform's: engines verify every bundle with it). */
  signing: BundleSigningArgs;
  /**
   * Data proxy replicas (at least 2).
   * @default 2
   */
  proxyReplicas?: number;
  /**
   * Tags added to the cloud resources.
   * @default {}
   */
  tags?: Record<string, string>;
}
