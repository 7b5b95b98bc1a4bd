/**
 * Analyses a list of files either in this thread or on a pool of worker threads, and returns one
 * outcome per file in the order given. Threads pay off only for many files: each one loads the
 * grammar (tens of milliseconds) before its first file.
 *
 * When `blocking-call-transitive` runs, a summary pass comes first (see workspace-pass.ts): rounds of
 * `summarize` batches on the same threads, the summaries joined here, then handed to every thread
 * (`index`) before the `check` batches, so each file is analysed against the whole index. Python
 * files without async code are checked in the first round already (their findings do not depend on
 * the index), so that they are read once.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { initCore, languageForPath } from "../rules/index";
import { createWorkspaceIndex } from "../rules/workspace/index";
import type { FileSummary, WorkspaceIndex } from "../rules/workspace/summary";
import { checkFile, summarizeTask } from "./check-file";
import type { AnalysisSettings, FileOutcome, FileTask, SummaryResult } from "./check-types";
import { grammarFiles, workerScript } from "./grammar";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./worker-protocol";
import { SummaryDemand } from "./workspace-pass";

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
  /** Called with the number of files done so far, as files finish (the check, not the summary pass). */
  onProgress?: (done: number) => void;
  /**
   * The workspace index for `blocking-call-transitive`; absent when the rule does not run. Either
   * the files besides `tasks` that may be summarized (a summary pass runs), or the summaries of an
   * earlier pass (the check after `--fix`).
   */
  workspace?: { extraFiles: FileTask[] } | { summaries: FileSummary[] };
}

/** The outcomes, in the order of the tasks, and the summaries the index was built from. */
export interface AnalysisRun {
  outcomes: FileOutcome[];
  summaries: FileSummary[];
}

/**
 * Rejects only when the machinery fails (a worker crashed or could not load the grammar); problems
 * with single files are outcomes, not rejections.
 */
export async function analyzeFiles(tasks: FileTask[], settings: AnalysisSettings, options: RunOptions): Promise<AnalysisRun> {
  if (tasks.length === 0) return { outcomes: [], summaries: [] };
  const script = workerScript();
  const workerCount = Math.min(options.jobs, tasks.length);
  const executor: Executor = workerCount <= 1 || script === null ? await InProcess.start(settings) : new WorkerPool(script, workerCount, settings);
  try {
    let summaries: FileSummary[] | null = null;
    // Outcomes of files checked during the summary pass, by task index.
    let early = new Map<number, FileOutcome>();
    if (options.workspace !== undefined) {
      if ("summaries" in options.workspace) summaries = options.workspace.summaries;
      else ({ summaries, early } = await summaryPass(executor, tasks, options.workspace.extraFiles));
      executor.setSummaries(summaries);
    }
    const rest = tasks.flatMap((_, index) => (early.has(index) ? [] : [index]));
    const onProgress = options.onProgress;
    const checked = (await executor.run(
      "check",
      rest.map((index) => tasks[index]!),
      false,
      onProgress && ((done) => onProgress(early.size + done)),
    )) as FileOutcome[];
    const outcomes = tasks.map((_, index) => early.get(index));
    rest.forEach((index, offset) => (outcomes[index] = checked[offset]));
    return { outcomes: outcomes as FileOutcome[], summaries: summaries ?? [] };
  } finally {
    await executor.close();
  }
}

/**
 * Rounds of summaries: first the checked files that can hold a finding, then whatever the summaries
 * so far may call into (checked files or extra ones), until a round names nothing new.
 */
async function summaryPass(
  executor: Executor,
  tasks: FileTask[],
  extraFiles: FileTask[],
): Promise<{ summaries: FileSummary[]; early: Map<number, FileOutcome> }> {
  const candidates = [...tasks, ...extraFiles];
  const demand = new SummaryDemand(candidates);
  const seedIndexes = tasks.map((_, index) => index);
  demand.markRequested(seedIndexes);
  const seedResults = (await executor.run("summarize", tasks, true)) as SummaryResult[];
  const early = new Map<number, FileOutcome>();
  seedResults.forEach((result, index) => result.outcome && early.set(index, result.outcome));
  // Seeds without async code were not parsed, but may be named later: they can be requested again.
  demand.forget(seedIndexes.filter((index) => seedResults[index]!.summary === null));
  const summaries = seedResults.flatMap((result) => (result.summary ? [result.summary] : []));
  let wanted = demand.next(seedResults.map((result, index) => ({ index, summary: result.summary })), true);
  while (wanted.length > 0) {
    const round = ((await executor.run("summarize", wanted.map((index) => candidates[index]!), false)) as SummaryResult[]).map((result) => result.summary);
    for (const summary of round) if (summary) summaries.push(summary);
    wanted = demand.next(round.map((summary, offset) => ({ index: wanted[offset]!, summary })), false);
  }
  return { summaries, early };
}

/** Where files are summarized and checked: this thread or a pool of workers. */
interface Executor {
  run(kind: "check" | "summarize", tasks: FileTask[], seeds: boolean, onProgress?: (done: number) => void): Promise<unknown[]>;
  /** The index the following `check` runs use. */
  setSummaries(summaries: FileSummary[]): void;
  close(): Promise<void>;
}

class InProcess implements Executor {
  private workspace: WorkspaceIndex | undefined;

  private constructor(private readonly settings: AnalysisSettings) {}

  static async start(settings: AnalysisSettings): Promise<InProcess> {
    await initCore(grammarFiles());
    return new InProcess(settings);
  }

  run(kind: "check" | "summarize", tasks: FileTask[], seeds: boolean, onProgress?: (done: number) => void): Promise<unknown[]> {
    const results: unknown[] = [];
    for (const task of tasks) {
      results.push(kind === "check" ? checkFile(task, this.settings, this.workspace) : summarizeTask(task, this.settings, seeds));
      if (kind === "check") onProgress?.(results.length);
    }
    return Promise.resolve(results);
  }

  setSummaries(summaries: FileSummary[]): void {
    this.workspace = createWorkspaceIndex();
    for (const summary of summaries) this.workspace.update(summary);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The batches of one `run` call on the pool. */
interface Phase {
  kind: "check" | "summarize";
  seeds: boolean;
  tasks: FileTask[];
  results: unknown[];
  done: number;
  /** Batch id → the task indexes it holds. */
  sent: number[][];
  typescriptBatches: number[][];
  otherBatches: number[][];
  /** Per worker, the batches of files whose trees it kept from the summary pass. */
  ownBatches: number[][][];
  onProgress: ((done: number) => void) | undefined;
  resolve(results: unknown[]): void;
  reject(error: Error): void;
}

/** Worker threads kept for the whole run: the summary pass and the check share their grammar and TypeScript programs. */
class WorkerPool implements Executor {
  private readonly workers: Worker[] = [];
  private phase: Phase | null = null;
  private failure: Error | null = null;
  private closing = false;
  /** The worker that summarized a seed (and kept its tree for the check). */
  private readonly owners = new Map<string, number>();

  constructor(script: string, count: number, settings: AnalysisSettings) {
    const init: WorkerInit = { grammar: grammarFiles(), settings };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script, { workerData: init });
      this.workers.push(worker);
      worker.on("message", (reply: WorkerReply) => this.received(i, reply));
      worker.on("error", (error) => this.fail(new Error(`a worker thread failed: ${error.stack ?? error.message}`)));
      worker.on("exit", (code) => {
        if (!this.closing) this.fail(new Error(`a worker thread exited unexpectedly (code ${code})`));
      });
    }
  }

  run(kind: "check" | "summarize", tasks: FileTask[], seeds: boolean, onProgress?: (done: number) => void): Promise<unknown[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (tasks.length === 0) return Promise.resolve([]);
    // Many small batches: files that need parsing cluster in folders (a test suite of async code), and
    // a worker that drew such a batch must not hold up the end of the run; messages stay cheap.
    const batchSize = Math.max(1, Math.min(8, Math.ceil(tasks.length / (this.workers.length * 4))));
    // TypeScript and JavaScript files all go to the first worker: a project's program (and type
    // checker) is built once per thread, and building it twice would cost more than it saves.
    const isTypeScript = (task: FileTask) => languageForPath(task.absPath) === "typescript";
    const ownerOf = (task: FileTask) => (kind === "check" && !isTypeScript(task) ? this.owners.get(task.absPath) : undefined);
    const typescriptTasks = tasks.flatMap((task, index) => (isTypeScript(task) ? [index] : []));
    const otherTasks = tasks.flatMap((task, index) => (isTypeScript(task) || ownerOf(task) !== undefined ? [] : [index]));
    const ownTasks = this.workers.map((_, worker) => tasks.flatMap((task, index) => (ownerOf(task) === worker ? [index] : [])));
    const slice = (indexes: number[]) => {
      const batches: number[][] = [];
      for (let start = 0; start < indexes.length; start += batchSize) batches.push(indexes.slice(start, start + batchSize));
      return batches;
    };
    return new Promise((resolve, reject) => {
      this.phase = {
        kind,
        seeds,
        tasks,
        results: new Array(tasks.length),
        done: 0,
        sent: [],
        typescriptBatches: slice(typescriptTasks),
        otherBatches: slice(otherTasks),
        ownBatches: ownTasks.map(slice),
        onProgress,
        resolve,
        reject,
      };
      // Two batches in flight per worker: it starts the next one while the reply to the last travels.
      for (let i = 0; i < this.workers.length; i++) {
        this.sendNext(i);
        this.sendNext(i);
      }
    });
  }

  setSummaries(summaries: FileSummary[]): void {
    const request: WorkerRequest = { kind: "index", summaries };
    for (const worker of this.workers) worker.postMessage(request);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private sendNext(workerIndex: number): void {
    const phase = this.phase;
    if (!phase) return;
    // Its own files first, then (worker 0) TypeScript, then any; an idle worker takes another's own
    // files rather than wait (it parses them again).
    const batch =
      phase.ownBatches[workerIndex]!.shift() ??
      (workerIndex === 0 ? phase.typescriptBatches.shift() : undefined) ??
      phase.otherBatches.shift() ??
      phase.ownBatches.reduce((longest, queue) => (queue.length > longest.length ? queue : longest), []).shift();
    if (!batch) return;
    const id = phase.sent.length;
    phase.sent.push(batch);
    const tasks = batch.map((index) => phase.tasks[index]!);
    const request: WorkerRequest = phase.kind === "check" ? { kind: "check", id, tasks } : { kind: "summarize", id, tasks, seeds: phase.seeds };
    this.workers[workerIndex]!.postMessage(request);
  }

  private received(workerIndex: number, reply: WorkerReply): void {
    if (reply.kind === "fatal") {
      this.fail(new Error(reply.message));
      return;
    }
    const phase = this.phase;
    if (!phase) return;
    const results: unknown[] = reply.kind === "outcomes" ? reply.outcomes : reply.results;
    const batch = phase.sent[reply.id]!;
    results.forEach((result, offset) => {
      phase.results[batch[offset]!] = result;
      if (phase.kind === "summarize" && phase.seeds && (result as SummaryResult).summary !== null) this.owners.set(phase.tasks[batch[offset]!]!.absPath, workerIndex);
    });
    phase.done += results.length;
    phase.onProgress?.(phase.done);
    if (phase.done === phase.tasks.length) {
      this.phase = null;
      phase.resolve(phase.results);
    } else {
      this.sendNext(workerIndex);
    }
  }

  private fail(error: Error): void {
    if (this.failure || this.closing) return;
    this.failure = error;
    const phase = this.phase;
    this.phase = null;
    phase?.reject(error);
  }
}
