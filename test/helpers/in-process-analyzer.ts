/**
 * A policy pack's analyzer service, run in this process: the pack's entry point (the same
 * file the policy-pack host loads, see `packEntry`) is required here, and the service that
 * `@pulumi/policy` registers on its gRPC server (`serve()` in its server.js: Configure,
 * ConfigureStack, GetAnalyzerInfo, Analyze, AnalyzeStack, Remediate) is taken as it is and
 * called directly instead of over a socket. Every request and response goes through the
 * service's own protobuf serializers, as gRPC would send it, so the pack sees the messages the
 * host sees and builds the policy arguments (`args`, `reportViolation`, unknown values, config)
 * with its own code: only the process boundary and the transport are left out.
 *
 * `@pulumi/policy` keeps the pack it serves and its config in module state, one pack per process
 * (the host's case). Starting the same pack again reuses its loaded service; another pack gets a
 * fresh copy of `@pulumi/policy`'s modules, as if in its own process.
 */
import * as fs from "node:fs";
import Module, { createRequire } from "node:module";
import * as path from "node:path";
import type * as Grpc from "@grpc/grpc-js";
import type { AnalyzerTransport, UnaryRpc } from "../../cli/lib/analyzer";
import { lazyModule, pulumiDeferral } from "../../cli/lib/deferred-modules";
import { packEntry } from "../../cli/lib/pack-host";

/** Modules as `@pulumi/policy`'s server resolves them (the instances the pack uses). */
const nodeRequire = createRequire(__filename);
const fromPolicy = createRequire(nodeRequire.resolve("@pulumi/policy/server.js"));
const grpc = fromPolicy("@grpc/grpc-js") as typeof Grpc;

type Handler = (call: { request: unknown }, callback: (err: unknown, res?: unknown) => void) => unknown;

interface LoadedService {
  dir: string;
  definition: Grpc.ServiceDefinition;
  handlers: Record<string, Handler>;
}

const loaded = new Map<string, LoadedService>();
const POLICY_DIR = path.dirname(fromPolicy.resolve("@pulumi/policy/package.json")) + path.sep;

/** Forgets the loaded `@pulumi/policy` modules, so that the next pack gets its own (their state is per pack). */
function freshPolicyModules(): void {
  for (const file of Object.keys(nodeRequire.cache)) if (file.startsWith(POLICY_DIR)) delete nodeRequire.cache[file];
}

type Load = (request: string, parent: { filename?: string | null } | undefined, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load };

/**
 * Requires the pack's entry point with `grpc.Server` made inert: `addService` records the
 * service instead of serving it and `bindAsync` opens no port. The working directory is the
 * pack's while it loads, as in the host (the pack reads its version from `package.json` there),
 * and `@pulumi/pulumi` defers the modules the host's preload defers (deferred-modules.ts): the
 * same start-up, about 0.7 s less per test file.
 */
function loadService(packDir: string): LoadedService {
  const entry = packEntry(packDir);
  const proto = grpc.Server.prototype;
  const { addService, bindAsync } = proto;
  let captured: Omit<LoadedService, "dir"> | undefined;
  proto.addService = function (definition: Grpc.ServiceDefinition, handlers: Grpc.UntypedServiceImplementation) {
    captured = { definition, handlers: handlers as unknown as Record<string, Handler> };
  };
  proto.bindAsync = function () {
    // The service is called in this process: no port.
  };
  const load = loader._load;
  loader._load = function (this: unknown, request, parent, isMain) {
    const deferred = parent?.filename ? pulumiDeferral(request, parent.filename)?.deferred : undefined;
    if (deferred) return lazyModule(() => load.call(this, request, parent, isMain) as object, deferred.esModule);
    return load.call(this, request, parent, isMain);
  };
  const cwd = process.cwd();
  try {
    process.chdir(packDir);
    // Node's own loader, as in the host (not the test runner's transform).
    nodeRequire(entry);
  } finally {
    process.chdir(cwd);
    loader._load = load;
    proto.addService = addService;
    proto.bindAsync = bindAsync;
  }
  if (!captured) throw new Error(`policy pack ${packDir} registered no analyzer service (does its entry point create a PolicyPack?)`);
  return { dir: packDir, ...captured };
}

/** The error a gRPC client receives for a handler's error (grpc-js `serverErrorToStatus`, then `callErrorFromStatus`). */
function clientError(err: unknown): Grpc.ServiceError {
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as { code?: unknown; details?: unknown; message?: unknown };
  let code: number = grpc.status.UNKNOWN;
  let details = typeof e.message === "string" ? e.message : "Unknown Error";
  if (typeof e.code === "number" && Number.isInteger(e.code)) {
    code = e.code;
    if (typeof e.details === "string") details = e.details;
  }
  const error = new Error(`${code} ${grpc.status[code]}: ${details}`);
  return Object.assign(error, { code, details, metadata: new grpc.Metadata() }) as Grpc.ServiceError;
}

/** One RPC: the request serialized and deserialized as gRPC does, the handler called, the response likewise. */
function rpc<Req, Res>(service: LoadedService, method: string): UnaryRpc<Req, Res> {
  const def = service.definition[method];
  const handler = service.handlers[method];
  if (!def || !handler) throw new Error(`the analyzer service of ${service.dir} has no ${method}`);
  return (req, cb) => {
    let request: unknown;
    try {
      request = def.requestDeserialize(def.requestSerialize(req));
    } catch (e) {
      cb(clientError(e), undefined as Res);
      return;
    }
    void handler({ request }, (err, res) => {
      if (err) cb(clientError(err), undefined as Res);
      else cb(null, def.responseDeserialize(def.responseSerialize(res)) as Res);
    });
  };
}

/** The analyzer service of the pack in `dir`, called in this process. */
export function inProcessAnalyzer(dir: string): AnalyzerTransport {
  const packDir = fs.realpathSync(path.resolve(dir));
  let service = loaded.get(packDir);
  if (!service) {
    if (loaded.size > 0) freshPolicyModules();
    service = loadService(packDir);
    loaded.set(packDir, service);
  }
  return {
    getAnalyzerInfo: rpc(service, "getAnalyzerInfo"),
    configure: rpc(service, "configure"),
    configureStack: rpc(service, "configureStack"),
    analyze: rpc(service, "analyze"),
    remediate: rpc(service, "remediate"),
    analyzeStack: rpc(service, "analyzeStack"),
    close: () => undefined,
  };
}
