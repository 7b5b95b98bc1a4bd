/**
 * `corolint check`: configuration, file discovery, analysis, report, exit code.
 * Exit codes: 0 no error-severity finding (or --exit-zero), 1 at least one, 2 usage, configuration
 * or machinery failure.
 */
import { relative, resolve } from "node:path";
import { ConfigError, isKnownRuleId, mergeSelection, unknownRuleMessage, type ProjectConfig } from "../rules/config";
import { languageForPath } from "../rules/index";
import type { FileSummary } from "../rules/workspace/summary";
import type { CheckArgs } from "./args";
import type { AnalysisSettings, FileOutcome, FileTask } from "./check-types";
import { discoverFiles, toPosix } from "./discover-files";
import { formatGithub } from "./formats/github";
import { formatJson } from "./formats/json";
import { formatSarif } from "./formats/sarif";
import { formatText } from "./formats/text";
import type { Io } from "./io";
import { findConfig, loadConfigFile, type LoadedConfig } from "./load-config";
import { Progress } from "./progress";
import { compareFindings, compareStrings, type CheckReport } from "./report";
import { analyzeFiles, defaultJobs, type RunOptions } from "./run-analysis";
import { fixFiles, hasApplicableFix, type FileFix } from "./fix-files";
import { extraIndexFiles, looksLikeProjectRoot, transitiveSelected } from "./workspace-pass";

const EMPTY_CONFIG: ProjectConfig = { rules: {}, options: {}, exclude: [] };

/** Runs `corolint check` and returns the exit code. */
export async function runCheck(args: CheckArgs, io: Io): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`corolint: ${message}\n`);
    return 2;
  };

  let loaded: LoadedConfig | null;
  try {
    loaded = args.config !== undefined ? loadConfigFile(args.config, io.cwd) : findConfig(io.cwd, io.cwd);
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    throw error;
  }
  for (const [flag, ids] of [["--select", args.select], ["--ignore", args.ignore]] as const) {
    for (const id of ids ?? []) {
      if (!isKnownRuleId(id)) return fail(`${flag}: ${unknownRuleMessage(id)}`);
    }
  }

  const config = loaded?.config ?? EMPTY_CONFIG;
  // Analysed paths are relative to the project root, so that test-file detection and `exclude`
  // mean the same thing whichever sub-folder corolint is started from.
  const root = loaded?.dir ?? io.cwd;
  const settings: AnalysisSettings = {
    options: config.options,
    rules: mergeSelection(config.rules, { select: args.select, ignore: args.ignore }),
    prefilter: args.prefilter,
    typescriptFiles: [],
  };

  const discovery = discoverFiles(
    args.paths.map((path) => resolve(io.cwd, path)),
    { excludeBase: loaded?.dir ?? null, exclude: config.exclude },
  );
  if (discovery.missing.length > 0) {
    for (const path of discovery.missing) io.stderr.write(`corolint: no such file or folder: ${display(io.cwd, path)}\n`);
    return 2;
  }

  const tasks: FileTask[] = discovery.files.map((absPath) => ({ absPath, analysisPath: toPosix(relative(root, absPath)) }));
  settings.typescriptFiles = tasks.map((task) => task.absPath).filter((path) => languageForPath(path) === "typescript");
  // blocking-call-transitive needs the workspace index; without the rule no file is summarized.
  let workspace: RunOptions["workspace"];
  if (transitiveSelected(settings.rules)) {
    const indexRoot = loaded?.dir ?? (looksLikeProjectRoot(io.cwd) ? io.cwd : null);
    const named = args.paths.map((path) => resolve(io.cwd, path));
    workspace = { extraFiles: extraIndexFiles(indexRoot, named, tasks, { excludeBase: loaded?.dir ?? null, exclude: config.exclude }, root) };
  }
  const progress = new Progress(io.stderr, tasks.length);
  let outcomes: FileOutcome[];
  let summaries: FileSummary[] = [];
  try {
    ({ outcomes, summaries } = await analyzeFiles(tasks, settings, {
      jobs: args.jobs ?? defaultJobs(tasks.length),
      onProgress: (done) => progress.update(done),
      workspace,
    }));
  } catch (error) {
    progress.finish();
    return fail(`internal error: ${error instanceof Error ? error.message : String(error)}`);
  }
  progress.finish();

  let fixedLine: string | null = null;
  if (args.fix || args.diff) {
    const fixable = tasks.filter((_, index) => hasApplicableFix(outcomes[index]!, args.unsafeFixes));
    let fixes: FileFix[];
    try {
      fixes = await fixFiles(fixable, settings, {
        unsafe: args.unsafeFixes,
        dryRun: args.diff,
        displayPath: (task) => display(io.cwd, task.absPath),
      });
    } catch (error) {
      return fail(`internal error while fixing: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const fix of fixes) {
      const file = display(io.cwd, fix.task.absPath);
      if (fix.error) io.stderr.write(`corolint: could not fix ${file}: ${fix.error}\n`);
      for (const title of fix.rejected) io.stderr.write(`corolint: ${file}: skipped the fix "${title}": the file would no longer parse\n`);
    }
    const changed = fixes.filter((fix) => fix.fixed > 0);
    const count = changed.reduce((sum, fix) => sum + fix.fixed, 0);
    const summary = `${count} ${count === 1 ? "fix" : "fixes"} in ${changed.length} ${changed.length === 1 ? "file" : "files"}`;
    if (args.diff) {
      for (const fix of changed) io.stdout.write(fix.diff ?? "");
      io.stderr.write(count === 0 ? "corolint: nothing to fix\n" : `corolint: would apply ${summary}\n`);
      return count > 0 ? 1 : 0;
    }
    // What is left: the fixed files analysed again.
    const changedTasks = changed.map((fix) => fix.task);
    // The index of the first pass: the fixes change async code, not what sync helpers call.
    const { outcomes: again } = await analyzeFiles(changedTasks, settings, { jobs: 1, workspace: workspace && { summaries } });
    changedTasks.forEach((task, index) => {
      outcomes[tasks.indexOf(task)] = again[index]!;
    });
    fixedLine = `Applied ${summary}.`;
  }

  const report = buildReport(io.cwd, root, tasks, outcomes, discovery.skipped);
  writeDiagnostics(report, args, io);
  if (fixedLine !== null) (args.format === "text" ? io.stdout : io.stderr).write(`${fixedLine}\n`);

  switch (args.format) {
    case "text": {
      const color = io.stdout.isTTY === true && (io.env["NO_COLOR"] ?? "") === "";
      io.stdout.write(formatText(report, { color }));
      break;
    }
    case "json":
      io.stdout.write(formatJson(report));
      break;
    case "sarif":
      io.stdout.write(formatSarif(report));
      break;
    case "github":
      io.stdout.write(formatGithub(report));
      break;
  }

  const hasErrors = report.findings.some((finding) => finding.severity === "error");
  return hasErrors && !args.exitZero ? 1 : 0;
}

/** Turns per-file outcomes into the sorted, cwd-relative report every format renders. */
function buildReport(
  cwd: string,
  root: string,
  tasks: FileTask[],
  outcomes: FileOutcome[],
  discoverySkipped: { absPath: string; reason: string }[],
): CheckReport {
  const report: CheckReport = { findings: [], skipped: [], ruleErrors: [], internalErrors: [], notes: [], filesChecked: 0, cwd };
  for (const { absPath, reason } of discoverySkipped) report.skipped.push({ file: display(cwd, absPath), reason });
  tasks.forEach((task, index) => {
    const outcome = outcomes[index]!;
    const file = display(cwd, task.absPath);
    switch (outcome.kind) {
      case "skipped":
        report.skipped.push({ file, reason: outcome.reason });
        return;
      case "failed":
        report.skipped.push({ file, reason: "internal error (see the message on stderr)" });
        report.internalErrors.push({ file, message: outcome.message });
        return;
      case "checked":
        report.filesChecked++;
        for (const note of outcome.notes ?? []) if (!report.notes.includes(note)) report.notes.push(note);
        for (const error of outcome.ruleErrors) report.ruleErrors.push({ file, ...error });
        for (const finding of outcome.findings) {
          report.findings.push({
            file,
            rule: finding.rule,
            severity: finding.severity,
            message: finding.message,
            range: finding.range,
            // The core names other files relative to the project root; users read paths from where they stand.
            related: (finding.related ?? []).map((related) => ({
              file: related.file === undefined ? file : display(cwd, resolve(root, related.file)),
              message: related.message,
              range: related.range,
            })),
            lineText: finding.lineText,
          });
        }
    }
  });
  report.findings.sort(compareFindings);
  report.skipped.sort((a, b) => compareStrings(a.file, b.file));
  report.ruleErrors.sort((a, b) => compareStrings(a.file, b.file) || compareStrings(a.rule, b.rule));
  report.internalErrors.sort((a, b) => compareStrings(a.file, b.file));
  return report;
}

/**
 * Messages for stderr. Rule and engine failures are always shown: they mean findings may be
 * missing. Skipped files are listed here only for text; the other formats carry them in stdout.
 */
function writeDiagnostics(report: CheckReport, args: CheckArgs, io: Io): void {
  for (const note of report.notes) io.stderr.write(`${note}\n`);
  for (const failure of report.ruleErrors) {
    io.stderr.write(
      `corolint: internal warning: rule ${failure.rule} failed on ${failure.file}; its findings there are missing: ${failure.message}\n`,
    );
  }
  for (const failure of report.internalErrors) {
    io.stderr.write(`corolint: internal error while analysing ${failure.file}; the file was not checked: ${failure.message}\n`);
  }
  if (args.format !== "text") return;
  for (const skipped of report.skipped) io.stderr.write(`corolint: skipped ${skipped.file}: ${skipped.reason}\n`);
  if (report.filesChecked === 0 && report.skipped.length === 0) {
    io.stderr.write(`corolint: warning: no Python, TypeScript or JavaScript files found in ${args.paths.join(", ")}\n`);
  }
}

/** A path as shown to users: relative to the current directory, with `/`. */
function display(cwd: string, absPath: string): string {
  return toPosix(relative(cwd, absPath)) || ".";
}
