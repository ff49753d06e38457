import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { selectingPolicies } from "../../components/compile/kubernetes/evaluate";
import type { NetworkPolicy } from "../../components/compile/kubernetes/types";
import { hostEntry, namespacePolicies, podPolicies, proxyById, proxyOfWorkload } from "../../components/trace/lookup";
import type { HostEntry, ProxySnapshot } from "../../components/trace/types";

const name = fc.constantFrom("a", "b", "c", "d");
const zone = fc.option(fc.constantFrom("z1", "z2"), { nil: undefined });

const proxy = fc.record({ id: name, workload: fc.option(name, { nil: undefined }), kind: fc.constantFrom("workload", "gateway", "data-proxy") as fc.Arbitrary<ProxySnapshot["kind"]> }).map(
  (p): ProxySnapshot => ({ ...p, zone: "z1", namespace: "ns", podLabels: {}, podLabelsFrom: "test", hostAliases: {}, namedPorts: {}, bootstrap: {}, origin: "test" }),
);
const host = fc.record({ host: name, zone, proxy: name }).map((h): HostEntry => ({ ...h, from: "test" }));
const policy = fc
  .record({ name, namespace: fc.constantFrom("ns1", "ns2"), app: fc.option(name, { nil: undefined }), egress: fc.boolean() })
  .map(
    (p): NetworkPolicy => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: p.name, namespace: p.namespace },
      spec: { podSelector: p.app === undefined ? {} : { matchLabels: { app: p.app } }, policyTypes: p.egress ? ["Egress"] : ["Ingress"] },
    }),
  );

describe("the tracer's indexed look-ups give what a scan in list order gives", () => {
  it("proxies by id and by workload, host names by zone", () => {
    fc.assert(
      fc.property(fc.array(proxy, { maxLength: 12 }), fc.array(host, { maxLength: 12 }), name, zone, (proxies, hosts, key, z) => {
        expect(proxyById(proxies, key)).toBe(proxies.find((p) => p.id === key));
        expect(proxyOfWorkload(proxies, key)).toBe(proxies.find((p) => p.workload === key && p.kind === "workload") ?? proxies.find((p) => p.workload === key));
        expect(hostEntry(hosts, z, key)).toBe(hosts.find((h) => h.zone === z && h.host === key));
      }),
    );
  });

  it("NetworkPolicies of a namespace, and those selecting a pod", () => {
    fc.assert(
      fc.property(fc.array(policy, { maxLength: 12 }), fc.constantFrom("ns1", "ns2", "ns3"), name, fc.constantFrom("Ingress", "Egress") as fc.Arbitrary<"Ingress" | "Egress">, (policies, ns, app, dir) => {
        const ep = { namespace: ns, labels: { app } };
        const inNamespace = namespacePolicies(policies, ns);
        expect(inNamespace).toEqual(policies.filter((p) => p.metadata.namespace === ns));
        const selected = podPolicies(inNamespace, ep.labels, dir, (ps) => selectingPolicies(ps, ep, dir));
        expect(selected).toEqual(selectingPolicies(policies, ep, dir));
      }),
    );
  });

  it("indexes a list again when its length changed", () => {
    const proxies: ProxySnapshot[] = [];
    expect(proxyById(proxies, "a")).toBeUndefined();
    const a: ProxySnapshot = { id: "a", zone: "z1", namespace: "ns", kind: "workload", podLabels: {}, podLabelsFrom: "test", hostAliases: {}, namedPorts: {}, bootstrap: {}, origin: "test" };
    proxies.push(a);
    expect(proxyById(proxies, "a")).toBe(a);
  });
});
