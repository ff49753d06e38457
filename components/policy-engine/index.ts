/**
 * PolicyEngine: a zone's OPA (Envoy ext_authz plugin) in `ztmesh-system`, highly available
 * (>= 2 replicas, PodDisruptionBudget, spread over failure zones), ready only once its signed
 * bundles are active (`/health?bundles`), plus the publication of those bundles (compiled,
 * signed, packed, uploaded to the zone's object store).
 *
 * ```ts
 * const engine = new PolicyEngine("aws-eu-policy-engine", {
 *   model, zone: "aws-eu",
 *   bundleStore: { kind: "s3", bucket: bundles.bucket, roleArn: fed.identities[engineKey].principal },
 *   signing: { keyId: "ztmesh-2026", publicKeyPem, privateKeyPem: config.requireSecret("bundleSigningKey") },
 *   decisionLogs: { url: "http://aws-eu-log-collector.ztmesh-system.svc.cluster.local:8686" },
 *   issuer: { trustDomain: model.trustDomain },
 * }, { provider: awsEuCluster, providers: { aws: awsEu } });
 * ```
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ArgChecker, show } from "../common/args";
import { compileAuthzFront } from "../compile/envoy/authz-front";
import { POLICY_ENGINE_LOCAL_PORT, policyEngineHost } from "../compile/envoy/names";
import { ENVOY_CONFIG_KEY, ENVOY_IMAGE, ENVOY_RESOURCES, ENVOY_UID, envoyContainer } from "../gateway/workload";
import {
  APP_NAME_LABEL,
  POLICY_ENGINE_APP,
  POLICY_ENGINE_GRPC_PORT,
  SYSTEM_NAMESPACE,
  compileSystemNetworkPolicies,
  namespaceSelector,
  networkPolicy,
  tcpPorts,
} from "../compile/kubernetes";
import { bundleFiles, compileOpaBundles } from "../compile/opa";
import { withSignature } from "../compile/opa/signing";
import { tarGz } from "../compile/opa/tarball";
import { K8S, ROLES } from "../conventions";
import {
  type ContainerResources,
  type IssuerArgs,
  SPIFFE_HELPER_CONFIG_KEY,
  appLabels,
  checkImage,
  checkIssuer,
  checkResources,
  clusterIpService,
  emptyDir,
  findZone,
  resources,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  selectorLabels,
  spiffeHelperSidecar,
  spireSocketVolume,
  toJson,
  spireSocketPath,
  toYaml,
  zoneCluster,
  redundantDeployment,
  configHash,
} from "../k8s";
import { AWS_DEFAULT_AUDIENCE } from "../identity/aws";
import { AZURE_AUDIENCE } from "../identity/azure";
import { GUID } from "../model/validate-zones";
import type { MeshModel } from "../model/model";
import { spiffeId } from "../model/spiffe";
import { type ResolvedBundleStore, opaConfig } from "./config";
import { type BundleStoreArgs, bundleObjectPath, uploadBundle } from "./publish";

export * from "./config";
export * from "./publish";

/** Type token of {@link PolicyEngine}. */
export const POLICY_ENGINE_TYPE = "ztmesh:policy-engine:PolicyEngine";
/** OPA's diagnostic (health) port. */
export const OPA_DIAGNOSTIC_PORT = 8282;
/** Readiness path: ready only once every configured bundle is activated. */
export const OPA_READY_PATH = "/health?bundles";
// The pinned spiffe-helper image (writes the engine's JWT-SVID for AWS web identity).
export { SPIFFE_HELPER_IMAGE } from "../k8s";
/** System NetworkPolicies the engine applies (from `compileSystemNetworkPolicies`). */
export const ENGINE_NETWORK_POLICIES: readonly string[] = ["allow-ingress-policy-engine", "allow-egress-policy-engine"];
/** The namespace baseline policies of `ztmesh-system` (owned by the engine, see `namespaceBaseline`). */
export const BASELINE_NETWORK_POLICIES: readonly string[] = ["default-deny", "allow-dns"];

/** The engine's Kubernetes name (Deployment, Service, ServiceAccount): `<zone>-policy-engine`. */
export function policyEngineName(zone: string): string {
  return `${zone}-policy-engine`;
}

export interface PolicyEngineArgs {
  /** The mesh model (from `buildMesh`). */
  model: MeshModel;
  /** Id of the zone this engine decides for; must be a zone of the model. */
  zone: string;
  /**
   * OPA replicas; at least 2.
   * @default the model's `policyEngine.replicas` (3)
   */
  replicas?: number;
  /** Where the engine pulls its signed bundles from (and where they are published). */
  bundleStore: BundleStoreArgs;
  /** Bundle signing. The private key never leaves the program: only signatures are published. */
  signing: {
    /** Key id (OPA `keys.<keyId>`, `bundles.*.signing.keyid`). */
    keyId: string;
    /** RSA public key (PEM) the engines verify with. */
    publicKeyPem: pulumi.Input<string>;
    /** RSA private key (PEM), a Pulumi secret (e.g. `config.requireSecret(...)`). */
    privateKeyPem: pulumi.Input<string>;
  };
  /** The zone's decision log collector (OPA only sends decision logs over HTTP). */
  decisionLogs: {
    /** Base URL of the collector, `http://` or `https://`. */
    url: string;
    /** Path OPA posts to. @default "/logs" */
    path?: string;
    /**
     * The collector's pods, for the egress NetworkPolicy when its port is not 443.
     * @default none (egress to the collector's port, any destination)
     */
    collector?: { namespace: string; podLabels: Record<string, string> };
  };
  /**
   * The zone's SPIRE issuer. Required with an `s3` bundle store, and with an `azure-blob` store
   * given a `tenantId`: a spiffe-helper sidecar writes the engine's JWT-SVID (audience
   * `sts.amazonaws.com` for AWS web identity, `api://AzureADTokenExchange` for Entra ID).
   * @default none
   */
  issuer?: IssuerArgs;
  /**
   * OPA image, pinned.
   * @default `openpolicyagent/opa:<model.policyEngine.opaVersion>-envoy`
   */
  image?: string;
  /** spiffe-helper image, pinned. @default "ghcr.io/spiffe/spiffe-helper:0.10.0" */
  helperImage?: string;
  /**
   * Envoy image of the engine's mTLS front (with an `issuer`), pinned.
   * @default "envoyproxy/envoy:v1.37.5"
   */
  frontImage?: string;
  /**
   * OPA requests and limits.
   * @default { cpuRequest: "250m", memoryRequest: "256Mi", cpuLimit: "2", memoryLimit: "1Gi" }
   */
  resources?: ContainerResources;
  /** Apply the engine's NetworkPolicies (ingress only from gateways and data proxies; egress 443 and the collector). @default true */
  networkPolicies?: boolean;
  /** Apply `ztmesh-system`'s `default-deny` and `allow-dns` (one owner per zone: the engine). @default true */
  namespaceBaseline?: boolean;
  /** Kubernetes providers by zone id (else `opts.provider`). @default {} */
  clusters?: Readonly<Record<string, k8s.Provider>>;
  /**
   * Bundles published by others (domain stacks, see `MeshDomain`) that the engine also loads,
   * by bundle name (`ztmesh-domain-<domain>`), from `<prefix>/<zone>/<name>.tar.gz` in the same
   * store and signed with the same key. Nothing is uploaded for them. A bundle that is never
   * published keeps the engine unready (`/health?bundles`), so list only bundles that exist.
   * @default [] (only the bundles compiled from `model`)
   */
  externalBundles?: string[];
}

const STORE_CLOUD: Record<BundleStoreArgs["kind"], string | undefined> = { s3: "aws", gcs: "gcp", "azure-blob": "azure", http: undefined };
const OPA_RESOURCES: ContainerResources = { cpuRequest: "250m", memoryRequest: "256Mi", cpuLimit: "2", memoryLimit: "1Gi" };

export class PolicyEngine extends pulumi.ComponentResource {
  /** The engine's SPIFFE ID (its ServiceAccount as a mesh workload, federated to the cloud). */
  readonly spiffeId: string;
  /** ServiceAccount (and Deployment, Service) name. */
  readonly serviceAccountName: string;
  /** `host:port` Envoy's ext_authz cluster uses. */
  readonly address: string;
  /** The OPA config.yaml deployed. */
  readonly configYaml: pulumi.Output<string>;
  /** Signed bundle archives (base64 `.tar.gz`) by bundle name. */
  readonly bundleArchives: Record<string, pulumi.Output<string>>;
  /** The bundle objects' paths under the store, by bundle name. */
  readonly bundlePaths: Record<string, string>;
  readonly deployment: k8s.apps.v1.Deployment;

  /** @throws {ValidationError} before anything is created, naming each bad argument. */
  constructor(name: string, args: PolicyEngineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const check = new ArgChecker("PolicyEngine", name);
    const zone = findZone(args.model, args.zone);
    check.check(zone !== undefined, "zone", `zone ${show(args.zone)} is not in the mesh (zones: ${args.model.zones.map((z) => z.id).join(", ")})`);
    const replicas = args.replicas ?? args.model.policyEngine.replicas;
    check.check(Number.isInteger(replicas) && replicas >= 2, "replicas", `must be an integer >= 2, got ${show(replicas)}`, "run at least 2 engines per zone so one can fail");
    const store = args.bundleStore;
    check.check(store !== undefined && store.kind in STORE_CLOUD, "bundleStore", `must be one of s3, gcs, azure-blob, http; got ${show(store?.kind)}`);
    if (zone && store && store.kind in STORE_CLOUD) {
      const cloud = STORE_CLOUD[store.kind];
      check.check(
        cloud === undefined || cloud === zone.cloud,
        "bundleStore.kind",
        `"${store.kind}" is a ${cloud} store but zone "${zone.id}" is in ${zone.cloud}`,
        zone.cloud === "onprem" ? 'use kind: "http" (an HTTPS or S3-compatible bundle server)' : `use the ${zone.cloud} store`,
      );
      if (store.kind === "http") check.check(/^https:\/\/[^/]+/.test(store.url), "bundleStore.url", `must be an https URL, got ${show(store.url)}`);
      if (store.kind === "s3") check.check(args.issuer !== undefined, "issuer", "is required with an s3 bundle store (the engine's JWT-SVID is its AWS web identity token)");
      if (store.kind === "azure-blob" && store.tenantId !== undefined) {
        check.check(GUID.test(store.tenantId), "bundleStore.tenantId", `must be the Entra ID tenant's GUID, got ${show(store.tenantId)}`);
        check.check(store.clientId !== undefined, "bundleStore.clientId", "is required with tenantId (the user-assigned identity federated to the engine's SPIFFE ID)", "pass WorkloadIdentityFederation's identities[<engine key>].principal");
        check.check(args.issuer !== undefined, "issuer", "is required with an azure-blob store that has a tenantId (the engine's JWT-SVID is its Entra ID client assertion)");
      }
    }
    check.check(/^[A-Za-z0-9._-]{1,64}$/.test(args.signing?.keyId ?? ""), "signing.keyId", `must be 1-64 of [A-Za-z0-9._-], got ${show(args.signing?.keyId)}`);
    check.check(args.signing?.privateKeyPem !== undefined && args.signing?.publicKeyPem !== undefined, "signing", "needs publicKeyPem and privateKeyPem");
    const logsUrl = args.decisionLogs?.url;
    check.check(typeof logsUrl === "string" && /^https?:\/\/[^/]+/.test(logsUrl), "decisionLogs.url", `must be an http(s) URL of the zone's collector, got ${show(logsUrl)}`);
    if (args.issuer !== undefined) checkIssuer(check, args.model, args.issuer);
    checkImage(check, args.image);
    checkImage(check, args.helperImage, "helperImage");
    checkResources(check, args.resources);
    const compiledNames = new Set(["ztmesh-platform", ...args.model.domains.map((d) => `ztmesh-domain-${d.name}`)]);
    for (const [i, b] of (args.externalBundles ?? []).entries()) {
      check.check(/^[a-z0-9][a-z0-9-]{0,62}$/.test(b), `externalBundles[${i}]`, `must be a bundle name such as "ztmesh-domain-trading", got ${show(b)}`);
      check.check(!compiledNames.has(b), `externalBundles[${i}]`, `${show(b)} is compiled from the model and published by this engine`, "remove it from externalBundles");
    }
    const cluster = zoneCluster(check, args.zone, args.clusters, opts);
    check.done();
    super(POLICY_ENGINE_TYPE, name, {}, opts);

    const zoneId = args.zone;
    const ns = SYSTEM_NAMESPACE;
    const resourceName = policyEngineName(zoneId);
    const childOpts = { parent: this, provider: cluster };
    this.spiffeId = spiffeId(args.model.trustDomain, ns, resourceName);
    this.serviceAccountName = resourceName;
    this.address = `${policyEngineHost(zoneId)}:${POLICY_ENGINE_GRPC_PORT}`;
    const labels = appLabels({ app: POLICY_ENGINE_APP, instance: resourceName, component: "policy-engine", role: ROLES.policyEngine, zone: zoneId });
    const selector = selectorLabels(labels);

    // Bundles: compile, sign (in apply: the key is a secret input), pack, publish.
    const compiled = compileOpaBundles(args.model, zoneId);
    const bundles = [compiled.platform, ...Object.values(compiled.domains)];
    const prefix = store.prefix ?? "opa";
    this.bundlePaths = {};
    this.bundleArchives = {};
    for (const b of bundles) {
      const objectPath = bundleObjectPath(prefix, zoneId, b.name);
      const files = bundleFiles(b);
      const archive = pulumi.unsecret(
        pulumi.output(args.signing.privateKeyPem).apply((key) => tarGz(withSignature(files, key, args.signing.keyId)).toString("base64")),
      );
      this.bundlePaths[b.name] = objectPath;
      this.bundleArchives[b.name] = archive;
      uploadBundle({ name: `${name}-bundle-${b.name}`, store, zone: zoneId, objectPath, archive, parent: this });
    }
    for (const b of [...new Set(args.externalBundles ?? [])].sort()) this.bundlePaths[b] = bundleObjectPath(prefix, zoneId, b);

    // OPA config.
    const storeValues: pulumi.Output<ResolvedBundleStore> = (() => {
      switch (store.kind) {
        case "s3":
          return pulumi.output(store.bucket).apply((bucket): ResolvedBundleStore => ({ kind: "s3", bucket, region: store.region ?? zone!.region }));
        case "gcs":
          return pulumi.output(store.bucket).apply((bucket): ResolvedBundleStore => ({ kind: "gcs", bucket }));
        case "azure-blob":
          return pulumi
            .output(store.clientId)
            .apply((clientId): ResolvedBundleStore => ({ kind: "azure-blob", storageAccount: store.storageAccount, container: store.container, clientId, tenantId: store.tenantId }));
        case "http":
          return pulumi.output<ResolvedBundleStore>({ kind: "http", url: store.url, tokenPath: store.tokenPath });
      }
    })();
    this.configYaml = pulumi.all([storeValues, pulumi.output(args.signing.publicKeyPem)]).apply(([s, publicKeyPem]) =>
      toYaml(
        opaConfig({
          zone: zoneId,
          store: s,
          bundlePaths: this.bundlePaths,
          keyId: args.signing.keyId,
          publicKeyPem,
          decisionLogsUrl: args.decisionLogs.url,
          decisionLogsPath: args.decisionLogs.path ?? "/logs",
          grpcAddr: args.issuer ? `127.0.0.1:${POLICY_ENGINE_LOCAL_PORT}` : `:${POLICY_ENGINE_GRPC_PORT}`,
        }),
      ),
    );

    new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: resourceName, namespace: ns, labels, annotations: { "ztmesh.io/spiffe-id": this.spiffeId } }, automountServiceAccountToken: false },
      childOpts,
    );
    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: { name: `${resourceName}-config`, namespace: ns, labels: { ...labels, [K8S.role]: ROLES.opaConfig } }, data: { "config.yaml": this.configYaml } },
      childOpts,
    );

    // Pod: OPA, plus a spiffe-helper sidecar writing the cloud identity token (AWS web identity, Entra ID client assertion).
    const volumes: k8s.types.input.core.v1.Volume[] = [{ name: "opa-config", configMap: { name: config.metadata.name } }, emptyDir("tmp")];
    const opaMounts: k8s.types.input.core.v1.VolumeMount[] = [
      { name: "opa-config", mountPath: "/config", readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ];
    const env: k8s.types.input.core.v1.EnvVar[] = [];
    const sidecars: k8s.types.input.core.v1.Container[] = [];
    const audience = store.kind === "s3" ? AWS_DEFAULT_AUDIENCE : store.kind === "azure-blob" && store.tenantId !== undefined ? AZURE_AUDIENCE : undefined;
    if (audience !== undefined && args.issuer) {
      const helper = spiffeHelperSidecar({ image: args.helperImage, audience, socket: spireSocketVolume(args.issuer), configVolume: "helper-config" });
      const helperConfig = new k8s.core.v1.ConfigMap(
        `${name}-helper-config`,
        { metadata: { name: `${resourceName}-spiffe-helper`, namespace: ns, labels }, data: { [SPIFFE_HELPER_CONFIG_KEY]: toJson(helper.config) } },
        childOpts,
      );
      volumes.push(...helper.volumes, { name: "helper-config", configMap: { name: helperConfig.metadata.name } });
      opaMounts.push(helper.identityMount);
      if (store.kind === "s3") {
        env.push(
          { name: "AWS_ROLE_ARN", value: store.roleArn },
          { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: helper.tokenPath },
          { name: "AWS_REGION", value: store.region ?? zone!.region },
        );
      }
      sidecars.push(helper.container);
    }
    // The mTLS front on 9191 (decisions never cross the network in clear); OPA listens on loopback.
    if (args.issuer) {
      const frontYaml = toYaml(compileAuthzFront(args.model, zoneId, { spireSocketPath: spireSocketPath(args.issuer) }));
      const front = new k8s.core.v1.ConfigMap(
        `${name}-front-config`,
        {
          metadata: {
            name: `${resourceName}-front-envoy`,
            namespace: ns,
            labels: { ...labels, [K8S.role]: ROLES.envoyConfig },
            annotations: { [K8S.artifact]: `envoy/${zoneId}-policy-engine-front.yaml` },
          },
          data: { [ENVOY_CONFIG_KEY]: frontYaml },
        },
        childOpts,
      );
      const spire = spireSocketVolume(args.issuer);
      volumes.push({ name: "envoy-config", configMap: { name: front.metadata.name } });
      // The spiffe-helper may have mounted the SPIRE socket already (a pod refuses a volume name twice).
      if (!volumes.some((v) => v.name === spire.volume.name)) volumes.push(spire.volume);
      const envoy = envoyContainer({ image: args.frontImage ?? ENVOY_IMAGE, listenerPort: POLICY_ENGINE_GRPC_PORT, spireMount: spire.mount, resources: ENVOY_RESOURCES });
      sidecars.push({ ...envoy, name: "envoy-front", securityContext: { ...restrictedContainerSecurityContext(), runAsUser: ENVOY_UID } });
    }

    this.deployment = redundantDeployment(
      name,
      {
        metadata: { name: resourceName, namespace: ns, labels },
        selector,
        replicas,
        configHash: this.configYaml.apply(configHash),
        failureZones: zone!.failureZones,
        pod: {
          serviceAccountName: resourceName,
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurityContext(),
          containers: [
            {
              name: "opa",
              image: args.image ?? `openpolicyagent/opa:${args.model.policyEngine.opaVersion}-envoy`,
              args: ["run", "--server", "--addr=localhost:8181", `--diagnostic-addr=0.0.0.0:${OPA_DIAGNOSTIC_PORT}`, "--config-file=/config/config.yaml"],
              ports: [
                ...(args.issuer ? [] : [{ name: "grpc-authz", containerPort: POLICY_ENGINE_GRPC_PORT, protocol: "TCP" }]),
                { name: "diagnostics", containerPort: OPA_DIAGNOSTIC_PORT, protocol: "TCP" },
              ],
              env,
              readinessProbe: { httpGet: { path: OPA_READY_PATH, port: OPA_DIAGNOSTIC_PORT }, initialDelaySeconds: 3, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: "/health", port: OPA_DIAGNOSTIC_PORT }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 },
              resources: resources(args.resources ?? OPA_RESOURCES),
              securityContext: restrictedContainerSecurityContext(),
              volumeMounts: opaMounts,
            },
            ...sidecars,
          ],
          volumes,
        },
      },
      childOpts,
    );

    new k8s.core.v1.Service(
      `${name}-service`,
      clusterIpService({ name: resourceName, namespace: ns, labels }, selector, [
        { name: "grpc-authz", port: POLICY_ENGINE_GRPC_PORT, targetPort: POLICY_ENGINE_GRPC_PORT, appProtocol: "grpc" },
      ]),
      childOpts,
    );

    const wanted = [...((args.networkPolicies ?? true) ? ENGINE_NETWORK_POLICIES : []), ...((args.namespaceBaseline ?? true) ? BASELINE_NETWORK_POLICIES : [])];
    for (const policy of compileSystemNetworkPolicies(args.model, zoneId)) {
      if (wanted.includes(policy.metadata.name)) new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, policy, childOpts);
    }
    const logsPort = collectorPort(args.decisionLogs.url);
    if ((args.networkPolicies ?? true) && logsPort !== 443) {
      const c = args.decisionLogs.collector;
      const egress = networkPolicy("allow-egress-policy-engine-decision-logs", ns, zoneId, {
        podSelector: { matchLabels: { [APP_NAME_LABEL]: POLICY_ENGINE_APP } },
        policyTypes: ["Egress"],
        egress: [{ ...(c ? { to: [{ namespaceSelector: namespaceSelector(c.namespace), podSelector: { matchLabels: c.podLabels } }] } : {}), ports: tcpPorts([logsPort]) }],
      });
      new k8s.networking.v1.NetworkPolicy(`${name}-allow-egress-policy-engine-decision-logs`, egress, childOpts);
    }

    this.registerOutputs({
      spiffeId: this.spiffeId,
      serviceAccountName: this.serviceAccountName,
      address: this.address,
      configYaml: this.configYaml,
      bundlePaths: this.bundlePaths,
    });
  }
}

/** The TCP port of the collector URL (scheme default when absent). */
export function collectorPort(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
}
