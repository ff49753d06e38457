import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { DataProxy as DataProxyClass } from "../../../components/data-proxy";
import type { Provider as K8sProvider } from "@pulumi/kubernetes";
import { Recorder } from "../../../cli/lib/recorder";
import { compileDataProxy, validateEnvoyConfig } from "../../../components/compile/envoy";
import { buildMesh } from "../../../components/model";
import { dataProductProblems } from "../../../policy-packs/policies/data-product";
import { domains, mesh } from "../../fixtures/mesh";

const rec = new Recorder();
const model = buildMesh(mesh, domains);
const issuer = { trustDomain: model.trustDomain };
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => v as Obj;

let DataProxy: typeof DataProxyClass;
let awsCluster: K8sProvider;
let dcCluster: K8sProvider;
let trades: DataProxyClass;
let riskdb: DataProxyClass;

beforeAll(async () => {
  const k8s = await import("@pulumi/kubernetes");
  ({ DataProxy } = await import("../../../components/data-proxy"));
  awsCluster = new k8s.Provider("aws-eu-cluster", {});
  dcCluster = new k8s.Provider("dc-eu-cluster", {});
  const clusters = { "aws-eu": awsCluster, "dc-eu": dcCluster };
  trades = new DataProxy("trades", { model, product: "trading/trades", issuer, clusters });
  riskdb = new DataProxy("riskdb", { model, product: "risk/risk-db", issuer, clusters, storeCidr: "10.20.0.5/32" });
  await rec.settle();
});

describe("DataProxy", () => {
  it("creates Deployment, Service, PDB, both ConfigMaps and the proxy's NetworkPolicies, parented, on the product's cluster", () => {
    const c = rec.get("trades");
    expect(c.type).toBe("ztmesh:data-proxy:DataProxy");
    const kids = rec.childrenOf(c.urn);
    expect(kids.map((k) => `${k.type.split(":").pop()} ${k.name}`).sort()).toEqual(
      [
        "ConfigMap trades-config",
        "ConfigMap trades-product",
        "Deployment trades-deployment",
        "NetworkPolicy trades-allow-egress-trading-trades-proxy",
        "NetworkPolicy trades-allow-ingress-trading-trades-proxy",
        "PodDisruptionBudget trades-pdb",
        "Service trades-service",
      ].sort(),
    );
    for (const k of kids) expect(k.provider).toMatch(/aws-eu-cluster/);
    for (const k of rec.childrenOf(rec.get("riskdb").urn)) expect(k.provider).toMatch(/dc-eu-cluster/);
  });

  it("ships the compiled proxy bootstrap (valid Envoy), contrib image only for database protocols", () => {
    for (const [name, key] of [["trades", "trading/trades"], ["riskdb", "risk/risk-db"]] as const) {
      const cm = rec.get(`${name}-config`).inputs;
      expect(obj(obj(cm.metadata).labels)["ztmesh.io/role"]).toBe("envoy");
      const parsed = parse(String(obj(cm.data)["envoy.yaml"]));
      expect(parsed).toEqual(JSON.parse(JSON.stringify(compileDataProxy(model, key))));
      expect(validateEnvoyConfig(parsed)).toEqual([]);
      expect(() => new ConfigMap(cm as never).validate()).not.toThrow();
    }
    const image = (n: string) => ((obj(obj(obj(rec.get(`${n}-deployment`).inputs.spec).template).spec).containers as Obj[])[0].image);
    expect(image("trades")).toBe("envoyproxy/envoy:v1.37.5");
    expect(image("riskdb")).toBe("envoyproxy/envoy-contrib:v1.37.5");
    expect(obj(obj(rec.get("riskdb-config").inputs.metadata).annotations)["ztmesh.io/artifact"]).toBe("envoy/risk-risk-db-proxy.yaml");
  });

  it("labels the bootstrap node for OPA, listens on the mesh port, forwards object-store TLS unopened and gives Postgres upstream STARTTLS", () => {
    type Bootstrap = {
      node: { metadata: Obj };
      static_resources: { listeners: { address: Obj; filter_chains: { filters: { name: string; typed_config: Obj }[] }[] }[]; clusters: Obj[] };
    };
    const deployed = (name: string): Bootstrap => parse(String(obj(rec.get(`${name}-config`).inputs.data)["envoy.yaml"])) as Bootstrap;
    const t = deployed("trades");
    const r = deployed("riskdb");
    expect(t.node.metadata).toEqual({ ztmesh: { domain: "trading", workload: "trading/trades" } });
    expect(r.node.metadata).toEqual({ ztmesh: { domain: "risk", workload: "risk/risk-db" } });
    for (const b of [t, r]) {
      expect(b.static_resources.listeners).toHaveLength(1);
      expect(b.static_resources.listeners[0].address).toEqual({ socket_address: { address: "0.0.0.0", port_value: 15006 } });
      const authz = b.static_resources.listeners[0].filter_chains[0].filters.find((f) => f.name === "envoy.filters.network.ext_authz")!;
      expect(authz.typed_config).toMatchObject({ bootstrap_metadata_labels_key: "ztmesh", failure_mode_allow: false });
    }
    const store = (b: Bootstrap, name: string): Obj => b.static_resources.clusters.find((c) => c.name === name)!;
    // Object store: the consumer's own TLS to the store's real name, forwarded unopened to 443 (no TLS origination).
    const s3 = store(t, "store_trading_trades");
    expect(s3).not.toHaveProperty("transport_socket");
    expect(s3).toMatchObject({
      load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "trading-trades.s3.eu-west-1.amazonaws.com", port_value: 443 } } } }] }] },
    });
    // Postgres: TLS from the proxy, negotiated in-protocol (STARTTLS), store name verified against the system CAs.
    const pg = store(r, "store_risk_risk-db");
    expect(pg.transport_socket).toEqual({
      name: "envoy.transport_sockets.starttls",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.starttls.v3.UpstreamStartTlsConfig",
        cleartext_socket_config: {},
        tls_socket_config: {
          sni: "risk-risk-db",
          common_tls_context: {
            tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
            validation_context: {
              trusted_ca: { filename: "/etc/ssl/certs/ca-certificates.crt" },
              match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: "risk-risk-db" } }],
            },
          },
        },
      },
    });
  });

  it("runs >= 2 restricted replicas with the proxy identity; the Service is internal", () => {
    const d = rec.get("trades-deployment").inputs;
    expect(obj(d.spec).replicas).toBe(2);
    const pod = obj(obj(obj(d.spec).template).spec);
    expect(pod.serviceAccountName).toBe(model.dataProducts.get("trading/trades")!.proxy.serviceAccount);
    // Both proxies (object store and database) listen on the mesh port 15006: Envoy's UID 101, no
    // sysctl lowering the unprivileged port range (the store's port is never bound).
    const restricted = { runAsNonRoot: true, runAsUser: 101, runAsGroup: 101, fsGroup: 101, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" } };
    for (const name of ["trades", "riskdb"]) {
      const spec = obj(obj(obj(rec.get(`${name}-deployment`).inputs.spec).template).spec);
      expect(spec.securityContext).toEqual(restricted);
      const [envoy] = spec.containers as Obj[];
      expect(envoy.ports).toEqual([{ name: "mtls", containerPort: 15006, protocol: "TCP" }]);
      expect(obj(envoy.readinessProbe).tcpSocket).toEqual({ port: 15006 });
      expect(obj(rec.get(`${name}-service`).inputs.spec).ports).toEqual([{ name: "tcp-store", port: 15006, targetPort: 15006, protocol: "TCP" }]);
    }
    expect(trades.port).toBe(15006);
    expect(riskdb.port).toBe(15006);
    expect(trades.host).toBe("trades-proxy.trading.svc.cluster.local");
    expect(() => new Deployment(d as never).validate()).not.toThrow();
    const svc = rec.get("trades-service").inputs;
    expect(obj(svc.spec).type).toBe("ClusterIP");
    expect(() => new Service(svc as never).validate()).not.toThrow();
    expect(() => new PodDisruptionBudget(rec.get("trades-pdb").inputs as never).validate()).not.toThrow();
    for (const np of rec.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")) expect(() => new NetworkPolicy(np.inputs as never).validate()).not.toThrow();
    const egress = obj(rec.get("riskdb-allow-egress-risk-risk-db-proxy").inputs.spec).egress as Obj[];
    expect(egress[0].to).toEqual([{ ipBlock: { cidr: "10.20.0.5/32" } }]);
    // Ingress on the mesh port only, from the declared same-zone consumer and the zone gateway.
    const ingress = obj(rec.get("trades-allow-ingress-trading-trades-proxy").inputs.spec).ingress as Obj[];
    expect(ingress).toEqual([
      {
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "trading" } }, podSelector: { matchLabels: { "ztmesh.io/domain": "trading", "ztmesh.io/workload": "matching" } } },
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ztmesh-system" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "ztmesh-gateway" } } },
        ],
        ports: [{ protocol: "TCP", port: 15006 }],
      },
    ]);
  });

  it("publishes the product manifest the policy pack accepts, consumers from the intents", () => {
    const cm = rec.get("trades-product").inputs;
    expect(obj(obj(cm.metadata).labels)["ztmesh.io/role"]).toBe("data-product");
    const product = JSON.parse(String(obj(cm.data)["product.json"])) as Obj;
    expect(product).toMatchObject({ name: "trades", domain: "trading", sensitivity: "medium", residency: "eu", zone: "aws-eu", region: "eu-west-1" });
    expect(product.consumers).toEqual(
      [
        model.services.get("trading/matching")!.spiffeId,
        model.services.get("risk/risk-engine")!.spiffeId,
        model.services.get("compliance/auditor")!.spiffeId,
      ].sort(),
    );
    expect(dataProductProblems(product, {})).toEqual([]);
  });

  it("limits a cloud database store to the proxy with the cloud's firewall", async () => {
    const k8s = await import("@pulumi/kubernetes");
    const cluster = new k8s.Provider("gcp-eu-cluster", {});
    const spec = structuredClone(mesh);
    const risk = structuredClone(domains[1]);
    risk.dataProducts!.push({ name: "pg", zone: "gcp-eu", engine: "postgres", sensitivity: "low", owner: "o@acme.example", residency: "eu", schemaVersion: "1.0.0" });
    risk.intents!.push({ from: "risk-engine", data: "pg" });
    const m = buildMesh(spec, [domains[0], risk, domains[2]]);
    new DataProxy("pg", { model: m, product: "risk/pg", issuer, clusters: { "gcp-eu": cluster }, storeNetwork: { cloud: "gcp", network: "vpc", sourceCidrs: ["10.8.0.0/14"], targetTags: ["pg"] } });
    await rec.settle();
    const fw = rec.get("pg-store-ingress").inputs;
    expect(fw).toMatchObject({ direction: "INGRESS", sourceRanges: ["10.8.0.0/14"], targetTags: ["pg"], allows: [{ protocol: "tcp", ports: ["5432"] }] });
    expect(rec.get("pg-store-ingress").parent).toBe(rec.get("pg").urn);
  });

  it("names bad input before creating anything", async () => {
    const before = rec.resources.length;
    expect(() => new DataProxy("bad1", { model, product: "trading/trades", issuer, replicas: 1 }, { provider: awsCluster })).toThrow(/args\.replicas/);
    expect(() => new DataProxy("bad2", { model, product: "trading/trades", issuer, clusters: { "dc-eu": dcCluster } })).toThrow(/args\.clusters: no Kubernetes cluster for zone "aws-eu" \(clusters given for: dc-eu\)/);
    expect(() => new DataProxy("bad3", { model, product: "trading/nope", issuer }, { provider: awsCluster })).toThrow(/args\.product/);
    expect(() => new DataProxy("bad4", { model, product: "trading/trades" } as never, { provider: awsCluster })).toThrow(/args\.issuer/);
    expect(() =>
      new DataProxy("bad5", { model, product: "trading/trades", issuer, storeNetwork: { cloud: "aws", securityGroupId: "sg-1", sourceCidrs: ["0.0.0.0/0"] } }, { provider: awsCluster }),
    ).toThrow(/args\.storeNetwork: applies to database stores only[\s\S]*0\.0\.0\.0\/0 would open the store/);
    expect(() =>
      new DataProxy("bad6", { model, product: "risk/risk-db", issuer, storeNetwork: { cloud: "aws", securityGroupId: "sg-1", sourceCidrs: ["10.0.0.0/16"] } }, { provider: dcCluster }),
    ).toThrow(/args\.storeNetwork\.cloud/);
    await rec.settle();
    expect(rec.resources.length).toBe(before);
  });
});
