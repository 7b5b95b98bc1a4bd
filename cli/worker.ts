/**
 * Entry point of a worker thread (bundled as `dist/worker.cjs`). It loads the grammar once, then
 * answers batches of file paths with their outcomes or summaries; it reads the files itself so their
 * text is never copied between threads.
 */
import { parentPort, workerData } from "node:worker_threads";
import { initCore } from "../rules/index";
import { createWorkspaceIndex } from "../rules/workspace/index";
import type { FileSummary, WorkspaceIndex } from "../rules/workspace/summary";
import { checkFile, summarizeTask } from "./check-file";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./worker-protocol";

const port = parentPort;
if (port === null) throw new Error("corolint: worker.cjs must run as a worker thread");

const init = workerData as WorkerInit;
const ready = initCore(init.grammar);
/** The run's workspace index, once the main thread sent the summaries. */
let workspace: WorkspaceIndex | undefined;

port.on("message", (request: WorkerRequest) => {
  ready.then(
    () => {
      let reply: WorkerReply;
      switch (request.kind) {
        case "index":
          workspace = createWorkspaceIndex();
          for (const summary of JSON.parse(request.summaries) as FileSummary[]) workspace.update(summary);
          return;
        case "summarize":
          reply = { kind: "summaries", id: request.id, results: request.tasks.map((task, i) => summarizeTask(task, init.settings, request.seeds, request.wanted?.[i])) };
          break;
        case "check":
          reply = { kind: "outcomes", id: request.id, outcomes: request.tasks.map((task) => checkFile(task, init.settings, workspace)) };
          break;
      }
      port.postMessage(reply);
    },
    (error: unknown) => {
      const reply: WorkerReply = { kind: "fatal", message: `could not load the Python grammar: ${String(error)}` };
      port.postMessage(reply);
    },
  );
});
