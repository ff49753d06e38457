/**
 * The shared interface of workload identity federation: the component's arguments, what it
 * exports per workload, and the contract each cloud file (`aws.ts`, `azure.ts`, `gcp.ts`)
 * implements.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ArgChecker } from "../common/args";
import type { IamDocuments } from "../compile/iam";
import type { Zone } from "../model/model";

/** A workload identity to federate: a mesh workload key and its SPIFFE ID. */
export interface FederatedWorkload {
  /** Workload key `<domain>/<name>` (both DNS-1123 labels); keys the outputs and names the cloud identity. */
  key: string;
  /** The exact SPIFFE ID the workload's JWT-SVIDs carry as `sub` (no wildcards). */
  spiffeId: string;
}

/** Arguments of {@link WorkloadIdentityFederation}. */
export interface WorkloadIdentityFederationArgs {
  /**
   * The zone whose cloud account trusts the mesh issuer (from the `MeshModel`). Its `cloud`
   * decides which resources exist; it must carry that cloud's settings (`aws.accountId`,
   * `azure.{subscriptionId,tenantId,resourceGroupName}`, `gcp.{project,projectNumber}`).
   * On-prem zones have no cloud to federate with: skip them.
   */
  zone: Zone;
  /** The mesh's SPIFFE trust domain (`model.trustDomain`); every workload's SPIFFE ID must be in it. */
  trustDomain: string;
  /**
   * The issuer URL of the SPIRE OIDC discovery provider (its `jwt_issuer`), an `https://` URL
   * without query or fragment, e.g. `https://oidc.mesh.acme.example`. Plain, because it
   * decides what the cloud trusts: it is validated before anything is created.
   */
  issuerUrl: string;
  /**
   * The workloads to create a cloud identity for. Plain: it decides which resources exist.
   * Use {@link federationFor} to derive it (and `documents`) from the mesh model.
   */
  workloads: FederatedWorkload[];
  /**
   * The IAM documents the intents compile to (`compileIam(model)`, or `federationFor(...).documents`).
   * Each workload gets exactly the entry `documents[zone.cloud][workload.key]`, nothing else.
   * @default no permissions (identities only, e.g. for a log collector granted elsewhere)
   */
  documents?: IamDocuments;
  /**
   * The audience workloads request their JWT-SVIDs for.
   * @default AWS `"sts.amazonaws.com"`; Azure `"api://AzureADTokenExchange"` (the only value Entra ID accepts);
   * GCP the provider's full resource name `//iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>`
   */
  audience?: string;
  /**
   * AWS only: SHA-1 thumbprints of the issuer's TLS certificate chain.
   * @default [] (AWS verifies issuers with a public CA itself)
   */
  thumbprints?: string[];
  /**
   * AWS only: the ARN of an existing IAM OIDC provider for `issuerUrl` (one per account and issuer),
   * e.g. when another stack already created it.
   * @default a new provider is created
   */
  existingOidcProviderArn?: string;
  /**
   * AWS only: the ARN of a managed policy used as every role's permissions boundary.
   * @default no boundary
   */
  permissionsBoundaryArn?: string;
  /**
   * AWS only: the maximum session duration of each role, 3600-43200 seconds.
   * @default 3600
   */
  maxSessionDurationSeconds?: number;
  /**
   * GCP only: the issuer's JWKS (JSON), for issuers Google cannot reach (private issuers).
   * @default Google fetches the JWKS from the issuer's discovery document
   */
  jwksJson?: pulumi.Input<string>;
  /**
   * GCP only: the workload identity pool id (4-32 of `[a-z0-9-]`, not starting with `gcp-`).
   * Deleted pools stay reserved for 30 days, so changing it is not an undo.
   * @default `ztmesh-<zone id>` (hash-shortened to 32 characters)
   */
  poolId?: string;
  /**
   * GCP only: the pool provider id (4-32 of `[a-z0-9-]`).
   * @default "spire"
   */
  poolProviderId?: string;
  /**
   * Tags (labels on GCP) added to every taggable child, next to `ztmesh-zone` and `managed-by`.
   * @default {}
   */
  tags?: Record<string, string>;
}

/** What a pod needs to use its cloud identity, and what other components grant access to. */
export interface FederatedIdentity {
  /** The cloud principal the pod assumes: AWS role ARN, Azure client id, GCP service account email. */
  principal: pulumi.Output<string>;
  /**
   * The value to grant permissions to elsewhere (e.g. `AuditLogStore.writer`): AWS role ARN,
   * Azure principal (object) id, GCP IAM member `serviceAccount:<email>`.
   */
  grantee: pulumi.Output<string>;
  /** The audience the pod requests its JWT-SVID for. */
  audience: string;
}

/** A workload after validation, with its derived names. */
export interface ResolvedWorkload extends FederatedWorkload {
  domain: string;
  name: string;
  /** `<domain>-<name>`: the workload's part of child resource names. */
  slug: string;
}

/** Everything a cloud file needs, validated. */
export interface FederationContext {
  /** The component: parent of every child. */
  parent: pulumi.Resource;
  /** The component's name: prefix of every child's name. */
  name: string;
  args: WorkloadIdentityFederationArgs;
  zone: Zone;
  /** `issuerUrl` exactly as given (Azure and GCP compare it with the tokens' `iss`). */
  issuer: string;
  /** The issuer without `https://` and trailing slashes: the prefix of AWS condition keys. */
  issuerHostPath: string;
  audience: string;
  workloads: ResolvedWorkload[];
  documents: IamDocuments;
  tags: Record<string, string>;
}

/** What a cloud file creates. */
export interface FederationResult {
  identities: Record<string, FederatedIdentity>;
  /** The trust anchor: AWS OIDC provider ARN, Azure issuer URL, GCP pool provider name. */
  trustAnchor: pulumi.Output<string>;
}

/** The per-cloud implementation: eager checks, default audience, and resource creation. */
export interface CloudFederation {
  /** Cloud-specific argument checks (settings, options that only this cloud takes). */
  check(args: WorkloadIdentityFederationArgs, c: ArgChecker): void;
  /** The default audience (given valid args). */
  defaultAudience(name: string, args: WorkloadIdentityFederationArgs): string;
  /** Creates the trust and the identities. Called only after every check passed. */
  create(ctx: FederationContext): FederationResult;
}
