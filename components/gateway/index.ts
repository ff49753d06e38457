/**
 * EnvoyGateway: the zone's Envoy gateway (east-west and ingress) in `ztmesh-system`: a TLS
 * passthrough by SNI to the mesh port of in-cluster hosts, where the destination's own proxy
 * authenticates and authorizes (see compile/envoy/gateway.ts), a LoadBalancer Service, a
 * PodDisruptionBudget, zone spread and the gateway's NetworkPolicies.
 *
 * ```ts
 * const gw = new EnvoyGateway("aws-eu-gateway", {
 *   model, zone: "aws-eu", issuer: { trustDomain: model.trustDomain },
 * }, { provider: awsEuCluster });
 * ```
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ArgChecker, show } from "../common/args";
import { compileGateway, toYaml } from "../compile/envoy";
import { gatewayServiceAccount, gatewaySpiffeId } from "../compile/envoy/names";
import { GATEWAY_APP, GATEWAY_PORT, SYSTEM_NAMESPACE, compileSystemNetworkPolicies } from "../compile/kubernetes";
import { ROLES } from "../conventions";
import {
  type ContainerResources,
  type IssuerArgs,
  appLabels,
  checkImage,
  checkIssuer,
  checkResources,
  findZone,
  selectorLabels,
  spireSocketPath,
  zoneCluster,
} from "../k8s";
import type { MeshModel } from "../model/model";
import type { Cloud } from "../model/types";
import { gatewayDeployment, gatewayIdentityAndConfig } from "./deployment";

export * from "./workload";
export * from "./egress";

/** Type token of {@link EnvoyGateway}. */
export const ENVOY_GATEWAY_TYPE = "ztmesh:gateway:EnvoyGateway";
/** Names of the system NetworkPolicies the gateway applies (from `compileSystemNetworkPolicies`). */
export const GATEWAY_NETWORK_POLICIES: readonly string[] = ["allow-ingress-gateway", "allow-egress-gateway"];
/** Re-exported from components/k8s (where it now lives), for compatibility. */
export { CONFIG_HASH_ANNOTATION } from "../k8s";

/** Service annotations that make a LoadBalancer internal (private address), per cloud. */
export const INTERNAL_LB_ANNOTATIONS: Record<Cloud, Record<string, string>> = {
  aws: { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal", "service.beta.kubernetes.io/aws-load-balancer-internal": "true" },
  azure: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" },
  gcp: { "networking.gke.io/load-balancer-type": "Internal" },
  onprem: {},
};

export interface EnvoyGatewayArgs {
  /** The mesh model (from `buildMesh`). */
  model: MeshModel;
  /** Id of the zone this gateway serves; must be a zone of the model. */
  zone: string;
  /** The zone's SPIRE issuer; required (the gateway's certificates come from it over SDS). */
  issuer: IssuerArgs;
  /**
   * Gateway replicas; at least 2 so a node drain never takes the zone's entry point down.
   * @default 2
   */
  replicas?: number;
  /**
   * Give the LoadBalancer a private address only (cloud-internal LB annotations for the zone's
   * cloud; on-prem adds none). East-west traffic between zones must then be routed privately.
   * @default false
   */
  internal?: boolean;
  /**
   * Client CIDRs the cloud load balancer admits (`spec.loadBalancerSourceRanges`).
   * @default [] (no restriction at the LB; mTLS, ext_authz and RBAC still apply)
   */
  loadBalancerSourceRanges?: string[];
  /** Extra Service annotations (e.g. a MetalLB address pool on-prem). @default {} */
  serviceAnnotations?: Record<string, string>;
  /**
   * Envoy image, pinned to a version or digest.
   * @default "envoyproxy/envoy:v1.37.5"
   */
  image?: string;
  /**
   * Envoy container requests and limits.
   * @default { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "512Mi" }
   */
  resources?: ContainerResources;
  /**
   * Apply the gateway's NetworkPolicies (`allow-ingress-gateway`, `allow-egress-gateway` from
   * `compileSystemNetworkPolicies`). The namespace baseline (`default-deny`, `allow-dns`) of
   * `ztmesh-system` is owned by the PolicyEngine component.
   * @default true
   */
  networkPolicies?: boolean;
  /**
   * Kubernetes providers by zone id; the gateway uses `clusters[zone]`. When omitted, a
   * `k8s.Provider` given as `opts.provider` (or in `opts.providers`) is used.
   * @default {}
   */
  clusters?: Readonly<Record<string, k8s.Provider>>;
}

export class EnvoyGateway extends pulumi.ComponentResource {
  /** The gateway's SPIFFE ID (`spiffe://<td>/ns/ztmesh-system/sa/<zone>-gateway`). */
  readonly spiffeId: string;
  /** Its Kubernetes ServiceAccount name. */
  readonly serviceAccountName: string;
  /** The Envoy bootstrap YAML deployed. */
  readonly envoyYaml: string;
  /** The LoadBalancer Service. */
  readonly service: k8s.core.v1.Service;
  /** The Deployment. */
  readonly deployment: k8s.apps.v1.Deployment;
  /** The load balancer's address (IP or host name) once assigned. */
  readonly address: pulumi.Output<string | undefined>;

  /** @throws {ValidationError} before anything is created, naming each bad argument. */
  constructor(name: string, args: EnvoyGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const check = new ArgChecker("EnvoyGateway", name);
    const zone = findZone(args.model, args.zone);
    check.check(zone !== undefined, "zone", `zone ${show(args.zone)} is not in the mesh (zones: ${args.model.zones.map((z) => z.id).join(", ")})`);
    const replicas = args.replicas ?? 2;
    check.check(Number.isInteger(replicas) && replicas >= 2, "replicas", `must be an integer >= 2, got ${show(args.replicas)}`, "run at least 2 gateways per zone");
    checkIssuer(check, args.model, args.issuer);
    checkImage(check, args.image);
    checkResources(check, args.resources);
    for (const [i, cidr] of (args.loadBalancerSourceRanges ?? []).entries()) {
      check.check(/^[0-9a-fA-F:.]+\/[0-9]{1,3}$/.test(cidr), `loadBalancerSourceRanges[${i}]`, `is not a CIDR: ${show(cidr)}`);
    }
    const cluster = zoneCluster(check, args.zone, args.clusters, opts);
    check.done();
    super(ENVOY_GATEWAY_TYPE, name, {}, opts);

    const zoneId = args.zone;
    const ns = SYSTEM_NAMESPACE;
    const resourceName = gatewayServiceAccount(zoneId);
    const childOpts = { parent: this, provider: cluster };
    this.spiffeId = gatewaySpiffeId(args.model.trustDomain, zoneId);
    this.serviceAccountName = resourceName;

    const labels = appLabels({ app: GATEWAY_APP, instance: resourceName, component: "gateway", role: ROLES.gateway, zone: zoneId });
    const selector = selectorLabels(labels);

    this.envoyYaml = toYaml(compileGateway(args.model, zoneId, { spireSocketPath: spireSocketPath(args.issuer) }));
    const config = gatewayIdentityAndConfig(name, { resourceName, labels, spiffeId: this.spiffeId, envoyYaml: this.envoyYaml, artifact: `envoy/${zoneId}-gateway.yaml` }, childOpts);

    this.deployment = gatewayDeployment(name, {
      resourceName,
      labels,
      selector,
      replicas,
      envoyYaml: this.envoyYaml,
      configMap: config,
      failureZones: zone!.failureZones,
      // No issuer: the gateway passes TLS through and holds no SVID, so it gets no SPIRE socket.
      image: args.image,
      resources: args.resources,
      listenerPort: GATEWAY_PORT,
    }, childOpts);

    const annotations = { ...(args.internal ? INTERNAL_LB_ANNOTATIONS[zone!.cloud] : {}), ...(args.serviceAnnotations ?? {}) };
    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: resourceName, namespace: ns, labels, annotations },
        spec: {
          type: "LoadBalancer",
          externalTrafficPolicy: "Local",
          selector,
          ports: [{ name: "mtls", port: GATEWAY_PORT, targetPort: GATEWAY_PORT, protocol: "TCP" }],
          ...(args.loadBalancerSourceRanges?.length ? { loadBalancerSourceRanges: args.loadBalancerSourceRanges } : {}),
        },
      },
      childOpts,
    );
    this.address = this.service.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.ip ?? s?.loadBalancer?.ingress?.[0]?.hostname);

    if (args.networkPolicies ?? true) {
      for (const policy of compileSystemNetworkPolicies(args.model, zoneId)) {
        if (!GATEWAY_NETWORK_POLICIES.includes(policy.metadata.name)) continue;
        new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, policy, childOpts);
      }
    }

    this.registerOutputs({ spiffeId: this.spiffeId, serviceAccountName: this.serviceAccountName, address: this.address });
  }
}
