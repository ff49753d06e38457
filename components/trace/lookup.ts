/**
 * Indexed look-ups over a snapshot's lists, for traces at mesh scale (thousands of proxies, host
 * names and NetworkPolicies per snapshot, tens of thousands of traces): each index is built once
 * per list, on first use, and gives exactly what a scan in list order gives (the first match).
 * A list that changed length since is indexed again; snapshots are plain data, read, not edited,
 * while they are traced.
 */
import type { NetworkPolicy } from "../compile/kubernetes/types";
import type { HostEntry, ProxySnapshot } from "./types";

interface Index<K, V> {
  length: number;
  map: Map<K, V>;
}

/** An index of `list` (first entry per key), cached per list object. */
function indexed<T, K, V>(cache: WeakMap<readonly T[], Index<K, V>>, list: readonly T[], build: (list: readonly T[]) => Map<K, V>): Map<K, V> {
  let index = cache.get(list);
  if (!index || index.length !== list.length) {
    index = { length: list.length, map: build(list) };
    cache.set(list, index);
  }
  return index.map;
}

function firstBy<T, K>(list: readonly T[], key: (t: T) => K | undefined): Map<K, T> {
  const map = new Map<K, T>();
  for (const t of list) {
    const k = key(t);
    if (k !== undefined && !map.has(k)) map.set(k, t);
  }
  return map;
}

const proxyIds = new WeakMap<readonly ProxySnapshot[], Index<string, ProxySnapshot>>();

/** The first proxy with id `id` (as `proxies.find((p) => p.id === id)`). */
export function proxyById(proxies: readonly ProxySnapshot[], id: string): ProxySnapshot | undefined {
  return indexed(proxyIds, proxies, (l) => firstBy(l, (p) => p.id)).get(id);
}

const workloadProxies = new WeakMap<readonly ProxySnapshot[], Index<string, ProxySnapshot>>();
const anyProxies = new WeakMap<readonly ProxySnapshot[], Index<string, ProxySnapshot>>();

/** The first workload proxy of workload `key`, else the first proxy of it of any kind. */
export function proxyOfWorkload(proxies: readonly ProxySnapshot[], key: string): ProxySnapshot | undefined {
  return (
    indexed(workloadProxies, proxies, (l) => firstBy(l, (p) => (p.kind === "workload" ? p.workload : undefined))).get(key) ??
    indexed(anyProxies, proxies, (l) => firstBy(l, (p) => p.workload)).get(key)
  );
}

const hostNames = new WeakMap<readonly HostEntry[], Index<string, HostEntry>>();
/** Key of a (zone, host) pair; names every zone resolves (no zone) have their own. */
const hostKey = (zone: string | undefined, host: string): string => `${zone === undefined ? "\u0001" : `${zone}\u0000`}${host}`;

/** The first entry for `host` in `zone` (undefined: the names every zone resolves), as a scan in list order finds it. */
export function hostEntry(hosts: readonly HostEntry[], zone: string | undefined, host: string): HostEntry | undefined {
  return indexed(hostNames, hosts, (l) => firstBy(l, (e) => hostKey(e.zone, e.host))).get(hostKey(zone, host));
}

const namespaces = new WeakMap<readonly NetworkPolicy[], Index<string, NetworkPolicy[]>>();
const NONE: readonly NetworkPolicy[] = [];

/**
 * The policies of `namespace`, in their order: the only ones that can select a pod of that
 * namespace (a NetworkPolicy's pod selector applies in its own namespace), so a verdict over
 * them is the verdict over them all.
 */
export function namespacePolicies(policies: readonly NetworkPolicy[], namespace: string): readonly NetworkPolicy[] {
  const map = indexed(namespaces, policies, (l) => {
    const m = new Map<string, NetworkPolicy[]>();
    for (const p of l) {
      const ns = p.metadata.namespace;
      const list = m.get(ns);
      if (list) list.push(p);
      else m.set(ns, [p]);
    }
    return m;
  });
  return map.get(namespace) ?? NONE;
}

type Direction = "Ingress" | "Egress";
const selected = new WeakMap<readonly NetworkPolicy[], WeakMap<Readonly<Record<string, string>>, Partial<Record<Direction, readonly NetworkPolicy[]>>>>();

/**
 * The policies of `policies` (one namespace's, see {@link namespacePolicies}) that select a pod
 * with `labels` for `direction`, in their order, as the evaluator's `selectingPolicies` picks
 * them: a verdict over them is the verdict over the namespace's. Cached per list and per labels
 * object (a proxy's pod labels, read, not edited, while its snapshot is traced).
 */
export function podPolicies(
  policies: readonly NetworkPolicy[],
  labels: Readonly<Record<string, string>>,
  direction: Direction,
  select: (ps: readonly NetworkPolicy[]) => NetworkPolicy[],
): readonly NetworkPolicy[] {
  let byLabels = selected.get(policies);
  if (!byLabels) {
    byLabels = new WeakMap();
    selected.set(policies, byLabels);
  }
  let byDirection = byLabels.get(labels);
  if (!byDirection) {
    byDirection = {};
    byLabels.set(labels, byDirection);
  }
  return (byDirection[direction] ??= select(policies));
}
