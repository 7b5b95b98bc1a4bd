/**
 * Reads and analyses one file. The in-process path and the worker threads both call this, so a file
 * gives the same outcome however many jobs run.
 */
import { analyzeSource, languageForPath, mightHoldFinding, TypeScriptWorkspace } from "../rules/index";
import type { AnalysisSettings, FileOutcome, FileTask, LocatedFinding } from "./check-types";
import { readSourceFile } from "./read-source";

/** Warnings of this thread's TypeScript projects (a broken tsconfig...) not yet handed to an outcome. */
const pendingNotes: string[] = [];

/** One per thread: TypeScript files of a project share its program (and its type checker). */
const typescript = new TypeScriptWorkspace({ onWarning: (message) => pendingNotes.push(message) });

/** Whether this thread added the run's TypeScript files to their projects yet. */
let typescriptFilesAdded = false;

/** The outcome of one file; `initCore` must have been awaited in this thread. Never throws. */
export function checkFile(task: FileTask, settings: AnalysisSettings): FileOutcome {
  if (!typescriptFilesAdded && languageForPath(task.absPath) === "typescript") {
    typescriptFilesAdded = true;
    // Files the run skips (too large, binary, not UTF-8, unreadable) stay out of the program too.
    typescript.addFiles(settings.typescriptFiles.filter((path) => readSourceFile(path).ok));
  }
  const outcome = checkFileOnce(task, settings);
  if (pendingNotes.length === 0 || outcome.kind !== "checked") return outcome;
  return { ...outcome, notes: pendingNotes.splice(0) };
}

function checkFileOnce(task: FileTask, settings: AnalysisSettings): FileOutcome {
  const read = readSourceFile(task.absPath);
  if (!read.ok) return { kind: "skipped", reason: read.reason };
  const source = read.text;
  let result;
  try {
    if (settings.prefilter && !mightHoldFinding(source, settings.options, settings.rules, task.analysisPath)) {
      return { kind: "checked", findings: [], ruleErrors: [] };
    }
    result = analyzeSource(
      { path: task.analysisPath, source, options: settings.options, rules: settings.rules, absolutePath: task.absPath },
      undefined,
      typescript,
    );
  } catch (error) {
    // The core isolates rule failures itself; reaching here means the engine failed on this file.
    return { kind: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  let lines: string[] | null = null;
  const findings: LocatedFinding[] = result.findings.map((finding) => {
    // Split only for files that have findings: most files have none.
    lines ??= source.split("\n");
    return { ...finding, lineText: lines[finding.range.start.line] ?? "" };
  });
  return { kind: "checked", findings, ruleErrors: result.ruleErrors };
}
