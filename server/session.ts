/**
 * One client's session: what it can do (from `initialize`), the settings, project configurations,
 * analyzer and linter built for it, and one method per thing the client can ask. `start-server.ts`
 * maps LSP methods onto these methods and does nothing else.
 */
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  MessageType,
  ResponseError,
  ShowMessageNotification,
  TextDocumentSyncKind,
  type ApplyWorkspaceEditResult,
  type CancellationToken,
  type ClientCapabilities,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type DidChangeConfigurationParams,
  type DidChangeWatchedFilesParams,
  type DocumentDiagnosticParams,
  type DocumentDiagnosticReport,
  type ExecuteCommandParams,
  type InitializeParams,
  type InitializeResult,
  type TextDocuments,
  type WorkspaceFoldersChangeEvent,
} from "vscode-languageserver/node";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { VERSION } from "../cli/package-info";
import { DocumentAnalyzer } from "./analysis";
import { applyFixAll, provideCodeActions, resolveCodeAction, type CodeActionContext } from "./code-actions";
import { DocumentLinter } from "./document-linter";
import { uriBaseName, uriToFilePath } from "./file-uris";
import { CONFIG_FILE_NAMES, ProjectConfigs } from "./project-config";
import { ApplyFixAllCommand, FIX_ALL_KIND, SETTINGS_SECTION, type InitializationOptions } from "./protocol";
import { readRuntimeBlocksParams, RuntimeBlocks } from "./runtime-blocks";
import { SettingsStore } from "./settings";
import { WorkspaceIndexer } from "./workspace-index";
import { languageForPath } from "../rules/index";
import { toSlashes } from "../rules/workspace/module-keys";

/** The files the workspace index reads, as a watcher glob (what `languageForPath` accepts). */
export const SOURCE_FILES_GLOB = "**/*.{py,pyi,ts,tsx,mts,cts,js,jsx,mjs,cjs}";

/** Quiet time after the last change before analysing, unless the client sets `debounceMs`. */
export const DEFAULT_DEBOUNCE_MS = 150;

/** The server's state for one client, created by `initialize`. */
export class Session {
  private readonly capabilities: ClientCapabilities;
  private readonly options: { workspaceTrusted: boolean; debounceMs: number; settings: unknown };
  private readonly settings: SettingsStore;
  private readonly projects: ProjectConfigs;
  private readonly analyzer: DocumentAnalyzer;
  /** The summaries of the workspace's files, for blocking-call-transitive. */
  private readonly indexer: WorkspaceIndexer;
  private readonly workspaceFolders: string[];
  private readonly documents: TextDocuments<TextDocument>;
  private readonly codeActionContext: CodeActionContext;
  /** Blocks measured at run time (`corolint/runtimeBlocks`), added to the diagnostics of their files. */
  private readonly runtimeBlocks = new RuntimeBlocks();
  /** Schedules analyses and delivers diagnostics; the wiring forwards document events to it. */
  readonly linter: DocumentLinter;
  /** The client pulls diagnostics (`textDocument/diagnostic`) instead of receiving them. */
  readonly pullDiagnostics: boolean;

  constructor(
    private readonly connection: Connection,
    documents: TextDocuments<TextDocument>,
    params: InitializeParams,
  ) {
    this.capabilities = params.capabilities ?? {};
    this.options = readInitializationOptions(params.initializationOptions);
    const workspace = this.capabilities.workspace;
    this.pullDiagnostics = this.capabilities.textDocument?.diagnostic !== undefined;

    // The `window/showMessage` notification, not vscode-languageserver's showWarningMessage: that one is
    // a request (`window/showMessageRequest`) some clients do not answer, and there is nothing to ask.
    const warn = (message: string): void => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message });
    this.settings = new SettingsStore(
      workspace?.configuration === true ? (uri) => connection.workspace.getConfiguration({ scopeUri: uri, section: SETTINGS_SECTION }) : null,
      warn,
    );
    if (this.options.settings !== undefined) this.settings.setPushed(this.options.settings);
    this.projects = new ProjectConfigs(this.options.workspaceTrusted, warn);
    this.workspaceFolders = workspaceFolderPaths(params);
    this.projects.setWorkspaceFolders(this.workspaceFolders);
    this.documents = documents;
    this.indexer = new WorkspaceIndexer(this.projects, {
      affected: (files) => this.reanalyzeCallers(files),
      // Documents opened while the folders were being indexed saw part of the index.
      indexed: (count) => {
        connection.console.info(`corolint: indexed ${count} file(s) of the workspace for blocking-call-transitive`);
        this.reanalyzeCallers(null);
      },
      log: (message) => connection.console.warn(message),
    });
    this.analyzer = new DocumentAnalyzer(
      this.settings,
      this.projects,
      {
        logError: (message) => connection.console.error(message),
        notify: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message }),
      },
      this.indexer,
    );
    this.codeActionContext = {
      documents,
      analyzer: this.analyzer,
      documentChanges: workspace?.workspaceEdit?.documentChanges === true,
      resolveEdits: this.capabilities.textDocument?.codeAction?.resolveSupport?.properties.includes("edit") === true,
    };
    const refreshSupported = workspace?.diagnostics?.refreshSupport === true;
    this.linter = new DocumentLinter({
      documents,
      analyzer: this.analyzer,
      settingsOf: (uri) => this.settings.get(uri),
      debounceMs: this.options.debounceMs,
      pull: this.pullDiagnostics,
      // Pulled diagnostics have no capability of their own for it: the publish one says what the client shows.
      relatedInformation: this.capabilities.textDocument?.publishDiagnostics?.relatedInformation === true,
      publish: (diagnostics) => void connection.sendDiagnostics(diagnostics),
      refresh: () => {
        if (refreshSupported) void connection.languages.diagnostics.refresh();
      },
      logError: (message) => connection.console.error(message),
      decorate: (uri, version, text, diagnostics) => this.runtimeBlocks.decorate(uri, version, text, diagnostics),
    });
  }

  /** Whether the client reports workspace folder changes. */
  get supportsWorkspaceFolders(): boolean {
    return this.capabilities.workspace?.workspaceFolders === true;
  }

  /** The answer to `initialize`. */
  initializeResult(): InitializeResult {
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        codeActionProvider: {
          codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.SourceFixAll, FIX_ALL_KIND],
          resolveProvider: true,
        },
        executeCommandProvider: { commands: [ApplyFixAllCommand.id] },
        ...(this.pullDiagnostics
          ? { diagnosticProvider: { identifier: "corolint", interFileDependencies: false, workspaceDiagnostics: false } }
          : {}),
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: "corolint", version: VERSION },
    };
  }

  /** `initialized`: registers for settings and configuration-file changes where the client allows it. */
  async initialized(): Promise<void> {
    const workspace = this.capabilities.workspace;
    const registrations: Promise<unknown>[] = [];
    if (workspace?.didChangeConfiguration?.dynamicRegistration === true) {
      registrations.push(this.connection.client.register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION }));
    }
    if (workspace?.didChangeWatchedFiles?.dynamicRegistration === true) {
      // Source files keep the workspace index current; an untrusted workspace's configuration files
      // are never read, so their changes do not matter.
      const globs = [SOURCE_FILES_GLOB, ...(this.options.workspaceTrusted ? CONFIG_FILE_NAMES.map((name) => `**/${name}`) : [])];
      registrations.push(
        this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: globs.map((globPattern) => ({ globPattern })) }),
      );
    }
    // In the background: documents are analysed meanwhile, and again once it is done.
    this.indexer.indexFolders(this.workspaceFolders);
    const results = await Promise.allSettled(registrations);
    for (const result of results) {
      if (result.status === "rejected") this.connection.console.warn(`corolint: a registration failed: ${String(result.reason)}`);
    }
  }

  /** `workspace/didChangeConfiguration`: settings are pulled again, or taken from the notification. */
  configurationChanged(params: DidChangeConfigurationParams): void {
    if (this.capabilities.workspace?.configuration === true) this.settings.clear();
    else this.settings.setPushed(readSection(params.settings));
    // Also the way to reload project configuration in clients that cannot watch files.
    this.projects.clear();
    // Summaries depend on it too (`extra-blocking-calls`, `exclude`): index the folders again.
    this.indexer.indexFolders(this.workspaceFolders);
    this.linter.reanalyzeAll();
  }

  /**
   * `workspace/didChangeWatchedFiles`: a pyproject.toml or corolint.json changed (every document is
   * analysed again), or source files not open in the editor (the index is updated, and the open
   * documents that call into them are analysed again).
   */
  watchedFilesChanged(params: DidChangeWatchedFilesParams): void {
    const sources = params.changes.map((change) => uriToFilePath(change.uri)).filter((path): path is string => path !== null && languageForPath(path) !== null);
    if (sources.length > 0) this.indexer.diskChanged(sources);
    if (this.options.workspaceTrusted && params.changes.some((change) => CONFIG_FILE_NAMES.includes(uriBaseName(change.uri)))) {
      this.projects.clear();
      // The files' summaries depend on the configuration (`extra-blocking-calls`, `exclude`).
      this.indexer.indexFolders(this.workspaceFolders);
      this.linter.reanalyzeAll();
    }
  }

  /** `workspace/didChangeWorkspaceFolders`. */
  workspaceFoldersChanged(event: WorkspaceFoldersChangeEvent): void {
    const paths = (folders: { uri: string }[]) => folders.map((folder) => uriToFilePath(folder.uri)).filter((path): path is string => path !== null);
    this.projects.changeWorkspaceFolders(paths(event.added), paths(event.removed));
    this.projects.clear();
    const gone = new Set(paths(event.removed));
    const kept = this.workspaceFolders.filter((folder) => !gone.has(folder));
    this.workspaceFolders.splice(0, this.workspaceFolders.length, ...kept, ...paths(event.added));
    this.indexer.removeFolders([...gone]);
    this.indexer.indexFolders(this.workspaceFolders);
    this.linter.reanalyzeAll();
  }

  /**
   * Analyses again the open documents among `files` (absolute, `/`-separated), or every open
   * document (null): a helper they call changed. Their text did not, so the analysis keeps every
   * part's findings and follows their calls through the index again.
   */
  private reanalyzeCallers(files: Set<string> | null): void {
    const uris: string[] = [];
    for (const document of this.documents.all()) {
      const path = uriToFilePath(document.uri);
      if (path === null || (files !== null && !files.has(toSlashes(path)))) continue;
      uris.push(document.uri);
    }
    this.linter.reanalyze(uris);
  }

  /** `textDocument/codeAction`. */
  codeActions(params: CodeActionParams): Promise<CodeAction[]> {
    return provideCodeActions(params, this.codeActionContext);
  }

  /** `codeAction/resolve`. */
  resolveCodeAction(action: CodeAction): Promise<CodeAction> {
    return resolveCodeAction(action, this.codeActionContext);
  }

  /** `workspace/executeCommand`. */
  executeCommand(params: ExecuteCommandParams): Promise<ApplyWorkspaceEditResult | null> {
    if (params.command !== ApplyFixAllCommand.id) {
      throw new ResponseError(ErrorCodes.InvalidParams, `Unknown command "${params.command}" (corolint has ${ApplyFixAllCommand.id}).`);
    }
    const [uri, version] = readApplyFixAllArguments(params.arguments ?? []);
    return applyFixAll(uri, version, this.codeActionContext, (label, edit) => this.connection.workspace.applyEdit({ label, edit }));
  }

  /** `corolint/runtimeBlocks`: the blocks of a new trace replace the old ones (none: cleared). */
  runtimeBlocksArrived(raw: unknown): void {
    const params = readRuntimeBlocksParams(raw);
    if (params === null) {
      this.connection.console.warn("corolint: ignored a corolint/runtimeBlocks notification without a blocks array");
      return;
    }
    this.runtimeBlocks.replace(params);
    this.connection.console.info(
      params.blocks.length === 0
        ? "corolint: runtime results cleared"
        : `corolint: ${this.runtimeBlocks.size} blocked line(s) from ${params.traceFile ?? "a trace"} (${params.blocks.length} sent)`,
    );
    this.linter.reanalyzeAll();
  }

  /** `textDocument/diagnostic`. */
  pull(params: DocumentDiagnosticParams, token: CancellationToken): Promise<DocumentDiagnosticReport> {
    return this.linter.pull(params.textDocument.uri, params.previousResultId, token);
  }

  /** `shutdown`: nothing more is analysed. */
  shutdown(): void {
    this.linter.dispose();
  }
}

function readInitializationOptions(raw: unknown): { workspaceTrusted: boolean; debounceMs: number; settings: unknown } {
  const options: InitializationOptions = typeof raw === "object" && raw !== null ? (raw as InitializationOptions) : {};
  const debounce = options.debounceMs;
  return {
    // Only an explicit false distrusts: clients that know nothing of trust (Neovim, Helix) run in trusted folders.
    workspaceTrusted: options.workspaceTrusted !== false,
    debounceMs: typeof debounce === "number" && Number.isFinite(debounce) && debounce >= 0 ? debounce : DEFAULT_DEBOUNCE_MS,
    settings: options.settings,
  };
}

/** The workspace folders of `initialize` as paths: `workspaceFolders`, else the older `rootUri`/`rootPath`. */
function workspaceFolderPaths(params: InitializeParams): string[] {
  const uris = params.workspaceFolders?.map((folder) => folder.uri) ?? (params.rootUri ? [params.rootUri] : []);
  const paths = uris.map(uriToFilePath).filter((path): path is string => path !== null);
  if (paths.length === 0 && typeof params.rootPath === "string" && params.rootPath !== "") paths.push(params.rootPath);
  return paths;
}

/** `settings.corolint` of a `didChangeConfiguration` that carries settings, whole or as the section. */
function readSection(settings: unknown): unknown {
  if (typeof settings !== "object" || settings === null) return undefined;
  return SETTINGS_SECTION in settings ? (settings as Record<string, unknown>)[SETTINGS_SECTION] : undefined;
}

/** `[uri, version?]` or `[{uri, version?}]`; anything else is invalid. */
function readApplyFixAllArguments(args: unknown[]): [string, number | undefined] {
  const [first, second] = args;
  if (typeof first === "string" && (second === undefined || typeof second === "number")) return [first, second];
  if (typeof first === "object" && first !== null) {
    const { uri, version } = first as { uri?: unknown; version?: unknown };
    if (typeof uri === "string" && (version === undefined || version === null || typeof version === "number")) {
      return [uri, typeof version === "number" ? version : undefined];
    }
  }
  throw new ResponseError(ErrorCodes.InvalidParams, `${ApplyFixAllCommand.id} expects [uri, version?] as arguments.`);
}
