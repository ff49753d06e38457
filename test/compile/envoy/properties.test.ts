/**
 * Property tests over generated meshes: the compiled RBAC allows exactly what the model
 * declares (intents minus deny rules) at each destination's enforcement point (its workload
 * proxy's inbound, or its data proxy), each caller's proxy has exactly its declared upstreams
 * with mTLS to their exact identities, configs are schema-valid, output is deterministic, and
 * the zone gateway carries nothing of the domains.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  GATEWAY_PORT,
  MESH_PORT,
  compileDataProxy,
  compileGateway,
  compileWorkloadProxy,
  egressGatewayHost,
  egressGatewaySpiffeId,
  rbacAllows,
  rulesAllow,
  toYaml,
  validateEnvoyConfig,
  workloadUpstreams,
  type EnvoyBootstrap,
  type MeshUpstreamTlsContext,
} from "../../../components/compile/envoy";
import { clusterOf, endpointOf, rulesOf } from "./helpers";
import { buildMesh, zoneGateway, type MeshModel, type Service, type Source } from "../../../components/model";
import { arbMesh } from "../../fixtures/arbitraries";
import { workloadEgressTargets } from "../../../components/compile/egress-targets";

const RUNS = 40;
const arbModel = arbMesh().map(({ mesh, domains }) => buildMesh(mesh, domains));

const allowRules = (proxy: EnvoyBootstrap): unknown => rulesOf(proxy, "envoy.filters.http.rbac", "inbound");
const sourceMatches = (s: Source, principal: string): boolean => s.kind === "any" || s.spiffeId === principal;
const routable = (svc: Service): boolean => svc.ports.some((p) => p.protocol !== "tcp");
const proxies = (model: MeshModel): Map<string, EnvoyBootstrap> => new Map([...model.services.keys()].map((k) => [k, compileWorkloadProxy(model, k)]));

/** Reference semantics of an HTTP request at the destination's workload proxy: some intent allows it and no deny rule matches. */
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
  it("every declared call intent is allowed at the destination's workload proxy inbound unless a deny rule matches", () => {
    fc.assert(
      fc.property(arbModel, (model) => {
        for (const intent of model.intents) {
          if (intent.kind !== "call" || intent.source.kind !== "workload") continue;
          const svc = model.services.get(intent.to)!;
          if (!routable(svc)) continue; // not routable at L7
          const proxy = compileWorkloadProxy(model, svc.key);
          for (const method of intent.methods) {
            for (const path of intent.paths) {
              const req = { listener: "inbound", principal: intent.source.spiffeId, host: svc.host, method, path };
              expect(rulesAllow(allowRules(proxy), req)).toBe(true);
              expect(rulesAllow(allowRules(proxy), { ...req, host: `${svc.host}:${svc.ports[0].port}` })).toBe(true);
              expect(rbacAllows(proxy, req)).toBe(expectedHttp(model, req.principal, svc, method, path));
            }
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("each workload proxy's inbound allows exactly the declared (source, service, method, path) combinations, and only for its own service", () => {
    fc.assert(
      fc.property(arbModel, fc.constantFrom("GET", "POST", "DELETE", "PATCH"), (model, extraMethod) => {
        const all = proxies(model);
        const keys = [...model.services.keys()];
        for (const svc of model.services.values()) {
          const proxy = all.get(svc.key)!;
          // Another service's proxy (the next one): it must refuse requests for this service.
          const other = keys.length > 1 ? keys[(keys.indexOf(svc.key) + 1) % keys.length] : undefined;
          const methods = new Set([extraMethod, ...model.intents.flatMap((i) => (i.kind === "call" && i.to === svc.key ? i.methods : []))]);
          for (const principal of principals(model)) {
            for (const method of methods) {
              for (const path of paths(model, svc)) {
                const req = { listener: "inbound", principal, host: svc.host, method, path };
                const expected = routable(svc) && expectedHttp(model, principal, svc, method, path);
                expect(rbacAllows(proxy, req), `${svc.key} ${principal} ${method} ${svc.host}${path}`).toBe(expected);
                if (other !== undefined) expect(rbacAllows(all.get(other)!, req), `${other} for ${svc.key}`).toBe(false);
              }
            }
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("each service's proxy has one outbound listener per declared upstream port, with mTLS to exactly that destination through the right next hop", () => {
    fc.assert(
      fc.property(arbModel, (model) => {
        for (const caller of model.services.values()) {
          const proxy = compileWorkloadProxy(model, caller.key);
          // Oracle, straight from the intents: name -> [destination zone, host, SPIFFE ID].
          const expected = new Map<string, [string, string, string]>();
          // Cloud token endpoints (for object-store intents) go to the caller zone's egress gateway.
          const egress = new Map(workloadEgressTargets(model, caller.key).map((t) => [`outbound|443|${t.host}`, t.id]));
          for (const i of model.intents) {
            if (i.source.kind === "workload" && i.source.key !== caller.key) continue;
            if (i.kind === "call") {
              const dst = model.services.get(i.to)!;
              if (dst.key === caller.key) continue;
              for (const p of dst.ports) if (p.protocol !== "tcp") expected.set(`outbound|${p.port}|${dst.host}`, [dst.zone, dst.host, dst.spiffeId]);
            } else {
              const dst = model.dataProducts.get(i.to)!;
              const host = `${dst.proxy.name}.${dst.namespace}.svc.cluster.local`;
              expected.set(`outbound|${dst.port}|${host}`, [dst.zone, host, dst.proxy.spiffeId]);
            }
          }
          const names = proxy.static_resources.listeners.map((l) => l.name);
          expect(names[0]).toBe("inbound");
          expect(names.slice(1).sort()).toEqual([...expected.keys(), ...egress.keys()].sort());
          expect(workloadUpstreams(model, caller.key).map((u) => `outbound|${u.port}|${u.host}`).sort()).toEqual([...expected.keys(), ...egress.keys()].sort());
          for (const [name, target] of egress) {
            const c = clusterOf(proxy, name);
            expect(endpointOf(c), name).toEqual({ socket_address: { address: egressGatewayHost(caller.zone), port_value: MESH_PORT } });
            const tls = c.transport_socket!.typed_config as MeshUpstreamTlsContext;
            expect(tls.sni).toBe(`${caller.domain}.${target}.egress.${model.trustDomain}`);
            expect(tls.common_tls_context.combined_validation_context.default_validation_context.match_typed_subject_alt_names).toEqual([
              { san_type: "URI", matcher: { exact: egressGatewaySpiffeId(model.trustDomain, caller.zone) } },
            ]);
          }
          for (const [name, [zone, host, spiffeId]] of expected) {
            const c = clusterOf(proxy, name);
            const gw = zoneGateway(model.zones.find((z) => z.id === zone)!, model.trustDomain).host;
            expect(endpointOf(c), name).toEqual({ socket_address: zone === caller.zone ? { address: host, port_value: MESH_PORT } : { address: gw, port_value: GATEWAY_PORT } });
            const tls = c.transport_socket!.typed_config as MeshUpstreamTlsContext;
            expect(tls.sni).toBe(host);
            expect(tls.common_tls_context.tls_certificate_sds_secret_configs.map((x) => x.name)).toEqual([caller.spiffeId]);
            expect(tls.common_tls_context.combined_validation_context.default_validation_context.match_typed_subject_alt_names).toEqual([{ san_type: "URI", matcher: { exact: spiffeId } }]);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("each caller's proxy refuses on the way out exactly what its own domain's and the mesh's deny rules deny it, whatever host name it used", () => {
    fc.assert(
      fc.property(arbModel, (model) => {
        for (const caller of model.services.values()) {
          const proxy = compileWorkloadProxy(model, caller.key);
          for (const u of workloadUpstreams(model, caller.key)) {
            if (u.kind !== "service") continue;
            const svc = model.services.get(u.key)!;
            for (const method of ["GET", "POST", "DELETE"]) {
              for (const path of paths(model, svc)) {
                const denied = model.denyRules.some(
                  (r) =>
                    (r.scope === caller.domain || r.scope === "global") &&
                    sourceMatches(r.source, caller.spiffeId) &&
                    (r.to !== undefined ? r.to === svc.key : r.scope === "global" || r.scope === svc.domain) &&
                    (r.methods === undefined || (r.methods as string[]).includes(method)) &&
                    (r.paths === undefined || r.paths.some((p) => path.startsWith(p))),
                );
                for (const host of [...u.hostnames, `${u.hostnames[u.hostnames.length - 1]}:${u.port}`]) {
                  // The application's connection to its own proxy is plaintext: no peer certificate.
                  const req = { listener: `outbound|${u.port}|${u.host}`, host, method, path };
                  expect(rbacAllows(proxy, req), `${caller.key} -> ${host} ${method} ${path}`).toBe(!denied);
                }
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
        for (const key of model.services.keys()) expect(validateEnvoyConfig(compileWorkloadProxy(model, key)), key).toEqual([]);
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
        for (const key of model.services.keys()) {
          const a = toYaml(compileWorkloadProxy(model, key));
          expect(toYaml(compileWorkloadProxy(model, key))).toBe(a);
          expect(toYaml(compileWorkloadProxy(shuffled, key))).toBe(a);
        }
        for (const key of model.dataProducts.keys()) {
          expect(toYaml(compileDataProxy(shuffled, key))).toBe(toYaml(compileDataProxy(model, key)));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("the zone gateway is the same with or without the domains: nothing in it depends on them", () => {
    fc.assert(
      fc.property(arbModel, (model) => {
        const bare: MeshModel = { ...model, domains: [], services: new Map(), dataProducts: new Map(), intents: [], denyRules: [] };
        for (const zone of model.zones) expect(toYaml(compileGateway(model, zone.id))).toBe(toYaml(compileGateway(bare, zone.id)));
      }),
      { numRuns: RUNS },
    );
  });
});
