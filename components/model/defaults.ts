/** Defaults of the mesh declaration, in one place (documented on the spec types). */
import type { DataEngine, HttpMethod, PortProtocol } from "./types";

export const DEFAULTS = {
  policyEngine: { replicas: 3, opaVersion: "1.4.2", decisionTimeoutMs: 250 },
  logRetention: { hotDays: 90, retainedDays: 2555 },
  portProtocol: "http" as PortProtocol,
  callMethods: ["GET"] as HttpMethod[],
  callPaths: ["/"],
  dataAccess: ["read"] as const,
  minPolicyEngineReplicas: 2,
} as const;

/** Default store port per engine. */
export const ENGINE_PORT: Record<DataEngine, number> = {
  postgres: 5432,
  mysql: 3306,
  s3: 443,
  gcs: 443,
  blob: 443,
};

/** Object stores and the cloud each belongs to. */
export const OBJECT_STORE_CLOUD: Partial<Record<DataEngine, "aws" | "gcp" | "azure">> = {
  s3: "aws",
  gcs: "gcp",
  blob: "azure",
};
