/**
 * Pieces every in-cluster component of a zone needs: the zone's cluster provider, the zone's
 * SPIRE issuer (and the volume carrying its agent socket), placement over the zone's failure
 * zones, and the checks of image and resource arguments.
 *
 * SPIRE socket: mounted through the SPIFFE CSI driver (`csi.spiffe.io`, an inline ephemeral
 * CSI volume) by default, because a `hostPath` volume is forbidden by the Pod Security
 * `restricted` (and `baseline`) profile that ztmesh namespaces enforce. `hostPath` remains an
 * explicit, documented relaxation for clusters without the CSI driver.
 */
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ArgChecker } from "../common/args";
import { show } from "../common/args";
import { SPIRE_AGENT_SOCKET } from "../compile/envoy/names";
import type { MeshModel, Zone } from "../model/model";
import type { ContainerResources } from "./pods";

type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type Affinity = k8s.types.input.core.v1.Affinity;
type TopologySpreadConstraint = k8s.types.input.core.v1.TopologySpreadConstraint;

/** The SPIFFE CSI driver's name. */
export const SPIFFE_CSI_DRIVER = "csi.spiffe.io";
/** Node label of the failure zone. */
export const ZONE_TOPOLOGY_KEY = "topology.kubernetes.io/zone";
/** Node label of the node name. */
export const HOSTNAME_TOPOLOGY_KEY = "kubernetes.io/hostname";

/** The zone's identity issuer (SPIRE), which every Envoy needs for its SVIDs over SDS. */
export interface IssuerArgs {
  /** The SPIFFE trust domain SPIRE issues for; must equal the model's trust domain. */
  trustDomain: string;
  /**
   * The SPIRE agent's Workload API socket inside the pod.
   * @default "/run/spire/sockets/agent.sock"
   */
  socketPath?: string;
  /**
   * How the socket reaches the pod: `csi` (the SPIFFE CSI driver, allowed by Pod Security
   * `restricted`) or `hostPath` (the agent's host directory; only in namespaces that allow
   * hostPath volumes).
   * @default "csi"
   */
  socketMount?: "csi" | "hostPath";
  /**
   * The CSI driver name (with `socketMount: "csi"`).
   * @default "csi.spiffe.io"
   */
  csiDriver?: string;
}

/** Validates the issuer argument against the model. */
export function checkIssuer(check: ArgChecker, model: MeshModel, issuer: IssuerArgs | undefined): void {
  check.check(
    issuer !== undefined && typeof issuer.trustDomain === "string" && issuer.trustDomain !== "",
    "issuer",
    `the zone's identity issuer is missing (received ${show(issuer)}); Envoy gets its certificates from SPIRE over SDS`,
    `pass issuer: { trustDomain: "${model.trustDomain}" } once the zone's SPIRE issuer is deployed`,
  );
  if (!issuer || !issuer.trustDomain) return;
  check.check(
    issuer.trustDomain === model.trustDomain,
    "issuer.trustDomain",
    `is ${show(issuer.trustDomain)} but the mesh's trust domain is ${show(model.trustDomain)}`,
    "use the issuer of the mesh's trust domain",
  );
  const socket = issuer.socketPath ?? SPIRE_AGENT_SOCKET;
  check.check(path.posix.isAbsolute(socket) && socket.endsWith(".sock"), "issuer.socketPath", `must be an absolute path to a .sock file, got ${show(socket)}`);
  check.check(
    issuer.socketMount === undefined || issuer.socketMount === "csi" || issuer.socketMount === "hostPath",
    "issuer.socketMount",
    `must be "csi" or "hostPath", got ${show(issuer.socketMount)}`,
  );
}

/** The SPIRE socket path (default applied). */
export function spireSocketPath(issuer: IssuerArgs): string {
  return issuer.socketPath ?? SPIRE_AGENT_SOCKET;
}

/** The volume carrying the SPIRE agent socket, its mount, and the socket's path in the pod. */
export function spireSocketVolume(issuer: IssuerArgs): { volume: Volume; mount: VolumeMount; path: string } {
  const socket = spireSocketPath(issuer);
  const dir = path.posix.dirname(socket);
  const name = "spire-agent-socket";
  const volume: Volume =
    issuer.socketMount === "hostPath"
      ? { name, hostPath: { path: dir, type: "Directory" } }
      : { name, csi: { driver: issuer.csiDriver ?? SPIFFE_CSI_DRIVER, readOnly: true } };
  return { volume, mount: { name, mountPath: dir, readOnly: true }, path: socket };
}

/** The zone of the model, or undefined. */
export function findZone(model: MeshModel, zoneId: string): Zone | undefined {
  return model.zones.find((z) => z.id === zoneId);
}

/**
 * The Kubernetes provider of the zone's cluster: `clusters[zone]`, else a `k8s.Provider`
 * passed as `opts.provider` or in `opts.providers`. Records a problem when there is none.
 */
export function zoneCluster(
  check: ArgChecker,
  zoneId: string,
  clusters: Readonly<Record<string, k8s.Provider>> | undefined,
  opts: pulumi.ComponentResourceOptions,
): k8s.Provider | undefined {
  const fromMap = clusters?.[zoneId];
  const candidates: unknown[] = [fromMap, opts.provider];
  if (Array.isArray(opts.providers)) candidates.push(...opts.providers);
  else if (opts.providers) candidates.push(opts.providers.kubernetes);
  const found = candidates.find((p): p is k8s.Provider => k8s.Provider.isInstance(p));
  const known = clusters ? Object.keys(clusters) : [];
  check.check(
    found !== undefined,
    "clusters",
    `no Kubernetes cluster for zone "${zoneId}"${known.length ? ` (clusters given for: ${known.join(", ")})` : ""}`,
    `pass clusters: { "${zoneId}": <k8s.Provider of that zone's cluster> } or opts.provider`,
  );
  return found;
}

/**
 * Topology spread over failure zones and over nodes (maxSkew 1 each). Over nodes always
 * `ScheduleAnyway` (preferred, so a small cluster still schedules every replica); over zones
 * `ScheduleAnyway` by default (a single-zone cluster still schedules), or `DoNotSchedule`
 * (never two replicas in one failure zone while another has none).
 */
export function zoneSpread(
  matchLabels: Record<string, string>,
  acrossZones: "ScheduleAnyway" | "DoNotSchedule" = "ScheduleAnyway",
): TopologySpreadConstraint[] {
  return [
    { maxSkew: 1, topologyKey: ZONE_TOPOLOGY_KEY, whenUnsatisfiable: acrossZones, labelSelector: { matchLabels } },
    { maxSkew: 1, topologyKey: HOSTNAME_TOPOLOGY_KEY, whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels } },
  ];
}

/**
 * Required node affinity to the zone's declared failure zones, plus {@link zoneSpread} with
 * `DoNotSchedule` across them.
 */
export function zonePlacement(
  failureZones: readonly string[],
  matchLabels: Record<string, string>,
): { affinity: Affinity; topologySpreadConstraints: TopologySpreadConstraint[] } {
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_TOPOLOGY_KEY, operator: "In", values: [...failureZones] }] }],
        },
      },
    },
    topologySpreadConstraints: zoneSpread(matchLabels, "DoNotSchedule"),
  };
}

/** Validates a {@link ContainerResources} override. */
export function checkResources(check: ArgChecker, r: ContainerResources | undefined, argName = "resources"): void {
  if (!r) return;
  for (const k of ["cpuRequest", "memoryRequest", "cpuLimit", "memoryLimit"] as const) {
    check.check(typeof r[k] === "string" && /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.test(r[k]), `${argName}.${k}`, `is not a Kubernetes quantity: ${show(r[k])}`);
  }
}

/** Validates a pinned image reference (`repo:tag` with a version tag, or `repo@sha256:...`). */
export function checkImage(check: ArgChecker, image: string | undefined, argName = "image"): void {
  if (image === undefined) return;
  const pinned = /@sha256:[0-9a-f]{64}$/.test(image) || /:v?[0-9]+\.[0-9]+\.[0-9]+[^:/]*$/.test(image);
  check.check(pinned, argName, `must be pinned to a version or digest, got ${show(image)}`, "use repo:vX.Y.Z or repo@sha256:<digest>");
}
