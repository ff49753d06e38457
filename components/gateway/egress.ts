/**
 * EgressGateway: the zone's only way out of the mesh, to the cloud token endpoints that
 * object-store intents need (see compile/envoy/egress.ts): mTLS from workload proxies, OPA per
 * caller and target, then the caller's own TLS stream forwarded unopened on 443. A ClusterIP
 * Service (no load balancer), a PodDisruptionBudget, zone spread, and NetworkPolicies admitting
 * mesh pods on the mesh port and letting it out on 443 only.
 *
 * ```ts
 * new EgressGateway("aws-eu-egress", { model, zone: "aws-eu", issuer: { trustDomain: model.trustDomain } }, { provider: awsEuCluster });
 * ```
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ArgChecker, show } from "../common/args";
import { toYaml } from "../compile/envoy";
import { compileEgressGateway } from "../compile/envoy/egress";
import { egressGatewayServiceAccount, egressGatewaySpiffeId } from "../compile/envoy/names";
import { EGRESS_GATEWAY_APP, MESH_PORT, SYSTEM_NAMESPACE, compileSystemNetworkPolicies } from "../compile/kubernetes";
import { ROLES } from "../conventions";
import { type ContainerResources, type IssuerArgs, appLabels, checkImage, checkIssuer, checkResources, findZone, selectorLabels, spireSocketPath, zoneCluster } from "../k8s";
import type { MeshModel } from "../model/model";
import { gatewayDeployment, gatewayIdentityAndConfig } from "./deployment";

/** Type token of {@link EgressGateway}. */
export const EGRESS_GATEWAY_TYPE = "ztmesh:gateway:EgressGateway";
/** Names of the system NetworkPolicies the egress gateway applies (from `compileSystemNetworkPolicies`). */
export const EGRESS_GATEWAY_NETWORK_POLICIES: readonly string[] = ["allow-ingress-egress-gateway", "allow-egress-egress-gateway"];

export interface EgressGatewayArgs {
  /** The mesh model (from `buildMesh`). */
  model: MeshModel;
  /** Id of the zone this gateway serves; must be a zone of the model. */
  zone: string;
  /** The zone's SPIRE issuer; required (the gateway's certificates come from it over SDS). */
  issuer: IssuerArgs;
  /**
   * Replicas; at least 2 so a node drain never cuts the zone's workloads off their token endpoints.
   * @default 2
   */
  replicas?: number;
  /** Envoy image, pinned to a version or digest. @default "envoyproxy/envoy:v1.37.5" */
  image?: string;
  /**
   * Envoy container requests and limits.
   * @default { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "512Mi" }
   */
  resources?: ContainerResources;
  /**
   * Apply the egress gateway's NetworkPolicies (`allow-ingress-egress-gateway`,
   * `allow-egress-egress-gateway`).
   * @default true
   */
  networkPolicies?: boolean;
  /** Kubernetes providers by zone id; uses `clusters[zone]`, else `opts.provider(s)`. @default {} */
  clusters?: Readonly<Record<string, k8s.Provider>>;
}

export class EgressGateway extends pulumi.ComponentResource {
  /** The egress gateway's SPIFFE ID (`spiffe://<td>/ns/ztmesh-system/sa/<zone>-egress`). */
  readonly spiffeId: string;
  /** The Envoy bootstrap YAML deployed. */
  readonly envoyYaml: string;
  /** The in-cluster host workload proxies connect to. */
  readonly host: string;

  /** @throws {ValidationError} before anything is created, naming each bad argument. */
  constructor(name: string, args: EgressGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const check = new ArgChecker("EgressGateway", name);
    const zone = findZone(args.model, args.zone);
    check.check(zone !== undefined, "zone", `zone ${show(args.zone)} is not in the mesh (zones: ${args.model.zones.map((z) => z.id).join(", ")})`);
    const replicas = args.replicas ?? 2;
    check.check(Number.isInteger(replicas) && replicas >= 2, "replicas", `must be an integer >= 2, got ${show(args.replicas)}`, "run at least 2 egress gateways per zone");
    checkIssuer(check, args.model, args.issuer);
    checkImage(check, args.image);
    checkResources(check, args.resources);
    const cluster = zoneCluster(check, args.zone, args.clusters, opts);
    check.done();
    super(EGRESS_GATEWAY_TYPE, name, {}, opts);

    const zoneId = args.zone;
    const ns = SYSTEM_NAMESPACE;
    const resourceName = egressGatewayServiceAccount(zoneId);
    const childOpts = { parent: this, provider: cluster };
    this.spiffeId = egressGatewaySpiffeId(args.model.trustDomain, zoneId);
    this.host = `${resourceName}.${ns}.svc.cluster.local`;
    const labels = appLabels({ app: EGRESS_GATEWAY_APP, instance: resourceName, component: "egress-gateway", role: ROLES.gateway, zone: zoneId });
    const selector = selectorLabels(labels);

    this.envoyYaml = toYaml(compileEgressGateway(args.model, zoneId, { spireSocketPath: spireSocketPath(args.issuer) }));
    const config = gatewayIdentityAndConfig(name, { resourceName, labels, spiffeId: this.spiffeId, envoyYaml: this.envoyYaml, artifact: `envoy/${zoneId}-egress.yaml` }, childOpts);
    gatewayDeployment(
      name,
      { resourceName, labels, selector, replicas, envoyYaml: this.envoyYaml, configMap: config, failureZones: zone!.failureZones, issuer: args.issuer, image: args.image, resources: args.resources, listenerPort: MESH_PORT },
      childOpts,
    );
    new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: { name: resourceName, namespace: ns, labels }, spec: { type: "ClusterIP", selector, ports: [{ name: "mesh", port: MESH_PORT, targetPort: MESH_PORT, protocol: "TCP" }] } },
      childOpts,
    );
    if (args.networkPolicies ?? true) {
      for (const policy of compileSystemNetworkPolicies(args.model, zoneId)) {
        if (!EGRESS_GATEWAY_NETWORK_POLICIES.includes(policy.metadata.name)) continue;
        new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, policy, childOpts);
      }
    }
    this.registerOutputs({ spiffeId: this.spiffeId, host: this.host });
  }
}
