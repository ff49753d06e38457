/**
 * MeshWorkload: runs a domain's service in the mesh: a Deployment of the application's own
 * containers plus its workload proxy (added by the pure `withWorkloadProxy`, which Helm or GitOps
 * users apply to their own manifests instead), and a Service exposing only the mesh port. The
 * proxy's bootstrap ConfigMap and the ServiceAccount come from the domain's MeshDomain, so create
 * this after it (`dependsOn: [domain]`).
 *
 * ```ts
 * new MeshWorkload("trade-query", {
 *   model: domain.model, service: "trading/trade-query",
 *   containers: [{ name: "app", image: "acme/trade-query:1.4.2", ports: [{ containerPort: 8080 }] }],
 * }, { provider: awsEuCluster, dependsOn: [domain] });
 * ```
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ArgChecker, show } from "../common/args";
import { meshServicePort, withWorkloadProxy, workloadProxyPod, type WorkloadProxyPodOptions } from "../compile/kubernetes/workload-proxy";
import type { MeshModel } from "../model/model";

/** Type token of {@link MeshWorkload}. */
export const MESH_WORKLOAD_TYPE = "ztmesh:workload:MeshWorkload";

export interface MeshWorkloadArgs {
  /** The mesh model (MeshDomain's `model`). */
  model: MeshModel;
  /** The service's key, `<domain>/<name>`; its zone's cluster is the provider. */
  service: string;
  /** The application's containers (names other than `ztmesh-proxy`). */
  containers: k8s.types.input.core.v1.Container[];
  /** The application's own volumes (names not starting with `ztmesh-`). @default [] */
  volumes?: k8s.types.input.core.v1.Volume[];
  /** Replicas. @default 2 */
  replicas?: number;
  /** Options of the proxy (image, SPIRE socket, resources). @default see `WorkloadProxyPodOptions` */
  proxy?: WorkloadProxyPodOptions;
}

export class MeshWorkload extends pulumi.ComponentResource {
  /** Host names and loopback addresses of the declared upstreams (the pod's `hostAliases`). */
  readonly hostAliases: Array<{ ip: string; hostnames: string[] }>;

  /** @throws {ValidationError} before anything is created, naming each bad argument. */
  constructor(name: string, args: MeshWorkloadArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const check = new ArgChecker("MeshWorkload", name);
    const svc = args.model.services.get(args.service);
    check.check(svc !== undefined, "service", `service ${show(args.service)} is not in the mesh`, `use one of ${[...args.model.services.keys()].slice(0, 5).join(", ")}`);
    const replicas = args.replicas ?? 2;
    check.check(Number.isInteger(replicas) && replicas >= 1, "replicas", `must be an integer >= 1, got ${show(args.replicas)}`);
    check.check(Array.isArray(args.containers) && args.containers.length > 0, "containers", "the workload has no containers", "give the application's containers");
    const proxy = svc ? workloadProxyPod(args.model, svc.key, args.proxy) : undefined;
    let pod: k8s.types.input.core.v1.PodSpec | undefined;
    if (proxy) {
      try {
        pod = withWorkloadProxy({ containers: args.containers as Array<{ name: string }>, volumes: (args.volumes ?? []) as Array<{ name: string }> }, proxy) as k8s.types.input.core.v1.PodSpec;
      } catch (e) {
        check.check(false, "containers", (e as Error).message);
      }
    }
    check.done();
    super(MESH_WORKLOAD_TYPE, name, {}, opts);
    const s = svc!;
    this.hostAliases = proxy!.hostAliases;
    const labels = proxy!.labels;
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: s.name, namespace: s.namespace, labels },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { ...pod!, automountServiceAccountToken: false } },
        },
      },
      { parent: this },
    );
    new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: { name: s.name, namespace: s.namespace, labels }, spec: { type: "ClusterIP", selector: labels, ports: [meshServicePort()] } },
      { parent: this },
    );
    this.registerOutputs({ hostAliases: this.hostAliases });
  }
}
