/**
 * What every component creating resources in a zone's cloud account shares (workload identity
 * federation, audit log store): picking the cloud implementation from the zone, the zone's
 * cloud settings, and the `tags` argument and the tags every resource carries.
 */
import { CLOUD_TAGS } from "../conventions";
import type { Zone } from "../model/model";
import { type ArgChecker, show } from "./args";

/** The clouds ztmesh creates resources in. */
export type CloudName = "aws" | "azure" | "gcp";

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** True for a GUID (Azure ids). */
export const isGuid = (v: unknown): v is string => typeof v === "string" && GUID.test(v);

/**
 * The implementation for `zone`'s cloud out of `clouds`. Stops validation (throws the
 * `ValidationError`) when the zone is missing or on-prem, explaining with `onprem`; records an
 * issue and returns undefined for an unknown cloud.
 */
export function zoneCloud<T>(
  c: ArgChecker,
  zone: Zone | undefined,
  clouds: Readonly<Record<CloudName, T>>,
  opts: { onprem: string; onpremFix: string; unknownFix: string },
): T | undefined {
  if (!zone || typeof zone !== "object") {
    c.check(false, "zone", `must be a zone of the mesh model, got ${show(zone)}`, "pass model.zones.find(z => z.id === ...)");
    c.done();
  }
  const cloudName = zone!.cloud as string;
  if (cloudName === "onprem") {
    c.check(false, "zone.cloud", `zone "${zone!.id}" is "onprem": ${opts.onprem}`, opts.onpremFix);
    c.done();
  }
  const cloud = cloudName === "aws" || cloudName === "azure" || cloudName === "gcp" ? clouds[cloudName] : undefined;
  c.check(cloud !== undefined, "zone.cloud", `unknown cloud ${show(cloudName)} in zone ${show(zone!.id)}`, opts.unknownFix);
  return cloud;
}

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

/** Records an issue unless `tags` is absent or an object of string values. */
export function checkTags(c: ArgChecker, tags: unknown): void {
  c.check(
    tags === undefined || (typeof tags === "object" && tags !== null && !Array.isArray(tags) && Object.values(tags).every((v) => typeof v === "string")),
    "tags",
    `must be an object of string values, got ${show(tags)}`,
    'e.g. { team: "platform" }',
  );
}

/** The caller's `tags`, then `extra`, then the zone and managed-by tags every ztmesh cloud resource carries. */
export function cloudTags(zone: Zone, tags: Record<string, string> | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(tags ?? {}), ...extra, [CLOUD_TAGS.zone]: zone.id, [CLOUD_TAGS.managedBy]: "ztmesh" };
}
