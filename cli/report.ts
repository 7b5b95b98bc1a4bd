/**
 * The result of `corolint check` in the shape every output format renders: findings with paths
 * relative to the current directory, sorted; skipped files with reasons; internal errors.
 */
import type { Range, Severity } from "../rules/index";

/** A finding located in a file, paths relative to the current directory with `/`. */
export interface ReportedFinding {
  file: string;
  rule: string;
  severity: Severity;
  message: string;
  /** Zero-based, as the core reports it; formats add 1. */
  range: Range;
  related: { file: string; message: string; range: Range }[];
  /** The text of the finding's first line (SARIF fingerprints hash it). */
  lineText: string;
}

/** Everything one `check` run found out. */
export interface CheckReport {
  findings: ReportedFinding[];
  skipped: { file: string; reason: string }[];
  /** Rules that threw on a file: the file's other findings are still reported. */
  ruleErrors: { file: string; rule: string; message: string }[];
  /** Files on which the engine itself failed (also listed in `skipped`). */
  internalErrors: { file: string; message: string }[];
  /** Warnings about projects (a broken tsconfig.json, a program over the type-check budget), each once. */
  notes: string[];
  /** Files analysed (or ruled out by the prefilter), not counting skipped ones. */
  filesChecked: number;
  /** The absolute current directory that `file` paths are relative to. */
  cwd: string;
}

/** Counts shown by every format's summary. */
export interface Summary {
  files: number;
  findings: number;
  errors: number;
  warnings: number;
  infos: number;
  skipped: number;
  /** Files with at least one finding. */
  filesWithFindings: number;
}

/** Totals of a report. */
export function summarize(report: CheckReport): Summary {
  const count = (severity: Severity) => report.findings.filter((f) => f.severity === severity).length;
  return {
    files: report.filesChecked,
    findings: report.findings.length,
    errors: count("error"),
    warnings: count("warning"),
    infos: count("info"),
    skipped: report.skipped.length,
    filesWithFindings: new Set(report.findings.map((f) => f.file)).size,
  };
}

/**
 * Orders findings by file, line, column, rule, then the rest, so that output never depends on
 * thread scheduling or the order a file system lists folders in.
 */
export function compareFindings(a: ReportedFinding, b: ReportedFinding): number {
  return (
    compareStrings(a.file, b.file) ||
    a.range.start.line - b.range.start.line ||
    a.range.start.column - b.range.start.column ||
    compareStrings(a.rule, b.rule) ||
    a.range.end.line - b.range.end.line ||
    a.range.end.column - b.range.end.column ||
    compareStrings(a.message, b.message)
  );
}

/** Code-unit order, the same in every locale (unlike `localeCompare`). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A zero-based range as the one-based numbers every output shows. */
export function oneBased(range: Range): { line: number; column: number; endLine: number; endColumn: number } {
  return {
    line: range.start.line + 1,
    column: range.start.column + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.column + 1,
  };
}

/** `1 file`, `2 files`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
