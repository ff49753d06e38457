/**
 * Checks that a zone carries the cloud settings a cloud component needs. Shared by every
 * component that creates resources in a zone's cloud account (identity, log store).
 */
import { show, type ArgChecker } from "../common/args";
import type { Zone } from "../model/model";

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** Records an issue for each setting `zone` lacks for its cloud (`args.zone.<cloud>.<setting>`). */
export function checkZoneSettings(zone: Zone, c: ArgChecker): void {
  const where = `zone ${show(zone.id)}`;
  if (zone.cloud === "aws") {
    const account = zone.aws?.accountId;
    c.check(
      typeof account === "string" && /^\d{12}$/.test(account),
      "zone.aws.accountId",
      `${where} needs its 12-digit AWS account id, got ${show(account)}`,
      "set aws.accountId on the zone in the mesh declaration",
    );
  } else if (zone.cloud === "azure") {
    const az = zone.azure;
    const fix = "set azure.{subscriptionId, tenantId, resourceGroupName} on the zone in the mesh declaration";
    c.check(typeof az?.subscriptionId === "string" && GUID.test(az.subscriptionId), "zone.azure.subscriptionId", `${where} needs its subscription id (a GUID), got ${show(az?.subscriptionId)}`, fix);
    c.check(typeof az?.tenantId === "string" && GUID.test(az.tenantId), "zone.azure.tenantId", `${where} needs its tenant id (a GUID), got ${show(az?.tenantId)}`, fix);
    c.check(
      typeof az?.resourceGroupName === "string" && az.resourceGroupName.length > 0,
      "zone.azure.resourceGroupName",
      `${where} needs a resource group name, got ${show(az?.resourceGroupName)}`,
      fix,
    );
  } else if (zone.cloud === "gcp") {
    const g = zone.gcp;
    const fix = "set gcp.{project, projectNumber} on the zone in the mesh declaration";
    c.check(typeof g?.project === "string" && PROJECT_ID.test(g.project), "zone.gcp.project", `${where} needs a GCP project id, got ${show(g?.project)}`, fix);
    c.check(
      typeof g?.projectNumber === "string" && /^\d{6,20}$/.test(g.projectNumber),
      "zone.gcp.projectNumber",
      `${where} needs its GCP project number (digits), got ${show(g?.projectNumber)}`,
      fix,
    );
  }
}

/** True for a GUID (Azure ids). */
export const isGuid = (v: unknown): v is string => typeof v === "string" && GUID.test(v);
