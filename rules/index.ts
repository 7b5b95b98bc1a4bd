/**
 * The analysis core's one entry point. The CLI, the language server and the worker threads all call
 * `analyzeSource`, so the editor and CI can never disagree.
 */
export type * from "./types";
export type { Rule, PythonRuleContext, Report } from "./rule";
export { initCore, analyzeSource, analyzeModel, mightHoldFinding, languageForPath, effectiveSeverity, SYNTAX_ERROR } from "./analyze";
export type { GrammarFiles } from "./python/parser";
export { rules, ruleById } from "./registry";
export { suppressionFix } from "./suppression";
export { fixAll, type FixAllResult } from "./fix";
export { applyFixes, type AppliedFixes } from "./edits";
export { IncrementalParser } from "./incremental";
export { IncrementalAnalyzer } from "./incremental-analysis";
export { TypeScriptWorkspace, type TypeScriptWorkspaceOptions, type TypeCheckBudget } from "./typescript/workspace";
