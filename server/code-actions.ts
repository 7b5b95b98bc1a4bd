/**
 * Code actions: each fix of each corolint diagnostic as a quick fix (the first safe one preferred),
 * "Ignore <rule-id> on this line", and "fix all" (`source.fixAll.corolint`), plus the
 * `corolint.applyFixAll` command that applies "fix all" through `workspace/applyEdit`.
 *
 * Quick fixes come from the diagnostics' `data` when it was computed for the current document
 * version, so a code action request costs no analysis; otherwise the document is analysed again.
 * The two actions that need a parse (ignore, fix all) are left to `codeAction/resolve` when the
 * client supports it: editors ask for code actions on every cursor move.
 */
import {
  CodeActionKind,
  LSPErrorCodes,
  ResponseError,
  type ApplyWorkspaceEditResult,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic,
  type Range,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver";
import { languageForPath, suppressionFix } from "../rules/index";
import type { DocumentAnalyzer } from "./analysis";
import { currentData, isRange, toCoreRange, toDiagnostics, toLspRange } from "./diagnostics";
import { DIAGNOSTIC_SOURCE, FIX_ALL_KIND, LOOP_BLOCKED_CODE, type DiagnosticData } from "./protocol";
import { diffEdits, documentEdit, type EditableDocument } from "./text-edits";

/** An open document as code actions need it. */
export interface ActionDocument extends EditableDocument {
  readonly languageId: string;
}

/** What the code action functions work with. */
export interface CodeActionContext {
  documents: { get(uri: string): ActionDocument | undefined };
  analyzer: DocumentAnalyzer;
  /** The client takes versioned `documentChanges` in workspace edits. */
  documentChanges: boolean;
  /** The client resolves a code action's `edit` lazily (`codeAction/resolve`). */
  resolveEdits: boolean;
}

/** What a lazily computed action keeps until `codeAction/resolve`. */
type ResolveData =
  | { kind: "ignore"; uri: string; version: number; rule: string; range: Range }
  | { kind: "fixAll"; uri: string; version: number };

const FIX_ALL_TITLE = "Fix all auto-fixable corolint problems";

/** `textDocument/codeAction`. An unknown document has no actions. */
export async function provideCodeActions(params: CodeActionParams, context: CodeActionContext): Promise<CodeAction[]> {
  const document = context.documents.get(params.textDocument.uri);
  if (document === undefined) return [];
  const only = params.context.only;
  const actions: CodeAction[] = [];
  let fixable = false;

  if (wants(only, CodeActionKind.QuickFix)) {
    const entries = await diagnosticsWithFixes(params, document, context);
    const ignored = new Set<string>();
    for (const { diagnostic, data } of entries) {
      let preferred = false;
      for (const fix of data.fixes) {
        const isPreferred: boolean = fix.safe && !preferred;
        preferred ||= isPreferred;
        fixable ||= fix.safe;
        actions.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          ...(isPreferred ? { isPreferred: true } : {}),
          edit: documentEdit(document, fix.edits, context.documentChanges),
        });
      }
      const rule = String(diagnostic.code);
      // A measurement, not a rule: no comment silences it; the next trace or "Clear Runtime Results" does.
      if (rule === LOOP_BLOCKED_CODE) continue;
      // One "ignore" per rule and line, however many findings of that rule the line has.
      const key = `${rule}:${diagnostic.range.start.line}`;
      if (ignored.has(key)) continue;
      ignored.add(key);
      const ignore: CodeAction = { title: `Ignore ${rule} on this line`, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic] };
      const later: ResolveData = { kind: "ignore", uri: document.uri, version: document.version, rule, range: diagnostic.range };
      if (context.resolveEdits) {
        ignore.data = later;
        actions.push(ignore);
      } else {
        const edit = ignoreEdit(document, later, context);
        if (edit !== null) actions.push({ ...ignore, edit });
      }
    }
  }

  // Asked for by kind (on save, the "Source Action" menu), or offered in a plain menu next to fixable problems.
  const fixAllAsked = only !== undefined && wants(only, FIX_ALL_KIND);
  if (fixAllAsked || (only === undefined && fixable)) {
    const fixAllAction: CodeAction = { title: FIX_ALL_TITLE, kind: FIX_ALL_KIND };
    const later: ResolveData = { kind: "fixAll", uri: document.uri, version: document.version };
    if (context.resolveEdits) {
      actions.push({ ...fixAllAction, data: later });
    } else {
      const edit = await fixAllEdit(document, context);
      if (edit !== null) actions.push({ ...fixAllAction, edit });
    }
  }
  return actions;
}

/** `codeAction/resolve`: fills in the edit of an "ignore" or "fix all" action. */
export async function resolveCodeAction(action: CodeAction, context: CodeActionContext): Promise<CodeAction> {
  const data = readResolveData(action.data);
  if (data === null) return action; // not one of ours, or already complete
  const document = context.documents.get(data.uri);
  if (document === undefined) return action;
  if (document.version !== data.version) {
    throw new ResponseError(LSPErrorCodes.ContentModified, "The document changed since the code action was computed.");
  }
  const edit = data.kind === "ignore" ? ignoreEdit(document, data, context) : await fixAllEdit(document, context);
  // Nothing left to fix is an empty edit, not an error: the user asked for a no-op.
  return { ...action, edit: edit ?? { changes: {} } };
}

/**
 * `corolint.applyFixAll`: computes "fix all" for a document and asks the client to apply it. Returns
 * the client's answer, or null when there is nothing to fix or the document is not open.
 */
export async function applyFixAll(
  uri: string,
  version: number | undefined,
  context: CodeActionContext,
  applyEdit: (label: string, edit: WorkspaceEdit) => Promise<ApplyWorkspaceEditResult>,
): Promise<ApplyWorkspaceEditResult | null> {
  const document = context.documents.get(uri);
  if (document === undefined) return null;
  if (version !== undefined && version !== document.version) {
    throw new ResponseError(LSPErrorCodes.ContentModified, `The document is at version ${document.version}, not ${version}.`);
  }
  const edit = await fixAllEdit(document, context);
  if (edit === null) return null;
  return applyEdit("corolint: Fix all", edit);
}

/**
 * The corolint diagnostics a request is about, with their fixes. Taken from the diagnostics the
 * client sent when all of them carry `data` of the current version; otherwise from a fresh analysis
 * (the client dropped `data`, or its diagnostics are older than the text, as with `run: onSave`).
 */
async function diagnosticsWithFixes(
  params: CodeActionParams,
  document: ActionDocument,
  context: CodeActionContext,
): Promise<{ diagnostic: Diagnostic; data: DiagnosticData }[]> {
  const ours = params.context.diagnostics.filter((diagnostic) => diagnostic.source === DIAGNOSTIC_SOURCE && diagnostic.code !== undefined);
  if (ours.length === 0) return [];
  const sent = ours.map((diagnostic) => ({ diagnostic, data: currentData(diagnostic, document.version) }));
  if (sent.every((entry) => entry.data !== null)) return sent as { diagnostic: Diagnostic; data: DiagnosticData }[];

  const prepared = await context.analyzer.prepare(document);
  const current = context.documents.get(document.uri);
  if (prepared.kind === "skip" || current?.version !== document.version) return [];
  const findings = context.analyzer.analyze(document.uri, document.getText(), prepared.request);
  return toDiagnostics(findings, { uri: document.uri, version: document.version, root: prepared.root })
    .filter((diagnostic) => touches(diagnostic.range, params.range))
    .map((diagnostic) => ({ diagnostic, data: diagnostic.data as DiagnosticData }));
}

/** The edit that adds `# corolint: ignore[rule]` to the diagnostic's line; null when no comment can go there. */
function ignoreEdit(document: ActionDocument, data: Extract<ResolveData, { kind: "ignore" }>, context: CodeActionContext): WorkspaceEdit | null {
  // The comment syntax follows the document: `# corolint: ignore[...]` or `// corolint-ignore-next-line ...`.
  const language = document.languageId === "python" || languageForPath(document.uri) === "python" ? "python" : "typescript";
  const fix = suppressionFix(document.getText(), { rule: data.rule, severity: "warning", message: "", range: toCoreRange(data.range) }, language);
  if (fix === null) return null;
  const edits: TextEdit[] = fix.edits.map((edit) => ({ range: toLspRange(edit.range), newText: edit.newText }));
  return documentEdit(document, edits, context.documentChanges);
}

/** Every safe fix of the document, as edits of the changed lines; null when there is nothing to fix. */
async function fixAllEdit(document: ActionDocument, context: CodeActionContext): Promise<WorkspaceEdit | null> {
  const prepared = await context.analyzer.prepare(document);
  if (prepared.kind === "skip") return null;
  // Settings arrive asynchronously; fixing a text the user has already changed would be refused anyway.
  if (context.documents.get(document.uri)?.version !== document.version) {
    throw new ResponseError(LSPErrorCodes.ContentModified, "The document changed while its fixes were computed.");
  }
  const result = context.analyzer.fixAll(document.uri, document.getText(), prepared.request);
  if (result === null || result.fixed === 0) return null;
  const edits = diffEdits(document, result.text);
  return edits.length === 0 ? null : documentEdit(document, edits, context.documentChanges);
}

/** Whether a requested kind list covers `kind` (kinds are hierarchical: `source` covers `source.fixAll.corolint`). */
function wants(only: readonly string[] | undefined, kind: string): boolean {
  return only === undefined || only.some((asked) => kind === asked || kind.startsWith(`${asked}.`));
}

/** Whether two ranges overlap or touch (a cursor at the end of a diagnostic still asks about it). */
function touches(a: Range, b: Range): boolean {
  const before = (p: Range["start"], q: Range["start"]) => p.line < q.line || (p.line === q.line && p.character <= q.character);
  return before(a.start, b.end) && before(b.start, a.end);
}

function readResolveData(value: unknown): ResolveData | null {
  if (typeof value !== "object" || value === null) return null;
  const data = value as Partial<{ kind: unknown; uri: unknown; version: unknown; rule: unknown; range: unknown }>;
  if (typeof data.uri !== "string" || typeof data.version !== "number") return null;
  if (data.kind === "fixAll") return { kind: "fixAll", uri: data.uri, version: data.version };
  if (data.kind === "ignore" && typeof data.rule === "string" && isRange(data.range)) {
    return { kind: "ignore", uri: data.uri, version: data.version, rule: data.rule, range: data.range };
  }
  return null;
}
