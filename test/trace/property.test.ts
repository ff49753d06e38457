/**
 * Over generated meshes, compiled straight into a snapshot (no Pulumi): every declared intent is
 * delivered with the caller's identity verified by the destination's proxy and the destination
 * zone's OPA consulted; every near miss (another method, a path outside the prefixes, another
 * source, a look-alike or foreign trust domain, no client certificate, an undeclared
 * destination, a data access not granted, a matching deny rule) stops, at an enforcement point.
 * The oracle reads the declared model only (intents and deny rules), never the compilers.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { routedPort } from "../../components/compile/envoy/common";
import { storeEndpoint } from "../../components/compile/envoy/data-proxy";
import { buildMesh, type DataAccess, type MeshModel, type Service } from "../../components/model";
import { snapshotFromModel, snapshotFromResources, traceRequest, type Hop, type MeshSnapshot, type TraceRequest, type TraceResult } from "../../components/trace";
import { arbMesh } from "../fixtures/arbitraries";
import { meshStacks } from "./graph";

const READ = new Set(["GET", "HEAD", "OPTIONS"]);
const access = (m: string): DataAccess => (READ.has(m) ? "read" : "write");
const ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

const sourceMatches = (s: MeshModel["intents"][number]["source"], key: string): boolean => s.kind === "any" || s.key === key;

function denyApplies(r: MeshModel["denyRules"][number], src: string, dest: string): boolean {
  const domain = dest.split("/")[0];
  return sourceMatches(r.source, src) && (r.to === dest || (r.to === undefined && (r.scope === "global" || r.scope === domain)));
}

/** Whether the declared model lets `src` call `method path` on service `dest`. */
function callAllowed(model: MeshModel, src: string, dest: string, method: string, path: string): boolean {
  const granted = model.intents.some((i) => i.kind === "call" && i.to === dest && sourceMatches(i.source, src) && i.methods.includes(method as never) && i.paths.some((p) => path.startsWith(p)));
  const denied = model.denyRules.some((r) => denyApplies(r, src, dest) && (r.methods ?? ALL_METHODS).includes(method as never) && (r.paths ?? ["/"]).some((p) => path.startsWith(p)));
  return granted && !denied;
}

/** Whether the declared model lets `src` open a connection to data product `dest` (L4: some access granted and not denied). */
function dataAllowed(model: MeshModel, src: string, dest: string): boolean {
  const granted = new Set(model.intents.flatMap((i) => (i.kind === "data" && i.to === dest && sourceMatches(i.source, src) ? i.access : [])));
  const denied = new Set(
    model.denyRules.flatMap((r) => (denyApplies(r, src, dest) && (r.paths === undefined || r.paths.includes("/")) ? (r.methods ?? ALL_METHODS).map(access) : [])),
  );
  return [...granted].some((a) => !denied.has(a));
}

function callRequest(src: string, dest: Service, method: string, path: string): TraceRequest {
  const port = routedPort(dest)!;
  return { source: { kind: "workload", key: src }, host: dest.host, port: port.port, protocol: "http", method, path, destination: dest.key };
}

/** A connection to a data product as its consumer opens it: an object store by its own name in its own TLS, a database at its proxy. */
function dataRequest(model: MeshModel, src: string, key: string): TraceRequest {
  const p = model.dataProducts.get(key)!;
  const store = storeEndpoint(model, p);
  const host = store.tls ? store.host : `${p.proxy.name}.${p.namespace}.svc.cluster.local`;
  return { source: { kind: "workload", key: src }, host, port: p.port, protocol: "tcp", ...(store.tls ? { tls: true } : {}), destination: key };
}

const counts = { delivered: 0, stopped: 0, external: 0, data: 0 };

const ENFORCEMENT: ReadonlySet<Hop["kind"]> = new Set(["network-policy", "resolve", "tls", "ext-authz", "rbac", "filter-chain"]);

function expectDelivered(snap: MeshSnapshot, req: TraceRequest, srcId: string, destZone: string, label: string): TraceResult {
  const r = traceRequest(snap, req);
  const last = r.hops[r.hops.length - 1];
  expect({ label, delivered: r.delivered, last: last.rule }).toMatchObject({ label, delivered: true });
  const tls = r.hops.find((h) => h.kind === "tls" && h.verdict === "pass" && h.detail?.["clientIdentity"] === srcId);
  expect(tls, `${label}: the destination verifies ${srcId}`).toBeDefined();
  const authz = r.hops.find((h) => h.kind === "ext-authz" && h.verdict === "pass" && (h.detail?.["zone"] as string | undefined) === destZone);
  expect(authz, `${label}: OPA of ${destZone} consulted`).toBeDefined();
  // Delivered where it was meant to go: the service's application, or through the product's proxy.
  const proxy = snap.proxies.find((p) => p.id === tls!.at)!;
  expect(proxy.workload, `${label}: verified by the destination's own proxy`).toBe(req.destination);
  if (req.protocol === "http") expect(r.deliveredTo?.workload).toBe(req.destination);
  counts.delivered++;
  if (req.protocol === "tcp") counts.data++;
  return r;
}

function expectStopped(snap: MeshSnapshot, req: TraceRequest, label: string, kinds: ReadonlySet<Hop["kind"]> = ENFORCEMENT): Hop {
  const r = traceRequest(snap, req);
  const last = r.hops[r.hops.length - 1];
  expect({ label, delivered: r.delivered, verdict: last.verdict }).toEqual({ label, delivered: false, verdict: "stop" });
  expect(kinds.has(last.kind), `${label}: stopped at ${last.kind}: ${last.rule}`).toBe(true);
  counts.stopped++;
  if (req.source.kind === "external" && last.kind === "tls") counts.external++;
  return last;
}

const STORE_CLOUD: Record<string, "aws" | "gcp" | "azure" | undefined> = { s3: "aws", gcs: "gcp", blob: "azure" };

/** The cloud token endpoints `src` may reach: those of the clouds of the object stores its data intents (or `*` ones) name. */
function tokenHosts(model: MeshModel, src: string): Set<string> {
  const hosts = new Set<string>();
  for (const i of model.intents) {
    if (i.kind !== "data" || !sourceMatches(i.source, src)) continue;
    const p = model.dataProducts.get(i.to)!;
    const cloud = STORE_CLOUD[p.engine];
    const zone = model.zones.find((z) => z.id === p.zone)!;
    if (cloud === "aws") ["sts.amazonaws.com", `sts.${zone.region}.${zone.aws?.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"}`].forEach((h) => hosts.add(h));
    if (cloud === "gcp") hosts.add("sts.googleapis.com");
    if (cloud === "azure") hosts.add("login.microsoftonline.com");
  }
  return hosts;
}

function tokenRequest(src: string, host: string): TraceRequest {
  return { source: { kind: "workload", key: src }, host, port: 443, protocol: "tcp", tls: true };
}

/** Services that can call: not the destination itself (a proxy has no upstream to its own service). */
function callers(model: MeshModel, dest: string): Service[] {
  return [...model.services.values()].filter((s) => s.key !== dest);
}

describe("tracer over generated meshes (compiled, no Pulumi)", () => {
  it("every declared intent is delivered, verified and decided by the destination zone's OPA; its near misses stop", () => {
    fc.assert(
      fc.property(arbMesh(), (g) => {
        const model = buildMesh(g.mesh, g.domains);
        const snap = snapshotFromModel(model);
        const td = model.trustDomain;
        for (const intent of model.intents) {
          if (intent.kind === "call") {
            const dest = model.services.get(intent.to)!;
            if (!routedPort(dest)) continue; // TCP-only services have no path through the mesh
            const srcs = intent.source.kind === "workload" ? [model.services.get(intent.source.key)!] : callers(model, dest.key).slice(0, 1);
            for (const src of srcs) {
              if (!src || src.key === dest.key) continue;
              const method = intent.methods[0];
              const path = intent.paths[0];
              const label = `${intent.id} ${src.key} -> ${dest.key} ${method} ${path}`;
              if (callAllowed(model, src.key, dest.key, method, path)) expectDelivered(snap, callRequest(src.key, dest, method, path), src.spiffeId, dest.zone, label);
              else {
                // A matching deny rule: refused by the destination's OPA or a DENY RBAC filter.
                expectStopped(snap, callRequest(src.key, dest, method, path), `${label} (deny rule)`, new Set(["ext-authz", "rbac"]));
              }
              // Another method.
              const other = ALL_METHODS.find((m) => !callAllowed(model, src.key, dest.key, m, path));
              if (other) expectStopped(snap, callRequest(src.key, dest, other, path), `${label}: method ${other}`, new Set(["ext-authz", "rbac"]));
              // A path outside the prefixes.
              const outside = "/zz-outside";
              if (!callAllowed(model, src.key, dest.key, method, outside)) expectStopped(snap, callRequest(src.key, dest, method, outside), `${label}: path ${outside}`, new Set(["ext-authz", "rbac"]));
            }
            // Another source.
            const stranger = callers(model, dest.key).find((s) => !ALL_METHODS.some((m) => callAllowed(model, s.key, dest.key, m, intent.paths[0])));
            if (stranger) expectStopped(snap, callRequest(stranger.key, dest, intent.methods[0], intent.paths[0]), `${intent.id}: another source ${stranger.key}`);
            // Callers from outside: look-alike and foreign trust domains, no certificate.
            const ext = (spiffeId: string | undefined): TraceRequest => ({ ...callRequest(dest.key, dest, intent.methods[0], intent.paths[0]), source: { kind: "external", zone: dest.zone, ...(spiffeId ? { spiffeId } : {}) } });
            const name = srcs[0]?.spiffeId.replace(`spiffe://${td}`, "") ?? "/ns/x/sa/y";
            for (const [id, why] of [[`spiffe://${td}.evil${name}`, "trust bundle validation"], [`spiffe://foreign.example${name}`, "trust bundle validation"], [undefined, "no client certificate"]] as const) {
              const h = expectStopped(snap, ext(id), `${intent.id}: external ${id ?? "none"}`, new Set(["tls", "network-policy"]));
              if (h.kind === "tls") expect(h.rule).toContain(why);
            }
          } else {
            const product = model.dataProducts.get(intent.to)!;
            const srcs = intent.source.kind === "workload" ? [model.services.get(intent.source.key)!] : [...model.services.values()].slice(0, 1);
            for (const src of srcs) {
              if (!src) continue;
              const label = `${intent.id} ${src.key} -> data ${product.key}`;
              if (dataAllowed(model, src.key, product.key)) expectDelivered(snap, dataRequest(model, src.key, product.key), src.spiffeId, product.zone, label);
              else expectStopped(snap, dataRequest(model, src.key, product.key), `${label} (deny rule)`, new Set(["ext-authz", "rbac"]));
            }
            // The cloud's token endpoint: through the caller's zone's egress gateway, decided by its OPA.
            for (const src of srcs) {
              if (!src || !STORE_CLOUD[product.engine]) continue;
              for (const host of tokenHosts(model, src.key)) {
                const r = traceRequest(snap, tokenRequest(src.key, host));
                const label = `${intent.id} ${src.key} -> token endpoint ${host}`;
                expect({ label, delivered: r.delivered, last: r.hops.at(-1)!.rule }).toMatchObject({ label, delivered: true });
                const egress = snap.proxies.find((p) => p.kind === "egress-gateway" && p.zone === src.zone)!;
                expect(r.hops.some((h) => h.at === egress.id && h.kind === "tls" && h.detail?.["clientIdentity"] === src.spiffeId), label).toBe(true);
                expect(r.hops.some((h) => h.at === egress.id && h.kind === "ext-authz" && h.verdict === "pass"), label).toBe(true);
                expect(r.deliveredTo?.address).toBe(`${host}:443`);
                counts.delivered++;
              }
              const all = ["sts.amazonaws.com", "sts.googleapis.com", "login.microsoftonline.com"];
              for (const host of all.filter((h) => !tokenHosts(model, src.key).has(h))) expectStopped(snap, tokenRequest(src.key, host), `${intent.id} ${src.key} -> undeclared token endpoint ${host}`);
            }
            // A data access not granted (a service with no grant on the product).
            const stranger = [...model.services.values()].find((s) => !dataAllowed(model, s.key, product.key));
            if (stranger) expectStopped(snap, dataRequest(model, stranger.key, product.key), `${intent.id}: no grant for ${stranger.key}`);
          }
        }
        // Undeclared destinations: a source calling a service no intent lets it call at all.
        for (const src of [...model.services.values()].slice(0, 2)) {
          for (const dest of [...model.services.values()].filter((d) => d.key !== src.key && routedPort(d)).slice(0, 3)) {
            if (ALL_METHODS.some((m) => callAllowed(model, src.key, dest.key, m, "/"))) continue;
            if (model.intents.some((i) => i.kind === "call" && i.to === dest.key && sourceMatches(i.source, src.key))) continue;
            expectStopped(snap, callRequest(src.key, dest, "GET", "/"), `undeclared ${src.key} -> ${dest.key}`);
          }
        }
      }),
      { numRuns: 40 },
    );
    // The generated meshes exercise every branch, not just a few.
    expect(counts.delivered).toBeGreaterThan(40);
    expect(counts.data).toBeGreaterThan(5);
    expect(counts.stopped).toBeGreaterThan(100);
    expect(counts.external).toBeGreaterThan(10);
  }, 120_000);

  it("the stacks' resources trace every declared pair like the compilers' snapshot (extraction loses nothing)", () => {
    fc.assert(
      fc.property(arbMesh(), (g) => {
        const model = buildMesh(g.mesh, g.domains);
        const compiled = snapshotFromModel(model);
        const extracted = snapshotFromResources(meshStacks(model, g.mesh, g.domains).flatMap((s) => s.resources));
        expect(extracted.proxies).toHaveLength(compiled.proxies.length);
        for (const intent of model.intents) {
          const dest = model.services.get(intent.to);
          if (intent.kind === "call" && (!dest || !routedPort(dest))) continue;
          const src = intent.source.kind === "workload" ? intent.source.key : callers(model, intent.to)[0]?.key;
          if (!src || src === intent.to) continue;
          const req = intent.kind === "call" ? callRequest(src, dest!, intent.methods[0], intent.paths[0]) : dataRequest(model, src, intent.to);
          const a = traceRequest(compiled, req);
          const b = traceRequest(extracted, req);
          expect({ id: intent.id, delivered: b.delivered, stop: b.hops.at(-1)!.kind, hops: b.hops.length }).toEqual({ id: intent.id, delivered: a.delivered, stop: a.hops.at(-1)!.kind, hops: a.hops.length });
        }
      }),
      { numRuns: 8 },
    );
  }, 120_000);
});
