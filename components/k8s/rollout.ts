/** How mesh Deployments roll: never below the desired replicas, and again when their config changes. */
import { createHash } from "node:crypto";

/** Pod template annotation carrying the config's sha256, so a config change rolls the pods. */
export const CONFIG_HASH_ANNOTATION = "ztmesh.io/config-sha256";

/** The value of {@link CONFIG_HASH_ANNOTATION} for a config's text. */
export function configHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A rolling update that adds a pod before removing one, so capacity never drops. */
export const SURGE_ROLLOUT = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } as const;
