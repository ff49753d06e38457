/**
 * The `pulumi stack export` format (deployment version 3): writing the recorded graph,
 * and reading an export file back for `audit`.
 */
import * as fs from "node:fs";
import type { AnalyzedResource } from "./analyzer";
import { UsageError } from "./errors";
import { type PropertyMap, fromExportForm, toExportForm } from "./properties";
import type { RecordedResource } from "./recorder";

export interface ExportedResource {
  urn: string;
  custom: boolean;
  id?: string;
  type: string;
  inputs: PropertyMap;
  outputs: PropertyMap;
  parent?: string;
  protect?: boolean;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  provider?: string;
  delete?: boolean;
}

export interface StackExport {
  version: 3;
  deployment: {
    manifest: { time: string; magic: string; version: string };
    secrets_providers?: { type: string };
    resources: ExportedResource[];
  };
}

/** Builds the export document for a recorded graph. */
export function toStackExport(resources: RecordedResource[], time = new Date()): StackExport {
  return {
    version: 3,
    deployment: {
      manifest: { time: time.toISOString(), magic: "", version: "ztmesh-offline-preview" },
      resources: resources.map((r) => {
        const out: ExportedResource = {
          urn: r.urn,
          custom: r.custom,
          type: r.type,
          inputs: toExportForm(r.rawInputs) as PropertyMap,
          outputs: toExportForm(r.rawOutputs) as PropertyMap,
        };
        if (r.custom && r.id) out.id = r.id;
        if (r.parent) out.parent = r.parent;
        if (r.protect) out.protect = true;
        if (r.dependencies.length > 0) out.dependencies = r.dependencies;
        if (Object.keys(r.propertyDependencies).length > 0) out.propertyDependencies = r.propertyDependencies;
        if (r.provider) out.provider = r.provider;
        return out;
      }),
    },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses an export file's text; throws {@link UsageError} naming what is wrong. */
export function parseStackExport(text: string, file: string): AnalyzedResource[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not a JSON file (${(e as Error).message}); expected the output of \`pulumi stack export\``);
  }
  if (!isRecord(doc) || !("deployment" in doc)) {
    throw new UsageError(`${file}: no "deployment" object; expected the output of \`pulumi stack export\``);
  }
  if (doc.version !== 3) {
    throw new UsageError(`${file}: deployment version ${JSON.stringify(doc.version)} is not supported (expected 3; re-export with a current Pulumi CLI)`);
  }
  const deployment = doc.deployment;
  if (!isRecord(deployment) || !Array.isArray(deployment.resources ?? [])) {
    throw new UsageError(`${file}: "deployment.resources" must be an array`);
  }
  const resources = (deployment.resources ?? []) as unknown[];
  return resources
    .map((r, i): AnalyzedResource | undefined => {
      if (!isRecord(r) || typeof r.urn !== "string" || typeof r.type !== "string") {
        throw new UsageError(`${file}: deployment.resources[${i}] needs a string "urn" and "type"`);
      }
      if (r.delete === true) return undefined;
      const parts = r.urn.split("::");
      return {
        urn: r.urn,
        type: r.type,
        name: parts[parts.length - 1] ?? "",
        parent: typeof r.parent === "string" ? r.parent : undefined,
        dependencies: Array.isArray(r.dependencies) ? r.dependencies.map(String) : [],
        propertyDependencies: isRecord(r.propertyDependencies)
          ? Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : []]))
          : {},
        provider: typeof r.provider === "string" ? r.provider : undefined,
        protect: r.protect === true,
        rawInputs: fromExportForm(isRecord(r.inputs) ? r.inputs : {}) as PropertyMap,
        rawOutputs: fromExportForm(isRecord(r.outputs) ? r.outputs : {}) as PropertyMap,
      };
    })
    .filter((r): r is AnalyzedResource => r !== undefined);
}

/**
 * Reads `NAME=FILE` stack references: FILE is a stack export (the root Stack's outputs are
 * used) or a JSON object of outputs (e.g. `pulumi stack output --json --show-secrets`).
 */
export function readStackReferences(pairs: string[]): Record<string, PropertyMap> {
  const out: Record<string, PropertyMap> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--stack-reference ${pair}: expected NAME=FILE, e.g. acme/ztmesh/dev=.preview/platform/stack.json`);
    const name = pair.slice(0, eq);
    const file = pair.slice(eq + 1);
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new UsageError(`--stack-reference ${name}: cannot read ${file} (${(e as Error).message})`);
    }
    if (isRecord(doc) && "deployment" in doc) {
      const stack = parseStackExport(JSON.stringify(doc), file).find((r) => r.type === "pulumi:pulumi:Stack");
      if (!stack) throw new UsageError(`--stack-reference ${name}: ${file} has no pulumi:pulumi:Stack resource`);
      out[name] = stack.rawOutputs;
    } else if (isRecord(doc)) {
      out[name] = fromExportForm(doc) as PropertyMap;
    } else {
      throw new UsageError(`--stack-reference ${name}: ${file} is neither a stack export nor an object of outputs`);
    }
  }
  return out;
}
