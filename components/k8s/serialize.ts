/** Serialization at the edge: typed config objects become file contents exactly once, here. */
import { stringify } from "yaml";

/** Pretty JSON with a trailing newline (SPIRE, Vector and the OIDC provider read JSON). */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** YAML (for humans reading ConfigMaps of tools that take YAML). */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}
