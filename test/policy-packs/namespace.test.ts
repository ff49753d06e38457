import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackSession, UNKNOWN, res } from "../helpers/policy-inprocess";
import { messages, names } from "./support";

const P = "kubernetes-namespace-default-deny";
let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

const ns = (name: string, provider?: string) => res("kubernetes:core/v1:Namespace", `ns-${name}-${provider ?? "default"}`, { metadata: { name } }, { provider });
const deny = (namespace: string, spec: Record<string, unknown> = {}, provider?: string) =>
  res(
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    `deny-${namespace}-${provider ?? "default"}`,
    { metadata: { name: "default-deny", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ...spec } },
    { provider },
  );
const cluster = (name: string) => res("pulumi:providers:kubernetes", name, {});

describe(P, () => {
  it("passes a namespace with a default-deny policy for ingress and egress", async () => {
    expect(await pack.violationsOf(P, [ns("a"), deny("a")])).toEqual([]);
  });

  it("fails a namespace without one", async () => {
    const v = await pack.violationsOf(P, [ns("a"), deny("b")]);
    expect(messages(v)).toEqual(['Namespace "a" has no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, Egress], no rules).']);
    expect(names(v)).toEqual(["ns-a-default"]);
  });

  it.each([
    ["ingress only", { policyTypes: ["Ingress"] }],
    ["a selector", { podSelector: { matchLabels: { app: "x" } } }],
    ["an allow rule", { ingress: [{ from: [{ podSelector: {} }] }] }],
  ])("does not count a policy with %s as default deny", async (_l, spec) => {
    expect(await pack.violationsOf(P, [ns("a"), deny("a", spec)])).toHaveLength(1);
  });

  it("judges each cluster's namespace on its own (the same name under two providers)", async () => {
    const resources = [cluster("eu"), cluster("us"), ns("shop", "eu"), ns("shop", "us"), deny("shop", {}, "eu")];
    const v = await pack.violationsOf(P, resources);
    expect(names(v)).toEqual(["ns-shop-us"]);
  });

  it("reports a namespace name unknown at preview", async () => {
    const v = await pack.violationsOf(P, [res("kubernetes:core/v1:Namespace", "n", { metadata: { name: UNKNOWN } })]);
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });
});
