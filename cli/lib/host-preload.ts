/**
 * Preloaded into the policy-pack host (`node --require <this> .../run-policy-pack ...`). It
 * changes nothing a pack can observe:
 * - **No orphaned host**: the host's stdin is a pipe from the process that drives it, which
 *   nothing writes to; the host exits when that pipe closes, which the OS does when the driver
 *   ends, however it ends.
 * - **Faster start**: `@pulumi/pulumi` loads two large modules when it is imported that it
 *   uses only to serialize closures: `typescript` (through its `typescript-shim`) and
 *   `@npmcli/arborist` (code paths). They are loaded on first use instead, behind a proxy: a
 *   policy pack never serializes a closure, and if one does the module loads then. Likewise
 *   the Automation API (`@pulumi/pulumi/automation`, with execa and its dependencies), which
 *   the package index loads for `pulumi.automation` and no pack runs.
 * - **TypeScript on demand**: the host always registers ts-node (loading the TypeScript
 *   compiler and parsing `tsconfig.json`) before it loads the pack, even when the pack is
 *   JavaScript (the preview hands it an esbuild bundle). The registration is deferred until
 *   the first `.ts`/`.tsx` module is loaded, then made with exactly the options the host
 *   computed; a pack directory given as TypeScript (`typescript: "host"`) triggers it at once.
 *   Not deferred when `tsconfig.json` asks for `allowJs` (ts-node would then compile `.js` too),
 *   extends another config, or cannot be read as plain JSON.
 * Together about 1 s of the host's start-up CPU. Matching is by the requiring file and
 * request, so another layout of `@pulumi/pulumi` only means things load eagerly, as without
 * this preload.
 * - **ztmesh for its own pack**: a pack that imports `ztmesh` or `ztmesh/policies` where no ztmesh
 *   is installed (the zero-trust pack inside this package, compiled or given to the host as
 *   TypeScript) gets the ztmesh that runs it (see own-package.ts). Only where resolution fails,
 *   so an installed ztmesh is always the one used.
 */
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import { lazyModule, pulumiDeferral } from "./deferred-modules";
import { ownModules } from "./own-package";

process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
// Without keeping the host alive: a pack that fails to load still ends it (exit code 1).
(process.stdin as { unref?: () => void }).unref?.();

type Handler = (m: unknown, filename: string) => unknown;
type Load = (request: string, parent: { filename?: string | null } | undefined, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load; _extensions: Record<string, Handler | undefined> };
const load = loader._load;

/** `@pulumi/pulumi/tsutils` as `run-policy-pack/run.js` uses it. */
interface TsUtils {
  typeScriptRequireStrings(): { tsnodeRequire: string; typescriptRequire: string };
  loadTypeScriptCompilerOptions(tsConfigPath: string): Record<string, unknown>;
}
/** What ts-node's `register` receives from the host. */
interface TsNodeOptions {
  compilerOptions?: Record<string, unknown>;
  [option: string]: unknown;
}

/** Set once the host asked which TypeScript to use and the registration can wait. */
let tsDeferred: { tsnodeRequire: string; typescriptRequire: string; version: string; utils: TsUtils; tsconfig?: string } | undefined;

/** Whether ts-node would only ever compile `.ts`/`.tsx` here: no tsconfig.json, or one without `allowJs` or `extends`. */
function typeScriptOnlyCompilesTs(): boolean {
  let text: string;
  try {
    text = fs.readFileSync("tsconfig.json", "utf8");
  } catch {
    return true;
  }
  try {
    const config = JSON.parse(text) as { extends?: unknown; compilerOptions?: { allowJs?: unknown } };
    // An `extends` could set allowJs: let TypeScript resolve it, as without the preload.
    return config.extends === undefined && config.compilerOptions?.allowJs !== true;
  } catch {
    return false; // comments or trailing commas: let TypeScript read it, as without the preload
  }
}

/** tsutils with the TypeScript lookups answered without loading TypeScript (when it can wait). */
function deferringTsUtils(real: TsUtils, file: string): TsUtils {
  if (typeof real?.typeScriptRequireStrings !== "function" || typeof real.loadTypeScriptCompilerOptions !== "function") return real;
  const req = Module.createRequire(file);
  const wrapper = Object.create(real) as TsUtils;
  wrapper.typeScriptRequireStrings = () => {
    // The host's choice, by resolution instead of loading: the installed package, else the
    // copy vendored in @pulumi/pulumi. Only an installed TypeScript is deferred (its version is
    // read from its package.json; the vendored one's only from the compiler itself).
    let version: string;
    try {
      version = (JSON.parse(fs.readFileSync(req.resolve("typescript/package.json"), "utf8")) as { version: string }).version;
    } catch {
      return real.typeScriptRequireStrings();
    }
    if (!typeScriptOnlyCompilesTs()) return real.typeScriptRequireStrings();
    let tsnodeRequire = "ts-node";
    try {
      req.resolve(tsnodeRequire);
    } catch {
      tsnodeRequire = path.join(path.dirname(file), "vendor", "ts-node@7.0.1");
      if (!fs.existsSync(tsnodeRequire)) return real.typeScriptRequireStrings(); // another layout
    }
    tsDeferred = { tsnodeRequire, typescriptRequire: "typescript", version, utils: real };
    return { tsnodeRequire, typescriptRequire: "typescript" };
  };
  wrapper.loadTypeScriptCompilerOptions = (tsConfigPath) => {
    if (!tsDeferred) return real.loadTypeScriptCompilerOptions(tsConfigPath);
    tsDeferred.tsconfig = tsConfigPath;
    return {}; // read when the registration is made (see deferRegistration)
  };
  return wrapper;
}

/**
 * ts-node's `register(options)`, made when the first `.ts`/`.tsx` module is loaded: stand-in
 * handlers for those extensions make the real registration (with the compiler options of the
 * project's tsconfig.json spread last, exactly as the host builds them) and hand over to it.
 */
function deferRegistration(options: TsNodeOptions, loadTsNode: () => { register(o: TsNodeOptions): unknown }): void {
  const deferred = tsDeferred!;
  const extensions = [".ts", ".tsx"];
  const previous = new Map(extensions.map((e) => [e, loader._extensions[e]]));
  const standIns = new Map<string, Handler>();
  let registered = false;
  const register = (): void => {
    if (registered) return;
    registered = true;
    for (const e of extensions) {
      if (loader._extensions[e] !== standIns.get(e)) continue;
      if (previous.get(e)) loader._extensions[e] = previous.get(e);
      else delete loader._extensions[e];
    }
    const fromConfig = deferred.tsconfig === undefined ? {} : deferred.utils.loadTypeScriptCompilerOptions(deferred.tsconfig);
    loadTsNode().register({ ...options, compilerOptions: { ...(options.compilerOptions ?? {}), ...fromConfig } });
  };
  for (const e of extensions) {
    const standIn: Handler = (m, filename) => {
      register();
      return (loader._extensions[e] as Handler)(m, filename);
    };
    standIns.set(e, standIn);
    loader._extensions[e] = standIn;
  }
}

const RUN = "cmd/run-policy-pack/run.js";

loader._load = function (this: unknown, request, parent, isMain) {
  const from = parent?.filename;
  const deferral = from ? pulumiDeferral(request, from) : undefined;
  if (deferral?.deferred) return lazyModule(() => load.call(this, request, parent, isMain) as object, deferral.deferred.esModule);
  if (from && deferral?.rel === RUN) {
    const real = () => load.call(this, request, parent, isMain);
    if (request === "../../tsutils") return deferringTsUtils(real() as TsUtils, path.join(from, "..", "..", "..", "tsutils.js"));
    if (tsDeferred && request === tsDeferred.typescriptRequire) return lazyModule(() => real() as object, false, { version: tsDeferred.version });
    if (tsDeferred && request === tsDeferred.tsnodeRequire) {
      const loadTsNode = () => real() as { register(o: TsNodeOptions): unknown };
      return lazyModule(loadTsNode, false, { register: (o: TsNodeOptions) => deferRegistration(o, loadTsNode) });
    }
  }
  return load.call(this, request, parent, isMain);
};

type Resolve = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
const resolver = Module as unknown as { _resolveFilename: Resolve };
const resolveFilename = resolver._resolveFilename;
resolver._resolveFilename = function (this: unknown, request, parent, isMain, options) {
  try {
    return resolveFilename.call(this, request, parent, isMain, options);
  } catch (e) {
    const own = request.startsWith("ztmesh") ? ownModules().get(request) : undefined;
    if (own && fs.existsSync(own)) return own;
    throw e;
  }
};
