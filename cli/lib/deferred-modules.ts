/**
 * Modules `@pulumi/pulumi` requires when it is imported and uses only to serialize closures or
 * for the Automation API, which a policy pack never does: loaded on first use instead, behind a
 * proxy. Used by the policy-pack host's preload (host-preload.ts) and by the policy tests, which
 * load packs in-process (test/helpers/in-process-analyzer.ts).
 */
import * as path from "node:path";

/** A module `@pulumi/pulumi` requires at import time and only uses later. */
export interface Deferred {
  /** The request as written in the requiring file. */
  request: string;
  /** The requiring file, relative to `node_modules/@pulumi/pulumi`. */
  from: string;
  /**
   * Report `__esModule: true` so TypeScript's `__importStar` hands the proxy over as it is
   * instead of copying (and so loading) every export: for requests used as `x.Name` only.
   */
  esModule: boolean;
}

/** What is deferred (see the file comment). */
export const DEFERRED: readonly Deferred[] = [
  { request: "../../typescript-shim", from: "runtime/closure/parseFunction.js", esModule: false },
  { request: "@npmcli/arborist", from: "runtime/closure/codePaths.js", esModule: true },
  { request: "./automation", from: "index.js", esModule: true },
];

export const PULUMI = `${path.sep}node_modules${path.sep}@pulumi${path.sep}pulumi${path.sep}`;

/**
 * A stand-in that loads the module on first use and then forwards everything to it, except the
 * members given in `answers` (known without loading it).
 */
export function lazyModule(load: () => object, esModule: boolean, answers: Record<string, unknown> = {}): object {
  let real: object | undefined;
  const target = (): object => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_t, key) => {
        if (esModule && key === "__esModule") return true;
        if (typeof key === "string" && Object.hasOwn(answers, key)) return answers[key];
        return Reflect.get(target(), key);
      },
      set: (_t, key, value) => Reflect.set(target(), key, value),
      has: (_t, key) => Reflect.has(target(), key),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_t, key) => {
        const d = Reflect.getOwnPropertyDescriptor(target(), key);
        // A proxy may not report a property its (empty) target lacks as non-configurable.
        return d && { ...d, configurable: true };
      },
    },
  );
}

/**
 * Where `from` (the requiring file) is inside `@pulumi/pulumi`: its path there (`rel`, with `/`),
 * and the deferral of `request` from it if there is one.
 */
export function pulumiDeferral(request: string, from: string): { rel: string; deferred: Deferred | undefined } | undefined {
  const at = from.lastIndexOf(PULUMI);
  if (at < 0) return undefined;
  const rel = from.slice(at + PULUMI.length).split(path.sep).join("/");
  return { rel, deferred: DEFERRED.find((x) => x.request === request && x.from === rel) };
}
