import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PackSession, UNKNOWN, res } from "../helpers/policy-inprocess";
import { messages, names } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

type Obj = Record<string, unknown>;
const ENGINE = { "app.kubernetes.io/name": "ztmesh-policy-engine" };
const container = (path = "/health?bundles"): Obj => ({
  name: "opa",
  image: "openpolicyagent/opa:1.4.2-envoy",
  readinessProbe: { httpGet: { path, port: 8282 } },
});
const engine = (spec: Obj = {}, podSpec: Obj = {}, name = "engine") =>
  res("kubernetes:apps/v1:Deployment", name, {
    metadata: { name, namespace: "ztmesh-system", labels: ENGINE },
    spec: {
      replicas: 3,
      selector: { matchLabels: ENGINE },
      template: {
        metadata: { labels: { ...ENGINE, "ztmesh.io/zone": "aws-eu" } },
        spec: {
          containers: [container()],
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: ENGINE } }],
          ...podSpec,
        },
      },
      ...spec,
    },
  });
const pdb = (namespace = "ztmesh-system", spec: Obj = {}) =>
  res("kubernetes:policy/v1:PodDisruptionBudget", "pdb", { metadata: { name: "pdb", namespace }, spec: { minAvailable: 1, selector: { matchLabels: ENGINE }, ...spec } });

describe("policy-engine-deployment", () => {
  const P = "policy-engine-deployment";

  it("passes an available, zone-spread, bundle-gated engine (and ignores other Deployments)", async () => {
    expect(await pack.violationsOf(P, [engine(), engine({}, { containers: [container("/health?bundles=true")] }, "e2")])).toEqual([]);
    const other = res("kubernetes:apps/v1:Deployment", "web", { metadata: { labels: { app: "web" } }, spec: { replicas: 1 } });
    expect(await pack.violationsOf(P, [other])).toEqual([]);
  });

  it.each([
    ["one replica", { replicas: 1 }, {}, "Policy engine runs 1 replica(s); run at least 2 so a restart never leaves a zone without decisions."],
    ["replicas unset (1)", { replicas: undefined }, {}, "Policy engine runs 1 replica(s); run at least 2"],
    ["no zone spread", {}, { topologySpreadConstraints: [{ topologyKey: "kubernetes.io/hostname" }] }, "has no topologySpreadConstraints over topology.kubernetes.io/zone"],
    ["readiness on /health", {}, { containers: [container("/health")] }, "has no readinessProbe on /health?bundles"],
  ])("fails %s", async (_l, spec, podSpec, message) => {
    const v = await pack.violationsOf(P, [engine(spec, podSpec)]);
    expect(messages(v)).toHaveLength(1);
    expect(messages(v)[0]).toContain(message);
  });

  it("takes minReplicas and engineLabels from config", async () => {
    expect(await pack.violationsOf(P, [engine()], { config: { [P]: { minReplicas: 4 } } })).toHaveLength(1);
    expect(await pack.violationsOf(P, [engine({ replicas: 1 })], { config: { [P]: { engineLabels: { app: "opa" } } } })).toEqual([]);
  });

  it("reports unknown replicas at preview", async () => {
    expect((await pack.violationsOf(P, [engine({ replicas: UNKNOWN })])).map((v) => v.level)).toEqual(["advisory"]);
  });
});

describe("policy-engine-disruption-budget", () => {
  const P = "policy-engine-disruption-budget";

  it("passes an engine with a PDB selecting it", async () => {
    expect(await pack.violationsOf(P, [engine(), pdb()])).toEqual([]);
  });

  it.each([
    ["no PDB", []],
    ["a PDB in another namespace", [pdb("other")]],
    ["a PDB selecting other pods", [pdb(undefined, { selector: { matchLabels: { app: "web" } } })]],
    ["a PDB allowing every pod to go", [pdb(undefined, { minAvailable: 0 })]],
  ])("fails %s", async (_l, extra) => {
    const v = await pack.violationsOf(P, [engine(), ...extra]);
    expect(messages(v)).toEqual(['Policy engine Deployment "engine" has no PodDisruptionBudget selecting its pods in namespace "ztmesh-system".']);
    expect(names(v)).toEqual(["engine"]);
  });

  it("reports an unknown PDB selector at preview", async () => {
    const v = await pack.violationsOf(P, [engine(), pdb(undefined, { selector: UNKNOWN })]);
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("opa-config-secure", () => {
  const P = "opa-config-secure";
  const good: Obj = {
    services: { s3: { url: "https://bundles.s3.eu-west-1.amazonaws.com" }, collector: { url: "http://collector:8080" } },
    bundles: { platform: { service: "s3", resource: "platform.tar.gz", signing: { keyid: "ztmesh" } } },
    keys: { ztmesh: { algorithm: "RS256", key: "-----BEGIN PUBLIC KEY-----" } },
    decision_logs: { service: "collector" },
    plugins: { envoy_ext_authz_grpc: { addr: ":9191", path: "envoy/authz/allow" } },
  };
  const opa = (config: Obj | string) =>
    res("kubernetes:core/v1:ConfigMap", "opa", {
      metadata: { name: "opa", labels: { "ztmesh.io/role": "opa-config" } },
      data: { "config.yaml": typeof config === "string" ? config : stringify(config) },
    });

  it("passes a signed, logged, enforcing config", async () => {
    expect(await pack.violationsOf(P, [opa(good)])).toEqual([]);
    expect(await pack.violationsOf(P, [opa({ ...good, decision_logs: { console: true } })])).toEqual([]);
  });

  it.each([
    ["no bundles", { ...good, bundles: {} }, "OPA config has no bundles; the engine would run without policy."],
    ["an unsigned bundle", { ...good, bundles: { platform: { service: "s3" } } }, 'OPA bundle "platform" has no signing.keyid; unsigned bundles could be tampered with in storage.'],
    ["a missing key", { ...good, keys: {} }, 'OPA bundle "platform" is signed with key "ztmesh" but keys.ztmesh is not defined.'],
    ["no decision logs", { ...good, decision_logs: undefined }, "OPA config has no decision logging (decision_logs.service or decision_logs.console); decisions leave no audit trail."],
    ["dry-run", { ...good, plugins: { envoy_ext_authz_grpc: { "dry-run": true } } }, "OPA envoy_ext_authz_grpc plugin runs with dry-run: true; every request is allowed."],
    ["not YAML", "bundles: [", "OPA config.yaml is missing or not a YAML mapping."],
  ])("fails %s", async (_l, config, message) => {
    expect(messages(await pack.violationsOf(P, [opa(config)]))).toEqual([message]);
  });

  it("reports an unknown config at preview", async () => {
    const r = res("kubernetes:core/v1:ConfigMap", "opa", { metadata: { labels: { "ztmesh.io/role": "opa-config" } }, data: { "config.yaml": UNKNOWN } });
    expect((await pack.violationsOf(P, [r])).map((v) => v.level)).toEqual(["advisory"]);
  });
});
