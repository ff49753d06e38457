/**
 * One typed plan per zone: everything ztmesh deploys into a zone for a model, as plain data from
 * the pure compilers (no Pulumi). The request path's parts are here together: the zone gateway
 * (SNI passthrough), the egress gateway (token endpoints), the policy engine's mTLS front and its
 * bundles, each service's workload proxy (bootstrap, pod additions, upstreams), each data
 * product's proxy, and the NetworkPolicies (workloads and system). The components instantiate
 * their part of it (MeshDomain the domain's proxies; the gateway, egress gateway and policy
 * engine their bootstraps), and the tracer's `snapshotFromModel` reads all of it, so what is
 * traced is what is deployed.
 *
 * ```ts
 * const plan = planZone(model, "aws-eu");
 * plan.workloadProxies.find((w) => w.service.key === "trading/trade-query")?.upstreams;
 * ```
 */
import { compileAuthzFront } from "../compile/envoy/authz-front";
import { compileDataProxy } from "../compile/envoy/data-proxy";
import { compileEgressGateway } from "../compile/envoy/egress";
import { compileGateway } from "../compile/envoy/gateway";
import type { EnvoyBootstrap } from "../compile/envoy/types";
import { compileWorkloadProxy, type Upstream, workloadUpstreams } from "../compile/envoy/workload-proxy";
import { type EgressTarget, meshEgressTargets, workloadEgressTargets } from "../compile/egress-targets";
import { compileNetworkPolicies } from "../compile/kubernetes/compile";
import { compileSystemNetworkPolicies } from "../compile/kubernetes/system";
import type { NetworkPolicy } from "../compile/kubernetes/types";
import { type WorkloadProxyPod, workloadProxyPod } from "../compile/kubernetes/workload-proxy";
import { type CompileOpaOptions, compileOpaBundles } from "../compile/opa/compile";
import type { OpaZoneBundles } from "../compile/opa/types";
import type { DataProduct, MeshModel, Service, Zone } from "../model/model";

/** A service's workload proxy, as its pod runs it. */
export interface PlannedWorkloadProxy {
  service: Service;
  /** Its Envoy bootstrap (inbound enforcement point and one listener per upstream). */
  bootstrap: EnvoyBootstrap;
  /** What its pod needs (container, volumes, host aliases, labels, service account). */
  pod: WorkloadProxyPod;
  /** The upstreams its intents declare (services, data products, token endpoints). */
  upstreams: Upstream[];
  /** The cloud token endpoints among them (through the zone's egress gateway). */
  egressTargets: EgressTarget[];
}

/** A data product's proxy. */
export interface PlannedDataProxy {
  product: DataProduct;
  bootstrap: EnvoyBootstrap;
}

/** Everything ztmesh deploys into one zone for a model. */
export interface ZonePlan {
  zone: Zone;
  /** The zone gateway: SNI passthrough to the mesh port, no per-domain content. */
  gateway: EnvoyBootstrap;
  /** The egress gateway: one chain per token endpoint of the mesh's clouds. */
  egressGateway: EnvoyBootstrap;
  /** The token endpoints the egress gateway serves. */
  egressTargets: EgressTarget[];
  /** The policy engine's mTLS front. */
  policyEngineFront: EnvoyBootstrap;
  /** The OPA bundles the zone's policy engine loads (platform and each domain's). */
  opa: OpaZoneBundles;
  /** NetworkPolicies of the mesh workloads (by namespace) and of `ztmesh-system`. */
  networkPolicies: { workloads: NetworkPolicy[]; system: NetworkPolicy[] };
  /** The zone's services' workload proxies, by service key. */
  workloadProxies: PlannedWorkloadProxy[];
  /** The zone's data products' proxies, by product key. */
  dataProxies: PlannedDataProxy[];
}

/** Options of {@link planZone}. */
export interface PlanOptions {
  /** Only the workload and data proxies of this domain (a domain stack's part). @default every domain's */
  domain?: string;
  /** Passed to `compileOpaBundles` (e.g. `policyModules: {}` where the Rego text is not needed). */
  opa?: CompileOpaOptions;
}

/** The workload proxies of zone `zoneId`'s services (of `domain` only, when given): what a domain stack instantiates. */
export function planWorkloadProxies(model: MeshModel, zoneId: string, domain?: string): PlannedWorkloadProxy[] {
  return [...model.services.values()]
    .filter((s) => s.zone === zoneId && (domain === undefined || s.domain === domain))
    .map((service) => ({
      service,
      bootstrap: compileWorkloadProxy(model, service.key),
      pod: workloadProxyPod(model, service.key),
      upstreams: workloadUpstreams(model, service.key),
      egressTargets: workloadEgressTargets(model, service.key),
    }));
}

/**
 * The plan of zone `zoneId`. Pure and deterministic.
 * @throws Error when the zone is not in the model.
 */
export function planZone(model: MeshModel, zoneId: string, opts: PlanOptions = {}): ZonePlan {
  const zone = model.zones.find((z) => z.id === zoneId);
  if (!zone) throw new Error(`planZone: zone "${zoneId}" is not in the mesh (zones: ${model.zones.map((z) => z.id).join(", ")})`);
  const mine = (d: { domain: string; zone: string }): boolean => d.zone === zoneId && (opts.domain === undefined || d.domain === opts.domain);
  return {
    zone,
    gateway: compileGateway(model, zoneId),
    egressGateway: compileEgressGateway(model, zoneId),
    egressTargets: meshEgressTargets(model),
    policyEngineFront: compileAuthzFront(model, zoneId),
    opa: compileOpaBundles(model, zoneId, opts.opa),
    networkPolicies: { workloads: compileNetworkPolicies(model, zoneId), system: compileSystemNetworkPolicies(model, zoneId) },
    workloadProxies: planWorkloadProxies(model, zoneId, opts.domain),
    dataProxies: [...model.dataProducts.values()].filter(mine).map((product) => ({ product, bootstrap: compileDataProxy(model, product.key) })),
  };
}
