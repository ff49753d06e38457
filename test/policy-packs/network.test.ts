import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileGateway, toYaml } from "../../components/compile/envoy";
import { buildMesh } from "../../components/model";
import { domains, mesh } from "../fixtures/mesh";
import { PackSession, UNKNOWN, res, type TestResource } from "../helpers/policy-inprocess";
import { messages, names } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

/** A zone gateway pod (Envoy only) loading the compiler's SNI-passthrough bootstrap, or `bootstrap`. */
const GW = { app: "edge" };
const model = buildMesh(mesh, domains);
const gatewayYaml = toYaml(compileGateway(model, model.zones[0].id));
const envoyPod = (podSpec: Record<string, unknown> = {}, name = "gw", labels: Record<string, string> = GW): TestResource =>
  res("kubernetes:apps/v1:Deployment", name, {
    metadata: { name, namespace: "a" },
    spec: {
      replicas: 2,
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: "envoy", image: "envoyproxy/envoy:v1.37.5", args: ["--config-path", "/etc/envoy/envoy.yaml"], volumeMounts: [{ name: "cfg", mountPath: "/etc/envoy" }] }],
          volumes: [{ name: "cfg", configMap: { name: "gw-envoy" } }],
          ...podSpec,
        },
      },
    },
  });
const bootstrapCm = (yaml = gatewayYaml) => res("kubernetes:core/v1:ConfigMap", "gw-envoy", { metadata: { name: "gw-envoy", namespace: "a" }, data: { "envoy.yaml": yaml } });
/** A bootstrap with one plain (no mTLS, no ext_authz) listener on 8443. */
const plainYaml = JSON.stringify({
  static_resources: { listeners: [{ name: "plain", address: { socket_address: { address: "0.0.0.0", port_value: 8443 } }, filter_chains: [{ filters: [{ name: "envoy.filters.network.tcp_proxy" }] }] }] },
});

describe("kubernetes-network-policy-no-internet-ingress", () => {
  const P = "kubernetes-network-policy-no-internet-ingress";
  const np = (from: unknown[] | undefined, podLabels: Record<string, string> = { app: "api" }, ports: unknown[] = [{ port: 8443 }]) =>
    res("kubernetes:networking.k8s.io/v1:NetworkPolicy", "np", {
      metadata: { name: "np", namespace: "a" },
      spec: { podSelector: { matchLabels: podLabels }, policyTypes: ["Ingress"], ingress: [from === undefined ? { ports } : { from, ports }] },
    });
  const block = (cidr: string, except?: string[]) => ({ ipBlock: except ? { cidr, except } : { cidr } });

  it("passes in-cluster peers and partial blocks", async () => {
    expect(await pack.violationsOf(P, [np([{ podSelector: { matchLabels: { app: "web" } } }, block("10.0.0.0/8"), block("0.0.0.0/1")])])).toEqual([]);
    expect(await pack.violationsOf(P, [np([block("0.0.0.0/0", ["8.0.0.0/7"])])])).toEqual([]);
  });

  it.each([
    ["0.0.0.0/0", [block("0.0.0.0/0")], "IPv4"],
    ["::/0", [block("::/0")], "IPv6"],
    ["two halves", [block("0.0.0.0/1"), block("128.0.0.0/1")], "IPv4"],
    ["0.0.0.0/0 minus private ranges only", [block("0.0.0.0/0", ["10.0.0.0/8", "192.168.0.0/16"])], "IPv4"],
  ])("fails %s", async (_l, from, family) => {
    expect(messages(await pack.violationsOf(P, [np(from)]))).toEqual([
      `NetworkPolicy ingress ipBlocks admit the whole ${family} internet; only mesh gateway pods may be reached from it.`,
    ]);
  });

  it("fails a rule without from (every source)", async () => {
    expect(messages(await pack.violationsOf(P, [np(undefined)]))).toEqual([
      "NetworkPolicy has an ingress rule without `from`, which admits every source including the internet; name the peers.",
    ]);
  });

  it("admits the internet to a mesh gateway recognised by what it runs (the compiler's SNI-passthrough gateway), on its listener port", async () => {
    expect(await pack.violationsOf(P, [np([block("0.0.0.0/0"), block("::/0")], GW), envoyPod(), bootstrapCm()])).toEqual([]);
  });

  it.each([
    ["a ztmesh gateway label alone", [np([block("0.0.0.0/0")], { "app.kubernetes.io/name": "ztmesh-gateway" })]],
    ["an Envoy with a plain listener", [np([block("0.0.0.0/0")], GW), envoyPod(), bootstrapCm(plainYaml)]],
    ["an app container next to the gateway's Envoy", [np([block("0.0.0.0/0")], GW), envoyPod({ containers: [{ name: "app", image: "acme/app:1" }] }), bootstrapCm()]],
    ["a bootstrap not in the stack", [np([block("0.0.0.0/0")], GW), envoyPod()]],
  ])("does not admit the internet to %s", async (_l, resources) => {
    expect(messages(await pack.violationsOf(P, resources as TestResource[]))).toEqual([
      "NetworkPolicy ingress ipBlocks admit the whole IPv4 internet; only mesh gateway pods may be reached from it.",
    ]);
  });

  it("fails a gateway's policy that admits the internet on ports it does not listen on", async () => {
    const v = await pack.violationsOf(P, [np([block("0.0.0.0/0")], GW, [{ port: 8443 }, { port: 22 }]), envoyPod(), bootstrapCm()]);
    expect(messages(v)).toEqual(["NetworkPolicy admits the internet to the mesh gateway on 22/TCP, but its Envoy listens on only 8443/TCP; admit only its listener ports."]);
  });

  it("reports an unknown cidr at preview", async () => {
    expect((await pack.violationsOf(P, [np([block(UNKNOWN)])])).map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("kubernetes-load-balancer-gateway-only", () => {
  const P = "kubernetes-load-balancer-gateway-only";
  const svc = (type: string, selector: Record<string, string>) =>
    res("kubernetes:core/v1:Service", "svc", { metadata: { name: "svc", namespace: "a" }, spec: { type, selector, ports: [{ port: 443 }] } });

  it("passes a load balancer in front of a mesh gateway recognised by what it runs, and ClusterIP services", async () => {
    expect(await pack.violationsOf(P, [svc("LoadBalancer", GW), envoyPod(), bootstrapCm(), svc("ClusterIP", { app: "api" })])).toEqual([]);
  });

  it("fails a load balancer in front of a workload, and one selecting no workload of the stack", async () => {
    const app = envoyPod({ containers: [{ name: "api", image: "acme/api:1" }] }, "api", { app: "api" });
    expect(messages(await pack.violationsOf(P, [svc("LoadBalancer", { app: "api" }), app]))).toEqual([
      'Service "svc" of type LoadBalancer selects pods that are not mesh gateways (api); expose workloads through a mesh gateway.',
    ]);
    expect(messages(await pack.violationsOf(P, [svc("LoadBalancer", { "app.kubernetes.io/name": "ztmesh-gateway" })]))).toEqual([
      'Service "svc" of type LoadBalancer selects no mesh gateway workload of this stack; expose workloads through a mesh gateway.',
    ]);
  });

  it("reports an unknown type at preview", async () => {
    expect((await pack.violationsOf(P, [res("kubernetes:core/v1:Service", "s", { spec: { type: UNKNOWN } })])).map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("cloud-firewall-no-internet-ingress", () => {
  const P = "cloud-firewall-no-internet-ingress";
  const msg = (what: string, fam = "IPv4") => `${what} admits ingress from the whole ${fam} internet; only resources marked as mesh gateway listeners may.`;
  const sg = (ingress: unknown[], tags?: Record<string, string>) => res("aws:ec2/securityGroup:SecurityGroup", "sg", { vpcId: "v", ingress, tags });
  const azRule = (inputs: Record<string, unknown>) =>
    res("azure-native:network:SecurityRule", "rule", { direction: "Inbound", access: "Allow", protocol: "Tcp", priority: 100, destinationPortRange: "443", ...inputs });
  const fw = (inputs: Record<string, unknown>) => res("gcp:compute/firewall:Firewall", "fw", { network: "n", allows: [{ protocol: "tcp", ports: ["443"] }], ...inputs });

  it("passes private sources everywhere", async () => {
    const v = await pack.violationsOf(P, [
      sg([{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/8"] }]),
      res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "in", { securityGroupId: "sg", cidrIpv4: "10.1.0.0/16", ipProtocol: "tcp" }),
      azRule({ sourceAddressPrefix: "VirtualNetwork" }),
      fw({ sourceRanges: ["10.0.0.0/8"] }),
      fw({ sourceRanges: ["0.0.0.0/0"], direction: "EGRESS" }),
      azRule({ sourceAddressPrefix: "*", direction: "Outbound" }),
    ]);
    expect(v).toEqual([]);
  });

  it.each([
    ["an inline SG rule", sg([{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }]), msg("AWS security group")],
    ["inline SG rules covering the internet together", sg([{ cidrBlocks: ["0.0.0.0/1"] }, { cidrBlocks: ["128.0.0.0/1"] }]), msg("AWS security group")],
    ["an SG rule", res("aws:ec2/securityGroupRule:SecurityGroupRule", "r", { type: "ingress", securityGroupId: "sg", ipv6CidrBlocks: ["::/0"] }), msg("AWS security group", "IPv6")],
    ["an SG ingress rule", res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r", { securityGroupId: "sg", cidrIpv4: "0.0.0.0/0" }), msg("AWS security group")],
    ["an Azure rule from Internet", azRule({ sourceAddressPrefix: "Internet" }), msg("Azure network security rule", "IPv4 and IPv6")],
    ["an Azure rule from 0.0.0.0/0 in a list", azRule({ sourceAddressPrefixes: ["10.0.0.0/8", "0.0.0.0/0"] }), msg("Azure network security rule")],
    [
      "an NSG's inline rule",
      res("azure-native:network:NetworkSecurityGroup", "nsg", { resourceGroupName: "rg", securityRules: [{ name: "in", direction: "Inbound", access: "Allow", sourceAddressPrefix: "*" }] }),
      msg("Azure network security rule", "IPv4 and IPv6"),
    ],
    ["a GCP firewall from 0.0.0.0/0", fw({ sourceRanges: ["0.0.0.0/0"] }), msg("GCP firewall rule")],
    ["a GCP firewall with no source (defaults to 0.0.0.0/0)", fw({}), msg("GCP firewall rule")],
  ])("fails %s", async (_l, r, message) => {
    expect(messages(await pack.violationsOf(P, [r]))).toEqual([message]);
  });

  it("exempts gateway listeners by tag, description, NSG tag and GCP target tag", async () => {
    const v = await pack.violationsOf(P, [
      sg([{ cidrBlocks: ["0.0.0.0/0"] }], { "ztmesh.io/role": "gateway" }),
      res("aws:ec2/securityGroupRule:SecurityGroupRule", "r", { type: "ingress", cidrBlocks: ["0.0.0.0/0"], description: "gateway ztmesh.io/role=gateway" }),
      res("azure-native:network:NetworkSecurityGroup", "nsg", { tags: { "ztmesh-role": "gateway" }, securityRules: [{ direction: "Inbound", access: "Allow", sourceAddressPrefix: "*" }] }),
      fw({ sourceRanges: ["0.0.0.0/0"], targetTags: ["ztmesh-gateway"] }),
    ]);
    expect(v).toEqual([]);
  });

  it("takes gatewayMarkers and gatewayNetworkTags from config", async () => {
    const config = { [P]: { gatewayMarkers: { edge: "true" }, gatewayNetworkTags: ["edge"] } };
    const v = await pack.violationsOf(
      P,
      [sg([{ cidrBlocks: ["0.0.0.0/0"] }], { edge: "true" }), fw({ sourceRanges: ["0.0.0.0/0"], targetTags: ["edge"] }), fw({ sourceRanges: ["0.0.0.0/0"], targetTags: ["ztmesh-gateway"] })],
      { config },
    );
    expect(names(v)).toEqual(["fw"]);
    expect(v).toHaveLength(1);
  });

  it("reports unknown sources at preview", async () => {
    const v = await pack.violationsOf(P, [fw({ sourceRanges: UNKNOWN })]);
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });
});
