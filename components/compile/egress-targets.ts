/**
 * Which cloud endpoints outside the mesh a workload may reach (through its zone's egress
 * gateway): the token endpoints of the clouds whose object stores its data intents name. Pure;
 * read by the workload proxy, the egress gateway, the OPA bundles and the NetworkPolicies.
 */
import type { DataProduct, MeshModel, Zone } from "../model/model";
import type { Cloud } from "../model/types";

/** A cloud endpoint outside the mesh that workloads may reach through the egress gateway. */
export interface EgressTarget {
  /** A DNS label naming the target in SNI and OPA data (`aws-sts`, `aws-sts-eu-west-1`, ...). */
  id: string;
  /** The endpoint's host name (the application connects to it by this name, on 443). */
  host: string;
  /** The cloud whose token endpoint it is. */
  cloud: Exclude<Cloud, "onprem">;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The token endpoints of `cloud` that workloads federated to the store zones `zones` use: AWS STS
 * (global and each zone's regional endpoint), Entra ID's login endpoint, Google STS. Sorted by id.
 */
export function tokenTargets(cloud: Exclude<Cloud, "onprem">, zones: readonly Zone[]): EgressTarget[] {
  const out = new Map<string, EgressTarget>();
  if (cloud === "aws") {
    out.set("aws-sts", { id: "aws-sts", host: "sts.amazonaws.com", cloud });
    for (const z of zones) {
      const suffix = z.aws?.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
      out.set(`aws-sts-${z.region}`, { id: `aws-sts-${z.region}`, host: `sts.${z.region}.${suffix}`, cloud });
    }
  } else if (cloud === "azure") {
    out.set("azure-login", { id: "azure-login", host: "login.microsoftonline.com", cloud });
  } else {
    out.set("gcp-sts", { id: "gcp-sts", host: "sts.googleapis.com", cloud });
  }
  return [...out.values()].sort((a, b) => cmp(a.id, b.id));
}

/** Every token endpoint of the mesh's clouds (what each zone's egress gateway serves). */
export function meshEgressTargets(model: MeshModel): EgressTarget[] {
  const out = new Map<string, EgressTarget>();
  for (const cloud of ["aws", "azure", "gcp"] as const) {
    const zones = model.zones.filter((z) => z.cloud === cloud);
    if (zones.length === 0) continue;
    for (const t of tokenTargets(cloud, zones)) out.set(t.id, t);
  }
  return [...out.values()].sort((a, b) => cmp(a.id, b.id));
}

const OBJECT_STORE_CLOUD: Partial<Record<DataProduct["engine"], Exclude<Cloud, "onprem">>> = { s3: "aws", gcs: "gcp", blob: "azure" };

/** The token endpoints workload `serviceKey` needs: those of the clouds of the object stores its data intents name. */
export function workloadEgressTargets(model: MeshModel, serviceKey: string): EgressTarget[] {
  const out = new Map<string, EgressTarget>();
  for (const intent of model.intents) {
    if (intent.kind !== "data" || (intent.source.kind === "workload" && intent.source.key !== serviceKey)) continue;
    const product = model.dataProducts.get(intent.to);
    const cloud = product ? OBJECT_STORE_CLOUD[product.engine] : undefined;
    if (!product || !cloud) continue;
    const zone = model.zones.find((z) => z.id === product.zone);
    for (const t of tokenTargets(cloud, zone ? [zone] : [])) out.set(t.id, t);
  }
  return [...out.values()].sort((a, b) => cmp(a.id, b.id));
}

/** The SNI a workload's proxy sends to the egress gateway for `target`: `<domain>.<target>.egress.<trustDomain>`. */
export function egressServerName(domain: string, targetId: string, trustDomain: string): string {
  return `${domain}.${targetId}.egress.${trustDomain}`;
}
