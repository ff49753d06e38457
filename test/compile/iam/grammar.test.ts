import { describe, expect, it } from "vitest";
import { checkAwsPolicyDocument, isConditionOperator, wildcardIssues } from "../../../components/compile/iam";

const good = {
  Version: "2012-10-17",
  Statement: [{ Sid: "Read", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::bucket/*"] }],
};
const trust = {
  Version: "2012-10-17",
  Statement: {
    Effect: "Allow",
    Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/oidc.mesh.acme.example" },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: {
      StringEquals: { "oidc.mesh.acme.example:sub": "spiffe://mesh.acme.example/ns/a/sa/b", "oidc.mesh.acme.example:aud": "sts.amazonaws.com" },
    },
  },
};
/** `good` with its single statement changed. */
const withStatement = (patch: Record<string, unknown>): unknown => ({ ...good, Statement: [{ ...good.Statement[0], ...patch }] });

describe("checkAwsPolicyDocument", () => {
  it("accepts a well-formed identity policy, a trust policy and JSON strings", () => {
    expect(checkAwsPolicyDocument(good)).toEqual([]);
    expect(checkAwsPolicyDocument(trust)).toEqual([]);
    expect(checkAwsPolicyDocument(JSON.stringify(good))).toEqual([]);
  });

  it("reports bad JSON and non-objects", () => {
    expect(checkAwsPolicyDocument("{not json")[0]).toMatch(/^document: not valid JSON/);
    expect(checkAwsPolicyDocument(42)).toEqual(["document: expected an object, got 42"]);
  });

  it("reports a bad version and a missing statement", () => {
    expect(checkAwsPolicyDocument({ ...good, Version: "2008-10-17" })).toEqual(['Version: expected "2012-10-17", got "2008-10-17"']);
    expect(checkAwsPolicyDocument({ Version: "2012-10-17", Statement: [] })).toEqual([
      "Statement: expected an object or a non-empty array, got []",
    ]);
  });

  it("reports a bad effect", () => {
    expect(checkAwsPolicyDocument(withStatement({ Effect: "Permit" }))).toEqual(['Statement[0].Effect: expected "Allow" or "Deny", got "Permit"']);
  });

  it("reports a bad action", () => {
    expect(checkAwsPolicyDocument(withStatement({ Action: ["S3 GetObject"] }))).toEqual([
      'Statement[0].Action[0]: "S3 GetObject" is not of the form service:Action',
    ]);
    expect(checkAwsPolicyDocument(withStatement({ Action: ["S3:GetObject"] }))).toHaveLength(1);
  });

  it("requires exactly one of Action and NotAction", () => {
    expect(checkAwsPolicyDocument(withStatement({ NotAction: "s3:PutObject" }))).toEqual([
      "Statement[0]: exactly one of Action or NotAction is required",
    ]);
  });

  it("reports a bad ARN", () => {
    expect(checkAwsPolicyDocument(withStatement({ Resource: "arn:aws:s3:bucket" }))).toEqual([
      'Statement[0].Resource[0]: "arn:aws:s3:bucket" is not an ARN (arn:partition:service:region:account:resource) or "*"',
    ]);
    expect(checkAwsPolicyDocument(withStatement({ Resource: "arn:aws:iam::12345:role/x" }))).toHaveLength(1);
    expect(checkAwsPolicyDocument(withStatement({ Resource: "arn:aws-us-gov:iam::123456789012:role/x" }))).toEqual([]);
  });

  it("requires a resource in identity policies", () => {
    const { Resource: _r, ...noResource } = good.Statement[0];
    expect(checkAwsPolicyDocument({ ...good, Statement: [noResource] })).toEqual([
      "Statement[0]: Resource (or NotResource) is required in an identity policy",
    ]);
  });

  it("reports an unknown condition operator and accepts prefixes and IfExists", () => {
    const cond = (op: string): unknown => withStatement({ Condition: { [op]: { "aws:SourceVpc": "vpc-1" } } });
    expect(checkAwsPolicyDocument(cond("StringEqualz"))).toEqual(["Statement[0].Condition.StringEqualz: unknown condition operator"]);
    expect(checkAwsPolicyDocument(cond("ForAnyValue:StringLikeIfExists"))).toEqual([]);
    expect(isConditionOperator("ForAllValues:ArnLike")).toBe(true);
    expect(isConditionOperator("NullIfExists")).toBe(false);
    expect(isConditionOperator("ForSomeValues:StringLike")).toBe(false);
  });

  it("reports unknown elements and a bad principal", () => {
    expect(checkAwsPolicyDocument(withStatement({ Actions: ["s3:GetObject"] }))).toEqual(["Statement[0].Actions: unknown statement element"]);
    expect(checkAwsPolicyDocument({ ...trust, Statement: { ...trust.Statement, Principal: { Users: "x" } } })).toEqual([
      "Statement.Principal.Users: unknown principal type (use AWS, Federated, Service or CanonicalUser)",
    ]);
  });
});

describe("wildcardIssues", () => {
  it("passes the narrow documents", () => {
    expect(wildcardIssues(good)).toEqual([]);
    expect(wildcardIssues(trust)).toEqual([]);
  });

  it("flags a * action and a service:* action", () => {
    expect(wildcardIssues(withStatement({ Action: "*" }))).toEqual(['Statement[0].Action[0]: Allow with wildcard action "*"']);
    expect(wildcardIssues(withStatement({ Action: ["s3:GetObject", "s3:*"] }))).toEqual([
      'Statement[0].Action[1]: Allow with wildcard action "s3:*"',
    ]);
  });

  it("flags a * resource and an ARN with a * resource part", () => {
    expect(wildcardIssues(withStatement({ Resource: "*" }))).toEqual(['Statement[0].Resource[0]: Allow on wildcard resource "*"']);
    expect(wildcardIssues(withStatement({ Resource: "arn:aws:s3:::*" }))).toHaveLength(1);
  });

  it("flags NotAction / NotResource in Allow, but not wildcards in Deny", () => {
    const { Action: _a, Resource: _r, ...rest } = good.Statement[0];
    expect(wildcardIssues({ ...good, Statement: [{ ...rest, NotAction: "iam:*", NotResource: "arn:aws:s3:::b" }] })).toHaveLength(2);
    expect(wildcardIssues(withStatement({ Effect: "Deny", Action: "*", Resource: "*" }))).toEqual([]);
  });

  it("reads JSON strings", () => {
    expect(wildcardIssues(JSON.stringify(withStatement({ Action: "*" })))).toHaveLength(1);
  });
});
