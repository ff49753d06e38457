/**
 * MeshDomain: one domain team's part of the mesh, deployed from its own stack so that it
 * changes its services and intents without touching the platform stack. Per zone where the
 * domain has services or data products:
 * - a MeshNamespace per namespace (restricted, deny-by-default NetworkPolicies, one
 *   ServiceAccount per workload annotated with its SPIFFE ID and cloud principal);
 * - a WorkloadIdentityFederation (cloud zones) for the domain's workloads that the compiled IAM
 *   documents grant something in that cloud, reusing the platform's trust (AWS: the platform's
 *   OIDC provider; GCP: a pool of its own, `ztmesh-<zone>-<domain>`);
 * - per zone of its workloads and per cloud account of another cloud whose object stores they
 *   use, a WorkloadIdentityFederation `<name>-<zone>-to-<store zone>-federation` in that account,
 *   trusting the workloads' zone issuer, with only that account's grants (see
 *   `crossCloudFederations` and README "Cross-cloud data");
 * - a DataProxy per data product;
 * - a ConfigMap `ztmesh-intents` (`ztmesh.io/role: intents`) with `intents.json` (see intents.ts);
 * - the domain's signed OPA bundle, uploaded to the zone's bundle store from the platform
 *   contract (`<prefix>/<zone>/ztmesh-domain-<domain>.tar.gz`); on-prem (`http` store) the archive
 *   is the `bundleArchives` output for the pipeline that publishes it.
 *
 * ```ts
 * const platform = new pulumi.StackReference("platform", { name: "acme/ztmesh-platform/prod" });
 * const contract = (await platform.getOutputDetails("contract")).value as MeshContract;
 * const peers = [(await consumerOrProducer.getOutputDetails("contract")).value as DomainContract];
 * const domain = new MeshDomain("risk", { platform: contract, domain: spec, peers, zones, signing });
 * export const contract = domain.contract; // { version: 1, domain: spec, admits: [...] }
 * export const pendingIntents = domain.pendingIntents;
 * ```
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { toYaml } from "../compile/envoy";
import { planWorkloadProxies } from "../plan/zone";
import { compileIam } from "../compile/iam";
import { PROXY_KIND_LABEL, workloadSelector } from "../compile/kubernetes/labels";
import { WORKLOAD_PROXY_CONFIG_KEY, workloadProxyConfigMapName } from "../compile/kubernetes/workload-proxy";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../compile/kubernetes/labels";
import { bundleFiles, compileOpaBundles } from "../compile/opa";
import { withSignature } from "../compile/opa/signing";
import { tarGz } from "../compile/opa/tarball";
import { K8S, ROLES } from "../conventions";
import { DataProxy } from "../data-proxy";
import { WorkloadIdentityFederation, defaultPoolId, federationFor, type WorkloadIdentityFederationArgs } from "../identity";
import type { MeshModel, Zone } from "../model/model";
import { MeshNamespace, namespaceWorkloads, type CloudIdentityRef } from "../namespace";
import { bundleObjectPath, uploadBundle, type BundleStoreArgs } from "../policy-engine/publish";
import { INTENTS_FILE } from "./intents";
import { admittedDomains, pendingIntents, pendingMessages, unfederatedIntents, unfederatedMessages, type PendingIntent, type UnfederatedIntent } from "./peers";
import { accountKey, awsOidcProviderArn, crossCloudFederations, crossCloudPoolId, type CrossCloudFederation } from "./cross-cloud";
import type { ContractBundleStore, ContractZone, DomainContract, IntentsDocument, MeshDomainArgs } from "./types";
import { checkMeshDomain, domainZones } from "./validate";

/** Type token of {@link MeshDomain}. */
export const MESH_DOMAIN_TYPE = "ztmesh:mesh:MeshDomain";
/** Name of the intents ConfigMap in each of the domain's zones. */
export const INTENTS_CONFIGMAP = "ztmesh-intents";

/** The publication target of a contract bundle store. */
function publishStore(s: ContractBundleStore): BundleStoreArgs {
  switch (s.kind) {
    case "s3":
      return { kind: "s3", bucket: s.bucket, region: s.region, roleArn: "", prefix: s.prefix };
    case "gcs":
      return { kind: "gcs", bucket: s.bucket, prefix: s.prefix };
    case "azure-blob":
      return { kind: "azure-blob", storageAccount: s.storageAccount, container: s.container, resourceGroupName: s.resourceGroupName, prefix: s.prefix };
    default:
      return { kind: "http", url: s.url, prefix: s.prefix };
  }
}

/** Whether a store in zone `store` honours the grants of an identity of zone `home` (same cloud). */
function honours(home: Zone, store: Zone): boolean {
  if (home.cloud === "aws") return accountKey(home) === accountKey(store);
  if (home.cloud === "azure") return home.azure?.tenantId === store.azure?.tenantId;
  return true;
}

export class MeshDomain extends pulumi.ComponentResource {
  /** The validated model (the mesh, this domain and the others given). */
  readonly model: MeshModel;
  /** The zones where the domain publishes its bundle (pass them to the platform's `domains`). */
  readonly bundleZones: string[];
  /** The resolved intents (`intents.json`). */
  readonly intents: IntentsDocument;
  /** Signed bundle archives (base64 `.tar.gz`) by zone. */
  readonly bundleArchives: Record<string, pulumi.Output<string>>;
  /** The bundles' object paths by zone. */
  readonly bundlePaths: Record<string, string>;
  /** Per zone, the federated cloud principal of each workload key that has one. */
  readonly principals: Record<string, Record<string, pulumi.Output<string>>>;
  /** The domain's contract output, version 1: export it as `contract`. */
  readonly contract: DomainContract;
  /**
   * Intents this domain declared towards peers that do not admit it yet (their stacks do not
   * reference this one): allowed on this side, still refused by the producer. Each is also a
   * warning in the preview and update. Empty once every producer has admitted the domain.
   */
  readonly pendingIntents: PendingIntent[];
  /**
   * Every cloud identity of each of the domain's workloads, by workload key: its zone's (home)
   * and those in the accounts of object stores it uses from another cloud. Also rendered as
   * ServiceAccount annotations (see MeshNamespace).
   */
  readonly cloudIdentities: Record<string, CloudIdentityRef[]>;
  /** The federations created in other clouds' accounts for this domain's cross-cloud consumers (plain plan). */
  readonly crossCloudFederations: CrossCloudFederation[];
  /**
   * Data intents of this domain on object stores that the store still refuses although the data
   * proxy admits them: a consumer in the same cloud as the store but another AWS account or
   * Azure tenant (cross-cloud and on-prem consumers are federated in the store's account).
   * Each is also a warning. See components/mesh/README.md, "Cross-cloud data".
   */
  readonly unfederatedIntents: UnfederatedIntent[];

  /** @throws {ValidationError} before anything is created, naming each bad argument. */
  constructor(name: string, args: MeshDomainArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const { model, intents } = checkMeshDomain(name, args);
    super(MESH_DOMAIN_TYPE, name, {}, opts);
    this.model = model;
    const domain = args.domain.name;
    this.bundleZones = domainZones(model, domain);
    this.intents = intents.doc;
    const peers = args.peers ?? [];
    this.contract = { version: 1, domain: args.domain, admits: admittedDomains(domain, args.others ?? [], peers) };
    this.pendingIntents = pendingIntents(model, domain, peers);
    this.unfederatedIntents = unfederatedIntents(model, domain);
    for (const message of [...pendingMessages(domain, this.pendingIntents), ...unfederatedMessages(this.unfederatedIntents)]) void pulumi.log.warn(message, this);
    this.bundleArchives = {};
    this.bundlePaths = {};
    this.principals = {};
    this.cloudIdentities = {};
    const iam = compileIam(model);
    const zoneOf = (id: string): Zone => model.zones.find((z) => z.id === id)!;
    const issuerOf = (id: string): string => (args.platform.zones.find((z) => z.id === id) as ContractZone).issuerUrl;
    const providerOf = (id: string): pulumi.ProviderResource | undefined => args.zones[id]?.cloudProvider ?? args.storeZones?.[id]?.cloudProvider;
    const tags = { ...(args.tags ?? {}), "ztmesh-domain": domain };
    const addIdentity = (key: string, ref: CloudIdentityRef): void => {
      this.cloudIdentities[key] = [...(this.cloudIdentities[key] ?? []), ref];
    };
    // Entra ID rejects concurrent federated credential writes: chain the Azure federations.
    let azureChain: pulumi.Resource | undefined;
    const federate = (fedName: string, fedArgs: WorkloadIdentityFederationArgs, zoneId: string): WorkloadIdentityFederation => {
      const provider = providerOf(zoneId);
      const chained = fedArgs.zone.cloud === "azure" && azureChain ? { dependsOn: [azureChain] } : {};
      const fed = new WorkloadIdentityFederation(fedName, fedArgs, { parent: this, ...(provider ? { providers: [provider] } : {}), ...chained });
      if (fedArgs.zone.cloud === "azure") azureChain = fed;
      return fed;
    };

    // Home: cloud identities for the domain's workloads in each cloud zone that have grants in its cloud.
    for (const zoneId of this.bundleZones) {
      const zone = zoneOf(zoneId);
      const principals: Record<string, pulumi.Output<string>> = {};
      if (zone.cloud !== "onprem") {
        const cloud = zone.cloud;
        const docs = iam[cloud];
        const workloads = [...model.services.values()]
          .filter((s) => s.domain === domain && s.zone === zoneId && docs[s.key] !== undefined)
          .map((s) => ({ key: s.key, spiffeId: s.spiffeId }));
        if (workloads.length > 0) {
          const issuerUrl = issuerOf(zoneId);
          const aws = cloud === "aws" ? { existingOidcProviderArn: awsOidcProviderArn(zone, issuerUrl) } : {};
          const gcp = cloud === "gcp" ? { poolId: defaultPoolId({ id: `${zoneId}-${domain}` }) } : {};
          const fed = federate(`${name}-${zoneId}-federation`, { zone, trustDomain: model.trustDomain, issuerUrl, workloads, documents: iam, tags, ...aws, ...gcp }, zoneId);
          // The zones of this cloud whose stores the identity serves: its own and those its grants name.
          // (Not those of another AWS account or Azure tenant: see `unfederatedIntents`.)
          const sameCloud = model.zones.filter((z) => z.cloud === cloud && honours(zone, z)).map((z) => ({ id: z.id, docs: federationFor(model, z.id, iam).documents[cloud] }));
          for (const w of workloads) {
            principals[w.key] = fed.identities[w.key].principal;
            const zonesOf = sameCloud.filter((z) => z.id === zoneId || z.docs[w.key] !== undefined).map((z) => z.id);
            addIdentity(w.key, { zones: zonesOf, cloud, principal: fed.identities[w.key].principal, audience: fed.audience, ...(cloud === "azure" ? { tenantId: zone.azure?.tenantId } : {}) });
          }
        }
      }
      this.principals[zoneId] = principals;
    }

    // Cross-cloud: an identity in each store's account, federated to the consumers' zone issuer.
    this.crossCloudFederations = crossCloudFederations(model, domain, iam);
    for (const plan of this.crossCloudFederations) {
      const target = zoneOf(plan.targetZone);
      const issuerUrl = issuerOf(plan.sourceZone);
      const aws = plan.cloud === "aws" ? { existingOidcProviderArn: awsOidcProviderArn(target, issuerUrl) } : {};
      const gcp = plan.cloud === "gcp" ? { poolId: crossCloudPoolId(plan.sourceZone, domain) } : {};
      const fed = federate(
        `${name}-${plan.sourceZone}-to-${plan.targetZone}-federation`,
        { zone: target, trustDomain: model.trustDomain, issuerUrl, workloads: plan.workloads, documents: plan.documents, tags: { ...tags, "ztmesh-source-zone": plan.sourceZone }, ...aws, ...gcp },
        plan.targetZone,
      );
      for (const w of plan.workloads) {
        addIdentity(w.key, { zones: plan.targetZones, cloud: plan.cloud, principal: fed.identities[w.key].principal, audience: fed.audience, ...(plan.cloud === "azure" ? { tenantId: target.azure?.tenantId } : {}) });
      }
    }

    for (const zoneId of this.bundleZones) {
      const contractZone = args.platform.zones.find((z) => z.id === zoneId) as ContractZone;
      const { cluster, cloudProvider } = args.zones[zoneId];
      const n = `${name}-${zoneId}`;
      const onK8s = { parent: this, providers: [cluster] };
      const principals = this.principals[zoneId];

      // Namespaces of the domain's workloads in this zone.
      const namespaces = new Set<string>();
      for (const s of model.services.values()) if (s.domain === domain && s.zone === zoneId) namespaces.add(s.namespace);
      for (const p of model.dataProducts.values()) if (p.domain === domain && p.zone === zoneId) namespaces.add(p.namespace);
      const created = new Map<string, MeshNamespace>();
      for (const ns of [...namespaces].sort()) {
        const here = new Set(namespaceWorkloads(model, zoneId, ns).map((w) => w.key));
        const pick = <T>(all: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(all).filter(([k]) => here.has(k)));
        created.set(ns, new MeshNamespace(`${n}-${ns}`, { model, zone: zoneId, namespace: ns, cloudPrincipals: pick(principals), cloudIdentities: pick(this.cloudIdentities) }, onK8s));
      }

      for (const p of model.dataProducts.values()) {
        if (p.domain !== domain || p.zone !== zoneId) continue;
        new DataProxy(
          `${n}-${p.name}-proxy`,
          { model, product: p.key, issuer: { trustDomain: model.trustDomain }, replicas: args.proxyReplicas, clusters: { [zoneId]: cluster } },
          { ...onK8s, dependsOn: [created.get(p.namespace)!] },
        );
      }

      // Each service's workload proxy bootstrap, for the sidecar its pod runs (see
      // compile/kubernetes/workload-proxy.ts: `workloadProxyPod` / `withWorkloadProxy`).
      for (const { service: svc, bootstrap } of planWorkloadProxies(model, zoneId, domain)) {
        new k8s.core.v1.ConfigMap(
          `${n}-${svc.name}-proxy`,
          {
            metadata: {
              name: workloadProxyConfigMapName(svc),
              namespace: created.get(svc.namespace)!.namespaceName,
              labels: { [K8S.role]: ROLES.envoyConfig, [K8S.zone]: zoneId, [PROXY_KIND_LABEL]: "workload", ...workloadSelector(svc).matchLabels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
              annotations: { [K8S.artifact]: `envoy/${zoneId}/${svc.domain}-${svc.name}-proxy.yaml` },
            },
            data: { [WORKLOAD_PROXY_CONFIG_KEY]: toYaml(bootstrap) },
          },
          { parent: this, provider: cluster, dependsOn: [created.get(svc.namespace)!] },
        );
      }

      const home = created.has(domain) ? domain : [...created.keys()][0];
      new k8s.core.v1.ConfigMap(
        `${n}-intents`,
        {
          metadata: {
            name: INTENTS_CONFIGMAP,
            namespace: created.get(home)!.namespaceName,
            labels: { [K8S.role]: ROLES.intents, [K8S.zone]: zoneId, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, "ztmesh.io/domain": domain },
          },
          data: { [INTENTS_FILE]: intents.text },
        },
        { parent: this, provider: cluster },
      );

      // The domain's bundle for this zone, signed with the platform's key.
      const bundle = compileOpaBundles(model, zoneId).domains[domain];
      const objectPath = bundleObjectPath(contractZone.bundleStore.prefix, zoneId, bundle.name);
      const files = bundleFiles(bundle);
      const archive = pulumi.unsecret(
        pulumi.output(args.signing.privateKeyPem).apply((key) => tarGz(withSignature(files, key, args.signing.keyId)).toString("base64")),
      );
      this.bundlePaths[zoneId] = objectPath;
      this.bundleArchives[zoneId] = archive;
      uploadBundle({ name: `${n}-bundle`, store: publishStore(contractZone.bundleStore), zone: zoneId, objectPath, archive, parent: this, provider: cloudProvider });
    }

    // The contract itself (the whole domain declaration) is the stack's output to export, not
    // repeated in the component's state: here, only whom it admits.
    this.registerOutputs({
      bundleZones: this.bundleZones,
      bundlePaths: this.bundlePaths,
      admits: this.contract.admits,
      pendingIntents: this.pendingIntents,
      unfederatedIntents: this.unfederatedIntents,
      crossCloudFederations: this.crossCloudFederations.map((f) => ({ sourceZone: f.sourceZone, targetZones: f.targetZones, workloads: f.workloads.map((w) => w.key), intents: f.intents })),
    });
  }
}
