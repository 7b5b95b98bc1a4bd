/**
 * Analyses a list of files either in this thread or on a pool of worker threads, and returns one
 * outcome per file in the order given. Threads pay off only for many files: each one loads the
 * grammar (tens of milliseconds) before its first file.
 *
 * When `blocking-call-transitive` runs, a summary pass comes first (see workspace-pass.ts):
 * `summarize` batches on the same threads, more of them as summaries name more files, the summaries
 * joined here, then handed to every thread (`index`) before the `check` batches, so each file is
 * analysed against the whole index. Python files without async code are checked in the pass's first
 * run already (their findings do not depend on the index), so that they are read once.
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
 * The summaries the index needs: first the checked files that can hold a finding, then whatever the
 * summaries so far may call into (checked files or extra ones), until nothing new is named. Not in
 * rounds: each batch's summaries name the next files as soon as they come back, and those are
 * summarized alongside the rest of the first pass (which also checks the files without async code),
 * so that no thread waits for a round's slowest file.
 */
async function summaryPass(
  executor: Executor,
  tasks: FileTask[],
  extraFiles: FileTask[],
): Promise<{ summaries: FileSummary[]; early: Map<number, FileOutcome> }> {
  const candidates = [...tasks, ...extraFiles];
  const demand = new SummaryDemand(candidates);
  demand.markRequested(tasks.map((_, index) => index));
  const early = new Map<number, FileOutcome>();
  const byCandidate = new Map<number, FileSummary>();
  const pending: Promise<unknown>[] = [];
  const track = (promise: Promise<unknown>) => {
    // Awaited below in order; the empty handler keeps a later one's failure from going unhandled meanwhile.
    promise.catch(() => undefined);
    pending.push(promise);
  };
  const take = (round: { index: number; summary: FileSummary | null; ids?: string[] }[], roots: boolean) => {
    // A file summarized again (more of its functions wanted) replaces its earlier part.
    for (const { index, summary } of round) if (summary) byCandidate.set(index, summary);
    // Seeds without async code were not parsed, but may be named: they can be requested again.
    const wanted = [...(roots ? demand.forget(round.filter((entry) => entry.summary === null).map((entry) => entry.index)) : []), ...demand.next(round, roots)];
    if (wanted.length > 0) summarize(wanted.sort((a, b) => a - b));
  };
  const summarize = (indexes: number[]) =>
    track(
      executor.run(
        "summarize",
        indexes.map((index) => candidates[index]!),
        false,
        undefined,
        (offsets, results) =>
          take(
            offsets.map((offset) => {
              const result = results[offset] as SummaryResult;
              return { index: indexes[offset]!, summary: result.summary, ids: result.ids };
            }),
            false,
          ),
        indexes.map((index) => demand.wantedOf(index)),
      ),
    );
  track(
    executor.run("summarize", tasks, true, undefined, (offsets, results) => {
      for (const offset of offsets) {
        const outcome = (results[offset] as SummaryResult).outcome;
        if (outcome) early.set(offset, outcome);
      }
      take(
        offsets.map((offset) => {
          const result = results[offset] as SummaryResult;
          return { index: offset, summary: result.summary, ids: result.ids };
        }),
        true,
      );
    }),
  );
  // Batches may add runs while earlier ones are awaited: go on until none is left.
  for (let i = 0; i < pending.length; i++) await pending[i];
  // In candidate order, whatever order the batches came back in.
  const summaries = [...byCandidate.entries()].sort((a, b) => a[0] - b[0]).map((entry) => entry[1]);
  return { summaries, early };
}

type OnBatch = (offsets: number[], results: unknown[]) => void;

/**
 * One file of the worker with the most own files left, from the end of its queue: done twice, a file
 * with async code is costly (often a large test module), so an idle worker takes one at a time and
 * the owner, working from the front, soon catches up.
 */
function stealOne(queues: number[][][]): number[] | undefined {
  const longest = queues.reduce((most, queue) => (queue.flat().length > most.flat().length ? queue : most), []);
  const last = longest[longest.length - 1];
  const index = last?.pop();
  if (last && last.length === 0) longest.pop();
  return index === undefined ? undefined : [index];
}

/** Where files are summarized and checked: this thread or a pool of workers. */
interface Executor {
  /**
   * Runs the tasks; `onBatch` gets the results so far (by task offset) and the offsets just done,
   * as batches finish. It may start another run: runs share the threads, the newest first.
   */
  run(
    kind: "check" | "summarize",
    tasks: FileTask[],
    seeds: boolean,
    onProgress?: (done: number) => void,
    onBatch?: OnBatch,
    wanted?: (string[] | null)[],
  ): Promise<unknown[]>;
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

  run(
    kind: "check" | "summarize",
    tasks: FileTask[],
    seeds: boolean,
    onProgress?: (done: number) => void,
    onBatch?: OnBatch,
    wanted?: (string[] | null)[],
  ): Promise<unknown[]> {
    const results: unknown[] = [];
    for (const task of tasks) {
      results.push(kind === "check" ? checkFile(task, this.settings, this.workspace) : summarizeTask(task, this.settings, seeds, wanted?.[results.length]));
      if (kind === "check") onProgress?.(results.length);
    }
    onBatch?.(tasks.map((_, offset) => offset), results);
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
  typescriptBatches: number[][];
  otherBatches: number[][];
  /** Per worker, the batches of files whose trees it kept from the summary pass. */
  ownBatches: number[][][];
  onProgress: ((done: number) => void) | undefined;
  onBatch: OnBatch | undefined;
  /** Per task, the function ids wanted of it (a partial summary), or null for all. */
  wanted: (string[] | null)[] | undefined;
  resolve(results: unknown[]): void;
  reject(error: Error): void;
}

/** Worker threads kept for the whole run: the summary pass and the check share their grammar and TypeScript programs. */
class WorkerPool implements Executor {
  private readonly workers: Worker[] = [];
  /** The runs under way, oldest first. */
  private phases: Phase[] = [];
  /** Batch id → its run and the task indexes it holds, until answered. */
  private readonly sent = new Map<number, { phase: Phase; batch: number[] }>();
  private nextBatchId = 0;
  /** Batches sent to each worker and not answered yet. */
  private readonly inFlight: number[] = [];
  private failure: Error | null = null;
  private closing = false;
  /** The worker that summarized a seed (and kept its tree for the check). */
  private readonly owners = new Map<string, number>();

  constructor(script: string, count: number, settings: AnalysisSettings) {
    const init: WorkerInit = { grammar: grammarFiles(), settings };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script, { workerData: init });
      this.workers.push(worker);
      this.inFlight.push(0);
      worker.on("message", (reply: WorkerReply) => this.received(i, reply));
      worker.on("error", (error) => this.fail(new Error(`a worker thread failed: ${error.stack ?? error.message}`)));
      worker.on("exit", (code) => {
        if (!this.closing) this.fail(new Error(`a worker thread exited unexpectedly (code ${code})`));
      });
    }
  }

  run(
    kind: "check" | "summarize",
    tasks: FileTask[],
    seeds: boolean,
    onProgress?: (done: number) => void,
    onBatch?: OnBatch,
    wanted?: (string[] | null)[],
  ): Promise<unknown[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (tasks.length === 0) return Promise.resolve([]);
    // Many small batches: files that need parsing cluster in folders (a test suite of async code), and
    // a worker that drew such a batch must not hold up the end of the run; messages stay cheap.
    const batchSize = Math.max(1, Math.min(8, Math.ceil(tasks.length / (this.workers.length * 4))));
    // TypeScript and JavaScript files all go to the first worker: a project's program (and type
    // checker) is built once per thread, and building it twice would cost more than it saves.
    const isTypeScript = (task: FileTask) => languageForPath(task.absPath) === "typescript";
    // A seed's check, or its summary again (more functions wanted), goes to the worker that kept its model.
    const ownerOf = (task: FileTask) => ((kind === "check" || !seeds) && !isTypeScript(task) ? this.owners.get(task.absPath) : undefined);
    const typescriptTasks = tasks.flatMap((task, index) => (isTypeScript(task) ? [index] : []));
    const otherTasks = tasks.flatMap((task, index) => (isTypeScript(task) || ownerOf(task) !== undefined ? [] : [index]));
    const ownTasks = this.workers.map((_, worker) => tasks.flatMap((task, index) => (ownerOf(task) === worker ? [index] : [])));
    const slice = (indexes: number[]) => {
      const batches: number[][] = [];
      for (let start = 0; start < indexes.length; start += batchSize) batches.push(indexes.slice(start, start + batchSize));
      return batches;
    };
    return new Promise((resolve, reject) => {
      this.phases.push({
        kind,
        seeds,
        tasks,
        results: new Array(tasks.length),
        done: 0,
        typescriptBatches: slice(typescriptTasks),
        otherBatches: slice(otherTasks),
        ownBatches: ownTasks.map(slice),
        onProgress,
        onBatch,
        wanted,
        resolve,
        reject,
      });
      for (let i = 0; i < this.workers.length; i++) this.fill(i);
    });
  }

  setSummaries(summaries: FileSummary[]): void {
    const request: WorkerRequest = { kind: "index", summaries: JSON.stringify(summaries) };
    for (const worker of this.workers) worker.postMessage(request);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  /** Two batches in flight per worker: it starts the next one while the reply to the last travels. */
  private fill(workerIndex: number): void {
    while (this.inFlight[workerIndex]! < 2 && this.sendNext(workerIndex));
  }

  private sendNext(workerIndex: number): boolean {
    // The newest run first: in the summary pass, the files later runs summarize may name more files,
    // and the check waits for all of them.
    for (let p = this.phases.length - 1; p >= 0; p--) {
      const phase = this.phases[p]!;
      // Its own files first, then (worker 0) TypeScript, then any; an idle worker takes another's own
      // files rather than wait (it parses and models them again).
      const batch =
        phase.ownBatches[workerIndex]!.shift() ??
        (workerIndex === 0 ? phase.typescriptBatches.shift() : undefined) ??
        phase.otherBatches.shift() ??
        stealOne(phase.ownBatches);
      if (!batch) continue;
      const id = this.nextBatchId++;
      this.sent.set(id, { phase, batch });
      const tasks = batch.map((index) => phase.tasks[index]!);
      const wanted = phase.wanted && batch.map((index) => phase.wanted![index] ?? null);
      const request: WorkerRequest = phase.kind === "check" ? { kind: "check", id, tasks } : { kind: "summarize", id, tasks, seeds: phase.seeds, wanted };
      this.inFlight[workerIndex]!++;
      this.workers[workerIndex]!.postMessage(request);
      return true;
    }
    return false;
  }

  private received(workerIndex: number, reply: WorkerReply): void {
    if (reply.kind === "fatal") {
      this.fail(new Error(reply.message));
      return;
    }
    if (this.failure) return;
    this.inFlight[workerIndex]!--;
    const results: unknown[] = reply.kind === "outcomes" ? reply.outcomes : reply.results;
    const { phase, batch } = this.sent.get(reply.id)!;
    this.sent.delete(reply.id);
    results.forEach((result, offset) => {
      phase.results[batch[offset]!] = result;
      if (phase.kind === "summarize" && phase.seeds && (result as SummaryResult).summary !== null) this.owners.set(phase.tasks[batch[offset]!]!.absPath, workerIndex);
    });
    phase.done += results.length;
    phase.onProgress?.(phase.done);
    phase.onBatch?.(batch, phase.results);
    if (phase.done === phase.tasks.length) {
      this.phases = this.phases.filter((other) => other !== phase);
      phase.resolve(phase.results);
    }
    this.fill(workerIndex);
  }

  private fail(error: Error): void {
    if (this.failure || this.closing) return;
    this.failure = error;
    const phases = this.phases;
    this.phases = [];
    for (const phase of phases) phase.reject(error);
  }
}
