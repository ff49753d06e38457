/** Serialization of compiled Envoy configs, at the edge. */
import { Document, Scalar, visit } from "yaml";
import type { EnvoyBootstrap } from "./types";

/**
 * Serializes a bootstrap (or any compiled Envoy object) to YAML. Deterministic: map keys
 * are sorted (arrays keep their order, which is meaningful for filter chains), no aliases,
 * no line folding. Strings starting with `:` (pseudo-headers such as `:authority`) are
 * double-quoted so every YAML parser, Envoy's included, reads them as strings.
 */
export function toYaml(config: EnvoyBootstrap | object): string {
  const doc = new Document(config, { sortMapEntries: true, aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && node.value.startsWith(":")) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0 });
}
