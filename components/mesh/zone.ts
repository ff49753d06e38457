/**
 * One zone of the platform: the parts every zone gets, wired together. Called by HybridMesh
 * after validation; every child is parented to the HybridMesh and named `<mesh>-<zone>-<part>`.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsRoleName } from "../compile/iam/names";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, SYSTEM_NAMESPACE } from "../compile/kubernetes/labels";
import { K8S } from "../conventions";
import { EgressGateway, EnvoyGateway } from "../gateway";
import { IdentityIssuer } from "../identity-issuer";
import { AWS_DEFAULT_AUDIENCE, WORKLOAD_IDENTITY_FEDERATION_TYPE, WorkloadIdentityFederation, defaultPoolId } from "../identity";
import { cloudTags } from "../common/cloud";
import { LogCollector, LOG_COLLECTOR_DEFAULTS, type AuditLogStoreTarget } from "../log-collector";
import { AZURE_CONTAINER, AuditLogStore, azureStoreNames } from "../log-store";
import { grantAuditLogWriter } from "../log-store/writers";
import type { MeshModel, Zone } from "../model/model";
import { spiffeId } from "../model/spiffe";
import { PolicyEngine, policyEngineName } from "../policy-engine";
import { createBundleStore } from "./bundle-store";
import { awsOidcProviderArn, type AwsTrustedIssuer } from "./cross-cloud";
import type { ContractZone, HybridMeshArgs, ZoneInfra } from "./types";

/** The federation key of a zone's system workload (`ztmesh-system/<zone>-<part>`). */
export function systemWorkloadKey(zoneId: string, part: "log-collector" | "policy-engine"): string {
  return `${SYSTEM_NAMESPACE}/${zoneId}-${part}`;
}

/** The log collector's SPIFFE ID (LogCollector's default namespace and service account). */
export function collectorSpiffeId(trustDomain: string): string {
  return spiffeId(trustDomain, SYSTEM_NAMESPACE, LOG_COLLECTOR_DEFAULTS.serviceName);
}

/** The default issuer URL of a zone: `https://oidc.<zone>.<trustDomain>`. */
export function defaultIssuerUrl(zoneId: string, trustDomain: string): string {
  return `https://oidc.${zoneId}.${trustDomain}`;
}

/**
 * The JWT-SVID TTL of a mesh whose workloads sign in to Entra ID. Azure SDKs reuse the JWT they
 * read from the token file for up to 10 minutes (azure-identity's `WorkloadIdentityCredential`),
 * and the file may hold a JWT with only a quarter of its TTL left: the SPIRE agent serves a cached
 * JWT-SVID until half its lifetime, and spiffe-helper renews at half of what is left.
 */
export const ENTRA_JWT_SVID_TTL = "1h";
/** The shortest TTL for which a quarter of it outlasts the Azure SDKs' 10-minute reuse, with margin. */
export const ENTRA_MIN_JWT_SVID_TTL_SECONDS = 45 * 60;
/** Entra ID rejects federated assertions living longer than a day and an hour (AADSTS70023). */
export const MAX_JWT_SVID_TTL_SECONDS = 24 * 3600;

/**
 * The JWT-SVID TTL of every zone's SPIRE server: `jwtSvidTtl`, else {@link ENTRA_JWT_SVID_TTL}
 * when the mesh has an Azure zone (any zone's workloads may then sign in to Entra ID: the Azure
 * zone's, on-prem collectors writing to an Azure store, cross-cloud consumers of Azure stores),
 * else the IdentityIssuer default.
 */
export function meshJwtSvidTtl(zones: readonly { cloud: string }[], jwtSvidTtl: string | undefined): string | undefined {
  return jwtSvidTtl ?? (zones.some((z) => z.cloud === "azure") ? ENTRA_JWT_SVID_TTL : undefined);
}

/** What each cloud zone exposes to the zones that keep their logs in it (on-prem). */
export interface CloudZoneParts {
  zone: Zone;
  store: AuditLogStore;
  /** The component name given to the AuditLogStore. */
  storeName: string;
  provider?: pulumi.ProviderResource;
}

/** Everything one zone got. */
export interface ZoneParts {
  namespace: k8s.core.v1.Namespace;
  issuer: IdentityIssuer;
  /**
   * The IAM OIDC providers trusting this zone's issuer in the AWS accounts of other zones, by
   * host zone (`<mesh>-<zone>-trust-<host>-oidc`).
   */
  trustedBy: Record<string, aws.iam.OpenIdConnectProvider>;
  federation?: WorkloadIdentityFederation;
  store?: AuditLogStore;
  collector: LogCollector;
  engine: PolicyEngine;
  gateway: EnvoyGateway;
  egress: EgressGateway;
  contract: pulumi.Output<ContractZone>;
}

interface ZoneContext {
  parent: pulumi.ComponentResource;
  /** The HybridMesh's name. */
  mesh: string;
  model: MeshModel;
  zone: Zone;
  infra: ZoneInfra;
  args: HybridMeshArgs;
  tags: Record<string, string>;
  /** The cloud zones already built, by id (on-prem zones write their logs to one of them). */
  cloudZones: ReadonlyMap<string, CloudZoneParts>;
  /** The IAM OIDC providers the platform creates (see `awsTrustedIssuers`); this zone creates those of its issuer. */
  trustedIssuers: readonly AwsTrustedIssuer[];
}

/** Builds one zone. Cloud zones must be built before the on-prem zones that log to them. */
export function buildZone(ctx: ZoneContext): ZoneParts & { cloudParts?: CloudZoneParts } {
  const { parent, model, zone, infra, args, tags } = ctx;
  const n = `${ctx.mesh}-${zone.id}`;
  const cluster = infra.cluster;
  const cloud = infra.cloudProvider;
  const onK8s = { parent, providers: [cluster] };
  const onCloud = { parent, ...(cloud ? { providers: [cloud] } : {}) };
  const td = model.trustDomain;
  const issuerUrl = infra.issuerUrl ?? defaultIssuerUrl(zone.id, td);
  const collectorKey = systemWorkloadKey(zone.id, "log-collector");
  const engineKey = systemWorkloadKey(zone.id, "policy-engine");

  // The system namespace: created here only (components place their pods in it).
  const namespace = new k8s.core.v1.Namespace(
    `${n}-system-namespace`,
    {
      metadata: {
        name: SYSTEM_NAMESPACE,
        labels: {
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
          [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
          [K8S.zone]: zone.id,
        },
      },
    },
    { parent, provider: cluster },
  );
  const inSystem = { ...onK8s, dependsOn: [namespace] };

  const issuer = new IdentityIssuer(
    `${n}-identity-issuer`,
    {
      model,
      zone: zone.id,
      issuerUrl,
      upstreamAuthority: { certificate: args.upstreamCa.certificate, privateKey: pulumi.secret(args.upstreamCa.privateKey), bundle: args.upstreamCa.bundle },
      jwtSvidTtl: meshJwtSvidTtl(model.zones, args.jwtSvidTtl),
    },
    onK8s,
  );
  const issuerArgs = { trustDomain: td, csiDriver: issuer.csiDriver, socketPath: issuer.agentSocketPath };
  const trustedBy = trustIssuer(ctx, issuer, issuerUrl);

  let federation: WorkloadIdentityFederation | undefined;
  let store: AuditLogStore | undefined;
  let cloudParts: CloudZoneParts | undefined;
  let target: AuditLogStoreTarget;
  let collectorPrincipal: pulumi.Output<string> | undefined;

  if (zone.cloud !== "onprem") {
    federation = new WorkloadIdentityFederation(
      `${n}-federation`,
      {
        zone,
        trustDomain: td,
        issuerUrl,
        // The engine signs in with its JWT-SVID to read bundles on AWS and Azure; on GCP it reads
        // through GKE Workload Identity (OPA has no STS token exchange), so it gets no identity here.
        workloads: [
          { key: collectorKey, spiffeId: collectorSpiffeId(td) },
          ...(zone.cloud === "gcp" ? [] : [{ key: engineKey, spiffeId: spiffeId(td, SYSTEM_NAMESPACE, policyEngineName(zone.id)) }]),
        ],
        tags,
      },
      { ...onCloud, dependsOn: [issuer] },
    );
    const collectorId = federation.identities[collectorKey];
    const storeName = `${n}-audit-log-store`;
    store = new AuditLogStore(storeName, { zone, retention: model.logRetention, lockRetention: args.lockRetention ?? false, writer: collectorId.grantee, tags }, onCloud);
    cloudParts = { zone, store, storeName, provider: cloud };
    target = storeTarget(zone, store, storeName, federation.audience);
    collectorPrincipal = collectorId.principal;
  } else {
    // On-prem: the collector writes to the store of `logStoreZone`, with an identity in that
    // cloud account (AWS role, Azure user-assigned identity, GCP service account) federated to
    // this zone's issuer: the exact collector SPIFFE ID, the cloud's audience.
    const host = ctx.cloudZones.get(infra.logStoreZone as string) as CloudZoneParts;
    const hostOpts = { parent, ...(host.provider ? { providers: [host.provider] } : {}) };
    // AWS: the platform's provider of this issuer in the store's account (one per account and URL).
    const awsTrust = host.zone.cloud === "aws" ? { existingOidcProviderArn: awsOidcProviderArn(host.zone, issuerUrl) } : {};
    const trustProvider = Object.entries(trustedBy).find(([hostZone]) => awsTrustHost(ctx, hostZone, host.zone))?.[1];
    const fed = new WorkloadIdentityFederation(
      `${n}-log-federation`,
      {
        zone: host.zone,
        trustDomain: td,
        issuerUrl,
        workloads: [{ key: collectorKey, spiffeId: collectorSpiffeId(td) }],
        ...(host.zone.cloud === "gcp" ? { poolId: defaultPoolId({ id: zone.id }) } : {}),
        ...awsTrust,
        tags: { ...tags, "ztmesh-source-zone": zone.id },
      },
      { ...hostOpts, dependsOn: trustProvider ? [issuer, trustProvider] : [issuer] },
    );
    const id = fed.identities[collectorKey];
    const [wDomain, wName] = collectorKey.split("/");
    grantAuditLogWriter(`${n}-log-writer`, host.store, host.storeName, host.zone, { key: collectorKey, grantee: id.grantee, awsRoleName: awsRoleName({ domain: wDomain, name: wName }) }, {
      parent,
      provider: host.provider,
      dependsOn: [fed, host.store],
    });
    target = storeTarget(host.zone, host.store, host.storeName, fed.audience);
    collectorPrincipal = id.principal;
  }

  const collector = new LogCollector(
    `${n}-log-collector`,
    { model, zone: zone.id, store: target, cloudPrincipal: collectorPrincipal, replicas: args.collectorReplicas, workloadApiCsiDriver: issuer.csiDriver },
    inSystem,
  );

  const engineId = federation?.identities[engineKey];
  const bundles = createBundleStore({ name: `${n}-bundle-store`, zone, reader: { principal: engineId?.principal, grantee: engineId?.grantee }, bundleServerUrl: infra.bundleServerUrl, tags, parent, provider: cloud });
  const externalBundles = Object.entries(args.domains ?? {})
    .filter(([, zones]) => zones.includes(zone.id))
    .map(([d]) => `ztmesh-domain-${d}`)
    .sort();
  const engine = new PolicyEngine(
    `${n}-policy-engine`,
    {
      model,
      zone: zone.id,
      bundleStore: bundles.engine,
      signing: { keyId: args.signing.keyId, publicKeyPem: args.signing.publicKeyPem, privateKeyPem: pulumi.secret(args.signing.privateKeyPem) },
      decisionLogs: { url: collector.decisionLogUrl, collector: { namespace: collector.namespace, podLabels: { "app.kubernetes.io/name": "ztmesh-log-collector" } } },
      issuer: issuerArgs,
      externalBundles,
      clusters: { [zone.id]: cluster },
    },
    { ...inSystem, providers: cloud ? [cluster, cloud] : [cluster], dependsOn: [namespace, collector] },
  );

  const gateway = new EnvoyGateway(
    `${n}-gateway`,
    { model, zone: zone.id, issuer: issuerArgs, replicas: args.gatewayReplicas, clusters: { [zone.id]: cluster } },
    { ...inSystem, dependsOn: [namespace, engine] },
  );

  // The zone's only way out to cloud token endpoints (object-store intents).
  const egress = new EgressGateway(
    `${n}-egress`,
    { model, zone: zone.id, issuer: issuerArgs, replicas: args.gatewayReplicas, clusters: { [zone.id]: cluster } },
    { ...inSystem, dependsOn: [namespace, engine] },
  );

  const contract = pulumi.output(gateway.address).apply(
    (address): ContractZone => ({ id: zone.id, cloud: zone.cloud, region: zone.region, issuerUrl, gatewayAddress: address ?? "", bundleStore: bundles.contract }),
  );
  return { namespace, issuer, trustedBy, federation, store, collector, engine, gateway, egress, contract, cloudParts };
}

/** Whether the provider hosted by `hostZone` lives in `zone`'s AWS account. */
function awsTrustHost(ctx: ZoneContext, hostZone: string, zone: Zone): boolean {
  const host = ctx.model.zones.find((z) => z.id === hostZone);
  return host?.cloud === "aws" && zone.cloud === "aws" && host.aws?.accountId === zone.aws?.accountId && (host.aws?.partition ?? "aws") === (zone.aws?.partition ?? "aws");
}

/**
 * Creates the IAM OIDC providers of this zone's issuer in the AWS accounts of the other zones
 * (`<mesh>-<zone>-trust-<host zone>-oidc`, in the host zone's cloud provider, after the issuer),
 * so that domains can federate this zone's workloads to object stores there and on-prem
 * collectors write logs there. Audience `sts.amazonaws.com`, as every ztmesh role requires. The
 * provider an on-prem zone's log federation used to create (`<mesh>-<zone>-log-federation-oidc`)
 * is aliased to its new name: same account, URL and cloud provider, so it is not replaced.
 */
function trustIssuer(ctx: ZoneContext, issuer: IdentityIssuer, issuerUrl: string): Record<string, aws.iam.OpenIdConnectProvider> {
  const { parent, zone, infra, args, tags } = ctx;
  const n = `${ctx.mesh}-${zone.id}`;
  const out: Record<string, aws.iam.OpenIdConnectProvider> = {};
  for (const t of ctx.trustedIssuers.filter((x) => x.sourceZone === zone.id)) {
    const host = ctx.model.zones.find((z) => z.id === t.hostZone)!;
    const provider = args.zones[t.hostZone]?.cloudProvider;
    const legacy = zone.cloud === "onprem" && infra.logStoreZone === t.hostZone;
    out[t.hostZone] = new aws.iam.OpenIdConnectProvider(
      `${n}-trust-${t.hostZone}-oidc`,
      { url: issuerUrl, clientIdLists: [AWS_DEFAULT_AUDIENCE], thumbprintLists: [], tags: cloudTags(host, tags, { "ztmesh-source-zone": zone.id }) },
      {
        parent,
        dependsOn: [issuer],
        ...(provider ? { provider } : {}),
        ...(legacy ? { aliases: [{ name: `${n}-log-federation-oidc`, parent: pulumi.createUrn(`${n}-log-federation`, WORKLOAD_IDENTITY_FEDERATION_TYPE, parent) }] } : {}),
      },
    );
  }
  return out;
}

/** The collector's view of a store. */
function storeTarget(zone: Zone, store: AuditLogStore, storeName: string, audience: string): AuditLogStoreTarget {
  switch (zone.cloud) {
    case "aws":
      return { cloud: "aws", bucket: store.storeName, region: zone.region };
    case "gcp":
      return { cloud: "gcp", bucket: store.storeName, audience };
    default:
      return { cloud: "azure", bucket: AZURE_CONTAINER, account: azureStoreNames(storeName, zone).account, tenantId: zone.azure?.tenantId, audience };
  }
}

