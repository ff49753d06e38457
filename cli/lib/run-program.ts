/**
 * Runs a Pulumi program the way the Node.js language host does (config set before the
 * program loads, the program inside the root `pulumi:pulumi:Stack` resource, its exports
 * as stack outputs), but against the recorder's mock monitor instead of an engine.
 */
import * as pulumi from "@pulumi/pulumi";
import { UsageError } from "./errors";
import type { PulumiProject, StackConfig } from "./project";
import { type PropertyMap } from "./properties";
import { type RecordedResource, Recorder, waitForRpcs } from "./recorder";

export interface ProgramRun {
  project: string;
  stack: string;
  resources: RecordedResource[];
  /** The stack's outputs (the program's exports), secrets unwrapped. */
  outputs: PropertyMap;
}

/** Errors the program raised: thrown, rejected, or logged as errors by the runtime. */
class ProgramErrors {
  readonly errors: string[] = [];
  private readonly onError = (err: unknown): void => {
    this.errors.push(describe(err));
  };
  listen(): void {
    process.on("unhandledRejection", this.onError);
    process.on("uncaughtException", this.onError);
  }
  stop(): void {
    process.off("unhandledRejection", this.onError);
    process.off("uncaughtException", this.onError);
  }
}

function describe(err: unknown): string {
  if (pulumi.ResourceError.isInstance(err)) return err.message;
  if (pulumi.RunError.isInstance(err)) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Runs `fn` with Node's source-mapped stack traces off (restored after). Pulumi's runtime takes
 * a stack trace for every promise it tracks (`debuggablePromise`: several per output property
 * of every resource), and with source maps on (tsx turns them on to run TypeScript) each of
 * those maps every frame through the source map of its file: about a millisecond per resource
 * of a large TypeScript program, none of it needed, since a failing program is reported by its
 * message, which source maps do not change. The benchmarks' floors run the same way.
 */
export async function withoutSourceMaps<T>(fn: () => Promise<T>): Promise<T> {
  const was = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  try {
    return await fn();
  } finally {
    process.setSourceMapsEnabled(was);
  }
}

/**
 * Runs the project's program for `stack` under the mock runtime and returns the recorded
 * graph. Throws {@link UsageError} with the program's own message when it fails.
 */
export async function runProgram(
  project: PulumiProject,
  stack: string,
  config: StackConfig,
  opts: { preview?: boolean; stackReferences?: Record<string, PropertyMap>; onRegistered?: (r: RecordedResource) => void } = {},
): Promise<ProgramRun> {
  pulumi.runtime.setAllConfig(config.values, config.secretKeys);
  const recorder = new Recorder({
    project: project.name,
    stack,
    preview: opts.preview ?? false,
    stackReferences: opts.stackReferences,
    onRegistered: opts.onRegistered,
  });
  const errors = new ProgramErrors();
  errors.listen();
  // Errors that the runtime reports through its log (e.g. a failed registration) count too.
  const origError = pulumi.log.error;
  (pulumi.log as { error: typeof pulumi.log.error }).error = (msg: string, resource?: pulumi.Resource) => {
    errors.errors.push(msg);
    return origError(msg, resource);
  };
  try {
    await withoutSourceMaps(async () => {
      await pulumi.runtime.runInPulumiStack(async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod: unknown = require(project.main);
        const result = typeof mod === "function" ? await (mod as () => unknown)() : mod;
        return result as Record<string, unknown>;
      });
      await waitForRpcs();
    });
  } catch (e) {
    errors.errors.unshift(describe(e));
  } finally {
    errors.stop();
    (pulumi.log as { error: typeof pulumi.log.error }).error = origError;
  }
  if (errors.errors.length > 0) {
    throw new UsageError(`program ${project.main} failed: ${[...new Set(errors.errors)].join("; ")}`);
  }
  const resources = recorder.resources;
  const root = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  return { project: project.name, stack, resources, outputs: root?.outputs ?? {} };
}
