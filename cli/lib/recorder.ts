/**
 * The recorder: Pulumi's mock runtime with every registration recorded.
 *
 * `setMocks` alone sees only `{type, name, inputs, provider}`; parents, dependencies and
 * property dependencies are only in the monitor's `registerResource` request, so the
 * recorder wraps the mock monitor and keeps the whole request. Used by the component
 * tests and by the offline `preview` command alike.
 */
import * as pulumi from "@pulumi/pulumi";
import { defaultInvokeResult, defaultOutputs } from "./mock-outputs";
import { type PropertyMap, unwrapSecrets } from "./properties";

/** One registered resource, as the engine would have seen it. */
export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  /** Parent URN (the root Stack's URN for top-level resources; undefined for the Stack itself). */
  parent?: string;
  /** Explicit and implicit dependencies (URNs). */
  dependencies: string[];
  /** Property name to the URNs it depends on. */
  propertyDependencies: Record<string, string[]>;
  /** Provider reference (`<urn>::<id>`), empty for default providers. */
  provider?: string;
  id?: string;
  /** Inputs in the engine's wire form: secrets and unknowns keep their signatures. */
  rawInputs: PropertyMap;
  /** Outputs in wire form (what the mock returned, then what a component registered). */
  rawOutputs: PropertyMap;
  /** Inputs with secrets unwrapped (unknown values stay as the unknown sentinel). */
  inputs: PropertyMap;
  /** Outputs with secrets unwrapped. */
  outputs: PropertyMap;
  /** Whether the resource was registered with `protect`. */
  protect: boolean;
}

/** A recorded invoke (data source call). */
export interface RecordedInvoke {
  token: string;
  args: PropertyMap;
  provider?: string;
}

export interface RecorderOptions {
  project?: string;
  stack?: string;
  /** Run as a preview: outputs the provider would compute are unknown. @default false */
  preview?: boolean;
  /** Answers to invokes by token; unlisted tokens get realistic defaults where known, else their args. */
  invokes?: Record<string, (args: PropertyMap) => PropertyMap>;
  /**
   * Outputs of other stacks, by stack name (`org/project/stack`), answered to
   * `pulumi.StackReference`. A reference to a stack not listed fails the program, as it
   * would against an engine.
   */
  stackReferences?: Record<string, PropertyMap>;
  /** Called with each resource as soon as its registration is recorded (the engine's step). */
  onRegistered?: (resource: RecordedResource) => void;
}

/** The type token of `pulumi.StackReference`. */
export const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";

/** The mock monitor's registerResource request (the subset the recorder reads). */
interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getProtect(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
  getObject(): { toJavaScript(): PropertyMap } | undefined;
}

interface RegisterResourceResponse {
  getUrn(): string;
  getId(): string;
  getObject(): { toJavaScript(): PropertyMap } | undefined;
}

interface RegisterOutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): PropertyMap } | undefined;
}

type Callback<T> = (err: Error | null, resp?: T) => void;

interface MockMonitorLike {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterResourceRequest, cb: Callback<RegisterResourceResponse>): Promise<void>;
  registerResourceOutputs(req: RegisterOutputsRequest, cb: Callback<unknown>): void;
}

/** The type of the root resource every program runs in. */
export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * The engine's URN rule: a child's type is qualified by its parent's qualified type,
 * except under the root Stack.
 */
export function makeUrn(stack: string, project: string, parentUrn: string | undefined, type: string, name: string): string {
  let qualified = type;
  if (parentUrn) {
    const parentQualified = parentUrn.split("::")[2];
    if (parentQualified !== ROOT_STACK_TYPE) qualified = `${parentQualified}$${type}`;
  }
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * Records a Pulumi program's registrations under the mock runtime. Create it before the
 * code under test is imported (static imports that register resources run first).
 */
export class Recorder {
  readonly project: string;
  readonly stack: string;
  readonly preview: boolean;
  private readonly byUrn = new Map<string, RecordedResource>();
  readonly invokes: RecordedInvoke[] = [];
  private readonly onRegistered?: (resource: RecordedResource) => void;

  constructor(opts: RecorderOptions = {}) {
    this.project = opts.project ?? "project";
    this.stack = opts.stack ?? "stack";
    this.preview = opts.preview ?? false;
    this.onRegistered = opts.onRegistered;
    const invokeAnswers = opts.invokes ?? {};
    const stackReferences = opts.stackReferences ?? {};
    const preview = this.preview;
    const recordInvoke = (i: RecordedInvoke) => this.invokes.push(i);

    const mocks: pulumi.runtime.Mocks = {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
        const inputs = args.inputs as PropertyMap;
        if (args.type === STACK_REFERENCE_TYPE) {
          const name = String(inputs.name ?? args.name);
          const outputs = stackReferences[name];
          if (!outputs) {
            const known = Object.keys(stackReferences);
            throw new Error(
              `unknown stack reference "${name}": offline, pass its outputs with --stack-reference ${name}=FILE${known.length ? ` (given: ${known.join(", ")})` : ""}`,
            );
          }
          return { id: name, state: { name, outputs, secretOutputNames: [] } };
        }
        const id = args.custom === false ? undefined : `${args.name}-id`;
        const state = preview ? { ...inputs } : { ...defaultOutputs(args.type, args.name, inputs), ...inputs };
        return { id: preview ? undefined : id, state };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const inputs = args.inputs as PropertyMap;
        recordInvoke({ token: args.token, args: inputs, provider: args.provider });
        const answer = invokeAnswers[args.token];
        return answer ? answer(inputs) : (defaultInvokeResult(args.token, inputs) ?? inputs);
      },
    };
    void pulumi.runtime.setMocks(mocks, this.project, this.stack, this.preview);
    this.wrapMonitor();
  }

  private wrapMonitor(): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
    const { stack, project } = this;
    monitor.newUrn = (parent, type, name) => makeUrn(stack, project, parent || undefined, type, name);

    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) =>
      register(req, (err, resp) => {
        if (!err && resp) this.record(req, resp);
        cb(err, resp);
      });

    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
      const rec = this.byUrn.get(req.getUrn());
      if (rec) {
        rec.rawOutputs = req.getOutputs()?.toJavaScript() ?? {};
        rec.outputs = unwrapSecrets(rec.rawOutputs) as PropertyMap;
      }
      registerOutputs(req, cb);
    };
  }

  private record(req: RegisterResourceRequest, resp: RegisterResourceResponse): void {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((v, k) => {
      propertyDependencies[k] = [...v.getUrnsList()];
    });
    const rawInputs = req.getObject()?.toJavaScript() ?? {};
    const rawOutputs = resp.getObject()?.toJavaScript() ?? {};
    const urn = resp.getUrn();
    const recorded: RecordedResource = {
      urn,
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: req.getParent() || undefined,
      dependencies: [...new Set(req.getDependenciesList())],
      propertyDependencies,
      provider: req.getProvider() || undefined,
      id: resp.getId() || undefined,
      rawInputs,
      rawOutputs,
      inputs: unwrapSecrets(rawInputs) as PropertyMap,
      outputs: unwrapSecrets(rawOutputs) as PropertyMap,
      protect: req.getProtect(),
    };
    this.byUrn.set(urn, recorded);
    this.onRegistered?.(recorded);
  }

  /** Every recorded resource, in registration order. */
  get resources(): RecordedResource[] {
    return [...this.byUrn.values()];
  }

  /** Recorded resources of one type token (e.g. `aws:s3/bucket:Bucket`). */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The resource with this name (and type, when names repeat across types). */
  get(name: string, type?: string): RecordedResource {
    const found = this.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
    if (found.length !== 1) {
      throw new Error(`expected one resource named "${name}"${type ? ` of type ${type}` : ""}, found ${found.length}`);
    }
    return found[0];
  }

  byUrnOf(urn: string): RecordedResource | undefined {
    return this.byUrn.get(urn);
  }

  /** Children of a resource (direct). */
  childrenOf(urn: string): RecordedResource[] {
    return this.resources.filter((r) => r.parent === urn);
  }

  /** Waits until every registration so far has reached the monitor. */
  async settle(): Promise<void> {
    await waitForRpcs();
  }
}

/** Waits until the runtime's RPC queue is drained (registrations awaited). */
export async function waitForRpcs(): Promise<void> {
  // `waitForRPCs` is marked internal in the SDK typings but exported by the runtime.
  const settings = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (settings.waitForRPCs) await settings.waitForRPCs();
}
