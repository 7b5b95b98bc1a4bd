/**
 * Reads and analyses one file. The in-process path and the worker threads both call this, so a file
 * gives the same outcome however many jobs run.
 */
import { analyzeSource, IncrementalParser, languageForPath, mightHoldFinding, TypeScriptWorkspace } from "../rules/index";
import { summarizeFile } from "../rules/workspace/summarize-file";
import type { FileSummary, WorkspaceIndex } from "../rules/workspace/summary";
import type { AnalysisSettings, FileOutcome, FileTask, LocatedFinding } from "./check-types";
import { readSourceFile } from "./read-source";
import { TRANSITIVE_RULE } from "./workspace-pass";

/** Warnings of this thread's TypeScript projects (a broken tsconfig...) not yet handed to an outcome. */
const pendingNotes: string[] = [];

/** One per thread: TypeScript files of a project share its program (and its type checker). */
const typescript = new TypeScriptWorkspace({ onWarning: (message) => pendingNotes.push(message) });

/** Whether this thread added the run's TypeScript files to their projects yet. */
let typescriptFilesAdded = false;

/**
 * The syntax trees of seeds (files with async code) that this thread summarized, kept for their
 * check: the run's main thread sends a seed's check to the thread that summarized it, so that the
 * summary pass does not parse it twice. Bounded: a tree lives in WASM memory.
 */
const keptParsers = new Map<string, IncrementalParser>();
const MAX_KEPT_PARSERS = 256;

/**
 * The outcome of one file; `initCore` must have been awaited in this thread. With `workspace` (the
 * run's index of summaries) `blocking-call-transitive` follows calls into other files. Never throws.
 */
export function checkFile(task: FileTask, settings: AnalysisSettings, workspace?: WorkspaceIndex): FileOutcome {
  addTypeScriptFiles(task, settings);
  const outcome = checkFileOnce(task, settings, workspace);
  if (pendingNotes.length === 0 || outcome.kind !== "checked") return outcome;
  return { ...outcome, notes: pendingNotes.splice(0) };
}

/**
 * The summary of one file for the workspace index, or null when it has none: unreadable, not a
 * language corolint reads, or failing. With `seedsOnly`, a file that cannot hold a
 * `blocking-call-transitive` finding (no async code) is not even parsed: the summary pass asks for
 * such a file only once a chain from async code may go through it.
 */
export function summarizeTask(task: FileTask, settings: AnalysisSettings, seedsOnly: boolean): FileSummary | null {
  addTypeScriptFiles(task, settings);
  const read = readSourceFile(task.absPath);
  if (!read.ok) return null;
  const request = { path: task.analysisPath, source: read.text, options: settings.options, rules: settings.rules, absolutePath: task.absPath };
  if (seedsOnly && settings.prefilter && !mightHoldFinding(read.text, settings.options, { select: [TRANSITIVE_RULE] }, task.analysisPath)) {
    return null;
  }
  try {
    if (!seedsOnly || languageForPath(task.absPath) !== "python" || keptParsers.size >= MAX_KEPT_PARSERS) {
      return summarizeFile(request, undefined, typescript);
    }
    const parser = new IncrementalParser();
    keptParsers.set(task.absPath, parser);
    return summarizeFile(request, parser);
  } catch {
    // A file the summarizer fails on is left out of the index; its own check reports the failure.
    return null;
  }
}

function addTypeScriptFiles(task: FileTask, settings: AnalysisSettings): void {
  if (!typescriptFilesAdded && languageForPath(task.absPath) === "typescript") {
    typescriptFilesAdded = true;
    // Files the run skips (too large, binary, not UTF-8, unreadable) stay out of the program too.
    typescript.addFiles(settings.typescriptFiles.filter((path) => readSourceFile(path).ok));
  }
}

function checkFileOnce(task: FileTask, settings: AnalysisSettings, workspace: WorkspaceIndex | undefined): FileOutcome {
  const read = readSourceFile(task.absPath);
  if (!read.ok) return { kind: "skipped", reason: read.reason };
  const source = read.text;
  // A tree kept from the summary pass: the same text parses to it without work (the parser compares texts).
  const parser = keptParsers.get(task.absPath);
  keptParsers.delete(task.absPath);
  let result;
  try {
    if (settings.prefilter && !mightHoldFinding(source, settings.options, settings.rules, task.analysisPath)) {
      return { kind: "checked", findings: [], ruleErrors: [] };
    }
    result = analyzeSource(
      { path: task.analysisPath, source, options: settings.options, rules: settings.rules, absolutePath: task.absPath, workspace },
      parser,
      typescript,
    );
  } catch (error) {
    // The core isolates rule failures itself; reaching here means the engine failed on this file.
    return { kind: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  } finally {
    parser?.dispose();
  }
  let lines: string[] | null = null;
  const findings: LocatedFinding[] = result.findings.map((finding) => {
    // Split only for files that have findings: most files have none.
    lines ??= source.split("\n");
    return { ...finding, lineText: lines[finding.range.start.line] ?? "" };
  });
  return { kind: "checked", findings, ruleErrors: result.ruleErrors };
}
