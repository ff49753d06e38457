/** The pure readers behind recognition by meaning, tested directly (property tests where inputs vary). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { selectorMatches } from "../../components/compile/kubernetes/evaluate";
import type { LabelSelector } from "../../components/compile/kubernetes/types";
import { isEnvoyImage } from "../../policy-packs/policies/gateways";
import { isLoopback } from "../../policy-packs/policies/envoy-config";
import { internetEgress, internetEgressPorts } from "../../policy-packs/policies/kubernetes-egress";
import { applySets, isOpaEnvoyImage, opaCommand } from "../../policy-packs/policies/opa-engine";
import { gatesOnBundles } from "../../policy-packs/policies/policy-engine";
import { Deferred, parseImage, resolveFile, selects } from "../../policy-packs/policies/workloads";

const RUNS = { numRuns: Number(process.env.ZTMESH_FUZZ_RUNS ?? 5) * 40 };
const segment = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/);
const registry = fc.oneof(fc.constant(""), fc.tuple(segment, fc.constantFrom(".io", ".example.com:5000", ".azurecr.io")).map(([a, b]) => `${a}${b}/`));
const mirrorPath = fc.array(segment, { maxLength: 2 }).map((p) => p.map((x) => `${x}/`).join(""));
const digest = fc.oneof(fc.constant(""), fc.stringMatching(/^[0-9a-f]{8,16}$/).map((h) => `@sha256:${h}`));
const version = fc.tuple(fc.nat(2), fc.nat(70), fc.nat(9)).map(([a, b, c]) => `${a}.${b}.${c}`);

describe("images", () => {
  it("recognises the OPA-Envoy image from any registry, mirror path and digest, and only with an envoy tag", () => {
    fc.assert(
      fc.property(registry, mirrorPath, version, fc.constantFrom("", "-rootless", "-static", "-2"), digest, (reg, path, v, suffix, d) => {
        expect(isOpaEnvoyImage(`${reg}${path}openpolicyagent/opa:${v}-envoy${suffix}${d}`)).toBe(true);
        expect(isOpaEnvoyImage(`${reg}${path}opa-envoy-plugin:${v}${d}`)).toBe(true);
        expect(isOpaEnvoyImage(`${reg}${path}openpolicyagent/opa:${v}${suffix}${d}`)).toBe(false);
        expect(isOpaEnvoyImage(`${reg}${path}envoyproxy/envoy:v${v}${d}`)).toBe(false);
      }),
      RUNS,
    );
  });

  it("recognises Envoy images (envoy, envoy-contrib, envoy-distroless) and nothing else", () => {
    fc.assert(
      fc.property(registry, version, digest, (reg, v, d) => {
        for (const name of ["envoy", "envoy-contrib", "envoy-distroless"]) expect(isEnvoyImage(`${reg}envoyproxy/${name}:v${v}${d}`)).toBe(true);
        expect(isEnvoyImage(`${reg}openpolicyagent/opa:${v}-envoy${d}`)).toBe(false);
        expect(isEnvoyImage(`${reg}acme/envoyish:${v}`)).toBe(false);
      }),
      RUNS,
    );
  });

  it("splits registry ports from tags", () => {
    expect(parseImage("reg.example.com:5000/a/opa")).toEqual({ segments: ["reg.example.com:5000", "a", "opa"], tag: undefined });
    expect(parseImage("reg.example.com:5000/a/opa:1-envoy@sha256:ab")).toEqual({ segments: ["reg.example.com:5000", "a", "opa"], tag: "1-envoy" });
  });
});

describe("label selectors", () => {
  const key = fc.constantFrom("app", "tier", "zone");
  const val = fc.constantFrom("a", "b", "c");
  const labels = fc.dictionary(key, val, { maxKeys: 3 });
  const selector: fc.Arbitrary<LabelSelector> = fc.record(
    {
      matchLabels: fc.dictionary(key, val, { maxKeys: 2 }),
      matchExpressions: fc.array(
        fc.record({ key, operator: fc.constantFrom("In" as const, "NotIn" as const, "Exists" as const, "DoesNotExist" as const), values: fc.array(val, { maxLength: 2 }) }),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: [] },
  );

  it("agree with the NetworkPolicy evaluator's selector semantics (the oracle) on well-formed selectors", () => {
    fc.assert(fc.property(selector, labels, (s, l) => selects(s, l) === selectorMatches(s, l)), RUNS);
  });

  it("are undefined (never a match) when malformed", () => {
    expect(selects({ matchExpressions: [{ key: "app", operator: "Maybe" }] }, { app: "a" })).toBeUndefined();
    expect(selects("app=a", { app: "a" })).toBeUndefined();
  });
});

describe("loopback addresses", () => {
  it("are 127.0.0.0/8 and ::1, nothing else", () => {
    fc.assert(
      fc.property(fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({ min: 0, max: 255 }), (b, c, d, a) => {
        expect(isLoopback(`127.${b}.${c}.${d}`)).toBe(true);
        expect(isLoopback(`${a}.${b}.${c}.${d}`)).toBe(a === 127);
      }),
      RUNS,
    );
    expect(isLoopback("::1")).toBe(true);
    expect(isLoopback("::")).toBe(false);
    expect(isLoopback("0.0.0.0")).toBe(false);
    expect(isLoopback("localhost")).toBe(false);
  });
});

describe("OPA command lines", () => {
  it("read --config-file/-c, --set and --skip-verify in both spellings", () => {
    expect(opaCommand({ command: ["opa"], args: ["run", "-c", "/a.yaml", "--set", "x.y=1", "--set=plugins.envoy_ext_authz_grpc.addr=:9191", "--skip-verify"] })).toEqual({
      configFiles: ["/a.yaml"],
      sets: ["x.y=1", "plugins.envoy_ext_authz_grpc.addr=:9191"],
      skipVerify: true,
      namesPlugin: true,
    });
  });

  it("apply --set overrides as OPA does (dotted paths, comma-separated pairs, scalars)", () => {
    const base = { plugins: { envoy_ext_authz_grpc: { addr: ":9191" } } };
    expect(applySets(base, ["plugins.envoy_ext_authz_grpc.dry-run=true,decision_logs.console=true", "bundles.b.signing.keyid=k"])).toEqual({
      plugins: { envoy_ext_authz_grpc: { addr: ":9191", "dry-run": true } },
      decision_logs: { console: true },
      bundles: { b: { signing: { keyid: "k" } } },
    });
    expect(base.plugins.envoy_ext_authz_grpc).toEqual({ addr: ":9191" });
  });

  it("gate readiness on bundles only when the query asks for them", () => {
    expect(["/health?bundles", "/health?bundles=true", "/health?plugins&bundles"].map(gatesOnBundles)).toEqual([true, true, true]);
    expect(["/health", "/health?bundles=false", "/ready?bundles", undefined].map(gatesOnBundles)).toEqual([false, false, false, false]);
  });
});

describe("files traced through mounts", () => {
  const pod = {
    volumes: [
      { name: "dir", configMap: { name: "cm" } },
      { name: "one", secret: { secretName: "s" } },
      { name: "proj", projected: { sources: [{ configMap: { name: "p", items: [{ key: "raw", path: "x/config.yaml" }] } }] } },
    ],
  };
  const c = { volumeMounts: [{ name: "dir", mountPath: "/etc/a/" }, { name: "one", mountPath: "/etc/b.yaml", subPath: "b" }, { name: "proj", mountPath: "/p" }] };

  it("resolve a directory mount, a subPath mount and a projected item", () => {
    expect(resolveFile(pod, c, "/etc/a/config.yaml")).toEqual({ source: { kind: "ConfigMap", name: "cm" }, key: "config.yaml" });
    expect(resolveFile(pod, c, "/etc/b.yaml")).toEqual({ source: { kind: "Secret", name: "s" }, key: "b" });
    expect(resolveFile(pod, c, "/p/x/config.yaml")).toEqual({ source: { kind: "ConfigMap", name: "p", items: { raw: "x/config.yaml" } }, key: "raw" });
    expect(resolveFile(pod, c, "/p/other.yaml")).toBeUndefined();
    expect(resolveFile(pod, c, "/etc/ab/config.yaml")).toBeUndefined();
  });
});

describe("internet egress of a NetworkPolicy spec", () => {
  const rule = fc.record({ ports: fc.array(fc.record({ port: fc.integer({ min: 1, max: 65535 }) }), { maxLength: 2 }) }, { requiredKeys: [] });

  it("flags every rule without `to`, whatever its ports", () => {
    fc.assert(fc.property(rule, (r) => internetEgress({ policyTypes: ["Egress"], egress: [r] })?.startsWith("NetworkPolicy has an egress rule without `to`") === true), RUNS);
  });

  it("flags prefixes splitting the IPv4 space over several rules, and nothing short of it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), (len) => {
        const size = 2 ** (32 - len);
        const cidrs = Array.from({ length: 2 ** len }, (_x, i) => {
          const n = i * size;
          return `${Math.floor(n / 2 ** 24) % 256}.${Math.floor(n / 2 ** 16) % 256}.${Math.floor(n / 2 ** 8) % 256}.${n % 256}/${len}`;
        });
        const spec = (cs: string[]) => ({ egress: cs.map((cidr) => ({ to: [{ ipBlock: { cidr } }] })) });
        expect(internetEgress(spec(cidrs))).toMatch(/whole IPv4 internet/);
        // Without the block holding 8.8.8.8 (public at every prefix length), some of the internet is left out.
        const public8 = Math.floor((8 * 2 ** 24) / size);
        expect(internetEgress(spec(cidrs.filter((_c, i) => i !== public8)))).toBeUndefined();
      }),
      { numRuns: 8 },
    );
  });
});

describe("ports on which egress reaches the internet", () => {
  it("count rules without `to` or with a public ipBlock, not in-cluster or private peers", () => {
    const spec = {
      egress: [
        { to: [{ podSelector: {} }], ports: [{ port: 9191 }] },
        { to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 5432 }] },
        { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 443 }] },
        { ports: [{ port: 53, protocol: "UDP" }] },
      ],
    };
    expect(internetEgressPorts(spec)).toEqual(["443/TCP", "53/UDP"]);
  });

  it("are every port when such a rule names none, a named port or a range", () => {
    expect(internetEgressPorts({ egress: [{}] })).toBeUndefined();
    expect(internetEgressPorts({ egress: [{ ports: [{ port: "https" }] }] })).toBeUndefined();
    expect(internetEgressPorts({ egress: [{ ports: [{ port: 443, endPort: 450 }] }] })).toBeUndefined();
  });
});

describe("Deferred", () => {
  class UnknownValueError extends Error {}
  it("runs every check, keeps the first unknown-value error for the end, and throws others at once", () => {
    const d = new Deferred();
    const ran: number[] = [];
    const first = new UnknownValueError("first");
    d.run(() => {
      ran.push(1);
      throw first;
    });
    d.run(() => {
      ran.push(2);
      throw new UnknownValueError("second");
    });
    d.run(() => void ran.push(3));
    expect(ran).toEqual([1, 2, 3]);
    expect(() => d.finish()).toThrow(first);
    expect(() => new Deferred().run(() => {
      throw new TypeError("bug");
    })).toThrow(TypeError);
    expect(() => new Deferred().finish()).not.toThrow();
  });
});
