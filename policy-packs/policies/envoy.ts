/** Mesh gateways and data proxies (Envoy configs in ConfigMaps labelled `ztmesh.io/role: envoy`): mTLS, ext_authz, RBAC, TLS 1.2+. */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { ROLES, hasRole } from "./conventions";
import { type ChainView, chainsOfData, enforcingChains, filtersAnywhere, filtersBeforeTerminal, minimumTlsOf, TLS_VERSIONS, typedConfig } from "./envoy-config";
import { ofType, TYPES } from "./types";
import { asRecord, bool, configWithDefaults, field, stringMap } from "./util";

/** The filter chains of an envoy ConfigMap, or undefined when the resource is not one. */
function envoyChains(args: ResourceValidationArgs, reportViolation: ReportViolation, reportEmpty: boolean): ChainView[] | undefined {
  if (args.type !== TYPES.k8sConfigMap || !hasRole(args.props, ROLES.envoy)) return undefined;
  const all = chainsOfData(stringMap(args.props.data));
  if (all.length === 0 && reportEmpty) reportViolation("Envoy ConfigMap has no listener with filter chains in its data (expected an Envoy bootstrap in YAML or JSON).");
  return enforcingChains(all);
}

/** Every listener filter chain terminates TLS and requires a client certificate. */
export const envoyMtlsRequired: ResourceValidationPolicy = {
  name: "envoy-mtls-required",
  description:
    "Every listener filter chain of a mesh Envoy config terminates TLS with a DownstreamTlsContext that has `require_client_certificate: true`: no peer without a workload certificate gets in.",
  enforcementLevel: "mandatory",
  validateResource: ofType(TYPES.k8sConfigMap, (args, reportViolation) => {
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
    "Every listener filter chain of a mesh Envoy config runs ext_authz (HTTP or network) before the router/tcp_proxy, with `failure_mode_allow` not true: no request passes without a policy decision.",
  enforcementLevel: "mandatory",
  validateResource: ofType(TYPES.k8sConfigMap, (args, reportViolation) => {
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
      }
    }
  }),
};

/** RBAC enforces ALLOW rules (deny by default) before the terminal filter. */
export const envoyRbacDefaultDeny: ResourceValidationPolicy = {
  name: "envoy-rbac-default-deny",
  description:
    "Every listener filter chain of a mesh Envoy config runs an RBAC filter (HTTP or network) before the router/tcp_proxy with `rules` present and action ALLOW: what no policy names is denied. Absent `rules` (or only `shadow_rules`) enforce nothing; a DENY list allows everything else.",
  enforcementLevel: "mandatory",
  validateResource: ofType(TYPES.k8sConfigMap, (args, reportViolation) => {
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
    "Every DownstreamTlsContext of a mesh Envoy config has `tls_params.tls_minimum_protocol_version` at least `minimumTlsVersion` (default TLSv1_2). Unset (or TLS_AUTO) counts as TLSv1_2, Envoy's default for servers.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minimumTlsVersion: { type: "string", enum: ["TLSv1_2", "TLSv1_3"], default: "TLSv1_2", description: "Lowest TLS version a listener may accept." },
    },
  },
  validateResource: ofType(TYPES.k8sConfigMap, (args, reportViolation) => {
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
