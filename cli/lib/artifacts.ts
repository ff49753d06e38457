/**
 * Runtime artifacts (Envoy bootstraps, OPA bundles, Kubernetes manifests, IAM documents)
 * taken from the recorded resource inputs, so that what is checked is what would be
 * deployed. Components mark artifact-bearing resources with the annotation
 * `ztmesh.io/artifact` (Kubernetes) or the tag `ztmesh-artifact` (clouds) whose value is the artifact's path under `artifacts/`.
 */
import { stringify as toYaml } from "yaml";
import { CLOUD_TAGS, K8S } from "../../components/conventions";
import { type PropertyMap, type PropertyValue, unwrapSecrets } from "./properties";

export interface ResourceLike {
  type: string;
  name: string;
  rawInputs: PropertyMap;
}

function obj(v: PropertyValue | undefined): { [k: string]: PropertyValue } | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v : undefined;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** The content a marked resource carries, by type. */
function markedContent(r: ResourceLike, inputs: PropertyMap): string | undefined {
  if (r.type === "kubernetes:core/v1:ConfigMap") {
    const data = obj(inputs.data) ?? {};
    const keys = Object.keys(data);
    return keys.length === 1 ? String(data[keys[0]]) : undefined;
  }
  for (const field of ["content", "source", "policy"]) {
    if (typeof inputs[field] === "string") return inputs[field] as string;
  }
  return undefined;
}

/** Relative path to file content, for every artifact found in the resources. */
export function collectArtifacts(resources: ResourceLike[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of resources) {
    const inputs = unwrapSecrets(r.rawInputs) as PropertyMap;
    const metadata = obj(inputs.metadata);
    const mark = obj(metadata?.annotations)?.[K8S.artifact] ?? obj(inputs.tags)?.[CLOUD_TAGS.artifact] ?? obj(inputs.labels)?.[CLOUD_TAGS.artifact];
    if (typeof mark === "string") {
      const content = markedContent(r, inputs);
      if (content !== undefined) files.set(mark, content);
    }
    if (r.type.startsWith("kubernetes:") && typeof inputs.kind === "string") {
      const ns = typeof metadata?.namespace === "string" ? `${metadata.namespace}-` : "";
      const name = typeof metadata?.name === "string" ? metadata.name : r.name;
      files.set(`kubernetes/${safe(`${inputs.kind.toLowerCase()}-${ns}${name}`)}.yaml`, toYaml(inputs, { sortMapEntries: true }));
    }
    if (r.type === "aws:iam/rolePolicy:RolePolicy" && typeof inputs.policy === "string") {
      files.set(`iam/aws/${safe(r.name)}.json`, JSON.stringify(JSON.parse(inputs.policy), null, 2));
    }
  }
  return new Map([...files.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
