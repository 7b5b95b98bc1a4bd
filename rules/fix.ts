import type { Node } from "web-tree-sitter";
import { loadTypeScript } from "./typescript/ts-runtime";
import { analyzeSource, languageForPath } from "./analyze";
import { applyFixes } from "./edits";
import { parsePython } from "./python/parser";
import type { AnalyzeRequest, Finding, Fix, Language } from "./types";
import type { TypeScriptWorkspace } from "./typescript/workspace";

/** What `fixAll` did to a file. */
export interface FixAllResult {
  text: string;
  /** How many fixes went in. */
  fixed: number;
  /** Fixes left out because the result would not have parsed. */
  rejected: Fix[];
}

/** How many syntax errors a text has (0 for valid code). */
function countSyntaxErrors(text: string, language: Language, path: string): number {
  if (language === "typescript") {
    const { ts } = loadTypeScript();
    const kind = /\.tsx$/.test(path) ? ts.ScriptKind.TSX : /\.jsx$/.test(path) ? ts.ScriptKind.JSX : /\.[cm]?js$/.test(path) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
    const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, kind);
    return (file as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length;
  }
  const tree = parsePython(text);
  try {
    if (!tree.rootNode.hasError) return 0;
    let count = 0;
    const visit = (node: Node) => {
      if (node.isError || node.isMissing) count += 1;
      for (const child of node.children) if (child && (child.hasError || child.isMissing)) visit(child);
    };
    visit(tree.rootNode);
    return count;
  } finally {
    tree.delete();
  }
}

/** The fix `fixAll` takes for a finding: the first safe one, or the first of any kind when allowed. */
function chosenFix(finding: Finding, unsafe: boolean): Fix | undefined {
  return finding.fixes?.find((fix) => fix.safety === "safe" || unsafe);
}

/**
 * Applies every finding's fix (safe ones only unless `unsafe`), re-analysing until nothing is left to
 * fix. A pass whose result has more syntax errors than the original is retried fix by fix, and a fix
 * that would break the file is rejected: the result never parses worse than the input.
 */
export function fixAll(request: AnalyzeRequest, options: { unsafe: boolean }, typescript?: TypeScriptWorkspace): FixAllResult {
  return fixAllFindings(request, options, (source) => analyzeSource({ ...request, source }, undefined, typescript).findings);
}

/**
 * `fixAll` over the findings `findingsOf` gives for a text. The seam lets a test hand it a fix that
 * breaks the file, which no rule of the catalogue should ever offer, to check that it is rejected.
 */
export function fixAllFindings(request: AnalyzeRequest, options: { unsafe: boolean }, findingsOf: (source: string) => Finding[]): FixAllResult {
  const language = languageForPath(request.path) ?? "python";
  const syntaxErrorCount = (text: string) => countSyntaxErrors(text, language, request.path);
  const baseline = syntaxErrorCount(request.source);
  let text = request.source;
  let fixed = 0;
  const rejected: Fix[] = [];
  const rejectedTitles = new Set<string>();
  // Each pass applies non-overlapping fixes; fixes skipped for overlap get their turn next pass.
  for (let pass = 0; pass < 10; pass += 1) {
    const findings = findingsOf(text);
    const fixes = findings
      .map((finding) => chosenFix(finding, options.unsafe))
      .filter((fix): fix is Fix => fix !== undefined && !rejectedTitles.has(fixKey(fix)));
    if (fixes.length === 0) break;
    const attempt = applyFixes(text, fixes);
    if (syntaxErrorCount(attempt.text) <= baseline) {
      text = attempt.text;
      fixed += attempt.applied.length;
      continue;
    }
    // Some fix breaks the file: keep the ones that do not, one at a time.
    let progress = false;
    for (const fix of attempt.applied) {
      const single = applyFixes(text, [fix]);
      if (syntaxErrorCount(single.text) <= baseline) {
        text = single.text;
        fixed += 1;
        progress = true;
        break; // positions of the remaining fixes are stale now: re-analyse
      }
      rejected.push(fix);
      rejectedTitles.add(fixKey(fix));
    }
    if (!progress) break;
  }
  return { text, fixed, rejected };
}

/** Identifies a fix across passes (its edits' text and place). */
function fixKey(fix: Fix): string {
  return JSON.stringify([fix.title, fix.edits]);
}
