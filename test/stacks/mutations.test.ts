/**
 * The example platform stack passes the pack; mutating any one security-critical input of it
 * makes the pack fail with the policy that guards that input. The mutations are applied to
 * the preview's own `stack.json` (inputs and outputs alike) and judged by `audit`'s own code
 * with the pack in-process (test/helpers/audit-inprocess.ts; the command itself is
 * test/cli/audit.test.ts's).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { auditInProcess } from "../helpers/audit-inprocess";

type Resource = { urn: string; type: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> };
type Mutation = (resources: Resource[]) => Resource[];

const CONFIG = "Pulumi.dev.policy.json";
let dir: string;
let exported: { deployment: { resources: Resource[] } };

/** Applies `edit` to the inputs and outputs of the first resource matching `pick`. */
function mutateFirst(pick: (r: Resource) => boolean, edit: (props: Record<string, unknown>) => void): Mutation {
  return (resources) => {
    const r = resources.find(pick);
    if (!r) throw new Error("mutation target not found in the example stack");
    edit(r.inputs);
    edit(r.outputs);
    return resources;
  };
}

function labels(props: Record<string, unknown>): Record<string, string> {
  return ((props.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {}) as Record<string, string>;
}

const isConfigMapWithRole = (role: string) => (r: Resource) => r.type === "kubernetes:core/v1:ConfigMap" && labels(r.inputs)["ztmesh.io/role"] === role;

function editData(props: Record<string, unknown>, from: RegExp, to: string): void {
  const data = props.data as Record<string, string>;
  for (const k of Object.keys(data)) data[k] = data[k].replace(from, to);
}

const MUTATIONS: [string, string, Mutation][] = [
  [
    "ext_authz fails open at an enforcement point",
    "envoy-ext-authz-fail-closed",
    mutateFirst(
      (r) => isConfigMapWithRole("envoy")(r) && Object.values((r.inputs.data ?? {}) as Record<string, string>).some((t) => t.includes("failure_mode_allow: false")),
      (p) => editData(p, /failure_mode_allow: false/g, "failure_mode_allow: true"),
    ),
  ],
  [
    "a policy engine runs one replica",
    "policy-engine-deployment",
    mutateFirst(
      (r) => r.type === "kubernetes:apps/v1:Deployment" && labels(r.inputs)["app.kubernetes.io/name"] === "ztmesh-policy-engine",
      (p) => {
        (p.spec as Record<string, unknown>).replicas = 1;
      },
    ),
  ],
  [
    "OPA runs in dry-run mode",
    "opa-config-secure",
    mutateFirst(isConfigMapWithRole("opa-config"), (p) => editData(p, /envoy_ext_authz_grpc:\n/, "envoy_ext_authz_grpc:\n    dry-run: true\n")),
  ],
  [
    "the audit log bucket's object lock is GOVERNANCE",
    "audit-log-store-immutable",
    mutateFirst(
      (r) => r.type === "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
      (p) => {
        ((p.rule as Record<string, unknown>).defaultRetention as Record<string, unknown>).mode = "GOVERNANCE";
      },
    ),
  ],
  [
    "a federated AWS role trusts any subject of the issuer",
    "aws-oidc-trust-pinned",
    mutateFirst(
      (r) => r.type === "aws:iam/role:Role" && typeof r.inputs.assumeRolePolicy === "string" && r.inputs.assumeRolePolicy.includes("AssumeRoleWithWebIdentity"),
      (p) => {
        p.assumeRolePolicy = String(p.assumeRolePolicy).replace(/"StringEquals"/, '"StringLike"').replace(/(:sub":\s*")spiffe:\/\/[^"]+"/, '$1spiffe://mesh.acme.example/*"');
      },
    ),
  ],
  [
    "the GCP pool provider has no attribute condition",
    "gcp-workload-identity-provider-restricted",
    mutateFirst(
      (r) => r.type === "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
      (p) => {
        delete p.attributeCondition;
      },
    ),
  ],
  [
    "an Azure storage account allows shared keys",
    "no-long-lived-credentials",
    mutateFirst(
      (r) => r.type === "azure-native:storage:StorageAccount",
      (p) => {
        p.allowSharedKeyAccess = true;
      },
    ),
  ],
  [
    "the audit log key vault admits every network",
    "azure-data-services-private-tls",
    mutateFirst(
      (r) => r.type === "azure-native:keyvault:Vault",
      (p) => {
        delete (p.properties as Record<string, unknown>).networkAcls;
      },
    ),
  ],
  [
    "the GCS audit log bucket loses its customer-managed key (exempt object stores still judged by the audit-log policy)",
    "audit-log-store-immutable",
    mutateFirst(
      (r) => r.type === "gcp:storage/bucket:Bucket" && JSON.stringify(r.inputs.labels ?? {}).includes("audit-log-store"),
      (p) => {
        delete p.encryption;
      },
    ),
  ],
  [
    "a public access block lets public ACLs in",
    "storage-no-public-access",
    mutateFirst(
      (r) => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      (p) => {
        p.blockPublicAcls = false;
      },
    ),
  ],
  [
    "a namespace loses its default-deny NetworkPolicy",
    "kubernetes-namespace-default-deny",
    (resources) => {
      const i = resources.findIndex(
        (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && (r.inputs.metadata as { name?: string }).name === "default-deny",
      );
      if (i < 0) throw new Error("no default-deny policy in the example stack");
      return resources.filter((_, j) => j !== i);
    },
  ],
  [
    "an internal Service becomes a LoadBalancer",
    "kubernetes-load-balancer-gateway-only",
    mutateFirst(
      (r) => r.type === "kubernetes:core/v1:Service" && labels(r.inputs)["app.kubernetes.io/name"] === "ztmesh-log-collector",
      (p) => {
        (p.spec as Record<string, unknown>).type = "LoadBalancer";
      },
    ),
  ],
];

async function audit(resources: Resource[], name: string): Promise<{ code: number; policies: string[] }> {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...exported, deployment: { ...exported.deployment, resources } }));
  const report = await auditInProcess(file, CONFIG);
  return { code: report.exitCode, policies: report.violations.filter((v) => v.level === "mandatory").map((v) => v.policy) };
}

describe("the example platform stack under mutation", () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-mutations-"));
    const r = runCli("preview", ["--stack", "dev", "--policy-config", CONFIG, "--out", path.join(dir, "out")]);
    expect(r.code).toBe(0);
    exported = JSON.parse(fs.readFileSync(path.join(dir, "out", "stack.json"), "utf8"));
  });

  it("passes unmutated", async () => {
    expect(await audit(structuredClone(exported.deployment.resources), "baseline")).toEqual({ code: 0, policies: [] });
  });

  it.each(MUTATIONS)("fails when %s (%s)", async (_label, policy, mutate) => {
    const result = await audit(mutate(structuredClone(exported.deployment.resources)), policy);
    expect(result.code).toBe(1);
    expect(result.policies).toContain(policy);
  });
});

describe("the example trading domain stack under mutation", () => {
  let trading: { deployment: { resources: Resource[] } };
  let tradingDir: string;

  beforeAll(() => {
    tradingDir = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-mutations-trading-"));
    const notDeployed = path.join(tradingDir, "not-deployed.json");
    fs.writeFileSync(notDeployed, "{}");
    const platform = runCli("preview", ["--stack", "dev", "--policy-config", CONFIG, "--out", path.join(tradingDir, "platform")]);
    expect(platform.code).toBe(0);
    const r = runCli("preview", [
      "--project",
      "stacks/domain",
      "--stack",
      "trading-dev",
      "--out",
      path.join(tradingDir, "trading"),
      "--stack-reference",
      `organization/ztmesh-platform/dev=${path.join(tradingDir, "platform", "stack.json")}`,
      // Its peers, not deployed yet (stacks with no outputs): trading alone.
      ...["risk-dev", "compliance-dev"].flatMap((s) => ["--stack-reference", `organization/ztmesh-domain/${s}=${notDeployed}`]),
    ]);
    expect(r.code).toBe(0);
    trading = JSON.parse(fs.readFileSync(path.join(tradingDir, "trading", "stack.json"), "utf8"));
  });

  async function auditTrading(resources: Resource[], name: string): Promise<{ code: number; messages: string[] }> {
    const file = path.join(tradingDir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify({ ...trading, deployment: { ...trading.deployment, resources } }));
    const report = await auditInProcess(file);
    return { code: report.exitCode, messages: report.violations.filter((v) => v.policy === "mesh-conformance").map((v) => v.message) };
  }

  it("passes unmutated", async () => {
    expect(await auditTrading(structuredClone(trading.deployment.resources), "baseline")).toEqual({ code: 0, messages: [] });
  });

  it("fails conformance when a NetworkPolicy admits a workload no intent declares", async () => {
    const resources = mutateFirst(
      (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && (r.inputs.metadata as { name?: string }).name === "allow-ingress-trading-matching-engine",
      (p) => {
        const rule = ((p.spec as { ingress: { from: unknown[] }[] }).ingress)[0];
        rule.from.push({
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "trading" } },
          podSelector: { matchLabels: { "ztmesh.io/domain": "trading", "ztmesh.io/workload": "trade-query" } },
        });
      },
    )(structuredClone(trading.deployment.resources));
    const result = await auditTrading(resources, "np-extra-peer");
    expect(result.code).toBe(1);
    expect(result.messages.join("\n")).toContain(
      "NetworkPolicy (ingress, zone aws-eu) allows trading/trade-query -> trading/matching-engine, but no declared intent allows it.",
    );
  });
});
