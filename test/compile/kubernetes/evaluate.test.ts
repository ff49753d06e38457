import { describe, expect, it } from "vitest";
import {
  type NetworkPolicy,
  type NetworkPolicySpec,
  cidrContains,
  egressAllows,
  egressVerdict,
  ingressVerdict,
  effectivePolicyTypes,
  networkAllows,
  selectorMatches,
} from "../../../components/compile/kubernetes";

const pol = (namespace: string, spec: NetworkPolicySpec, name = "p"): NetworkPolicy => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});
const a = { namespace: "a", labels: { app: "a" } };
const b = { namespace: "b", labels: { app: "b" } };

describe("networkAllows", () => {
  it("allows everything without policies", () => {
    expect(networkAllows([], a, b, 80)).toBe(true);
  });

  it("isolation by default-deny on either side denies", () => {
    const denyB = pol("b", { podSelector: {}, policyTypes: ["Ingress"] });
    const denyA = pol("a", { podSelector: {}, policyTypes: ["Egress"] });
    expect(networkAllows([denyB], a, b, 80)).toBe(false);
    expect(networkAllows([denyA], a, b, 80)).toBe(false);
    expect(networkAllows([denyA], b, { namespace: "b", labels: {} }, 80)).toBe(true);
  });

  it("needs both egress and ingress once both sides are isolated; policies are additive", () => {
    const ps = [
      pol("a", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }, "deny"),
      pol("b", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }, "deny"),
      pol("b", {
        podSelector: { matchLabels: { app: "b" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "a" } } }], ports: [{ port: 80 }] }],
      }),
    ];
    expect(networkAllows(ps, a, b, 80)).toBe(false);
    const egress = pol("a", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: {}, namespaceSelector: {} }] }] }, "e");
    expect(networkAllows([...ps, egress], a, b, 80)).toBe(true);
    expect(networkAllows([...ps, egress], a, b, 81)).toBe(false);
    expect(networkAllows([...ps, egress], a, b, { port: 80, protocol: "UDP" })).toBe(false);
  });

  it("a podSelector-only peer means the policy's own namespace", () => {
    const ps = [pol("b", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "a" } } }] }] })];
    expect(networkAllows(ps, a, b, 80)).toBe(false);
    expect(networkAllows(ps, { namespace: "b", labels: { app: "a" } }, b, 80)).toBe(true);
  });

  it("ipBlocks match by IP, honour except, and a /0 block matches pods of unknown IP", () => {
    const ps = [pol("b", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }] }] })];
    expect(networkAllows(ps, { ...a, ip: "10.2.3.4" }, b, 80)).toBe(true);
    expect(networkAllows(ps, { ...a, ip: "10.1.3.4" }, b, 80)).toBe(false);
    expect(networkAllows(ps, a, b, 80)).toBe(false);
    const open = [pol("b", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] })];
    expect(networkAllows(open, a, b, 80)).toBe(true);
  });

  it("supports port ranges and named ports", () => {
    const ps = [pol("b", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ ports: [{ port: 8000, endPort: 8010 }, { port: "web" }] }] })];
    expect(networkAllows(ps, a, b, 8005)).toBe(true);
    expect(networkAllows(ps, a, { ...b, namedPorts: { web: 443 } }, 443)).toBe(true);
    expect(networkAllows(ps, a, { ...b, namedPorts: { web: 443 } }, 444)).toBe(false);
  });
});

describe("helpers", () => {
  it("selectorMatches handles every operator", () => {
    const l = { x: "1", y: "2" };
    expect(selectorMatches({}, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "x", operator: "In", values: ["1"] }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "x", operator: "NotIn", values: ["1"] }] }, l)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "z", operator: "NotIn", values: ["1"] }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "z", operator: "Exists" }] }, l)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "z", operator: "DoesNotExist" }] }, l)).toBe(true);
    expect(selectorMatches({ matchLabels: { x: "2" } }, l)).toBe(false);
  });

  it("cidrContains handles IPv4 and IPv6", () => {
    expect(cidrContains("192.168.0.0/16", "192.168.4.5")).toBe(true);
    expect(cidrContains("192.168.0.0/16", "192.169.4.5")).toBe(false);
    expect(cidrContains("fd00::/8", "fd12::1")).toBe(true);
    expect(cidrContains("fd00::/8", "fe12::1")).toBe(false);
    expect(cidrContains("0.0.0.0/0", "fd12::1")).toBe(false);
  });

  it("effectivePolicyTypes follows the Kubernetes defaults", () => {
    expect(effectivePolicyTypes(pol("a", { podSelector: {} }))).toEqual(["Ingress"]);
    expect(effectivePolicyTypes(pol("a", { podSelector: {}, egress: [{}] }))).toEqual(["Ingress", "Egress"]);
  });
});

describe("egressVerdict / ingressVerdict", () => {
  const allowAB = pol("b", { podSelector: { matchLabels: { app: "b" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: "x" } } }] }, { from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: "a" } } }], ports: [{ port: 80 }] }] }, "allow-a");
  const deny = pol("b", { podSelector: {}, policyTypes: ["Ingress"] }, "default-deny");

  it("names the admitting policy and rule, or every selecting policy when none admits", () => {
    expect(ingressVerdict([deny, allowAB], a, b, 80)).toEqual({ allowed: true, isolated: true, selecting: ["b/default-deny", "b/allow-a"], admittedBy: { policy: "b/allow-a", rule: 1 } });
    expect(ingressVerdict([deny, allowAB], a, b, 81)).toEqual({ allowed: false, isolated: true, selecting: ["b/default-deny", "b/allow-a"] });
    expect(egressVerdict([deny], a, b, 80)).toEqual({ allowed: true, isolated: false, selecting: [] });
  });

  it("an address outside the cluster is selected by ipBlocks only, never by pod or namespace selectors", () => {
    const outside = { namespace: "", labels: {}, external: true };
    const egress = pol("a", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: {} }] }] });
    expect(egressAllows([egress], a, outside, 443)).toBe(false);
    const cidr = pol("a", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "203.0.113.0/24" } }] }] });
    expect(egressAllows([cidr], a, { ...outside, ip: "203.0.113.9" }, 443)).toBe(true);
    expect(egressAllows([cidr], a, outside, 443)).toBe(false);
    expect(ingressVerdict([egress], outside, a, 443).isolated).toBe(false);
  });
});
