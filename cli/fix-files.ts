/**
 * `corolint check --fix` / `--unsafe-fixes` / `--diff`: applies the rules' fixes to the files that
 * have fixable findings, with the same core `fixAll` the editor's "Fix All" uses. Runs in the main
 * thread after the analysis, on those files only.
 *
 * Guarantees: a fixed text that parses worse than the original is never written (the core rejects
 * such fixes, and they are reported); writes are atomic (a temporary file beside the original, then
 * a rename) and keep the file's mode, its byte-order mark and its line endings; fixing twice changes
 * nothing the second time.
 */
import { chmodSync, closeSync, fsyncSync, openSync, readSync, realpathSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fixAll, initCore, languageForPath, TypeScriptWorkspace } from "../rules/index";
import type { AnalysisSettings, FileOutcome, FileTask } from "./check-types";
import { grammarFiles } from "./grammar";
import { readSourceFile } from "./read-source";
import { unifiedDiff } from "./unified-diff";

/** What fixing one file did. */
export interface FileFix {
  task: FileTask;
  /** Fixes applied (or, with `--diff`, that would be). */
  fixed: number;
  /** Titles of fixes left out because the file would no longer have parsed. */
  rejected: string[];
  /** The unified diff, with `--diff`. */
  diff?: string;
  /** Why the file could not be fixed (unreadable now, write failed). */
  error?: string;
}

export interface FixOptions {
  unsafe: boolean;
  /** Print diffs instead of writing. */
  dryRun: boolean;
  /** How the diff names the file. */
  displayPath: (task: FileTask) => string;
}

/** Whether an outcome has a finding with a fix the options allow. */
export function hasApplicableFix(outcome: FileOutcome, unsafe: boolean): boolean {
  if (outcome.kind !== "checked") return false;
  return outcome.findings.some((finding) => finding.fixes?.some((fix) => fix.safety === "safe" || unsafe));
}

/** Fixes the given files (each had an applicable fix when analysed). */
export async function fixFiles(tasks: readonly FileTask[], settings: AnalysisSettings, options: FixOptions): Promise<FileFix[]> {
  if (tasks.length === 0) return [];
  await initCore(grammarFiles());
  const typescript = new TypeScriptWorkspace();
  const typescriptFiles = tasks.map((task) => task.absPath).filter((path) => languageForPath(path) === "typescript");
  if (typescriptFiles.length > 0) typescript.addFiles(typescriptFiles);
  const results: FileFix[] = [];
  for (const task of tasks) results.push(fixOneFile(task, settings, options, typescript));
  return results;
}

function fixOneFile(task: FileTask, settings: AnalysisSettings, options: FixOptions, typescript: TypeScriptWorkspace): FileFix {
  const read = readSourceFile(task.absPath);
  if (!read.ok) return { task, fixed: 0, rejected: [], error: read.reason };
  const request = { path: task.analysisPath, source: read.text, options: settings.options, rules: settings.rules, absolutePath: task.absPath };
  let result;
  try {
    result = fixAll(request, { unsafe: options.unsafe }, typescript);
  } catch (error) {
    return { task, fixed: 0, rejected: [], error: `internal error while fixing: ${error instanceof Error ? error.message : String(error)}` };
  }
  const rejected = result.rejected.map((fix) => fix.title);
  if (result.text === read.text) return { task, fixed: 0, rejected };
  if (options.dryRun) return { task, fixed: result.fixed, rejected, diff: unifiedDiff(options.displayPath(task), read.text, result.text) };
  try {
    writeAtomically(task.absPath, result.text);
  } catch (error) {
    return { task, fixed: 0, rejected, error: `could not write the fixed file: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { task, fixed: result.fixed, rejected };
}

/** Whether the file on disk starts with a UTF-8 byte-order mark (the reader drops it; the writer puts it back). */
function startsWithBom(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(3);
    return readSync(fd, head, 0, 3, 0) === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces a file's content in one step: a reader sees the old or the new file, never half of one,
 * and a crash leaves the original. The temporary file sits beside the target (a rename cannot cross
 * file systems); through a symlink, the file it points at is replaced, not the link.
 */
export function writeAtomically(path: string, text: string): void {
  const target = realpathSync(path);
  const mode = statSync(target).mode & 0o7777;
  const bytes = Buffer.concat([startsWithBom(target) ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, "utf8")]);
  const temporary = join(dirname(target), `.${basename(target)}.corolint-${process.pid}-${Date.now().toString(36)}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(temporary, "wx", mode);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    // The creation mode is filtered by the umask: set it exactly.
    chmodSync(temporary, mode);
    renameSync(temporary, target);
  } catch (error) {
    if (fd !== null) closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
}
