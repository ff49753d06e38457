import { describe, expect, it } from "vitest";
import { Pod } from "kubernetes-models/v1/Pod";
import { Service } from "kubernetes-models/v1/Service";
import {
  SPIFFE_HELPER_CONFIG_KEY,
  clusterIpService,
  restrictedPodSecurityContext,
  spiffeHelperSidecar,
  spireSocketVolume,
  zonePlacement,
  zoneSpread,
} from "../../../components/k8s";

describe("spiffeHelperSidecar", () => {
  it("builds a restricted sidecar, its volumes and a config pointing at the socket", () => {
    const helper = spiffeHelperSidecar({ audience: "sts.amazonaws.com", socket: spireSocketVolume({ trustDomain: "mesh.example" }), configVolume: "helper-config" });
    expect(helper.config.agent_address).toBe("/run/spire/sockets/agent.sock");
    expect(helper.config.jwt_svids).toEqual([{ jwt_audience: "sts.amazonaws.com", jwt_svid_file_name: "token" }]);
    expect(helper.config.health_checks).toBeUndefined();
    expect(helper.container.livenessProbe).toBeUndefined();
    expect(helper.container.args).toEqual(["-config", `/etc/spiffe-helper/${SPIFFE_HELPER_CONFIG_KEY}`]);
    expect(helper.tokenPath).toBe("/var/run/ztmesh/identity/token");
    expect(helper.volumes).toContainEqual({ name: "identity", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } });
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: {
        securityContext: restrictedPodSecurityContext(),
        containers: [{ name: "app", image: "busybox:1.36.1", volumeMounts: [helper.identityMount] }, helper.container],
        volumes: [{ name: "helper-config", configMap: { name: "cm" } }, ...helper.volumes],
      },
    };
    new Pod(pod as never).validate();
  });

  it("adds the health listener and probes with healthPort", () => {
    const helper = spiffeHelperSidecar({ audience: "a", socket: spireSocketVolume({ trustDomain: "t", socketMount: "hostPath" }), configVolume: "c", healthPort: 8081 });
    expect(helper.config.health_checks).toEqual({ listener_enabled: true, bind_port: 8081, liveness_path: "/live", readiness_path: "/ready" });
    expect(helper.container.readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: "helper-health" } });
    expect(helper.volumes[1]).toEqual({ name: "spire-agent-socket", hostPath: { path: "/run/spire/sockets", type: "Directory" } });
  });
});

describe("clusterIpService", () => {
  it("targets named ports by default and sets clusterIP None when headless", () => {
    const args = clusterIpService({ name: "s", namespace: "n" }, { app: "x" }, [{ name: "grpc", port: 8081 }, { name: "http", port: 80, targetPort: 8080, appProtocol: "http" }], { headless: true });
    expect(args.spec).toEqual({
      type: "ClusterIP",
      clusterIP: "None",
      selector: { app: "x" },
      ports: [
        { name: "grpc", port: 8081, targetPort: "grpc", protocol: "TCP" },
        { name: "http", port: 80, targetPort: 8080, protocol: "TCP", appProtocol: "http" },
      ],
    });
    new Service({ apiVersion: "v1", kind: "Service", ...args } as never).validate();
  });
});

describe("zoneSpread", () => {
  it("is soft across zones by default and hard in zonePlacement", () => {
    expect(zoneSpread({ a: "b" }).map((c) => c.whenUnsatisfiable)).toEqual(["ScheduleAnyway", "ScheduleAnyway"]);
    expect(zonePlacement(["z1"], { a: "b" }).topologySpreadConstraints.map((c) => c.whenUnsatisfiable)).toEqual(["DoNotSchedule", "ScheduleAnyway"]);
  });
});
