/**
 * Analyses a list of files either in this thread or on a pool of worker threads, and returns one
 * outcome per file in the order given. Threads pay off only for many files: each one loads the
 * grammar (tens of milliseconds) before its first file.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { initCore, languageForPath } from "../rules/index";
import { checkFile } from "./check-file";
import type { AnalysisSettings, FileOutcome, FileTask } from "./check-types";
import { grammarFiles, workerScript } from "./grammar";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./worker-protocol";

/** Below this many files per thread a worker costs more to start than it saves. */
const FILES_PER_WORKER = 16;

/** The default for `--jobs`: one thread per 16 files, at most one per core; 0 or 1 means in-process. */
export function defaultJobs(fileCount: number): number {
  return Math.min(availableParallelism(), Math.floor(fileCount / FILES_PER_WORKER));
}

/** How to run the analysis. */
export interface RunOptions {
  /** Worker threads to use; 0 or 1 analyses in this thread. */
  jobs: number;
  /** Called with the number of files done so far, as files finish. */
  onProgress?: (done: number) => void;
}

/**
 * One outcome per task, in the order of `tasks`. Rejects only when the machinery fails (a worker
 * crashed or could not load the grammar); problems with single files are outcomes, not rejections.
 */
export async function analyzeFiles(tasks: FileTask[], settings: AnalysisSettings, options: RunOptions): Promise<FileOutcome[]> {
  const script = workerScript();
  const workerCount = Math.min(options.jobs, tasks.length);
  if (workerCount <= 1 || script === null) return analyzeInProcess(tasks, settings, options);
  return analyzeOnWorkers(script, workerCount, tasks, settings, options);
}

async function analyzeInProcess(tasks: FileTask[], settings: AnalysisSettings, options: RunOptions): Promise<FileOutcome[]> {
  if (tasks.length === 0) return [];
  await initCore(grammarFiles());
  const outcomes: FileOutcome[] = [];
  for (const task of tasks) {
    outcomes.push(checkFile(task, settings));
    options.onProgress?.(outcomes.length);
  }
  return outcomes;
}

function analyzeOnWorkers(
  script: string,
  workerCount: number,
  tasks: FileTask[],
  settings: AnalysisSettings,
  options: RunOptions,
): Promise<FileOutcome[]> {
  // Many small batches: files that need parsing cluster in folders (a test suite of async code), and
  // a worker that drew such a batch must not hold up the end of the run; messages stay cheap.
  const batchSize = Math.max(1, Math.min(8, Math.ceil(tasks.length / (workerCount * 4))));
  // TypeScript and JavaScript files all go to the first worker: a project's program (and type
  // checker) is built once per thread, and building it twice would cost more than it saves.
  const typescriptBatches: number[][] = [];
  const otherBatches: number[][] = [];
  const typescriptTasks = tasks.flatMap((task, index) => (languageForPath(task.absPath) === "typescript" ? [index] : []));
  const otherTasks = tasks.flatMap((task, index) => (languageForPath(task.absPath) === "typescript" ? [] : [index]));
  for (let start = 0; start < typescriptTasks.length; start += batchSize) typescriptBatches.push(typescriptTasks.slice(start, start + batchSize));
  for (let start = 0; start < otherTasks.length; start += batchSize) otherBatches.push(otherTasks.slice(start, start + batchSize));
  const batches: number[][] = [];

  const init: WorkerInit = { grammar: grammarFiles(), settings };
  const outcomes: FileOutcome[] = new Array(tasks.length);
  const workers: Worker[] = [];
  let done = 0;
  let settled = false;

  return new Promise((resolve, reject) => {
    const stopAll = (): Promise<unknown> => Promise.all(workers.map((worker) => worker.terminate()));
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      void stopAll().finally(() => reject(error));
    };
    const sendNext = (worker: Worker, isFirst: boolean): void => {
      const batch = (isFirst ? typescriptBatches.shift() : undefined) ?? otherBatches.shift();
      if (!batch) return;
      const id = batches.length;
      batches.push(batch);
      const request: WorkerRequest = { id, tasks: batch.map((index) => tasks[index]!) };
      worker.postMessage(request);
    };

    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(script, { workerData: init });
      const isFirst = i === 0;
      workers.push(worker);
      worker.on("message", (reply: WorkerReply) => {
        if (settled) return;
        if (reply.kind === "fatal") {
          fail(new Error(reply.message));
          return;
        }
        const batch = batches[reply.id]!;
        reply.outcomes.forEach((outcome, offset) => {
          outcomes[batch[offset]!] = outcome;
        });
        done += reply.outcomes.length;
        options.onProgress?.(done);
        if (done === tasks.length) {
          settled = true;
          void stopAll().finally(() => resolve(outcomes));
        } else {
          sendNext(worker, isFirst);
        }
      });
      worker.on("error", (error) => fail(new Error(`a worker thread failed: ${error.stack ?? error.message}`)));
      worker.on("exit", (code) => fail(new Error(`a worker thread exited unexpectedly (code ${code})`)));
      // Two batches in flight: the worker starts the next one while the reply to the last travels.
      sendNext(worker, isFirst);
      sendNext(worker, isFirst);
    }
  });
}
