/**
 * Kubernetes workloads as the policies read them, whoever deployed them: the pod spec of a
 * Deployment, StatefulSet, DaemonSet, ReplicaSet (every API version) or bare Pod, its containers,
 * the ConfigMaps and Secrets they mount, label selectors and image references. Tolerant: odd
 * shapes read as "absent", never as an exception.
 */
import type { PolicyResource } from "@pulumi/policy";
import { k8sName, k8sNamespace } from "./conventions";
import { TYPES } from "./types";
import { asArray, asRecord, str, stringMap, strings } from "./util";

type Obj = Record<string, unknown>;

/** True for a workload type the policies judge ({@link TYPES.k8sWorkloads}). */
export function isWorkloadType(type: string): boolean {
  return TYPES.k8sWorkloads.includes(type);
}

/** The kind of a workload type token (`kubernetes:apps/v1:StatefulSet` -> `StatefulSet`). */
export function kindOf(type: string): string {
  return type.slice(type.lastIndexOf(":") + 1);
}

/** The pod spec of a workload (a Pod's own spec, otherwise `spec.template.spec`). */
export function podSpecOf(type: string, props: Obj): Obj | undefined {
  const spec = asRecord(props.spec);
  return kindOf(type) === "Pod" ? spec : asRecord(asRecord(spec?.template)?.spec);
}

/** The labels of a workload's pods. */
export function podLabelsOf(type: string, props: Obj): Record<string, string> {
  if (kindOf(type) === "Pod") return stringMap(asRecord(props.metadata)?.labels);
  return stringMap(asRecord(asRecord(asRecord(props.spec)?.template)?.metadata)?.labels);
}

/** The containers of a pod spec (records only), optionally with its init containers. */
export function containersOf(podSpec: Obj | undefined, withInit = false): Obj[] {
  const all = [...asArray(podSpec?.containers), ...(withInit ? asArray(podSpec?.initContainers) : [])];
  return all.map(asRecord).filter((c): c is Obj => c !== undefined);
}

/** A container's command line: `command` then `args`, strings only. */
export function commandLine(container: Obj): string[] {
  return [...strings(container.command), ...strings(container.args)];
}

/**
 * The value of a command-line option (`--name=value`, `--name value`, or a short alias), or
 * undefined. Every occurrence, in order.
 */
export function optionValues(argv: string[], names: string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    for (const n of names) {
      if (a.startsWith(`${n}=`)) out.push(a.slice(n.length + 1));
      else if (a === n && i + 1 < argv.length) out.push(argv[i + 1]);
    }
  });
  return out;
}

/** An image reference split into its path segments (registry and repository, lower-cased) and tag. */
export function parseImage(ref: string): { segments: string[]; tag: string | undefined } {
  const noDigest = ref.trim().split("@")[0];
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const hasTag = colon > slash;
  const repo = hasTag ? noDigest.slice(0, colon) : noDigest;
  return { segments: repo.toLowerCase().split("/").filter((s) => s !== ""), tag: hasTag ? noDigest.slice(colon + 1) : undefined };
}

/** A ConfigMap or Secret a pod mounts. */
export interface ConfigSource {
  kind: "ConfigMap" | "Secret";
  name: string;
  /** Projected keys (`items`: key -> file path); undefined means every key under its own name. */
  items?: Record<string, string>;
}

function sourceOf(kind: ConfigSource["kind"], v: unknown): ConfigSource | undefined {
  const r = asRecord(v);
  const name = str(kind === "Secret" ? (r?.secretName ?? r?.name) : r?.name);
  if (!r || name === undefined) return undefined;
  const items = asArray(r.items).map(asRecord);
  if (items.length === 0) return { kind, name };
  const map: Record<string, string> = {};
  for (const i of items) {
    const key = str(i?.key);
    const path = str(i?.path);
    if (key !== undefined && path !== undefined) map[key] = path;
  }
  return { kind, name, items: map };
}

/** The ConfigMaps and Secrets behind one pod volume (`configMap`, `secret`, `projected` sources). */
export function volumeSources(volume: unknown): ConfigSource[] {
  const v = asRecord(volume);
  const out: ConfigSource[] = [];
  const cm = sourceOf("ConfigMap", v?.configMap);
  const secret = sourceOf("Secret", v?.secret);
  if (cm) out.push(cm);
  if (secret) out.push(secret);
  for (const s of asArray(asRecord(v?.projected)?.sources)) {
    const p = asRecord(s);
    const a = sourceOf("ConfigMap", p?.configMap);
    const b = sourceOf("Secret", p?.secret);
    if (a) out.push(a);
    if (b) out.push(b);
  }
  return out;
}

/** A container's mounts of ConfigMaps/Secrets: where each is mounted, and the source. */
export interface ConfigMount {
  mountPath: string;
  subPath?: string;
  source: ConfigSource;
}

/** Every ConfigMap/Secret a container mounts (through its volumeMounts). */
export function configMounts(podSpec: Obj | undefined, container: Obj): ConfigMount[] {
  const volumes = new Map<string, unknown>();
  for (const v of asArray(podSpec?.volumes)) {
    const name = str(asRecord(v)?.name);
    if (name !== undefined) volumes.set(name, v);
  }
  const out: ConfigMount[] = [];
  for (const m of asArray(container.volumeMounts)) {
    const mount = asRecord(m);
    const mountPath = str(mount?.mountPath);
    const volume = volumes.get(str(mount?.name) ?? "");
    if (mountPath === undefined || volume === undefined) continue;
    for (const source of volumeSources(volume)) out.push({ mountPath, subPath: str(mount?.subPath), source });
  }
  return out;
}

/** A file a container reads, traced to the ConfigMap/Secret key it comes from. */
export interface MountedFile {
  source: ConfigSource;
  key: string;
}

/** The ConfigMap/Secret key behind file `path` in `container`, or undefined when no such mount provides it. */
export function resolveFile(podSpec: Obj | undefined, container: Obj, path: string): MountedFile | undefined {
  const norm = (p: string) => p.replace(/\/+$/, "");
  for (const m of configMounts(podSpec, container)) {
    const base = norm(m.mountPath);
    let rel: string | undefined;
    if (m.subPath !== undefined) rel = path === base ? m.subPath : undefined;
    else if (path.startsWith(`${base}/`)) rel = path.slice(base.length + 1);
    if (rel === undefined) continue;
    const items = m.source.items;
    const key = items === undefined ? rel : Object.entries(items).find(([, p]) => p === rel)?.[0];
    if (key !== undefined) return { source: m.source, key };
  }
  return undefined;
}

/** The text entries of a ConfigMap (`data`, `binaryData` decoded) or Secret (`data` base64-decoded, `stringData` as is). */
export function configTexts(type: string, props: Obj): Record<string, string> {
  const decode = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
  if (type === TYPES.k8sSecret) return { ...decode(stringMap(props.data)), ...stringMap(props.stringData) };
  if (type === TYPES.k8sConfigMap) return { ...decode(stringMap(props.binaryData)), ...stringMap(props.data) };
  return {};
}

/**
 * True when a label selector (`matchLabels`, `matchExpressions`) selects `labels`; undefined when
 * the selector is malformed (an unknown operator, a non-object), so callers can take the safe side.
 */
export function selects(selector: unknown, labels: Record<string, string>): boolean | undefined {
  const s = asRecord(selector);
  if (!s) return undefined;
  for (const [k, v] of Object.entries(asRecord(s.matchLabels) ?? {})) if (labels[k] !== v) return false;
  for (const e of asArray(s.matchExpressions)) {
    const req = asRecord(e);
    const key = str(req?.key);
    if (key === undefined) return undefined;
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    const values = strings(req?.values);
    const op = str(req?.operator);
    if (op === "In") {
      if (!has || !values.includes(labels[key])) return false;
    } else if (op === "NotIn") {
      if (has && values.includes(labels[key])) return false;
    } else if (op === "Exists") {
      if (!has) return false;
    } else if (op === "DoesNotExist") {
      if (has) return false;
    } else return undefined;
  }
  return true;
}

/**
 * The workloads of `workloads` in the same cluster and namespace as `owner` whose pods `selector`
 * selects; undefined when the selector is malformed (so callers take the safe side).
 */
export function selectedWorkloads(owner: PolicyResource, selector: unknown, workloads: readonly PolicyResource[]): PolicyResource[] | undefined {
  const namespace = k8sNamespace(owner.props);
  const out: PolicyResource[] = [];
  for (const w of workloads) {
    if (clusterOf(w) !== clusterOf(owner) || k8sNamespace(w.props) !== namespace) continue;
    const hit = selects(selector, podLabelsOf(w.type, w.props));
    if (hit === undefined) return undefined;
    if (hit) out.push(w);
  }
  return out;
}

/** The cluster a Kubernetes resource lives in: its provider (two zones' clusters are two providers). */
export function clusterOf(r: PolicyResource): string {
  return r.provider?.urn ?? "";
}

/** ConfigMaps and Secrets of a stack by cluster, namespace, kind and name. */
export class ConfigIndex {
  private readonly byKey = new Map<string, PolicyResource>();

  constructor(resources: readonly PolicyResource[], deferred: Deferred) {
    for (const r of resources) {
      if (r.type !== TYPES.k8sConfigMap && r.type !== TYPES.k8sSecret) continue;
      deferred.run(() => {
        const name = k8sName(r.props);
        if (name !== undefined) this.byKey.set(ConfigIndex.key(clusterOf(r), k8sNamespace(r.props), kindOf(r.type), name), r);
      });
    }
  }

  private static key(cluster: string, namespace: string, kind: string, name: string): string {
    return [cluster, namespace, kind, name].join("\u0000");
  }

  /** The ConfigMap/Secret a workload's volume names (same cluster and namespace), or undefined when the stack has none. */
  find(workload: PolicyResource, source: ConfigSource): PolicyResource | undefined {
    return this.byKey.get(ConfigIndex.key(clusterOf(workload), k8sNamespace(workload.props), source.kind, source.name));
  }

  /** The text entries of the source a workload mounts (only the projected keys when `items` is set). */
  texts(workload: PolicyResource, source: ConfigSource): Record<string, string> | undefined {
    const r = this.find(workload, source);
    if (!r) return undefined;
    const all = configTexts(r.type, r.props);
    if (!source.items) return all;
    return Object.fromEntries(Object.entries(all).filter(([k]) => source.items?.[k] !== undefined));
  }
}

/** True for the error the policy host's proxy throws when a policy reads a value unknown at preview. */
export function isUnknownValueError(e: unknown): boolean {
  return e instanceof Error && (e.constructor.name === "UnknownValueError" || "unknownTypeSentinel" in e);
}

/**
 * Runs per-resource checks of a stack policy so that a value unknown at preview in one resource
 * does not hide the others' violations: each check runs, and the first unknown-value error is
 * thrown again at {@link Deferred.finish}, which the host turns into its "can't run during
 * preview" advisory next to the violations already reported.
 */
export class Deferred {
  private first: unknown;
  private seen = false;

  /** Runs `fn`; an unknown-value error is kept for {@link finish}, any other error is thrown. */
  run(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!isUnknownValueError(e)) throw e;
      if (!this.seen) this.first = e;
      this.seen = true;
    }
  }

  /** Throws the first unknown-value error met, if any. */
  finish(): void {
    if (this.seen) throw this.first;
  }
}
