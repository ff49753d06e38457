/**
 * A {@link MeshSnapshot} straight from the compilers, without Pulumi or a deployment: every
 * zone's plan (`plan/zone.ts`): gateway and egress gateway, every service's workload proxy and every data product's proxy (their
 * bootstraps, pod labels, host aliases and in-cluster names), the zone's NetworkPolicies
 * (mesh and system) and its policy engine data. Services: a data proxy's exposes the mesh port
 * only (as the DataProxy component's does); a service's own Service is the team's, so its
 * ports are not modelled (a connection keeps its port). What ztmesh would deploy for `model`, for
 * property tests and for checking a model before any stack runs.
 */
import { GATEWAY_PORT, MESH_PORT, egressGatewayServiceAccount, gatewayServiceAccount } from "../compile/envoy/names";
import { APP_NAME_LABEL, EGRESS_GATEWAY_APP, GATEWAY_APP, SYSTEM_NAMESPACE, workloadLabels } from "../compile/kubernetes/labels";
import { dataTree } from "../compile/opa/decide";
import { type MeshModel, zoneGateway } from "../model/model";
import { planZone } from "../plan/zone";
import { declaredGatewayAddress } from "./snapshot";
import type { HostEntry, MeshSnapshot, Obj, ProxySnapshot, ZoneSnapshot } from "./types";

const asObj = (b: unknown): Obj => JSON.parse(JSON.stringify(b)) as Obj;

/** The in-cluster names of Service `name` in `namespace`. */
function serviceNames(name: string, namespace: string): string[] {
  return [`${name}.${namespace}.svc.cluster.local`, `${name}.${namespace}.svc`, `${name}.${namespace}`];
}

/** Builds the snapshot of what the compilers produce for `model` (policy modules are not needed: `decide` is the policy). */
export function snapshotFromModel(model: MeshModel): MeshSnapshot {
  const zones: Record<string, ZoneSnapshot> = {};
  const proxies: ProxySnapshot[] = [];
  const hosts: HostEntry[] = [];
  const plans = model.zones.map((z) => planZone(model, z.id, { opa: { policyModules: {} } }));
  for (const plan of plans) {
    const z = plan.zone;
    const bundles = plan.opa;
    zones[z.id] = {
      id: z.id,
      networkPolicies: [...plan.networkPolicies.workloads, ...plan.networkPolicies.system],
      namespaceLabels: {},
      opa: { data: dataTree(bundles), bundles: [bundles.platform.name, ...Object.values(bundles.domains).map((b) => b.name)] },
      opaNotes: [],
    };
    const gw = gatewayServiceAccount(z.id);
    const id = `${z.id}/${SYSTEM_NAMESPACE}/${gw}`;
    proxies.push({
      id,
      zone: z.id,
      namespace: SYSTEM_NAMESPACE,
      kind: "gateway",
      podLabels: { [APP_NAME_LABEL]: GATEWAY_APP },
      podLabelsFrom: "the gateway compiler",
      serviceAccount: gw,
      hostAliases: {},
      namedPorts: {},
      bootstrap: asObj(plan.gateway),
      origin: `compileGateway(${z.id})`,
    });
    const eg = egressGatewayServiceAccount(z.id);
    const egId = `${z.id}/${SYSTEM_NAMESPACE}/${eg}`;
    proxies.push({
      id: egId,
      zone: z.id,
      namespace: SYSTEM_NAMESPACE,
      kind: "egress-gateway",
      podLabels: { [APP_NAME_LABEL]: EGRESS_GATEWAY_APP },
      podLabelsFrom: "the egress gateway compiler",
      serviceAccount: eg,
      hostAliases: {},
      namedPorts: {},
      bootstrap: asObj(plan.egressGateway),
      origin: `compileEgressGateway(${z.id})`,
    });
    for (const h of serviceNames(eg, SYSTEM_NAMESPACE)) hosts.push({ host: h, zone: z.id, proxy: egId, ports: { [MESH_PORT]: MESH_PORT }, from: "the zone's egress gateway Service" });
    const gwAddress = declaredGatewayAddress(model, z.id);
    hosts.push({ host: zoneGateway(z, model.trustDomain).host, proxy: id, ports: { [GATEWAY_PORT]: GATEWAY_PORT }, from: "the zone's gateway host", ...(gwAddress ? { address: gwAddress } : {}) });
  }
  for (const { service: svc, pod, bootstrap } of plans.flatMap((p) => p.workloadProxies)) {
    const hostAliases: Record<string, string> = {};
    for (const a of pod.hostAliases) for (const h of a.hostnames) hostAliases[h] = a.ip;
    const id = `${svc.zone}/${svc.namespace}/${svc.name}-proxy`;
    proxies.push({
      id,
      zone: svc.zone,
      namespace: svc.namespace,
      kind: "workload",
      workload: svc.key,
      podLabels: pod.labels,
      podLabelsFrom: "workloadProxyPod",
      serviceAccount: pod.serviceAccountName,
      hostAliases,
      namedPorts: {},
      bootstrap: asObj(bootstrap),
      origin: `compileWorkloadProxy(${svc.key})`,
    });
    for (const h of serviceNames(svc.name, svc.namespace)) hosts.push({ host: h, zone: svc.zone, proxy: id, from: `Service of ${svc.key}` });
  }
  for (const { product: p, bootstrap } of plans.flatMap((plan) => plan.dataProxies)) {
    const id = `${p.zone}/${p.namespace}/${p.proxy.name}`;
    proxies.push({
      id,
      zone: p.zone,
      namespace: p.namespace,
      kind: "data-proxy",
      workload: p.key,
      podLabels: workloadLabels(p.proxy),
      podLabelsFrom: "the data proxy's workload labels",
      serviceAccount: p.proxy.serviceAccount,
      hostAliases: {},
      namedPorts: {},
      bootstrap: asObj(bootstrap),
      origin: `compileDataProxy(${p.key})`,
    });
    for (const h of serviceNames(p.proxy.name, p.namespace)) hosts.push({ host: h, zone: p.zone, proxy: id, ports: { [MESH_PORT]: MESH_PORT }, from: `Service of ${p.key}'s proxy` });
  }
  return { trustDomain: model.trustDomain, zones, proxies, hosts, model, warnings: [] };
}
