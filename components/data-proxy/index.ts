/**
 * DataProxy: the L4 Envoy in front of one data product's store (mTLS with the proxy's own
 * SPIFFE ID, network ext_authz to the zone's OPA, RBAC compiled from the data intents, the
 * engine's protocol filter where Envoy has one), its ClusterIP Service, the product's manifest
 * ConfigMap, the NetworkPolicies that make it the only path to the store and, for database
 * stores in a cloud, the cloud firewall rule limiting the store to the proxy.
 *
 * ```ts
 * new DataProxy("trading-trades", {
 *   model, product: "trading/trades", issuer: { trustDomain: model.trustDomain },
 * }, { provider: awsEuCluster });
 * ```
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ArgChecker, show } from "../common/args";
import { CONTRIB_TYPE_URLS, compileDataProxy, dataProxyListenerPort, toYaml } from "../compile/envoy";
import { compileNetworkPolicies, egressPolicyName, ingressPolicyName, workloadLabels, workloadSelector } from "../compile/kubernetes";
import { K8S, ROLES } from "../conventions";
import {
  type ContainerResources,
  type IssuerArgs,
  appLabels,
  checkImage,
  checkIssuer,
  checkResources,
  clusterIpService,
  emptyDir,
  findZone,
  restrictedPodSecurityContext,
  spireSocketPath,
  spireSocketVolume,
  toJson,
  zoneCluster,
  redundantDeployment,
  configHash,
} from "../k8s";
import type { DataIntent, DataProduct, MeshModel } from "../model/model";
import { ENVOY_CONFIG_KEY, ENVOY_CONTRIB_IMAGE, ENVOY_IMAGE, ENVOY_RESOURCES, ENVOY_UID, envoyContainer } from "../gateway";
import { type StoreNetworkArgs, checkStoreNetwork, storeFirewall } from "./firewall";

export * from "./firewall";

/** Type token of {@link DataProxy}. */
export const DATA_PROXY_TYPE = "ztmesh:data-proxy:DataProxy";

/** The manifest a data product declares (`product.json`), as the policy pack reads it. */
export interface DataProductManifest {
  name: string;
  domain: string;
  owner: string;
  sensitivity: string;
  residency: string;
  zone: string;
  region: string;
  cloud: string;
  engine: string;
  schemaVersion: string;
  /** SPIFFE IDs of the declared consumers, or `*`; sorted. */
  consumers: string[];
  /** The access contract: every data intent granting access, with what it grants. */
  policyManifest: { intents: { id: string; consumer: string; access: string[] }[] };
}

/** The manifest of `product`, from the model's data intents. Pure. */
export function dataProductManifest(model: MeshModel, product: DataProduct): DataProductManifest {
  const zone = model.zones.find((z) => z.id === product.zone)!;
  const intents = model.intents.filter((i): i is DataIntent => i.kind === "data" && i.to === product.key);
  const consumerOf = (i: DataIntent): string => (i.source.kind === "any" ? "*" : i.source.spiffeId);
  return {
    name: product.name,
    domain: product.domain,
    owner: product.owner,
    sensitivity: product.sensitivity,
    residency: product.residency,
    zone: product.zone,
    region: zone.region,
    cloud: zone.cloud,
    engine: product.engine,
    schemaVersion: product.schemaVersion,
    consumers: [...new Set(intents.map(consumerOf))].sort(),
    policyManifest: { intents: intents.map((i) => ({ id: i.id, consumer: consumerOf(i), access: [...i.access].sort() })) },
  };
}

export interface DataProxyArgs {
  /** The mesh model (from `buildMesh`). */
  model: MeshModel;
  /** The data product's key, `<domain>/<name>`. */
  product: string;
  /** The zone's SPIRE issuer; required (the proxy's certificates come from it over SDS). */
  issuer: IssuerArgs;
  /** Proxy replicas; at least 2. @default 2 */
  replicas?: number;
  /**
   * Envoy image, pinned. Postgres and MySQL products need the contrib image (their protocol
   * filters are contrib extensions).
   * @default "envoyproxy/envoy:v1.37.5", or "envoyproxy/envoy-contrib:v1.37.5" for postgres/mysql
   */
  image?: string;
  /** Envoy requests and limits. @default { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "512Mi" } */
  resources?: ContainerResources;
  /** Store host override (e.g. an RDS endpoint when `location` is a logical name). @default the engine's endpoint for `location` */
  storeHost?: string;
  /** The store's CIDR: narrows the proxy's egress NetworkPolicy to it. @default none (port-only egress) */
  storeCidr?: string;
  /** Cloud firewall limiting a database store to the proxy (postgres/mysql in aws, azure, gcp). @default none */
  storeNetwork?: StoreNetworkArgs;
  /** Apply the proxy's NetworkPolicies (ingress from declared consumers, egress to store and OPA). @default true */
  networkPolicies?: boolean;
  /** Kubernetes providers by zone id; the proxy uses `clusters[product's zone]` (else `opts.provider`). @default {} */
  clusters?: Readonly<Record<string, k8s.Provider>>;
}

export class DataProxy extends pulumi.ComponentResource {
  /** The proxy's SPIFFE ID. */
  readonly spiffeId: string;
  /** In-cluster host consumers connect to (`<proxy>.<namespace>.svc.cluster.local`). */
  readonly host: string;
  /** Port consumers connect to. */
  readonly port: number;
  /** The Envoy bootstrap YAML deployed. */
  readonly envoyYaml: string;
  /** The product manifest published in `product.json`. */
  readonly manifest: DataProductManifest;

  /** @throws {ValidationError} before anything is created, naming each bad argument. */
  constructor(name: string, args: DataProxyArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const check = new ArgChecker("DataProxy", name);
    const product = args.model.dataProducts.get(args.product);
    check.check(product !== undefined, "product", `data product ${show(args.product)} is not in the mesh`, "use a `<domain>/<name>` key of model.dataProducts");
    const replicas = args.replicas ?? 2;
    check.check(Number.isInteger(replicas) && replicas >= 2, "replicas", `must be an integer >= 2, got ${show(args.replicas)}`);
    checkIssuer(check, args.model, args.issuer);
    checkImage(check, args.image);
    checkResources(check, args.resources);
    let cluster: k8s.Provider | undefined;
    const zone = product ? findZone(args.model, product.zone) : undefined;
    if (product && zone) {
      cluster = zoneCluster(check, product.zone, args.clusters, opts);
      if (args.storeNetwork) checkStoreNetwork(check, args.storeNetwork, product, zone.cloud);
    }
    check.done();
    super(DATA_PROXY_TYPE, name, {}, opts);

    const p = product!;
    const proxy = p.proxy;
    const ns = proxy.namespace;
    const childOpts = { parent: this, provider: cluster };
    this.spiffeId = proxy.spiffeId;
    this.port = dataProxyListenerPort(p);
    this.host = `${proxy.name}.${ns}.svc.cluster.local`;

    const bootstrap = compileDataProxy(args.model, p.key, { spireSocketPath: spireSocketPath(args.issuer), storeHost: args.storeHost });
    this.envoyYaml = toYaml(bootstrap);
    const contrib = CONTRIB_TYPE_URLS.some((u) => this.envoyYaml.includes(u));
    const labels = {
      ...appLabels({ app: "ztmesh-data-proxy", instance: `${p.domain}-${proxy.name}`, component: "data-proxy", role: ROLES.dataProxy, zone: p.zone }),
      ...workloadLabels(proxy),
    };
    const selector = workloadSelector(proxy).matchLabels!;

    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: {
          name: `${proxy.name}-envoy`,
          namespace: ns,
          labels: { ...labels, [K8S.role]: ROLES.envoyConfig },
          annotations: { [K8S.artifact]: `envoy/${p.domain}-${proxy.name}.yaml` },
        },
        data: { [ENVOY_CONFIG_KEY]: this.envoyYaml },
      },
      childOpts,
    );

    this.manifest = dataProductManifest(args.model, p);
    new k8s.core.v1.ConfigMap(
      `${name}-product`,
      {
        metadata: { name: `${p.name}-product`, namespace: ns, labels: { ...labels, [K8S.role]: ROLES.dataProduct } },
        data: { "product.json": toJson(this.manifest) },
      },
      childOpts,
    );

    const spire = spireSocketVolume(args.issuer);
    this.deploymentName = proxy.name;
    redundantDeployment(
      name,
      {
        metadata: { name: proxy.name, namespace: ns, labels },
        selector,
        replicas,
        configHash: configHash(this.envoyYaml),
        failureZones: zone!.failureZones,
        pod: {
          // The ServiceAccount is the proxy's workload identity, created by MeshNamespace.
          serviceAccountName: proxy.serviceAccount,
          automountServiceAccountToken: false,
          // The mesh port (15006) needs no privilege to bind.
          securityContext: restrictedPodSecurityContext(ENVOY_UID),
          containers: [
            envoyContainer({
              image: args.image ?? (contrib ? ENVOY_CONTRIB_IMAGE : ENVOY_IMAGE),
              listenerPort: this.port,
              spireMount: spire.mount,
              resources: args.resources ?? ENVOY_RESOURCES,
            }),
          ],
          volumes: [{ name: "envoy-config", configMap: { name: config.metadata.name } }, spire.volume, emptyDir("tmp")],
        },
      },
      childOpts,
    );

    new k8s.core.v1.Service(
      `${name}-service`,
      clusterIpService({ name: proxy.name, namespace: ns, labels }, selector, [{ name: "tcp-store", port: this.port, targetPort: this.port }]),
      childOpts,
    );

    if (args.networkPolicies ?? true) {
      const mine = new Set([ingressPolicyName(proxy), egressPolicyName(proxy)]);
      const options = args.storeCidr ? { storeCidrs: { [p.key]: args.storeCidr } } : {};
      for (const policy of compileNetworkPolicies(args.model, p.zone, options)) {
        if (policy.metadata.namespace !== ns || !mine.has(policy.metadata.name)) continue;
        new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, policy, childOpts);
      }
    }

    if (args.storeNetwork) storeFirewall(name, args.storeNetwork, p, this);

    this.registerOutputs({ spiffeId: this.spiffeId, host: this.host, port: this.port, manifest: this.manifest });
  }

  /** The Deployment's (and Service's) name. */
  readonly deploymentName: string;
}
