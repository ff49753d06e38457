/**
 * Naming a request: `--from` (`<domain>/<service>`, a SPIFFE ID, or `none`) and `--to`
 * (`<domain>/<service-or-data-product>` or `host[:port]`) resolved against a snapshot into a
 * {@link TraceRequest}. Bad names throw a {@link TraceInputError} naming the argument, the
 * value and the fix.
 */
import { routedPort } from "../compile/envoy/common";
import { storeEndpoint } from "../compile/envoy/data-proxy";
import type { MeshSnapshot, TraceRequest, TraceSource } from "./types";

/** A request the snapshot cannot name. */
export class TraceInputError extends Error {
  constructor(
    readonly argument: string,
    readonly value: string,
    fix: string,
  ) {
    super(`${argument} ${JSON.stringify(value)}: ${fix}`);
    this.name = "TraceInputError";
  }
}

/** What the command line gives. */
export interface RequestArgs {
  from: string;
  to: string;
  method?: string;
  path?: string;
  access?: string;
}

function suggest(snapshot: MeshSnapshot, kind: "source" | "destination"): string {
  const m = snapshot.model;
  const keys = m ? [...m.services.keys(), ...(kind === "destination" ? [...m.dataProducts.keys()] : [])] : snapshot.proxies.map((p) => p.workload).filter((k): k is string => !!k);
  const list = [...new Set(keys)].sort();
  return list.length > 0 ? `one of ${list.slice(0, 12).join(", ")}${list.length > 12 ? ", ..." : ""}` : "none are known (pass the exports of the platform and domain stacks)";
}

interface Destination {
  host: string;
  port: number;
  protocol: "http" | "tcp";
  tls: boolean;
  zone?: string;
  key?: string;
  kind?: "service" | "data";
}

function destination(snapshot: MeshSnapshot, to: string): Destination {
  const m = snapshot.model;
  if (/^[a-z0-9-]+\/[a-z0-9-]+$/.test(to)) {
    const svc = m?.services.get(to);
    if (svc) {
      const port = routedPort(svc) ?? svc.ports[0];
      return { host: svc.host, port: port.port, protocol: port.protocol === "tcp" ? "tcp" : "http", tls: false, zone: svc.zone, key: svc.key, kind: "service" };
    }
    const p = m?.dataProducts.get(to);
    if (p) {
      // An object store is called by its own name, in the application's own TLS; a database by its proxy's name.
      const store = storeEndpoint(m!, p);
      const host = store.tls ? store.host : `${p.proxy.name}.${p.namespace}.svc.cluster.local`;
      return { host, port: p.port, protocol: "tcp", tls: store.tls, zone: p.zone, key: p.key, kind: "data" };
    }
    throw new TraceInputError("--to", to, `no service or data product ${to} in the declared model; expected ${suggest(snapshot, "destination")}, or host:port`);
  }
  const hp = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(to);
  if (!hp) throw new TraceInputError("--to", to, "expected <domain>/<service-or-data-product> or host[:port], e.g. trading/order-gateway or order-gateway.trading.svc.cluster.local:8080");
  const host = hp[1].toLowerCase();
  const svc = m ? [...m.services.values()].find((s) => s.host === host) : undefined;
  const port = hp[2] !== undefined ? Number(hp[2]) : svc ? (routedPort(svc) ?? svc.ports[0]).port : undefined;
  if (port === undefined || port < 1 || port > 65535) throw new TraceInputError("--to", to, "name the port: host:port (1-65535)");
  const zones = [...new Set(snapshot.hosts.filter((h) => h.host === host && h.zone !== undefined).map((h) => h.zone!))];
  const svcPort = svc?.ports.find((p) => p.port === port);
  const product = m ? [...m.dataProducts.values()].find((p) => storeEndpoint(m, p).tls && storeEndpoint(m, p).host === host) : undefined;
  if (product) return { host, port, protocol: "tcp", tls: true, zone: product.zone, key: product.key, kind: "data" };
  // Port 443 outside the cluster's names: the application speaks TLS itself (HTTPS).
  const tls = port === 443 && !svc && !/\.cluster\.local$/.test(host);
  return { host, port, protocol: tls || svcPort?.protocol === "tcp" ? "tcp" : "http", tls, ...(svc ? { zone: svc.zone, key: svc.key, kind: "service" as const } : zones.length === 1 ? { zone: zones[0] } : {}) };
}

function source(snapshot: MeshSnapshot, from: string, dest: Destination): TraceSource {
  if (from === "none" || from.startsWith("spiffe://")) {
    if (from !== "none" && !/^spiffe:\/\/[^/]+\/.+/.test(from)) throw new TraceInputError("--from", from, "a SPIFFE ID is spiffe://<trust domain>/<path>, e.g. spiffe://mesh.acme.example/ns/trading/sa/order-gateway");
    if (!dest.zone) throw new TraceInputError("--to", dest.host, "a caller from outside enters at the destination zone's gateway, but this host is in no zone's artifacts; name the destination as <domain>/<name>");
    return { kind: "external", zone: dest.zone, ...(from !== "none" ? { spiffeId: from } : {}) };
  }
  if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(from)) throw new TraceInputError("--from", from, "expected <domain>/<service>, a SPIFFE ID (spiffe://...) or none");
  const known = snapshot.model?.services.has(from) || snapshot.proxies.some((p) => p.workload === from && p.kind === "workload");
  if (!known) throw new TraceInputError("--from", from, `no service ${from} in the declared model or the proxies; expected ${suggest(snapshot, "source")}`);
  return { kind: "workload", key: from };
}

/** Resolves the command line's names into a request. */
export function buildRequest(snapshot: MeshSnapshot, args: RequestArgs): TraceRequest {
  const dest = destination(snapshot, args.to);
  if (args.access !== undefined && args.access !== "read" && args.access !== "write") throw new TraceInputError("--access", args.access, "expected read or write");
  if (args.method !== undefined && !/^[A-Z]+$/.test(args.method)) throw new TraceInputError("--method", args.method, "expected an HTTP method in capitals, e.g. GET or POST");
  if (args.path !== undefined && !args.path.startsWith("/")) throw new TraceInputError("--path", args.path, "a path starts with /, e.g. /orders");
  if (args.access !== undefined && dest.kind === "service") throw new TraceInputError("--access", args.access, `--access is for data products; ${dest.key} is a service (use --method and --path)`);
  const http = dest.protocol === "http" || args.method !== undefined || args.path !== undefined;
  return {
    source: source(snapshot, args.from, dest),
    host: dest.host,
    port: dest.port,
    protocol: http ? "http" : "tcp",
    ...(dest.tls ? { tls: true } : {}),
    ...(args.method !== undefined ? { method: args.method } : {}),
    ...(args.path !== undefined ? { path: args.path } : {}),
    ...(args.access !== undefined ? { access: args.access as "read" | "write" } : {}),
    ...(dest.key ? { destination: dest.key } : {}),
  };
}
