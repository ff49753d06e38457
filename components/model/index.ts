/** The mesh model: the declaration types, validation and normalization. No Pulumi imports. */
export * from "./types";
export * from "./model";
export * from "./errors";
export * from "./spiffe";
export { DEFAULTS, ENGINE_PORT, OBJECT_STORE_CLOUD } from "./defaults";
export { ANY_SOURCE, refKey, splitKey, proxyServiceAccount, resolveMesh } from "./resolve";
export { validateMesh, type ModelScope } from "./validate";

import type { MeshModel } from "./model";
import { throwIfIssues } from "./errors";
import { resolveMesh } from "./resolve";
import type { DomainSpec, MeshSpec } from "./types";
import { validateMesh, type ModelScope } from "./validate";

/**
 * Validates a mesh and its domains and returns the normalized model.
 * @param scope `{ focus }` builds one domain's view (see {@link ModelScope}).
 * @throws {ValidationError} listing every problem found, each with its path and fix.
 */
export function buildMesh(mesh: MeshSpec, domains: readonly DomainSpec[] = [], scope: ModelScope = {}): MeshModel {
  throwIfIssues(validateMesh(mesh, domains, scope));
  return resolveMesh(mesh, domains, scope);
}
