/**
 * Runtime artifacts (Envoy bootstraps, OPA bundles, Kubernetes manifests, IAM documents)
 * taken from the recorded resource inputs, so that what is checked is what would be
 * deployed. Components mark artifact-bearing resources with the annotation
 * `ztmesh.io/artifact` (Kubernetes) or the tag `ztmesh-artifact` (clouds) whose value is the artifact's path under `artifacts/`.
 */
import { stringify as toYaml } from "yaml";
import * as fs from "node:fs";
import { readTarGz } from "../../components/compile/opa/tarball";
import { CLOUD_TAGS, K8S } from "../../components/conventions";
import { type PropertyMap, type PropertyValue, unwrapSecrets } from "./properties";

/** Pulumi's signature for assets in the wire form. */
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export interface ResourceLike {
  type: string;
  name: string;
  rawInputs: PropertyMap;
  /** Provider reference (`<urn>::<id>`): a Kubernetes object's cluster. */
  provider?: string;
}

/**
 * The cluster a Kubernetes object goes to: its provider's name (one `k8s.Provider` per
 * zone's cluster), else its `ztmesh.io/zone` label, else `default` (the ambient cluster).
 */
function clusterOf(r: ResourceLike, metadata: { [k: string]: PropertyValue } | undefined): string {
  const urn = r.provider?.split("::").slice(0, -1).join("::");
  const name = urn?.split("::").pop();
  if (name) return name;
  const zone = obj(metadata?.labels)?.[K8S.zone];
  return typeof zone === "string" ? zone : "default";
}

function obj(v: PropertyValue | undefined): { [k: string]: PropertyValue } | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v : undefined;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** The content a marked resource carries, by type: text, base64 content, or a file asset. */
function markedContent(r: ResourceLike, inputs: PropertyMap): Buffer | undefined {
  if (r.type === "kubernetes:core/v1:ConfigMap") {
    const data = obj(inputs.data) ?? {};
    const keys = Object.keys(data);
    return keys.length === 1 ? Buffer.from(String(data[keys[0]])) : undefined;
  }
  if (typeof inputs.contentBase64 === "string") return Buffer.from(inputs.contentBase64, "base64");
  for (const field of ["content", "source", "policy"]) {
    const v = inputs[field];
    if (typeof v === "string") return Buffer.from(v);
    const asset = obj(v);
    if (asset?.[SIG_KEY] === ASSET_SIG) {
      if (typeof asset.text === "string") return Buffer.from(asset.text);
      if (typeof asset.path === "string" && fs.existsSync(asset.path)) return fs.readFileSync(asset.path);
    }
  }
  return undefined;
}

/** The artifact path a resource is marked with (Kubernetes annotation, cloud tag, label or metadata). */
function markOf(inputs: PropertyMap): string | undefined {
  const places = [obj(obj(inputs.metadata)?.annotations), obj(inputs.tags), obj(inputs.labels), obj(inputs.metadata)];
  for (const place of places) {
    const v = place?.[K8S.artifact] ?? place?.[CLOUD_TAGS.artifact] ?? place?.[CLOUD_TAGS.artifact.replace(/-/g, "_")];
    if (typeof v === "string") return v;
  }
  return undefined;
}

/** Relative path to file content, for every artifact found in the resources. */
export function collectArtifacts(resources: ResourceLike[]): Map<string, string> {
  const files = new Map<string, string>();
  const grants = new Map<string, PropertyValue[]>();
  for (const r of resources) {
    const inputs = unwrapSecrets(r.rawInputs) as PropertyMap;
    const metadata = obj(inputs.metadata);
    const mark = markOf(inputs);
    const content = mark === undefined ? undefined : markedContent(r, inputs);
    if (mark !== undefined && content !== undefined) {
      if (mark.endsWith(".tar.gz")) {
        // A bundle archive: written as the directory it unpacks to (loadable by `opa run -b`).
        for (const [file, text] of readTarGz(content)) files.set(`${mark.slice(0, -".tar.gz".length)}/${file}`, text);
      } else {
        files.set(mark, content.toString("utf8"));
      }
    }
    if (r.type.startsWith("kubernetes:") && typeof inputs.kind === "string") {
      const ns = typeof metadata?.namespace === "string" ? `${metadata.namespace}-` : "";
      const name = typeof metadata?.name === "string" ? metadata.name : r.name;
      // Per cluster: the zones' clusters hold objects of the same kind, namespace and name.
      files.set(`kubernetes/${safe(clusterOf(r, metadata))}/${safe(`${inputs.kind.toLowerCase()}-${ns}${name}`)}.yaml`, toYaml(inputs, { sortMapEntries: true }));
    }
    if (r.type === "aws:iam/rolePolicy:RolePolicy" && typeof inputs.policy === "string") {
      files.set(`iam/aws/${safe(r.name)}.json`, JSON.stringify(JSON.parse(inputs.policy), null, 2));
    }
    collectGrant(grants, r.type, inputs);
  }
  for (const [path, list] of grants) files.set(path, `${JSON.stringify(list, null, 2)}\n`);
  return new Map([...files.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** GCP bucket bindings and Azure role assignments, grouped per identity. */
function collectGrant(grants: Map<string, PropertyValue[]>, type: string, inputs: PropertyMap): void {
  let path: string | undefined;
  let grant: PropertyValue | undefined;
  if (type === "gcp:storage/bucketIAMMember:BucketIAMMember" && typeof inputs.member === "string") {
    path = `iam/gcp/${safe(inputs.member.replace(/^serviceAccount:/, ""))}.json`;
    grant = { bucket: inputs.bucket ?? null, role: inputs.role ?? null };
  } else if (type === "azure-native:authorization:RoleAssignment" && typeof inputs.principalId === "string") {
    path = `iam/azure/${safe(inputs.principalId)}.json`;
    grant = { roleDefinitionId: inputs.roleDefinitionId ?? null, scope: inputs.scope ?? null };
  }
  if (path && grant) grants.set(path, [...(grants.get(path) ?? []), grant]);
}
