/**
 * The pack's fast paths: the content-keyed parse cache, the type tags the policy host reads to
 * skip policies, and the stack policies' index by type. Each must be invisible in results:
 * no stale value for other content, no policy skipped for a type it judges.
 */
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContentCache } from "../../policy-packs/policies/content-cache";
import { chainsOfData } from "../../policy-packs/policies/envoy-config";
import { resourcesOfType } from "../../policy-packs/policies/stack-index";
import { ofType, TYPES, whenStackHas } from "../../policy-packs/policies/types";
import { zeroTrustPolicies } from "../../policy-packs/policies";
import { PackSession, res } from "../helpers/policy-inprocess";
import { messages } from "./support";

const tagOf = (fn: unknown): unknown => (fn as { __pulumiType?: unknown }).__pulumiType;

describe("ContentCache", () => {
  it("computes once per distinct content and never returns another content's value", () => {
    const cache = new ContentCache<string>(1000);
    let calls = 0;
    const parse = (text: string) => () => {
      calls++;
      return text.toUpperCase();
    };
    expect(cache.get("a: 1", parse("a: 1"))).toBe("A: 1");
    expect(cache.get("a: 1", parse("a: 1"))).toBe("A: 1");
    expect(calls).toBe(1);
    expect(cache.get("a: 2", parse("a: 2"))).toBe("A: 2");
    expect(cache.get("a: 1", parse("a: 1"))).toBe("A: 1");
    expect(calls).toBe(2);
  });

  it("caches undefined results like any other", () => {
    const cache = new ContentCache<undefined>(100);
    let calls = 0;
    for (let i = 0; i < 3; i++) cache.get("x", () => void calls++);
    expect(calls).toBe(1);
  });

  it("drops the least recently used texts beyond its size budget", () => {
    const cache = new ContentCache<number>(10);
    let calls = 0;
    const get = (key: string) => cache.get(key, () => ++calls);
    get("aaaa"); // 4 chars
    get("bbbb"); // 8
    get("aaaa"); // hit: now most recent
    get("cccc"); // 12 > 10: drops bbbb, the least recently used
    expect(cache.size).toBe(2);
    expect(cache.cachedChars).toBe(8);
    expect(calls).toBe(3);
    get("aaaa");
    expect(calls).toBe(3);
    get("bbbb");
    expect(calls).toBe(4);
  });

  it("computes texts longer than the budget without caching them", () => {
    const cache = new ContentCache<number>(3);
    let calls = 0;
    cache.get("long text", () => ++calls);
    cache.get("long text", () => ++calls);
    expect(calls).toBe(2);
    expect(cache.size).toBe(0);
  });
});

describe("chainsOfData", () => {
  const config = (listener: string) =>
    JSON.stringify({ static_resources: { listeners: [{ name: listener, filter_chains: [{ filters: [{ name: "envoy.filters.network.tcp_proxy" }] }] }] } });

  it("parses equal content once and different content separately", () => {
    const a = chainsOfData({ "envoy.yaml": config("one") });
    expect(chainsOfData({ "envoy.yaml": config("one") })).toBe(a);
    const b = chainsOfData({ "envoy.yaml": config("two") });
    expect(b).not.toBe(a);
    expect(a.map((c) => c.label)).toEqual(['listener "one" filter chain 0']);
    expect(b.map((c) => c.label)).toEqual(['listener "two" filter chain 0']);
  });

  it("keys on every data entry, not only the first", () => {
    const one = chainsOfData({ "envoy.yaml": config("x"), "extra.yaml": config("y") });
    const other = chainsOfData({ "envoy.yaml": config("x"), "extra.yaml": config("z") });
    expect(one.map((c) => c.label)).toEqual(['listener "x" filter chain 0', 'listener "y" filter chain 0']);
    expect(other.map((c) => c.label)).toEqual(['listener "x" filter chain 0', 'listener "z" filter chain 0']);
  });
});

describe("type tags", () => {
  it("ofType tags the function for the host and checks the type itself", () => {
    const seen: string[] = [];
    const fn = ofType(TYPES.k8sConfigMap, (args) => void seen.push(args.type));
    expect(tagOf(fn)).toBe(TYPES.k8sConfigMap);
    const report = () => undefined;
    void fn({ type: TYPES.k8sService, props: {} } as unknown as ResourceValidationArgs, report);
    void fn({ type: TYPES.k8sConfigMap, props: {} } as unknown as ResourceValidationArgs, report);
    expect(seen).toEqual([TYPES.k8sConfigMap]);
  });

  it("whenStackHas tags the function and still hands it the whole stack", () => {
    let count = 0;
    const fn = whenStackHas(TYPES.k8sNamespace, (args) => void (count = args.resources.length));
    expect(tagOf(fn)).toBe(TYPES.k8sNamespace);
    void fn({ resources: [{ type: TYPES.k8sNamespace }, { type: TYPES.k8sNetworkPolicy }] } as unknown as StackValidationArgs, () => undefined);
    expect(count).toBe(2);
  });

  it("tags only policies that judge a single type, with that type", () => {
    const resourceTags = Object.fromEntries(
      zeroTrustPolicies.filter((p): p is ResourceValidationPolicy => "validateResource" in p).map((p) => [p.name, tagOf(p.validateResource)]),
    );
    expect(resourceTags).toEqual({
      "aws-oidc-trust-pinned": TYPES.awsRole,
      "gcp-workload-identity-provider-restricted": TYPES.gcpWorkloadIdentityPoolProvider,
      "azure-federated-credential-exact": TYPES.azureFederatedIdentityCredential,
      "gcp-workload-identity-user-not-pool-wide": undefined,
      "no-long-lived-credentials": undefined,
      "aws-iam-no-wildcards": undefined,
      "gcp-no-basic-roles": undefined,
      "azure-no-privileged-role-assignments": TYPES.azureRoleAssignment,
      "cloud-firewall-no-internet-ingress": undefined,
      "cloud-firewall-no-internet-egress": undefined,
      // Untagged: an Envoy config may be in a ConfigMap or a Secret.
      "envoy-mtls-required": undefined,
      "envoy-ext-authz-fail-closed": undefined,
      "envoy-rbac-default-deny": undefined,
      "envoy-minimum-tls-version": undefined,
      "storage-no-public-access": undefined,
      "aws-data-services-private-tls": undefined,
      "azure-data-services-private-tls": undefined,
      "gcp-data-services-private-tls": undefined,
      "data-product-declaration": TYPES.k8sConfigMap,
    });
    const stackTags = Object.fromEntries(
      zeroTrustPolicies.filter((p): p is StackValidationPolicy => "validateStack" in p).map((p) => [p.name, tagOf(p.validateStack)]),
    );
    expect(stackTags).toEqual({
      "kubernetes-namespace-default-deny": TYPES.k8sNamespace,
      "kubernetes-network-policy-no-internet-ingress": TYPES.k8sNetworkPolicy,
      "kubernetes-network-policy-no-internet-egress": TYPES.k8sNetworkPolicy,
      "kubernetes-load-balancer-gateway-only": TYPES.k8sService,
      // Untagged: engines are any workload type, their configs ConfigMaps or Secrets.
      "policy-engine-deployment": undefined,
      "policy-engine-disruption-budget": undefined,
      "opa-config-secure": undefined,
      "aws-database-tls-required": undefined,
      "data-encryption-at-rest-cmk": undefined,
      "audit-log-store-immutable": undefined,
      // Untagged: a resource of any type with the intents role makes it apply.
      "mesh-conformance": undefined,
    });
  });
});

describe("through the policy host", () => {
  let pack: PackSession;
  beforeAll(async () => {
    pack = await PackSession.start();
  });
  afterAll(() => pack.stop());

  const envoy = (name: string, requireClientCertificate: boolean) =>
    res("kubernetes:core/v1:ConfigMap", name, {
      metadata: { name, labels: { "ztmesh.io/role": "envoy" } },
      data: {
        "envoy.yaml": JSON.stringify({
          static_resources: {
            listeners: [
              {
                name,
                filter_chains: [
                  {
                    transport_socket: {
                      name: "envoy.transport_sockets.tls",
                      typed_config: { "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", require_client_certificate: requireClientCertificate },
                    },
                    filters: [{ name: "envoy.filters.network.tcp_proxy" }],
                  },
                ],
              },
            ],
          },
        }),
      },
    });

  it("judges each Envoy config on its own content, also when an identical one came first", async () => {
    const v = await pack.violationsOf("envoy-mtls-required", [envoy("good", true), envoy("good", true), envoy("bad", false), envoy("good", true)]);
    expect(v.map((x) => x.urn.split("::").pop())).toEqual(["bad"]);
    const again = await pack.violationsOf("envoy-mtls-required", [envoy("bad", false), envoy("good", true)]);
    expect(again.map((x) => x.urn.split("::").pop())).toEqual(["bad"]);
  });

  it("still runs a tagged resource policy on its type, and not on others", async () => {
    const trust = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "sts:AssumeRoleWithWebIdentity", Principal: { Federated: "arn:aws:iam::1:oidc-provider/x" } }] });
    const v = await pack.violationsOf("aws-oidc-trust-pinned", [res(TYPES.awsRole, "role", { assumeRolePolicy: trust }), res("aws:iam/user:User", "other", { assumeRolePolicy: trust })]);
    expect(v.length).toBeGreaterThan(0);
    expect(new Set(v.map((x) => x.urn.split("::").pop()))).toEqual(new Set(["role"]));
  });

  it("runs a stack policy tagged with a type on that type's resources only", async () => {
    const open = { spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] } };
    const v = await pack.violationsOf("kubernetes-network-policy-no-internet-ingress", [
      res(TYPES.k8sNetworkPolicy, "np", open),
      res("kubernetes:networking.k8s.io/v1beta1:NetworkPolicy", "other", open),
    ]);
    expect(v.map((x) => x.urn.split("::").pop())).toEqual(["np"]);
  });

  it("runs a tagged stack policy when the stack has its type, and passes a stack without it", async () => {
    expect(messages(await pack.violationsOf("kubernetes-namespace-default-deny", [res(TYPES.k8sNamespace, "ns", { metadata: { name: "a" } })]))).toEqual([
      'Namespace "a" has no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, Egress], no rules).',
    ]);
    expect(await pack.violationsOf("kubernetes-namespace-default-deny", [res(TYPES.k8sNetworkPolicy, "np", { metadata: { namespace: "a" }, spec: {} })])).toEqual([]);
  });
});

describe("resourcesOfType", () => {
  const r = (type: string, name: string) => ({ type, name }) as unknown as PolicyResource;
  const stack = [r("a", "1"), r("b", "2"), r("a", "3"), r("c", "4"), r("b", "5")];
  const names = (rs: PolicyResource[]) => rs.map((x) => x.name);

  it("returns the resources of the types in stack order", () => {
    expect(names(resourcesOfType(stack, "a"))).toEqual(["1", "3"]);
    expect(names(resourcesOfType(stack, ["b", "a"]))).toEqual(["1", "2", "3", "5"]);
    expect(names(resourcesOfType(stack, ["a", "a"]))).toEqual(["1", "3"]);
    expect(resourcesOfType(stack, "z")).toEqual([]);
  });

  it("indexes each array on its own", () => {
    expect(names(resourcesOfType(stack, "c"))).toEqual(["4"]);
    const other = [r("c", "9")];
    expect(names(resourcesOfType(other, "c"))).toEqual(["9"]);
    expect(names(resourcesOfType(stack, "c"))).toEqual(["4"]);
  });

  it("indexes an array again when its length changed", () => {
    const grown = [r("a", "1")];
    expect(names(resourcesOfType(grown, "a"))).toEqual(["1"]);
    grown.push(r("a", "2"));
    expect(names(resourcesOfType(grown, "a"))).toEqual(["1", "2"]);
  });
});
