/**
 * Findings as LSP diagnostics. Each carries the rule id as `code`, a link to the rule's page (the
 * same address SARIF's `helpUri` uses), related locations, and in `data` the fixes that code actions
 * turn into quick fixes, tagged with the document version they were computed for.
 */
import { resolve } from "node:path";
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation, type Range } from "vscode-languageserver";
import { HOME_URL, ruleHelpUrl } from "../cli/package-info";
import { ruleById, type Finding, type Fix, type Range as CoreRange, type Severity, type TextEdit } from "../rules/index";
import { filePathToUri } from "./file-uris";
import { DIAGNOSTIC_SOURCE, type DiagnosticData, type DiagnosticFix } from "./protocol";

const SEVERITIES: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

/** Where the findings came from: the document and the folder related files are relative to. */
export interface DiagnosticOrigin {
  uri: string;
  version: number;
  /** The analysis root; null for documents not on disk. */
  root: string | null;
  /**
   * False for clients that do not show `relatedInformation` (publishDiagnostics capability): the
   * related locations are then written into the message, one line each, so that a chain of calls
   * (blocking-call-transitive) is still readable.
   */
  relatedInformation?: boolean;
}

/** Converts the core's zero-based range (UTF-16 columns, as LSP counts) into an LSP range. */
export function toLspRange(range: CoreRange): Range {
  return {
    start: { line: range.start.line, character: range.start.column },
    end: { line: range.end.line, character: range.end.column },
  };
}

/** Converts an LSP range back into the core's. */
export function toCoreRange(range: Range): CoreRange {
  return {
    start: { line: range.start.line, column: range.start.character },
    end: { line: range.end.line, column: range.end.character },
  };
}

/** One diagnostic per finding, in the core's order. */
export function toDiagnostics(findings: readonly Finding[], origin: DiagnosticOrigin): Diagnostic[] {
  return findings.map((finding) => toDiagnostic(finding, origin));
}

function toDiagnostic(finding: Finding, origin: DiagnosticOrigin): Diagnostic {
  const data: DiagnosticData = { version: origin.version, fixes: (finding.fixes ?? []).map(toDiagnosticFix) };
  const diagnostic: Diagnostic = {
    range: toLspRange(finding.range),
    severity: SEVERITIES[finding.severity],
    source: DIAGNOSTIC_SOURCE,
    code: finding.rule,
    // syntax-error is the engine's, not a catalogue rule: it has no page, SARIF links the home page too.
    codeDescription: { href: ruleById(finding.rule) !== undefined ? ruleHelpUrl(finding.rule) : HOME_URL },
    message: finding.message,
    data,
  };
  if (finding.related !== undefined && finding.related.length > 0 && origin.relatedInformation === false) {
    const lines = finding.related.map((related) => {
      const where = related.file === undefined || origin.root === null ? "" : `${related.file}:`;
      return `\n  ${where}${related.range.start.line + 1}: ${related.message}`;
    });
    diagnostic.message += lines.join("");
  } else if (finding.related !== undefined && finding.related.length > 0) {
    diagnostic.relatedInformation = finding.related.map((related): DiagnosticRelatedInformation => ({
      location: { uri: relatedUri(related.file, origin), range: toLspRange(related.range) },
      message: related.message,
    }));
  }
  return diagnostic;
}

/** Related locations without `file` are in the same document; others are relative to the analysis root. */
function relatedUri(file: string | undefined, origin: DiagnosticOrigin): string {
  if (file === undefined || origin.root === null) return origin.uri;
  return filePathToUri(resolve(origin.root, file));
}

function toDiagnosticFix(fix: Fix): DiagnosticFix {
  return { title: fix.title, safe: fix.safety === "safe", edits: joinTouchingEdits(fix.edits).map((edit) => ({ range: toLspRange(edit.range), newText: edit.newText })) };
}

/**
 * Folds an insertion at the start of a replaced range into that replacement (`await ` before
 * `time.sleep` → `await asyncio.sleep`). The core may emit them separately; LSP clients differ in
 * how they order edits that touch, and one edit leaves no room for disagreement.
 */
function joinTouchingEdits(edits: readonly TextEdit[]): TextEdit[] {
  const merged = [...edits];
  const folded = new Set<number>();
  // Backwards, so that several insertions at one place keep their order in front of the replacement.
  for (let i = merged.length - 1; i >= 0; i--) {
    const insertion = merged[i]!;
    if (!isEmpty(insertion.range)) continue;
    const target = merged.findIndex(
      (other, j) => j !== i && !folded.has(j) && !isEmpty(other.range) && samePosition(other.range.start, insertion.range.start),
    );
    if (target === -1) continue;
    merged[target] = { range: merged[target]!.range, newText: insertion.newText + merged[target]!.newText };
    folded.add(i);
  }
  return merged.filter((_, index) => !folded.has(index));
}

function isEmpty(range: CoreRange): boolean {
  return samePosition(range.start, range.end);
}

function samePosition(a: CoreRange["start"], b: CoreRange["start"]): boolean {
  return a.line === b.line && a.column === b.column;
}

/**
 * The `data` of a diagnostic the client sent back, if it is corolint's and was computed for
 * `version`; null otherwise (another linter's, stale, or mangled by the client).
 */
export function currentData(diagnostic: Diagnostic, version: number): DiagnosticData | null {
  const data: unknown = diagnostic.data;
  if (typeof data !== "object" || data === null) return null;
  const candidate = data as Partial<DiagnosticData>;
  if (candidate.version !== version || !Array.isArray(candidate.fixes)) return null;
  return candidate.fixes.every(isDiagnosticFix) ? (candidate as DiagnosticData) : null;
}

function isDiagnosticFix(value: unknown): value is DiagnosticFix {
  if (typeof value !== "object" || value === null) return false;
  const fix = value as Partial<DiagnosticFix>;
  return typeof fix.title === "string" && typeof fix.safe === "boolean" && Array.isArray(fix.edits) && fix.edits.every(isTextEdit);
}

function isTextEdit(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const edit = value as { range?: unknown; newText?: unknown };
  return typeof edit.newText === "string" && isRange(edit.range);
}

/** Whether a value from the client is a well-formed LSP range. */
export function isRange(value: unknown): value is Range {
  if (typeof value !== "object" || value === null) return false;
  const range = value as { start?: unknown; end?: unknown };
  return isPosition(range.start) && isPosition(range.end);
}

function isPosition(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const position = value as { line?: unknown; character?: unknown };
  return isNaturalNumber(position.line) && isNaturalNumber(position.character);
}

function isNaturalNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
