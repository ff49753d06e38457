import { NetworkPolicy as K8sNetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { describe, expect, it } from "vitest";
import {
  GATEWAY_PORT,
  MESH_PORT,
  POLICY_ENGINE_GRPC_PORT,
  type NetworkPolicy,
  compileNetworkPolicies,
  compileSystemNetworkPolicies,
  gatewayPeer,
  networkAllows,
  policyEnginePeer,
  workloadLabels,
} from "../../../components/compile/kubernetes";
import { type DomainSpec, type IntentSpec, type MeshModel, type MeshSpec, type Workload, buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const model = buildMesh(mesh, domains);
const byName = (ps: NetworkPolicy[], ns: string, name: string): NetworkPolicy | undefined =>
  ps.find((p) => p.metadata.namespace === ns && p.metadata.name === name);
const pod = (w: Workload) => ({ namespace: w.namespace, labels: workloadLabels(w) });
const svc = (key: string) => model.services.get(key)!;
const proxy = (key: string) => model.dataProducts.get(key)!.proxy;
const MESH = [{ protocol: "TCP", port: 15006 }];
/** The fixture mesh with gateway settings on some zones. */
const withGateways = (gateways: Record<string, string[]>): MeshModel => {
  const spec: MeshSpec = { ...mesh, zones: mesh.zones.map((z) => (gateways[z.id] ? { ...z, gateway: { cidrs: gateways[z.id] } } : z)) };
  return buildMesh(spec, domains);
};
/** An address outside the cluster (a remote zone's gateway LoadBalancer, say). */
const external = (ip: string) => ({ namespace: "elsewhere", labels: {}, ip });

describe("compileNetworkPolicies (fixture)", () => {
  const aws = compileNetworkPolicies(model, "aws-eu");

  it("lists the expected policies for aws-eu, sorted", () => {
    expect(aws.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      "trading/allow-dns",
      "trading/allow-egress-trading-matching",
      "trading/allow-egress-trading-order-api",
      "trading/allow-egress-trading-trades-proxy",
      "trading/allow-ingress-trading-matching",
      "trading/allow-ingress-trading-trades-proxy",
      "trading/default-deny",
    ]);
  });

  it("default-deny isolates every pod both ways with no rules", () => {
    expect(byName(aws, "trading", "default-deny")!.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("admits the same-zone caller directly and cross-zone callers through the gateway", () => {
    const matching = byName(aws, "trading", "allow-ingress-trading-matching")!;
    expect(matching.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "trading" } },
            podSelector: { matchLabels: { "ztmesh.io/domain": "trading", "ztmesh.io/workload": "order-api" } },
          },
        ],
        ports: MESH,
      },
    ]);
    // trades is read by risk-engine (gcp) and auditor (azure): gateway + matching, on the mesh port (not the store port).
    const trades = byName(aws, "trading", "allow-ingress-trading-trades-proxy")!;
    expect(trades.spec.ingress![0].from).toHaveLength(2);
    expect(trades.spec.ingress![0].from).toContainEqual(gatewayPeer());
    expect(trades.spec.ingress![0].ports).toEqual(MESH);
  });

  it("admits mesh pods on the mesh port only, never on an application's own port", () => {
    expect(MESH_PORT).toBe(15006);
    for (const z of model.zones) {
      for (const p of compileNetworkPolicies(model, z.id)) {
        for (const r of p.spec.ingress ?? []) expect(r.ports, `${z.id} ${p.metadata.name}`).toEqual(MESH);
      }
    }
  });

  it("lets every service ask its zone's policy engines (its proxy's ext_authz), on 9191 only", () => {
    const expected = { to: [policyEnginePeer()], ports: [{ protocol: "TCP", port: POLICY_ENGINE_GRPC_PORT }] };
    for (const key of ["trading/order-api", "trading/matching"]) {
      expect(byName(aws, "trading", `allow-egress-${key.replace("/", "-")}`)!.spec.egress![0], key).toEqual(expected);
    }
  });

  it("sends cross-zone calls to the destination zone's gateway: port-only on the gateway port while that zone declares no CIDRs", () => {
    const orderApi = byName(aws, "trading", "allow-egress-trading-order-api")!;
    expect(orderApi.spec.egress).toContainEqual({ ports: [{ protocol: "TCP", port: GATEWAY_PORT }] });
    expect(orderApi.spec.egress!.some((r) => r.to?.some((peer) => peer.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "ztmesh-gateway"))).toBe(false);
    // matching's destinations are all in aws-eu: no gateway rule at all.
    expect(byName(aws, "trading", "allow-egress-trading-matching")!.spec.egress!.some((r) => r.ports?.some((p) => p.port === GATEWAY_PORT))).toBe(false);
  });

  it("narrows that egress to the gateway CIDRs the destination zones declare, and only when all of them do", () => {
    const gcpDeclared = compileNetworkPolicies(withGateways({ "gcp-eu": ["10.40.0.0/28", "10.40.1.0/28"] }), "aws-eu");
    const orderApi = byName(gcpDeclared, "trading", "allow-egress-trading-order-api")!;
    expect(orderApi.spec.egress!.filter((r) => r.ports?.some((p) => p.port === GATEWAY_PORT))).toEqual([
      { to: [{ ipBlock: { cidr: "10.40.0.0/28" } }, { ipBlock: { cidr: "10.40.1.0/28" } }], ports: [{ protocol: "TCP", port: GATEWAY_PORT }] },
    ]);
    expect(networkAllows(gcpDeclared, pod(svc("trading/order-api")), external("10.40.1.7"), GATEWAY_PORT)).toBe(true);
    expect(networkAllows(gcpDeclared, pod(svc("trading/order-api")), external("10.40.2.7"), GATEWAY_PORT)).toBe(false);
    expect(networkAllows(gcpDeclared, pod(svc("trading/order-api")), external("10.40.1.7"), MESH_PORT)).toBe(false);
    // risk-engine (gcp-eu) reads trades (aws-eu) and risk-db (dc-eu): port-only until both zones declare CIDRs.
    const riskEgress = (m: MeshModel) => byName(compileNetworkPolicies(m, "gcp-eu"), "risk", "allow-egress-risk-risk-engine")!.spec.egress!;
    expect(riskEgress(withGateways({ "aws-eu": ["10.10.0.0/28"] }))).toContainEqual({ ports: [{ protocol: "TCP", port: GATEWAY_PORT }] });
    const both = riskEgress(withGateways({ "aws-eu": ["10.10.0.0/28"], "dc-eu": ["192.168.50.0/29", "10.10.0.0/28"] }));
    const gatewayRules = both.filter((r) => r.ports?.some((p) => p.port === GATEWAY_PORT));
    expect(gatewayRules).toEqual([
      { to: [{ ipBlock: { cidr: "10.10.0.0/28" } }, { ipBlock: { cidr: "192.168.50.0/29" } }], ports: [{ protocol: "TCP", port: GATEWAY_PORT }] },
    ]);
    // A zone's own CIDRs never open anything to its own workloads' same-zone calls.
    expect(byName(compileNetworkPolicies(withGateways({ "aws-eu": ["10.10.0.0/28"] }), "aws-eu"), "trading", "allow-egress-trading-matching")!.spec.egress!.some((r) => r.to?.some((peer) => peer.ipBlock))).toBe(false);
  });

  it("gives data proxies port-only egress to their store, or an ipBlock when a CIDR is known", () => {
    const db = compileNetworkPolicies(model, "dc-eu");
    const rule = byName(db, "risk", "allow-egress-risk-risk-db-proxy")!.spec.egress![0];
    expect(rule).toEqual({ ports: [{ protocol: "TCP", port: 5432 }] });
    const withCidr = compileNetworkPolicies(model, "dc-eu", { storeCidrs: { "risk/risk-db": "10.20.0.0/24" } });
    expect(byName(withCidr, "risk", "allow-egress-risk-risk-db-proxy")!.spec.egress![0].to).toEqual([
      { ipBlock: { cidr: "10.20.0.0/24" } },
    ]);
  });

  it("yields no policies for an unknown zone", () => {
    expect(compileNetworkPolicies(model, "nowhere")).toEqual([]);
  });

  it("never admits the internet to workloads", () => {
    for (const z of model.zones) {
      for (const p of compileNetworkPolicies(model, z.id)) {
        for (const r of p.spec.ingress ?? []) for (const peer of r.from ?? []) expect(peer.ipBlock).toBeUndefined();
      }
    }
  });

  it("agrees with networkAllows on the fixture's flows", () => {
    expect(networkAllows(aws, pod(svc("trading/order-api")), pod(svc("trading/matching")), MESH_PORT)).toBe(true);
    expect(networkAllows(aws, pod(svc("trading/matching")), pod(proxy("trading/trades")), MESH_PORT)).toBe(true);
    // Undeclared: matching -> order-api, order-api -> trades proxy; and an application's own port.
    expect(networkAllows(aws, pod(svc("trading/matching")), pod(svc("trading/order-api")), MESH_PORT)).toBe(false);
    expect(networkAllows(aws, pod(svc("trading/order-api")), pod(proxy("trading/trades")), MESH_PORT)).toBe(false);
    expect(networkAllows(aws, pod(svc("trading/order-api")), pod(svc("trading/matching")), 9090)).toBe(false);
    expect(networkAllows(aws, pod(svc("trading/matching")), pod(proxy("trading/trades")), 443)).toBe(false);
  });
});

describe("compileNetworkPolicies: workloads of one namespace are one peer", () => {
  // desk: a, b and c call d (8080); a also calls e (8080) and f (9000); other/x calls d too.
  const desk: DomainSpec = {
    name: "desk",
    owner: "desk@acme.example",
    services: [
      ...["a", "b", "c", "d", "e"].map((name) => ({ name, zone: "aws-eu", ports: [{ port: 8080 }] })),
      { name: "f", zone: "aws-eu", ports: [{ port: 9000 }] },
    ],
    intents: [
      ...["a", "b", "c"].map((from): IntentSpec => ({ from, to: "d", methods: ["GET"], paths: ["/"] })),
      { from: "a", to: "e", methods: ["GET"], paths: ["/"] },
      { from: "a", to: "f", methods: ["GET"], paths: ["/"] },
    ],
    exports: ["d"],
  };
  const other: DomainSpec = {
    name: "other",
    owner: "other@acme.example",
    services: [{ name: "x", zone: "aws-eu", ports: [{ port: 8080 }] }],
    intents: [{ from: "x", to: "desk/d", methods: ["GET"], paths: ["/"] }],
  };
  const m = buildMesh({ ...mesh, denyRules: [] }, [desk, other]);
  const ps = compileNetworkPolicies(m, "aws-eu");
  const ns = (n: string) => ({ matchLabels: { "kubernetes.io/metadata.name": n } });

  it("admits several sources of a namespace with one `In` peer, one peer per namespace", () => {
    expect(byName(ps, "desk", "allow-ingress-desk-d")!.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: ns("desk"),
            podSelector: { matchLabels: { "ztmesh.io/domain": "desk" }, matchExpressions: [{ key: "ztmesh.io/workload", operator: "In", values: ["a", "b", "c"] }] },
          },
          { namespaceSelector: ns("other"), podSelector: { matchLabels: { "ztmesh.io/domain": "other", "ztmesh.io/workload": "x" } } },
        ],
        ports: MESH,
      },
    ]);
  });

  it("reaches all same-zone destinations of a namespace with one peer on the mesh port, whatever their application ports", () => {
    expect(byName(ps, "desk", "allow-egress-desk-a")!.spec.egress).toEqual([
      { to: [policyEnginePeer()], ports: [{ protocol: "TCP", port: 9191 }] },
      {
        to: [{ namespaceSelector: ns("desk"), podSelector: { matchLabels: { "ztmesh.io/domain": "desk" }, matchExpressions: [{ key: "ztmesh.io/workload", operator: "In", values: ["d", "e", "f"] }] } }],
        ports: MESH,
      },
    ]);
  });

  it("gives every service an egress policy, only the policy engines for one that calls nothing", () => {
    for (const name of ["d", "e", "f"]) {
      expect(byName(ps, "desk", `allow-egress-desk-${name}`)!.spec.egress, name).toEqual([{ to: [policyEnginePeer()], ports: [{ protocol: "TCP", port: 9191 }] }]);
    }
  });

  it("allows exactly the declared flows (the grouped peers select no other workload)", () => {
    const w = (key: string) => pod(m.services.get(key)!);
    for (const from of ["desk/a", "desk/b", "desk/c", "desk/d", "desk/e", "desk/f", "other/x"]) {
      for (const to of ["desk/d", "desk/e", "desk/f"]) {
        const declared = m.intents.some((i) => i.kind === "call" && i.source.kind !== "any" && i.source.key === from && i.to === to);
        expect(networkAllows(ps, w(from), w(to), MESH_PORT), `${from} -> ${to}`).toBe(declared);
        expect(networkAllows(ps, w(from), w(to), to === "desk/f" ? 9000 : 8080), `${from} -> ${to} (application port)`).toBe(false);
      }
    }
  });

  it("passes the Kubernetes schema", () => {
    for (const p of ps) expect(() => new K8sNetworkPolicy(p).validate()).not.toThrow();
  });
});

describe("compileNetworkPolicies invariants", () => {
  const all = model.zones.flatMap((z) => [...compileNetworkPolicies(model, z.id), ...compileSystemNetworkPolicies(model, z.id)]);

  it("produces objects that pass the Kubernetes schema", () => {
    for (const p of all) expect(() => new K8sNetworkPolicy(p).validate()).not.toThrow();
  });

  it("a deliberately broken object fails the schema", () => {
    const broken = JSON.parse(JSON.stringify(all[0])) as { spec: { policyTypes: string[] } };
    broken.spec.policyTypes = ["Sideways"];
    expect(() => new K8sNetworkPolicy(broken as never).validate()).toThrow();
  });

  it("every namespace has default-deny and allow-dns", () => {
    for (const z of model.zones) {
      const ps = [...compileNetworkPolicies(model, z.id), ...compileSystemNetworkPolicies(model, z.id)];
      for (const ns of new Set(ps.map((p) => p.metadata.namespace))) {
        expect(byName(ps, ns, "default-deny")).toBeDefined();
        expect(byName(ps, ns, "allow-dns")).toBeDefined();
      }
    }
  });

  it("one ingress allow policy per destination workload with sources", () => {
    const expected: Record<string, number> = { "aws-eu": 2, "gcp-eu": 2, "azure-eu": 1, "dc-eu": 1 };
    for (const z of model.zones) {
      const ingress = compileNetworkPolicies(model, z.id).filter((p) => p.metadata.name.startsWith("allow-ingress-"));
      expect(ingress).toHaveLength(expected[z.id]);
    }
  });

  it("is deterministic", () => {
    const again = model.zones.flatMap((z) => [...compileNetworkPolicies(buildMesh(mesh, domains), z.id), ...compileSystemNetworkPolicies(model, z.id)]);
    expect(JSON.stringify(again)).toBe(JSON.stringify(all));
  });
});

describe("compileSystemNetworkPolicies", () => {
  const sys = compileSystemNetworkPolicies(model, "aws-eu");
  const ns = "ztmesh-system";
  const gw = { namespace: ns, labels: { "app.kubernetes.io/name": "ztmesh-gateway" } };
  const engine = { namespace: ns, labels: { "app.kubernetes.io/name": "ztmesh-policy-engine" } };
  const ps = [...sys, ...compileNetworkPolicies(model, "aws-eu")];

  it("lists the system policies", () => {
    expect(sys.map((p) => p.metadata.name)).toEqual([
      "allow-dns",
      "allow-egress-egress-gateway",
      "allow-egress-gateway",
      "allow-egress-policy-engine",
      "allow-ingress-egress-gateway",
      "allow-ingress-gateway",
      "allow-ingress-policy-engine",
      "default-deny",
    ]);
  });

  it("policy engines admit every mesh pod (workload proxies and data proxies) on 9191, and nothing else", () => {
    expect(networkAllows(ps, pod(proxy("trading/trades")), engine, 9191)).toBe(true);
    expect(networkAllows(ps, pod(svc("trading/matching")), engine, 9191)).toBe(true);
    expect(networkAllows(ps, pod(svc("trading/order-api")), engine, 9191)).toBe(true);
    expect(networkAllows(ps, pod(svc("trading/matching")), engine, 8181)).toBe(false);
    // The gateway no longer decides anything: it does not reach the engines.
    expect(networkAllows(ps, gw, engine, 9191)).toBe(false);
    expect(networkAllows(ps, { namespace: "x", labels: {} }, engine, 9191)).toBe(false);
  });

  it("gateways admit the listener port only, from mesh pods and from anywhere", () => {
    expect(networkAllows(ps, pod(svc("trading/order-api")), gw, GATEWAY_PORT)).toBe(true);
    expect(networkAllows(ps, { namespace: "x", labels: {}, ip: "203.0.113.9" }, gw, GATEWAY_PORT)).toBe(true);
    expect(networkAllows(ps, { namespace: "x", labels: {}, ip: "203.0.113.9" }, gw, 22)).toBe(false);
  });

  it("gateways reach mesh pods on the mesh port only, and of those only destinations that admit them", () => {
    expect(byName(sys, ns, "allow-egress-gateway")!.spec.egress).toEqual([
      { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "ztmesh.io/mesh": "true" } } }], ports: MESH },
    ]);
    expect(networkAllows(ps, gw, pod(proxy("trading/trades")), MESH_PORT)).toBe(true);
    expect(networkAllows(ps, gw, pod(proxy("trading/trades")), 443)).toBe(false);
    // matching has only a same-zone caller: its ingress does not admit the gateway.
    expect(networkAllows(ps, gw, pod(svc("trading/matching")), MESH_PORT)).toBe(false);
    // No more gateway-to-gateway hop: callers' own proxies reach remote gateways.
    expect(networkAllows(ps, gw, external("203.0.113.9"), GATEWAY_PORT)).toBe(false);
    expect(networkAllows(ps, gw, engine, 9191)).toBe(false);
  });

  it("lets services with object-store intents reach the zone's egress gateway on the mesh port, and it only the engines and 443", () => {
    const egressGw = { namespace: ns, labels: { "app.kubernetes.io/name": "ztmesh-egress-gateway" } };
    // matching reads trades (S3): it needs AWS's token endpoints; order-api has no object-store intent.
    expect(networkAllows(ps, pod(svc("trading/matching")), egressGw, MESH_PORT)).toBe(true);
    expect(networkAllows(ps, pod(svc("trading/order-api")), egressGw, MESH_PORT)).toBe(false);
    expect(networkAllows(ps, pod(svc("trading/matching")), egressGw, 443)).toBe(false);
    expect(networkAllows(ps, { namespace: "x", labels: {} }, egressGw, MESH_PORT)).toBe(false);
    expect(networkAllows(ps, egressGw, engine, 9191)).toBe(true);
    expect(networkAllows(ps, egressGw, external("52.94.0.10"), 443)).toBe(true);
    expect(networkAllows(ps, egressGw, external("52.94.0.10"), 80)).toBe(false);
    expect(networkAllows(ps, egressGw, pod(svc("trading/matching")), MESH_PORT)).toBe(false);
  });

  it("depend on no domain: the same system policies with or without the domains", () => {
    const bare = buildMesh({ ...mesh, denyRules: [] }, []);
    for (const z of model.zones) expect(compileSystemNetworkPolicies(bare, z.id), z.id).toEqual(compileSystemNetworkPolicies(model, z.id));
  });
});
