/** Probes, resources and small pod-spec builders. */
import type * as k8s from "@pulumi/kubernetes";

type Probe = k8s.types.input.core.v1.Probe;

/** CPU and memory requests and limits of one container. */
export interface ContainerResources {
  /** CPU request, e.g. `100m`. */
  cpuRequest: string;
  /** Memory request, e.g. `128Mi`. */
  memoryRequest: string;
  /** CPU limit, e.g. `500m`. */
  cpuLimit: string;
  /** Memory limit, e.g. `256Mi`. */
  memoryLimit: string;
}

/** The Kubernetes `resources` block for {@link ContainerResources}. */
export function resources(r: ContainerResources): k8s.types.input.core.v1.ResourceRequirements {
  return {
    requests: { cpu: r.cpuRequest, memory: r.memoryRequest },
    limits: { cpu: r.cpuLimit, memory: r.memoryLimit },
  };
}

/** An HTTP GET probe. */
export function httpProbe(path: string, port: number | string, opts: { initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number } = {}): Probe {
  return {
    httpGet: { path, port },
    initialDelaySeconds: opts.initialDelaySeconds ?? 5,
    periodSeconds: opts.periodSeconds ?? 10,
    timeoutSeconds: 3,
    failureThreshold: opts.failureThreshold ?? 3,
  };
}

/** A readOnly-root-friendly writable scratch volume. */
export function emptyDir(name: string, sizeLimit = "64Mi"): k8s.types.input.core.v1.Volume {
  return { name, emptyDir: { sizeLimit } };
}
