/**
 * Runs a CrossGuard policy pack the way the Pulumi engine does: the pack is started by
 * the real policy-pack host (`@pulumi/pulumi/cmd/run-policy-pack`) as a child process,
 * and driven over the analyzer gRPC protocol: GetAnalyzerInfo, Configure (config and
 * enforcement levels), ConfigureStack, then Remediate + Analyze per resource on its
 * inputs, then one AnalyzeStack on the whole graph (outputs, parents, dependencies).
 */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { UsageError } from "./errors";
import { launchPackHost, stopHost, type HostLaunch, type LaunchOptions } from "./pack-host";
import { encodeStruct } from "./struct-encoding";
import { trace } from "./trace";
import type { PropertyMap } from "./properties";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

/** A resource as handed to the analyzer. */
export interface AnalyzedResource {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  provider?: string;
  protect?: boolean;
  /** Inputs in wire form (secrets and unknowns with their signatures). */
  rawInputs: PropertyMap;
  /** Outputs in wire form. */
  rawOutputs: PropertyMap;
}

export interface Violation {
  policyPack: string;
  policy: string;
  level: EnforcementLevel;
  urn: string;
  message: string;
  description: string;
}

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  configSchema?: { properties: Record<string, unknown>; required: string[] };
  /** `resource` or `stack`. */
  policyType: "resource" | "stack" | "unknown";
}

/** What a user gives as `--policy-config`: Pulumi's policy pack config file format. */
export type PolicyConfigFile = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface AnalysisResult {
  pack: string;
  version: string;
  policies: PolicyInfo[];
  violations: Violation[];
  /** Wall time spent in the pack's RPCs, in milliseconds. */
  packMillis: number;
}

const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "disabled", "remediate"];
const LEVEL_ENUM: Record<EnforcementLevel, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };



function levelName(n: number): EnforcementLevel {
  return LEVELS[n] ?? "advisory";
}


/** A unary analyzer RPC, called as PolicyPackProcess calls it. */
export type UnaryRpc<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown;

/**
 * The analyzer RPCs a {@link PolicyPackProcess} sends: the gRPC client of a pack host, or (in the
 * policy tests) the pack's own analyzer service called in this process (see
 * test/helpers/in-process-analyzer.ts). The requests and responses are the same messages.
 */
export interface AnalyzerTransport {
  getAnalyzerInfo: UnaryRpc<Empty, analyzerPb.AnalyzerInfo>;
  configure: UnaryRpc<analyzerPb.ConfigureAnalyzerRequest, Empty>;
  configureStack: UnaryRpc<analyzerPb.AnalyzerStackConfigureRequest, analyzerPb.AnalyzerStackConfigureResponse>;
  analyze: UnaryRpc<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>;
  remediate: UnaryRpc<analyzerPb.AnalyzeRequest, analyzerPb.RemediateResponse>;
  analyzeStack: UnaryRpc<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>;
  close(): void;
}

function unary<Req, Res>(fn: UnaryRpc<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

function toStruct(props: PropertyMap): Struct {
  return Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]);
}

/**
 * An AnalyzeRequest whose properties and provider are given as wire bytes (see
 * struct-encoding.ts and `PolicyPackProcess.providerBytes`), serialized once for both
 * Remediate and Analyze (grpc-js serializes the message per call). The other fields are the
 * message's own; the properties (field 2) and the provider (field 6) follow them, as protobuf
 * allows fields in any order.
 */
class AnalyzeRequestBytes extends analyzerPb.AnalyzeRequest {
  private bytes: Uint8Array | undefined;
  private properties: Uint8Array = new Uint8Array();
  private providerMessage: Uint8Array | undefined;
  /** Sets the properties (a remediation's, or the resource's inputs). */
  setPropertyBytes(struct: Uint8Array): void {
    this.properties = struct;
    this.bytes = undefined;
  }
  /** Sets the provider (an AnalyzerProviderResource's wire bytes). */
  setProviderBytes(provider: Uint8Array | undefined): void {
    this.providerMessage = provider;
    this.bytes = undefined;
  }
  override serializeBinary(): Uint8Array {
    return (this.bytes ??= concatFields(super.serializeBinary(), [
      [2, this.properties],
      [6, this.providerMessage],
    ]));
  }
}

/** An AnalyzeStackRequest whose wire bytes are given (see `PolicyPackProcess.stackEntry`). */
class PreserializedStackRequest extends analyzerPb.AnalyzeStackRequest {
  constructor(private readonly bytes: Uint8Array) {
    super();
  }
  override serializeBinary(): Uint8Array {
    return this.bytes;
  }
}

/** A protobuf varint. */
function varint(n: number): number[] {
  const out: number[] = [];
  for (let v = n; v >= 0x80; v >>>= 7) out.push((v & 0x7f) | 0x80);
  out.push(n >>> (7 * out.length));
  return out;
}

/** The tag (field number, wire type 2) and varint length that open a length-delimited field. */
function fieldHeader(field: number, length: number): Buffer {
  return Buffer.from([...varint((field << 3) | 2), ...varint(length)]);
}

/**
 * A message's wire bytes followed by length-delimited fields (those given), in one copy;
 * `enclosing`: the whole as that length-delimited field of an outer message.
 */
function concatFields(message: Uint8Array, fields: [number, Uint8Array | undefined][], enclosing?: number): Buffer {
  const parts: Uint8Array[] = [message];
  for (const [field, bytes] of fields) if (bytes) parts.push(fieldHeader(field, bytes.length), bytes);
  if (enclosing !== undefined) parts.unshift(fieldHeader(enclosing, parts.reduce((n, p) => n + p.length, 0)));
  return Buffer.concat(parts);
}

const NO_PROVIDERS: ReadonlyMap<string, PropertyMap> = new Map();

/** Provider resources are `pulumi:providers:<package>`. */
function isProvider(r: AnalyzedResource): boolean {
  return r.type.startsWith("pulumi:providers:");
}

/**
 * The engine's gRPC message limit (pulumi `sdk/go/common/util/rpcutil`: `MaxRPCMessageSize`,
 * 400 MiB), not grpc-js's default 4 MiB: a large graph's AnalyzeStack, or a pack reporting a
 * violation on thousands of resources, exceeds 4 MiB.
 */
export const MAX_RPC_MESSAGE_SIZE = 400 * 1024 * 1024;

/** A running policy pack and a client connected to it. */
export class PolicyPackProcess {
  /** RPCs sent per method (Remediate is only sent when a resource policy remediates). */
  readonly calls = { remediate: 0, analyze: 0, analyzeStack: 0 };
  /**
   * Whether a resource policy is configured at the `remediate` level. Only those remediate
   * (a policy's remediation runs at that level only, as the engine and the policy SDKs
   * define it), so without one every Remediate would answer "nothing to do" and is not sent.
   */
  private remediates = true;
  /** Each provider's AnalyzerProviderResource (see `providerBytes`), by URN, with the inputs it was built from. */
  private readonly providerMessages = new Map<string, { inputs: PropertyMap | undefined; bytes: Uint8Array }>();

  private constructor(
    readonly dir: string,
    /** The host; none when the pack's service runs in this process ({@link inProcess}). */
    private readonly child: ChildProcess | undefined,
    private readonly client: AnalyzerTransport,
    private readonly stderr: string[],
  ) {}

  /** A pack whose analyzer service runs in this process, reached through `transport` (no host). */
  static inProcess(dir: string, transport: AnalyzerTransport): PolicyPackProcess {
    return new PolicyPackProcess(path.resolve(dir), undefined, transport, []);
  }

  /** Starts the pack in `dir` through the Pulumi policy-pack host (see {@link launchPackHost}) and connects. */
  static async start(dir: string, opts: LaunchOptions = {}): Promise<PolicyPackProcess> {
    return PolicyPackProcess.connect(launchPackHost(dir, opts));
  }

  /** Connects to a host {@link launchPackHost} started (once it serves). */
  static async connect(launch: HostLaunch): Promise<PolicyPackProcess> {
    const port = await launch.port;
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_RPC_MESSAGE_SIZE,
      "grpc.max_send_message_length": MAX_RPC_MESSAGE_SIZE,
    });
    return new PolicyPackProcess(launch.packDir, launch.child, client, launch.stderr);
  }

  async info(): Promise<{ name: string; version: string; policies: PolicyInfo[] }> {
    const info = await unary<Empty, analyzerPb.AnalyzerInfo>(this.client.getAnalyzerInfo.bind(this.client), new Empty());
    const policies = info.getPoliciesList().map((p): PolicyInfo => {
      const schema = p.getConfigschema();
      return {
        name: p.getName(),
        description: p.getDescription(),
        enforcementLevel: levelName(p.getEnforcementlevel()),
        configSchema: schema
          ? { properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>, required: schema.getRequiredList() }
          : undefined,
        policyType: p.getPolicyType() === 1 ? "resource" : p.getPolicyType() === 2 ? "stack" : "unknown",
      };
    });
    return { name: info.getName(), version: info.getVersion(), policies };
  }

  /** Sends Configure with every policy's enforcement level and config (as the engine does). */
  async configure(policies: PolicyInfo[], config: PolicyConfigFile): Promise<void> {
    const resolved = resolvePolicyConfig(this.dir, policies, config);
    const types = new Map(policies.map((p) => [p.name, p.policyType]));
    this.remediates = [...resolved].some(([name, c]) => c.level === "remediate" && types.get(name) !== "stack");
    const req = new analyzerPb.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    for (const [name, c] of resolved) {
      const pc = new analyzerPb.PolicyConfig();
      pc.setEnforcementlevel(LEVEL_ENUM[c.level] as analyzerPb.EnforcementLevel);
      pc.setProperties(toStruct(c.properties as PropertyMap));
      map.set(name, pc);
    }
    await unary(this.client.configure.bind(this.client), req);
  }

  async configureStack(project: string, stack: string, dryRun: boolean): Promise<void> {
    const req = new analyzerPb.AnalyzerStackConfigureRequest();
    req.setProject(project);
    req.setStack(stack);
    req.setDryRun(dryRun);
    await unary(this.client.configureStack.bind(this.client), req);
  }

  private options(r: AnalyzedResource): analyzerPb.AnalyzerResourceOptions {
    const o = new analyzerPb.AnalyzerResourceOptions();
    o.setProtect(r.protect ?? false);
    if (r.parent) o.setParent(r.parent);
    return o;
  }

  /**
   * The resource's provider with its inputs, as the engine sends it (empty inputs if not known),
   * as AnalyzerProviderResource wire bytes: built once per provider and its inputs, since it goes
   * with every resource the provider manages (in Analyze and in AnalyzeStack).
   */
  private providerBytes(r: AnalyzedResource, providers: ReadonlyMap<string, PropertyMap>): Uint8Array | undefined {
    if (!r.provider) return undefined;
    const urn = r.provider.split("::").slice(0, -1).join("::");
    const inputs = providers.get(urn);
    const known = this.providerMessages.get(urn);
    if (known && known.inputs === inputs) return known.bytes;
    const p = new analyzerPb.AnalyzerProviderResource();
    p.setUrn(urn);
    p.setType(urn.split("::")[2] ?? "");
    p.setName(urn.split("::")[3] ?? "");
    // The properties (field 2) after the other fields.
    const bytes = concatFields(p.serializeBinary(), [[2, encodeStruct(inputs ?? {})]]);
    this.providerMessages.set(urn, { inputs, bytes });
    return bytes;
  }

  /**
   * Remediate then Analyze one resource on its inputs; returns the diagnostics. `providers`:
   * the inputs of the provider resources seen so far, by URN (the engine sends the resource's
   * provider with its inputs).
   */
  async analyze(r: AnalyzedResource, providers: ReadonlyMap<string, PropertyMap> = NO_PROVIDERS): Promise<analyzerPb.AnalyzeDiagnostic[]> {
    const req = new AnalyzeRequestBytes();
    req.setType(r.type);
    req.setName(r.name);
    req.setUrn(r.urn);
    req.setPropertyBytes(encodeStruct(r.rawInputs));
    req.setOptions(this.options(r));
    req.setProviderBytes(this.providerBytes(r, providers));
    // As the engine does: remediations first; a diagnostic from one is an advisory warning,
    // transformed properties replace the inputs that Analyze then sees.
    const diagnostics: analyzerPb.AnalyzeDiagnostic[] = [];
    const remediations = this.remediates ? (await this.remediate(req)).getRemediationsList() : [];
    for (const t of remediations) {
      if (t.getDiagnostic()) {
        const d = new analyzerPb.AnalyzeDiagnostic();
        d.setPolicyname(t.getPolicyname());
        d.setPolicypackname(t.getPolicypackname());
        d.setPolicypackversion(t.getPolicypackversion());
        d.setDescription(t.getDescription());
        d.setMessage(t.getDiagnostic());
        d.setEnforcementlevel(LEVEL_ENUM.advisory as analyzerPb.EnforcementLevel);
        d.setUrn(r.urn);
        diagnostics.push(d);
      } else if (t.hasProperties()) {
        req.setPropertyBytes((t.getProperties() as Struct).serializeBinary());
      }
    }
    this.calls.analyze++;
    const res = await unary<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(this.client.analyze.bind(this.client), req);
    return [...diagnostics, ...res.getDiagnosticsList()];
  }

  private remediate(req: analyzerPb.AnalyzeRequest): Promise<analyzerPb.RemediateResponse> {
    this.calls.remediate++;
    return unary<analyzerPb.AnalyzeRequest, analyzerPb.RemediateResponse>(this.client.remediate.bind(this.client), req);
  }

  /**
   * One resource of an AnalyzeStack request (on its outputs), already in wire form: field 1 of
   * AnalyzeStackRequest (`repeated AnalyzerResource resources = 1`), so that a request is the
   * concatenation of its entries and each entry can be built as soon as its resource is known.
   */
  stackEntry(r: AnalyzedResource, providers: ReadonlyMap<string, PropertyMap> = NO_PROVIDERS): Uint8Array {
    const ar = new analyzerPb.AnalyzerResource();
    ar.setType(r.type);
    ar.setName(r.name);
    ar.setUrn(r.urn);
    ar.setOptions(this.options(r));
    if (r.parent) ar.setParent(r.parent);
    ar.setDependenciesList(r.dependencies);
    const pd = ar.getPropertydependenciesMap();
    for (const [k, urns] of Object.entries(r.propertyDependencies)) {
      const deps = new analyzerPb.AnalyzerPropertyDependencies();
      deps.setUrnsList(urns);
      pd.set(k, deps);
    }
    // The outputs (field 2) and the provider (field 6) after the other fields: protobuf allows
    // fields in any order. The whole is field 1 of the request.
    return concatFields(
      ar.serializeBinary(),
      [
        [2, encodeStruct(r.rawOutputs)],
        [6, this.providerBytes(r, providers)],
      ],
      1,
    );
  }

  /** AnalyzeStack over the whole graph, on outputs. */
  async analyzeStack(resources: AnalyzedResource[]): Promise<analyzerPb.AnalyzeDiagnostic[]> {
    const providers = new Map(resources.filter(isProvider).map((r) => [r.urn, r.rawInputs]));
    return this.analyzeStackEntries(resources.map((r) => this.stackEntry(r, providers)));
  }

  /** AnalyzeStack from entries built by {@link stackEntry}, in graph order. */
  async analyzeStackEntries(entries: Uint8Array[]): Promise<analyzerPb.AnalyzeDiagnostic[]> {
    const req = new PreserializedStackRequest(Buffer.concat(entries));
    this.calls.analyzeStack++;
    const res = await unary<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(this.client.analyzeStack.bind(this.client), req);
    return res.getDiagnosticsList();
  }

  /** Stops the pack. */
  stop(): void {
    this.client.close();
    if (this.child) stopHost(this.child);
  }

  /** The host's process id. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The pack's stderr so far (its own error messages). */
  get errorOutput(): string {
    return this.stderr.join("");
  }
}

/** Validates a policy config file against the pack's policies and resolves levels. */
export function resolvePolicyConfig(
  packDir: string,
  policies: PolicyInfo[],
  config: PolicyConfigFile,
): Map<string, { level: EnforcementLevel; properties: Record<string, unknown> }> {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const all = config.all;
  if (all !== undefined && (typeof all !== "string" || !LEVELS.includes(all))) {
    throw new UsageError(`policy config "all": must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(all)}`);
  }
  for (const [name, c] of Object.entries(config)) {
    if (name === "all") continue;
    const policy = byName.get(name);
    if (!policy) {
      throw new UsageError(`policy config: unknown policy "${name}" in pack ${path.basename(packDir)} (known: ${[...byName.keys()].join(", ")})`);
    }
    if (typeof c === "string") {
      if (!LEVELS.includes(c)) throw new UsageError(`policy config "${name}": unknown enforcement level "${c}" (use ${LEVELS.join(", ")})`);
      continue;
    }
    if (typeof c !== "object" || c === null) throw new UsageError(`policy config "${name}": expected a level or an object, got ${JSON.stringify(c)}`);
    const known = Object.keys(policy.configSchema?.properties ?? {});
    for (const k of Object.keys(c)) {
      if (k === "enforcementLevel") {
        if (!LEVELS.includes(c[k] as EnforcementLevel)) throw new UsageError(`policy config "${name}".enforcementLevel: unknown level ${JSON.stringify(c[k])}`);
      } else if (!known.includes(k)) {
        throw new UsageError(`policy config "${name}": unknown config key "${k}" (known: ${known.join(", ") || "none"})`);
      }
    }
  }
  const out = new Map<string, { level: EnforcementLevel; properties: Record<string, unknown> }>();
  for (const p of policies) {
    const c = config[p.name];
    const { enforcementLevel, ...properties } = typeof c === "object" && c !== null ? c : { enforcementLevel: c };
    out.set(p.name, { level: enforcementLevel ?? (all as EnforcementLevel | undefined) ?? p.enforcementLevel, properties });
  }
  return out;
}

/** Reads a Pulumi policy pack config file (JSON). */
export function readPolicyConfig(file: string): PolicyConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`policy config file not found: ${file}`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("expected a JSON object");
    return v as PolicyConfigFile;
  } catch (e) {
    throw new UsageError(`policy config file ${file} is not valid: ${(e as Error).message}`);
  }
}

export function toViolation(d: analyzerPb.AnalyzeDiagnostic, fallbackUrn: string): Violation {
  return {
    policyPack: d.getPolicypackname(),
    policy: d.getPolicyname(),
    level: levelName(d.getEnforcementlevel()),
    urn: d.getUrn() || fallbackUrn,
    message: d.getMessage(),
    description: d.getDescription(),
  };
}

/** A resource of the final graph: in full, or a reference to the one pushed, unchanged since. */
export type StackItem = AnalyzedResource | { urn: string; unchanged: true };

export interface SessionOptions {
  project: string;
  stack: string;
  dryRun: boolean;
  config?: PolicyConfigFile;
}

/** Where the pack started, and what it said about itself. */
interface StartedPack {
  pack: PolicyPackProcess;
  info: { name: string; version: string; policies: PolicyInfo[] };
}

/**
 * Drives one pack over one stack, in the thread it runs in: starts the pack (host, then
 * GetAnalyzerInfo, Configure, ConfigureStack), analyzes each pushed resource (Remediate,
 * then Analyze on its inputs) with up to `WINDOW` resources in flight, so the round trip of
 * one RPC does not serialize the stack, and finally runs one AnalyzeStack. Policies judge one
 * resource at a time, so overlapping analyses cannot change a result; violations are still
 * reported in registration order. Nothing holds a promise per resource: a queue drains
 * through the bounded window.
 */
export class PackDriver {
  /** Resources analyzed at once. */
  static readonly WINDOW = 16;
  private readonly queue: AnalyzedResource[] = [];
  private readonly results: Violation[][] = [];
  private draining: Promise<void> | undefined;
  private failure: unknown;
  private packMillis = 0;
  /** Resources pushed, and the AnalyzeStack entries built for them once analyzed. */
  private readonly pushed = new Map<string, AnalyzedResource>();
  private readonly entries = new Map<string, Uint8Array>();
  /** The inputs of the provider resources pushed, by URN (registered before the resources they serve). */
  private readonly providers = new Map<string, PropertyMap>();
  readonly ready: Promise<StartedPack>;

  /**
   * `launch`: the pack's host, already started (see analyzer-worker.ts), or the pack itself
   * (the tests' in-process pack, see {@link PolicyPackProcess.inProcess}); else started here.
   */
  constructor(packDir: string, opts: SessionOptions, launch?: HostLaunch | PolicyPackProcess) {
    this.ready = (async () => {
      const pack = await (launch instanceof PolicyPackProcess ? launch : launch ? PolicyPackProcess.connect(launch) : PolicyPackProcess.start(packDir));
      try {
        const info = await pack.info();
        await pack.configure(info.policies, opts.config ?? {});
        await pack.configureStack(opts.project, opts.stack, opts.dryRun);
        trace("pack configured");
        return { pack, info };
      } catch (e) {
        pack.stop();
        throw wrapPackError(pack, e);
      }
    })();
    // A start-up failure is reported by `finish`, never as an unhandled rejection.
    this.ready.catch((e: unknown) => (this.failure ??= e));
  }

  push(resource: AnalyzedResource): void {
    this.queue.push(resource);
    this.pushed.set(resource.urn, resource);
    if (isProvider(resource)) this.providers.set(resource.urn, resource.rawInputs);
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let started = 0;
    try {
      const { pack } = await this.ready;
      started = performance.now();
      for (let r = this.queue.shift(); r !== undefined || inFlight.size > 0; r = this.queue.shift()) {
        if (r !== undefined && !this.failure) {
          const resource = r;
          const slot = this.results.push([]) - 1;
          const p: Promise<void> = pack.analyze(resource, this.providers).then(
            (ds) => {
              this.results[slot] = ds.map((d) => toViolation(d, resource.urn));
              // Built now, while the program runs, rather than all at once at the end.
              this.entries.set(resource.urn, pack.stackEntry(resource, this.providers));
            },
            (e: unknown) => {
              this.failure ??= e;
            },
          );
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
        if (inFlight.size >= PackDriver.WINDOW || (this.queue.length === 0 && inFlight.size > 0)) await Promise.race(inFlight);
      }
    } catch {
      this.queue.length = 0; // the start-up failure is recorded; `finish` reports it
    } finally {
      if (started) this.packMillis += performance.now() - started;
      this.draining = undefined;
    }
  }

  /**
   * Waits for the queued analyses, runs AnalyzeStack on the graph and stops the pack. An item
   * `{ urn, unchanged: true }` stands for the resource pushed under that URN, as pushed (its
   * entry is already built); a resource object that is not the one pushed is built anew.
   */
  async finish(resources: StackItem[]): Promise<AnalysisResult> {
    const started = await this.ready;
    try {
      while (this.draining) await this.draining;
      if (this.failure) throw this.failure;
      const violations = this.results.flat();
      trace(`analyses done (${this.results.length})`);
      const t0 = performance.now();
      const entries = resources.map((item) => {
        const pushed = this.pushed.get(item.urn);
        const same = "unchanged" in item ? pushed !== undefined : pushed === item;
        const built = same ? this.entries.get(item.urn) : undefined;
        if (built) return built;
        const r = "unchanged" in item ? pushed : item;
        if (!r) throw new Error(`AnalyzeStack: resource ${item.urn} was never pushed`);
        return started.pack.stackEntry(r, this.providers);
      });
      trace("analyze stack start");
      for (const d of await started.pack.analyzeStackEntries(entries)) violations.push(toViolation(d, ""));
      trace("analyze stack done");
      this.packMillis += performance.now() - t0;
      const { name, version, policies } = started.info;
      return { pack: name, version, policies, violations, packMillis: this.packMillis };
    } catch (e) {
      throw wrapPackError(started.pack, e);
    } finally {
      started.pack.stop();
    }
  }

  /** Stops the pack without a result. */
  abort(): void {
    this.ready.then(
      (s) => s.pack.stop(),
      () => undefined,
    );
  }
}

function wrapPackError(pack: PolicyPackProcess, e: unknown): Error {
  if (e instanceof UsageError) return e;
  const detail = pack.errorOutput.trim();
  return new UsageError(`policy pack ${pack.dir} failed: ${(e as Error).message}${detail ? `\n${detail}` : ""}`);
}

/**
 * Runs one pack over a complete resource graph (as `audit` does) and returns its violations.
 * `pack`: the pack, already started (the tests' in-process pack); else its host is started here.
 */
export async function analyzeGraph(
  packDir: string,
  resources: AnalyzedResource[],
  opts: SessionOptions,
  pack?: PolicyPackProcess,
): Promise<AnalysisResult> {
  const driver = new PackDriver(packDir, opts, pack);
  await driver.ready;
  for (const r of resources) driver.push(r);
  return driver.finish(resources);
}
