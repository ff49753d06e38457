/**
 * Recognising a mesh's gateways by what they are, on any stack. Both are Envoy-only pods: every
 * container (init containers too: they share the pod's network) runs Envoy, loading
 * (`--config-path`/`-c`, traced through its mounts to a ConfigMap or Secret of the stack, no
 * `--config-yaml` override) a bootstrap whose listeners are all declared there (none from a
 * management server). Listeners bound to loopback only reach the pod itself and do not count.
 * - **Egress gateway**: an egress allowlist. Every other listener terminates mTLS from mesh
 *   workloads (`require_client_certificate: true`) and forwards only after ext_authz that fails
 *   closed (and is not turned off for any route). Such a pod lets out only what its upstreams name
 *   and the policy engine allows per connection, so it may be opened to the internet, on the ports
 *   it forwards to. By this meaning a data proxy in front of a store outside the cluster is one
 *   too (an allowlist of one upstream).
 * - **Ingress gateway**: every other listener chain is either such an enforcement point, or a TLS
 *   passthrough chain that forwards connections unopened to the destination's enforcement point.
 *   Such a pod may be reached from the internet, on the ports it listens on.
 * Labels play no part.
 */
import type { PolicyResource } from "@pulumi/policy";
import { type ChainView, type EnvoyView, envoyOfData, filtersBeforeTerminal, typedConfig } from "./envoy-config";
import { disablesExtAuthz, routeOverrides } from "./envoy-routes";
import { asRecord, bool, field, str } from "./util";
import { commandLine, type ConfigIndex, containersOf, optionValues, parseImage, podSpecOf, resolveFile } from "./workloads";

/** True for an Envoy image (`envoyproxy/envoy`, `envoy-contrib`, `envoy-distroless`, any registry, tag or digest). */
export function isEnvoyImage(image: string): boolean {
  const { segments } = parseImage(image);
  return /^envoy(-[a-z0-9]+)?$/.test(segments[segments.length - 1] ?? "");
}

/** Why a chain is not an enforcement point: mTLS required, ext_authz failing closed before forwarding (empty: it is one). */
function enforcementProblems(c: ChainView): string[] {
  const problems: string[] = [];
  if (!c.tls || bool(field(c.tls, "require_client_certificate", "requireClientCertificate")) !== true) problems.push(`${c.label} does not require client certificates`);
  const authz = filtersBeforeTerminal(c, ["httpExtAuthz", "netExtAuthz"]);
  if (authz.length === 0) problems.push(`${c.label} forwards without ext_authz`);
  else if (authz.some((f) => bool(field(typedConfig(f), "failure_mode_allow", "failureModeAllow")) === true)) problems.push(`${c.label} ext_authz fails open`);
  const offRoutes = authz.flatMap((f) => routeOverrides(c, str(asRecord(f)?.name) ?? "").filter((o) => disablesExtAuthz(o.config)));
  if (offRoutes.length > 0) problems.push(`${c.label} turns ext_authz off for ${offRoutes[0].where}`);
  return problems;
}

/** The chains of listeners reachable from outside the pod, or why there are none to judge. */
function outerChains(view: EnvoyView): ChainView[] | string {
  if (view.serverListeners) return "its listeners come from a management server";
  const outer = view.chains.filter((c) => c.exempt !== "loopback");
  return outer.length === 0 ? "it has no listener reachable from outside its pod" : outer;
}

/** Why an Envoy config is not an egress allowlist (empty: it is one). */
export function egressAllowlistProblems(view: EnvoyView): string[] {
  const outer = outerChains(view);
  if (typeof outer === "string") return [outer];
  return outer.flatMap((c) => (c.exempt === "passthrough" ? [`${c.label} passes TLS through without terminating it`] : enforcementProblems(c)));
}

/** Why an Envoy config is not an ingress gateway's (empty: it is one): every outer chain enforces or passes TLS through. */
export function ingressGatewayProblems(view: EnvoyView): string[] {
  const outer = outerChains(view);
  if (typeof outer === "string") return [outer];
  return outer.flatMap((c) => (c.exempt === "passthrough" ? [] : enforcementProblems(c)));
}

/** A workload read as a gateway: why it is not one (empty: it is), and its ports. */
export interface GatewayView {
  problems: string[];
  /** The ports of the static cluster endpoints its Envoys forward to. */
  upstreamPorts: number[];
  /** The ports its Envoys listen on outside loopback. */
  listenerPorts: number[];
}

/** Reads a workload as a gateway of one kind. `configs` finds the bootstrap each Envoy container loads. */
function gateway(workload: PolicyResource, configs: ConfigIndex, judge: (view: EnvoyView) => string[]): GatewayView {
  const podSpec = podSpecOf(workload.type, workload.props);
  const containers = containersOf(podSpec, true);
  if (containers.length === 0) return { problems: ["it runs no container"], upstreamPorts: [], listenerPorts: [] };
  const problems: string[] = [];
  const upstream = new Set<number>();
  const listening = new Set<number>();
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
    problems.push(...judge(view).map((p) => `container "${name}": ${p}`));
    for (const p of view.upstreamPorts) upstream.add(p);
    for (const ch of view.chains) if (ch.exempt !== "loopback" && ch.port !== undefined) listening.add(ch.port);
  }
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { problems, upstreamPorts: sorted(upstream), listenerPorts: sorted(listening) };
}

/** A workload read as an egress gateway. */
export function egressGateway(workload: PolicyResource, configs: ConfigIndex): GatewayView {
  return gateway(workload, configs, egressAllowlistProblems);
}

/** A workload read as an ingress gateway. */
export function ingressGateway(workload: PolicyResource, configs: ConfigIndex): GatewayView {
  return gateway(workload, configs, ingressGatewayProblems);
}
