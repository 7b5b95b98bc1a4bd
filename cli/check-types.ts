/**
 * Plain data passed between the CLI's main thread and its worker threads. Everything here must
 * survive structured cloning (no classes, no functions, no RegExps).
 */
import type { Finding, PartialAnalysisOptions, RuleSelection } from "../rules/index";
import type { FileSummary } from "../rules/workspace/summary";

/** What every file of one run is analysed with. */
export interface AnalysisSettings {
  options: PartialAnalysisOptions;
  rules: RuleSelection;
  /** Skip parsing files that `mightHoldFinding` rules out; `--no-prefilter` turns it off. */
  prefilter: boolean;
  /**
   * The run's TypeScript and JavaScript files (absolute paths): the thread that checks the first one
   * adds them all to their projects, so each project's program is built once.
   */
  typescriptFiles: string[];
}

/** One file to analyse. */
export interface FileTask {
  /** Where to read it. */
  absPath: string;
  /** Relative to the project root with `/`: what the core sees as `AnalyzeRequest.path`. */
  analysisPath: string;
}

/** A finding plus the text of its first line, which SARIF fingerprints hash instead of a line number. */
export interface LocatedFinding extends Finding {
  lineText: string;
}

/** A rule that threw while analysing a file. */
export interface RuleError {
  rule: string;
  message: string;
}

/** What happened to one file. */
export type FileOutcome =
  | {
      kind: "checked";
      findings: LocatedFinding[];
      ruleErrors: RuleError[];
      /** Warnings about the file's project raised while checking it (a broken tsconfig.json...). */
      notes?: string[];
    }
  /** Not analysed for a reason the user can act on (binary, too large, unreadable...). */
  | { kind: "skipped"; reason: string }
  /** The core itself threw: a corolint bug, reported as an internal error. */
  | { kind: "failed"; message: string };

/**
 * What the summary pass gets back for one file: its summary (null: none), and, for a Python file of
 * the first round that cannot hold a `blocking-call-transitive` finding, its outcome: such a file's
 * check does not need the index, so it is checked while its text is at hand rather than read again.
 */
export interface SummaryResult {
  summary: FileSummary | null;
  outcome?: FileOutcome;
  /** For a partial summary (a Python file asked for some functions only): the ids of all its functions. */
  ids?: string[];
}
