/** Shared helpers for the typed Kubernetes objects ztmesh components create. */
export * from "./security";
export * from "./labels";
export * from "./pods";
export * from "./validate";
export * from "./serialize";
export * from "./zone";
export * from "./spiffe-helper";
export * from "./service";
export * from "./rollout";
