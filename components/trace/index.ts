/**
 * The path tracer: follows one request through the artifacts of a whole mesh (every stack's
 * resources, or what the compilers produce), hop by hop, with the rule that decided each hop.
 * Pure: no Pulumi imports.
 */
export * from "./types";
export { snapshotFromResources, isBootstrap, ownSpiffeId, nodeMetadata, declaredModel, type ExtractOptions, type AssetReader, type GraphResource } from "./snapshot";
export { snapshotFromModel } from "./compiled";
export { traceRequest } from "./trace";
export { buildRequest, TraceInputError, type RequestArgs } from "./request";
export { formatTrace } from "./format";
export { checkMesh, checkFailures, callDeclared, dataDeclared, callRequest, dataRequest, type FlowCheck, type CheckOptions } from "./check";
