/**
 * Property tests over generated meshes: the compiled RBAC allows exactly what the model
 * declares (intents minus deny rules), configs are schema-valid, output is deterministic.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileDataProxy, compileGateway, rbacAllows, rulesAllow, toYaml, validateEnvoyConfig, type EnvoyBootstrap } from "../../../components/compile/envoy";
import { rulesOf } from "./helpers";
import { buildMesh, type MeshModel, type Service, type Source } from "../../../components/model";
import { arbMesh } from "../../fixtures/arbitraries";

const RUNS = 40;
const arbModel = arbMesh().map(({ mesh, domains }) => buildMesh(mesh, domains));

const allowRules = (gw: EnvoyBootstrap): unknown => rulesOf(gw, "envoy.filters.http.rbac");
const sourceMatches = (s: Source, principal: string): boolean => s.kind === "any" || s.spiffeId === principal;

/** Reference semantics of an HTTP request through the gateway: some intent allows it and no deny rule matches. */
function expectedHttp(model: MeshModel, principal: string, svc: Service, method: string, path: string): boolean {
  const allowed = model.intents.some(
    (i) =>
      i.kind === "call" &&
      i.to === svc.key &&
      sourceMatches(i.source, principal) &&
      (i.methods as string[]).includes(method) &&
      i.paths.some((p) => path.startsWith(p)),
  );
  const denied = model.denyRules.some(
    (r) =>
      sourceMatches(r.source, principal) &&
      (r.to !== undefined ? r.to === svc.key : r.scope === "global" || r.scope === svc.domain) &&
      (r.methods === undefined || (r.methods as string[]).includes(method)) &&
      (r.paths === undefined || r.paths.some((p) => path.startsWith(p))),
  );
  return allowed && !denied;
}

/** Principals worth probing: every service, every product proxy, and a stranger of the trust domain. */
function principals(model: MeshModel): string[] {
  return [
    ...[...model.services.values()].map((s) => s.spiffeId),
    ...[...model.dataProducts.values()].map((p) => p.proxy.spiffeId),
    `spiffe://${model.trustDomain}/ns/stranger/sa/stranger`,
  ];
}

/** Paths worth probing for a service: the declared prefixes, extensions of them, and unrelated paths. */
function paths(model: MeshModel, svc: Service): string[] {
  const declared = model.intents.flatMap((i) => (i.kind === "call" && i.to === svc.key ? i.paths : []));
  const denied = model.denyRules.flatMap((r) => r.paths ?? []);
  return [...new Set([...declared, ...denied, ...declared.map((p) => `${p}/x?q=1`), "/", "/zz-undeclared"])];
}

describe("Envoy compiler properties", () => {
  it("every declared call intent is allowed at the destination zone's gateway unless a deny rule matches", () => {
    fc.assert(
      fc.property(arbModel, (model) => {
        for (const intent of model.intents) {
          if (intent.kind !== "call" || intent.source.kind !== "workload") continue;
          const svc = model.services.get(intent.to)!;
          if (!svc.ports.some((p) => p.protocol !== "tcp")) continue; // not routable at L7
          const gw = compileGateway(model, svc.zone);
          for (const method of intent.methods) {
            for (const path of intent.paths) {
              const req = { principal: intent.source.spiffeId, host: svc.host, method, path };
              expect(rulesAllow(allowRules(gw), req)).toBe(true);
              expect(rulesAllow(allowRules(gw), { ...req, host: `${svc.host}:${svc.ports[0].port}` })).toBe(true);
              expect(rbacAllows(gw, req)).toBe(expectedHttp(model, req.principal, svc, method, path));
            }
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("the gateway allows exactly the declared (source, service, method, path) combinations", () => {
    fc.assert(
      fc.property(arbModel, fc.constantFrom("GET", "POST", "DELETE", "PATCH"), (model, extraMethod) => {
        const gateways = new Map(model.zones.map((z) => [z.id, compileGateway(model, z.id)]));
        for (const svc of model.services.values()) {
          const routable = svc.ports.some((p) => p.protocol !== "tcp");
          const gw = gateways.get(svc.zone)!;
          const otherZone = model.zones.find((z) => z.id !== svc.zone)!.id;
          const methods = new Set([extraMethod, ...model.intents.flatMap((i) => (i.kind === "call" && i.to === svc.key ? i.methods : []))]);
          for (const principal of principals(model)) {
            for (const method of methods) {
              for (const path of paths(model, svc)) {
                const req = { principal, host: svc.host, method, path };
                const expected = routable && expectedHttp(model, principal, svc, method, path);
                expect(rbacAllows(gw, req), `${svc.zone} ${principal} ${method} ${svc.host}${path}`).toBe(expected);
                // No other zone's gateway lets the request through.
                expect(rbacAllows(gateways.get(otherZone)!, req)).toBe(false);
              }
            }
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("each data proxy admits exactly the sources of data intents to its product, minus whole-product denies", () => {
    fc.assert(
      fc.property(arbModel, (model) => {
        for (const product of model.dataProducts.values()) {
          const proxy = compileDataProxy(model, product.key);
          for (const principal of principals(model)) {
            const allowed = model.intents.some((i) => i.kind === "data" && i.to === product.key && sourceMatches(i.source, principal));
            const denied = model.denyRules.some(
              (r) =>
                r.methods === undefined &&
                r.paths === undefined &&
                sourceMatches(r.source, principal) &&
                (r.to !== undefined ? r.to === product.key : r.scope === "global" || r.scope === product.domain),
            );
            expect(rbacAllows(proxy, { principal }), `${product.key} ${principal}`).toBe(allowed && !denied);
          }
          expect(rbacAllows(proxy, {})).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("every compiled config passes the Envoy schema check", () => {
    fc.assert(
      fc.property(arbModel, (model) => {
        for (const zone of model.zones) expect(validateEnvoyConfig(compileGateway(model, zone.id))).toEqual([]);
        for (const key of model.dataProducts.keys()) expect(validateEnvoyConfig(compileDataProxy(model, key))).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it("output is deterministic and independent of intent and deny rule order", () => {
    fc.assert(
      fc.property(arbModel, fc.integer(), (model, seed) => {
        const shuffle = <T>(xs: T[]): T[] => {
          const out = [...xs];
          let s = seed;
          for (let i = out.length - 1; i > 0; i--) {
            s = (s * 1103515245 + 12345) & 0x7fffffff;
            const j = s % (i + 1);
            [out[i], out[j]] = [out[j], out[i]];
          }
          return out;
        };
        const shuffled: MeshModel = { ...model, intents: shuffle(model.intents), denyRules: shuffle(model.denyRules) };
        for (const zone of model.zones) {
          const a = toYaml(compileGateway(model, zone.id));
          expect(toYaml(compileGateway(model, zone.id))).toBe(a);
          expect(toYaml(compileGateway(shuffled, zone.id))).toBe(a);
        }
        for (const key of model.dataProducts.keys()) {
          expect(toYaml(compileDataProxy(shuffled, key))).toBe(toYaml(compileDataProxy(model, key)));
        }
      }),
      { numRuns: RUNS },
    );
  });
});
