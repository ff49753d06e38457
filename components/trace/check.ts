/**
 * The whole-path check: every declared intent traced through a mesh snapshot must be delivered
 * (unless a declared deny rule matches it), and each of its near misses must stop. Used by
 * `trace --check` (CI runs it over the example stacks' preview exports), by the
 * `mesh-conformance` stack policy (on the graph one stack sees) and by the property tests.
 *
 * The expectation comes from the declarations alone (intents and deny rules, read as plain
 * data): it is the oracle the traces are held to, never a second decider. Near misses per
 * intent: another method, a path outside the declared prefixes, another source of the mesh,
 * and callers from outside the mesh (a look-alike and a foreign trust domain, no client
 * certificate). Partial graphs (one stack's resources) are checked for the intents whose
 * source and destination proxies are both in the snapshot.
 */
import { routedPort } from "../compile/envoy/common";
import { storeEndpoint } from "../compile/envoy/data-proxy";
import type { DataProduct, DenyRule, Intent, MeshModel, Service, Source } from "../model/model";
import type { DataAccess } from "../model/types";
import { proxyOfWorkload } from "./lookup";
import { traceRequest } from "./trace";
import type { Hop, MeshSnapshot, TraceRequest } from "./types";

const READ = new Set(["GET", "HEAD", "OPTIONS"]);
const ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const OUTSIDE_PATH = "/zz-ztmesh-outside";

const sourceMatches = (s: Source, key: string): boolean => s.kind === "any" || s.key === key;

function denyApplies(r: DenyRule, src: string, dest: string): boolean {
  const domain = dest.split("/")[0];
  return sourceMatches(r.source, src) && (r.to === dest || (r.to === undefined && (r.scope === "global" || r.scope === domain)));
}

const byDestination = new WeakMap<readonly Intent[], { length: number; map: Map<string, Intent[]> }>();
const NO_INTENTS: readonly Intent[] = [];

/**
 * The intents of `model` that target `dest`, in declaration order (indexed once per intents
 * list: at mesh scale every check reads the intents of one destination, not the mesh's).
 */
function intentsTo(model: MeshModel, dest: string): readonly Intent[] {
  let index = byDestination.get(model.intents);
  if (!index || index.length !== model.intents.length) {
    const map = new Map<string, Intent[]>();
    for (const i of model.intents) {
      const list = map.get(i.to);
      if (list) list.push(i);
      else map.set(i.to, [i]);
    }
    index = { length: model.intents.length, map };
    byDestination.set(model.intents, index);
  }
  return index.map.get(dest) ?? NO_INTENTS;
}

/** Whether the declarations let `src` call `method path` on service `dest` (an intent grants it, no deny rule takes it). */
export function callDeclared(model: MeshModel, src: string, dest: string, method: string, path: string): boolean {
  const granted = intentsTo(model, dest).some((i) => i.kind === "call" && i.to === dest && sourceMatches(i.source, src) && i.methods.includes(method as never) && i.paths.some((p) => path.startsWith(p)));
  const denied = model.denyRules.some((r) => denyApplies(r, src, dest) && (r.methods ?? ALL_METHODS).includes(method as never) && (r.paths ?? ["/"]).some((p) => path.startsWith(p)));
  return granted && !denied;
}

/** Whether the declarations let `src` open a connection to data product `dest` (L4: some access granted and not denied). */
export function dataDeclared(model: MeshModel, src: string, dest: string): boolean {
  const granted = new Set<DataAccess>(intentsTo(model, dest).flatMap((i) => (i.kind === "data" && i.to === dest && sourceMatches(i.source, src) ? i.access : [])));
  const denied = new Set<DataAccess>(
    model.denyRules.flatMap((r) => (denyApplies(r, src, dest) && (r.paths === undefined || r.paths.includes("/")) ? (r.methods ?? ALL_METHODS).map((m) => (READ.has(m) ? "read" : "write")) : [])),
  );
  return [...granted].some((a) => !denied.has(a));
}

/** The request a caller makes to a service's first HTTP/gRPC port. */
export function callRequest(src: string, dest: Service, method: string, path: string): TraceRequest {
  const port = routedPort(dest)!;
  return { source: { kind: "workload", key: src }, host: dest.host, port: port.port, protocol: "http", method, path, destination: dest.key };
}

/** A connection to a data product as its consumer opens it: an object store by its own name in its own TLS, a database at its proxy. */
export function dataRequest(model: MeshModel, src: string, p: DataProduct): TraceRequest {
  const store = storeEndpoint(model, p);
  const host = store.tls ? store.host : `${p.proxy.name}.${p.namespace}.svc.cluster.local`;
  return { source: { kind: "workload", key: src }, host, port: p.port, protocol: "tcp", ...(store.tls ? { tls: true } : {}), destination: p.key };
}

/** One traced expectation. */
export interface FlowCheck {
  /** The intent it comes from. */
  intent: string;
  /** What was tried, in words (`trading#0 trading/a -> trading/b GET /x: another method`). */
  label: string;
  expected: "delivered" | "stopped";
  ok: boolean;
  /** The last hop: where it was delivered, or what stopped it. */
  last: Hop;
  request: TraceRequest;
}

/** Options of {@link checkMesh}. */
export interface CheckOptions {
  /** Trace the near misses of every intent too. @default true */
  nearMisses?: boolean;
  /**
   * Check intents whose destination zone's OPA data is not in the snapshot (their traces stop
   * at ext_authz, failing closed). Off for one stack's graph, where another stack publishes them.
   * @default true
   */
  withoutOpaData?: boolean;
}

function inGraph(snapshot: MeshSnapshot, key: string): boolean {
  return proxyOfWorkload(snapshot.proxies, key) !== undefined; // some proxy of that workload
}

/**
 * Traces every declared intent of `model` (and its near misses) through `snapshot`. Returns every
 * expectation with its outcome; the failures are those with `ok: false`.
 */
export function checkMesh(snapshot: MeshSnapshot, model: MeshModel, opts: CheckOptions = {}): FlowCheck[] {
  const out: FlowCheck[] = [];
  const services = [...model.services.values()];
  const run = (intent: Intent, label: string, request: TraceRequest, expected: FlowCheck["expected"]): void => {
    const r = traceRequest(snapshot, request);
    const last = r.hops[r.hops.length - 1];
    const reached = r.delivered && (request.protocol === "tcp" || r.deliveredTo?.workload === request.destination);
    out.push({ intent: intent.id, label, expected, ok: expected === "delivered" ? reached : !r.delivered, last, request });
  };
  for (const intent of model.intents) {
    const zone = model.services.get(intent.to)?.zone ?? model.dataProducts.get(intent.to)?.zone;
    if (opts.withoutOpaData === false && (zone === undefined || snapshot.zones[zone]?.opa === undefined)) continue;
    if (!inGraph(snapshot, intent.to) && !(intent.kind === "data" && inGraph(snapshot, model.dataProducts.get(intent.to)?.proxy.key ?? ""))) continue;
    const candidates = intent.source.kind === "workload" ? [model.services.get(intent.source.key)] : services.filter((s) => s.key !== intent.to);
    const sources = candidates.filter((s): s is Service => s !== undefined && s.key !== intent.to && inGraph(snapshot, s.key));
    const src = sources[0];
    // A `*` intent is declared for every workload: each one in the graph must get through.
    for (const other of sources.slice(1)) {
      if (intent.kind === "call") {
        const dest = model.services.get(intent.to);
        if (dest && routedPort(dest)) {
          const [m, p] = [intent.methods[0], intent.paths[0]];
          run(intent, `${intent.id} ${other.key} -> ${dest.key} ${m} ${p}`, callRequest(other.key, dest, m, p), callDeclared(model, other.key, dest.key, m, p) ? "delivered" : "stopped");
        }
      } else {
        const product = model.dataProducts.get(intent.to);
        if (product) run(intent, `${intent.id} ${other.key} -> ${product.key} (${intent.access.join("+")})`, dataRequest(model, other.key, product), dataDeclared(model, other.key, product.key) ? "delivered" : "stopped");
      }
    }
    if (intent.kind === "call") {
      const dest = model.services.get(intent.to);
      if (!dest || !routedPort(dest)) continue; // TCP-only services have no path through the mesh
      const method = intent.methods[0];
      const path = intent.paths[0];
      if (src) {
        const label = `${intent.id} ${src.key} -> ${dest.key} ${method} ${path}`;
        run(intent, label, callRequest(src.key, dest, method, path), callDeclared(model, src.key, dest.key, method, path) ? "delivered" : "stopped");
        if (opts.nearMisses === false) continue;
        const other = ALL_METHODS.find((m) => !callDeclared(model, src.key, dest.key, m, path));
        if (other) run(intent, `${label}: another method ${other}`, callRequest(src.key, dest, other, path), "stopped");
        if (!callDeclared(model, src.key, dest.key, method, OUTSIDE_PATH)) run(intent, `${label}: a path outside the prefixes`, callRequest(src.key, dest, method, OUTSIDE_PATH), "stopped");
      }
      if (opts.nearMisses === false) continue;
      const stranger = services.find((s) => s.key !== dest.key && inGraph(snapshot, s.key) && !ALL_METHODS.some((m) => callDeclared(model, s.key, dest.key, m, path)));
      if (stranger) run(intent, `${intent.id}: another source ${stranger.key} -> ${dest.key}`, callRequest(stranger.key, dest, method, path), "stopped");
      const name = src ? src.spiffeId.replace(`spiffe://${model.trustDomain}`, "") : "/ns/outside/sa/caller";
      for (const [id, why] of [
        [`spiffe://${model.trustDomain}.evil${name}`, "a look-alike trust domain"],
        [`spiffe://foreign.example${name}`, "a foreign trust domain"],
        [undefined, "no client certificate"],
      ] as const) {
        const req: TraceRequest = { ...callRequest(dest.key, dest, method, path), source: { kind: "external", zone: dest.zone, ...(id ? { spiffeId: id } : {}) } };
        run(intent, `${intent.id}: ${why} -> ${dest.key}`, req, "stopped");
      }
    } else {
      const product = model.dataProducts.get(intent.to);
      if (!product || !src) continue;
      const label = `${intent.id} ${src.key} -> ${product.key} (${intent.access.join("+")})`;
      run(intent, label, dataRequest(model, src.key, product), dataDeclared(model, src.key, product.key) ? "delivered" : "stopped");
      if (opts.nearMisses === false) continue;
      const stranger = services.find((s) => s.key !== src.key && inGraph(snapshot, s.key) && !dataDeclared(model, s.key, product.key));
      if (stranger) run(intent, `${intent.id}: another source ${stranger.key} -> ${product.key}`, dataRequest(model, stranger.key, product), "stopped");
    }
  }
  return out;
}

/** One line per failed expectation. */
export function checkFailures(checks: readonly FlowCheck[]): string[] {
  return checks.filter((c) => !c.ok).map((c) => `${c.label}: expected ${c.expected}, ${c.expected === "delivered" ? `stopped at ${c.last.kind} (${c.last.rule})` : `delivered (${c.last.rule})`}`);
}
