/**
 * The analysis thread: drives one policy pack (see `PackDriver`) for the session that
 * started it, so the analyzer's RPCs run beside the program instead of waiting for turns
 * on the program's event loop, as the engine's analyzers run beside the language host.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PackDriver, type SessionOptions } from "./analyzer";
import { UsageError } from "./errors";
import { trace } from "./trace";

trace("worker started");
import type { FromWorker, ToWorker } from "./analysis-session";

const port = parentPort;
if (!port) throw new Error("analyzer-worker runs as a worker thread");
const { packDir, opts } = workerData as { packDir: string; opts: SessionOptions };
const driver = new PackDriver(packDir, opts);

function post(msg: FromWorker): void {
  port?.postMessage(msg);
}

function failure(e: unknown): FromWorker {
  return { t: "error", message: e instanceof Error ? e.message : String(e), usage: e instanceof UsageError };
}

driver.ready.then(
  () => post({ t: "ready" }),
  (e: unknown) => post(failure(e)),
);

port.on("message", (msg: ToWorker) => {
  switch (msg.t) {
    case "push":
      driver.push(msg.r);
      break;
    case "finish":
      driver.finish(msg.resources).then(
        (result) => post({ t: "result", result }),
        (e: unknown) => post(failure(e)),
      );
      break;
    case "abort":
      driver.abort();
      break;
  }
});
