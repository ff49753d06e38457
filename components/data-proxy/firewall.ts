/**
 * The cloud firewall that makes the data proxy the only network path to a database store:
 * the store admits its port only from the proxy's source (pod/node CIDRs or a security group).
 * One function per cloud; the model has no network ids or CIDRs, so they come from
 * {@link StoreNetworkArgs}.
 */
import * as aws from "@pulumi/aws";
import * as network from "@pulumi/azure-native/network";
import * as gcp from "@pulumi/gcp";
import type * as pulumi from "@pulumi/pulumi";
import type { ArgChecker } from "../common/args";
import { show } from "../common/args";
import { CLOUD_TAGS, ROLES } from "../conventions";
import type { DataProduct } from "../model/model";

/** AWS: a security group ingress rule per proxy source on the store's security group. */
export interface AwsStoreNetwork {
  cloud: "aws";
  /** The store's security group (e.g. the RDS instance's). */
  securityGroupId: pulumi.Input<string>;
  /** CIDRs the proxy's traffic comes from (pod CIDR with VPC CNI, else node subnets). @default [] */
  sourceCidrs?: string[];
  /** Or: the security group of the proxy's pods/nodes. @default none */
  sourceSecurityGroupId?: pulumi.Input<string>;
}

/** Azure: an Allow rule from the proxy subnet to the store, and a Deny for everything else to it. */
export interface AzureStoreNetwork {
  cloud: "azure";
  resourceGroupName: pulumi.Input<string>;
  /** The NSG in front of the store's subnet. */
  networkSecurityGroupName: pulumi.Input<string>;
  /** CIDRs of the proxy's subnet(s). */
  sourceCidrs: string[];
  /** The store's address or subnet. */
  storeCidr: string;
  /** Priority of the Allow rule (100-4096). @default 200 */
  priority?: number;
  /** Priority of the Deny rule; larger (evaluated later) than `priority`. @default 4000 */
  denyPriority?: number;
}

/** GCP: an INGRESS firewall rule to the store's network tags from the proxy's ranges only. */
export interface GcpStoreNetwork {
  cloud: "gcp";
  /** The VPC network (name or self link). */
  network: pulumi.Input<string>;
  /** Proxy source ranges (GKE pod range or node subnet). */
  sourceCidrs: string[];
  /** Network tags of the store's instances. */
  targetTags: string[];
  /** Project. @default the provider's */
  project?: pulumi.Input<string>;
  /** Rule priority. @default 1000 */
  priority?: number;
}

/** Where a database store sits on its cloud network, per cloud. */
export type StoreNetworkArgs = AwsStoreNetwork | AzureStoreNetwork | GcpStoreNetwork;

const CIDR = /^([0-9]{1,3}\.){3}[0-9]{1,3}\/([0-9]|[12][0-9]|3[0-2])$|^[0-9a-fA-F:]+\/[0-9]{1,3}$/;
const OPEN = new Set(["0.0.0.0/0", "::/0"]);

/** Validates {@link StoreNetworkArgs} for a product in a zone of `cloud`. */
export function checkStoreNetwork(check: ArgChecker, s: StoreNetworkArgs, product: DataProduct, cloud: string): void {
  check.check(product.engine === "postgres" || product.engine === "mysql", "storeNetwork", `applies to database stores only; "${product.key}" is ${product.engine} (object stores are limited by IAM, see WorkloadIdentityFederation)`, "remove storeNetwork");
  check.check(s.cloud === cloud, "storeNetwork.cloud", `is ${show(s.cloud)} but the product's zone "${product.zone}" is in ${cloud}`);
  const cidrs = s.sourceCidrs ?? [];
  for (const [i, c] of cidrs.entries()) {
    check.check(CIDR.test(c), `storeNetwork.sourceCidrs[${i}]`, `is not a CIDR: ${show(c)}`);
    check.check(!OPEN.has(c), `storeNetwork.sourceCidrs[${i}]`, `${c} would open the store to everyone`, "name the proxy's pod or node range");
  }
  if (s.cloud === "aws") {
    check.check(cidrs.length > 0 || s.sourceSecurityGroupId !== undefined, "storeNetwork", "needs sourceCidrs or sourceSecurityGroupId (the proxy's source)");
  } else {
    check.check(cidrs.length > 0, "storeNetwork.sourceCidrs", "needs at least one CIDR (the proxy's source)");
  }
  if (s.cloud === "azure") {
    check.check(CIDR.test(s.storeCidr), "storeNetwork.storeCidr", `is not a CIDR: ${show(s.storeCidr)}`);
    const p = s.priority ?? 200;
    const d = s.denyPriority ?? 4000;
    check.check(Number.isInteger(p) && p >= 100 && p <= 4096, "storeNetwork.priority", `must be 100-4096, got ${show(p)}`);
    check.check(Number.isInteger(d) && d > p && d <= 4096, "storeNetwork.denyPriority", `must be > priority (${p}) and <= 4096, got ${show(d)}`);
  }
  if (s.cloud === "gcp") check.check(s.targetTags.length > 0, "storeNetwork.targetTags", "needs the store's network tags");
}

/** Creates the store firewall rules; returns them. */
export function storeFirewall(name: string, s: StoreNetworkArgs, product: DataProduct, parent: pulumi.Resource): pulumi.CustomResource[] {
  const port = product.port;
  const marker = `${CLOUD_TAGS.role}=${ROLES.dataProxy}`;
  const description = `ztmesh: ${product.key} store admits port ${port} only from its data proxy (${marker})`;
  switch (s.cloud) {
    case "aws": {
      const tags = { [CLOUD_TAGS.role]: ROLES.dataProxy, [CLOUD_TAGS.zone]: product.zone, [CLOUD_TAGS.managedBy]: "ztmesh" };
      const base = { securityGroupId: s.securityGroupId, ipProtocol: "tcp", fromPort: port, toPort: port, description, tags };
      const rules: pulumi.CustomResource[] = (s.sourceCidrs ?? []).map(
        (cidr, i) => new aws.vpc.SecurityGroupIngressRule(`${name}-store-ingress-${i}`, { ...base, ...(cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }) }, { parent }),
      );
      if (s.sourceSecurityGroupId !== undefined) {
        rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-store-ingress-sg`, { ...base, referencedSecurityGroupId: s.sourceSecurityGroupId }, { parent }));
      }
      return rules;
    }
    case "azure": {
      const common = {
        resourceGroupName: s.resourceGroupName,
        networkSecurityGroupName: s.networkSecurityGroupName,
        direction: "Inbound",
        protocol: "Tcp",
        sourcePortRange: "*",
        destinationAddressPrefix: s.storeCidr,
        destinationPortRange: String(port),
      };
      return [
        new network.SecurityRule(
          `${name}-store-allow`,
          { ...common, access: "Allow", priority: s.priority ?? 200, sourceAddressPrefixes: s.sourceCidrs, description },
          { parent },
        ),
        new network.SecurityRule(
          `${name}-store-deny`,
          { ...common, access: "Deny", priority: s.denyPriority ?? 4000, sourceAddressPrefix: "*", description: `ztmesh: deny every other source to ${product.key}'s store (${marker})` },
          { parent },
        ),
      ];
    }
    case "gcp":
      return [
        new gcp.compute.Firewall(
          `${name}-store-ingress`,
          {
            network: s.network,
            ...(s.project !== undefined ? { project: s.project } : {}),
            direction: "INGRESS",
            priority: s.priority ?? 1000,
            allows: [{ protocol: "tcp", ports: [String(port)] }],
            sourceRanges: s.sourceCidrs,
            targetTags: s.targetTags,
            description,
          },
          { parent },
        ),
      ];
  }
}
