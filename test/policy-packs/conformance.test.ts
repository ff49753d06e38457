import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileDataProxy, compileEgressGateway, compileGateway, compileWorkloadProxy, toYaml } from "../../components/compile/envoy";
import { compileAuthzFront } from "../../components/compile/envoy/authz-front";
import { compileNetworkPolicies } from "../../components/compile/kubernetes";
import { bundleFiles, compileOpaBundles } from "../../components/compile/opa";
import { tarGz } from "../../components/compile/opa/tarball";
import { buildMesh, type MeshModel } from "../../components/model";
import { domains, mesh } from "../fixtures/mesh";
import { PackSession, UNKNOWN, res, type TestResource } from "../helpers/policy-inprocess";
import { messages } from "./support";

const POLICY = "mesh-conformance";
const model: MeshModel = buildMesh(mesh, domains);

/** The declared side: every intent of the model, as MeshDomain writes it. */
function intentEntries(m: MeshModel, drop: string[] = []): Record<string, unknown>[] {
  return m.intents
    .filter((i) => !drop.includes(i.id))
    .map((i) => {
      const source = i.source.kind === "any" ? "*" : i.source.spiffeId;
      const from = i.source.kind === "any" ? undefined : m.services.get(i.source.key)!;
      const ends = { sourceKey: from?.key ?? "*", sourceZone: from?.zone };
      if (i.kind === "call") {
        const svc = m.services.get(i.to)!;
        return { id: i.id, kind: "call", source, ...ends, destination: i.to, destinationWorkload: svc.key, destinationZone: svc.zone, host: svc.spiffeId, dnsHost: svc.host, methods: i.methods, paths: i.paths };
      }
      const product = m.dataProducts.get(i.to)!;
      return { id: i.id, kind: "data", source, ...ends, destination: i.to, destinationWorkload: product.proxy.key, destinationZone: product.zone, host: product.proxy.spiffeId, access: i.access };
    });
}

function intentsConfigMap(entries: Record<string, unknown>[]): TestResource {
  return res("kubernetes:core/v1:ConfigMap", "intents", {
    metadata: { name: "ztmesh-intents", namespace: "trading", labels: { "ztmesh.io/role": "intents" } },
    data: { "intents.json": JSON.stringify({ version: 1, domain: "trading", trustDomain: model.trustDomain, intents: entries }) },
  });
}

function envoyConfigMap(name: string, yaml: string): TestResource {
  return res("kubernetes:core/v1:ConfigMap", name, { metadata: { name, namespace: "ztmesh-system", labels: { "ztmesh.io/role": "envoy" } }, data: { "envoy.yaml": yaml } });
}

/** A service's workload proxy ConfigMap, labelled as MeshDomain labels it. */
function workloadProxyConfigMap(key: string, yaml = toYaml(compileWorkloadProxy(model, key))): TestResource {
  const svc = model.services.get(key)!;
  const labels = { "ztmesh.io/role": "envoy", "ztmesh.io/proxy": "workload", "ztmesh.io/zone": svc.zone, "ztmesh.io/domain": svc.domain, "ztmesh.io/workload": svc.name };
  return res("kubernetes:core/v1:ConfigMap", `${svc.name}-proxy`, { metadata: { name: `${svc.name}-proxy`, namespace: svc.namespace, labels }, data: { "envoy.yaml": yaml } });
}

/** The declared model as a domain stack sees it: its own contract and the platform's and peers' through stack references. */
function contracts(): TestResource[] {
  return [
    res("pulumi:pulumi:Stack", "stack", {}, { outputs: { contract: { version: 1, domain: domains.find((d) => d.name === "trading") } } }),
    res("pulumi:pulumi:StackReference", "platform", {}, { outputs: { name: "platform", outputs: { contract: { version: 1, mesh } } } }),
    ...domains.filter((d) => d.name !== "trading").map((d) => res("pulumi:pulumi:StackReference", d.name, {}, { outputs: { name: d.name, outputs: { contract: { version: 1, domain: d } } } })),
  ];
}

function bundleObject(files: Map<string, string>): TestResource {
  return res("aws:s3/bucketObjectv2:BucketObjectv2", "bundle", {
    bucket: "b",
    key: "opa/aws-eu/ztmesh-domain-trading.tar.gz",
    contentBase64: tarGz(files).toString("base64"),
    tags: { "ztmesh-role": "opa-bundle", "ztmesh-zone": "aws-eu", "ztmesh-artifact": "opa/aws-eu/ztmesh-domain-trading.tar.gz" },
  });
}

function networkPolicies(policies = compileNetworkPolicies(model, "aws-eu")): TestResource[] {
  return policies.map((np) => res("kubernetes:networking.k8s.io/v1:NetworkPolicy", `${np.metadata.namespace}-${np.metadata.name}`, np as unknown as Record<string, unknown>));
}

function stack(
  overrides: { entries?: Record<string, unknown>[]; gateway?: string; proxy?: string; bundle?: Map<string, string>; policies?: TestResource[] } = {},
): TestResource[] {
  return [
    ...(overrides.policies ?? networkPolicies()),
    intentsConfigMap(overrides.entries ?? intentEntries(model)),
    envoyConfigMap("aws-eu-gateway", overrides.gateway ?? toYaml(compileGateway(model, "aws-eu"))),
    envoyConfigMap("trades-proxy", overrides.proxy ?? toYaml(compileDataProxy(model, "trading/trades"))),
    bundleObject(overrides.bundle ?? bundleFiles(compileOpaBundles(model, "aws-eu").domains.trading)),
  ];
}

describe(POLICY, () => {
  let pack: PackSession;
  beforeAll(async () => {
    pack = await PackSession.start();
  });
  afterAll(() => pack.stop());

  it("passes when Envoy RBAC and OPA data allow exactly the declared intents", async () => {
    expect(await pack.violationsOf(POLICY, stack())).toEqual([]);
  });

  it("leaves the platform's own OPA-decided enforcement points (egress gateway, policy engine front) to their policies", async () => {
    const platform = [envoyConfigMap("aws-eu-egress-envoy", toYaml(compileEgressGateway(model, "aws-eu"))), envoyConfigMap("aws-eu-front", toYaml(compileAuthzFront(model, "aws-eu")))];
    expect(await pack.violationsOf(POLICY, [...stack(), ...platform])).toEqual([]);
  });

  it("reports flows the layers allow that no declared intent does", async () => {
    const v = await pack.violationsOf(POLICY, [...stack({ entries: intentEntries(model, ["trading#0"]) }), workloadProxyConfigMap("trading/matching")]);
    const order = model.services.get("trading/order-api")!.spiffeId;
    expect(messages(v)).toEqual(
      expect.arrayContaining([
        `listener "inbound" filter chain 0: Envoy RBAC policy "trading/matching <- trading/order-api" lets ${order} call matching.trading.svc.cluster.local, but no declared intent allows it.`,
        `OPA bundle of domain "trading" allows ${order} -> trading/matching, but no declared intent allows it.`,
      ]),
    );
  });

  it("reports a principal a data proxy admits without an intent", async () => {
    const proxy = compileDataProxy(model, "trading/trades");
    const stranger = "spiffe://mesh.acme.example/ns/payments/sa/stranger";
    const yaml = toYaml(proxy).replace(/(principal_name:\n\s+exact: )(spiffe:\/\/[^\n]+risk-engine)/, `$1${stranger}`);
    expect(yaml).toContain(stranger);
    const v = await pack.violationsOf(POLICY, stack({ proxy: yaml }));
    const risk = model.services.get("risk/risk-engine")!.spiffeId;
    const trades = model.dataProducts.get("trading/trades")!.proxy.spiffeId;
    expect(messages(v)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`Envoy RBAC lets ${stranger} reach ${trades}, but no declared intent allows it.`),
        expect.stringMatching(new RegExp(`declared intent risk#1 \\(${risk} -> trading/trades\\) is denied by Envoy RBAC\\.$`)),
      ]),
    );
  });

  it("reports a declared intent missing from the OPA bundle", async () => {
    const other = buildMesh(mesh, domains.map((d) => (d.name === "trading" ? { ...d, intents: [d.intents![1]] } : d)));
    const v = await pack.violationsOf(POLICY, stack({ bundle: bundleFiles(compileOpaBundles(other, "aws-eu").domains.trading) }));
    expect(messages(v)).toContain(
      `declared intent trading#0 (${model.services.get("trading/order-api")!.spiffeId} -> trading/matching) is missing from the OPA bundle of domain "trading" (denied).`,
    );
  });

  it("checks a domain's OPA bundle against exactly the intents into that domain", async () => {
    const source = model.services.get("trading/order-api")!.spiffeId;
    const extra = (id: string, domain: string, name: string) => ({
      id,
      kind: "call",
      source,
      destination: `${domain}/${name}`,
      host: `spiffe://${model.trustDomain}/ns/${domain}/sa/${name}`,
      dnsHost: `${name}.${domain}.svc.cluster.local`,
      methods: ["GET"],
      paths: ["/"],
    });
    // "tradingdesk/..." shares the prefix "trading" but is another domain: not the trading bundle's concern.
    const entries = [...intentEntries(model), extra("x#0", "tradingdesk", "desk"), extra("x#1", "trading", "ghost")];
    const v = messages(await pack.violationsOf(POLICY, stack({ entries })));
    expect(v).toEqual([`declared intent x#1 (${source} -> trading/ghost) is missing from the OPA bundle of domain "trading" (denied).`]);
  });

  it("reports NetworkPolicy flows without an intent, and declared flows a NetworkPolicy denies", async () => {
    const undeclared = messages(await pack.violationsOf(POLICY, stack({ entries: intentEntries(model, ["trading#0"]) })));
    expect(undeclared).toEqual(
      expect.arrayContaining([
        "NetworkPolicy (ingress, zone aws-eu) allows trading/order-api -> trading/matching, but no declared intent allows it.",
        "NetworkPolicy (egress, zone aws-eu) allows trading/order-api -> trading/matching, but no declared intent allows it.",
      ]),
    );
    const policies = compileNetworkPolicies(model, "aws-eu").map((np) =>
      np.metadata.name === "allow-ingress-trading-matching" ? { ...np, spec: { ...np.spec, ingress: [] } } : np,
    );
    const denied = messages(await pack.violationsOf(POLICY, stack({ policies: networkPolicies(policies) })));
    expect(denied).toContain("NetworkPolicy (ingress, zone aws-eu) denies the declared flow trading/order-api -> trading/matching.");
  });

  it("judges a grouped peer (`ztmesh.io/workload In [...]`) workload by workload, and a whole-domain peer as such", async () => {
    const withPeer = (podSelector: Record<string, unknown>) =>
      networkPolicies(
        compileNetworkPolicies(model, "aws-eu").map((np) =>
          np.metadata.name === "allow-ingress-trading-matching"
            ? { ...np, spec: { ...np.spec, ingress: [{ ...np.spec.ingress![0], from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "trading" } }, podSelector }] }] } }
            : np,
        ),
      );
    const inList = (values: string[]) => ({ matchLabels: { "ztmesh.io/domain": "trading" }, matchExpressions: [{ key: "ztmesh.io/workload", operator: "In", values }] });
    expect(await pack.violationsOf(POLICY, stack({ policies: withPeer(inList(["order-api"])) }))).toEqual([]);
    expect(messages(await pack.violationsOf(POLICY, stack({ policies: withPeer(inList(["order-api", "intruder"])) })))).toEqual([
      "NetworkPolicy (ingress, zone aws-eu) allows trading/intruder -> trading/matching, but no declared intent allows it.",
    ]);
    expect(messages(await pack.violationsOf(POLICY, stack({ policies: withPeer({ matchLabels: { "ztmesh.io/domain": "trading" } }) })))).toEqual([
      "NetworkPolicy (ingress, zone aws-eu) allows trading/* -> trading/matching, but no declared intent allows it.",
    ]);
  });

  it("follows the request path: a declared call is delivered hop by hop, and one the caller's proxy cannot send is reported", async () => {
    const paths = (v: Awaited<ReturnType<PackSession["violationsOf"]>>): string[] => messages(v).filter((m) => m.startsWith("the request path"));
    // The services' proxies, their NetworkPolicies and the domain's bundle (the data proxy, whose Service is not in this fixture, left out).
    const base = [...stack().filter((r) => r.name !== "trades-proxy"), ...contracts()];
    const proxies = [workloadProxyConfigMap("trading/order-api"), workloadProxyConfigMap("trading/matching")];
    expect(paths(await pack.violationsOf(POLICY, [...base, ...proxies]))).toEqual([]);
    // order-api's proxy without its listener for matching: the declared call has no way out.
    const bootstrap = compileWorkloadProxy(model, "trading/order-api");
    bootstrap.static_resources.listeners = bootstrap.static_resources.listeners.filter((l) => !l.name.includes("matching"));
    const broken = [workloadProxyConfigMap("trading/order-api", toYaml(bootstrap)), workloadProxyConfigMap("trading/matching")];
    expect(paths(await pack.violationsOf(POLICY, [...base, ...broken]))).toEqual([
      expect.stringMatching(/^the request path does not deliver declared intent trading#0 trading\/order-api -> trading\/matching POST \/orders: stopped at /),
    ]);
  });

  it("follows the known part of the graph at preview: a value unknown elsewhere neither stops the check nor turns it advisory", async () => {
    const base = [...stack().filter((r) => r.name !== "trades-proxy"), ...contracts()];
    const unknownElsewhere = res("aws:s3/bucket:Bucket", "logs", { bucket: "logs" }, { outputs: { bucket: "logs", arn: UNKNOWN } });
    const bootstrap = compileWorkloadProxy(model, "trading/order-api");
    bootstrap.static_resources.listeners = bootstrap.static_resources.listeners.filter((l) => !l.name.includes("matching"));
    const broken = [workloadProxyConfigMap("trading/order-api", toYaml(bootstrap)), workloadProxyConfigMap("trading/matching")];
    const v = await pack.violationsOf(POLICY, [...base, ...broken, unknownElsewhere], { dryRun: true });
    expect(v.map((x) => x.level)).not.toContain("advisory");
    expect(messages(v)).toEqual([expect.stringMatching(/^the request path does not deliver declared intent trading#0 /)]);
  });

  it("does not apply to stacks without declared intents", async () => {
    expect(await pack.violationsOf(POLICY, stack().filter((r) => r.name !== "intents"))).toEqual([]);
  });
});
