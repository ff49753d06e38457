/**
 * The spiffe-helper sidecar: keeps the pod's JWT-SVID (and X.509 SVID) on an in-memory volume,
 * so a cloud SDK in the main container exchanges the token file for cloud credentials (AWS web
 * identity, Azure federated token, GCP external account); no static credentials.
 *
 * The caller owns the ConfigMap: it serializes {@link SpiffeHelperSidecar.config} with `toJson`
 * under {@link SPIFFE_HELPER_CONFIG_KEY} and mounts that ConfigMap as `configVolume`.
 */
import type * as k8s from "@pulumi/kubernetes";
import { type ContainerResources, httpProbe, resources } from "./pods";
import { restrictedContainerSecurityContext } from "./security";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** The pinned spiffe-helper image. */
export const SPIFFE_HELPER_IMAGE = "ghcr.io/spiffe/spiffe-helper:0.10.0";
/** Where the helper's configuration is mounted. */
export const SPIFFE_HELPER_CONFIG_DIR = "/etc/spiffe-helper";
/** The helper configuration's key in its ConfigMap (and file name). */
export const SPIFFE_HELPER_CONFIG_KEY = "spiffe-helper.json";
/** The in-memory directory holding the SVIDs and the JWT-SVID token file. */
export const SPIFFE_IDENTITY_DIR = "/var/run/ztmesh/identity";
/** The JWT-SVID file name inside {@link SPIFFE_IDENTITY_DIR}. */
export const SPIFFE_TOKEN_FILE = "token";
/** The JWT-SVID token file's full path in the containers that mount {@link SPIFFE_IDENTITY_DIR}. */
export const SPIFFE_TOKEN_PATH = `${SPIFFE_IDENTITY_DIR}/${SPIFFE_TOKEN_FILE}`;
/** Default sidecar resources. */
export const SPIFFE_HELPER_RESOURCES: ContainerResources = { cpuRequest: "10m", memoryRequest: "16Mi", cpuLimit: "100m", memoryLimit: "64Mi" };

/** spiffe-helper's configuration file (its own option names). */
export interface SpiffeHelperConfig {
  agent_address: string;
  cmd: string;
  cert_dir: string;
  daemon_mode: boolean;
  svid_file_name: string;
  svid_key_file_name: string;
  svid_bundle_file_name: string;
  jwt_svids: Array<{ jwt_audience: string; jwt_svid_file_name: string }>;
  health_checks?: { listener_enabled: boolean; bind_port: number; liveness_path: string; readiness_path: string };
}

/** The helper configuration: a JWT-SVID for `audience` at `<SPIFFE_IDENTITY_DIR>/token`, health listener on `healthPort` when given. */
export function spiffeHelperFileConfig(opts: { agentAddress: string; audience: string; healthPort?: number }): SpiffeHelperConfig {
  const config: SpiffeHelperConfig = {
    agent_address: opts.agentAddress,
    cmd: "",
    cert_dir: SPIFFE_IDENTITY_DIR,
    daemon_mode: true,
    svid_file_name: "svid.pem",
    svid_key_file_name: "svid_key.pem",
    svid_bundle_file_name: "bundle.pem",
    jwt_svids: [{ jwt_audience: opts.audience, jwt_svid_file_name: SPIFFE_TOKEN_FILE }],
  };
  if (opts.healthPort !== undefined) config.health_checks = { listener_enabled: true, bind_port: opts.healthPort, liveness_path: "/live", readiness_path: "/ready" };
  return config;
}

export interface SpiffeHelperSidecarArgs {
  /** The spiffe-helper image, pinned. @default {@link SPIFFE_HELPER_IMAGE} */
  image?: string;
  /** Audience of the JWT-SVID written to the token file. */
  audience: string;
  /** The SPIRE agent socket: its path in the pod, the volume carrying it and its mount (see `spireSocketVolume`). */
  socket: { path: string; volume: Volume; mount: VolumeMount };
  /** Name of the pod's ConfigMap volume holding {@link SPIFFE_HELPER_CONFIG_KEY}; the caller adds that volume. */
  configVolume: string;
  /** Port of the helper's health listener, probed for liveness and readiness. @default none (no listener, no probes) */
  healthPort?: number;
  /** Sidecar resources. @default {@link SPIFFE_HELPER_RESOURCES} */
  resources?: ContainerResources;
}

export interface SpiffeHelperSidecar {
  /** The `spiffe-helper` container. */
  container: Container;
  /** The in-memory identity volume and the SPIRE socket volume (the config volume is the caller's). */
  volumes: Volume[];
  /** Read-only mount of the identity directory, for the container that reads the token. */
  identityMount: VolumeMount;
  /** The helper's configuration, to serialize under {@link SPIFFE_HELPER_CONFIG_KEY}. */
  config: SpiffeHelperConfig;
  /** Path of the JWT-SVID token file in the pod. */
  tokenPath: string;
}

/** The spiffe-helper sidecar writing a JWT-SVID for `audience`. */
export function spiffeHelperSidecar(args: SpiffeHelperSidecarArgs): SpiffeHelperSidecar {
  const health = args.healthPort !== undefined;
  const container: Container = {
    name: "spiffe-helper",
    image: args.image ?? SPIFFE_HELPER_IMAGE,
    args: ["-config", `${SPIFFE_HELPER_CONFIG_DIR}/${SPIFFE_HELPER_CONFIG_KEY}`],
    ...(health
      ? {
          ports: [{ name: "helper-health", containerPort: args.healthPort!, protocol: "TCP" }],
          livenessProbe: httpProbe("/live", "helper-health"),
          readinessProbe: httpProbe("/ready", "helper-health"),
        }
      : {}),
    resources: resources(args.resources ?? SPIFFE_HELPER_RESOURCES),
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [
      { name: args.configVolume, mountPath: SPIFFE_HELPER_CONFIG_DIR, readOnly: true },
      { name: "identity", mountPath: SPIFFE_IDENTITY_DIR },
      args.socket.mount,
    ],
  };
  return {
    container,
    volumes: [{ name: "identity", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }, args.socket.volume],
    identityMount: { name: "identity", mountPath: SPIFFE_IDENTITY_DIR, readOnly: true },
    config: spiffeHelperFileConfig({ agentAddress: args.socket.path, audience: args.audience, healthPort: args.healthPort }),
    tokenPath: SPIFFE_TOKEN_PATH,
  };
}
