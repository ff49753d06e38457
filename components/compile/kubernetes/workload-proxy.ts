/**
 * What a mesh service's pod needs so that its calls go through the mesh: the workload proxy
 * (an Envoy sidecar whose bootstrap `compileWorkloadProxy` compiles and MeshDomain publishes in
 * a ConfigMap), the SPIRE agent socket for its SVIDs, the upstreams' host names mapped to the
 * proxy's loopback listeners (`hostAliases`), and the labels and service account the
 * NetworkPolicies and SPIRE select it by. Plain objects in the Kubernetes API's own shape, no
 * Pulumi: teams that deploy with Helm or GitOps merge them into their own manifests with
 * {@link withWorkloadProxy}; {@link MeshWorkload} does it for a Deployment it creates.
 *
 * The application keeps its own ports (on any address): callers never reach them, only the
 * proxy's mesh port (15006) is admitted by the NetworkPolicies, so the pod's Service must
 * expose it ({@link meshServicePort}).
 */
import type { MeshModel, Service } from "../../model/model";
import { upstreamHostAliases, workloadUpstreams } from "../envoy/workload-proxy";
import { MESH_PORT, workloadLabels } from "./labels";

/** Default Envoy image of workload proxies (the same as the gateways'). */
export const WORKLOAD_PROXY_IMAGE = "envoyproxy/envoy:v1.37.5";
/** Where the proxy's bootstrap ConfigMap is mounted. */
export const WORKLOAD_PROXY_CONFIG_DIR = "/etc/ztmesh-proxy";
/** The bootstrap's key in its ConfigMap. */
export const WORKLOAD_PROXY_CONFIG_KEY = "envoy.yaml";
/** Envoy's user id in the official image. */
const ENVOY_UID = 101;

/** Name of a service's workload proxy ConfigMap: `<service>-proxy`. */
export function workloadProxyConfigMapName(svc: Pick<Service, "name">): string {
  return `${svc.name}-proxy`;
}

/** Options of {@link workloadProxyPod}. */
export interface WorkloadProxyPodOptions {
  /** The proxy's image. @default {@link WORKLOAD_PROXY_IMAGE} */
  image?: string;
  /** The SPIRE agent socket's directory inside the pod. @default "/run/spire/sockets" */
  spireSocketDir?: string;
  /** How the socket reaches the pod: the SPIFFE CSI driver or a hostPath. @default "csi" */
  socketMount?: "csi" | "hostPath";
  /** The CSI driver's name. @default "csi.spiffe.io" */
  csiDriver?: string;
  /** CPU and memory of the proxy. @default requests 50m / 64Mi, limits 500m / 256Mi */
  resources?: { requests: Record<string, string>; limits: Record<string, string> };
}

/** A container in the Kubernetes API's shape (the fields the proxy sets). */
export interface ProxyContainer {
  name: string;
  image: string;
  args: string[];
  ports: Array<{ name: string; containerPort: number; protocol: "TCP" }>;
  readinessProbe: { tcpSocket: { port: number }; periodSeconds: number };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: {
    runAsUser: number;
    runAsNonRoot: true;
    allowPrivilegeEscalation: false;
    readOnlyRootFilesystem: true;
    capabilities: { drop: string[] };
    seccompProfile: { type: "RuntimeDefault" };
  };
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

/** A volume in the Kubernetes API's shape (the kinds the proxy uses). */
export type ProxyVolume =
  | { name: string; configMap: { name: string } }
  | { name: string; csi: { driver: string; readOnly: true } }
  | { name: string; hostPath: { path: string; type: "Directory" } }
  | { name: string; emptyDir: { sizeLimit: string } };

/** What {@link withWorkloadProxy} adds to a pod. */
export interface WorkloadProxyPod {
  /** Labels the pod must carry (NetworkPolicies select it by them). */
  labels: Record<string, string>;
  /** The service account: it determines the SPIFFE ID. */
  serviceAccountName: string;
  /** Each upstream's host names -> the proxy's loopback listener for it. */
  hostAliases: Array<{ ip: string; hostnames: string[] }>;
  containers: ProxyContainer[];
  volumes: ProxyVolume[];
}

/**
 * The pod additions of service `serviceKey`'s workload proxy (see the module comment).
 * @throws Error when the service is not in the model.
 */
export function workloadProxyPod(model: MeshModel, serviceKey: string, opts: WorkloadProxyPodOptions = {}): WorkloadProxyPod {
  const svc = model.services.get(serviceKey);
  if (!svc) throw new Error(`workloadProxyPod: service "${serviceKey}" is not in the mesh (services: ${[...model.services.keys()].join(", ")})`);
  const socketDir = opts.spireSocketDir ?? "/run/spire/sockets";
  const socket: ProxyVolume =
    opts.socketMount === "hostPath"
      ? { name: "ztmesh-spire-socket", hostPath: { path: socketDir, type: "Directory" } }
      : { name: "ztmesh-spire-socket", csi: { driver: opts.csiDriver ?? "csi.spiffe.io", readOnly: true } };
  const container: ProxyContainer = {
    name: "ztmesh-proxy",
    image: opts.image ?? WORKLOAD_PROXY_IMAGE,
    args: ["--config-path", `${WORKLOAD_PROXY_CONFIG_DIR}/${WORKLOAD_PROXY_CONFIG_KEY}`, "--log-level", "info", "--disable-hot-restart"],
    ports: [{ name: "mesh", containerPort: MESH_PORT, protocol: "TCP" }],
    readinessProbe: { tcpSocket: { port: MESH_PORT }, periodSeconds: 5 },
    resources: opts.resources ?? { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    securityContext: {
      runAsUser: ENVOY_UID,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [
      { name: "ztmesh-proxy-config", mountPath: WORKLOAD_PROXY_CONFIG_DIR, readOnly: true },
      { name: "ztmesh-spire-socket", mountPath: socketDir, readOnly: true },
      { name: "ztmesh-proxy-tmp", mountPath: "/tmp" },
    ],
  };
  return {
    labels: workloadLabels(svc),
    serviceAccountName: svc.serviceAccount,
    hostAliases: upstreamHostAliases(workloadUpstreams(model, serviceKey)),
    containers: [container],
    volumes: [
      { name: "ztmesh-proxy-config", configMap: { name: workloadProxyConfigMapName(svc) } },
      socket,
      { name: "ztmesh-proxy-tmp", emptyDir: { sizeLimit: "64Mi" } },
    ],
  };
}

/** The minimum of a pod spec {@link withWorkloadProxy} reads. */
export interface PodSpecLike {
  serviceAccountName?: string;
  hostAliases?: Array<{ ip?: string; hostnames?: string[] }>;
  containers: Array<{ name: string }>;
  volumes?: Array<{ name: string }>;
}

/**
 * `pod` with the workload proxy added: its container, volumes and host aliases appended, and
 * the service account set. Refuses a pod that already has a container or volume of the same
 * name, or another service account (the SPIFFE ID would not be the service's).
 */
export function withWorkloadProxy<T extends PodSpecLike>(pod: T, proxy: WorkloadProxyPod): T {
  if (pod.serviceAccountName !== undefined && pod.serviceAccountName !== proxy.serviceAccountName) {
    throw new Error(
      `withWorkloadProxy: pod.serviceAccountName is "${pod.serviceAccountName}" but the service's identity is "${proxy.serviceAccountName}" (remove it or set it to "${proxy.serviceAccountName}")`,
    );
  }
  const taken = (names: string[], mine: string[], what: string): void => {
    const clash = mine.filter((n) => names.includes(n));
    if (clash.length > 0) throw new Error(`withWorkloadProxy: the pod already has ${what} ${clash.map((n) => `"${n}"`).join(", ")} (rename yours)`);
  };
  taken(pod.containers.map((c) => c.name), proxy.containers.map((c) => c.name), "container");
  taken((pod.volumes ?? []).map((v) => v.name), proxy.volumes.map((v) => v.name), "volume");
  return {
    ...pod,
    serviceAccountName: proxy.serviceAccountName,
    hostAliases: [...(pod.hostAliases ?? []), ...proxy.hostAliases],
    containers: [...pod.containers, ...proxy.containers],
    volumes: [...(pod.volumes ?? []), ...proxy.volumes],
  };
}

/** The Service port callers reach a mesh service on (add it to the service's Service). */
export function meshServicePort(): { name: string; port: number; targetPort: number; protocol: "TCP" } {
  return { name: "mesh", port: MESH_PORT, targetPort: MESH_PORT, protocol: "TCP" };
}
