/**
 * The policy tests call the pack's analyzer service in-process (test/helpers/policy-inprocess.ts);
 * this file runs the pack through the real policy-pack host and the analyzer gRPC protocol, and
 * checks that both paths give the same results: a representative violating resource for every
 * policy of the pack, with preview unknowns and secrets, under several policy configs (levels,
 * config values, `all`), a remediation, and a config the pack refuses. Only the transport
 * differs between the two paths, so any difference here is a harness bug.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PolicyConfigFile } from "../../cli/lib/analyzer";
import { compileDataProxy, toYaml } from "../../components/compile/envoy";
import { buildMesh } from "../../components/model";
import { domains, mesh } from "../fixtures/mesh";
import { PackSession as HostSession, res, secret, UNKNOWN, type TestResource } from "../helpers/policy-harness";
import { PackSession as InProcess } from "../helpers/policy-inprocess";

const model = buildMesh(mesh, domains);
const doc = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
const ISSUER = "oidc.ztmesh.example/zone-a";
const POOL = "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/mesh";
const ENGINE = { "app.kubernetes.io/name": "ztmesh-policy-engine" };
const envoy = (name: string, filter: Record<string, unknown>, socket: Record<string, unknown>) =>
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
                  transport_socket: { name: "envoy.transport_sockets.tls", typed_config: { "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", ...socket } },
                  filters: [
                    {
                      name: "envoy.filters.network.http_connection_manager",
                      typed_config: {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                        http_filters: [filter, { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } }],
                      },
                    },
                  ],
                },
              ],
            },
          ],
        },
      }),
    },
  });
const extAuthz = (failOpen: boolean) => ({
  name: "envoy.filters.http.ext_authz",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz", failure_mode_allow: failOpen },
});
const TLS12 = { common_tls_context: { tls_params: { tls_minimum_protocol_version: "TLSv1_2" } } };

/** At least one violating resource for every policy of the pack (the last test checks that). */
const REPRESENTATIVE: TestResource[] = [
  res("aws:iam/role:Role", "oidc-role", {
    assumeRolePolicy: doc({ Effect: "Allow", Principal: { Federated: `arn:aws:iam::1:oidc-provider/${ISSUER}` }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { [`${ISSUER}:aud`]: "sts.amazonaws.com" } } }),
  }),
  res("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "wip", { workloadIdentityPoolId: "mesh", oidc: { issuerUri: `https://${ISSUER}` } }),
  res("azure-native:managedidentity:FederatedIdentityCredential", "fic", { issuer: "http://evil.example", subject: "spiffe://mesh.example/*", audiences: ["api://other"] }),
  res("gcp:serviceaccount/iAMMember:IAMMember", "pool-wide", { serviceAccountId: "sa", role: "roles/iam.workloadIdentityUser", member: `${POOL}/*` }),
  res("aws:iam/accessKey:AccessKey", "key", { user: "u" }),
  res("aws:iam/policy:Policy", "star", { policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) }),
  res("aws:iam/policy:Policy", "unknown-doc", { policy: UNKNOWN }),
  res("gcp:projects/iAMMember:IAMMember", "owner", { project: "p", role: "roles/owner", member: "serviceAccount:a@p.iam.gserviceaccount.com" }),
  res("azure-native:authorization:RoleAssignment", "az-owner", {
    principalId: "p",
    scope: "/subscriptions/0000",
    roleDefinitionId: "/subscriptions/0000/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  }),
  res("kubernetes:core/v1:Namespace", "ns", { metadata: { name: "shop" } }),
  res("kubernetes:networking.k8s.io/v1:NetworkPolicy", "open-np", {
    metadata: { name: "np", namespace: "shop" },
    spec: { podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] },
  }),
  res("aws:ec2/securityGroup:SecurityGroup", "sg", { vpcId: "v", ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] }),
  res("kubernetes:networking.k8s.io/v1:NetworkPolicy", "egress-np", {
    metadata: { name: "egress-np", namespace: "shop" },
    spec: { podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Egress"], egress: [{ ports: [{ port: 443 }] }] },
  }),
  res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "sg-out", { securityGroupId: "sg", cidrIpv4: "0.0.0.0/0", ipProtocol: "-1" }),
  res("kubernetes:core/v1:Service", "lb", { metadata: { name: "lb" }, spec: { type: "LoadBalancer", selector: { app: "api" }, ports: [{ port: 443 }] } }),
  envoy("no-mtls", extAuthz(false), { require_client_certificate: false, ...TLS12 }),
  envoy("fail-open", extAuthz(true), { require_client_certificate: true, common_tls_context: { tls_params: { tls_minimum_protocol_version: "TLSv1_0" } } }),
  res("kubernetes:apps/v1:Deployment", "engine", {
    metadata: { name: "engine", namespace: "ztmesh-system", labels: ENGINE },
    spec: { replicas: 1, selector: { matchLabels: ENGINE }, template: { metadata: { labels: ENGINE }, spec: { containers: [{ name: "opa", image: "openpolicyagent/opa:1.4.2-envoy" }] } } },
  }),
  res("kubernetes:core/v1:ConfigMap", "opa-config", {
    metadata: { name: "opa-config", labels: { "ztmesh.io/role": "opa-config" } },
    data: { "config.yaml": JSON.stringify({ plugins: { envoy_ext_authz_grpc: { addr: ":9191", path: "envoy/authz/allow", "dry-run": true } } }) },
  }),
  res("aws:s3/bucketAclV2:BucketAclV2", "acl", { bucket: "b", acl: "public-read" }),
  res("aws:s3/bucket:Bucket", "audit", { tags: { "ztmesh.io/role": "audit-log-store" }, objectLockEnabled: false }),
  res("kubernetes:core/v1:ConfigMap", "dp", {
    metadata: { name: "dp", labels: { "ztmesh.io/role": "data-product" } },
    data: { "product.json": JSON.stringify({ name: "positions", domain: "trading", owner: " ", sensitivity: "secret", residency: "eu", zone: "aws-eu", region: "eu-central-1", consumers: [] }) },
  }),
  // The compiled data proxy's RBAC admits the product's consumers; the intents declare none of them.
  res("kubernetes:core/v1:ConfigMap", "intents", {
    metadata: { name: "ztmesh-intents", namespace: "trading", labels: { "ztmesh.io/role": "intents" } },
    data: { "intents.json": JSON.stringify({ version: 1, domain: "trading", trustDomain: model.trustDomain, intents: [] }) },
  }),
  res("kubernetes:core/v1:ConfigMap", "trades-proxy", {
    metadata: { name: "trades-proxy", namespace: "ztmesh-system", labels: { "ztmesh.io/role": "envoy" } },
    data: { "envoy.yaml": toYaml(compileDataProxy(model, "trading/trades")) },
  }),
  res("aws:iam/policy:Policy", "secret-doc", { policy: secret(doc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b" })) }),
  // Managed data services: a public database (no TLS-enforcing parameter group), a Redis with its non-TLS port, a Cloud SQL with a public IP.
  res("aws:rds/instance:Instance", "public-db", { engine: "postgres", engineVersion: "14.10", instanceClass: "db.t4g.micro", publiclyAccessible: true, storageEncrypted: true }),
  res("azure-native:redis:Redis", "redis", { resourceGroupName: "rg", sku: { name: "Standard", family: "C", capacity: 1 }, enableNonSslPort: true }),
  res("gcp:sql/databaseInstance:DatabaseInstance", "cloudsql", { databaseVersion: "POSTGRES_15", settings: { tier: "db-f1-micro", ipConfiguration: { ipv4Enabled: true } } }),
];

const CONFIGS: [string, PolicyConfigFile][] = [
  ["the pack's own levels", {}],
  ["levels per policy and config values", { "aws-iam-no-wildcards": "advisory", "gcp-no-basic-roles": { enforcementLevel: "mandatory", forbiddenRoles: ["roles/viewer"] }, "no-long-lived-credentials": "disabled" }],
  ["`all` with an override", { all: "advisory", "storage-no-public-access": "mandatory" }],
];

let host: HostSession;
let inProcess: HostSession;
beforeAll(async () => {
  [host, inProcess] = await Promise.all([HostSession.start(), InProcess.start()]);
});
afterAll(() => {
  host?.stop();
  inProcess?.stop();
});

describe("the in-process harness gives the host's results", () => {
  it("lists the same policies", () => {
    expect(inProcess.policies).toEqual(host.policies);
  });

  it.each(CONFIGS)("%s, at preview and at update", async (_label, config) => {
    for (const dryRun of [true, false]) {
      const viaHost = await host.run(REPRESENTATIVE, { config, dryRun });
      expect(viaHost.length).toBeGreaterThan(REPRESENTATIVE.length);
      expect(await inProcess.run(REPRESENTATIVE, { config, dryRun })).toEqual(viaHost);
    }
  });

  it("refuses the same bad config with the same error", async () => {
    const bad: PolicyConfigFile = { "aws-iam-no-wildcards": { colour: "blue" } };
    const viaHost = await host.run(REPRESENTATIVE, { config: bad }).catch((e: Error) => e.message);
    expect(viaHost).toMatch(/unknown config key "colour"/);
    expect(await inProcess.run(REPRESENTATIVE, { config: bad }).catch((e: Error) => e.message)).toBe(viaHost);
  });

  it("has a representative violation for every policy of the pack", async () => {
    const fired = new Set((await host.run(REPRESENTATIVE, { config: { all: "mandatory" } })).map((v) => v.policy));
    const missing = host.policies.map((p) => p.name).filter((p) => !fired.has(p));
    expect(missing, "add a violating resource for these policies to REPRESENTATIVE").toEqual([]);
  });
});

describe("a remediating pack through both paths", () => {
  // The zero-trust pack remediates nothing; this test pack's label-owner adds the label that
  // require-owner checks, so a resource passes only if Analyze sees the remediated inputs.
  const PACK = path.resolve(__dirname, "..", "fixtures", "packs", "remediating");

  it("remediates, then analyzes the remediated inputs, alike", async () => {
    const [viaHost, local] = await Promise.all([HostSession.start(PACK), InProcess.start(PACK)]);
    try {
      const resources = [res("kubernetes:core/v1:ConfigMap", "cm", { metadata: { name: "cm" } }), res("kubernetes:core/v1:ConfigMap", "legacy-cm", { metadata: { labels: { owner: "a" } } })];
      const configs: PolicyConfigFile[] = [{}, { "label-owner": "advisory" }];
      for (const config of configs) {
        const expected = await viaHost.run(resources, { config });
        expect(expected.map((v) => v.policy)).toContain("reject-legacy");
        expect(await local.run(resources, { config })).toEqual(expected);
      }
      // Remediated: only the legacy name is refused; not remediated: the missing label is too.
      expect((await local.run(resources)).map((v) => v.policy).sort()).not.toContain("require-owner");
      expect((await local.run(resources, { config: { "label-owner": "advisory" } })).map((v) => v.policy)).toContain("require-owner");
    } finally {
      viaHost.stop();
      local.stop();
    }
  });
});
