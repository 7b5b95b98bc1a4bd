/** The messages between the CLI's main thread and its worker threads (`cli/worker.ts`). */
import type { GrammarFiles } from "../rules/index";
import type { AnalysisSettings, FileOutcome, FileTask } from "./check-types";

/** Sent once as `workerData`. */
export interface WorkerInit {
  grammar: GrammarFiles;
  settings: AnalysisSettings;
}

/** A batch of files to analyse; `id` comes back in the reply. */
export interface WorkerRequest {
  id: number;
  tasks: FileTask[];
}

/** The outcomes of a batch, in the order of its tasks, or a failure that ends the worker's usefulness. */
export type WorkerReply = { kind: "batch"; id: number; outcomes: FileOutcome[] } | { kind: "fatal"; message: string };
