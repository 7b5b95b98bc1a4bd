import type { ts as TS } from "ts-morph";
import { loadTypeScript, ts } from "./ts-runtime";
import type { Rule, TypeScriptReport } from "../rule";
import type { AnalysisOptions, AnalysisResult, AnalyzeRequest, Finding, Range, RuleSelection, Severity } from "../types";
import type { Suppressions } from "../suppression";
import { TypeScriptModel } from "./model";
import type { TypeScriptWorkspace } from "./workspace";

/** A range in line/column form (UTF-16 columns, as LSP and the Python side use). */
export function tsRange(sourceFile: TS.SourceFile, node: TS.Node, end: TS.Node = node): Range {
  const start = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  const stop = sourceFile.getLineAndCharacterOfPosition(end.getEnd());
  return { start: { line: start.line, column: start.character }, end: { line: stop.line, column: stop.character } };
}

/** The rules that check TypeScript, with the severity each runs at under the selection. */
export interface SelectedRule {
  rule: Rule;
  severity: Severity;
}

/**
 * Analyses one TypeScript or JavaScript file in its project. The type checker is built only when a
 * selected type-aware rule runs; rules that throw are isolated like on the Python side.
 */
export function analyzeTypeScript(
  request: AnalyzeRequest,
  options: AnalysisOptions,
  selected: readonly SelectedRule[],
  syntaxErrorSeverity: Severity | null,
  workspace: TypeScriptWorkspace,
): { findings: Finding[]; ruleErrors: AnalysisResult["ruleErrors"]; sourceFile: TS.SourceFile } {
  loadTypeScript();
  const { file, project } = workspace.sourceFile(request.absolutePath, request.path, request.source);
  let sourceFile = file.compilerNode;
  let checker: TS.TypeChecker | null = null;
  if (selected.some(({ rule }) => rule.typeAware)) {
    checker = project.typeChecker();
    // The checker knows the program's own node objects: use the program's copy of the file.
    const inProgram = checker ? project.project.getProgram().compilerObject.getSourceFile(file.getFilePath()) : undefined;
    if (inProgram) sourceFile = inProgram;
    else checker = null;
  }
  const model = new TypeScriptModel(sourceFile, checker, project.moduleResolver(file.getFilePath()));
  const findings: Finding[] = [];
  const ruleErrors: AnalysisResult["ruleErrors"] = [];
  for (const { rule, severity } of selected) {
    try {
      rule.checkTypeScript?.({
        model,
        options,
        path: request.path,
        absolutePath: request.absolutePath,
        workspace: request.workspace,
        workspaceRoots: request.workspaceRoots,
        report(report: TypeScriptReport) {
          findings.push({
            rule: rule.id,
            severity,
            message: report.message,
            range: tsRange(sourceFile, report.node, report.end),
            related: report.related?.map((r) => ("node" in r ? { message: r.message, range: tsRange(sourceFile, r.node) } : r)),
            ...(report.fixes && report.fixes.length > 0 ? { fixes: report.fixes } : {}),
          });
        },
      });
    } catch (error) {
      ruleErrors.push({ rule: rule.id, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  }
  const broken = syntaxErrorSeverity ? model.firstSyntaxError() : null;
  if (broken && syntaxErrorSeverity) {
    const start = sourceFile.getLineAndCharacterOfPosition(broken.start);
    const end = sourceFile.getLineAndCharacterOfPosition(broken.start + Math.max(broken.length, 0));
    findings.push({
      rule: "syntax-error",
      severity: syntaxErrorSeverity,
      message: `Syntax error (${ts.flattenDiagnosticMessageText(broken.messageText, " ")}): corolint analysed the rest of the file, but code around here may be missed`,
      range: { start: { line: start.line, column: start.character }, end: { line: end.line, column: end.character } },
    });
  }
  return { findings, ruleErrors, sourceFile };
}

const ignoreFile = /^\/\*\s*corolint-ignore-file\b([^*]*)\*\/$/;
const ignoreNextLine = /^\/\/\s*corolint-ignore-next-line\b(.*)$/;

function ruleIds(list: string): string[] {
  const ids = list.split(/[\s,]+/).map((id) => id.trim()).filter((id) => /^[a-z][a-z0-9-]*$/.test(id));
  return ids.length > 0 ? ids : ["*"];
}

/**
 * `// corolint-ignore-next-line [rule-id, ...]` silences the next line; `/* corolint-ignore-file
 * [rule-id, ...] *\/` the whole file. Each must be a comment on a line of its own.
 */
export function collectTypeScriptSuppressions(sourceFile: TS.SourceFile): Suppressions {
  const result: Suppressions = { file: new Set(), lines: new Map() };
  const text = sourceFile.text;
  const seen = new Set<number>();
  for (let at = text.indexOf("corolint-ignore"); at !== -1; at = text.indexOf("corolint-ignore", at + 1)) {
    const line = sourceFile.getLineAndCharacterOfPosition(at).line;
    if (seen.has(line)) continue;
    seen.add(line);
    // From the line break before the line: TypeScript collects a `//` comment only after a line break.
    const lineStart = sourceFile.getPositionOfLineAndCharacter(line, 0);
    for (const range of ts.getLeadingCommentRanges(text, Math.max(0, lineStart - 1)) ?? []) {
      const comment = text.slice(range.pos, range.end);
      const fileMatch = ignoreFile.exec(comment);
      if (fileMatch) for (const id of ruleIds(fileMatch[1])) result.file.add(id);
      const lineMatch = ignoreNextLine.exec(comment);
      if (!lineMatch) continue;
      const next = sourceFile.getLineAndCharacterOfPosition(range.end).line + 1;
      const set = result.lines.get(next) ?? new Set<string>();
      for (const id of ruleIds(lineMatch[1])) set.add(id);
      result.lines.set(next, set);
    }
  }
  return result;
}

export type { RuleSelection };
