/**
 * The Envoy pod pieces shared by the gateway and the data proxy (image, container, probes).
 * The zone-generic helpers (issuer, SPIRE socket volume, cluster provider, placement, argument
 * checks) live in `../k8s` and are re-exported here for existing importers.
 */
import type * as k8s from "@pulumi/kubernetes";
import { type ContainerResources, resources, restrictedContainerSecurityContext } from "../k8s";

export {
  HOSTNAME_TOPOLOGY_KEY,
  type IssuerArgs,
  SPIFFE_CSI_DRIVER,
  ZONE_TOPOLOGY_KEY,
  checkImage,
  checkIssuer,
  checkResources,
  findZone,
  spireSocketPath,
  spireSocketVolume,
  zoneCluster,
  zonePlacement,
} from "../k8s";

type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type Container = k8s.types.input.core.v1.Container;

/** The pinned Envoy image (a current stable release, v1.37). */
export const ENVOY_IMAGE = "envoyproxy/envoy:v1.37.5";
/** The pinned Envoy contrib image (needed for the postgres and mysql protocol filters). */
export const ENVOY_CONTRIB_IMAGE = "envoyproxy/envoy-contrib:v1.37.5";
/** uid/gid of the `envoy` user in the Envoy images. */
export const ENVOY_UID = 101;
/** Where the bootstrap ConfigMap is mounted. */
export const ENVOY_CONFIG_DIR = "/etc/envoy";
/** The bootstrap's key in its ConfigMap (and file name). */
export const ENVOY_CONFIG_KEY = "envoy.yaml";
/** Default Envoy resources. */
export const ENVOY_RESOURCES: ContainerResources = { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "512Mi" };

/**
 * The Envoy container. Probes are TCP checks on the mTLS listener: the admin endpoint
 * (`/ready`) is bound to 127.0.0.1 and the image ships no HTTP client for an exec probe,
 * while Envoy only opens a listener once it is warm, i.e. once SPIRE has delivered the SVID
 * and trust bundle over SDS. So "accepts TCP on the listener" means "can serve mTLS".
 */
export function envoyContainer(opts: {
  image: string;
  listenerPort: number;
  /** The SPIRE agent socket, for an Envoy that gets SVIDs over SDS (absent for TLS passthrough). */
  spireMount?: VolumeMount;
  resources: ContainerResources;
}): Container {
  return {
    name: "envoy",
    image: opts.image,
    command: ["envoy"],
    args: ["--config-path", `${ENVOY_CONFIG_DIR}/${ENVOY_CONFIG_KEY}`, "--log-level", "info", "--disable-hot-restart"],
    ports: [{ name: "mtls", containerPort: opts.listenerPort, protocol: "TCP" }],
    readinessProbe: { tcpSocket: { port: opts.listenerPort }, initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
    livenessProbe: { tcpSocket: { port: opts.listenerPort }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 },
    resources: resources(opts.resources),
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [{ name: "envoy-config", mountPath: ENVOY_CONFIG_DIR, readOnly: true }, ...(opts.spireMount ? [opts.spireMount] : []), { name: "tmp", mountPath: "/tmp" }],
  };
}
