/**
 * The shared vocabulary of the analysis core: findings, rules and options.
 * Everything here is plain data so the CLI, the language server and worker threads can pass it around
 * (but `AnalyzeRequest.workspace`, an index each thread keeps).
 */
import type { WorkspaceIndex } from "./workspace/summary";

/** How serious a finding is. `error` findings make `corolint check` exit 1. */
export type Severity = "error" | "warning" | "info";

/** A zero-based position; `column` counts UTF-16 code units, as LSP does. */
export interface Position {
  line: number;
  column: number;
}

/** A zero-based, end-exclusive range in one file. */
export interface Range {
  start: Position;
  end: Position;
}

/** A second location that explains a finding (the earlier import of a late patch, for example). */
export interface RelatedInformation {
  message: string;
  range: Range;
  /** Absent when the location is in the same file as the finding. */
  file?: string;
}

/** Replace the text in `range` with `newText` (an insertion when the range is empty). */
export interface TextEdit {
  range: Range;
  newText: string;
}

/**
 * A change that resolves a finding. `safe` fixes keep the program's meaning (Ruff's convention) and
 * are applied by `--fix` and "Fix all"; `unsafe` ones need a human to look.
 */
export interface Fix {
  title: string;
  safety: "safe" | "unsafe";
  /** Non-overlapping edits against the analysed text. */
  edits: TextEdit[];
}

/** One problem found in one file. */
export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  range: Range;
  related?: RelatedInformation[];
  /** Ways to fix it, the preferred one first; absent when the rule offers none here. */
  fixes?: Fix[];
}

/** The published documentation of a rule, in Ruff's sections. */
export interface RuleDocs {
  /** What the rule reports, one or two sentences. */
  what: string;
  /** Why the pattern hurts a cooperative scheduler. */
  why: string;
  /** Code that triggers the rule (a test checks that it does). */
  example: string;
  /** The corrected code (a test checks that it does not trigger the rule). */
  useInstead: string;
  /** Whether automatic fixes are safe; absent while a rule has no fix. */
  fixSafety?: string;
  /** The same pair in TypeScript, for rules that check TypeScript and JavaScript (tests check both). */
  typescript?: { example: string; useInstead: string };
}

/** Languages the core can analyse. */
export type Language = "python" | "typescript";

/** Codes of other linters that report the same pitfall; `# noqa: CODE` honours them. */
export interface RuleEquivalents {
  /** ESLint rules (with their plugin prefix) that report the pitfall in TypeScript/JavaScript. */
  eslint?: string[];
  flake8Async?: string[];
  ruff?: string[];
}

/** The options every rule receives, resolved from defaults, configuration files and flags. */
export interface AnalysisOptions {
  /** Extra blocking functions by qualified name (for example `mylib.fetch_sync`). */
  extraBlockingCalls: string[];
  /** Extra decorators (qualified names) that make a generator function a coroutine. */
  extraAsyncDecorators: string[];
  /** Report `monkey-patch` in test files too. */
  monkeyPatchInTests: boolean;
  /**
   * `blocking-call-transitive` follows chains through at most this many sync functions of the
   * workspace (1: only helpers that block directly); absent: no limit (cycles still end).
   */
  transitiveMaxDepth?: number;
}

/** Options as a user writes them: anything missing takes its default. */
export type PartialAnalysisOptions = Partial<AnalysisOptions>;

export const defaultAnalysisOptions: AnalysisOptions = {
  extraBlockingCalls: [],
  extraAsyncDecorators: [],
  monkeyPatchInTests: false,
};

/** Which rules run and how loud they are. */
export interface RuleSelection {
  /** Rule ids to run; absent means every rule. */
  select?: string[];
  /** Rule ids never to run. */
  ignore?: string[];
  /** Per-rule severity overrides; `off` disables the rule. */
  severity?: Record<string, Severity | "off">;
}

/** Everything `analyzeSource` needs besides the text. */
export interface AnalyzeRequest {
  /** Path of the file, relative to the project root, with `/` separators (test-file detection uses it). */
  path: string;
  source: string;
  options?: PartialAnalysisOptions;
  rules?: RuleSelection;
  /**
   * The file's absolute path on disk, when it has one. TypeScript and JavaScript files need it to find
   * their tsconfig.json and the modules they import (for type-aware rules).
   */
  absolutePath?: string;
  /**
   * The workspace index `blocking-call-transitive` follows calls into other files with (see
   * rules/workspace/summary.ts). `analyzeSource` updates it with this text's summary first. Absent:
   * the rule follows calls inside this file only.
   */
  workspace?: WorkspaceIndex;
  /**
   * Folders Python module names are taken from besides the packages (`__init__.py`), for the
   * workspace index. Absent: the project root (`absolutePath` without `path`).
   */
  workspaceRoots?: string[];
}

/** What the core says about one file. */
export interface AnalysisResult {
  findings: Finding[];
  /** Rules that threw on this file: they are isolated and named here, the other rules still report. */
  ruleErrors: { rule: string; message: string }[];
}
