/** The messages between the CLI's main thread and its worker threads (`cli/worker.ts`). */
import type { GrammarFiles } from "../rules/index";
import type { AnalysisSettings, FileOutcome, FileTask, SummaryResult } from "./check-types";

/** Sent once as `workerData`. */
export interface WorkerInit {
  grammar: GrammarFiles;
  settings: AnalysisSettings;
}

/**
 * A batch of files to analyse (`check`) or to summarize for the workspace index (`summarize`; with
 * `seeds`, a file that cannot hold a `blocking-call-transitive` finding is not summarized but checked
 * right away, see `SummaryResult`), or the
 * run's summaries, which the worker's index holds for the `check` batches that follow (`index`, no
 * reply; as JSON text: serialized once for all workers, and a string is copied cheaply). `id` comes
 * back in the reply.
 */
export type WorkerRequest =
  | { kind: "check"; id: number; tasks: FileTask[] }
  | { kind: "summarize"; id: number; tasks: FileTask[]; seeds: boolean; wanted?: (string[] | null)[] }
  | { kind: "index"; summaries: string };

/** The results of a batch, in the order of its tasks, or a failure that ends the worker's usefulness. */
export type WorkerReply =
  | { kind: "outcomes"; id: number; outcomes: FileOutcome[] }
  | { kind: "summaries"; id: number; results: SummaryResult[] }
  | { kind: "fatal"; message: string };
