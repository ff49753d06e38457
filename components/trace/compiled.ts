/**
 * A {@link MeshSnapshot} straight from the compilers, without Pulumi or a deployment: every
 * zone's gateway and egress gateway, every service's workload proxy and every data product's proxy (their
 * bootstraps, pod labels, host aliases and in-cluster names), the zone's NetworkPolicies
 * (mesh and system) and its policy engine data. Services: a data proxy's exposes the mesh port
 * only (as the DataProxy component's does); a service's own Service is the team's, so its
 * ports are not modelled (a connection keeps its port). What ztmesh would deploy for `model`, for
 * property tests and for checking a model before any stack runs.
 */
import { compileDataProxy } from "../compile/envoy/data-proxy";
import { compileEgressGateway } from "../compile/envoy/egress";
import { compileGateway } from "../compile/envoy/gateway";
import { GATEWAY_PORT, MESH_PORT, egressGatewayServiceAccount, gatewayServiceAccount } from "../compile/envoy/names";
import { compileWorkloadProxy } from "../compile/envoy/workload-proxy";
import { compileNetworkPolicies } from "../compile/kubernetes/compile";
import { APP_NAME_LABEL, EGRESS_GATEWAY_APP, GATEWAY_APP, SYSTEM_NAMESPACE, workloadLabels } from "../compile/kubernetes/labels";
import { compileSystemNetworkPolicies } from "../compile/kubernetes/system";
import { workloadProxyPod } from "../compile/kubernetes/workload-proxy";
import { dataTree } from "../compile/opa/decide";
import { compileOpaBundles } from "../compile/opa/compile";
import { type MeshModel, zoneGateway } from "../model/model";
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
  for (const z of model.zones) {
    const bundles = compileOpaBundles(model, z.id, { policyModules: {} });
    zones[z.id] = {
      id: z.id,
      networkPolicies: [...compileNetworkPolicies(model, z.id), ...compileSystemNetworkPolicies(model, z.id)],
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
      bootstrap: asObj(compileGateway(model, z.id)),
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
      bootstrap: asObj(compileEgressGateway(model, z.id)),
      origin: `compileEgressGateway(${z.id})`,
    });
    for (const h of serviceNames(eg, SYSTEM_NAMESPACE)) hosts.push({ host: h, zone: z.id, proxy: egId, ports: { [MESH_PORT]: MESH_PORT }, from: "the zone's egress gateway Service" });
    const gwAddress = declaredGatewayAddress(model, z.id);
    hosts.push({ host: zoneGateway(z, model.trustDomain).host, proxy: id, ports: { [GATEWAY_PORT]: GATEWAY_PORT }, from: "the zone's gateway host", ...(gwAddress ? { address: gwAddress } : {}) });
  }
  for (const svc of model.services.values()) {
    const pod = workloadProxyPod(model, svc.key);
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
      bootstrap: asObj(compileWorkloadProxy(model, svc.key)),
      origin: `compileWorkloadProxy(${svc.key})`,
    });
    for (const h of serviceNames(svc.name, svc.namespace)) hosts.push({ host: h, zone: svc.zone, proxy: id, from: `Service of ${svc.key}` });
  }
  for (const p of model.dataProducts.values()) {
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
      bootstrap: asObj(compileDataProxy(model, p.key)),
      origin: `compileDataProxy(${p.key})`,
    });
    for (const h of serviceNames(p.proxy.name, p.namespace)) hosts.push({ host: h, zone: p.zone, proxy: id, ports: { [MESH_PORT]: MESH_PORT }, from: `Service of ${p.key}'s proxy` });
  }
  return { trustDomain: model.trustDomain, zones, proxies, hosts, model, warnings: [] };
}
