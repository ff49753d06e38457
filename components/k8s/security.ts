/**
 * Pod and container security contexts. The default is the Kubernetes `restricted` Pod
 * Security profile; every relaxation is a separate, named function so it shows in review.
 */
import type * as k8s from "@pulumi/kubernetes";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;

/** The non-root user and group ztmesh containers run as unless an image requires another. */
export const DEFAULT_UID = 65532;

/** Pod-level context satisfying the `restricted` profile: non-root, RuntimeDefault seccomp. */
export function restrictedPodSecurityContext(uid: number = DEFAULT_UID): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Container-level context satisfying the `restricted` profile: no privilege escalation,
 * every capability dropped, read-only root filesystem, RuntimeDefault seccomp.
 */
export function restrictedContainerSecurityContext(): SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Documented exception: a node agent that must run as root (to read other pods' files or
 * `/proc` entries and to create sockets in a host directory). Still no privilege escalation,
 * no capabilities, read-only root filesystem and RuntimeDefault seccomp. Only for pods in a
 * namespace labelled `privileged` (see {@link podSecurityLabels}).
 */
export function rootNodeAgentSecurityContext(): SecurityContext {
  return {
    runAsUser: 0,
    runAsGroup: 0,
    runAsNonRoot: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}
