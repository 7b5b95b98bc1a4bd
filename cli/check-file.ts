/**
 * Reads and analyses one file. The in-process path and the worker threads both call this, so a file
 * gives the same outcome however many jobs run.
 */
import { analyzeModel, analyzeSource, IncrementalParser, languageForPath, mightHoldFinding, TypeScriptWorkspace } from "../rules/index";
import { resolveOptions } from "../rules/analyze";
import type { PythonModel } from "../rules/python/semantic";
import { adoptPythonSummary } from "../rules/python/summarize";
import { summaryFileOf } from "../rules/workspace/module-keys";
import { summarizeFile, summarizePythonCoroutineFile, summarizePythonFilePart } from "../rules/workspace/summarize-file";
import type { WorkspaceIndex } from "../rules/workspace/summary";
import type { AnalysisSettings, FileOutcome, FileTask, LocatedFinding, SummaryResult } from "./check-types";
import { readSourceFile } from "./read-source";
import { TRANSITIVE_RULE } from "./workspace-pass";

/** Warnings of this thread's TypeScript projects (a broken tsconfig...) not yet handed to an outcome. */
const pendingNotes: string[] = [];

/** One per thread: TypeScript files of a project share its program (and its type checker). */
const typescript = new TypeScriptWorkspace({ onWarning: (message) => pendingNotes.push(message) });

/** Whether this thread added the run's TypeScript files to their projects yet. */
let typescriptFilesAdded = false;

/**
 * The syntax trees of seeds (files with async code) that this thread summarized, and the models built
 * on them, kept for their check: the run's main thread sends a seed's check to the thread that
 * summarized it, so that the file is neither parsed nor modelled twice (the model also keeps the
 * callees the summary resolved), and the check takes the summary the index holds for it instead of
 * summarizing it whole. Bounded: a tree lives in WASM memory.
 */
const keptParsers = new Map<string, IncrementalParser>();
const keptModels = new Map<string, PythonModel>();
const MAX_KEPT_PARSERS = 256;

/**
 * The outcome of one file; `initCore` must have been awaited in this thread. With `workspace` (the
 * run's index of summaries) `blocking-call-transitive` follows calls into other files. Never throws.
 */
export function checkFile(task: FileTask, settings: AnalysisSettings, workspace?: WorkspaceIndex): FileOutcome {
  addTypeScriptFiles(task, settings);
  const read = readSourceFile(task.absPath);
  if (!read.ok) return { kind: "skipped", reason: read.reason };
  return withNotes(checkSource(task, read.text, settings, workspace));
}

function withNotes(outcome: FileOutcome): FileOutcome {
  if (pendingNotes.length === 0 || outcome.kind !== "checked") return outcome;
  return { ...outcome, notes: pendingNotes.splice(0) };
}

/**
 * The summary of one file for the workspace index, or null when it has none: unreadable, not a
 * language corolint reads, or failing. With `seedsOnly`, a file that cannot hold a
 * `blocking-call-transitive` finding (no async code) is not even parsed for a summary: the summary
 * pass asks for such a file only once a chain from async code may go through it. A Python one is
 * checked instead (its findings do not depend on the index), so that its text is read once. With
 * `wanted` (function ids), a Python file gets a partial summary of these functions (and the ids of all).
 */
export function summarizeTask(task: FileTask, settings: AnalysisSettings, seedsOnly: boolean, wanted?: string[] | null): SummaryResult {
  addTypeScriptFiles(task, settings);
  const read = readSourceFile(task.absPath);
  if (!read.ok) return { summary: null };
  const request = { path: task.analysisPath, source: read.text, options: settings.options, rules: settings.rules, absolutePath: task.absPath };
  const python = languageForPath(task.absPath) === "python";
  if (seedsOnly && settings.prefilter) {
    // The run's prefilter first: most files can hold no finding of any rule (this one included), and
    // the check would scan them again.
    if (!mightHoldFinding(read.text, settings.options, settings.rules, task.analysisPath)) {
      return python ? { summary: null, outcome: withNotes({ kind: "checked", findings: [], ruleErrors: [] }) } : { summary: null };
    }
    if (!mightHoldFinding(read.text, settings.options, { select: [TRANSITIVE_RULE] }, task.analysisPath)) {
      return python ? { summary: null, outcome: withNotes(checkSource(task, read.text, settings, undefined, true)) } : { summary: null };
    }
  }
  try {
    // A module that is only a call target: the functions the pass follows in it, not all of them.
    // A file with coroutines summarized again (a chain from elsewhere wants more of it): on its kept
    // model when this thread has it (the pool sends it here).
    if (wanted && python && !seedsOnly) return summarizePythonFilePart(request, new Set(wanted), keptModels.get(task.absPath));
    if (!seedsOnly || !python || keptParsers.size >= MAX_KEPT_PARSERS) {
      return { summary: summarizeFile(request, undefined, typescript) };
    }
    const parser = new IncrementalParser();
    keptParsers.set(task.absPath, parser);
    // Its coroutines and what they call: other functions only if a chain from elsewhere asks later.
    const { summary, ids, model } = summarizePythonCoroutineFile(request, parser);
    keptModels.set(task.absPath, model);
    return { summary, ids };
  } catch {
    // A file the summarizer fails on is left out of the index; its own check reports the failure.
    return { summary: null };
  }
}

function addTypeScriptFiles(task: FileTask, settings: AnalysisSettings): void {
  if (!typescriptFilesAdded && languageForPath(task.absPath) === "typescript") {
    typescriptFilesAdded = true;
    // Files the run skips (too large, binary, not UTF-8, unreadable) stay out of the program too.
    typescript.addFiles(settings.typescriptFiles.filter((path) => readSourceFile(path).ok));
  }
}

function checkSource(
  task: FileTask,
  source: string,
  settings: AnalysisSettings,
  workspace: WorkspaceIndex | undefined,
  /** The prefilter already said the file may hold a finding. */
  prefiltered = false,
): FileOutcome {
  // A tree kept from the summary pass: the same text parses to it without work (the parser compares texts).
  const parser = keptParsers.get(task.absPath);
  const model = keptModels.get(task.absPath);
  keptParsers.delete(task.absPath);
  keptModels.delete(task.absPath);
  let result;
  try {
    if (settings.prefilter && !prefiltered && !mightHoldFinding(source, settings.options, settings.rules, task.analysisPath)) {
      return { kind: "checked", findings: [], ruleErrors: [] };
    }
    const request = { path: task.analysisPath, source, options: settings.options, rules: settings.rules, absolutePath: task.absPath, workspace };
    // The kept model is of the text the summary pass read: reused only if the file is unchanged. Its
    // summary in the index is then of the same text too: the rule takes it as the model's.
    if (model && model.source === source) {
      const indexed = workspace?.summaryOf(summaryFileOf(task.analysisPath, task.absPath));
      if (indexed) adoptPythonSummary(model, resolveOptions(settings.options), indexed);
      result = analyzeModel(model, request);
    } else {
      result = analyzeSource(request, parser, typescript);
    }
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
