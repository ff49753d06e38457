/**
 * Preloaded into the policy-pack host (`node --require <this> .../run-policy-pack ...`). It
 * changes nothing a pack can observe:
 * - **No orphaned host**: the host's stdin is a pipe from the process that drives it, which
 *   nothing writes to; the host exits when that pipe closes, which the OS does when the driver
 *   ends, however it ends.
 * - **Faster start**: `@pulumi/pulumi` loads two large modules when it is imported that it
 *   uses only to serialize closures: `typescript` (through its `typescript-shim`) and
 *   `@npmcli/arborist` (code paths). Together about two thirds of the host's start-up CPU. They
 *   are loaded on first use instead, behind a proxy: a policy pack never serializes a closure,
 *   and if one does the module loads then. Matching is by the requiring file, so another
 *   layout of `@pulumi/pulumi` only means they load eagerly, as without this preload.
 */
import Module from "node:module";
import * as path from "node:path";

process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();

/** A module `@pulumi/pulumi` requires at import time and only uses later. */
interface Deferred {
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
];

const PULUMI = `${path.sep}node_modules${path.sep}@pulumi${path.sep}pulumi${path.sep}`;

/** A stand-in that loads the module on first use and then forwards everything to it. */
function lazyModule(load: () => object, esModule: boolean): object {
  let real: object | undefined;
  const target = (): object => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_t, key) => (esModule && key === "__esModule" ? true : Reflect.get(target(), key)),
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

type Load = (request: string, parent: { filename?: string | null } | undefined, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load };
const load = loader._load;
loader._load = function (this: unknown, request, parent, isMain) {
  const from = parent?.filename;
  const at = from ? from.lastIndexOf(PULUMI) : -1;
  if (from && at >= 0) {
    const rel = from.slice(at + PULUMI.length).split(path.sep).join("/");
    const d = DEFERRED.find((x) => x.request === request && x.from === rel);
    if (d) return lazyModule(() => load.call(this, request, parent, isMain) as object, d.esModule);
  }
  return load.call(this, request, parent, isMain);
};
