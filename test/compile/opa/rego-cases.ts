/**
 * The cases of `authz_test.rego`, one entry per `test_*` rule with the same name and checks,
 * so `decide` is held to exactly what `opa test` holds the Rego to (rego.test.ts checks the
 * names match one to one).
 */
import type { CheckInput, DomainData } from "../../../components/compile/opa";

const gateway = "spiffe://mesh.test/ns/ztmesh-system/sa/gateway";
const orderApi = "spiffe://mesh.test/ns/trading/sa/order-api";
const matching = "spiffe://mesh.test/ns/trading/sa/matching";
const riskEngine = "spiffe://mesh.test/ns/risk/sa/risk-engine";
const tradesProxy = "spiffe://mesh.test/ns/trading/sa/trades-proxy";
const customerRiskProxy = "spiffe://mesh.test/ns/risk/sa/customer-risk-proxy";
const matchingHost = "matching.trading.svc.cluster.local:9090";
const riskHost = "risk-engine.risk.svc.cluster.local:8080";

const httpCheck = (src: string, m: string, p: string, h: string): CheckInput => ({
  attributes: { source: { principal: src }, destination: { principal: gateway }, request: { http: { method: m, path: p, host: h } } },
});
const proxyHttpCheck = (src: string, proxy: string, m: string): CheckInput => ({
  attributes: { source: { principal: src }, destination: { principal: proxy }, request: { http: { method: m, path: "/", host: "store" } } },
});
const l4Check = (src: string, proxy: string): CheckInput => ({ attributes: { source: { principal: src }, destination: { principal: proxy } } });

/**
 * A second domain bundle claiming trading's `matching` host and `trades` proxy (two domains
 * putting workloads of the same name in one namespace), granting them to everyone: authz_test.rego's
 * `rogue`, loaded beside the compiled data as `data.ztmesh.domains.rogue`.
 */
export const ROGUE_DOMAIN: DomainData = {
  routes: { "matching.trading.svc.cluster.local": "rogue/matching" },
  proxies: { [tradesProxy]: "rogue/trades" },
  allow: {
    "rogue/matching": { "*": [{ intent: "rogue#0", methods: { POST: true }, paths: ["/"] }] },
    "rogue/trades": { "*": [{ intent: "rogue#1", access: ["read", "write"] }] },
  },
  deny: {},
};

const ambiguousReason = "ambiguous destination: claimed by the bundles of domains rogue, trading (a host or data proxy identity must belong to one domain)";

/** One expectation: the input, whether it is allowed, and optionally the reason (exact, or a prefix). */
export interface RegoCheck {
  input: CheckInput;
  /** Domain bundles loaded beside the compiled data (by domain name). */
  extraDomains?: Record<string, DomainData>;
  allow: boolean;
  reason?: string;
  reasonPrefix?: string;
}

/** `test_<name>` of authz_test.rego -> its checks. */
export const REGO_CASES: Record<string, RegoCheck[]> = {
  test_allowed_call: [{ input: httpCheck(orderApi, "POST", "/orders/42", matchingHost), allow: true, reason: "allowed by trading#0" }],
  test_host_without_port_any_case_trailing_dot: [{ input: httpCheck(orderApi, "GET", "/orders", "Matching.Trading.svc.cluster.local."), allow: true }],
  test_wrong_method: [{ input: httpCheck(orderApi, "DELETE", "/orders/42", matchingHost), allow: false, reason: "no intent allows this request" }],
  test_wrong_path_prefix: [{ input: httpCheck(orderApi, "POST", "/trades/42", matchingHost), allow: false }],
  test_unknown_source: [{ input: httpCheck("spiffe://mesh.test/ns/other/sa/intruder", "POST", "/orders/42", matchingHost), allow: false }],
  test_no_peer_certificate: [
    {
      input: { attributes: { destination: { principal: gateway }, request: { http: { method: "POST", path: "/orders/42", host: matchingHost } } } },
      allow: false,
      reason: "no client certificate: the caller has no SPIFFE ID",
    },
  ],
  test_empty_principal: [{ input: httpCheck("", "POST", "/orders/42", matchingHost), allow: false }],
  test_unknown_destination: [
    { input: httpCheck(riskEngine, "POST", "/", "reporter.risk.svc.cluster.local"), allow: false, reasonPrefix: "unknown destination" },
  ],
  test_reverse_direction_denied: [{ input: httpCheck(matching, "POST", "/orders", "order-api.trading.svc.cluster.local"), allow: false }],
  test_deny_rule_overrides_intent: [
    { input: httpCheck(orderApi, "GET", "/limits/today", riskHost), allow: true },
    { input: httpCheck(orderApi, "GET", "/limits/internal/x", riskHost), allow: false, reason: "denied by risk#0 (internal limits are risk-only)" },
  ],
  test_wildcard_source: [
    { input: httpCheck(matching, "GET", "/health", riskHost), allow: true, reason: "allowed by risk#1" },
    { input: httpCheck("spiffe://mesh.test/ns/any/sa/thing", "GET", "/health", riskHost), allow: true },
  ],
  test_wildcard_source_outside_trust_domain: [{ input: httpCheck("spiffe://evil.test/ns/any/sa/thing", "GET", "/health", riskHost), allow: false }],
  test_global_deny: [
    { input: httpCheck(matching, "GET", "/admin/users", riskHost), allow: false, reason: "denied by global#0 (no admin endpoints through the mesh)" },
  ],
  test_data_l4_connection: [
    { input: l4Check(riskEngine, tradesProxy), allow: true },
    { input: l4Check(matching, tradesProxy), allow: true },
    { input: l4Check(orderApi, tradesProxy), allow: false },
    { input: { attributes: { destination: { principal: tradesProxy } } }, allow: false },
  ],
  test_data_read_vs_write: [
    { input: proxyHttpCheck(riskEngine, tradesProxy, "GET"), allow: true },
    { input: proxyHttpCheck(riskEngine, tradesProxy, "PUT"), allow: false },
    { input: proxyHttpCheck(matching, tradesProxy, "PUT"), allow: true },
  ],
  test_data_deny_takes_away_write: [
    { input: proxyHttpCheck(riskEngine, customerRiskProxy, "GET"), allow: true },
    { input: proxyHttpCheck(riskEngine, customerRiskProxy, "PUT"), allow: false, reason: "denied by global#1 (risk data is read-only for consumers)" },
    { input: l4Check(riskEngine, customerRiskProxy), allow: true },
    { input: l4Check(matching, customerRiskProxy), allow: false, reason: "denied by global#1 (risk data is read-only for consumers)" },
  ],
  test_proxy_identity_is_not_a_gateway_route: [{ input: { attributes: { source: { principal: riskEngine }, destination: { principal: gateway } } }, allow: false }],
  test_ambiguous_destination: [
    { input: httpCheck(orderApi, "POST", "/orders/42", matchingHost), extraDomains: { rogue: ROGUE_DOMAIN }, allow: false, reason: ambiguousReason },
    { input: httpCheck(riskEngine, "POST", "/", matchingHost), extraDomains: { rogue: ROGUE_DOMAIN }, allow: false, reason: ambiguousReason },
    { input: l4Check(riskEngine, tradesProxy), extraDomains: { rogue: ROGUE_DOMAIN }, allow: false, reason: ambiguousReason },
    { input: httpCheck(orderApi, "GET", "/limits/today", riskHost), extraDomains: { rogue: ROGUE_DOMAIN }, allow: true },
  ],
};
