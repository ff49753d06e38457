/** Kubernetes NetworkPolicy compiler and evaluator. Pure: no Pulumi imports. */
export * from "./types";
export * from "./labels";
export { planZone, type ZonePlan, type ZoneWorkload, type PlannedDestination, type PlannedSource } from "./plan";
export * from "./compile";
export * from "./system";
export * from "./evaluate";
export * from "./workload-proxy";
