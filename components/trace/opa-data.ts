/**
 * What each zone's policy engine decides with, read from the resources: the OPA configs (which
 * bundles an engine loads, by resource path) and the published bundle archives (base64 or file
 * assets of object store objects, ConfigMaps), unpacked into `data.ztmesh`. Pure: reading a
 * file asset goes through the caller's `readAsset`.
 */
import { readTarGz } from "../compile/opa/tarball";
import type { ZtmeshData } from "../compile/opa/decide";
import { isObj } from "./envoy";
import { type GraphResource, configMapData, parseDocument, resourceName } from "./resources";
import type { Obj, ZoneOpa } from "./types";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";

/** Reads a file asset's bytes (the CLI reads the disk; the pack has none). */
export type AssetReader = (path: string, resource: GraphResource) => Uint8Array | undefined;

/** One published bundle archive. */
interface Archive {
  /** Object key / name (what an OPA config's `resource` names). */
  key?: string;
  /** Bucket, container or account the object lives in. */
  store?: string;
  zoneTag?: string;
  files: Map<string, string>;
  origin: string;
}

/** One engine's bundle list: name -> resource path, and its service URLs. */
interface EngineConfig {
  bundles: Array<{ name: string; resource: string; serviceUrl?: string }>;
  origin: string;
}

function gz(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function contentOf(r: GraphResource, readAsset: AssetReader | undefined): Uint8Array | undefined {
  const i = r.inputs;
  if (typeof i["contentBase64"] === "string") return Buffer.from(i["contentBase64"], "base64");
  for (const field of ["source", "content"]) {
    const v = i[field];
    if (isObj(v) && v[SIG_KEY] === ASSET_SIG) {
      if (typeof v["text"] === "string") return Buffer.from(v["text"]);
      if (typeof v["path"] === "string" && readAsset) return readAsset(v["path"], r);
    }
  }
  const bin = i["binaryData"];
  if (isObj(bin)) for (const v of Object.values(bin)) if (typeof v === "string") return Buffer.from(v, "base64");
  return undefined;
}

function archiveOf(r: GraphResource, readAsset: AssetReader | undefined): Archive | undefined {
  const bytes = contentOf(r, readAsset);
  if (!bytes || !gz(bytes)) return undefined;
  let files: Map<string, string>;
  try {
    files = readTarGz(bytes);
  } catch {
    return undefined;
  }
  if (![...files.keys()].some((f) => f.endsWith("data.json"))) return undefined;
  const i = r.inputs;
  const key = [i["key"], i["name"], i["blobName"]].find((v): v is string => typeof v === "string");
  const store = [i["bucket"], i["containerName"], i["accountName"]].filter((v): v is string => typeof v === "string").join("/");
  const tags = [i["tags"], i["metadata"], i["labels"]].find((t) => isObj(t) && (t["ztmesh-zone"] ?? t["ztmesh_zone"]) !== undefined);
  const zoneTag = isObj(tags) ? String(tags["ztmesh-zone"] ?? tags["ztmesh_zone"]) : undefined;
  return { ...(key ? { key } : {}), ...(store ? { store } : {}), ...(zoneTag ? { zoneTag } : {}), files, origin: `${r.type.split(":").pop()} ${resourceName(r)}` };
}

function engineConfigOf(r: GraphResource): EngineConfig | undefined {
  for (const text of Object.values(configMapData(r))) {
    const doc = parseDocument(text);
    if (!doc || !isObj(doc["plugins"]) || !isObj(doc["plugins"]["envoy_ext_authz_grpc"])) continue;
    const services = isObj(doc["services"]) ? doc["services"] : {};
    const urlOf = (s: unknown): string | undefined => {
      const svc = typeof s === "string" ? services[s] : undefined;
      return isObj(svc) && typeof svc["url"] === "string" ? svc["url"] : undefined;
    };
    const bundles = isObj(doc["bundles"])
      ? Object.entries(doc["bundles"])
          .filter((e): e is [string, Obj] => isObj(e[1]))
          .map(([name, b]) => ({ name, resource: typeof b["resource"] === "string" ? b["resource"] : name, serviceUrl: urlOf(b["service"]) }))
      : [];
    return { bundles, origin: `ConfigMap ${resourceName(r)}` };
  }
  return undefined;
}

/** Places every `<path>/data.json` of the archives at `data.<path>`. */
function dataTree(archives: Archive[]): Obj {
  const root: Obj = {};
  for (const a of archives) {
    for (const [file, text] of a.files) {
      if (!(file === "data.json" || file.endsWith("/data.json"))) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        continue;
      }
      const path = file.split("/").slice(0, -1).filter((p) => p !== "" && p !== ".");
      let node = root;
      for (const p of path.slice(0, -1)) {
        if (!isObj(node[p])) node[p] = {};
        node = node[p] as Obj;
      }
      if (path.length === 0) Object.assign(root, isObj(value) ? value : {});
      else node[path[path.length - 1]] = value;
    }
  }
  return root;
}

function ztmeshData(tree: Obj): ZtmeshData | undefined {
  const z = tree["ztmesh"];
  if (!isObj(z) || !isObj(z["platform"])) return undefined;
  return { platform: z["platform"] as unknown as ZtmeshData["platform"], domains: (isObj(z["domains"]) ? z["domains"] : {}) as ZtmeshData["domains"] };
}

/**
 * The object path a bundle `resource` names: without a query string, URL-decoded (the GCS
 * JSON API names `opa%2Fzone%2Fbundle.tar.gz?alt=media`).
 */
function objectPath(resource: string): string {
  const bare = resource.split("?")[0];
  try {
    return decodeURIComponent(bare);
  } catch {
    return bare;
  }
}

/**
 * The policy engine data of every zone. An engine loads the bundles its config names (matched
 * to published objects by key); a zone whose engine config is not in the artifacts gets the
 * bundles tagged with the zone.
 */
export function zoneOpaData(
  resources: readonly GraphResource[],
  zoneOf: (r: GraphResource) => string | undefined,
  readAsset: AssetReader | undefined,
  platformFallback?: (zone: string) => ZtmeshData["platform"] | undefined,
): Map<string, { opa?: ZoneOpa; notes: string[] }> {
  const archives: Archive[] = [];
  const configs = new Map<string, EngineConfig>();
  for (const r of resources) {
    const a = archiveOf(r, readAsset);
    if (a) archives.push(a);
    if (r.type === "kubernetes:core/v1:ConfigMap") {
      const c = engineConfigOf(r);
      const z = zoneOf(r);
      if (c && z) configs.set(z, c);
    }
  }
  const zones = new Set<string>([...configs.keys(), ...archives.map((a) => a.zoneTag).filter((z): z is string => z !== undefined)]);
  const out = new Map<string, { opa?: ZoneOpa; notes: string[] }>();
  for (const zone of zones) {
    const notes: string[] = [];
    const config = configs.get(zone);
    let loaded: Archive[];
    if (config) {
      loaded = [];
      for (const b of config.bundles) {
        const resource = objectPath(b.resource);
        const found = archives.filter((a) => a.key === resource || (a.key !== undefined && resource.endsWith(`/${a.key}`)));
        const inStore = found.filter((a) => a.store && b.serviceUrl && a.store.split("/").some((s) => s !== "" && b.serviceUrl!.includes(s)));
        const pick = inStore[0] ?? found[0];
        if (pick) loaded.push(pick);
        else notes.push(`bundle ${b.name} (${b.resource}) named by ${config.origin} is not among the published objects in the artifacts`);
      }
    } else {
      loaded = archives.filter((a) => a.zoneTag === zone);
      notes.push(`no policy engine config of zone ${zone} in the artifacts: using the bundles tagged with the zone`);
    }
    const tree = dataTree(loaded);
    let data = ztmeshData(tree);
    const fallback = data || !isObj(tree["ztmesh"]) ? undefined : platformFallback?.(zone);
    if (fallback) {
      // A domain stack's graph holds its own bundles, not the platform's: compiled from the declared mesh.
      data = { platform: fallback, domains: (isObj((tree["ztmesh"] as Obj)["domains"]) ? (tree["ztmesh"] as Obj)["domains"] : {}) as ZtmeshData["domains"] };
      notes.push(`zone ${zone}: the platform bundle is not in the artifacts; its data is compiled from the declared mesh`);
    }
    if (!data) notes.push(`zone ${zone}: no platform bundle data (data.ztmesh.platform) among the loaded bundles`);
    out.set(zone, { ...(data ? { opa: { data, bundles: loaded.map((a) => a.key ?? a.origin) } } : {}), notes });
  }
  return out;
}
