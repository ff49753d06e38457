# opa test cases for authz.rego. Run: opa test components/compile/opa/rego -v
#
# The `mesh` literal below is the compiled data (data.ztmesh) of zone z1 of the mesh in
# test/compile/opa/rego-spec.ts; test/compile/opa/rego.test.ts checks it still equals the
# compiler's output, and test/compile/opa/decide.test.ts runs the same cases through decide()
# (test/compile/opa/rego-cases.ts holds them, case for case).
#
# Every check is made at an enforcement point: a service's workload proxy (destination
# principal = the service's SPIFFE ID) or a data proxy (its own SPIFFE ID), which names its
# destination's domain and key in destination.labels (ext_authz bootstrap_metadata_labels_key).
package envoy.authz_test

import rego.v1

import data.envoy.authz

gateway := "spiffe://mesh.test/ns/ztmesh-system/sa/gateway"

order_api := "spiffe://mesh.test/ns/trading/sa/order-api"

matching := "spiffe://mesh.test/ns/trading/sa/matching"

risk_engine := "spiffe://mesh.test/ns/risk/sa/risk-engine"

reporter := "spiffe://mesh.test/ns/risk/sa/reporter"

trades_proxy := "spiffe://mesh.test/ns/trading/sa/trades-proxy"

customer_risk_proxy := "spiffe://mesh.test/ns/risk/sa/customer-risk-proxy"

matching_host := "matching.trading.svc.cluster.local:9090"

risk_host := "risk-engine.risk.svc.cluster.local:8080"

# An enforcement point: its own SPIFFE ID and the labels its ext_authz sends.
at(principal, domain, workload) := {"principal": principal, "labels": {"domain": domain, "workload": workload}}

at_matching := at(matching, "trading", "trading/matching")

at_order_api := at(order_api, "trading", "trading/order-api")

at_risk_engine := at(risk_engine, "risk", "risk/risk-engine")

at_trades := at(trades_proxy, "trading", "trading/trades")

at_customer_risk := at(customer_risk_proxy, "risk", "risk/customer-risk")

# An HTTP check at a workload proxy (or any enforcement point dst).
http_check(src, dst, m, p, h) := {"attributes": {
	"source": {"principal": src},
	"destination": dst,
	"request": {"http": {"method": m, "path": p, "host": h}},
}}

# An HTTP check at a data proxy.
proxy_http_check(src, proxy, m) := {"attributes": {
	"source": {"principal": src},
	"destination": proxy,
	"request": {"http": {"method": m, "path": "/", "host": "store"}},
}}

# An L4 (network ext_authz) check at a data proxy: no HTTP attributes.
l4_check(src, proxy) := {"attributes": {
	"source": {"principal": src},
	"destination": proxy,
}}

allowed(check) if authz.allow with input as check with data.ztmesh as mesh

reason_of(check) := r if {
	r := authz.reason with input as check with data.ztmesh as mesh
}

no_domain_reason := "unknown destination: the enforcement point names no destination domain (ext_authz bootstrap_metadata_labels_key)"

not_in_domain(domain, principal) := sprintf("unknown destination: domain %s has no service or data proxy with identity %s in this zone", [domain, principal])

# ---- Calls at a workload proxy -------------------------------------------------------------

test_allowed_call if {
	allowed(http_check(order_api, at_matching, "POST", "/orders/42", matching_host))
	reason_of(http_check(order_api, at_matching, "POST", "/orders/42", matching_host)) == "allowed by trading#0"
}

test_host_does_not_choose_the_destination if {
	allowed(http_check(order_api, at_matching, "GET", "/orders", "Matching.Trading.svc.cluster.local."))

	# The host names risk-engine, but the check is made at matching's proxy: matching's grants decide.
	not allowed(http_check(order_api, at_matching, "GET", "/limits/today", risk_host))
	reason_of(http_check(order_api, at_matching, "GET", "/limits/today", risk_host)) == "no intent allows this request"
	not allowed(http_check(order_api, at_risk_engine, "POST", "/orders/42", matching_host))
	reason_of(http_check(order_api, at_risk_engine, "POST", "/orders/42", matching_host)) == "no intent allows this request"
}

test_wrong_method if {
	not allowed(http_check(order_api, at_matching, "DELETE", "/orders/42", matching_host))
	reason_of(http_check(order_api, at_matching, "DELETE", "/orders/42", matching_host)) == "no intent allows this request"
}

test_wrong_path_prefix if {
	not allowed(http_check(order_api, at_matching, "POST", "/trades/42", matching_host))
}

test_unknown_source if {
	not allowed(http_check("spiffe://mesh.test/ns/other/sa/intruder", at_matching, "POST", "/orders/42", matching_host))
}

test_no_peer_certificate if {
	check := {"attributes": {
		"destination": at_matching,
		"request": {"http": {"method": "POST", "path": "/orders/42", "host": matching_host}},
	}}
	not allowed(check)
	reason_of(check) == "no client certificate: the caller has no SPIFFE ID"
}

test_empty_principal if {
	not allowed(http_check("", at_matching, "POST", "/orders/42", matching_host))
}

test_unknown_destination if {
	# reporter runs in zone z2: this zone's risk bundle does not list it.
	check := http_check(risk_engine, at(reporter, "risk", "risk/reporter"), "POST", "/", "reporter.risk.svc.cluster.local")
	not allowed(check)
	reason_of(check) == not_in_domain("risk", reporter)
}

test_reverse_direction_denied if {
	not allowed(http_check(matching, at_order_api, "POST", "/orders", "order-api.trading.svc.cluster.local"))
}

test_deny_rule_overrides_intent if {
	allowed(http_check(order_api, at_risk_engine, "GET", "/limits/today", risk_host))
	not allowed(http_check(order_api, at_risk_engine, "GET", "/limits/internal/x", risk_host))
	reason_of(http_check(order_api, at_risk_engine, "GET", "/limits/internal/x", risk_host)) == "denied by risk#0 (internal limits are risk-only)"
}

test_wildcard_source if {
	allowed(http_check(matching, at_risk_engine, "GET", "/health", risk_host))
	allowed(http_check("spiffe://mesh.test/ns/any/sa/thing", at_risk_engine, "GET", "/health", risk_host))
	reason_of(http_check(matching, at_risk_engine, "GET", "/health", risk_host)) == "allowed by risk#1"
}

test_wildcard_source_outside_trust_domain if {
	not allowed(http_check("spiffe://evil.test/ns/any/sa/thing", at_risk_engine, "GET", "/health", risk_host))
}

test_global_deny if {
	not allowed(http_check(matching, at_risk_engine, "GET", "/admin/users", risk_host))
	reason_of(http_check(matching, at_risk_engine, "GET", "/admin/users", risk_host)) == "denied by global#0 (no admin endpoints through the mesh)"
}

# ---- Data proxies --------------------------------------------------------------------------

test_data_l4_connection if {
	allowed(l4_check(risk_engine, at_trades))
	allowed(l4_check(matching, at_trades))
	not allowed(l4_check(order_api, at_trades))
	not allowed({"attributes": {"destination": at_trades}})
}

test_data_read_vs_write if {
	allowed(proxy_http_check(risk_engine, at_trades, "GET"))
	not allowed(proxy_http_check(risk_engine, at_trades, "PUT"))
	allowed(proxy_http_check(matching, at_trades, "PUT"))
}

test_data_deny_takes_away_write if {
	allowed(proxy_http_check(risk_engine, at_customer_risk, "GET"))
	not allowed(proxy_http_check(risk_engine, at_customer_risk, "PUT"))
	reason_of(proxy_http_check(risk_engine, at_customer_risk, "PUT")) == "denied by global#1 (risk data is read-only for consumers)"

	# read remains, so the L4 connection stays allowed
	allowed(l4_check(risk_engine, at_customer_risk))

	# matching holds write only, which the rule takes away
	not allowed(l4_check(matching, at_customer_risk))
	reason_of(l4_check(matching, at_customer_risk)) == "denied by global#1 (risk data is read-only for consumers)"
}

# ---- The egress gateway: grants by the SNI's domain and target, for the caller's identity ---

at_egress := {"principal": "spiffe://mesh.test/ns/ztmesh-system/sa/z1-egress", "labels": {"domain": "", "workload": "egress/z1", "kind": "egress"}}

# A check at the egress gateway: the caller's SVID and the TLS SNI <domain>.<target>.egress.<trust domain>.
egress_check(src, sni) := {"attributes": {
	"source": {"principal": src},
	"destination": at_egress,
	"tls_session": {"sni": sni},
}}

no_target_reason := "egress: the TLS SNI names no target (expected <domain>.<target>.egress.<trust domain>)"

test_egress_token_endpoint if {
	# matching reads trading/archive (S3 in z3): AWS's token endpoints, global and regional.
	allowed(egress_check(matching, "trading.aws-sts.egress.mesh.test"))
	reason_of(egress_check(matching, "trading.aws-sts.egress.mesh.test")) == "egress to aws-sts allowed by the object-store intents of domain trading"
	allowed(egress_check(matching, "Trading.AWS-STS-EU-WEST-1.egress.mesh.test"))
	reason_of(egress_check(matching, "Trading.AWS-STS-EU-WEST-1.egress.mesh.test")) == "egress to aws-sts-eu-west-1 allowed by the object-store intents of domain trading"
	not allowed(egress_check(matching, "trading.gcp-sts.egress.mesh.test"))
	reason_of(egress_check(matching, "trading.gcp-sts.egress.mesh.test")) == "egress to gcp-sts: no intent of domain trading lets this workload use it"
	not allowed(egress_check(order_api, "trading.aws-sts.egress.mesh.test"))
	reason_of(egress_check(order_api, "trading.aws-sts.egress.mesh.test")) == "egress to aws-sts: no intent of domain trading lets this workload use it"
	anonymous := {"attributes": {"destination": at_egress, "tls_session": {"sni": "trading.aws-sts.egress.mesh.test"}}}
	not allowed(anonymous)
	reason_of(anonymous) == "no client certificate: the caller has no SPIFFE ID"
}

test_egress_caller_names_another_domain_or_no_target if {
	# The grant is looked up under the domain the SNI names: another domain's bundle has none for matching.
	not allowed(egress_check(matching, "risk.aws-sts.egress.mesh.test"))
	reason_of(egress_check(matching, "risk.aws-sts.egress.mesh.test")) == "egress to aws-sts: no intent of domain risk lets this workload use it"
	not allowed(egress_check(matching, "nowhere.aws-sts.egress.mesh.test"))
	reason_of(egress_check(matching, "nowhere.aws-sts.egress.mesh.test")) == "egress to aws-sts: no intent of domain nowhere lets this workload use it"
	not allowed(egress_check(matching, "trading.aws-sts.egress.other.test"))
	reason_of(egress_check(matching, "trading.aws-sts.egress.other.test")) == no_target_reason
	not allowed(egress_check(matching, "x.trading.aws-sts.egress.mesh.test"))
	reason_of(egress_check(matching, "x.trading.aws-sts.egress.mesh.test")) == no_target_reason
	not allowed(egress_check(matching, "aws-sts.egress.mesh.test"))
	reason_of(egress_check(matching, "aws-sts.egress.mesh.test")) == no_target_reason
	no_sni := {"attributes": {"source": {"principal": matching}, "destination": at_egress}}
	not allowed(no_sni)
	reason_of(no_sni) == no_target_reason

	# Only the egress gateway decides egress: the same SNI at a workload proxy is an ordinary check there.
	at_proxy := {"attributes": {"source": {"principal": matching}, "destination": at_matching, "tls_session": {"sni": "trading.aws-sts.egress.mesh.test"}}}
	not allowed(at_proxy)
	reason_of(at_proxy) == "no intent allows this request"
}

# ---- The policy engine's front: any workload of the trust domain, once per connection -------

at_engine_front := {"principal": "spiffe://mesh.test/ns/ztmesh-system/sa/z1-policy-engine", "labels": {"domain": "", "workload": "policy-engine/z1", "kind": "policy-engine"}}

engine_check(src) := {"attributes": {"source": {"principal": src}, "destination": at_engine_front}}

test_policy_engine_front_admits_the_trust_domain if {
	allowed(engine_check(order_api))
	reason_of(engine_check(order_api)) == "policy engine access for a workload of the trust domain"
	not allowed(engine_check("spiffe://mesh.test.evil/ns/trading/sa/order-api"))
	reason_of(engine_check("spiffe://mesh.test.evil/ns/trading/sa/order-api")) == "policy engine access: the caller is not a workload of the trust domain"
	not allowed(engine_check("spiffe://other.test/ns/x/sa/y"))
	reason_of(engine_check("spiffe://other.test/ns/x/sa/y")) == "policy engine access: the caller is not a workload of the trust domain"
	anonymous := {"attributes": {"destination": at_engine_front}}
	not allowed(anonymous)
	reason_of(anonymous) == "no client certificate: the caller has no SPIFFE ID"
}

# ---- Finding the destination: by the domain label, then by identity in that bundle ---------

test_gateway_identity_is_no_destination if {
	not allowed(l4_check(risk_engine, at(gateway, "trading", "trading/matching")))
	reason_of(l4_check(risk_engine, at(gateway, "trading", "trading/matching"))) == not_in_domain("trading", gateway)
	check := http_check(order_api, at(gateway, "trading", "trading/matching"), "POST", "/orders/42", matching_host)
	not allowed(check)
	reason_of(check) == not_in_domain("trading", gateway)
}

test_destination_without_domain_label if {
	no_labels := http_check(order_api, {"principal": matching}, "POST", "/orders/42", matching_host)
	not allowed(no_labels)
	reason_of(no_labels) == no_domain_reason
	no_domain := http_check(order_api, {"principal": matching, "labels": {"workload": "trading/matching"}}, "POST", "/orders/42", matching_host)
	not allowed(no_domain)
	reason_of(no_domain) == no_domain_reason
	not allowed(l4_check(risk_engine, {"principal": trades_proxy}))
	reason_of(l4_check(risk_engine, {"principal": trades_proxy})) == no_domain_reason
}

test_destination_of_unknown_domain if {
	check := http_check(order_api, at(matching, "nowhere", "nowhere/matching"), "POST", "/orders/42", matching_host)
	not allowed(check)
	reason_of(check) == "unknown destination: no bundle of domain nowhere in this zone"
}

test_label_naming_another_domain if {
	# matching's identity is in trading's bundle only: risk's bundle does not speak for it.
	call := http_check(order_api, at(matching, "risk", "risk/matching"), "POST", "/orders/42", matching_host)
	not allowed(call)
	reason_of(call) == not_in_domain("risk", matching)
	not allowed(l4_check(risk_engine, at(trades_proxy, "risk", "risk/trades")))
	reason_of(l4_check(risk_engine, at(trades_proxy, "risk", "risk/trades"))) == not_in_domain("risk", trades_proxy)

	# risk-engine's grant to order-api does not follow a risk label onto matching's identity.
	limits := http_check(order_api, at(matching, "risk", "risk/risk-engine"), "GET", "/limits/today", risk_host)
	not allowed(limits)
	reason_of(limits) == not_in_domain("risk", matching)
}

# A second domain bundle claiming trading's matching and trades identities and granting them to
# everyone: enforcement points labelled trading never consult it.
rogue := {
	"services": {matching: "rogue/matching"},
	"proxies": {trades_proxy: "rogue/trades"},
	"allow": {
		"rogue/matching": {"*": [{"intent": "rogue#0", "methods": {"POST": true}, "paths": ["/"]}]},
		"rogue/trades": {"*": [{"intent": "rogue#1", "access": ["read", "write"]}]},
	},
	"deny": {},
	"egress": {},
}

mesh_with_rogue := object.union(mesh, {"domains": {"rogue": rogue}})

allowed_with_rogue(check) if authz.allow with input as check with data.ztmesh as mesh_with_rogue

reason_with_rogue(check) := r if {
	r := authz.reason with input as check with data.ztmesh as mesh_with_rogue
}

test_other_bundles_are_never_consulted if {
	allowed_with_rogue(http_check(order_api, at_matching, "POST", "/orders/42", matching_host))
	reason_with_rogue(http_check(order_api, at_matching, "POST", "/orders/42", matching_host)) == "allowed by trading#0"
	not allowed_with_rogue(http_check(risk_engine, at_matching, "POST", "/", matching_host))
	reason_with_rogue(http_check(risk_engine, at_matching, "POST", "/", matching_host)) == "no intent allows this request"
	not allowed_with_rogue(l4_check(order_api, at_trades))
	reason_with_rogue(l4_check(order_api, at_trades)) == "no intent allows this request"
	allowed_with_rogue(l4_check(risk_engine, at_trades))
	reason_with_rogue(l4_check(risk_engine, at_trades)) == "allowed by risk#2"
	allowed_with_rogue(http_check(order_api, at_risk_engine, "GET", "/limits/today", risk_host))
}

# ---- Compiled data -------------------------------------------------------------------------

# BEGIN compiled data (zone z1 of test/compile/opa/rego-spec.ts)
mesh := {
	"platform": {
		"trust_domain": "mesh.test",
		"zone": {
			"id": "z1",
			"cloud": "onprem",
			"region": "eu-frankfurt-dc1"
		},
		"deny": {
			"*": {
				"*": [
					{
						"id": "global#0",
						"reason": "no admin endpoints through the mesh",
						"methods": {
							"DELETE": true,
							"GET": true,
							"HEAD": true,
							"OPTIONS": true,
							"PATCH": true,
							"POST": true,
							"PUT": true
						},
						"paths": [
							"/admin"
						],
						"access": []
					}
				]
			},
			"risk/customer-risk": {
				"*": [
					{
						"id": "global#1",
						"reason": "risk data is read-only for consumers",
						"methods": {
							"DELETE": true,
							"PATCH": true,
							"POST": true,
							"PUT": true
						},
						"paths": [
							"/"
						],
						"access": [
							"write"
						]
					}
				]
			}
		}
	},
	"domains": {
		"risk": {
			"services": {
				"spiffe://mesh.test/ns/risk/sa/risk-engine": "risk/risk-engine"
			},
			"egress": {},
			"proxies": {
				"spiffe://mesh.test/ns/risk/sa/customer-risk-proxy": "risk/customer-risk"
			},
			"allow": {
				"risk/customer-risk": {
					"spiffe://mesh.test/ns/risk/sa/risk-engine": [
						{
							"intent": "risk#3",
							"access": [
								"read",
								"write"
							]
						}
					],
					"spiffe://mesh.test/ns/trading/sa/matching": [
						{
							"intent": "trading#2",
							"access": [
								"write"
							]
						}
					]
				},
				"risk/risk-engine": {
					"*": [
						{
							"intent": "risk#1",
							"methods": {
								"GET": true
							},
							"paths": [
								"/admin",
								"/health"
							]
						}
					],
					"spiffe://mesh.test/ns/trading/sa/order-api": [
						{
							"intent": "risk#0",
							"methods": {
								"GET": true
							},
							"paths": [
								"/limits"
							]
						}
					]
				}
			},
			"deny": {
				"*": {
					"spiffe://mesh.test/ns/trading/sa/order-api": [
						{
							"id": "risk#0",
							"reason": "internal limits are risk-only",
							"methods": {
								"DELETE": true,
								"GET": true,
								"HEAD": true,
								"OPTIONS": true,
								"PATCH": true,
								"POST": true,
								"PUT": true
							},
							"paths": [
								"/limits/internal"
							],
							"access": []
						}
					]
				},
				"risk/customer-risk": {
					"*": [
						{
							"id": "global#1",
							"reason": "risk data is read-only for consumers",
							"methods": {
								"DELETE": true,
								"PATCH": true,
								"POST": true,
								"PUT": true
							},
							"paths": [
								"/"
							],
							"access": [
								"write"
							]
						}
					]
				}
			}
		},
		"trading": {
			"services": {
				"spiffe://mesh.test/ns/trading/sa/matching": "trading/matching",
				"spiffe://mesh.test/ns/trading/sa/order-api": "trading/order-api"
			},
			"egress": {
				"spiffe://mesh.test/ns/trading/sa/matching": {
					"aws-sts": true,
					"aws-sts-eu-west-1": true
				}
			},
			"proxies": {
				"spiffe://mesh.test/ns/trading/sa/trades-proxy": "trading/trades"
			},
			"allow": {
				"trading/matching": {
					"spiffe://mesh.test/ns/trading/sa/order-api": [
						{
							"intent": "trading#0",
							"methods": {
								"GET": true,
								"POST": true
							},
							"paths": [
								"/orders"
							]
						}
					]
				},
				"trading/trades": {
					"spiffe://mesh.test/ns/risk/sa/risk-engine": [
						{
							"intent": "risk#2",
							"access": [
								"read"
							]
						}
					],
					"spiffe://mesh.test/ns/trading/sa/matching": [
						{
							"intent": "trading#1",
							"access": [
								"read",
								"write"
							]
						}
					]
				}
			},
			"deny": {}
		}
	}
}
# END compiled data
