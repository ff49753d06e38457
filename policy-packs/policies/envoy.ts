/**
 * Envoy configs, recognised by what they are: an Envoy bootstrap (or listener discovery file) in
 * any key of any ConfigMap or Secret, YAML or JSON, labelled or not. Every listener filter chain
 * requires mTLS, runs ext_authz (fail closed) and RBAC (ALLOW rules) before its router/tcp_proxy,
 * and accepts TLS 1.2+. Two kinds of chain are no enforcement points and are not judged
 * ({@link enforcingChains}): a listener bound only to loopback is reached from inside its pod (the
 * in-pod app -> sidecar hop); a TLS passthrough chain (SNI-routed, never terminated) leaves mTLS,
 * ext_authz and RBAC to the destination it forwards to.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { type ChainView, enforcingChains, envoyOfData, filtersAnywhere, filtersBeforeTerminal, minimumTlsOf, TLS_VERSIONS, typedConfig } from "./envoy-config";
import { TYPES } from "./types";
import { disablesExtAuthz, disablesRbac, routeOverrides } from "./envoy-routes";
import { asRecord, bool, configWithDefaults, field, str } from "./util";
import { configTexts, kindOf } from "./workloads";

/** The filter chains of the Envoy configs a ConfigMap or Secret holds, or undefined when it holds none. */
function envoyChains(args: ResourceValidationArgs, reportViolation: ReportViolation, reportServer: boolean): ChainView[] | undefined {
  if (args.type !== TYPES.k8sConfigMap && args.type !== TYPES.k8sSecret) return undefined;
  const view = envoyOfData(configTexts(args.type, args.props));
  if (!view) return undefined;
  if (view.serverListeners && reportServer) {
    reportViolation(
      `Envoy bootstrap in this ${kindOf(args.type)} takes its listeners from a management server (dynamic_resources.lds_config); the pack cannot verify their mTLS, ext_authz and RBAC. Declare the listeners statically or in a listener file in a ConfigMap.`,
    );
  }
  return enforcingChains(view.chains);
}

/** Envoy configs live in ConfigMaps and Secrets (two types, so no single-type tag for the host). */
function ofConfigTypes(validate: (args: ResourceValidationArgs, reportViolation: ReportViolation) => void): ResourceValidationPolicy["validateResource"] {
  return (args, reportViolation) => (args.type === TYPES.k8sConfigMap || args.type === TYPES.k8sSecret ? validate(args, reportViolation) : undefined);
}

/** Every listener filter chain terminates TLS and requires a client certificate (loopback listeners and TLS passthrough excepted). */
export const envoyMtlsRequired: ResourceValidationPolicy = {
  name: "envoy-mtls-required",
  description:
    "Every listener filter chain of an Envoy config (a bootstrap in any ConfigMap or Secret) terminates TLS with a DownstreamTlsContext that has `require_client_certificate: true`: no peer without a workload certificate gets in. Listeners bound only to loopback (in-pod) and TLS passthrough chains (SNI-routed, never terminated: the destination authenticates) are no enforcement points and are not judged (by any Envoy policy). Listeners served by a management server cannot be verified and fail.",
  enforcementLevel: "mandatory",
  validateResource: ofConfigTypes((args, reportViolation) => {
    for (const chain of envoyChains(args, reportViolation, true) ?? []) {
      if (!chain.tls) reportViolation(`Envoy ${chain.label} does not terminate TLS (no DownstreamTlsContext transport socket); require mTLS.`);
      else if (bool(field(chain.tls, "require_client_certificate", "requireClientCertificate")) !== true) {
        reportViolation(`Envoy ${chain.label} does not set require_client_certificate: true; clients without a certificate are accepted.`);
      }
    }
  }),
};

/** ext_authz runs before the terminal filter and fails closed. */
export const envoyExtAuthzFailClosed: ResourceValidationPolicy = {
  name: "envoy-ext-authz-fail-closed",
  description:
    "Every listener filter chain of an Envoy config (a bootstrap in any ConfigMap or Secret) runs ext_authz (HTTP or network) before the router/tcp_proxy, with `failure_mode_allow` not true and not turned off per route (`typed_per_filter_config`): no request passes without a policy decision. Loopback listeners and TLS passthrough chains are not judged (the destination decides).",
  enforcementLevel: "mandatory",
  validateResource: ofConfigTypes((args, reportViolation) => {
    for (const chain of envoyChains(args, reportViolation, false) ?? []) {
      const before = filtersBeforeTerminal(chain, ["httpExtAuthz", "netExtAuthz"]);
      if (before.length === 0) {
        const after = filtersAnywhere(chain, ["httpExtAuthz", "netExtAuthz"]).length > 0;
        reportViolation(
          after
            ? `Envoy ${chain.label} runs ext_authz after the router/tcp_proxy, where it never sees a request; put it before.`
            : `Envoy ${chain.label} has no ext_authz filter before the router/tcp_proxy; requests are not authorized by the policy engine.`,
        );
      }
      for (const f of before) {
        if (bool(field(typedConfig(f), "failure_mode_allow", "failureModeAllow")) === true) {
          reportViolation(`Envoy ${chain.label} ext_authz has failure_mode_allow: true; requests pass when the policy engine is unreachable.`);
        }
        const name = str(asRecord(f)?.name);
        for (const o of name === undefined ? [] : routeOverrides(chain, name)) {
          if (disablesExtAuthz(o.config)) reportViolation(`Envoy ${chain.label} turns ext_authz off for ${o.where} (typed_per_filter_config); requests there pass without a policy decision.`);
        }
      }
    }
  }),
};

/** RBAC enforces ALLOW rules (deny by default) before the terminal filter. */
export const envoyRbacDefaultDeny: ResourceValidationPolicy = {
  name: "envoy-rbac-default-deny",
  description:
    "Every listener filter chain of an Envoy config (a bootstrap in any ConfigMap or Secret) runs an RBAC filter (HTTP or network) before the router/tcp_proxy with `rules` present and action ALLOW, not turned off per route: what no policy names is denied. Absent `rules` (or only `shadow_rules`) enforce nothing; a DENY list allows everything else. Loopback listeners and TLS passthrough chains are not judged (the destination decides).",
  enforcementLevel: "mandatory",
  validateResource: ofConfigTypes((args, reportViolation) => {
    for (const chain of envoyChains(args, reportViolation, false) ?? []) {
      const rbac = filtersBeforeTerminal(chain, ["httpRbac", "netRbac"]);
      if (rbac.length === 0) {
        reportViolation(`Envoy ${chain.label} has no RBAC filter before the router/tcp_proxy; nothing restricts which principals are allowed.`);
        continue;
      }
      const enforcing = rbac.filter((f) => {
        const rules = asRecord(typedConfig(f).rules);
        const action = rules?.action ?? "ALLOW";
        return rules !== undefined && (action === "ALLOW" || action === 0);
      });
      for (const f of enforcing) {
        const name = str(asRecord(f)?.name);
        for (const o of name === undefined ? [] : routeOverrides(chain, name)) {
          if (disablesRbac(o.config)) reportViolation(`Envoy ${chain.label} turns RBAC off for ${o.where} (typed_per_filter_config); requests there are not restricted to allowed principals.`);
        }
      }
      if (enforcing.length === 0) {
        const cfg = typedConfig(rbac[0]);
        const rules = asRecord(cfg.rules);
        if (rules === undefined) {
          const shadow = field(cfg, "shadow_rules", "shadowRules") !== undefined;
          reportViolation(`Envoy ${chain.label} RBAC has no \`rules\`${shadow ? " (only shadow_rules, a dry run)" : ""}; it enforces nothing.`);
        } else {
          reportViolation(`Envoy ${chain.label} RBAC rules use action ${JSON.stringify(rules.action)}; use ALLOW so unlisted principals are denied.`);
        }
      }
    }
  }),
};

/** Downstream TLS accepts no version below the configured minimum. */
export const envoyMinimumTls: ResourceValidationPolicy = {
  name: "envoy-minimum-tls-version",
  description:
    "Every DownstreamTlsContext of an Envoy config (a bootstrap in any ConfigMap or Secret) has `tls_params.tls_minimum_protocol_version` at least `minimumTlsVersion` (default TLSv1_2). Unset (or TLS_AUTO) counts as TLSv1_2, Envoy's default for servers.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minimumTlsVersion: { type: "string", enum: ["TLSv1_2", "TLSv1_3"], default: "TLSv1_2", description: "Lowest TLS version a listener may accept." },
    },
  },
  validateResource: ofConfigTypes((args, reportViolation) => {
    const chains = envoyChains(args, reportViolation, false);
    if (!chains) return;
    const { minimumTlsVersion } = configWithDefaults(args.getConfig<{ minimumTlsVersion: string }>(), { minimumTlsVersion: "TLSv1_2" });
    const wanted = TLS_VERSIONS.indexOf(minimumTlsVersion as (typeof TLS_VERSIONS)[number]);
    const min = wanted < 0 ? TLS_VERSIONS.indexOf("TLSv1_2") : wanted;
    for (const chain of chains) {
      if (!chain.tls) continue;
      const actual = minimumTlsOf(chain.tls);
      const rank = TLS_VERSIONS.indexOf(actual as (typeof TLS_VERSIONS)[number]);
      if (rank < min) reportViolation(`Envoy ${chain.label} accepts TLS from ${actual}; the minimum is ${TLS_VERSIONS[min]}.`);
    }
  }),
};
