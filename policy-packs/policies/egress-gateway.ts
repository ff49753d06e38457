/**
 * Recognising the mesh's egress gateway by what it is, on any stack: a workload whose every
 * container (init containers too: they share the pod's network) runs Envoy, and whose Envoy loads
 * (`--config-path`/`-c`, traced through its mounts to a ConfigMap or Secret of the stack) a
 * bootstrap that is an egress allowlist: it forwards to destinations each request names (HTTP
 * CONNECT tunnels or a dynamic forward proxy), and every listener reachable from outside the pod
 * terminates mTLS from mesh workloads (`require_client_certificate: true`) and forwards only after
 * ext_authz, failing closed. Such a pod only lets out what the policy engine allows for the
 * request's destination, so it is the one workload a NetworkPolicy may open to the internet.
 *
 * Why per-request destinations: a proxy whose upstreams are fixed in its config (a data proxy in
 * front of its store, a gateway routing to known clusters) also checks ext_authz, but its
 * destinations are known at deploy time, so its NetworkPolicy can and must name them; only the
 * proxy whose job is reaching destinations chosen at request time needs the open internet.
 * Labels play no part.
 */
import type { PolicyResource } from "@pulumi/policy";
import { type EnvoyView, envoyOfData, filtersBeforeTerminal, typedConfig } from "./envoy-config";
import { disablesExtAuthz, routeOverrides } from "./envoy-routes";
import { asRecord, bool, field, str } from "./util";
import { commandLine, type ConfigIndex, containersOf, optionValues, parseImage, podSpecOf, resolveFile } from "./workloads";

/** True for an Envoy image (`envoyproxy/envoy`, `envoy-contrib`, `envoy-distroless`, any registry, tag or digest). */
export function isEnvoyImage(image: string): boolean {
  const { segments } = parseImage(image);
  return /^envoy(-[a-z0-9]+)?$/.test(segments[segments.length - 1] ?? "");
}

/** Why an Envoy config is not an egress allowlist (empty: it is one). */
export function egressAllowlistProblems(view: EnvoyView): string[] {
  if (view.serverListeners) return ["its listeners come from a management server"];
  if (!view.perRequestDestinations) return ["it forwards only to upstreams fixed in its config (no CONNECT tunnel or dynamic forward proxy); name them in the NetworkPolicy"];
  const outer = view.chains.filter((c) => c.exempt !== "loopback");
  if (outer.length === 0) return ["it has no listener reachable from outside its pod"];
  const problems: string[] = [];
  for (const c of outer) {
    if (c.exempt === "passthrough") problems.push(`${c.label} passes TLS through without terminating it`);
    else if (!c.tls || bool(field(c.tls, "require_client_certificate", "requireClientCertificate")) !== true) problems.push(`${c.label} does not require client certificates`);
    const authz = filtersBeforeTerminal(c, ["httpExtAuthz", "netExtAuthz"]);
    if (authz.length === 0) problems.push(`${c.label} forwards without ext_authz`);
    else if (authz.some((f) => bool(field(typedConfig(f), "failure_mode_allow", "failureModeAllow")) === true)) problems.push(`${c.label} ext_authz fails open`);
    const offRoutes = authz.flatMap((f) => routeOverrides(c, str(asRecord(f)?.name) ?? "").filter((o) => disablesExtAuthz(o.config)));
    if (offRoutes.length > 0) problems.push(`${c.label} turns ext_authz off for ${offRoutes[0].where}`);
  }
  return problems;
}

/**
 * Why a workload is not the mesh's egress gateway (empty: it is one). `configs` finds the
 * bootstrap each Envoy container loads.
 */
export function egressGatewayProblems(workload: PolicyResource, configs: ConfigIndex): string[] {
  const podSpec = podSpecOf(workload.type, workload.props);
  const containers = containersOf(podSpec, true);
  if (containers.length === 0) return ["it runs no container"];
  const problems: string[] = [];
  for (const c of containers) {
    const name = str(c.name) ?? "?";
    if (typeof c.image !== "string" || !isEnvoyImage(c.image)) {
      problems.push(`container "${name}" does not run Envoy`);
      continue;
    }
    const argv = commandLine(c);
    if (optionValues(argv, ["--config-yaml"]).length > 0) {
      problems.push(`container "${name}" overrides its bootstrap with --config-yaml`);
      continue;
    }
    const path = optionValues(argv, ["--config-path", "-c"]).pop();
    const file = path === undefined ? undefined : resolveFile(podSpec, c, path);
    const text = file && configs.texts(workload, file.source)?.[file.key];
    const view = text === undefined || file === undefined ? undefined : envoyOfData({ [file.key]: text });
    if (!view) {
      problems.push(`container "${name}" loads no Envoy bootstrap from a ConfigMap or Secret of this stack`);
      continue;
    }
    problems.push(...egressAllowlistProblems(view).map((p) => `container "${name}": ${p}`));
  }
  return problems;
}
