# opa test cases for authz.rego. Run: opa test components/compile/opa/rego -v
#
# The `mesh` literal below is the compiled data (data.ztmesh) of zone z1 of the mesh in
# test/compile/opa/rego-spec.ts; test/compile/opa/rego.test.ts checks it still equals the
# compiler's output, and test/compile/opa/decide.test.ts runs the same cases through decide().
package envoy.authz_test

import rego.v1

import data.envoy.authz

gateway := "spiffe://mesh.test/ns/ztmesh-system/sa/gateway"

order_api := "spiffe://mesh.test/ns/trading/sa/order-api"

matching := "spiffe://mesh.test/ns/trading/sa/matching"

risk_engine := "spiffe://mesh.test/ns/risk/sa/risk-engine"

trades_proxy := "spiffe://mesh.test/ns/trading/sa/trades-proxy"

customer_risk_proxy := "spiffe://mesh.test/ns/risk/sa/customer-risk-proxy"

matching_host := "matching.trading.svc.cluster.local:9090"

risk_host := "risk-engine.risk.svc.cluster.local:8080"

# An HTTP check at a gateway.
http_check(src, m, p, h) := {"attributes": {
	"source": {"principal": src},
	"destination": {"principal": gateway},
	"request": {"http": {"method": m, "path": p, "host": h}},
}}

# An HTTP check at a data proxy.
proxy_http_check(src, proxy, m) := {"attributes": {
	"source": {"principal": src},
	"destination": {"principal": proxy},
	"request": {"http": {"method": m, "path": "/", "host": "store"}},
}}

# An L4 (network ext_authz) check at a data proxy: no HTTP attributes.
l4_check(src, proxy) := {"attributes": {
	"source": {"principal": src},
	"destination": {"principal": proxy},
}}

allowed(check) if authz.allow with input as check with data.ztmesh as mesh

reason_of(check) := r if {
	r := authz.reason with input as check with data.ztmesh as mesh
}

# ---- Calls through a gateway ---------------------------------------------------------------

test_allowed_call if {
	allowed(http_check(order_api, "POST", "/orders/42", matching_host))
	reason_of(http_check(order_api, "POST", "/orders/42", matching_host)) == "allowed by trading#0"
}

test_host_without_port_any_case_trailing_dot if {
	allowed(http_check(order_api, "GET", "/orders", "Matching.Trading.svc.cluster.local."))
}

test_wrong_method if {
	not allowed(http_check(order_api, "DELETE", "/orders/42", matching_host))
	reason_of(http_check(order_api, "DELETE", "/orders/42", matching_host)) == "no intent allows this request"
}

test_wrong_path_prefix if {
	not allowed(http_check(order_api, "POST", "/trades/42", matching_host))
}

test_unknown_source if {
	not allowed(http_check("spiffe://mesh.test/ns/other/sa/intruder", "POST", "/orders/42", matching_host))
}

test_no_peer_certificate if {
	check := {"attributes": {
		"destination": {"principal": gateway},
		"request": {"http": {"method": "POST", "path": "/orders/42", "host": matching_host}},
	}}
	not allowed(check)
	reason_of(check) == "no client certificate: the caller has no SPIFFE ID"
}

test_empty_principal if {
	not allowed(http_check("", "POST", "/orders/42", matching_host))
}

test_unknown_destination if {
	# reporter runs in zone z2: this zone's OPA has no route for it.
	not allowed(http_check(risk_engine, "POST", "/", "reporter.risk.svc.cluster.local"))
	startswith(reason_of(http_check(risk_engine, "POST", "/", "reporter.risk.svc.cluster.local")), "unknown destination")
}

test_reverse_direction_denied if {
	not allowed(http_check(matching, "POST", "/orders", "order-api.trading.svc.cluster.local"))
}

test_deny_rule_overrides_intent if {
	allowed(http_check(order_api, "GET", "/limits/today", risk_host))
	not allowed(http_check(order_api, "GET", "/limits/internal/x", risk_host))
	reason_of(http_check(order_api, "GET", "/limits/internal/x", risk_host)) == "denied by risk#0 (internal limits are risk-only)"
}

test_wildcard_source if {
	allowed(http_check(matching, "GET", "/health", risk_host))
	allowed(http_check("spiffe://mesh.test/ns/any/sa/thing", "GET", "/health", risk_host))
	reason_of(http_check(matching, "GET", "/health", risk_host)) == "allowed by risk#1"
}

test_wildcard_source_outside_trust_domain if {
	not allowed(http_check("spiffe://evil.test/ns/any/sa/thing", "GET", "/health", risk_host))
}

test_global_deny if {
	not allowed(http_check(matching, "GET", "/admin/users", risk_host))
	reason_of(http_check(matching, "GET", "/admin/users", risk_host)) == "denied by global#0 (no admin endpoints through the mesh)"
}

# ---- Data proxies --------------------------------------------------------------------------

test_data_l4_connection if {
	allowed(l4_check(risk_engine, trades_proxy))
	allowed(l4_check(matching, trades_proxy))
	not allowed(l4_check(order_api, trades_proxy))
	not allowed({"attributes": {"destination": {"principal": trades_proxy}}})
}

test_data_read_vs_write if {
	allowed(proxy_http_check(risk_engine, trades_proxy, "GET"))
	not allowed(proxy_http_check(risk_engine, trades_proxy, "PUT"))
	allowed(proxy_http_check(matching, trades_proxy, "PUT"))
}

test_data_deny_takes_away_write if {
	allowed(proxy_http_check(risk_engine, customer_risk_proxy, "GET"))
	not allowed(proxy_http_check(risk_engine, customer_risk_proxy, "PUT"))
	reason_of(proxy_http_check(risk_engine, customer_risk_proxy, "PUT")) == "denied by global#1 (risk data is read-only for consumers)"

	# read remains, so the L4 connection stays allowed
	allowed(l4_check(risk_engine, customer_risk_proxy))

	# matching holds write only, which the rule takes away
	not allowed(l4_check(matching, customer_risk_proxy))
	reason_of(l4_check(matching, customer_risk_proxy)) == "denied by global#1 (risk data is read-only for consumers)"
}

test_proxy_identity_is_not_a_gateway_route if {
	not allowed({"attributes": {
		"source": {"principal": risk_engine},
		"destination": {"principal": gateway},
	}})
}

# ---- Destinations claimed by two domain bundles -------------------------------------------

# A second domain bundle claiming trading's matching host and trades proxy (two domains putting
# workloads of the same name in one namespace), granting them to everyone. Neither bundle owns
# them then: denied with the reason, never an evaluation error (conflicting complete rules).
rogue := {
	"routes": {"matching.trading.svc.cluster.local": "rogue/matching"},
	"proxies": {trades_proxy: "rogue/trades"},
	"allow": {
		"rogue/matching": {"*": [{"intent": "rogue#0", "methods": {"POST": true}, "paths": ["/"]}]},
		"rogue/trades": {"*": [{"intent": "rogue#1", "access": ["read", "write"]}]},
	},
	"deny": {},
}

mesh_with_rogue := object.union(mesh, {"domains": {"rogue": rogue}})

ambiguous_reason := "ambiguous destination: claimed by the bundles of domains rogue, trading (a host or data proxy identity must belong to one domain)"

allowed_with_rogue(check) if authz.allow with input as check with data.ztmesh as mesh_with_rogue

reason_with_rogue(check) := r if {
	r := authz.reason with input as check with data.ztmesh as mesh_with_rogue
}

test_ambiguous_destination if {
	not allowed_with_rogue(http_check(order_api, "POST", "/orders/42", matching_host))
	reason_with_rogue(http_check(order_api, "POST", "/orders/42", matching_host)) == ambiguous_reason
	not allowed_with_rogue(http_check(risk_engine, "POST", "/", matching_host))
	reason_with_rogue(http_check(risk_engine, "POST", "/", matching_host)) == ambiguous_reason
	not allowed_with_rogue(l4_check(risk_engine, trades_proxy))
	reason_with_rogue(l4_check(risk_engine, trades_proxy)) == ambiguous_reason
	allowed_with_rogue(http_check(order_api, "GET", "/limits/today", risk_host))
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
			"routes": {
				"risk-engine.risk.svc.cluster.local": "risk/risk-engine"
			},
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
				}
			}
		},
		"trading": {
			"routes": {
				"matching.trading.svc.cluster.local": "trading/matching",
				"order-api.trading.svc.cluster.local": "trading/order-api"
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
