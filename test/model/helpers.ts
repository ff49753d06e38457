/** Helpers for validation tests: mutate a copy of the fixture and look for issues. */
import { expect } from "vitest";
import { type DomainSpec, type MeshSpec, type ValidationIssue, validateMesh } from "../../components/model";
import { domains, mesh } from "../fixtures/mesh";

/** The fixture's domains by name (copies). */
export type DomainsByName = Record<string, DomainSpec>;

/** Validates a deep copy of the fixture after `mutate` changed it. */
export function issuesAfter(mutate: (m: MeshSpec, d: DomainsByName, list: DomainSpec[]) => void): ValidationIssue[] {
  const m = structuredClone(mesh);
  const list = structuredClone(domains);
  mutate(m, Object.fromEntries(list.map((d) => [d.name, d])), list);
  return validateMesh(m, list);
}

/** Asserts that `issues` holds exactly one issue, at `path`, whose message contains `message`. */
export function expectOnly(issues: ValidationIssue[], path: string, message: string): ValidationIssue {
  expect(issues.map((i) => i.path)).toEqual([path]);
  expect(issues[0].message).toContain(message);
  expect(issues[0].fix ?? "").not.toBe("");
  return issues[0];
}

/** Asserts that `issues` holds an issue at `path` whose message contains `message`. */
export function expectIssue(issues: ValidationIssue[], path: string, message: string): ValidationIssue {
  const found = issues.find((i) => i.path === path && i.message.includes(message));
  expect(found, `no issue at ${path} containing ${JSON.stringify(message)} in ${JSON.stringify(issues, null, 1)}`).toBeDefined();
  return found as ValidationIssue;
}

/** Sets a field to a value of any type (for malformed-input tests). */
export function set(obj: object, key: string, value: unknown): void {
  (obj as Record<string, unknown>)[key] = value;
}
