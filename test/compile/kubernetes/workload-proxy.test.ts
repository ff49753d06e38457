/**
 * The workload proxy's pod additions (sidecar, SPIRE socket, host aliases, labels, service
 * account): what a mesh service's pod needs so that its calls go through its proxy.
 */
import fc from "fast-check";
import { Pod } from "kubernetes-models/v1/Pod";
import { describe, expect, it } from "vitest";
import { compileWorkloadProxy, upstreamHostAliases, workloadUpstreams } from "../../../components/compile/envoy";
import {
  MESH_PORT,
  WORKLOAD_PROXY_CONFIG_DIR,
  WORKLOAD_PROXY_CONFIG_KEY,
  WORKLOAD_PROXY_IMAGE,
  compileNetworkPolicies,
  meshServicePort,
  networkAllows,
  withWorkloadProxy,
  workloadLabels,
  workloadProxyConfigMapName,
  workloadProxyPod,
  type PodSpecLike,
} from "../../../components/compile/kubernetes";
import { buildMesh } from "../../../components/model";
import { arbMesh } from "../../fixtures/arbitraries";
import { domains, mesh } from "../../fixtures/mesh";

const model = buildMesh(mesh, domains);
const app = { name: "app", image: "acme/order-api:1.0.0" };

describe("workloadProxyPod", () => {
  const proxy = workloadProxyPod(model, "trading/order-api");

  it("labels the pod for its NetworkPolicies and runs it as the service's identity", () => {
    expect(proxy.labels).toEqual(workloadLabels(model.services.get("trading/order-api")!));
    expect(proxy.serviceAccountName).toBe("order-api");
    // The labels are those the zone's policies select: order-api may reach matching's proxy.
    const ps = compileNetworkPolicies(model, "aws-eu");
    const matching = { namespace: "trading", labels: workloadProxyPod(model, "trading/matching").labels };
    expect(networkAllows(ps, { namespace: "trading", labels: proxy.labels }, matching, MESH_PORT)).toBe(true);
    expect(networkAllows(ps, matching, { namespace: "trading", labels: proxy.labels }, MESH_PORT)).toBe(false);
  });

  it("maps each upstream's host names to its proxy's loopback listener", () => {
    expect(proxy.hostAliases).toEqual(upstreamHostAliases(workloadUpstreams(model, "trading/order-api")));
    const listeners = compileWorkloadProxy(model, "trading/order-api").static_resources.listeners;
    const matchingAlias = proxy.hostAliases.find((a) => a.hostnames.includes("matching.trading.svc.cluster.local"))!;
    expect(matchingAlias.hostnames).toEqual(["matching", "matching.trading", "matching.trading.svc", "matching.trading.svc.cluster.local"]);
    expect(listeners.find((l) => l.name === "outbound|9090|matching.trading.svc.cluster.local")?.address).toEqual({
      socket_address: { address: matchingAlias.ip, port_value: 9090 },
    });
  });

  it("runs Envoy hardened, reading its bootstrap from the service's ConfigMap and the SPIRE socket through the CSI driver", () => {
    expect(proxy.containers).toHaveLength(1);
    const c = proxy.containers[0];
    expect(c.name).toBe("ztmesh-proxy");
    expect(c.image).toBe(WORKLOAD_PROXY_IMAGE);
    expect(c.args.slice(0, 2)).toEqual(["--config-path", `${WORKLOAD_PROXY_CONFIG_DIR}/${WORKLOAD_PROXY_CONFIG_KEY}`]);
    expect(c.ports).toEqual([{ name: "mesh", containerPort: 15006, protocol: "TCP" }]);
    expect(c.readinessProbe.tcpSocket.port).toBe(15006);
    expect(c.securityContext).toEqual({
      runAsUser: 101,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(workloadProxyConfigMapName({ name: "order-api" })).toBe("order-api-proxy");
    expect(proxy.volumes).toEqual([
      { name: "ztmesh-proxy-config", configMap: { name: "order-api-proxy" } },
      { name: "ztmesh-spire-socket", csi: { driver: "csi.spiffe.io", readOnly: true } },
      { name: "ztmesh-proxy-tmp", emptyDir: { sizeLimit: "64Mi" } },
    ]);
    expect(c.volumeMounts).toEqual([
      { name: "ztmesh-proxy-config", mountPath: WORKLOAD_PROXY_CONFIG_DIR, readOnly: true },
      { name: "ztmesh-spire-socket", mountPath: "/run/spire/sockets", readOnly: true },
      { name: "ztmesh-proxy-tmp", mountPath: "/tmp" },
    ]);
  });

  it("applies options: image, socket by hostPath in another directory, resources", () => {
    const resources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "1", memory: "128Mi" } };
    const p = workloadProxyPod(model, "trading/order-api", { image: "registry.acme/envoy:1", socketMount: "hostPath", spireSocketDir: "/var/run/spire", resources });
    expect(p.containers[0].image).toBe("registry.acme/envoy:1");
    expect(p.containers[0].resources).toEqual(resources);
    expect(p.volumes[1]).toEqual({ name: "ztmesh-spire-socket", hostPath: { path: "/var/run/spire", type: "Directory" } });
    expect(p.containers[0].volumeMounts[1]).toEqual({ name: "ztmesh-spire-socket", mountPath: "/var/run/spire", readOnly: true });
    expect(workloadProxyPod(model, "trading/order-api", { csiDriver: "csi.example" }).volumes[1]).toEqual({ name: "ztmesh-spire-socket", csi: { driver: "csi.example", readOnly: true } });
  });

  it("rejects an unknown service, naming the services", () => {
    expect(() => workloadProxyPod(model, "trading/nothing")).toThrow(/workloadProxyPod: service "trading\/nothing" is not in the mesh \(services: trading\/order-api, /);
  });
});

describe("withWorkloadProxy", () => {
  const proxy = workloadProxyPod(model, "trading/order-api");

  it("adds the proxy to an application pod, which then passes the Kubernetes schema", () => {
    const base: PodSpecLike = { containers: [app], hostAliases: [{ ip: "10.0.0.1", hostnames: ["legacy.example"] }] };
    const spec = withWorkloadProxy(base, proxy);
    expect(spec.serviceAccountName).toBe("order-api");
    expect(spec.containers.map((c) => c.name)).toEqual(["app", "ztmesh-proxy"]);
    expect(spec.hostAliases).toEqual([{ ip: "10.0.0.1", hostnames: ["legacy.example"] }, ...proxy.hostAliases]);
    expect(spec.volumes).toEqual(proxy.volumes);
    const pod = new Pod({ metadata: { name: "order-api", namespace: "trading", labels: proxy.labels }, spec: spec as never });
    expect(() => pod.validate()).not.toThrow();
  });

  it("keeps a pod that already runs as the service's account", () => {
    expect(withWorkloadProxy({ serviceAccountName: "order-api", containers: [app] }, proxy).serviceAccountName).toBe("order-api");
  });

  it("refuses another service account (the SPIFFE ID would not be the service's)", () => {
    expect(() => withWorkloadProxy({ serviceAccountName: "default", containers: [app] }, proxy)).toThrow(
      'withWorkloadProxy: pod.serviceAccountName is "default" but the service\'s identity is "order-api" (remove it or set it to "order-api")',
    );
  });

  it("refuses a container or volume of the proxy's names", () => {
    expect(() => withWorkloadProxy({ containers: [app, { name: "ztmesh-proxy" }] }, proxy)).toThrow('withWorkloadProxy: the pod already has container "ztmesh-proxy" (rename yours)');
    expect(() => withWorkloadProxy({ containers: [app], volumes: [{ name: "ztmesh-proxy-tmp" }, { name: "ztmesh-proxy-config" }] }, proxy)).toThrow(
      'withWorkloadProxy: the pod already has volume "ztmesh-proxy-config", "ztmesh-proxy-tmp" (rename yours)',
    );
  });
});

describe("meshServicePort", () => {
  it("exposes the mesh port, the only one callers reach", () => {
    expect(meshServicePort()).toEqual({ name: "mesh", port: 15006, targetPort: 15006, protocol: "TCP" });
  });
});

describe("host aliases over generated meshes", () => {
  it("map every name of every upstream to one address, where the proxy listens on each of the upstream's ports", () => {
    fc.assert(
      fc.property(arbMesh(), ({ mesh: m, domains: d }) => {
        const generated = buildMesh(m, d);
        for (const key of generated.services.keys()) {
          const aliases = workloadProxyPod(generated, key).hostAliases;
          const byName = new Map<string, string[]>();
          for (const a of aliases) for (const h of a.hostnames) byName.set(h, [...(byName.get(h) ?? []), a.ip]);
          // A name mapped twice would resolve to either listener.
          for (const [h, ips] of byName) expect(ips, `${key}: ${h}`).toHaveLength(1);
          const listeners = new Set(
            compileWorkloadProxy(generated, key).static_resources.listeners.map((l) => ("socket_address" in l.address ? `${l.address.socket_address.address}:${l.address.socket_address.port_value}` : "")),
          );
          for (const u of workloadUpstreams(generated, key)) {
            for (const h of u.hostnames) expect(byName.get(h), `${key}: ${h}`).toEqual([u.address]);
            expect(listeners.has(`${u.address}:${u.port}`), `${key}: ${u.key}:${u.port}`).toBe(true);
          }
        }
      }),
      { numRuns: 30 },
    );
  });
});
