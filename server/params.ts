/**
 * Checks of request parameters from the client. JSON-RPC hands over whatever arrived; a request that
 * does not have the shape its method promises is answered with `InvalidParams` naming what is wrong.
 */
import {
  ErrorCodes,
  ResponseError,
  type CodeAction,
  type CodeActionParams,
  type ExecuteCommandParams,
  type TextDocumentIdentifier,
} from "vscode-languageserver/node";
import { isRange } from "./diagnostics";

/** Parameters naming a document: `{ textDocument: { uri } }`. */
export function checkTextDocumentParams<T extends { textDocument: TextDocumentIdentifier }>(params: T): T {
  if (!isObject(params) || !isObject(params.textDocument) || typeof params.textDocument.uri !== "string") {
    throw invalid("expected { textDocument: { uri: string } }");
  }
  return params;
}

/** `textDocument/codeAction` parameters: a document, a range and a context with a diagnostics array. */
export function checkCodeActionParams(params: CodeActionParams): CodeActionParams {
  checkTextDocumentParams(params);
  if (!isRange(params.range)) throw invalid("range: expected { start: { line, character }, end: { line, character } }");
  if (!isObject(params.context) || !Array.isArray(params.context.diagnostics)) throw invalid("context.diagnostics: expected an array");
  if (!params.context.diagnostics.every((diagnostic) => isObject(diagnostic) && isRange(diagnostic.range))) {
    throw invalid("context.diagnostics: expected diagnostics with a range");
  }
  const only: unknown = params.context.only;
  if (only !== undefined && only !== null && !(Array.isArray(only) && only.every((kind) => typeof kind === "string"))) {
    throw invalid("context.only: expected an array of code action kinds");
  }
  // `only: null` means no filter, like an absent one.
  if (only === null) return { ...params, context: { ...params.context, only: undefined } };
  return params;
}

/** `codeAction/resolve` parameters: a code action with a title. */
export function checkCodeAction(action: CodeAction): CodeAction {
  if (!isObject(action) || typeof action.title !== "string") throw invalid("expected a code action with a title");
  return action;
}

/** `workspace/executeCommand` parameters: a command name and optional arguments. */
export function checkExecuteCommandParams(params: ExecuteCommandParams): ExecuteCommandParams {
  if (!isObject(params) || typeof params.command !== "string") throw invalid("expected { command: string, arguments?: [] }");
  const args: unknown = params.arguments;
  if (args !== undefined && args !== null && !Array.isArray(args)) throw invalid("arguments: expected an array");
  return params;
}

function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, `Invalid params: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> & object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
