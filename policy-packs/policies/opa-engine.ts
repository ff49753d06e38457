/**
 * Recognising policy engines by what they run, on any stack: OPA with the Envoy ext_authz
 * plugin. A workload is a policy engine when one of its containers
 * - runs the OPA-Envoy image (`openpolicyagent/opa` with an `envoy` tag such as `1.4.2-envoy`,
 *   or `opa-envoy-plugin`; any registry, mirror path or digest), or
 * - names the plugin (`envoy_ext_authz_grpc`, formerly `envoy.ext_authz.grpc`) on its command
 *   line (`--set plugins.envoy_ext_authz_grpc.addr=...`), or
 * - mounts a ConfigMap or Secret holding an OPA config that enables the plugin.
 * Labels play no part: a ztmesh label never makes a workload an engine, and its absence never
 * exempts one. The same reader gives an engine's effective config: the file its `--config-file`
 * names (traced through its volume mounts to the ConfigMap/Secret key) with its `--set` overrides.
 */
import type { PolicyResource } from "@pulumi/policy";
import { ContentCache } from "./content-cache";
import { k8sName } from "./conventions";
import { asRecord, mayContain, parseDocument } from "./util";
import { commandLine, type ConfigIndex, type ConfigSource, configMounts, containersOf, kindOf, type MountedFile, optionValues, parseImage, podSpecOf, resolveFile } from "./workloads";

type Obj = Record<string, unknown>;

/** The plugin's names in `plugins` (the second is its pre-0.2x spelling, still accepted). */
export const EXT_AUTHZ_PLUGINS = ["envoy_ext_authz_grpc", "envoy.ext_authz.grpc"] as const;

/** True for an OPA-Envoy image: `…/opa:<tag with envoy>` or `…/opa-envoy-plugin[:tag]`, any registry or digest. */
export function isOpaEnvoyImage(image: string): boolean {
  const { segments, tag } = parseImage(image);
  const last = segments[segments.length - 1] ?? "";
  if (last === "opa-envoy-plugin" || last === "opa-envoy") return true;
  return last === "opa" && tag !== undefined && /(^|-)envoy(-|$)/i.test(tag);
}

/** The ext_authz plugin's settings in an OPA config, or undefined when the config does not enable it. */
export function extAuthzPlugin(config: unknown): Obj | undefined {
  const plugins = asRecord(asRecord(config)?.plugins);
  for (const name of EXT_AUTHZ_PLUGINS) {
    const p = plugins?.[name];
    if (p !== undefined && p !== null) return asRecord(p) ?? {};
  }
  return undefined;
}

const parsed = new ContentCache<unknown>(8 * 1024 * 1024);

/** Parses a YAML/JSON text once per distinct content; undefined when it does not parse. */
export function parseText(text: string): unknown {
  return parsed.get(text, () => {
    try {
      return parseDocument(text);
    } catch {
      return undefined;
    }
  });
}

/** What an OPA container's command line says about its config. */
export interface OpaCommand {
  /** `--config-file`/`-c` values, in order (the last wins). */
  configFiles: string[];
  /** `--set` values (`path=value[,path=value]`). */
  sets: string[];
  /** `--skip-verify`: bundle signatures are not verified. */
  skipVerify: boolean;
  /** The command line names the ext_authz plugin. */
  namesPlugin: boolean;
}

/** Reads an OPA container's command line. */
export function opaCommand(container: Obj): OpaCommand {
  const argv = commandLine(container);
  return {
    configFiles: optionValues(argv, ["--config-file", "-c"]),
    sets: optionValues(argv, ["--set"]),
    skipVerify: argv.some((a) => a === "--skip-verify" || a === "--skip-verify=true"),
    namesPlugin: argv.some((a) => EXT_AUTHZ_PLUGINS.some((n) => a.includes(n))),
  };
}

function scalar(v: string): unknown {
  if (v === "true") return true;
  if (v === "false") return false;
  if (v === "null") return null;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return v;
}

/** A config with OPA's `--set path=value` overrides applied (dotted paths, comma-separated pairs), as OPA applies them. */
export function applySets(config: unknown, sets: string[]): unknown {
  if (sets.length === 0) return config;
  const out = (JSON.parse(JSON.stringify(asRecord(config) ?? {})) ?? {}) as Obj;
  for (const set of sets) {
    for (const pair of set.split(",")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const path = pair.slice(0, eq).split(".");
      let node = out;
      for (const part of path.slice(0, -1)) {
        const next = asRecord(node[part]);
        node = next ?? (node[part] = {});
      }
      node[path[path.length - 1]] = scalar(pair.slice(eq + 1));
    }
  }
  return out;
}

/** A policy engine workload and its engine containers. */
export interface EngineView {
  resource: PolicyResource;
  kind: string;
  name: string;
  podSpec: Obj | undefined;
  containers: Obj[];
}

/** True when a text is an OPA config that enables the ext_authz plugin (texts naming neither plugin name are not parsed). */
export function enablesPlugin(text: string): boolean {
  return mayContain(text, EXT_AUTHZ_PLUGINS) && extAuthzPlugin(parseText(text)) !== undefined;
}

/** True when a ConfigMap/Secret source a workload mounts holds an OPA config enabling the plugin. */
function mountsPluginConfig(workload: PolicyResource, source: ConfigSource, configs: ConfigIndex | undefined): boolean {
  const texts = configs?.texts(workload, source) ?? {};
  return Object.values(texts).some(enablesPlugin);
}

/** The engine containers of a workload (empty: not a policy engine). `configs` lets mounted configs count. */
export function engineContainers(workload: PolicyResource, configs?: ConfigIndex): Obj[] {
  const podSpec = podSpecOf(workload.type, workload.props);
  return containersOf(podSpec).filter((c) => {
    if (typeof c.image === "string" && isOpaEnvoyImage(c.image)) return true;
    if (opaCommand(c).namesPlugin) return true;
    return configMounts(podSpec, c).some((m) => mountsPluginConfig(workload, m.source, configs));
  });
}

/** The workload as a policy engine, or undefined when it runs no OPA-Envoy. */
export function engineView(workload: PolicyResource, configs?: ConfigIndex): EngineView | undefined {
  const containers = engineContainers(workload, configs);
  if (containers.length === 0) return undefined;
  return {
    resource: workload,
    kind: kindOf(workload.type),
    name: k8sName(workload.props) ?? workload.name,
    podSpec: podSpecOf(workload.type, workload.props),
    containers,
  };
}

/** An engine container's effective OPA config, where it came from, and why it could not be read. */
export interface EffectiveConfig {
  config: unknown;
  /** The ConfigMap/Secret key the config file comes from, when traced. */
  file?: MountedFile;
  /** Why the config file could not be verified (it is not in the stack, or not a mounted ConfigMap/Secret). */
  unverifiable?: string;
}

/** The config an engine container runs with: its `--config-file` (traced to the stack's ConfigMap/Secret) plus `--set` overrides. */
export function effectiveConfig(engine: EngineView, container: Obj, configs: ConfigIndex): EffectiveConfig {
  const cmd = opaCommand(container);
  const path = cmd.configFiles[cmd.configFiles.length - 1];
  if (path === undefined) return { config: applySets({}, cmd.sets) };
  const file = resolveFile(engine.podSpec, container, path);
  if (!file) return { config: undefined, unverifiable: `loads ${path}, which no ConfigMap or Secret it mounts provides` };
  const texts = configs.texts(engine.resource, file.source);
  if (texts === undefined) return { config: undefined, file, unverifiable: `loads ${path} from ${file.source.kind} "${file.source.name}", which is not in this stack` };
  const text = texts[file.key];
  if (text === undefined) return { config: undefined, file, unverifiable: `loads ${path} from ${file.source.kind} "${file.source.name}", which has no key "${file.key}"` };
  return { config: applySets(parseText(text), cmd.sets), file };
}
