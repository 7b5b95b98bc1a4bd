/**
 * Entry point of a worker thread (bundled as `dist/worker.cjs`). It loads the grammar once, then
 * answers batches of file paths with their outcomes; it reads the files itself so their text is
 * never copied between threads.
 */
import { parentPort, workerData } from "node:worker_threads";
import { initCore } from "../rules/index";
import { checkFile } from "./check-file";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./worker-protocol";

const port = parentPort;
if (port === null) throw new Error("corolint: worker.cjs must run as a worker thread");

const init = workerData as WorkerInit;
const ready = initCore(init.grammar);

port.on("message", (request: WorkerRequest) => {
  ready.then(
    () => {
      const outcomes = request.tasks.map((task) => checkFile(task, init.settings));
      const reply: WorkerReply = { kind: "batch", id: request.id, outcomes };
      port.postMessage(reply);
    },
    (error: unknown) => {
      const reply: WorkerReply = { kind: "fatal", message: `could not load the Python grammar: ${String(error)}` };
      port.postMessage(reply);
    },
  );
});
