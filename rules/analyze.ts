import type { Node } from "web-tree-sitter";
import type { Report, Rule } from "./rule";
import type { AnalysisOptions, AnalysisResult, AnalyzeRequest, Finding, Language, RuleSelection, Severity } from "./types";
import { defaultAnalysisOptions } from "./types";
import type { IncrementalParser } from "./incremental";
import { initPythonParser, parsePython, type GrammarFiles } from "./python/parser";
import { rangeOf } from "./python/fix-helpers";
import { PythonModel } from "./python/semantic";
import { rules } from "./registry";
import { collectSuppressions, isSuppressed } from "./suppression";
import { analyzeTypeScript, collectTypeScriptSuppressions } from "./typescript/analyze";
import { TypeScriptWorkspace } from "./typescript/workspace";

/** The id of the finding the engine reports where the parser met invalid syntax. Not a catalogue rule. */
export const SYNTAX_ERROR = "syntax-error";

/** Loads the parsers. Await it once per thread before `analyzeSource`. */
export async function initCore(grammar: GrammarFiles): Promise<void> {
  await initPythonParser(grammar);
}

/** The language corolint analyses a file as, from its extension; null for files it does not read. */
export function languageForPath(path: string): Language | null {
  if (/\.pyi?$/.test(path)) return "python";
  // Declaration files hold no code that runs.
  if (/\.d\.[cm]?ts$/.test(path)) return null;
  return /\.([cm]?[jt]s|[jt]sx)$/.test(path) ? "typescript" : null;
}

/** The TypeScript workspace of this thread when the caller brings none (tests, one-off analyses). */
let defaultWorkspace: TypeScriptWorkspace | null = null;

export function resolveOptions(partial: AnalyzeRequest["options"]): AnalysisOptions {
  return { ...defaultAnalysisOptions, ...partial };
}

/** The severity a rule runs at under a selection, or null when it does not run. */
export function effectiveSeverity(id: string, defaultSeverity: Severity, selection: RuleSelection = {}): Severity | null {
  if (selection.ignore?.includes(id)) return null;
  // syntax-error is not a rule one selects: it is reported unless ignored or turned off.
  if (id !== SYNTAX_ERROR && selection.select && !selection.select.includes(id)) return null;
  const configured = selection.severity?.[id];
  if (configured === "off") return null;
  return configured ?? defaultSeverity;
}

/**
 * Whether a file's text can hold any finding of the selected rules. False lets the CLI skip parsing
 * it; a test over the standard library checks that the shortcut never hides a finding.
 */
export function mightHoldFinding(
  source: string,
  options?: AnalyzeRequest["options"],
  selection?: RuleSelection,
  path = "",
): boolean {
  const resolved = resolveOptions(options);
  const language = languageForPath(path) ?? "python";
  return rules.some((rule) => {
    if (!rule.languages.includes(language) || effectiveSeverity(rule.id, rule.defaultSeverity, selection) === null) return false;
    if (language === "python") return rule.mightApply(source, resolved, path);
    return rule.mightApplyTypeScript?.(source, resolved, path) ?? true;
  });
}

function runRule(rule: Rule, severity: Severity, model: PythonModel, request: AnalyzeRequest, options: AnalysisOptions, findings: Finding[]): void {
  rule.checkPython({
    model,
    options,
    path: request.path,
    absolutePath: request.absolutePath,
    workspace: request.workspace,
    workspaceRoots: request.workspaceRoots,
    report(report: Report) {
      findings.push({
        rule: rule.id,
        severity,
        message: report.message,
        range: "range" in report ? report.range : rangeOf(report.node, report.end),
        related: report.related?.map((r) => ("node" in r ? { message: r.message, range: rangeOf(r.node) } : r)),
        ...(report.fixes && report.fixes.length > 0 ? { fixes: report.fixes } : {}),
      });
    },
  });
}

/**
 * Analyses one file. Pure apart from the parser loaded by `initCore`: no file or process I/O.
 * With `parser` (one per open document) the file is re-parsed incrementally.
 * A rule that throws is isolated: its error is returned in `ruleErrors` and the others still report.
 */
export function analyzeSource(request: AnalyzeRequest, parser?: IncrementalParser, typescript?: TypeScriptWorkspace): AnalysisResult {
  const options = resolveOptions(request.options);
  if (languageForPath(request.path) === "typescript") {
    return analyzeTypeScriptSource(request, options, typescript ?? (defaultWorkspace ??= new TypeScriptWorkspace()));
  }
  // An editor passes the document's parser, which keeps (and owns) the tree between edits.
  const tree = parser ? parser.parse(request.source) : parsePython(request.source);
  try {
    return analyzeModel(new PythonModel(tree, request.source, options.extraAsyncDecorators), request);
  } finally {
    if (!parser) tree.delete();
  }
}

/**
 * Analyses a Python file from a model built on its whole tree (`new PythonModel(tree, request.source,
 * extraAsyncDecorators)`, no plan): the CLI reuses the model its summary pass built.
 */
export function analyzeModel(model: PythonModel, request: AnalyzeRequest): AnalysisResult {
  const { findings, ruleErrors } = runRules(model, request, resolveOptions(request.options));
  return { findings: finishFindings(findings, model.root, request.source), ruleErrors };
}

function analyzeTypeScriptSource(request: AnalyzeRequest, options: AnalysisOptions, workspace: TypeScriptWorkspace): AnalysisResult {
  const selected = rules.flatMap((rule) => {
    const severity = rule.checkTypeScript && rule.languages.includes("typescript") ? effectiveSeverity(rule.id, rule.defaultSeverity, request.rules) : null;
    return severity ? [{ rule, severity }] : [];
  });
  const syntaxSeverity = effectiveSeverity(SYNTAX_ERROR, "error", request.rules);
  const { findings, ruleErrors, sourceFile } = analyzeTypeScript(request, options, selected, syntaxSeverity, workspace);
  const suppressions = findings.length > 0 ? collectTypeScriptSuppressions(sourceFile) : null;
  const kept = dedupe(suppressions ? findings.filter((finding) => !isSuppressed(finding, suppressions)) : findings);
  kept.sort(compareFindings);
  return { findings: kept, ruleErrors };
}

/**
 * Runs the selected rules over a model, and reports the first syntax error when the model covers
 * the whole tree. The findings are raw: not yet filtered by suppressions, deduplicated or sorted.
 */
export function runRules(
  model: PythonModel,
  request: AnalyzeRequest,
  options: AnalysisOptions,
  /** Which rules (and whether `syntax-error`) to run, by id, within the request's selection. */
  include: (id: string) => boolean = () => true,
): AnalysisResult {
  const findings: Finding[] = [];
  const ruleErrors: AnalysisResult["ruleErrors"] = [];
  for (const rule of rules) {
    if (!include(rule.id)) continue;
    const severity = rule.languages.includes("python") ? effectiveSeverity(rule.id, rule.defaultSeverity, request.rules) : null;
    if (severity === null) continue;
    try {
      runRule(rule, severity, model, request, options, findings);
    } catch (error) {
      ruleErrors.push({ rule: rule.id, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  }
  const syntaxSeverity = include(SYNTAX_ERROR) ? effectiveSeverity(SYNTAX_ERROR, "error", request.rules) : null;
  const broken = syntaxSeverity ? model.firstSyntaxError() : null;
  if (broken && syntaxSeverity) {
    const what = broken.isMissing ? `missing \`${broken.type}\`` : "invalid syntax";
    findings.push({
      rule: SYNTAX_ERROR,
      severity: syntaxSeverity,
      message: `Syntax error (${what}): corolint analysed the rest of the file, but code around here may be missed`,
      range: rangeOf(broken),
    });
  }
  return { findings, ruleErrors };
}

/** Drops suppressed and duplicate findings and sorts the rest. Leaves the given findings untouched. */
export function finishFindings(findings: readonly Finding[], root: Node, source: string): Finding[] {
  // Only files that mention a suppression pay for collecting comments.
  const mayHaveSuppressions = findings.length > 0 && /corolint:|noqa/i.test(source);
  const suppressions = mayHaveSuppressions ? collectSuppressions(root) : null;
  const kept = dedupe(suppressions ? findings.filter((finding) => !isSuppressed(finding, suppressions)) : findings);
  kept.sort(compareFindings);
  return kept;
}

function compareFindings(a: Finding, b: Finding): number {
  return (
    a.range.start.line - b.range.start.line ||
    a.range.start.column - b.range.start.column ||
    a.rule.localeCompare(b.rule)
  );
}

/** One finding per rule and range: a call seen twice (say, as decorator and call) is reported once. */
function dedupe(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.rule}:${f.range.start.line}:${f.range.start.column}:${f.range.end.line}:${f.range.end.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
