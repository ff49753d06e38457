/**
 * The cloud-independent core of the audit log store: argument validation, defaults, and the
 * check of values that may arrive as Outputs. Pure except for {@link validated}, which only
 * wraps an Output.
 */
import * as pulumi from "@pulumi/pulumi";
import { ArgChecker, show } from "../common/args";
import { checkTags, checkZoneSettings, zoneCloud } from "../common/cloud";
import { DEFAULTS } from "../model/defaults";
import type { AuditLogStoreArgs, CloudLogStore, Retention } from "./types";

/** The component's type token. */
export const AUDIT_LOG_STORE_TYPE = "ztmesh:log-store:AuditLogStore";

/** The longest retention every cloud supports (S3 Object Lock: 36,500 days). */
export const MAX_RETAINED_DAYS = 36500;

/**
 * Validates the arguments (shared checks, then the cloud's own) and returns the cloud
 * implementation and the defaulted retention. Throws a `ValidationError`; creates nothing.
 */
export function resolveLogStoreArgs(
  name: string,
  args: AuditLogStoreArgs,
  clouds: Readonly<Record<"aws" | "azure" | "gcp", CloudLogStore>>,
): { cloud: CloudLogStore; retention: Retention; lockRetention: boolean } {
  const c = new ArgChecker("AuditLogStore", name);
  const zone = args?.zone;
  const cloud = zoneCloud(c, zone, clouds, {
    onprem: "there is no cloud object store to create there",
    onpremFix: "skip on-prem zones and point their collector at an external immutable store (e.g. the audit log store of a cloud zone in the same jurisdiction)",
    unknownFix: "pass a zone whose cloud is aws, azure or gcp",
  });
  const cloudName = zone.cloud as string;
  if (cloud) checkZoneSettings(zone, c);

  const r = args.retention ?? {};
  const hotDays = r.hotDays ?? DEFAULTS.logRetention.hotDays;
  const retainedDays = r.retainedDays ?? DEFAULTS.logRetention.retainedDays;
  c.check(Number.isInteger(hotDays) && hotDays >= 1, "retention.hotDays", `must be a whole number of days, at least 1, got ${show(hotDays)}`, "omit it for 90 days");
  c.check(
    Number.isInteger(retainedDays) && retainedDays <= MAX_RETAINED_DAYS,
    "retention.retainedDays",
    `must be a whole number of days, at most ${MAX_RETAINED_DAYS}, got ${show(retainedDays)}`,
    "omit it for 2555 days (7 years)",
  );
  c.check(
    !(Number.isInteger(hotDays) && Number.isInteger(retainedDays)) || retainedDays >= hotDays,
    "retention.retainedDays",
    `must be at least hotDays (${show(hotDays)}), got ${show(retainedDays)}`,
    "retainedDays counts all days (hot plus archive): raise it or lower hotDays",
  );
  c.check(
    args.lockRetention === undefined || typeof args.lockRetention === "boolean",
    "lockRetention",
    `must be a plain boolean, got ${show(args.lockRetention)}`,
    "pass true or false (an Input in an if would always be truthy)",
  );
  checkTags(c, args.tags);
  if (cloudName !== "azure") {
    c.check(args.encryptionIdentity === undefined, "encryptionIdentity", `only applies to Azure zones, but zone ${show(zone.id)} is ${show(cloudName)}`, "remove encryptionIdentity");
  }
  if (cloud) cloud.check(args, c);
  c.done();
  return { cloud: cloud!, retention: { hotDays, retainedDays }, lockRetention: args.lockRetention ?? false };
}

/**
 * Checks a value that may be an Input: a plain string is checked now (an issue at `path`),
 * anything else later by {@link validated}.
 */
export function checkPlain(c: ArgChecker, value: unknown, path: string, ok: (v: string) => boolean, expected: string, fix: string): void {
  if (value === undefined || pulumi.Output.isInstance(value) || (typeof value === "object" && value !== null && "then" in value)) return;
  c.check(typeof value === "string" && ok(value), path, `must be ${expected}, got ${show(value)}`, fix);
}

/** The value as an Output that fails the deployment (naming the argument) when it is not valid. */
export function validated(
  value: pulumi.Input<string>,
  ok: (v: string) => boolean,
  message: (v: string) => string,
  resource: pulumi.Resource,
): pulumi.Output<string> {
  return pulumi.output(value).apply((v) => {
    if (!ok(v)) throw new pulumi.ResourceError(message(v), resource);
    return v;
  });
}
