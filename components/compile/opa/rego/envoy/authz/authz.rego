# ztmesh: the Envoy ext_authz decision, queried by the OPA-Envoy plugin at envoy/authz/allow.
#
# Deny by default. A request is allowed only if an intent allows it (`intent_allows`) AND no
# deny rule, global or domain, matches it (`denied`): deny overrides allow.
#
# Input: the Envoy CheckRequest as the OPA-Envoy plugin presents it.
#   input.attributes.source.principal       caller's SPIFFE ID (URI SAN of its client
#                                           certificate); absent without a certificate
#   input.attributes.destination.principal  the receiving Envoy's own SPIFFE ID
#   input.attributes.destination.labels     the enforcement point's node metadata `ztmesh`
#                                           (ext_authz bootstrap_metadata_labels_key):
#                                           {domain, workload} of the destination it guards
#   input.attributes.request.http.{method, path, host}   HTTP checks only
#
# Data (compiled by components/compile/opa; one bundle root each, roots never overlap):
#   data.ztmesh.platform            platform bundle: trust_domain, zone, deny
#   data.ztmesh.domains[<domain>]   one bundle per domain: services, proxies, allow, deny
#     services[<SPIFFE ID>]           -> "<domain>/<service>"  (services located in this zone)
#     proxies[<proxy SPIFFE ID>]      -> "<domain>/<product>"  (data products in this zone)
#     allow[<dst key>][<src SPIFFE ID or "*">]  -> [{intent, methods: {M: true}, paths: [...]}]
#                                                 or [{intent, access: ["read", "write"]}]
#     deny[<dst key or "*">][<src SPIFFE ID or "*">] -> [{id, reason, methods, paths, access}]
#     egress[<src SPIFFE ID>][<target id>] -> true   (cloud token endpoints, egress gateway)
#   (platform deny "*" = every destination; domain deny "*" = every destination of the domain)
#
# Lookups are by key, never a scan: the destination's bundle by the domain its enforcement
# point names, the destination by the enforcement point's own SPIFFE ID in that bundle, grants
# and deny rules by (destination, source). Decision time grows neither with the number of
# intents nor with the number of domain bundles. Keeping destinations in the domain bundles
# means adding a service never touches the platform bundle. A bundle only speaks for its own
# domain's destinations: an enforcement point naming another domain finds no destination with
# its identity there, and is denied.
# Grant and deny lists are per (destination, source) pair and hold a handful of entries.
#
# Destinations:
#   * Workload proxies (HTTP): each service's own Envoy, in its pod; the destination principal
#     is the service's SPIFFE ID.
#   * Data proxies: the destination principal is the proxy's identity. With HTTP attributes the
#     access needed is `read` for GET, HEAD, OPTIONS and `write` otherwise. Data proxies are L4
#     (network ext_authz, no HTTP attributes): an L4 connection is allowed when the caller holds
#     at least one access class (read or write) that no matching deny rule takes away; what the
#     connection may then do is limited by the store's own permissions (cloud IAM from intents).
#     Deny rules take away access classes (`access`, derived from their methods at compile
#     time; rules limited to paths other than "/" take none, as an L4 proxy sees no path).
#
# Path prefixes are plain string prefixes (as Envoy's RBAC `prefix` matcher): "/orders" also
# matches "/orders-archive". Enforcement points must normalize paths (HCM normalize_path, merge_slashes).
package envoy.authz

import rego.v1

default allow := false

# ---- Input -------------------------------------------------------------------------------

# The caller's SPIFFE ID; undefined when the caller presented no certificate (or no SPIFFE ID).
source := p if {
	p := input.attributes.source.principal
	is_string(p)
	startswith(p, "spiffe://")
}

destination_principal := input.attributes.destination.principal

# An HTTP check (http ext_authz filter); L4 checks (network ext_authz) carry no request.http.
is_http if input.attributes.request.http.method

method := input.attributes.request.http.method

path := input.attributes.request.http.path

# ---- Destination -------------------------------------------------------------------------

# The destination's domain, as its enforcement point names it.
destination_domain := d if {
	d := input.attributes.destination.labels.domain
	is_string(d)
}

# The destination's domain bundle: its destinations, grants and deny entries live there.
domain_data := data.ztmesh.domains[destination_domain]

# The destination, by the enforcement point's own identity: a data proxy ...
target := {"domain": destination_domain, "key": k, "kind": "data"} if {
	k := domain_data.proxies[destination_principal]
}

# ... or a service's workload proxy.
target := {"domain": destination_domain, "key": k, "kind": "service"} if {
	not domain_data.proxies[destination_principal]
	k := domain_data.services[destination_principal]
}

# ---- Grants (intents) --------------------------------------------------------------------

in_trust_domain if startswith(source, concat("", ["spiffe://", data.ztmesh.platform.trust_domain, "/"]))

# Grants for the caller's exact SPIFFE ID.
grants contains g if {
	some g in domain_data.allow[target.key][source]
}

# Wildcard grants ("*"): every workload of the trust domain.
grants contains g if {
	in_trust_domain
	some g in domain_data.allow[target.key]["*"]
}

service_grant contains g if {
	target.kind == "service"
	some g in grants
	g.methods[method]
	some p in g.paths
	startswith(path, p)
}

read_methods := {"GET", "HEAD", "OPTIONS"}

is_read_method if method in read_methods

needed_access := "read" if {
	is_http
	is_read_method
}

needed_access := "write" if {
	is_http
	not is_read_method
}

granted_access contains a if {
	target.kind == "data"
	some g in grants
	some a in g.access
}

# ---- Deny rules --------------------------------------------------------------------------

deny_destination_keys := {target.key, "*"}

deny_source_keys contains "*"

deny_source_keys contains source

# Global rules (platform bundle).
deny_rules contains r if {
	some k in deny_destination_keys
	some s in deny_source_keys
	some r in data.ztmesh.platform.deny[k][s]
}

# Domain rules (the destination's domain bundle).
deny_rules contains r if {
	some k in deny_destination_keys
	some s in deny_source_keys
	some r in domain_data.deny[k][s]
}

denied_access contains a if {
	target.kind == "data"
	some r in deny_rules
	some a in r.access
}

effective_access := granted_access - denied_access

matched_deny contains r if {
	target.kind == "service"
	some r in deny_rules
	r.methods[method]
	some p in r.paths
	startswith(path, p)
}

matched_deny contains r if {
	target.kind == "data"
	is_http
	some r in deny_rules
	needed_access in r.access
}

# L4: denied when deny rules take away every access class granted.
matched_deny contains r if {
	target.kind == "data"
	not is_http
	count(effective_access) == 0
	some r in deny_rules
	some a in r.access
	a in granted_access
}

# ---- Egress (the zone's egress gateway) ---------------------------------------------------
#
# The egress gateway names no destination domain (`destination.labels.kind == "egress"`); the
# caller's proxy names its own domain and the target in the TLS SNI
# `<domain>.<target>.egress.<trust domain>`, and the grant is looked up by key under that domain
# for the caller's verified SPIFFE ID: a caller naming another domain finds nothing there.

is_egress if input.attributes.destination.labels.kind == "egress"

egress_request := {"domain": parts[0], "target": parts[1]} if {
	is_egress
	parts := split(lower(input.attributes.tls_session.sni), ".")
	count(parts) > 3
	parts[2] == "egress"
	concat(".", array.slice(parts, 3, count(parts))) == data.ztmesh.platform.trust_domain
}

egress_allows if data.ztmesh.domains[egress_request.domain].egress[source][egress_request.target] == true

# ---- The policy engine's own front ---------------------------------------------------------
#
# The Envoy in front of OPA (ext_authz over mTLS) asks once per connection whether the caller may
# ask for decisions at all: any workload of the trust domain (every enforcement point is one).

is_engine_access if input.attributes.destination.labels.kind == "policy-engine"

# ---- Decision ----------------------------------------------------------------------------

intent_allows if {
	target.kind == "service"
	count(service_grant) > 0
}

intent_allows if {
	target.kind == "data"
	is_http
	needed_access in granted_access
}

intent_allows if {
	target.kind == "data"
	not is_http
	count(granted_access) > 0
}

denied if count(matched_deny) > 0

allow if {
	not is_egress
	not is_engine_access
	intent_allows
	not denied
}

allow if {
	is_egress
	egress_allows
}

allow if {
	is_engine_access
	in_trust_domain
}

# Intents that allow the request (for the reason).
allowing contains g.intent if {
	some g in service_grant
}

allowing contains g.intent if {
	target.kind == "data"
	is_http
	some g in grants
	needed_access in g.access
}

allowing contains g.intent if {
	target.kind == "data"
	not is_http
	some g in grants
	some a in g.access
	a in effective_access
}

deny_labels := sort({sprintf("%s (%s)", [r.id, r.reason]) | some r in matched_deny})

# Why: for decision logs (query envoy/authz/result to get it into the logs and Envoy metadata).
default reason := "no intent allows this request"

reason := "no client certificate: the caller has no SPIFFE ID" if {
	not source
} else := "policy engine access for a workload of the trust domain" if {
	is_engine_access
	in_trust_domain
} else := "policy engine access: the caller is not a workload of the trust domain" if {
	is_engine_access
} else := "egress: the TLS SNI names no target (expected <domain>.<target>.egress.<trust domain>)" if {
	is_egress
	not egress_request
} else := sprintf("egress to %s allowed by the object-store intents of domain %s", [egress_request.target, egress_request.domain]) if {
	egress_allows
} else := sprintf("egress to %s: no intent of domain %s lets this workload use it", [egress_request.target, egress_request.domain]) if {
	is_egress
} else := "unknown destination: the enforcement point names no destination domain (ext_authz bootstrap_metadata_labels_key)" if {
	not destination_domain
} else := sprintf("unknown destination: no bundle of domain %s in this zone", [destination_domain]) if {
	not domain_data
} else := sprintf("unknown destination: domain %s has no service or data proxy with identity %s in this zone", [destination_domain, destination_principal]) if {
	not target
} else := sprintf("denied by %s", [concat(", ", deny_labels)]) if {
	intent_allows
	denied
} else := sprintf("allowed by %s", [concat(", ", sort(allowing))]) if {
	allow
}

result := {"allowed": allow, "dynamic_metadata": {"ztmesh_reason": reason}}
