/**
 * One pack's analysis of one stack, fed as the engine feeds it: each resource is analyzed
 * (Remediate, then Analyze on its inputs) as soon as it is registered, while the program
 * goes on; `finish` then runs AnalyzeStack once on the whole graph.
 *
 * The pack is driven from its own thread (`analyzer-worker`), so its start-up and its RPCs
 * overlap the program instead of waiting for turns on the program's busy event loop.
 */
import { Worker } from "node:worker_threads";
import type { AnalysisResult, AnalyzedResource, SessionOptions, StackItem } from "./analyzer";
import { runnableModule } from "./build-cache";
import { UsageError } from "./errors";
import { trace } from "./trace";

/** Messages to the analysis thread. */
export type ToWorker = { t: "push"; r: AnalyzedResource } | { t: "finish"; resources: StackItem[] } | { t: "abort" };
/** Messages from the analysis thread. */
export type FromWorker = { t: "ready" } | { t: "result"; result: AnalysisResult } | { t: "error"; message: string; usage: boolean };

let workerFile: string | undefined;

/**
 * The worker's JavaScript: beside this file once compiled; from source, a cached esbuild
 * bundle (a worker thread does not inherit a TypeScript loader).
 */
function resolveWorkerFile(): string {
  return (workerFile ??= runnableModule("analyzer-worker"));
}

/** Only the fields the analyzer protocol carries (the recorder's resources carry more). */
function wire(r: AnalyzedResource): AnalyzedResource {
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    parent: r.parent,
    dependencies: r.dependencies,
    propertyDependencies: r.propertyDependencies,
    provider: r.provider,
    protect: r.protect,
    rawInputs: r.rawInputs,
    rawOutputs: r.rawOutputs,
  };
}

export class AnalysisSession {
  private readonly ready: Promise<void>;
  private result: ((m: FromWorker) => void) | undefined;
  private startError: Error | undefined;
  /** The outputs object of each pushed resource, to tell at `finish` which ones changed. */
  private readonly sent = new Map<string, AnalyzedResource["rawOutputs"]>();

  private constructor(private readonly worker: Worker) {
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.t === "ready") resolve();
        else if (m.t === "error" && !this.result) reject((this.startError = toError(m)));
        else this.result?.(m);
      };
      worker.on("message", onMessage);
      worker.on("error", (e) => {
        const err = new UsageError(`policy analysis thread failed: ${e.message}`);
        if (this.result) this.result({ t: "error", message: err.message, usage: true });
        else reject((this.startError = err));
      });
    });
    this.ready.catch(() => undefined); // reported by `start` or `finish`
  }

  /**
   * Starts the pack in the background (the host, then GetAnalyzerInfo, Configure and
   * ConfigureStack) and returns at once; resources pushed meanwhile wait for it.
   */
  static open(packDir: string, opts: SessionOptions): AnalysisSession {
    trace("session open");
    const file = resolveWorkerFile();
    trace("worker file resolved");
    return new AnalysisSession(new Worker(file, { workerData: { packDir, opts }, execArgv: [] }));
  }

  /** `open`, then waits until the pack is configured (throws the pack's start-up error). */
  static async start(packDir: string, opts: SessionOptions): Promise<AnalysisSession> {
    const session = AnalysisSession.open(packDir, opts);
    try {
      await session.ready;
    } catch (e) {
      await session.worker.terminate();
      throw e;
    }
    return session;
  }

  /** Queues one resource for analysis (returns at once). */
  push(resource: AnalyzedResource): void {
    this.sent.set(resource.urn, resource.rawOutputs);
    this.worker.postMessage({ t: "push", r: wire(resource) } satisfies ToWorker);
  }

  /** Waits for the queued analyses, runs AnalyzeStack on the graph and stops the pack. */
  async finish(resources: AnalyzedResource[]): Promise<AnalysisResult> {
    try {
      await this.ready;
      const done = new Promise<FromWorker>((resolve) => (this.result = resolve));
      if (this.startError) throw this.startError;
      // Resources whose outputs are the ones pushed (a component's change at registerOutputs
      // replaces them) are not sent again: the thread built their AnalyzeStack entry already.
      const items = resources.map((r): StackItem => (this.sent.get(r.urn) === r.rawOutputs ? { urn: r.urn, unchanged: true } : wire(r)));
      this.worker.postMessage({ t: "finish", resources: items } satisfies ToWorker);
      const m = await done;
      if (m.t === "result") return m.result;
      throw m.t === "error" ? toError(m) : new UsageError("policy analysis thread ended without a result");
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the pack without a result (the program failed). */
  abort(): void {
    this.worker.postMessage({ t: "abort" } satisfies ToWorker);
    // Give the thread its turn to stop the host, then end it.
    setTimeout(() => void this.worker.terminate(), 200).unref();
  }
}

function toError(m: { message: string; usage: boolean }): Error {
  return m.usage ? new UsageError(m.message) : new Error(m.message);
}
