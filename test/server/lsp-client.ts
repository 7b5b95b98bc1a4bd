/**
 * A small LSP client for the server tests: spawns the built server (`node dist/cli.cjs server
 * --stdio`) as a real process and talks JSON-RPC to it with vscode-languageserver-protocol, the
 * library editors' clients are built on. It records what the server sends on its own (diagnostics,
 * messages, logs, edits to apply) and answers the server's requests as an editor would.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll } from "vitest";
import {
  ApplyWorkspaceEditRequest,
  ConfigurationRequest,
  createProtocolConnection,
  DiagnosticRefreshRequest,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DidSaveTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowMessageNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ApplyWorkspaceEditParams,
  type ClientCapabilities,
  type ConfigurationItem,
  type InitializeResult,
  type LogMessageParams,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type Registration,
  type ShowMessageParams,
  type TextDocumentContentChangeEvent,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver-protocol/node";
import type { InitializationOptions } from "../../server/protocol";

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The bundle under test; `npm test` builds it first. */
export const CLI = join(REPO_ROOT, "dist/cli.cjs");

/** A coroutine that blocks the loop: `blocking-call` on line 2 (0-based), columns 4–17, with a safe fix. */
export const BLOCKING = "import time\nasync def f():\n    time.sleep(1)\n";

/** Code no rule reports. */
export const CLEAN = "import asyncio\nasync def h():\n    await asyncio.sleep(1)\n";

/** What a client declares: the push model and plain edits unless a test asks for more. */
export const PUSH_CAPABILITIES: ClientCapabilities = {
  workspace: { configuration: true, workspaceEdit: { documentChanges: true }, didChangeWatchedFiles: { dynamicRegistration: true } },
  textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true }, codeAction: { dataSupport: true } },
};

/** The pull model on top of `PUSH_CAPABILITIES`, with `workspace/diagnostic/refresh`. */
export const PULL_CAPABILITIES: ClientCapabilities = {
  ...PUSH_CAPABILITIES,
  workspace: { ...PUSH_CAPABILITIES.workspace, diagnostics: { refreshSupport: true } },
  textDocument: { ...PUSH_CAPABILITIES.textDocument, diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false } },
};

/** How to start a server. */
export interface StartOptions {
  capabilities?: ClientCapabilities;
  /** Default `{ debounceMs: 0 }`: tests wait for results, not for timers. */
  initializationOptions?: InitializationOptions;
  /** Absolute paths of the workspace folders. */
  workspaceFolders?: string[];
  /** The answer to `workspace/configuration` for one item (default: no settings). */
  settings?: (item: ConfigurationItem) => unknown;
}

/** A running server and what it has sent. */
export class LspClient {
  /** Every `textDocument/publishDiagnostics`, in order. */
  readonly published: PublishDiagnosticsParams[] = [];
  /** Every `window/showMessage`. */
  readonly messages: ShowMessageParams[] = [];
  /** Every `window/logMessage` (`connection.console.*`). */
  readonly logs: LogMessageParams[] = [];
  /** Every `workspace/applyEdit` request (answered `{ applied: true }`). */
  readonly appliedEdits: ApplyWorkspaceEditParams[] = [];
  /** Every `workspace/configuration` item asked for. */
  readonly configurationRequests: ConfigurationItem[] = [];
  /** Every dynamic registration. */
  readonly registrations: Registration[] = [];
  /** How many `workspace/diagnostic/refresh` requests arrived. */
  refreshes = 0;
  /** What the server wrote to stderr (nothing, normally). */
  stderr = "";
  /** The answer to `initialize`. */
  initializeResult!: InitializeResult;
  /** Answers `workspace/configuration`; tests replace it to change settings. */
  settings: (item: ConfigurationItem) => unknown;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly connection: ProtocolConnection,
    options: StartOptions,
  ) {
    this.settings = options.settings ?? (() => null);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => void this.published.push(params));
    connection.onNotification(ShowMessageNotification.type, (params) => void this.messages.push(params));
    connection.onNotification(LogMessageNotification.type, (params) => void this.logs.push(params));
    connection.onRequest(ConfigurationRequest.type, (params) => {
      this.configurationRequests.push(...params.items);
      return params.items.map((item) => this.settings(item));
    });
    connection.onRequest(ApplyWorkspaceEditRequest.type, (params) => {
      this.appliedEdits.push(params);
      return { applied: true };
    });
    connection.onRequest(RegistrationRequest.type, (params) => {
      this.registrations.push(...params.registrations);
    });
    connection.onRequest(DiagnosticRefreshRequest.type, () => {
      this.refreshes++;
    });
    connection.listen();
  }

  /** Spawns the server, sends `initialize` and `initialized`. */
  static async start(options: StartOptions = {}): Promise<LspClient> {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does) before these tests`);
    const child = spawn(process.execPath, [CLI, "server", "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const client = new LspClient(child, connection, options);
    running.add(client);
    const folders = options.workspaceFolders ?? [];
    client.initializeResult = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: folders[0] !== undefined ? pathToFileURL(folders[0]).href : null,
      workspaceFolders: folders.map((folder) => ({ uri: pathToFileURL(folder).href, name: folder })),
      capabilities: options.capabilities ?? PUSH_CAPABILITIES,
      initializationOptions: options.initializationOptions ?? { debounceMs: 0 },
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  /** `textDocument/didOpen`. */
  open(uri: string, text: string, version = 1, languageId = "python"): Promise<void> {
    return this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version, text } });
  }

  /** `textDocument/didChange` with incremental (or whole-text) changes. */
  change(uri: string, version: number, contentChanges: TextDocumentContentChangeEvent[]): Promise<void> {
    return this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges });
  }

  /** `textDocument/didSave`. */
  save(uri: string): Promise<void> {
    return this.connection.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** `textDocument/didClose`. */
  close(uri: string): Promise<void> {
    return this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** The first publish for `uri` (with `version`, when given) after the first `after` publishes. */
  diagnostics(uri: string, version?: number, after = 0): Promise<PublishDiagnosticsParams> {
    return waitFor(`diagnostics for ${uri} v${version ?? "any"}`, () =>
      this.published.slice(after).find((params) => params.uri === uri && (version === undefined || params.version === version)),
    );
  }

  /** Writes raw bytes to the server's stdin (for malformed-input tests). */
  writeRaw(bytes: string): void {
    this.child.stdin.write(bytes);
  }

  /** `shutdown` then `exit`; resolves with the process's exit code. */
  async shutdown(): Promise<number | null> {
    const exited = new Promise<number | null>((resolveExit) => this.child.once("exit", (code) => resolveExit(code)));
    await this.connection.sendRequest(ShutdownRequest.type);
    await this.connection.sendNotification(ExitNotification.type);
    const code = await exited;
    this.connection.dispose();
    running.delete(this);
    return code;
  }

  /** Kills the process (after a failed test). */
  kill(): void {
    running.delete(this);
    this.connection.dispose();
    this.child.kill();
  }
}

const running = new Set<LspClient>();
const madeDirs: string[] = [];
afterAll(() => {
  for (const client of [...running]) client.kill();
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Polls `check` until it returns a value (every 10 ms, up to `timeoutMs`). */
export async function waitFor<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveTimer) => setTimeout(resolveTimer, 10));
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolveTimer) => setTimeout(resolveTimer, ms));
}

/** A fresh folder holding `files` (path → content), removed after the test file. */
export function makeWorkspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "corolint-lsp-"));
  madeDirs.push(dir);
  writeWorkspaceFiles(dir, files);
  return dir;
}

/** Writes (or overwrites) files in a workspace folder. */
export function writeWorkspaceFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

/** The `file:` uri of a path inside a folder. */
export function fileUri(dir: string, path: string): string {
  return pathToFileURL(join(dir, path)).href;
}

/** The edits a workspace edit makes to one document, from `documentChanges` or `changes`. */
export function editsFor(edit: WorkspaceEdit | undefined, uri: string): TextEdit[] {
  if (edit === undefined) return [];
  const fromDocumentChanges = (edit.documentChanges ?? []).flatMap((change) =>
    "textDocument" in change && change.textDocument.uri === uri ? change.edits.filter((e): e is TextEdit => "range" in e) : [],
  );
  return [...fromDocumentChanges, ...(edit.changes?.[uri] ?? [])];
}

/** Applies LSP text edits (zero-based lines, UTF-16 columns; non-overlapping) to a text, as an editor would. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const offset = (position: { line: number; character: number }): number => {
    if (position.line >= lineStarts.length) return text.length;
    const lineEnd = position.line + 1 < lineStarts.length ? lineStarts[position.line + 1]! - 1 : text.length;
    return Math.min(lineStarts[position.line]! + position.character, lineEnd);
  };
  // Back to front, so that earlier offsets stay valid; stable for insertions at one place.
  const sorted = edits
    .map((edit, index) => ({ start: offset(edit.range.start), end: offset(edit.range.end), newText: edit.newText, index }))
    .sort((a, b) => b.start - a.start || b.index - a.index);
  let result = text;
  for (const edit of sorted) result = result.slice(0, edit.start) + edit.newText + result.slice(edit.end);
  return result;
}
