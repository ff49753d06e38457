/**
 * The stack's resources by type, for stack policies: one pass over the types (no properties
 * read), then each check visits only the resources it judges instead of scanning the whole
 * stack once per question. Cached by the identity of the resources array, so the checks of
 * one policy (and of any policies handed the same array) share it. The policy host gives each
 * stack policy its own copy of the stack, so each policy builds the index once per AnalyzeStack.
 */
import type { PolicyResource } from "@pulumi/policy";

interface Index {
  /** The array's length when indexed: a grown or shrunk array is indexed again. */
  length: number;
  positions: Map<string, number[]>;
}

const indexes = new WeakMap<readonly PolicyResource[], Index>();

/** The positions of each type in `resources`. The array is read as the host hands it: never changed in place. */
function indexOf(resources: readonly PolicyResource[]): Map<string, number[]> {
  const cached = indexes.get(resources);
  if (cached !== undefined && cached.length === resources.length) return cached.positions;
  const positions = new Map<string, number[]>();
  resources.forEach((r, i) => {
    const list = positions.get(r.type);
    if (list) list.push(i);
    else positions.set(r.type, [i]);
  });
  indexes.set(resources, { length: resources.length, positions });
  return positions;
}

/** The resources of any of `types`, in stack order. */
export function resourcesOfType(resources: readonly PolicyResource[], types: string | readonly string[]): PolicyResource[] {
  const index = indexOf(resources);
  const lists = (typeof types === "string" ? [types] : [...new Set(types)]).map((t) => index.get(t) ?? []).filter((l) => l.length > 0);
  if (lists.length === 0) return [];
  const positions = lists.length === 1 ? lists[0] : lists.flat().sort((a, b) => a - b);
  return positions.map((i) => resources[i]);
}
