import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PackSession, UNKNOWN, res, type TestResource } from "../helpers/policy-inprocess";
import { messages, names } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

type Obj = Record<string, unknown>;
const APP = { app: "authz" };
const IMAGE = "openpolicyagent/opa:1.4.2-envoy";
const container = (extra: Obj = {}, path = "/health?bundles"): Obj => ({
  name: "opa",
  image: IMAGE,
  args: ["run", "--server", "--config-file=/config/config.yaml"],
  readinessProbe: { httpGet: { path, port: 8282 } },
  volumeMounts: [{ name: "config", mountPath: "/config" }],
  ...extra,
});
const SPREAD = [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: APP } }];
/** A workload of `type` (no ztmesh labels) whose pod runs `containers`. */
const workload = (type: string, name: string, spec: Obj = {}, podSpec: Obj = {}): TestResource =>
  res(type, name, {
    metadata: { name, namespace: "authz" },
    spec: {
      replicas: 3,
      selector: { matchLabels: APP },
      template: {
        metadata: { labels: APP },
        spec: { containers: [container()], topologySpreadConstraints: SPREAD, volumes: [{ name: "config", configMap: { name: "opa-config" } }], ...podSpec },
      },
      ...spec,
    },
  });
const engine = (spec: Obj = {}, podSpec: Obj = {}, name = "engine") => workload("kubernetes:apps/v1:Deployment", name, spec, podSpec);
const pdb = (namespace = "authz", spec: Obj = {}, type = "kubernetes:policy/v1:PodDisruptionBudget") =>
  res(type, "pdb", { metadata: { name: "pdb", namespace }, spec: { minAvailable: 1, selector: { matchLabels: APP }, ...spec } });

const GOOD_CONFIG: Obj = {
  services: { s3: { url: "https://bundles.s3.eu-west-1.amazonaws.com" }, collector: { url: "http://collector:8080" } },
  bundles: { platform: { service: "s3", resource: "platform.tar.gz", signing: { keyid: "ztmesh" } } },
  keys: { ztmesh: { algorithm: "RS256", key: "-----BEGIN PUBLIC KEY-----" } },
  decision_logs: { service: "collector" },
  plugins: { envoy_ext_authz_grpc: { addr: ":9191", path: "envoy/authz/allow" } },
};
const opaConfig = (config: Obj | string = GOOD_CONFIG, name = "opa-config", key = "config.yaml") =>
  res("kubernetes:core/v1:ConfigMap", name, { metadata: { name, namespace: "authz" }, data: { [key]: typeof config === "string" ? config : stringify(config) } });

describe("policy engines are recognised by what they run, never by label", () => {
  const P = "policy-engine-deployment";
  const one = (c: Obj, podSpec: Obj = {}) => engine({ replicas: 1 }, { containers: [container(c)], ...podSpec });

  it.each([
    ["the OPA-Envoy image", {}],
    ["a mirrored OPA-Envoy image with a digest", { image: "registry.example.com/mirror/openpolicyagent/opa:0.68.0-envoy-rootless@sha256:abc" }],
    ["the opa-envoy-plugin image", { image: "ghcr.io/acme/opa-envoy-plugin:v1" }],
    ["a plain OPA image naming the plugin on its command line", { image: "openpolicyagent/opa:1.4.2", args: ["run", "--server", "--set=plugins.envoy_ext_authz_grpc.addr=:9191"] }],
  ])("recognises %s", async (_l, c) => {
    expect(messages(await pack.violationsOf(P, [one(c), opaConfig()]))).toEqual([
      'Policy engine Deployment "engine" runs 1 replica(s); run at least 2 so a restart never leaves a zone without decisions.',
    ]);
  });

  it("recognises an OPA image by digest that mounts a config enabling the plugin (ConfigMap or Secret)", async () => {
    const c = { image: "openpolicyagent/opa@sha256:abc" };
    expect(names(await pack.violationsOf(P, [one(c), opaConfig()]))).toEqual(["engine"]);
    const secret = res("kubernetes:core/v1:Secret", "opa-secret", { metadata: { name: "opa-secret", namespace: "authz" }, data: { "config.yaml": Buffer.from(stringify(GOOD_CONFIG)).toString("base64") } });
    expect(names(await pack.violationsOf(P, [one(c, { volumes: [{ name: "config", secret: { secretName: "opa-secret" } }] }), secret]))).toEqual(["engine"]);
  });

  it("does not take an OPA without the plugin, or a workload with the ztmesh engine label, for an engine", async () => {
    const plainOpa = one({ image: "openpolicyagent/opa:1.4.2" });
    const labelled = res("kubernetes:apps/v1:Deployment", "web", {
      metadata: { name: "web", labels: { "app.kubernetes.io/name": "ztmesh-policy-engine" } },
      spec: { replicas: 1, template: { metadata: { labels: { "app.kubernetes.io/name": "ztmesh-policy-engine" } }, spec: { containers: [{ name: "web", image: "nginx" }] } } },
    });
    expect(await pack.violationsOf(P, [plainOpa, labelled])).toEqual([]);
  });
});

describe("policy-engine-deployment", () => {
  const P = "policy-engine-deployment";

  it("passes an available, zone-spread, bundle-gated engine (and ignores other workloads)", async () => {
    const other = res("kubernetes:apps/v1:Deployment", "web", { metadata: { labels: { app: "web" } }, spec: { replicas: 1 } });
    expect(await pack.violationsOf(P, [engine(), engine({}, { containers: [container({}, "/health?bundles=true&plugins")] }, "e2"), other, opaConfig()])).toEqual([]);
  });

  it.each([
    ["one replica", { replicas: 1 }, {}, 'Policy engine Deployment "engine" runs 1 replica(s); run at least 2 so a restart never leaves a zone without decisions.'],
    ["replicas unset (1)", { replicas: undefined }, {}, 'Policy engine Deployment "engine" runs 1 replica(s); run at least 2 so a restart never leaves a zone without decisions.'],
    ["no zone spread", {}, { topologySpreadConstraints: [{ topologyKey: "kubernetes.io/hostname" }] }, 'Policy engine Deployment "engine" has no topologySpreadConstraints over topology.kubernetes.io/zone; one zone failure could take every replica.'],
    ["readiness on /health", {}, { containers: [container({}, "/health")] }, 'Policy engine Deployment "engine" container "opa" has no readinessProbe on /health?bundles; it would serve before its policy bundle is active.'],
    ["readiness on bundles=false", {}, { containers: [container({}, "/health?bundles=false")] }, 'Policy engine Deployment "engine" container "opa" has no readinessProbe on /health?bundles; it would serve before its policy bundle is active.'],
  ])("fails %s", async (_l, spec, podSpec, message) => {
    expect(messages(await pack.violationsOf(P, [engine(spec, podSpec), opaConfig()]))).toEqual([message]);
  });

  it.each([
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:apps/v1beta1:Deployment",
    "kubernetes:apps/v1beta2:StatefulSet",
    "kubernetes:extensions/v1beta1:Deployment",
  ])("judges a %s like a Deployment", async (type) => {
    const kind = type.split(":").pop();
    expect(messages(await pack.violationsOf(P, [workload(type, "engine", { replicas: 1 }), opaConfig()]))).toEqual([
      `Policy engine ${kind} "engine" runs 1 replica(s); run at least 2 so a restart never leaves a zone without decisions.`,
    ]);
  });

  it("judges a bare Pod as one replica, and a DaemonSet (one engine per node) on readiness only", async () => {
    const pod = res("kubernetes:core/v1:Pod", "p", { metadata: { name: "p", namespace: "authz" }, spec: { containers: [container({}, "/health")], volumes: [{ name: "config", configMap: { name: "opa-config" } }] } });
    const ds = workload("kubernetes:apps/v1:DaemonSet", "ds", { replicas: undefined }, { topologySpreadConstraints: undefined, containers: [container({}, "/health")] });
    expect(messages(await pack.violationsOf(P, [pod, ds, opaConfig()])).sort()).toEqual([
      'Policy engine DaemonSet "ds" container "opa" has no readinessProbe on /health?bundles; it would serve before its policy bundle is active.',
      'Policy engine Pod "p" container "opa" has no readinessProbe on /health?bundles; it would serve before its policy bundle is active.',
      'Policy engine Pod "p" runs 1 replica(s); run at least 2 so a restart never leaves a zone without decisions.',
    ]);
  });

  it("takes minReplicas from config", async () => {
    expect(messages(await pack.violationsOf(P, [engine(), opaConfig()], { config: { [P]: { minReplicas: 4 } } }))).toEqual([
      'Policy engine Deployment "engine" runs 3 replica(s); run at least 4 so a restart never leaves a zone without decisions.',
    ]);
  });

  it("reports unknown replicas at preview, and still reports the other engines", async () => {
    const v = await pack.violationsOf(P, [engine({ replicas: UNKNOWN }), engine({ replicas: 1 }, {}, "other"), opaConfig()]);
    expect(v.map((x) => [x.level, names([x])[0]])).toEqual([
      ["mandatory", "other"],
      ["advisory", ""],
    ]);
  });
});

describe("policy-engine-disruption-budget", () => {
  const P = "policy-engine-disruption-budget";

  it("passes an engine with a PDB selecting it (matchLabels or matchExpressions)", async () => {
    expect(await pack.violationsOf(P, [engine(), pdb(), opaConfig()])).toEqual([]);
    const byExpression = pdb(undefined, { selector: { matchExpressions: [{ key: "app", operator: "In", values: ["authz", "x"] }] } });
    expect(await pack.violationsOf(P, [workload("kubernetes:apps/v1:StatefulSet", "engine"), byExpression, opaConfig()])).toEqual([]);
  });

  it.each([
    ["no PDB", []],
    ["a PDB in another namespace", [pdb("other")]],
    ["a PDB selecting other pods", [pdb(undefined, { selector: { matchLabels: { app: "web" } } })]],
    ["a PDB allowing every pod to go", [pdb(undefined, { minAvailable: 0 })]],
    ["a PDB with maxUnavailable 100%", [pdb(undefined, { minAvailable: undefined, maxUnavailable: "100%" })]],
    ["a policy/v1beta1 PDB with an empty selector (selects nothing)", [pdb(undefined, { selector: {} }, "kubernetes:policy/v1beta1:PodDisruptionBudget")]],
  ])("fails %s", async (_l, extra) => {
    const v = await pack.violationsOf(P, [engine(), ...extra, opaConfig()]);
    expect(messages(v)).toEqual(['Policy engine Deployment "engine" has no PodDisruptionBudget selecting its pods in namespace "authz".']);
    expect(names(v)).toEqual(["engine"]);
  });

  it("matches the PDB in the engine's own cluster (provider)", async () => {
    const providers = ["zone-a", "zone-b"].map((n) => res("pulumi:providers:kubernetes", n, {}));
    const inA = (r: TestResource) => ({ ...r, provider: "zone-a" });
    expect(await pack.violationsOf(P, [...providers, inA(engine()), inA(pdb()), inA(opaConfig())])).toEqual([]);
    const v = await pack.violationsOf(P, [...providers, inA(engine()), { ...pdb(), provider: "zone-b" }, inA(opaConfig())]);
    expect(names(v)).toEqual(["engine"]);
  });

  it("needs no PDB for a DaemonSet engine", async () => {
    expect(await pack.violationsOf(P, [workload("kubernetes:apps/v1:DaemonSet", "ds"), opaConfig()])).toEqual([]);
  });

  it("reports an unknown PDB selector at preview", async () => {
    const v = await pack.violationsOf(P, [engine(), pdb(undefined, { selector: UNKNOWN }), opaConfig()]);
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("opa-config-secure", () => {
  const P = "opa-config-secure";
  const standalone = (config: Obj | string) => opaConfig(config, "opa", "config.yaml");

  it("passes a signed, logged, enforcing config, stored alone or loaded by an engine", async () => {
    expect(await pack.violationsOf(P, [standalone(GOOD_CONFIG)])).toEqual([]);
    expect(await pack.violationsOf(P, [standalone({ ...GOOD_CONFIG, decision_logs: { console: true } })])).toEqual([]);
    expect(await pack.violationsOf(P, [engine(), opaConfig()])).toEqual([]);
  });

  it.each([
    ["no bundles", { ...GOOD_CONFIG, bundles: {} }, "OPA config has no bundles; the engine would run without policy."],
    ["an unsigned bundle", { ...GOOD_CONFIG, bundles: { platform: { service: "s3" } } }, 'OPA bundle "platform" has no signing.keyid; unsigned bundles could be tampered with in storage.'],
    ["a missing key", { ...GOOD_CONFIG, keys: {} }, 'OPA bundle "platform" is signed with key "ztmesh" but keys.ztmesh is not defined.'],
    ["no decision logs", { ...GOOD_CONFIG, decision_logs: undefined }, "OPA config has no decision logging (decision_logs.service or decision_logs.console); decisions leave no audit trail."],
    ["dry-run", { ...GOOD_CONFIG, plugins: { envoy_ext_authz_grpc: { "dry-run": true } } }, "OPA envoy_ext_authz_grpc plugin runs with dry-run: true; every request is allowed."],
    ["dry-run under the plugin's old name", { ...GOOD_CONFIG, plugins: { "envoy.ext_authz.grpc": { dry_run: true } } }, "OPA envoy_ext_authz_grpc plugin runs with dry-run: true; every request is allowed."],
  ])("fails a stored config with %s, in any ConfigMap key", async (_l, config, message) => {
    expect(messages(await pack.violationsOf(P, [opaConfig(config, "opa", "opa.yml")]))).toEqual([`ConfigMap key "opa.yml": ${message}`]);
  });

  it("ignores stored documents that do not enable the plugin (not an engine config)", async () => {
    expect(await pack.violationsOf(P, [standalone({ bundles: {} }), standalone("bundles: [")])).toEqual([]);
  });

  const what = 'Policy engine Deployment "engine" container "opa"';
  it("judges the config an engine loads, on the engine, with its --set overrides and --skip-verify", async () => {
    const withArgs = (...args: string[]) => engine({}, { containers: [container({ args: ["run", "--server", "--config-file=/config/config.yaml", ...args] })] });
    expect(messages(await pack.violationsOf(P, [withArgs("--set", "plugins.envoy_ext_authz_grpc.dry-run=true"), opaConfig()]))).toEqual([
      `${what}: OPA envoy_ext_authz_grpc plugin runs with dry-run: true; every request is allowed.`,
    ]);
    expect(messages(await pack.violationsOf(P, [withArgs("--skip-verify"), opaConfig()]))).toEqual([`${what}: OPA runs with --skip-verify; bundle signatures are not verified.`]);
    const v = await pack.violationsOf(P, [withArgs(), opaConfig({ ...GOOD_CONFIG, decision_logs: undefined })]);
    expect(messages(v)).toEqual([`${what}: OPA config has no decision logging (decision_logs.service or decision_logs.console); decisions leave no audit trail.`]);
    expect(names(v)).toEqual(["engine"]);
  });

  it("traces the config file through subPath and projected volumes", async () => {
    const subPath = engine({}, { containers: [container({ args: ["run", "-c", "/etc/opa.yaml"], volumeMounts: [{ name: "config", mountPath: "/etc/opa.yaml", subPath: "opa.yml" }] })] });
    expect(messages(await pack.violationsOf(P, [subPath, opaConfig({ ...GOOD_CONFIG, bundles: {} }, "opa-config", "opa.yml")]))).toEqual([
      `${what}: OPA config has no bundles; the engine would run without policy.`,
    ]);
    const projected = engine({}, { volumes: [{ name: "config", projected: { sources: [{ configMap: { name: "opa-config", items: [{ key: "raw", path: "config.yaml" }] } }] } }] });
    expect(messages(await pack.violationsOf(P, [projected, opaConfig({ ...GOOD_CONFIG, bundles: {} }, "opa-config", "raw")]))).toEqual([
      `${what}: OPA config has no bundles; the engine would run without policy.`,
    ]);
  });

  it("fails an engine whose config cannot be verified, or that runs without a config file", async () => {
    expect(messages(await pack.violationsOf(P, [engine()]))).toEqual([
      `${what} loads /config/config.yaml from ConfigMap "opa-config", which is not in this stack; its OPA config cannot be verified.`,
    ]);
    const baked = engine({}, { containers: [container({ args: ["run", "--config-file=/etc/baked.yaml"] })] });
    expect(messages(await pack.violationsOf(P, [baked, opaConfig()]))).toEqual([
      `${what} loads /etc/baked.yaml, which no ConfigMap or Secret it mounts provides; its OPA config cannot be verified.`,
    ]);
    const noFile = engine({}, { containers: [container({ args: ["run", "--set=plugins.envoy_ext_authz_grpc.addr=:9191"] })] });
    expect(messages(await pack.violationsOf(P, [noFile]))).toEqual([
      `${what}: OPA config has no bundles; the engine would run without policy.`,
      `${what}: OPA config has no decision logging (decision_logs.service or decision_logs.console); decisions leave no audit trail.`,
    ]);
  });

  it("reports an unknown config at preview", async () => {
    const r = res("kubernetes:core/v1:ConfigMap", "opa", { metadata: { name: "opa" }, data: { "config.yaml": UNKNOWN } });
    expect((await pack.violationsOf(P, [r])).map((v) => v.level)).toEqual(["advisory"]);
  });
});
