import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackSession, UNKNOWN, res } from "../helpers/policy-inprocess";
import { messages, names } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

describe("gcp-no-basic-roles", () => {
  const P = "gcp-no-basic-roles";
  const member = "serviceAccount:app@p.iam.gserviceaccount.com";

  it("passes predefined roles", async () => {
    const v = await pack.violationsOf(P, [res("gcp:projects/iAMMember:IAMMember", "m", { project: "p", role: "roles/storage.objectViewer", member })]);
    expect(v).toEqual([]);
  });

  it("fails owner and editor on every IAM resource kind, policyData as JSON or object", async () => {
    const v = await pack.violationsOf(P, [
      res("gcp:projects/iAMMember:IAMMember", "project-member", { project: "p", role: "roles/owner", member }),
      res("gcp:folder/iAMBinding:IAMBinding", "folder-binding", { folder: "folders/1", role: "roles/editor", members: [member] }),
      res("gcp:organizations/iAMPolicy:IAMPolicy", "org-policy", { orgId: "1", policyData: JSON.stringify({ bindings: [{ role: "roles/owner", members: [member] }] }) }),
      res("gcp:storage/bucketIAMPolicy:BucketIAMPolicy", "bucket-policy", { bucket: "b", policyData: { bindings: [{ role: "roles/editor", members: [member] }] } }),
      res("gcp:serviceaccount/iAMMember:IAMMember", "sa-member", { serviceAccountId: "sa", role: "roles/owner", member }),
    ]);
    expect(names(v)).toEqual(["project-member", "folder-binding", "org-policy", "bucket-policy", "sa-member"]);
    expect(messages(v)[0]).toBe(`GCP IAM grants basic role roles/owner to ${member}; grant a predefined or custom role with only the permissions needed.`);
  });

  it("takes forbiddenRoles from config", async () => {
    const r = res("gcp:projects/iAMMember:IAMMember", "m", { project: "p", role: "roles/viewer", member });
    expect(await pack.violationsOf(P, [r])).toEqual([]);
    const v = await pack.violationsOf(P, [r], { config: { [P]: { forbiddenRoles: ["roles/viewer"] } } });
    expect(v).toHaveLength(1);
  });

  it("reports an unknown role at preview", async () => {
    const v = await pack.violationsOf(P, [res("gcp:projects/iAMMember:IAMMember", "m", { project: "p", role: UNKNOWN, member })]);
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("azure-no-privileged-role-assignments", () => {
  const P = "azure-no-privileged-role-assignments";
  const def = (guid: string) => `/subscriptions/0000/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
  const assign = (guid: string) => res("azure-native:authorization:RoleAssignment", "a", { principalId: "p", scope: "/subscriptions/0000", roleDefinitionId: def(guid) });

  it("passes a data-plane role (Storage Blob Data Reader)", async () => {
    expect(await pack.violationsOf(P, [assign("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")])).toEqual([]);
  });

  it.each([
    ["Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"],
    ["Contributor", "B24988AC-6180-42A0-AB88-20F7382DD24C"],
    ["User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"],
  ])("fails %s", async (name, guid) => {
    const v = await pack.violationsOf(P, [assign(guid)]);
    expect(messages(v)).toEqual([
      `Role assignment grants the privileged built-in role ${name} (${guid.toLowerCase()}); assign a narrower built-in or custom role.`,
    ]);
  });

  it("takes forbiddenRoleDefinitionIds from config", async () => {
    const v = await pack.violationsOf(P, [assign("8e3af657-a8ff-443c-a75c-2fe8c4bcb635")], { config: { [P]: { forbiddenRoleDefinitionIds: [] } } });
    expect(v).toEqual([]);
  });

  it("reports an unknown role definition at preview", async () => {
    const v = await pack.violationsOf(P, [res("azure-native:authorization:RoleAssignment", "a", { principalId: "p", roleDefinitionId: UNKNOWN })]);
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });
});

describe("aws-iam-no-wildcards on bucket policies", () => {
  it("judges an S3 bucket policy's Allow statements", async () => {
    const policy = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:role/r" }, Action: "s3:*", Resource: "arn:aws:s3:::b/*" }] });
    const v = await pack.violationsOf("aws-iam-no-wildcards", [res("aws:s3/bucketPolicy:BucketPolicy", "bp", { bucket: "b", policy })]);
    expect(messages(v)).toEqual(['IAM policy statement[0] allows action "s3:*"; name the actions and resources explicitly.']);
  });
});
