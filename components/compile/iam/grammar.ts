/**
 * A grammar checker for AWS IAM policy documents (identity and trust policies), reused by the
 * policy pack. It checks shape, not meaning: Version, Statement, Effect, Action/NotAction,
 * Resource/NotResource, Principal and Condition operators. Documents may be given as objects
 * or as JSON strings (as `aws.iam.RolePolicy.policy` inputs usually are).
 *
 * Each function returns a list of issues (`<path>: <problem>`), empty when the document passes.
 */

/** Service prefix and action name: `s3:GetObject`, `sts:AssumeRoleWithWebIdentity`, `s3:Get*`. */
export const AWS_ACTION = /^[a-z0-9][a-z0-9-]*:[A-Za-z0-9*?]+$/;

/** `arn:partition:service:region:account:resource` (region/account may be empty or wildcarded). */
export const AWS_ARN = /^arn:(aws(?:-[a-z]+)*):([a-z0-9][a-z0-9-]*):([a-z0-9*?-]*):(\d{12}|aws|\*|):(\S+)$/;

/** Condition operators of the IAM policy language (without prefixes or the IfExists suffix). */
export const IAM_CONDITION_OPERATORS: readonly string[] = [
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "NumericEquals",
  "NumericNotEquals",
  "NumericLessThan",
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "DateEquals",
  "DateNotEquals",
  "DateLessThan",
  "DateLessThanEquals",
  "DateGreaterThan",
  "DateGreaterThanEquals",
  "Bool",
  "BinaryEquals",
  "IpAddress",
  "NotIpAddress",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
  "Null",
];

const STATEMENT_KEYS = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);
const PRINCIPAL_KEYS = new Set(["AWS", "Federated", "Service", "CanonicalUser"]);

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : v === undefined ? "undefined" : JSON.stringify(v) ?? String(v));

/** True when `op` is an IAM condition operator, with optional set prefix and `IfExists` suffix. */
export function isConditionOperator(op: string): boolean {
  const m = /^(?:(?:ForAnyValue|ForAllValues):)?([A-Za-z]+?)(IfExists)?$/.exec(op);
  if (!m) return false;
  if (m[1] === "Null" && m[2]) return false;
  return IAM_CONDITION_OPERATORS.includes(m[1]);
}

/** Parses a JSON string or passes an object through; issues when neither works. */
function parse(doc: unknown): { value?: Rec; issues: string[] } {
  let v = doc;
  if (typeof doc === "string") {
    try {
      v = JSON.parse(doc) as unknown;
    } catch (e) {
      return { issues: [`document: not valid JSON (${(e as Error).message})`] };
    }
  }
  if (!isRecord(v)) return { issues: [`document: expected an object, got ${show(v)}`] };
  return { value: v, issues: [] };
}

/** The statements of a parsed document (a single object counts as one), with their paths. */
function statements(doc: Rec): { path: string; st: unknown }[] {
  const s = doc.Statement;
  if (Array.isArray(s)) return s.map((st, i) => ({ path: `Statement[${i}]`, st }));
  if (isRecord(s)) return [{ path: "Statement", st: s }];
  return [];
}

/** A string or a non-empty array of strings; returns the strings, or undefined after reporting. */
function stringList(v: unknown, path: string, issues: string[]): string[] | undefined {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string")) return v as string[];
  issues.push(`${path}: expected a string or a non-empty array of strings, got ${show(v)}`);
  return undefined;
}

function checkPrincipal(v: unknown, path: string, issues: string[]): void {
  if (v === "*") return;
  if (!isRecord(v) || Object.keys(v).length === 0) {
    issues.push(`${path}: expected "*" or an object with AWS, Federated, Service or CanonicalUser, got ${show(v)}`);
    return;
  }
  for (const [k, val] of Object.entries(v)) {
    if (!PRINCIPAL_KEYS.has(k)) issues.push(`${path}.${k}: unknown principal type (use AWS, Federated, Service or CanonicalUser)`);
    stringList(val, `${path}.${k}`, issues);
  }
}

function checkCondition(v: unknown, path: string, issues: string[]): void {
  if (!isRecord(v)) {
    issues.push(`${path}: expected an object of operator -> {key: value}, got ${show(v)}`);
    return;
  }
  for (const [op, block] of Object.entries(v)) {
    if (!isConditionOperator(op)) issues.push(`${path}.${op}: unknown condition operator`);
    if (!isRecord(block) || Object.keys(block).length === 0) {
      issues.push(`${path}.${op}: expected a non-empty object of condition key -> value(s)`);
      continue;
    }
    for (const [key, val] of Object.entries(block)) {
      const scalar = (x: unknown): boolean => ["string", "number", "boolean"].includes(typeof x);
      if (!(scalar(val) || (Array.isArray(val) && val.length > 0 && val.every(scalar)))) {
        issues.push(`${path}.${op}.${key}: expected a string, number, boolean or a non-empty array of them`);
      }
    }
  }
}

function checkStatement(st: unknown, path: string, issues: string[]): void {
  if (!isRecord(st)) {
    issues.push(`${path}: expected an object, got ${show(st)}`);
    return;
  }
  for (const k of Object.keys(st)) if (!STATEMENT_KEYS.has(k)) issues.push(`${path}.${k}: unknown statement element`);
  if (st.Sid !== undefined && (typeof st.Sid !== "string" || !/^[A-Za-z0-9]*$/.test(st.Sid))) {
    issues.push(`${path}.Sid: must be alphanumeric, got ${show(st.Sid)}`);
  }
  if (st.Effect !== "Allow" && st.Effect !== "Deny") issues.push(`${path}.Effect: expected "Allow" or "Deny", got ${show(st.Effect)}`);

  const actionKey = st.Action !== undefined ? "Action" : "NotAction";
  if ((st.Action === undefined) === (st.NotAction === undefined)) issues.push(`${path}: exactly one of Action or NotAction is required`);
  else {
    const actions = stringList(st[actionKey], `${path}.${actionKey}`, issues) ?? [];
    actions.forEach((a, i) => {
      if (a !== "*" && !AWS_ACTION.test(a)) issues.push(`${path}.${actionKey}[${i}]: ${show(a)} is not of the form service:Action`);
    });
  }

  const hasPrincipal = st.Principal !== undefined || st.NotPrincipal !== undefined;
  if (st.Principal !== undefined && st.NotPrincipal !== undefined) issues.push(`${path}: Principal and NotPrincipal are exclusive`);
  if (st.Principal !== undefined) checkPrincipal(st.Principal, `${path}.Principal`, issues);
  if (st.NotPrincipal !== undefined) checkPrincipal(st.NotPrincipal, `${path}.NotPrincipal`, issues);

  const resKey = st.Resource !== undefined ? "Resource" : "NotResource";
  if (st.Resource !== undefined && st.NotResource !== undefined) issues.push(`${path}: Resource and NotResource are exclusive`);
  else if (st.Resource === undefined && st.NotResource === undefined) {
    if (!hasPrincipal) issues.push(`${path}: Resource (or NotResource) is required in an identity policy`);
  } else {
    const resources = stringList(st[resKey], `${path}.${resKey}`, issues) ?? [];
    resources.forEach((r, i) => {
      if (r !== "*" && !AWS_ARN.test(r)) {
        issues.push(`${path}.${resKey}[${i}]: ${show(r)} is not an ARN (arn:partition:service:region:account:resource) or "*"`);
      }
    });
  }
  if (st.Condition !== undefined) checkCondition(st.Condition, `${path}.Condition`, issues);
}

/**
 * Checks the grammar of an AWS IAM policy document (an object or a JSON string): Version
 * `2012-10-17`, Statement an object or non-empty array, and each statement's elements.
 * Does not judge breadth; see {@link wildcardIssues}.
 */
export function checkAwsPolicyDocument(doc: unknown): string[] {
  const { value, issues } = parse(doc);
  if (!value) return issues;
  for (const k of Object.keys(value)) if (!["Version", "Id", "Statement"].includes(k)) issues.push(`${k}: unknown top-level element`);
  if (value.Version !== "2012-10-17") issues.push(`Version: expected "2012-10-17", got ${show(value.Version)}`);
  const s = value.Statement;
  if (!(isRecord(s) || (Array.isArray(s) && s.length > 0))) {
    issues.push(`Statement: expected an object or a non-empty array, got ${show(s)}`);
    return issues;
  }
  for (const { path, st } of statements(value)) checkStatement(st, path, issues);
  return issues;
}

/**
 * Breadth issues of the `Allow` statements of a policy document (an object or a JSON string):
 * a `*` or `service:*` action, any `NotAction`, a `*` resource (or an ARN whose resource part
 * is `*`), any `NotResource`, and a `*` principal. Malformed documents yield no issues here
 * (run {@link checkAwsPolicyDocument} for those).
 */
export function wildcardIssues(doc: unknown): string[] {
  const { value } = parse(doc);
  if (!value) return [];
  const issues: string[] = [];
  for (const { path, st } of statements(value)) {
    if (!isRecord(st) || st.Effect !== "Allow") continue;
    const list = (v: unknown): string[] => (typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
    list(st.Action).forEach((a, i) => {
      if (a === "*" || a.endsWith(":*")) issues.push(`${path}.Action[${i}]: Allow with wildcard action ${show(a)}`);
    });
    if (st.NotAction !== undefined) issues.push(`${path}.NotAction: Allow with NotAction allows every other action`);
    list(st.Resource).forEach((r, i) => {
      const m = AWS_ARN.exec(r);
      if (r === "*" || (m && m[5] === "*")) issues.push(`${path}.Resource[${i}]: Allow on wildcard resource ${show(r)}`);
    });
    if (st.NotResource !== undefined) issues.push(`${path}.NotResource: Allow with NotResource allows every other resource`);
    if (st.Principal === "*" || (isRecord(st.Principal) && list(st.Principal.AWS).includes("*"))) {
      issues.push(`${path}.Principal: Allow for any principal "*"`);
    }
  }
  return issues;
}
