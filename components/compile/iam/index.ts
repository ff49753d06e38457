/** Cloud IAM compiler, identity name helpers and the AWS policy grammar checker. Pure: no Pulumi imports. */
export * from "./types";
export * from "./names";
export * from "./compile";
export * from "./grammar";
