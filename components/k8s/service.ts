/** In-cluster Services (ClusterIP and headless), as typed `ServiceArgs`. */
import type * as k8s from "@pulumi/kubernetes";

/** One TCP port of a Service. */
export interface ServicePortSpec {
  name: string;
  port: number;
  /** The pod port: a number or a container port name. @default `name` */
  targetPort?: number | string;
  appProtocol?: string;
}

/** A `ClusterIP` Service over TCP ports; `headless: true` sets `clusterIP: None` (StatefulSet DNS). */
export function clusterIpService(
  metadata: k8s.types.input.meta.v1.ObjectMeta,
  selector: Record<string, string>,
  ports: readonly ServicePortSpec[],
  opts: { headless?: boolean } = {},
): k8s.core.v1.ServiceArgs {
  return {
    metadata,
    spec: {
      type: "ClusterIP",
      ...(opts.headless ? { clusterIP: "None" } : {}),
      selector,
      ports: ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.targetPort ?? p.name,
        protocol: "TCP",
        ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
      })),
    },
  };
}
