/**
 * Property tests of the OPA compiler over generated meshes: `decide` (the Rego's twin) agrees
 * with an oracle written directly over the model, declared intents are allowed, undeclared
 * pairs denied, deny overrides, output is deterministic and one allow pair per declared pair.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bundleFiles, compileOpaBundles, dataTree, decide, type CheckInput, type DomainData, type ZtmeshData } from "../../../components/compile/opa";
import { HTTP_METHODS, buildMesh, type DataAccess, type DataProduct, type DenyRule, type HttpMethod, type MeshModel, type Service } from "../../../components/model";
import { arbMesh, type GeneratedMesh } from "../../fixtures/arbitraries";

const noRego = { policyModules: {} };
const RUNS = { numRuns: 40 };

const subPath = (p: string): string => (p.endsWith("/") ? `${p}sub` : `${p}/sub`);
/** The enforcement point of a destination: its own SPIFFE ID and the labels its ext_authz sends. */
const at = (principal: string, domain: string, workload: string) => ({ principal, labels: { domain, workload } });
/** An HTTP check at service `dst`'s workload proxy. */
const callInput = (src: string, method: string, path: string, dst: Service): CheckInput => ({
  attributes: {
    source: { principal: src },
    destination: at(dst.spiffeId, dst.domain, dst.key),
    request: { http: { method, path, host: `${dst.host}:${dst.ports[0].port}` } },
  },
});
/** An L4 check (or HTTP, with `method`) at product `dst`'s data proxy. */
const dataInput = (src: string, dst: DataProduct, method?: string): CheckInput => ({
  attributes: {
    source: { principal: src },
    destination: at(dst.proxy.spiffeId, dst.domain, dst.key),
    ...(method ? { request: { http: { method, path: "/", host: "store" } } } : {}),
  },
});

// ---- Oracle: the intended semantics, straight from the model -------------------------------

const accessOf = (m: string): DataAccess => (["GET", "HEAD", "OPTIONS"].includes(m) ? "read" : "write");
const inTd = (model: MeshModel, src: string): boolean => src.startsWith(`spiffe://${model.trustDomain}/`);
const sourceMatches = (model: MeshModel, s: DenyRule["source"], src: string, forIntent: boolean): boolean =>
  s.kind === "any" ? !forIntent || inTd(model, src) : s.spiffeId === src;

function denyApplies(model: MeshModel, r: DenyRule, src: string, dst: string): boolean {
  const domain = dst.slice(0, dst.indexOf("/"));
  return sourceMatches(model, r.source, src, false) && (r.to !== undefined ? r.to === dst : r.scope === "global" || r.scope === domain);
}

function oracleCall(model: MeshModel, src: string, dst: string, method: HttpMethod, path: string): boolean {
  const granted = model.intents.some(
    (i) => i.kind === "call" && i.to === dst && sourceMatches(model, i.source, src, true) && i.methods.includes(method) && i.paths.some((p) => path.startsWith(p)),
  );
  const denied = model.denyRules.some(
    (r) =>
      denyApplies(model, r, src, dst) && (r.methods === undefined || r.methods.includes(method)) && (r.paths === undefined || r.paths.some((p) => path.startsWith(p))),
  );
  return granted && !denied;
}

/** Access classes the source keeps on a data product: granted by intents, minus those deny rules take. */
function oracleAccess(model: MeshModel, src: string, dst: string): Set<DataAccess> {
  const granted = new Set(model.intents.flatMap((i) => (i.kind === "data" && i.to === dst && sourceMatches(model, i.source, src, true) ? i.access : [])));
  for (const r of model.denyRules) {
    if (!denyApplies(model, r, src, dst) || (r.paths !== undefined && !r.paths.includes("/"))) continue;
    for (const m of r.methods ?? HTTP_METHODS) granted.delete(accessOf(m));
  }
  return granted;
}

function sources(model: MeshModel): string[] {
  return [
    ...[...model.services.values()].map((s) => s.spiffeId),
    `spiffe://${model.trustDomain}/ns/zz-outsider/sa/nobody`,
    "spiffe://foreign.example/ns/x/sa/y",
  ];
}

/** Paths worth probing: every declared prefix, a sub-path of each, and one matching nothing. */
function probePaths(model: MeshModel): string[] {
  const prefixes = new Set<string>(["/"]);
  for (const i of model.intents) if (i.kind === "call") i.paths.forEach((p) => prefixes.add(p));
  for (const r of model.denyRules) (r.paths ?? []).forEach((p) => prefixes.add(p));
  return [...prefixes].flatMap((p) => [p, subPath(p)]).concat(["/zz-unmatched", ""]);
}

function forEachZone(g: GeneratedMesh, f: (model: MeshModel, zone: string, data: ZtmeshData) => void): void {
  const model = buildMesh(g.mesh, g.domains);
  for (const z of model.zones) f(model, z.id, dataTree(compileOpaBundles(model, z.id, noRego)));
}

describe("OPA bundles over generated meshes", () => {
  it("decide agrees with the model oracle on every source, service, method and probe path", () => {
    fc.assert(
      fc.property(arbMesh(), (g) => {
        forEachZone(g, (model, zone, data) => {
          const paths = probePaths(model);
          for (const dst of model.services.values()) {
            for (const src of sources(model)) {
              for (const m of HTTP_METHODS) {
                for (const p of paths) {
                  const expected = dst.zone === zone && oracleCall(model, src, dst.key, m, p);
                  const got = decide(data, callInput(src, m, p, dst)).allow;
                  if (got !== expected) expect({ zone, src, dst: dst.key, m, p, got }).toEqual({ zone, src, dst: dst.key, m, p, got: expected });
                }
              }
            }
          }
        });
      }),
      { numRuns: 25 },
    );
  });

  it("decide agrees with the model oracle at data proxies (L4, HTTP read and write)", () => {
    fc.assert(
      fc.property(arbMesh(), (g) => {
        forEachZone(g, (model, zone, data) => {
          for (const dst of model.dataProducts.values()) {
            for (const src of sources(model)) {
              const kept = dst.zone === zone ? oracleAccess(model, src, dst.key) : new Set<DataAccess>();
              expect(decide(data, dataInput(src, dst)).allow, `L4 ${src} -> ${dst.key} in ${zone}`).toBe(kept.size > 0);
              expect(decide(data, dataInput(src, dst, "GET")).allow, `GET ${src} -> ${dst.key}`).toBe(kept.has("read"));
              expect(decide(data, dataInput(src, dst, "PUT")).allow, `PUT ${src} -> ${dst.key}`).toBe(kept.has("write"));
            }
          }
        });
      }),
      RUNS,
    );
  });

  it("without deny rules, allows every declared intent: each method, under each path prefix", () => {
    fc.assert(
      fc.property(arbMesh(), (g0) => {
        const g: GeneratedMesh = { mesh: { ...g0.mesh, denyRules: undefined }, domains: g0.domains.map((d) => ({ ...d, denyRules: undefined })) };
        const model = buildMesh(g.mesh, g.domains);
        const byZone = new Map(model.zones.map((z) => [z.id, dataTree(compileOpaBundles(model, z.id, noRego))]));
        const member = [...model.services.values()][0].spiffeId;
        for (const i of model.intents) {
          const src = i.source.kind === "any" ? member : i.source.spiffeId;
          if (i.kind === "call") {
            const dst = model.services.get(i.to);
            if (!dst) throw new Error(i.to);
            const data = byZone.get(dst.zone) as ZtmeshData;
            for (const m of i.methods) for (const p of i.paths) for (const path of [p, subPath(p)]) expect(decide(data, callInput(src, m, path, dst)).allow, `${i.id} ${m} ${path}`).toBe(true);
          } else {
            const dst = model.dataProducts.get(i.to);
            if (!dst) throw new Error(i.to);
            const data = byZone.get(dst.zone) as ZtmeshData;
            expect(decide(data, dataInput(src, dst)).allow, i.id).toBe(true);
            for (const a of i.access) expect(decide(data, dataInput(src, dst, a === "read" ? "GET" : "POST")).allow, `${i.id} ${a}`).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it("denies every undeclared (source, destination) pair", () => {
    fc.assert(
      fc.property(arbMesh(), (g) => {
        forEachZone(g, (model, zone, data) => {
          for (const src of sources(model)) {
            const declared = (to: string): boolean => model.intents.some((i) => i.to === to && sourceMatches(model, i.source, src, true));
            for (const dst of model.services.values()) {
              if (dst.zone === zone && declared(dst.key)) continue;
              for (const m of HTTP_METHODS) expect(decide(data, callInput(src, m, "/", dst)).allow).toBe(false);
            }
            for (const dst of model.dataProducts.values()) {
              if (dst.zone === zone && declared(dst.key)) continue;
              expect(decide(data, dataInput(src, dst)).allow).toBe(false);
              expect(decide(data, dataInput(src, dst, "GET")).allow).toBe(false);
            }
          }
        });
      }),
      RUNS,
    );
  });

  it("lets a catch-all global deny rule override every intent", () => {
    fc.assert(
      fc.property(arbMesh(), (g) => {
        const denyAll: GeneratedMesh = { mesh: { ...g.mesh, denyRules: [...(g.mesh.denyRules ?? []), { reason: "lockdown" }] }, domains: g.domains };
        forEachZone(denyAll, (model, _zone, data) => {
          for (const src of sources(model)) {
            for (const dst of model.services.values()) for (const m of HTTP_METHODS) expect(decide(data, callInput(src, m, "/x", dst)).allow).toBe(false);
            for (const dst of model.dataProducts.values()) expect(decide(data, dataInput(src, dst)).allow).toBe(false);
          }
        });
      }),
      RUNS,
    );
  });

  it("compiles deterministically: byte-identical files from two compiles and from a copied declaration", () => {
    fc.assert(
      fc.property(arbMesh(), (g) => {
        const copy = JSON.parse(JSON.stringify(g)) as GeneratedMesh;
        const [a, b] = [buildMesh(g.mesh, g.domains), buildMesh(copy.mesh, copy.domains)];
        for (const z of a.zones) {
          const files = (m: MeshModel) => {
            const bundles = compileOpaBundles(m, z.id, noRego);
            return [bundles.platform, ...Object.values(bundles.domains)].map((x) => [x.name, [...bundleFiles(x)]]);
          };
          expect(files(a)).toEqual(files(a));
          expect(files(b)).toEqual(files(a));
        }
      }),
      RUNS,
    );
  });

  it("emits one allow pair per declared (destination, source) pair and one grant per intent", () => {
    fc.assert(
      fc.property(arbMesh(), (g) => {
        const model = buildMesh(g.mesh, g.domains);
        let pairs = 0;
        let grants = 0;
        for (const z of model.zones) {
          for (const d of Object.values(compileOpaBundles(model, z.id, noRego).domains)) {
            for (const bySource of Object.values(d.data.allow)) {
              pairs += Object.keys(bySource).length;
              grants += Object.values(bySource).reduce((n, list) => n + list.length, 0);
            }
          }
        }
        const declared = new Set(model.intents.map((i) => `${i.to} ${i.source.kind === "any" ? "*" : i.source.spiffeId}`));
        expect(pairs).toBe(declared.size);
        expect(grants).toBe(model.intents.length);
      }),
      RUNS,
    );
  });
  it("finds the destination by its enforcement point's domain label and identity: other bundles never change a decision, a wrong or missing label is denied with its reason", () => {
    fc.assert(
      fc.property(arbMesh(), fc.nat(), (g, pick) => {
        forEachZone(g, (model, zone, data) => {
          const local = [...model.services.values()].filter((s) => s.zone === zone);
          const products = [...model.dataProducts.values()].filter((p) => p.zone === zone);
          if (local.length === 0) return;
          const taken = local[pick % local.length];
          const takenProduct = products.length > 0 ? products[pick % products.length] : undefined;
          // A bundle claiming those identities and granting everything on them (another domain's stack, say).
          const rogue: DomainData = {
            services: { [taken.spiffeId]: "zz-rogue/svc" },
            proxies: takenProduct ? { [takenProduct.proxy.spiffeId]: "zz-rogue/data" } : {},
            allow: {
              "zz-rogue/svc": { "*": [{ intent: "zz-rogue#0", methods: Object.fromEntries(HTTP_METHODS.map((m) => [m, true])), paths: ["/"] }] },
              "zz-rogue/data": { "*": [{ intent: "zz-rogue#1", access: ["read", "write"] }] },
            },
            deny: {},
            egress: {},
          };
          const withRogue: ZtmeshData = { ...data, domains: { ...data.domains, "zz-rogue": rogue } };
          // A domain with a bundle in this zone that is not the destination's (when there is one), and one with none.
          const otherDomain = Object.keys(data.domains).find((d) => d !== taken.domain);
          const noBundle = "zz-absent";
          for (const src of sources(model)) {
            for (const m of ["GET", "POST", "DELETE"]) {
              const input = callInput(src, m, "/", taken);
              // Decided by the destination's own bundle, whatever else is loaded.
              expect(decide(withRogue, input), `${src} ${m} ${taken.key}`).toEqual(decide(data, input));
              const relabel = (labels: Record<string, string> | undefined): CheckInput => ({
                attributes: { ...input.attributes, destination: { principal: taken.spiffeId, ...(labels ? { labels } : {}) } },
              });
              expect(decide(withRogue, relabel(undefined))).toEqual({
                allow: false,
                reason: "unknown destination: the enforcement point names no destination domain (ext_authz bootstrap_metadata_labels_key)",
              });
              expect(decide(withRogue, relabel({ domain: noBundle, workload: taken.key }))).toEqual({ allow: false, reason: `unknown destination: no bundle of domain ${noBundle} in this zone` });
              if (otherDomain !== undefined) {
                expect(decide(withRogue, relabel({ domain: otherDomain, workload: taken.key }))).toEqual({
                  allow: false,
                  reason: `unknown destination: domain ${otherDomain} has no service or data proxy with identity ${taken.spiffeId} in this zone`,
                });
              }
            }
            if (takenProduct) {
              for (const method of [undefined, "GET", "PUT"]) {
                const input = dataInput(src, takenProduct, method);
                expect(decide(withRogue, input), `${method ?? "L4"} ${src} -> ${takenProduct.key}`).toEqual(decide(data, input));
              }
            }
          }
        });
      }),
      RUNS,
    );
  });
});
