/**
 * The enforcement filters of one Envoy, evaluated for one connection or request: ext_authz
 * (asks the zone's policy engine through `decide`, the TypeScript twin of the shipped Rego,
 * with the CheckRequest the OPA-Envoy plugin builds) and RBAC (`rulesDecision`, Envoy's RBAC
 * semantics, naming the policy that matched).
 */
import { rulesDecision } from "../compile/envoy/rbac-eval";
import { type CheckInput, decide } from "../compile/opa/decide";
import { clusterEndpoints, findCluster, isObj } from "./envoy";
import { nodeMetadata } from "./snapshot";
import type { Hop, MeshSnapshot, Obj, ProxySnapshot } from "./types";

/** What the filters know about the connection or request. */
export interface FilterContext {
  proxy: ProxySnapshot;
  /** The peer certificate's URI SAN, when this proxy terminated TLS with a client certificate. */
  peer?: string;
  /** The SPIFFE ID this proxy presented to the caller (its own). */
  own?: string;
  /** Local port of the listener. */
  port: number;
  sni?: string;
  http?: { method: string; path: string; authority: string };
}

/** ext_authz (HTTP or network): the zone's policy engine decides. */
export function extAuthzHop(snapshot: MeshSnapshot, filterName: string, cfg: Obj, ctx: FilterContext): Hop {
  const at = ctx.proxy.id;
  const failOpen = cfg["failure_mode_allow"] === true;
  const grpc = isObj(cfg["grpc_service"]) ? cfg["grpc_service"] : {};
  const clusterName = isObj(grpc["envoy_grpc"]) ? String(grpc["envoy_grpc"]["cluster_name"]) : undefined;
  const denied = ctx.http ? "403 Forbidden" : "connection closed";
  const unavailable = (why: string): Hop => ({
    kind: "ext-authz",
    at,
    verdict: failOpen ? "pass" : "stop",
    rule: `${filterName}: ${why}; failure_mode_allow ${failOpen} -> ${failOpen ? "request passes WITHOUT a decision" : `fails closed (${denied})`}`,
  });
  if (clusterName === undefined) return unavailable("no envoy_grpc cluster (HTTP service or Google gRPC not modelled)");
  const cluster = findCluster(ctx.proxy.bootstrap, clusterName);
  if (!cluster) return unavailable(`cluster ${clusterName} is not defined`);
  const endpoint = clusterEndpoints(cluster)[0];
  const zone = snapshot.zones[ctx.proxy.zone];
  if (!zone?.opa) return unavailable(`the policy engine of zone ${ctx.proxy.zone} has no bundles in the artifacts (${zone?.opaNotes.join("; ") || "no engine config or bundle found"}), so it is not ready`);
  const labelsKey = typeof cfg["bootstrap_metadata_labels_key"] === "string" ? cfg["bootstrap_metadata_labels_key"] : undefined;
  const labels = labelsKey ? nodeMetadata(ctx.proxy.bootstrap, labelsKey) : undefined;
  const input: CheckInput = {
    attributes: {
      source: ctx.peer !== undefined ? { principal: ctx.peer } : {},
      destination: { ...(ctx.own !== undefined ? { principal: ctx.own } : {}), ...(labels ? { labels } : {}) },
      ...(ctx.http ? { request: { http: { method: ctx.http.method, path: ctx.http.path, host: ctx.http.authority } } } : {}),
      ...(cfg["include_tls_session"] === true ? { tls_session: ctx.sni !== undefined ? { sni: ctx.sni } : {} } : {}),
    },
  };
  const d = decide(zone.opa.data, input);
  return {
    kind: "ext-authz",
    at,
    verdict: d.allow ? "pass" : "stop",
    rule: `${filterName} -> OPA of zone ${ctx.proxy.zone} (cluster ${clusterName}${endpoint && "host" in endpoint ? ` at ${endpoint.host}:${endpoint.port}` : ""}): ${d.allow ? "allow" : "deny"}, "${d.reason}"${d.allow ? "" : ` (${denied}; decision logged)`}`,
    detail: { zone: ctx.proxy.zone, input, decision: d, bundles: zone.opa.bundles },
  };
}

/** An RBAC filter (HTTP or network). */
export function rbacHop(filterName: string, cfg: Obj, ctx: FilterContext, network: boolean): Hop {
  const req = network
    ? { principal: ctx.peer, port: ctx.port, sni: ctx.sni }
    : { principal: ctx.peer, port: ctx.port, sni: ctx.sni, host: ctx.http?.authority, method: ctx.http?.method, path: ctx.http?.path };
  const d = rulesDecision(cfg["rules"], req);
  const shadow = cfg["shadow_rules"] !== undefined ? " (shadow_rules only log)" : "";
  const who = `${ctx.peer ?? "a caller with no peer certificate"}${network ? "" : ` ${ctx.http?.method} ${ctx.http?.path}`}`;
  let rule: string;
  if (d.action === "none") rule = `${filterName}: no rules: nothing enforced${shadow}`;
  else if (d.action === "ALLOW") rule = d.allowed ? `${filterName} ALLOW: policy "${d.matchedPolicy}" matches ${who}` : `${filterName} ALLOW: no policy matches ${who} (${network ? "connection closed" : "403 RBAC: access denied"})`;
  else if (d.action === "DENY") rule = d.allowed ? `${filterName} DENY: no deny policy matches ${who}` : `${filterName} DENY: policy "${d.matchedPolicy}" matches ${who} (${network ? "connection closed" : "403 RBAC: access denied"})`;
  else rule = `${filterName} LOG: logs only${d.matchedPolicy ? ` (policy "${d.matchedPolicy}" matches)` : ""}`;
  return { kind: "rbac", at: ctx.proxy.id, verdict: d.allowed ? "pass" : "stop", rule: rule + shadow, detail: { ...d, request: req } };
}
