/** Explicit cloud providers for the example stacks, one per cloud zone (never the default provider). */
import * as aws from "@pulumi/aws";
import * as azure from "@pulumi/azure-native/provider";
import * as gcp from "@pulumi/gcp";
import type * as pulumi from "@pulumi/pulumi";
import type { ZoneSpec } from "../../components/model";

/** The zone's cloud provider, or undefined on-prem. */
export function cloudProvider(zone: ZoneSpec): pulumi.ProviderResource | undefined {
  switch (zone.cloud) {
    case "aws":
      return new aws.Provider(`${zone.id}-aws`, { region: zone.region as aws.Region, allowedAccountIds: zone.aws ? [zone.aws.accountId] : undefined });
    case "gcp":
      return new gcp.Provider(`${zone.id}-gcp`, { project: zone.gcp?.project, region: zone.region });
    case "azure":
      return new azure.Provider(`${zone.id}-azure`, { subscriptionId: zone.azure?.subscriptionId, tenantId: zone.azure?.tenantId, location: zone.region });
    default:
      return undefined;
  }
}
