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

function checkType(key: string, value: unknown, type: ConfigType | undefined, file: string): void {
  if (!type) return;
  const ok =
    (type === "string" && typeof value === "string") ||
    (type === "integer" && Number.isInteger(typeof value === "string" ? Number(value) : value)) ||
    (type === "boolean" && (typeof value === "boolean" || value === "true" || value === "false")) ||
    (type === "array" && Array.isArray(value)) ||
    (type === "object" && isRecord(value));
  if (!ok) throw new UsageError(`${file}: config "${key}" must be of type ${type}, got ${JSON.stringify(value)}`);
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
