import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackSession, UNKNOWN, res } from "../helpers/policy-inprocess";

const POLICY = "aws-iam-no-wildcards";
const doc = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

describe(POLICY, () => {
  let pack: PackSession;
  beforeAll(async () => {
    pack = await PackSession.start();
  });
  afterAll(() => pack.stop());

  it("passes a policy that names its actions and resources", async () => {
    const v = await pack.violationsOf(POLICY, [
      res("aws:iam/policy:Policy", "ok", { policy: doc({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/*" }) }),
    ]);
    expect(v).toEqual([]);
  });

  it.each([
    ["a * action", { Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b/*" }, 'allows action "*"'],
    ["a service:* action", { Effect: "Allow", Action: ["s3:GetObject", "s3:*"], Resource: "arn:aws:s3:::b/*" }, 'allows action "s3:*"'],
    ["a * resource", { Effect: "Allow", Action: "s3:GetObject", Resource: ["*"] }, 'allows resource "*"'],
    ["NotAction", { Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::b" }, "allows NotAction"],
    ["NotResource", { Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::b" }, "allows NotResource"],
  ])("fails %s", async (_label, statement, message) => {
    const v = await pack.violationsOf(POLICY, [res("aws:iam/rolePolicy:RolePolicy", "bad", { role: "r", policy: doc(statement) })]);
    expect(v).toHaveLength(1);
    expect(v[0].level).toBe("mandatory");
    expect(v[0].urn).toBe("urn:pulumi:test::policy-tests::aws:iam/rolePolicy:RolePolicy::bad");
    expect(v[0].message).toContain(message);
  });

  it("judges a policy given as an object or inline on a role, not only a JSON string", async () => {
    const statement = { Effect: "Allow", Action: "*", Resource: "*" };
    const v = await pack.violationsOf(POLICY, [
      res("aws:iam/policy:Policy", "obj", { policy: { Version: "2012-10-17", Statement: statement } }),
      res("aws:iam/role:Role", "inline", { assumeRolePolicy: "{}", inlinePolicies: [{ name: "x", policy: doc(statement) }] }),
    ]);
    expect(v.map((x) => x.urn.split("::").pop())).toEqual(["obj", "obj", "inline", "inline"]);
  });

  it("ignores Deny statements with wildcards", async () => {
    const v = await pack.violationsOf(POLICY, [res("aws:iam/policy:Policy", "deny", { policy: doc({ Effect: "Deny", Action: "*", Resource: "*" }) })]);
    expect(v).toEqual([]);
  });

  it("reports an unknown policy document at preview instead of passing it", async () => {
    const v = await pack.violationsOf(POLICY, [res("aws:iam/policy:Policy", "unknown", { policy: UNKNOWN })]);
    expect(v).toHaveLength(1);
    expect(v[0].level).toBe("advisory");
    expect(v[0].message).toMatch(/can't run policy .* during preview/i);
  });

  it("takes the enforcement level from config", async () => {
    const v = await pack.violationsOf(
      POLICY,
      [res("aws:iam/policy:Policy", "p", { policy: doc({ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" }) })],
      { config: { [POLICY]: "advisory" } },
    );
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });
});
