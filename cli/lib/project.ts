/**
 * Reads a Pulumi project (`Pulumi.yaml`) and a stack's config (`Pulumi.<stack>.yaml`)
 * the way the Pulumi CLI does: project config declarations give types and defaults,
 * bare keys belong to the project's namespace, objects are passed as JSON.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { UsageError } from "./errors";

type ConfigType = "string" | "integer" | "boolean" | "array" | "object";

interface ConfigDeclaration {
  type?: ConfigType;
  default?: unknown;
  description?: string;
  secret?: boolean;
}

export interface PulumiProject {
  name: string;
  runtime: string;
  dir: string;
  /** Absolute path of the program's entry point. */
  main: string;
  config: Record<string, ConfigDeclaration>;
}

export interface StackConfig {
  /** `namespace:key` to the value as the runtime expects it (strings; objects as JSON). */
  values: Record<string, string>;
  /** Keys whose values are secrets. */
  secretKeys: string[];
}

function readYaml(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`${what} not found: ${file}`);
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new UsageError(`${what} ${file} is not valid YAML: ${(e as Error).message}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Loads `<dir>/Pulumi.yaml`. */
export function loadProject(dir: string): PulumiProject {
  const abs = path.resolve(dir);
  const file = path.join(abs, "Pulumi.yaml");
  const doc = readYaml(file, "Pulumi project file");
  if (!isRecord(doc) || typeof doc.name !== "string") throw new UsageError(`${file}: "name" is required`);
  const runtime = isRecord(doc.runtime) ? String(doc.runtime.name) : String(doc.runtime);
  if (runtime !== "nodejs") throw new UsageError(`${file}: runtime "${runtime}" is not supported offline (use nodejs)`);
  const mainRel = typeof doc.main === "string" ? doc.main : ".";
  const mainAbs = path.resolve(abs, mainRel);
  const main = fs.existsSync(mainAbs) && fs.statSync(mainAbs).isDirectory() ? path.join(mainAbs, "index.ts") : mainAbs;
  if (!fs.existsSync(main)) throw new UsageError(`${file}: program entry point ${main} does not exist`);
  const config: Record<string, ConfigDeclaration> = {};
  if (isRecord(doc.config)) {
    for (const [k, v] of Object.entries(doc.config)) {
      config[k.includes(":") ? k : `${doc.name}:${k}`] = isRecord(v) ? (v as ConfigDeclaration) : { default: v };
    }
  }
  return { name: doc.name, runtime, dir: abs, main, config };
}

/** Whether a config value (as YAML gives it, or the string a command line gives) is of the declared type. */
function hasType(value: unknown, type: ConfigType | undefined): boolean {
  return (
    !type ||
    (type === "string" && typeof value === "string") ||
    (type === "integer" && (typeof value === "string" ? /^-?\d+$/.test(value) : Number.isInteger(value))) ||
    (type === "boolean" && (typeof value === "boolean" || value === "true" || value === "false")) ||
    (type === "array" && Array.isArray(value)) ||
    (type === "object" && isRecord(value))
  );
}

function checkType(key: string, value: unknown, type: ConfigType | undefined, file: string): void {
  if (!hasType(value, type)) throw new UsageError(`${file}: config "${key}" must be of type ${type}, got ${JSON.stringify(value)}`);
}

/** Loads `<project>/Pulumi.<stack>.yaml`, merged over the project's declared defaults. */
export function loadStackConfig(project: PulumiProject, stack: string): StackConfig {
  const file = path.join(project.dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new UsageError(`stack config not found: ${file} (create it with \`pulumi stack init ${stack}\` and \`pulumi config set\`, or pass --stack)`);
  }
  const doc = readYaml(file, "stack config");
  const raw = isRecord(doc) && isRecord(doc.config) ? doc.config : {};
  const merged: Record<string, unknown> = {};
  for (const [k, decl] of Object.entries(project.config)) if (decl.default !== undefined) merged[k] = decl.default;
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    const key = k.includes(":") ? k : `${project.name}:${k}`;
    if (isRecord(v) && "secure" in v) {
      throw new UsageError(`${file}: config "${key}" is encrypted; secrets cannot be decrypted offline (use a plain value in this stack or set it through PULUMI_CONFIG)`);
    }
    merged[key] = v;
    if (project.config[key]?.secret) secretKeys.push(key);
  }
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) {
    checkType(k, v, project.config[k]?.type, file);
    values[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return { values, secretKeys };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An argument as shown in an error: short, so a value pasted by mistake is not echoed whole. */
function shown(arg: string): string {
  return arg.length > 40 ? `${arg.slice(0, 40)}...` : arg;
}

/**
 * Applies `--config KEY=VALUE` arguments on top of a stack's config, as `pulumi preview --config`
 * does (but only for this run: nothing is written back to `Pulumi.<stack>.yaml`). A bare KEY is in
 * the project's namespace and must be declared in `Pulumi.yaml`; `ns:key` of another namespace
 * (a provider's, e.g. `aws:region`) is passed as is. A key the project declares `secret: true`
 * is passed to the program as a secret key, as the language host does.
 */
export function applyConfigArgs(project: PulumiProject, config: StackConfig, args: string[]): StackConfig {
  const values = { ...config.values };
  const secretKeys = new Set(config.secretKeys);
  const prefix = `${project.name}:`;
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const rawKey = eq < 0 ? "" : arg.slice(0, eq);
    if (!/^([^\s:=]+:)?[^\s:=]+$/.test(rawKey)) {
      throw new UsageError(`--config ${shown(arg)}: expected KEY=VALUE with KEY as name or namespace:name, e.g. --config gatewayReplicas=3`);
    }
    const key = rawKey.includes(":") ? rawKey : `${project.name}:${rawKey}`;
    const value = arg.slice(eq + 1);
    const decl = project.config[key];
    if (!decl && key.startsWith(prefix)) {
      const known = Object.keys(project.config).map((k) => (k.startsWith(prefix) ? k.slice(prefix.length) : k));
      throw new UsageError(`--config ${rawKey}: not declared in ${path.join(project.dir, "Pulumi.yaml")} (known keys: ${known.join(", ") || "none"})`);
    }
    if (decl && !hasType(decl.type === "array" || decl.type === "object" ? parseJson(value) : value, decl.type)) {
      const got = decl.secret ? "" : `, got ${JSON.stringify(value)}`;
      throw new UsageError(`--config ${rawKey}: must be of type ${decl.type}${got}`);
    }
    if (decl?.secret) secretKeys.add(key);
    values[key] = value;
  }
  return { values, secretKeys: [...secretKeys] };
}

/**
 * Fails as the Pulumi CLI does when a key the project declares without a default has no value
 * in the stack (after `--config`): "Stack 'dev' is missing configuration value 'x'".
 */
export function checkRequiredConfig(project: PulumiProject, stack: string, config: StackConfig): void {
  const prefix = `${project.name}:`;
  const missing = Object.entries(project.config)
    .filter(([k, decl]) => decl.default === undefined && config.values[k] === undefined)
    .map(([k]) => `'${k.startsWith(prefix) ? k.slice(prefix.length) : k}'`);
  if (missing.length === 0) return;
  const file = path.join(project.dir, `Pulumi.${stack}.yaml`);
  throw new UsageError(
    `Stack '${stack}' is missing configuration ${missing.length > 1 ? "values" : "value"} ${missing.join(", ")} (set it in ${file}, or give the key a default in Pulumi.yaml)`,
  );
}
