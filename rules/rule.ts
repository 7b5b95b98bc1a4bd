import type { Node } from "web-tree-sitter";
import type { AnalysisOptions, Fix, Language, Range, RelatedInformation, RuleDocs, RuleEquivalents, Severity } from "./types";
import type { PythonModel } from "./python/semantic";
import type { ts as TS } from "ts-morph";
import type { TypeScriptModel } from "./typescript/model";
import type { WorkspaceIndex } from "./workspace/summary";

/**
 * A related location given by range, possibly in another file (`file`: absolute, or relative to the
 * project root; absent for the analysed file), for places no node of this file can point at.
 */
export type RelatedLocation = RelatedInformation;

/**
 * What a rule may report: the node it points at (through `end` when given) or a range, the message,
 * related places.
 */
export type Report = ReportPlace & {
  message: string;
  related?: ({ node: Node; message: string } | RelatedLocation)[];
  /** Ways to fix the finding, the preferred (safe) one first. */
  fixes?: Fix[];
};

/** Where a finding is: a node (extended to the end of `end`, for `while ... :` headers), or a range. */
type ReportPlace = { node: Node; end?: Node } | { range: Range };

/** What a Python rule sees: the semantic model of one file and its resolved options. */
export interface PythonRuleContext {
  model: PythonModel;
  options: AnalysisOptions;
  /** Path relative to the project root with `/` separators. */
  path: string;
  /** The file's absolute path, when it has one (the workspace index files summaries under it). */
  absolutePath?: string;
  /** The workspace index (`AnalyzeRequest.workspace`), for rules that follow calls into other files. */
  workspace?: WorkspaceIndex;
  /** `AnalyzeRequest.workspaceRoots`. */
  workspaceRoots?: readonly string[];
  report(report: Report): void;
}

/** What a TypeScript/JavaScript rule may report, like `Report` but on TypeScript compiler nodes. */
export interface TypeScriptReport {
  node: TS.Node;
  end?: TS.Node;
  message: string;
  related?: ({ node: TS.Node; message: string } | RelatedLocation)[];
  fixes?: Fix[];
}

/** What a TypeScript/JavaScript rule sees: the model of one file (with the type checker if asked for). */
export interface TypeScriptRuleContext {
  model: TypeScriptModel;
  options: AnalysisOptions;
  /** Path relative to the project root with `/` separators. */
  path: string;
  /** The file's absolute path, when it has one (the workspace index files summaries under it). */
  absolutePath?: string;
  /** The workspace index (`AnalyzeRequest.workspace`), for rules that follow calls into other files. */
  workspace?: WorkspaceIndex;
  /** `AnalyzeRequest.workspaceRoots`. */
  workspaceRoots?: readonly string[];
  report(report: TypeScriptReport): void;
}

/**
 * One entry of the catalogue. Each rule lives in its own file under `rules/catalogue/`,
 * holding its id, docs and check, so the docs a user reads are the code that runs.
 */
export interface Rule {
  /** kebab-case, reads as the pitfall; tools and users key on it. */
  id: string;
  /** One line, shown in `corolint rules` and the README table. */
  summary: string;
  languages: Language[];
  defaultSeverity: Severity;
  docs: RuleDocs;
  equivalents: RuleEquivalents;
  /**
   * A cheap text scan: false only when the file cannot hold a finding of this rule. The CLI skips
   * parsing files no rule wants; a test over the standard library checks this never hides a finding.
   */
  mightApply(source: string, options: AnalysisOptions, path: string): boolean;
  checkPython(context: PythonRuleContext): void;
  /** The rule's check of TypeScript and JavaScript files, for rules whose `languages` include them. */
  checkTypeScript?(context: TypeScriptRuleContext): void;
  /** Like `mightApply`, for TypeScript and JavaScript text. */
  mightApplyTypeScript?(source: string, options: AnalysisOptions, path: string): boolean;
  /** Set when `checkTypeScript` uses the type checker: only then is the program built. */
  typeAware?: boolean;
}

export type { RelatedInformation };
