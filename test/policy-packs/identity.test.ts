import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackSession, UNKNOWN, res } from "../helpers/policy-inprocess";
import { messages, names } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

const ISSUER = "oidc.ztmesh.example/zone-a";
const PROVIDER = `arn:aws:iam::123456789012:oidc-provider/${ISSUER}`;
const trust = (condition: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Federated: PROVIDER }, Action: "sts:AssumeRoleWithWebIdentity", Condition: condition, ...extra }],
  });
const EXACT = { StringEquals: { [`${ISSUER}:sub`]: "spiffe://mesh.example/ns/a/sa/b", [`${ISSUER}:aud`]: "sts.amazonaws.com" } };

describe("aws-oidc-trust-pinned", () => {
  const P = "aws-oidc-trust-pinned";
  const role = (policy: unknown) => res("aws:iam/role:Role", "r", { assumeRolePolicy: policy });

  it("passes a trust pinning sub and aud exactly (JSON string or object)", async () => {
    expect(await pack.violationsOf(P, [role(trust(EXACT))])).toEqual([]);
    expect(await pack.violationsOf(P, [role(JSON.parse(trust(EXACT)))])).toEqual([]);
  });

  it("ignores trusts that are not OIDC web identity", async () => {
    const svc = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    expect(await pack.violationsOf(P, [role(svc)])).toEqual([]);
  });

  it.each([
    ["no sub", { StringEquals: { [`${ISSUER}:aud`]: "sts.amazonaws.com" } }, `does not pin "${ISSUER}:sub" with StringEquals; every subject`],
    ["no aud", { StringEquals: { [`${ISSUER}:sub`]: "spiffe://mesh.example/ns/a/sa/b" } }, `does not pin "${ISSUER}:aud" with StringEquals; every audience`],
    [
      "a StringLike wildcard sub",
      { StringLike: { [`${ISSUER}:sub`]: "spiffe://mesh.example/*" }, StringEquals: { [`${ISSUER}:aud`]: "sts.amazonaws.com" } },
      `matches "${ISSUER}:sub" with a wildcard (StringLike "spiffe://mesh.example/*")`,
    ],
    [
      "a ? in an exact sub",
      { StringEquals: { [`${ISSUER}:sub`]: "spiffe://mesh.example/ns/a/sa/?", [`${ISSUER}:aud`]: "sts.amazonaws.com" } },
      `matches "${ISSUER}:sub" with a wildcard (StringEquals "spiffe://mesh.example/ns/a/sa/?")`,
    ],
  ])("fails %s", async (_l, condition, message) => {
    const v = await pack.violationsOf(P, [role(trust(condition))]);
    expect(v).toHaveLength(1);
    expect(v[0].message).toContain(`trust statement [0] for OIDC provider "${ISSUER}" ${message}`);
    expect(v[0].level).toBe("mandatory");
  });

  it("fails a trust without any condition twice (sub and aud)", async () => {
    const v = await pack.violationsOf(P, [role(trust({}, { Sid: "Fed" }))]);
    expect(messages(v).map((m) => m.split(" with")[0])).toEqual([
      `trust statement Fed for OIDC provider "${ISSUER}" does not pin "${ISSUER}:sub"`,
      `trust statement Fed for OIDC provider "${ISSUER}" does not pin "${ISSUER}:aud"`,
    ]);
  });

  it("reports an unknown trust policy at preview", async () => {
    const v = await pack.violationsOf(P, [role(UNKNOWN)]);
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
    expect(v[0].message).toMatch(/can't run policy .* during preview/);
  });
});

describe("gcp-workload-identity-provider-restricted", () => {
  const P = "gcp-workload-identity-provider-restricted";
  const provider = (inputs: Record<string, unknown>) =>
    res("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "p", {
      workloadIdentityPoolId: "mesh",
      workloadIdentityPoolProviderId: "spire",
      attributeCondition: "assertion.sub.startsWith('spiffe://mesh.example/')",
      oidc: { issuerUri: "https://oidc.ztmesh.example", allowedAudiences: ["gcp"] },
      ...inputs,
    });

  it("passes a provider with a condition and audiences", async () => {
    expect(await pack.violationsOf(P, [provider({})])).toEqual([]);
  });

  it.each([
    ["no attributeCondition", { attributeCondition: undefined }, "has no attributeCondition"],
    ["a trivially true condition", { attributeCondition: " true " }, 'has attributeCondition "true"'],
    ["no allowedAudiences", { oidc: { issuerUri: "https://oidc.ztmesh.example" } }, "has no explicit oidc.allowedAudiences"],
  ])("fails %s", async (_l, inputs, message) => {
    const v = await pack.violationsOf(P, [provider(inputs)]);
    expect(v).toHaveLength(1);
    expect(v[0].message).toContain(message);
  });

  it("reports an unknown condition at preview", async () => {
    const v = await pack.violationsOf(P, [provider({ attributeCondition: UNKNOWN })]);
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("azure-federated-credential-exact", () => {
  const P = "azure-federated-credential-exact";
  const cred = (inputs: Record<string, unknown>) =>
    res("azure-native:managedidentity:FederatedIdentityCredential", "c", {
      resourceName: "id",
      resourceGroupName: "rg",
      issuer: "https://oidc.ztmesh.example",
      subject: "spiffe://mesh.example/ns/a/sa/b",
      audiences: ["api://AzureADTokenExchange"],
      ...inputs,
    });

  it("passes an exact credential", async () => {
    expect(await pack.violationsOf(P, [cred({})])).toEqual([]);
  });

  it.each([
    ["a wildcard subject", { subject: "spiffe://mesh.example/ns/a/*" }, 'subject "spiffe://mesh.example/ns/a/*" has a wildcard'],
    ["no subject", { subject: "" }, "has no subject"],
    ["a claims matching expression", { claimsMatchingExpression: { value: "claims['sub'] matches 'x*'", languageVersion: 1 } }, "uses claimsMatchingExpression"],
    ["another audience", { audiences: ["api://AzureADTokenExchange", "other"] }, 'audiences are ["api://AzureADTokenExchange","other"]'],
    ["an http issuer", { issuer: "http://oidc.ztmesh.example" }, 'issuer "http://oidc.ztmesh.example" is not an https URL'],
  ])("fails %s", async (_l, inputs, message) => {
    const v = await pack.violationsOf(P, [cred(inputs)]);
    expect(v).toHaveLength(1);
    expect(v[0].message).toContain(message);
  });

  it("takes allowedIssuers from config (and still fails http)", async () => {
    const config = { [P]: { allowedIssuers: ["https://oidc.ztmesh.example"] } };
    expect(await pack.violationsOf(P, [cred({})], { config })).toEqual([]);
    const v = await pack.violationsOf(P, [cred({ issuer: "https://evil.example" })], { config });
    expect(messages(v)).toEqual(['Federated credential issuer "https://evil.example" is not in allowedIssuers ["https://oidc.ztmesh.example"].']);
  });

  it("reports an unknown subject at preview", async () => {
    expect((await pack.violationsOf(P, [cred({ subject: UNKNOWN })])).map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("gcp-workload-identity-user-not-pool-wide", () => {
  const P = "gcp-workload-identity-user-not-pool-wide";
  const POOL = "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/mesh";
  const SUBJECT = "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/mesh/subject/spiffe://mesh.example/ns/a/sa/b";
  const role = "roles/iam.workloadIdentityUser";

  it("passes a grant to one subject", async () => {
    expect(await pack.violationsOf(P, [res("gcp:serviceaccount/iAMMember:IAMMember", "m", { serviceAccountId: "sa", role, member: SUBJECT })])).toEqual([]);
  });

  it("fails whole-pool grants on members, bindings and policies (policyData as JSON)", async () => {
    const v = await pack.violationsOf(P, [
      res("gcp:serviceaccount/iAMMember:IAMMember", "m", { serviceAccountId: "sa", role, member: `${POOL}/*` }),
      res("gcp:serviceaccount/iAMBinding:IAMBinding", "b", { serviceAccountId: "sa", role, members: [SUBJECT, `${POOL}/*`] }),
      res("gcp:serviceaccount/iAMPolicy:IAMPolicy", "p", { serviceAccountId: "sa", policyData: JSON.stringify({ bindings: [{ role, members: [`${POOL}/*`] }] }) }),
    ]);
    expect(names(v)).toEqual(["m", "b", "p"]);
    expect(messages(v)[0]).toBe(`${role} is granted to the whole pool "${POOL}/*"; grant it to principal://.../subject/<spiffe-id>.`);
  });

  it("reports an unknown member at preview", async () => {
    const v = await pack.violationsOf(P, [res("gcp:serviceaccount/iAMMember:IAMMember", "m", { serviceAccountId: "sa", role, member: UNKNOWN })]);
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("no-long-lived-credentials", () => {
  const P = "no-long-lived-credentials";
  const account = (inputs: Record<string, unknown>) => res("azure-native:storage:StorageAccount", "sa", { resourceGroupName: "rg", kind: "StorageV2", ...inputs });

  it("passes a storage account without shared keys", async () => {
    expect(await pack.violationsOf(P, [account({ allowSharedKeyAccess: false })])).toEqual([]);
  });

  it.each([
    ["an AWS access key", res("aws:iam/accessKey:AccessKey", "k", { user: "u" }), "AWS IAM access key is a long-lived credential"],
    ["a GCP service account key", res("gcp:serviceaccount/key:Key", "k", { serviceAccountId: "sa" }), "GCP service account key is a long-lived credential"],
    ["shared keys left at their default", account({}), "allows shared key access"],
    ["shared keys on", account({ allowSharedKeyAccess: true }), "allows shared key access"],
  ])("fails %s", async (_l, r, message) => {
    const v = await pack.violationsOf(P, [r]);
    expect(v).toHaveLength(1);
    expect(v[0].message).toContain(message);
  });

  it("reports an unknown allowSharedKeyAccess at preview", async () => {
    expect((await pack.violationsOf(P, [account({ allowSharedKeyAccess: UNKNOWN })])).map((x) => x.level)).toEqual(["advisory"]);
  });
});
