/**
 * The LSP wiring: one line per method, mapping it onto the session (`session.ts`). Nothing here
 * decides anything; parameters are checked on the way in so that a malformed request is answered
 * with `InvalidParams` instead of failing somewhere deep inside.
 *
 * The transport comes from the command line, as vscode-languageserver reads it: `--stdio`,
 * `--node-ipc`, `--socket=N` or `--pipe=NAME` (and `--clientProcessId=N` to exit with the editor).
 */
import {
  createConnection,
  ErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  type Connection,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { grammarFiles } from "../cli/grammar";
import { initCore } from "../rules/index";
import { checkCodeAction, checkCodeActionParams, checkExecuteCommandParams, checkTextDocumentParams } from "./params";
import { RuntimeBlocksNotification } from "./protocol";
import { Session } from "./session";

/** Starts the language server on the transport named on the command line and serves until `exit`. */
export function startServer(): Connection {
  const connection = createConnection(ProposedFeatures.all);
  const documents = new TextDocuments(TextDocument);
  let session: Session | null = null;
  const current = (): Session => {
    if (session === null) throw new ResponseError(ErrorCodes.ServerNotInitialized, "The server has not been initialized.");
    return session;
  };

  // A bug in a timer or a promise nobody awaits must cost one analysis, not the editor's server.
  process.on("uncaughtException", (error) => connection.console.error(`corolint: uncaught error: ${error.stack ?? error.message}`));
  process.on("unhandledRejection", (reason) => connection.console.error(`corolint: unhandled rejection: ${String(reason)}`));

  connection.onInitialize(async (params) => {
    await initCore(grammarFiles());
    session = new Session(connection, documents, params);
    return session.initializeResult();
  });
  connection.onInitialized(() => {
    const active = current();
    void active.initialized();
    if (active.supportsWorkspaceFolders) connection.workspace.onDidChangeWorkspaceFolders((event) => active.workspaceFoldersChanged(event));
  });
  connection.onShutdown(() => session?.shutdown());

  documents.onDidOpen((event) => session?.linter.opened(event.document));
  documents.onDidChangeContent((event) => session?.linter.changed(event.document));
  documents.onDidSave((event) => session?.linter.saved(event.document));
  documents.onDidClose((event) => session?.linter.closed(event.document.uri));

  connection.onDidChangeConfiguration((params) => session?.configurationChanged(params));
  connection.onDidChangeWatchedFiles((params) => session?.watchedFilesChanged(params));
  connection.onNotification(RuntimeBlocksNotification.method, (params: unknown) => session?.runtimeBlocksArrived(params));

  connection.languages.diagnostics.on((params, token) => current().pull(checkTextDocumentParams(params), token));
  connection.onCodeAction((params) => current().codeActions(checkCodeActionParams(params)));
  connection.onCodeActionResolve((action) => current().resolveCodeAction(checkCodeAction(action)));
  connection.onExecuteCommand((params) => current().executeCommand(checkExecuteCommandParams(params)));

  documents.listen(connection);
  connection.listen();
  return connection;
}
