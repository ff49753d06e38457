/**
 * The analysis thread: drives one policy pack (see `PackDriver`) for the session that
 * started it, so the analyzer's RPCs run beside the program instead of waiting for turns
 * on the program's event loop, as the engine's analyzers run beside the language host.
 * It starts the pack's host first, then loads the analyzer client (gRPC, protobuf), so that
 * the two start-ups overlap.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { FromWorker, ToWorker } from "./analysis-session";
import type { SessionOptions } from "./analyzer";
import { UsageError } from "./errors";
import { launchPackHost, type HostLaunch } from "./pack-host";
import { trace } from "./trace";

trace("worker started");
const port = parentPort;
if (!port) throw new Error("analyzer-worker runs as a worker thread");
const { packDir, opts } = workerData as { packDir: string; opts: SessionOptions };

let launch: HostLaunch | undefined;
try {
  launch = launchPackHost(packDir);
} catch {
  launch = undefined; // the driver starts it again and reports the error
}

function post(msg: FromWorker): void {
  port?.postMessage(msg);
}

function failure(e: unknown): FromWorker {
  return { t: "error", message: e instanceof Error ? e.message : String(e), usage: e instanceof UsageError };
}

async function main(): Promise<void> {
  const { PackDriver } = await import("./analyzer");
  const driver = new PackDriver(packDir, opts, launch);
  driver.ready.then(
    () => post({ t: "ready" }),
    (e: unknown) => post(failure(e)),
  );
  // Messages sent meanwhile wait in the port until this listener starts it.
  port?.on("message", (msg: ToWorker) => {
    switch (msg.t) {
      case "push":
        driver.push(msg.r);
        break;
      case "finish":
        driver.finish(msg.resources).then(
          (result) => {
            trace(`analysis thread busy ${Math.round(performance.eventLoopUtilization().active)} ms`);
            post({ t: "result", result });
          },
          (e: unknown) => post(failure(e)),
        );
        break;
      case "abort":
        driver.abort();
        break;
    }
  });
}

main().catch((e: unknown) => post(failure(e)));
