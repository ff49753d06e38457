/**
 * Recognising the mesh's egress gateway by what it is, on any stack: a workload whose every
 * container (init containers too: they share the pod's network) runs Envoy, and whose Envoy loads
 * (`--config-path`/`-c`, traced through its mounts to a ConfigMap or Secret of the stack) a
 * bootstrap that is an egress allowlist: every listener reachable from outside the pod terminates
 * mTLS from mesh workloads (`require_client_certificate: true`) and forwards only after ext_authz
 * that fails closed (and is not turned off for any route). Such a pod lets out only what its
 * upstreams name and the policy engine allows per connection, so it may be opened to the internet.
 * By this meaning a data proxy in front of a store outside the cluster is one too (an allowlist of
 * one upstream). Labels play no part.
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

/** A workload read as an egress gateway: why it is not one (empty: it is), and the ports its Envoy forwards to. */
export interface EgressGatewayView {
  problems: string[];
  upstreamPorts: number[];
}

/** A workload read as an egress gateway. `configs` finds the bootstrap each Envoy container loads. */
export function egressGateway(workload: PolicyResource, configs: ConfigIndex): EgressGatewayView {
  const podSpec = podSpecOf(workload.type, workload.props);
  const containers = containersOf(podSpec, true);
  if (containers.length === 0) return { problems: ["it runs no container"], upstreamPorts: [] };
  const problems: string[] = [];
  const ports = new Set<number>();
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
    for (const p of view.upstreamPorts) ports.add(p);
  }
  return { problems, upstreamPorts: [...ports].sort((a, b) => a - b) };
}
