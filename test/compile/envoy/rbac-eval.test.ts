import { describe, expect, it } from "vitest";
import { permissionMatches, principalMatches, rbacAllows, rulesAllow, stringMatches } from "../../../components/compile/envoy";
import { rulesDecision } from "../../../components/compile/envoy/rbac-eval";

const P = "spiffe://td.example/ns/a/sa/b";

describe("rbac-eval matchers", () => {
  it("matches strings like Envoy (regex is a full match)", () => {
    expect(stringMatches({ exact: "a" }, "a")).toBe(true);
    expect(stringMatches({ prefix: "/x" }, "/xy")).toBe(true);
    expect(stringMatches({ suffix: ".com" }, "a.com")).toBe(true);
    expect(stringMatches({ contains: "mid" }, "amidst")).toBe(true);
    expect(stringMatches({ exact: "A", ignore_case: true }, "a")).toBe(true);
    expect(stringMatches({ safe_regex: { regex: "h\\.local(:[0-9]+)?" } }, "h.local:80")).toBe(true);
    expect(stringMatches({ safe_regex: { regex: "h\\.local(:[0-9]+)?" } }, "xh.local")).toBe(false);
    expect(stringMatches({ safe_regex: { regex: "h\\.local(:[0-9]+)?" } }, "h.local:80x")).toBe(false);
    expect(stringMatches({ exact: "a" }, undefined)).toBe(false);
  });

  it("evaluates permissions on the path without its query, and header absence like Envoy", () => {
    expect(permissionMatches({ url_path: { path: { exact: "/a" } } }, { path: "/a?b=c" })).toBe(true);
    expect(permissionMatches({ header: { name: ":method", string_match: { exact: "GET" } } }, {})).toBe(false);
    expect(permissionMatches({ header: { name: ":method", string_match: { exact: "GET" }, invert_match: true } }, {})).toBe(false);
    expect(permissionMatches({ header: { name: ":method", present_match: false } }, {})).toBe(true);
    expect(permissionMatches({ header: { name: ":method", string_match: { exact: "GET" }, invert_match: true } }, { method: "POST" })).toBe(true);
    expect(permissionMatches({ not_rule: { any: true } }, {})).toBe(false);
    expect(permissionMatches({ destination_ip: { address_prefix: "10.0.0.0" } }, {})).toBe(false);
  });

  it("evaluates principals: authenticated needs a certificate", () => {
    expect(principalMatches({ authenticated: { principal_name: { exact: P } } }, { principal: P })).toBe(true);
    expect(principalMatches({ authenticated: {} }, { principal: P })).toBe(true);
    expect(principalMatches({ authenticated: {} }, {})).toBe(false);
    expect(principalMatches({ or_ids: { ids: [{ any: true }] } }, {})).toBe(true);
    expect(principalMatches({ and_ids: { ids: [{ any: true }, { not_id: { any: true } }] } }, {})).toBe(false);
  });

  it("applies ALLOW, DENY and LOG actions; absent rules enforce nothing, empty ALLOW denies all", () => {
    const pol = { p: { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { exact: P } } }] } };
    expect(rulesAllow({ action: "ALLOW", policies: pol }, { principal: P })).toBe(true);
    expect(rulesAllow({ action: "ALLOW", policies: pol }, { principal: "x" })).toBe(false);
    expect(rulesAllow({ action: "DENY", policies: pol }, { principal: P })).toBe(false);
    expect(rulesAllow({ action: "DENY", policies: pol }, { principal: "x" })).toBe(true);
    expect(rulesAllow({ action: "LOG", policies: pol }, { principal: "x" })).toBe(true);
    expect(rulesAllow({ action: "ALLOW", policies: {} }, { principal: P })).toBe(false);
    expect(rulesAllow(undefined, {})).toBe(true);
  });

  it("lets everything through a listener without RBAC and nothing through a missing listener", () => {
    const b = { static_resources: { listeners: [{ name: "l", filter_chains: [{ filters: [] }] }] } };
    expect(rbacAllows(b, {})).toBe(true);
    expect(rbacAllows(b, { listener: "other" })).toBe(false);
  });
});

describe("rulesDecision", () => {
  const policies = { "b-get": { permissions: [{ header: { name: ":method", string_match: { exact: "GET" } } }], principals: [{ authenticated: { principal_name: { exact: P } } }] } };
  it("names the matching policy and the action's outcome", () => {
    expect(rulesDecision({ action: "ALLOW", policies }, { principal: P, method: "GET" })).toEqual({ allowed: true, action: "ALLOW", matchedPolicy: "b-get" });
    expect(rulesDecision({ action: "ALLOW", policies }, { principal: P, method: "POST" })).toEqual({ allowed: false, action: "ALLOW" });
    expect(rulesDecision({ action: "DENY", policies }, { principal: P, method: "GET" })).toEqual({ allowed: false, action: "DENY", matchedPolicy: "b-get" });
    expect(rulesDecision({ action: "LOG", policies }, { principal: P, method: "GET" })).toEqual({ allowed: true, action: "LOG", matchedPolicy: "b-get" });
    expect(rulesDecision(undefined, {})).toEqual({ allowed: true, action: "none" });
  });
});
