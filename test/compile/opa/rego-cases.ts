/**
 * The cases of `authz_test.rego`, one entry per `test_*` rule with the same name and checks,
 * so `decide` is held to exactly what `opa test` holds the Rego to (rego.test.ts checks the
 * names match one to one).
 *
 * Every check is made at an enforcement point: a workload proxy (destination principal = the
 * service's SPIFFE ID) or a data proxy (its own SPIFFE ID), which names its destination's
 * domain and key in `destination.labels` (ext_authz `bootstrap_metadata_labels_key`).
 */
import type { CheckInput, DomainData } from "../../../components/compile/opa";

const gateway = "spiffe://mesh.test/ns/ztmesh-system/sa/gateway";
const orderApi = "spiffe://mesh.test/ns/trading/sa/order-api";
const matching = "spiffe://mesh.test/ns/trading/sa/matching";
const riskEngine = "spiffe://mesh.test/ns/risk/sa/risk-engine";
const reporter = "spiffe://mesh.test/ns/risk/sa/reporter";
const tradesProxy = "spiffe://mesh.test/ns/trading/sa/trades-proxy";
const customerRiskProxy = "spiffe://mesh.test/ns/risk/sa/customer-risk-proxy";
const matchingHost = "matching.trading.svc.cluster.local:9090";
const riskHost = "risk-engine.risk.svc.cluster.local:8080";

/** An enforcement point: its own SPIFFE ID and the labels its ext_authz sends. */
interface At {
  principal: string;
  labels?: Record<string, string>;
}
const at = (principal: string, domain: string, workload: string): At => ({ principal, labels: { domain, workload } });
const atMatching = at(matching, "trading", "trading/matching");
const atOrderApi = at(orderApi, "trading", "trading/order-api");
const atRiskEngine = at(riskEngine, "risk", "risk/risk-engine");
const atTrades = at(tradesProxy, "trading", "trading/trades");
const atCustomerRisk = at(customerRiskProxy, "risk", "risk/customer-risk");

/** An HTTP check at a workload proxy (or any enforcement point `dst`). */
const httpCheck = (src: string, dst: At, m: string, p: string, h: string): CheckInput => ({
  attributes: { source: { principal: src }, destination: dst, request: { http: { method: m, path: p, host: h } } },
});
/** An HTTP check at a data proxy. */
const proxyHttpCheck = (src: string, proxy: At, m: string): CheckInput => ({
  attributes: { source: { principal: src }, destination: proxy, request: { http: { method: m, path: "/", host: "store" } } },
});
/** An L4 (network ext_authz) check at a data proxy: no HTTP attributes. */
const l4Check = (src: string, proxy: At): CheckInput => ({ attributes: { source: { principal: src }, destination: proxy } });

/** The zone's egress gateway: no destination domain, `kind: egress`. */
const atEgress: At = { principal: "spiffe://mesh.test/ns/ztmesh-system/sa/z1-egress", labels: { domain: "", workload: "egress/z1", kind: "egress" } };
/** A check at the egress gateway: the caller's SVID and the TLS SNI `<domain>.<target>.egress.<trust domain>`. */
const egressCheck = (src: string | undefined, sni?: string): CheckInput => ({
  attributes: { ...(src === undefined ? {} : { source: { principal: src } }), destination: atEgress, ...(sni === undefined ? {} : { tls_session: { sni } }) },
});
const noTarget = "egress: the TLS SNI names no target (expected <domain>.<target>.egress.<trust domain>)";
/** The policy engine's Envoy front: no destination domain, `kind: policy-engine`. */
const atEngineFront: At = { principal: "spiffe://mesh.test/ns/ztmesh-system/sa/z1-policy-engine", labels: { domain: "", workload: "policy-engine/z1", kind: "policy-engine" } };

/**
 * A second domain bundle claiming trading's `matching` and `trades` identities and granting
 * them to everyone: authz_test.rego's `rogue`, loaded beside the compiled data as
 * `data.ztmesh.domains.rogue`. Enforcement points labelled `trading` never consult it.
 */
export const ROGUE_DOMAIN: DomainData = {
  services: { [matching]: "rogue/matching" },
  proxies: { [tradesProxy]: "rogue/trades" },
  allow: {
    "rogue/matching": { "*": [{ intent: "rogue#0", methods: { POST: true }, paths: ["/"] }] },
    "rogue/trades": { "*": [{ intent: "rogue#1", access: ["read", "write"] }] },
  },
  deny: {},
  egress: {},
};

const noDomainReason = "unknown destination: the enforcement point names no destination domain (ext_authz bootstrap_metadata_labels_key)";
const notInDomain = (domain: string, principal: string): string =>
  `unknown destination: domain ${domain} has no service or data proxy with identity ${principal} in this zone`;

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
  test_allowed_call: [{ input: httpCheck(orderApi, atMatching, "POST", "/orders/42", matchingHost), allow: true, reason: "allowed by trading#0" }],
  test_host_does_not_choose_the_destination: [
    { input: httpCheck(orderApi, atMatching, "GET", "/orders", "Matching.Trading.svc.cluster.local."), allow: true },
    // The host names risk-engine, but the check is made at matching's proxy: matching's grants decide.
    { input: httpCheck(orderApi, atMatching, "GET", "/limits/today", riskHost), allow: false, reason: "no intent allows this request" },
    { input: httpCheck(orderApi, atRiskEngine, "POST", "/orders/42", matchingHost), allow: false, reason: "no intent allows this request" },
  ],
  test_wrong_method: [{ input: httpCheck(orderApi, atMatching, "DELETE", "/orders/42", matchingHost), allow: false, reason: "no intent allows this request" }],
  test_wrong_path_prefix: [{ input: httpCheck(orderApi, atMatching, "POST", "/trades/42", matchingHost), allow: false }],
  test_unknown_source: [{ input: httpCheck("spiffe://mesh.test/ns/other/sa/intruder", atMatching, "POST", "/orders/42", matchingHost), allow: false }],
  test_no_peer_certificate: [
    {
      input: { attributes: { destination: atMatching, request: { http: { method: "POST", path: "/orders/42", host: matchingHost } } } },
      allow: false,
      reason: "no client certificate: the caller has no SPIFFE ID",
    },
  ],
  test_empty_principal: [{ input: httpCheck("", atMatching, "POST", "/orders/42", matchingHost), allow: false }],
  test_unknown_destination: [
    // reporter runs in zone z2: this zone's risk bundle does not list it.
    {
      input: httpCheck(riskEngine, at(reporter, "risk", "risk/reporter"), "POST", "/", "reporter.risk.svc.cluster.local"),
      allow: false,
      reason: notInDomain("risk", reporter),
    },
  ],
  test_reverse_direction_denied: [{ input: httpCheck(matching, atOrderApi, "POST", "/orders", "order-api.trading.svc.cluster.local"), allow: false }],
  test_deny_rule_overrides_intent: [
    { input: httpCheck(orderApi, atRiskEngine, "GET", "/limits/today", riskHost), allow: true },
    { input: httpCheck(orderApi, atRiskEngine, "GET", "/limits/internal/x", riskHost), allow: false, reason: "denied by risk#0 (internal limits are risk-only)" },
  ],
  test_wildcard_source: [
    { input: httpCheck(matching, atRiskEngine, "GET", "/health", riskHost), allow: true, reason: "allowed by risk#1" },
    { input: httpCheck("spiffe://mesh.test/ns/any/sa/thing", atRiskEngine, "GET", "/health", riskHost), allow: true },
  ],
  test_wildcard_source_outside_trust_domain: [{ input: httpCheck("spiffe://evil.test/ns/any/sa/thing", atRiskEngine, "GET", "/health", riskHost), allow: false }],
  test_global_deny: [
    { input: httpCheck(matching, atRiskEngine, "GET", "/admin/users", riskHost), allow: false, reason: "denied by global#0 (no admin endpoints through the mesh)" },
  ],
  test_data_l4_connection: [
    { input: l4Check(riskEngine, atTrades), allow: true },
    { input: l4Check(matching, atTrades), allow: true },
    { input: l4Check(orderApi, atTrades), allow: false },
    { input: { attributes: { destination: atTrades } }, allow: false },
  ],
  test_data_read_vs_write: [
    { input: proxyHttpCheck(riskEngine, atTrades, "GET"), allow: true },
    { input: proxyHttpCheck(riskEngine, atTrades, "PUT"), allow: false },
    { input: proxyHttpCheck(matching, atTrades, "PUT"), allow: true },
  ],
  test_data_deny_takes_away_write: [
    { input: proxyHttpCheck(riskEngine, atCustomerRisk, "GET"), allow: true },
    { input: proxyHttpCheck(riskEngine, atCustomerRisk, "PUT"), allow: false, reason: "denied by global#1 (risk data is read-only for consumers)" },
    { input: l4Check(riskEngine, atCustomerRisk), allow: true },
    { input: l4Check(matching, atCustomerRisk), allow: false, reason: "denied by global#1 (risk data is read-only for consumers)" },
  ],
  test_gateway_identity_is_no_destination: [
    { input: l4Check(riskEngine, at(gateway, "trading", "trading/matching")), allow: false, reason: notInDomain("trading", gateway) },
    { input: httpCheck(orderApi, at(gateway, "trading", "trading/matching"), "POST", "/orders/42", matchingHost), allow: false, reason: notInDomain("trading", gateway) },
  ],
  test_destination_without_domain_label: [
    { input: httpCheck(orderApi, { principal: matching }, "POST", "/orders/42", matchingHost), allow: false, reason: noDomainReason },
    { input: httpCheck(orderApi, { principal: matching, labels: { workload: "trading/matching" } }, "POST", "/orders/42", matchingHost), allow: false, reason: noDomainReason },
    { input: l4Check(riskEngine, { principal: tradesProxy }), allow: false, reason: noDomainReason },
  ],
  test_destination_of_unknown_domain: [
    { input: httpCheck(orderApi, at(matching, "nowhere", "nowhere/matching"), "POST", "/orders/42", matchingHost), allow: false, reason: "unknown destination: no bundle of domain nowhere in this zone" },
  ],
  test_label_naming_another_domain: [
    // matching's identity is in trading's bundle only: risk's bundle does not speak for it.
    { input: httpCheck(orderApi, at(matching, "risk", "risk/matching"), "POST", "/orders/42", matchingHost), allow: false, reason: notInDomain("risk", matching) },
    { input: l4Check(riskEngine, at(tradesProxy, "risk", "risk/trades")), allow: false, reason: notInDomain("risk", tradesProxy) },
    // risk-engine's grant to order-api does not follow a risk label onto matching's identity.
    { input: httpCheck(orderApi, at(matching, "risk", "risk/risk-engine"), "GET", "/limits/today", riskHost), allow: false, reason: notInDomain("risk", matching) },
  ],
  test_egress_token_endpoint: [
    // matching reads trading/archive (S3 in z3): AWS's token endpoints, global and regional.
    { input: egressCheck(matching, "trading.aws-sts.egress.mesh.test"), allow: true, reason: "egress to aws-sts allowed by the object-store intents of domain trading" },
    { input: egressCheck(matching, "Trading.AWS-STS-EU-WEST-1.egress.mesh.test"), allow: true, reason: "egress to aws-sts-eu-west-1 allowed by the object-store intents of domain trading" },
    { input: egressCheck(matching, "trading.gcp-sts.egress.mesh.test"), allow: false, reason: "egress to gcp-sts: no intent of domain trading lets this workload use it" },
    { input: egressCheck(orderApi, "trading.aws-sts.egress.mesh.test"), allow: false, reason: "egress to aws-sts: no intent of domain trading lets this workload use it" },
    { input: egressCheck(undefined, "trading.aws-sts.egress.mesh.test"), allow: false, reason: "no client certificate: the caller has no SPIFFE ID" },
  ],
  test_egress_caller_names_another_domain_or_no_target: [
    // The grant is looked up under the domain the SNI names: another domain's bundle has none for matching.
    { input: egressCheck(matching, "risk.aws-sts.egress.mesh.test"), allow: false, reason: "egress to aws-sts: no intent of domain risk lets this workload use it" },
    { input: egressCheck(matching, "nowhere.aws-sts.egress.mesh.test"), allow: false, reason: "egress to aws-sts: no intent of domain nowhere lets this workload use it" },
    { input: egressCheck(matching, "trading.aws-sts.egress.other.test"), allow: false, reason: noTarget },
    { input: egressCheck(matching, "x.trading.aws-sts.egress.mesh.test"), allow: false, reason: noTarget },
    { input: egressCheck(matching, "aws-sts.egress.mesh.test"), allow: false, reason: noTarget },
    { input: egressCheck(matching), allow: false, reason: noTarget },
    // Only the egress gateway decides egress: the same SNI at a workload proxy is an ordinary check there.
    { input: { attributes: { ...egressCheck(matching, "trading.aws-sts.egress.mesh.test").attributes, destination: atMatching } }, allow: false, reason: "no intent allows this request" },
  ],
  test_policy_engine_front_admits_the_trust_domain: [
    // The engine's Envoy front asks once per connection (L4): any workload of the trust domain, nobody else.
    { input: { attributes: { source: { principal: orderApi }, destination: atEngineFront } }, allow: true, reason: "policy engine access for a workload of the trust domain" },
    { input: { attributes: { source: { principal: "spiffe://mesh.test.evil/ns/trading/sa/order-api" }, destination: atEngineFront } }, allow: false, reason: "policy engine access: the caller is not a workload of the trust domain" },
    { input: { attributes: { source: { principal: "spiffe://other.test/ns/x/sa/y" }, destination: atEngineFront } }, allow: false, reason: "policy engine access: the caller is not a workload of the trust domain" },
    { input: { attributes: { destination: atEngineFront } }, allow: false, reason: "no client certificate: the caller has no SPIFFE ID" },
  ],
  test_other_bundles_are_never_consulted: [
    { input: httpCheck(orderApi, atMatching, "POST", "/orders/42", matchingHost), extraDomains: { rogue: ROGUE_DOMAIN }, allow: true, reason: "allowed by trading#0" },
    { input: httpCheck(riskEngine, atMatching, "POST", "/", matchingHost), extraDomains: { rogue: ROGUE_DOMAIN }, allow: false, reason: "no intent allows this request" },
    { input: l4Check(orderApi, atTrades), extraDomains: { rogue: ROGUE_DOMAIN }, allow: false, reason: "no intent allows this request" },
    { input: l4Check(riskEngine, atTrades), extraDomains: { rogue: ROGUE_DOMAIN }, allow: true, reason: "allowed by risk#2" },
    { input: httpCheck(orderApi, atRiskEngine, "GET", "/limits/today", riskHost), extraDomains: { rogue: ROGUE_DOMAIN }, allow: true },
  ],
};
