/**
 * Internet egress: no NetworkPolicy or cloud firewall rule lets traffic out to the whole
 * internet, except the mesh's egress gateway (in Kubernetes recognised by what it runs; in the
 * clouds, whose rules cannot see pods, by its marker).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileDataProxy, compileEgressGateway, toYaml } from "../../components/compile/envoy";
import { buildMesh } from "../../components/model";
import { domains, mesh } from "../fixtures/mesh";
import { PackSession, UNKNOWN, res, type TestResource } from "../helpers/policy-inprocess";
import { messages, names } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

type Obj = Record<string, unknown>;
const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const NO_TO = "NetworkPolicy has an egress rule without `to`, which admits every destination (on its ports, if it names any) including the internet; name the destinations, or send internet traffic through the egress gateway.";
const blocksMsg = (family: string) => `NetworkPolicy egress ipBlocks admit the whole ${family} internet; only the mesh egress gateway may reach it.`;
const block = (cidr: string, except?: string[]) => ({ ipBlock: except ? { cidr, except } : { cidr } });
const np = (egress: unknown[], podLabels: Record<string, string> = { app: "api" }, extra: Obj = {}, name = "np") =>
  res(NP, name, { metadata: { name, namespace: "mesh" }, spec: { podSelector: { matchLabels: podLabels }, policyTypes: ["Egress"], egress, ...extra } });

describe("kubernetes-network-policy-no-internet-egress", () => {
  const P = "kubernetes-network-policy-no-internet-egress";

  it("passes in-cluster peers, partial blocks and policies that do not isolate egress", async () => {
    const v = await pack.violationsOf(P, [
      np([{ to: [{ podSelector: { matchLabels: { app: "db" } } }, { namespaceSelector: {} }, block("10.0.0.0/8"), block("0.0.0.0/1")], ports: [{ port: 443 }] }]),
      np([{ to: [block("0.0.0.0/0", ["8.0.0.0/7"])] }], undefined, {}, "np2"),
      np([{ to: [block("203.0.113.10/32")] }], undefined, {}, "np3"),
      np([{}], undefined, { policyTypes: ["Ingress"] }, "ingress-only"),
    ]);
    expect(v).toEqual([]);
  });

  it.each([
    ["0.0.0.0/0", [{ to: [block("0.0.0.0/0")] }], blocksMsg("IPv4")],
    ["::/0", [{ to: [block("::/0")] }], blocksMsg("IPv6")],
    ["both families", [{ to: [block("0.0.0.0/0"), block("::/0")] }], blocksMsg("IPv4 and IPv6")],
    ["two halves in two rules", [{ to: [block("0.0.0.0/1")], ports: [{ port: 443 }] }, { to: [block("128.0.0.0/1")], ports: [{ port: 80 }] }], blocksMsg("IPv4")],
    ["0.0.0.0/0 minus private ranges", [{ to: [block("0.0.0.0/0", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])] }], blocksMsg("IPv4")],
    ["a rule without to", [{}], NO_TO],
    ["a rule with ports but no to", [{ ports: [{ port: 5432, protocol: "TCP" }] }], NO_TO],
    ["a rule with an empty to", [{ to: [], ports: [{ port: 53, protocol: "UDP" }] }], NO_TO],
  ])("fails %s", async (_l, egress, message) => {
    expect(messages(await pack.violationsOf(P, [np(egress)]))).toEqual([message]);
  });

  it("fails an egress rule without policyTypes (egress rules make the policy isolate egress)", async () => {
    const r = res(NP, "np", { metadata: { name: "np", namespace: "mesh" }, spec: { podSelector: {}, egress: [{ ports: [{ port: 443 }] }] } });
    expect(messages(await pack.violationsOf(P, [r]))).toEqual([NO_TO]);
  });

  it("reports an unknown cidr at preview, and still reports the other policies", async () => {
    const v = await pack.violationsOf(P, [np([{ to: [block(UNKNOWN)] }]), np([{}], undefined, {}, "open")]);
    expect(v.map((x) => [x.level, names([x])[0]])).toEqual([
      ["mandatory", "open"],
      ["advisory", ""],
    ]);
  });
});

describe("the mesh egress gateway is recognised by what it runs", () => {
  const P = "kubernetes-network-policy-no-internet-egress";
  const GW = { app: "egress" };
  const tls = (extra: Obj = {}) => ({
    name: "envoy.transport_sockets.tls",
    typed_config: { "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", require_client_certificate: true, ...extra },
  });
  const authz = (extra: Obj = {}) => ({ name: "envoy.filters.http.ext_authz", typed_config: { failure_mode_allow: false, ...extra } });
  /** An HCM tunnelling HTTP CONNECT to the host each request names (or routing to a fixed cluster). */
  const hcm = (filters: Obj[], connect = true) => ({
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      ...(connect ? { upgrade_configs: [{ upgrade_type: "CONNECT" }] } : {}),
      route_config: { virtual_hosts: [{ name: "all", domains: ["*"], routes: [connect ? { match: { connect_matcher: {} }, route: { cluster: "dfp" } } : { match: { prefix: "/" }, route: { cluster: "store" } }] }] },
      http_filters: [...filters, { name: "envoy.filters.http.router" }],
    },
  });
  const egressBootstrap = (chain: Obj = { transport_socket: tls(), filters: [hcm([authz()])] }, extra: Obj[] = []) => ({
    static_resources: {
      listeners: [
        { name: "egress", address: { socket_address: { address: "0.0.0.0", port_value: 8443 } }, filter_chains: [chain] },
        { name: "admin-local", address: { socket_address: { address: "127.0.0.1", port_value: 9901 } }, filter_chains: [{ filters: [hcm([])] }] },
        ...extra,
      ],
      clusters: [{ name: "sts", type: "STRICT_DNS", load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "sts.amazonaws.com", port_value: 443 } } } }] }] } }],
    },
  });
  const envoy = (extra: Obj = {}): Obj => ({ name: "envoy", image: "envoyproxy/envoy:v1.37.5", args: ["-c", "/etc/envoy/envoy.yaml"], volumeMounts: [{ name: "cfg", mountPath: "/etc/envoy" }], ...extra });
  const gateway = (podSpec: Obj = {}, namespace = "mesh", name = "egress-gw"): TestResource =>
    res("kubernetes:apps/v1:Deployment", name, {
      metadata: { name, namespace },
      spec: { replicas: 2, template: { metadata: { labels: GW }, spec: { containers: [envoy()], volumes: [{ name: "cfg", configMap: { name: "egress-envoy" } }], ...podSpec } } },
    });
  const config = (bootstrap: Obj = egressBootstrap()) => res("kubernetes:core/v1:ConfigMap", "egress-envoy", { metadata: { name: "egress-envoy", namespace: "mesh" }, data: { "envoy.yaml": JSON.stringify(bootstrap) } });
  const open = np([{ to: [block("0.0.0.0/0"), block("::/0")], ports: [{ port: 443 }] }], GW);

  it("exempts a policy selecting only the egress gateway: Envoy only, mTLS from mesh workloads, ext_authz failing closed", async () => {
    expect(await pack.violationsOf(P, [open, gateway(), config()])).toEqual([]);
    const inSecret = res("kubernetes:core/v1:Secret", "egress-secret", { metadata: { name: "egress-secret", namespace: "mesh" }, stringData: { "envoy.yaml": JSON.stringify(egressBootstrap()) } });
    expect(await pack.violationsOf(P, [open, gateway({ volumes: [{ name: "cfg", secret: { secretName: "egress-secret" } }] }), inSecret])).toEqual([]);
    const noTo = np([{ ports: [{ port: 443 }] }], GW);
    expect(await pack.violationsOf(P, [noTo, gateway(), config()])).toEqual([]);
  });

  it("recognises the compiler's egress gateway, and (by the same meaning) a data proxy: Envoy only, mTLS, fail-closed ext_authz before forwarding", async () => {
    const model = buildMesh(mesh, domains);
    const zone = model.zones[0].id;
    const asConfig = (yaml: string) => res("kubernetes:core/v1:ConfigMap", "egress-envoy", { metadata: { name: "egress-envoy", namespace: "mesh" }, data: { "envoy.yaml": yaml } });
    expect(await pack.violationsOf(P, [open, gateway(), asConfig(toYaml(compileEgressGateway(model, zone)))])).toEqual([]);
    const product = [...model.dataProducts.values()].find((d) => d.engine === "postgres");
    expect(product).toBeDefined();
    const toStore = np([{ ports: [{ port: product!.port }] }], GW);
    expect(await pack.violationsOf(P, [toStore, gateway(), asConfig(toYaml(compileDataProxy(model, product!.key)))])).toEqual([]);
  });

  it("fails an egress gateway's policy that opens ports its Envoy does not forward to", async () => {
    const more = np([{ to: [block("0.0.0.0/0")], ports: [{ port: 443 }, { port: 80 }] }, { to: [{ podSelector: {} }] }], GW);
    expect(messages(await pack.violationsOf(P, [more, gateway(), config()]))).toEqual([
      "NetworkPolicy opens the internet to the egress gateway on 80/TCP, but its Envoy forwards to only 443/TCP; admit only the ports it forwards to.",
    ]);
    const everyPort = np([{ to: [block("0.0.0.0/0"), block("::/0")] }], GW);
    expect(messages(await pack.violationsOf(P, [everyPort, gateway(), config()]))).toEqual([
      "NetworkPolicy opens the internet to the egress gateway on every port, but its Envoy forwards to only 443/TCP; admit only the ports it forwards to.",
    ]);
    const udp = np([{ ports: [{ port: 443, protocol: "UDP" }] }], GW);
    expect(messages(await pack.violationsOf(P, [udp, gateway(), config()]))).toEqual([
      "NetworkPolicy opens the internet to the egress gateway on 443/UDP, but its Envoy forwards to only 443/TCP; admit only the ports it forwards to.",
    ]);
  });

  it.each([
    ["ext_authz fails open", [gateway(), config(egressBootstrap({ transport_socket: tls(), filters: [hcm([authz({ failure_mode_allow: true })])] }))]],
    ["no ext_authz", [gateway(), config(egressBootstrap({ transport_socket: tls(), filters: [hcm([])] }))]],
    ["client certificates not required", [gateway(), config(egressBootstrap({ transport_socket: tls({ require_client_certificate: false }), filters: [hcm([authz()])] }))]],
    [
      "a second listener without mTLS",
      [gateway(), config(egressBootstrap(undefined, [{ name: "plain", address: { socket_address: { address: "0.0.0.0" } }, filter_chains: [{ filters: [hcm([authz()])] }] }]))],
    ],
    [
      "a TLS passthrough chain",
      [
        gateway(),
        config(
          egressBootstrap(undefined, [
            { name: "sni", listener_filters: [{ name: "envoy.filters.listener.tls_inspector" }], filter_chains: [{ filter_chain_match: { server_names: ["x"] }, filters: [{ name: "envoy.filters.network.tcp_proxy" }] }] },
          ]),
        ),
      ],
    ],
    ["an app container next to Envoy", [gateway({ containers: [envoy(), { name: "app", image: "acme/app:1" }] }), config()]],
    ["a non-Envoy init container", [gateway({ initContainers: [{ name: "init", image: "busybox" }] }), config()]],
    ["a bootstrap overridden by --config-yaml", [gateway({ containers: [envoy({ args: ["-c", "/etc/envoy/envoy.yaml", "--config-yaml", "{}"] })] }), config()]],
    ["a bootstrap that is not in the stack", [gateway()]],
    ["only loopback listeners", [gateway(), config({ static_resources: { listeners: [{ name: "l", address: { socket_address: { address: "127.0.0.1" } }, filter_chains: [{ filters: [hcm([])] }] }] } })]],
    ["another workload selected too", [gateway(), config(), gateway({ containers: [{ name: "app", image: "acme/app:1" }] }, "mesh", "app")]],
    ["no workload of the stack selected", [gateway(undefined, "other"), config()]],
  ])("does not exempt a gateway with %s", async (_l, resources) => {
    expect(messages(await pack.violationsOf(P, [open, ...(resources as TestResource[])]))).toEqual([blocksMsg("IPv4 and IPv6")]);
  });

  it("ignores labels: the ztmesh gateway label neither makes nor unmakes the gateway", async () => {
    const labelled = np([{ to: [block("0.0.0.0/0")] }], { "app.kubernetes.io/name": "ztmesh-gateway", "ztmesh.io/role": "egress-gateway" });
    expect(messages(await pack.violationsOf(P, [labelled]))).toEqual([blocksMsg("IPv4")]);
  });
});

describe("cloud-firewall-no-internet-egress", () => {
  const P = "cloud-firewall-no-internet-egress";
  const msg = (what: string, fam = "IPv4") => `${what} admits egress to the whole ${fam} internet; only resources marked as the mesh egress gateway may.`;
  const sg = (egress: unknown[], tags?: Record<string, string>) => res("aws:ec2/securityGroup:SecurityGroup", "sg", { vpcId: "v", egress, tags });
  const azRule = (inputs: Obj) =>
    res("azure-native:network:SecurityRule", "rule", { direction: "Outbound", access: "Allow", protocol: "Tcp", priority: 100, destinationPortRange: "443", ...inputs });
  const fw = (inputs: Obj) => res("gcp:compute/firewall:Firewall", "fw", { network: "n", direction: "EGRESS", allows: [{ protocol: "tcp", ports: ["443"] }], ...inputs });

  it("passes private destinations and ingress rules", async () => {
    const v = await pack.violationsOf(P, [
      sg([{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/8"] }]),
      res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "out", { securityGroupId: "sg", cidrIpv4: "10.1.0.0/16", ipProtocol: "tcp" }),
      res("aws:ec2/securityGroupRule:SecurityGroupRule", "in", { type: "ingress", cidrBlocks: ["0.0.0.0/0"] }),
      azRule({ destinationAddressPrefix: "VirtualNetwork" }),
      azRule({ destinationAddressPrefix: "*", direction: "Inbound" }),
      azRule({ destinationAddressPrefix: "Internet", access: "Deny" }),
      fw({ destinationRanges: ["10.0.0.0/8"] }),
      fw({ direction: "INGRESS", sourceRanges: ["10.0.0.0/8"] }),
      fw({ destinationRanges: ["0.0.0.0/0"], allows: [], denies: [{ protocol: "all" }] }),
    ]);
    expect(v).toEqual([]);
  });

  it.each([
    ["an inline SG egress rule", sg([{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }]), msg("AWS security group")],
    ["inline SG egress rules covering the internet together", sg([{ cidrBlocks: ["0.0.0.0/1"] }, { cidrBlocks: ["128.0.0.0/1"] }]), msg("AWS security group")],
    ["an SG rule of type egress", res("aws:ec2/securityGroupRule:SecurityGroupRule", "r", { type: "egress", securityGroupId: "sg", ipv6CidrBlocks: ["::/0"] }), msg("AWS security group", "IPv6")],
    ["an SG egress rule", res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "r", { securityGroupId: "sg", cidrIpv4: "0.0.0.0/0" }), msg("AWS security group")],
    ["an Azure rule to Internet", azRule({ destinationAddressPrefix: "Internet" }), msg("Azure network security rule", "IPv4 and IPv6")],
    ["an Azure rule to 0.0.0.0/0 in a list", azRule({ destinationAddressPrefixes: ["10.0.0.0/8", "0.0.0.0/0"] }), msg("Azure network security rule")],
    [
      "an NSG's inline outbound rule",
      res("azure-native:network:NetworkSecurityGroup", "nsg", { resourceGroupName: "rg", securityRules: [{ name: "out", direction: "Outbound", access: "Allow", destinationAddressPrefix: "*" }] }),
      msg("Azure network security rule", "IPv4 and IPv6"),
    ],
    ["a GCP egress firewall to 0.0.0.0/0", fw({ destinationRanges: ["0.0.0.0/0"] }), msg("GCP firewall rule")],
    ["a GCP egress firewall with no destination (defaults to 0.0.0.0/0)", fw({}), msg("GCP firewall rule")],
  ])("fails %s", async (_l, r, message) => {
    expect(messages(await pack.violationsOf(P, [r]))).toEqual([message]);
  });

  it("exempts the egress gateway's rules by marker, description, NSG tag and GCP target tag, with markers from config", async () => {
    const v = await pack.violationsOf(P, [
      sg([{ cidrBlocks: ["0.0.0.0/0"] }], { "ztmesh.io/role": "egress-gateway" }),
      res("aws:ec2/securityGroupRule:SecurityGroupRule", "r", { type: "egress", cidrBlocks: ["0.0.0.0/0"], description: "egress ztmesh.io/role=egress-gateway" }),
      res("azure-native:network:NetworkSecurityGroup", "nsg", { tags: { "ztmesh-role": "egress-gateway" }, securityRules: [{ direction: "Outbound", access: "Allow", destinationAddressPrefix: "*" }] }),
      fw({ destinationRanges: ["0.0.0.0/0"], targetTags: ["ztmesh-egress-gateway"] }),
    ]);
    expect(v).toEqual([]);
    expect(await pack.violationsOf(P, [sg([{ cidrBlocks: ["0.0.0.0/0"] }], { "ztmesh.io/role": "gateway" })])).toHaveLength(1);
    const config = { [P]: { egressGatewayMarkers: { egress: "true" }, egressGatewayNetworkTags: ["egress"] } };
    const w = await pack.violationsOf(P, [sg([{ cidrBlocks: ["0.0.0.0/0"] }], { egress: "true" }), fw({ targetTags: ["egress"] }), fw({ targetTags: ["ztmesh-egress-gateway"] })], { config });
    expect(names(w)).toEqual(["fw"]);
  });

  it("reports unknown destinations at preview", async () => {
    expect((await pack.violationsOf(P, [fw({ destinationRanges: UNKNOWN })])).map((x) => x.level)).toEqual(["advisory"]);
  });
});
