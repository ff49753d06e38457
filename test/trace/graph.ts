/**
 * A mesh's stacks as graph resources (the shape of a `pulumi stack export`'s resources), built
 * from the compilers without Pulumi: the platform stack (per zone: gateway ConfigMap, its
 * Deployment and load-balancer Service, the egress gateway, the policy engine's config, the platform bundle, the
 * NetworkPolicies) and one stack per domain (workload proxy ConfigMaps without pod templates,
 * data proxies with Deployments and Services, domain bundles, the contract output). Each stack
 * has its own Kubernetes providers, pointing at the zones' clusters by kubeconfig context.
 */
import { compileDataProxy } from "../../components/compile/envoy/data-proxy";
import { compileEgressGateway } from "../../components/compile/envoy/egress";
import { compileGateway } from "../../components/compile/envoy/gateway";
import { MESH_PORT } from "../../components/compile/envoy/names";
import { compileWorkloadProxy } from "../../components/compile/envoy/workload-proxy";
import { toYaml } from "../../components/compile/envoy/yaml";
import { compileNetworkPolicies } from "../../components/compile/kubernetes/compile";
import { workloadLabels } from "../../components/compile/kubernetes/labels";
import { compileSystemNetworkPolicies } from "../../components/compile/kubernetes/system";
import { compileOpaBundles } from "../../components/compile/opa/compile";
import { bundleFiles } from "../../components/compile/opa/files";
import { tarGz } from "../../components/compile/opa/tarball";
import type { DomainSpec, MeshModel, MeshSpec } from "../../components/model";
import type { GraphResource, Obj } from "../../components/trace";

export interface StackResources {
  stack: string;
  resources: GraphResource[];
}

class Stack {
  readonly resources: GraphResource[] = [];
  private readonly providers = new Map<string, string>();
  constructor(readonly name: string) {}

  provider(zone: string): string {
    let ref = this.providers.get(zone);
    if (!ref) {
      const urn = `urn:pulumi:${this.name}::ztmesh::pulumi:providers:kubernetes::${zone}-cluster`;
      this.resources.push({ type: "pulumi:providers:kubernetes", urn, inputs: { context: `ctx-${zone}` } });
      ref = `${urn}::${zone}-cluster-id`;
      this.providers.set(zone, ref);
    }
    return ref;
  }

  k8s(zone: string, kind: string, type: string, name: string, inputs: Obj, outputs?: Obj): void {
    this.resources.push({ type, urn: `urn:pulumi:${this.name}::ztmesh::${type}::${zone}-${kind}-${name}`, provider: this.provider(zone), inputs, ...(outputs ? { outputs } : {}) });
  }

  configMap(zone: string, ns: string, name: string, data: Record<string, string>, labels: Record<string, string>): void {
    this.k8s(zone, "cm", "kubernetes:core/v1:ConfigMap", `${ns}-${name}`, { metadata: { name, namespace: ns, labels }, data });
  }

  deployment(zone: string, ns: string, name: string, podLabels: Record<string, string>, configMap: string, serviceAccount: string): void {
    this.k8s(zone, "deploy", "kubernetes:apps/v1:Deployment", `${ns}-${name}`, {
      metadata: { name, namespace: ns },
      spec: { template: { metadata: { labels: podLabels }, spec: { serviceAccountName: serviceAccount, containers: [{ name: "envoy" }], volumes: [{ name: "config", configMap: { name: configMap } }] } } },
    });
  }

  service(zone: string, ns: string, name: string, selector: Record<string, string>, ports: Array<[number, number]>, lb?: string): void {
    this.k8s(
      zone,
      "svc",
      "kubernetes:core/v1:Service",
      `${ns}-${name}`,
      { metadata: { name, namespace: ns }, spec: { selector, ports: ports.map(([port, targetPort]) => ({ port, targetPort })), ...(lb ? { type: "LoadBalancer" } : {}) } },
      lb ? { status: { loadBalancer: { ingress: [{ hostname: lb }] } } } : undefined,
    );
  }

  outputs(outputs: Obj): void {
    this.resources.push({ type: "pulumi:pulumi:Stack", urn: `urn:pulumi:${this.name}::ztmesh::pulumi:pulumi:Stack::ztmesh-${this.name}`, inputs: {}, outputs });
  }

  bundle(zone: string, key: string, archive: Buffer): void {
    this.resources.push({ type: "aws:s3/bucketObjectv2:BucketObjectv2", urn: `urn:pulumi:${this.name}::ztmesh::aws:s3/bucketObjectv2:BucketObjectv2::${key}`, inputs: { bucket: `bundles-${zone}`, key, contentBase64: archive.toString("base64") } });
  }
}

/** The stacks of `model` (declared by `mesh` and `domains`) as graph resources. */
export function meshStacks(model: MeshModel, mesh: MeshSpec, domains: DomainSpec[]): StackResources[] {
  const platform = new Stack("platform");
  const perDomain = new Map(domains.map((d) => [d.name, new Stack(d.name)]));
  for (const z of model.zones) {
    const gw = `${z.id}-gateway`;
    platform.configMap(z.id, "ztmesh-system", `${gw}-envoy`, { "envoy.yaml": toYaml(compileGateway(model, z.id)) }, { "ztmesh.io/role": "envoy", "ztmesh.io/zone": z.id, "app.kubernetes.io/component": "gateway" });
    platform.deployment(z.id, "ztmesh-system", gw, { "app.kubernetes.io/name": "ztmesh-gateway", "app.kubernetes.io/component": "gateway" }, `${gw}-envoy`, gw);
    platform.service(z.id, "ztmesh-system", gw, { "app.kubernetes.io/name": "ztmesh-gateway" }, [[8443, 8443]], `lb-${z.id}.example`);
    const eg = `${z.id}-egress`;
    platform.configMap(z.id, "ztmesh-system", `${eg}-envoy`, { "envoy.yaml": toYaml(compileEgressGateway(model, z.id)) }, { "ztmesh.io/role": "envoy", "app.kubernetes.io/component": "egress-gateway" });
    platform.deployment(z.id, "ztmesh-system", eg, { "app.kubernetes.io/name": "ztmesh-egress-gateway", "app.kubernetes.io/component": "egress-gateway" }, `${eg}-envoy`, eg);
    platform.service(z.id, "ztmesh-system", eg, { "app.kubernetes.io/name": "ztmesh-egress-gateway" }, [[MESH_PORT, MESH_PORT]]);
    const bundles = compileOpaBundles(model, z.id, { policyModules: {} });
    const names = [bundles.platform.name, ...Object.keys(bundles.domains).map((d) => bundles.domains[d].name)];
    const config = {
      services: { store: { url: `https://bundles-${z.id}.s3.example.com` } },
      bundles: Object.fromEntries(names.map((n) => [n, { service: "store", resource: `opa/${z.id}/${n}.tar.gz` }])),
      plugins: { envoy_ext_authz_grpc: { addr: ":9191", path: "envoy/authz/allow" } },
    };
    platform.configMap(z.id, "ztmesh-system", `${z.id}-policy-engine-config`, { "config.yaml": toYaml(config) }, { "ztmesh.io/role": "opa-config" });
    platform.bundle(z.id, `opa/${z.id}/${bundles.platform.name}.tar.gz`, tarGz(bundleFiles(bundles.platform)));
    for (const [d, b] of Object.entries(bundles.domains)) perDomain.get(d)!.bundle(z.id, `opa/${z.id}/${b.name}.tar.gz`, tarGz(bundleFiles(b)));
    // NetworkPolicies carry no zone label here: their zone comes from the provider.
    for (const np of [...compileNetworkPolicies(model, z.id), ...compileSystemNetworkPolicies(model, z.id)]) {
      const { labels: _labels, ...metadata } = np.metadata;
      platform.k8s(z.id, "np", "kubernetes:networking.k8s.io/v1:NetworkPolicy", `${np.metadata.namespace}-${np.metadata.name}`, { ...np, metadata });
    }
  }
  platform.outputs({ contract: { mesh: mesh as unknown as Obj, zones: model.zones.map((z) => ({ id: z.id, gatewayAddress: `lb-${z.id}.example` })) } });
  for (const svc of model.services.values()) {
    perDomain.get(svc.domain)!.configMap(svc.zone, svc.namespace, `${svc.name}-proxy`, { "envoy.yaml": toYaml(compileWorkloadProxy(model, svc.key)) }, {
      "ztmesh.io/role": "envoy",
      "ztmesh.io/zone": svc.zone,
      "ztmesh.io/proxy": "workload",
      "ztmesh.io/domain": svc.domain,
      "ztmesh.io/workload": svc.name,
    });
  }
  for (const p of model.dataProducts.values()) {
    const s = perDomain.get(p.domain)!;
    const labels = workloadLabels(p.proxy);
    s.configMap(p.zone, p.namespace, `${p.proxy.name}-envoy`, { "envoy.yaml": toYaml(compileDataProxy(model, p.key)) }, { "ztmesh.io/role": "envoy", "app.kubernetes.io/component": "data-proxy" });
    s.deployment(p.zone, p.namespace, p.proxy.name, labels, `${p.proxy.name}-envoy`, p.proxy.serviceAccount);
    s.service(p.zone, p.namespace, p.proxy.name, labels, [[MESH_PORT, MESH_PORT]]);
  }
  for (const d of domains) perDomain.get(d.name)!.outputs({ contract: { domain: d as unknown as Obj } });
  return [{ stack: "platform", resources: platform.resources }, ...[...perDomain.values()].map((s) => ({ stack: s.name, resources: s.resources }))];
}

/** A stack's resources as a `pulumi stack export` document. */
export function stackExport(resources: GraphResource[]): Obj {
  return {
    version: 3,
    deployment: {
      manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "test" },
      resources: resources.map((r) => ({ urn: r.urn, custom: true, type: r.type, inputs: r.inputs, outputs: r.outputs ?? {}, ...(r.provider ? { provider: r.provider } : {}) })),
    },
  };
}
