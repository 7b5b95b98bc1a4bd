/**
 * `EditorHost` over the real `vscode` API: the output channel, the status bar item, commands,
 * workspace trust, the active editor, settings, the trace terminal and the schedule panel. The rest
 * of the extension talks to `EditorHost` only, so this file (with `language-client.ts`,
 * `trace-channel.ts`, `trace-terminal.ts` and `trace-panel.ts`) is where the `vscode` module is used.
 */
import { statSync } from "node:fs";
import * as vscode from "vscode";
import { commandIds } from "./commands";
import type { ActiveDocument, DisposableLike, EditorHost, ScheduleView, TraceSettings } from "./host";
import type { StatusView } from "./server-status";
import { SchedulePanel } from "./trace-panel";
import type { TraceCommand, TraceEnd } from "./trace-runner";
import { runInTraceTerminal } from "./trace-terminal";

/** The default trace settings, as in the manifest. */
const DEFAULT_THRESHOLD_MS = 50;
/** The interpreter when neither corolint's setting nor the Python extension names one. */
const DEFAULT_PYTHON = process.platform === "win32" ? "python" : "python3";

/** The real editor: also owns the output channel the language client writes to. */
export class VscodeHost implements EditorHost, vscode.Disposable {
  /** The "corolint" log channel: the client's messages, the server's `window/logMessage` and the trace. */
  readonly outputChannel: vscode.LogOutputChannel;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly schedulePanel: SchedulePanel;

  constructor() {
    this.outputChannel = vscode.window.createOutputChannel("corolint", { log: true });
    // Right-aligned like other language status; the id lets users hide or move it.
    this.statusItem = vscode.window.createStatusBarItem("corolint.status", vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = "corolint";
    this.statusItem.command = commandIds.showOutput;
    this.schedulePanel = new SchedulePanel((message, error) => this.logError(message, error));
  }

  isWorkspaceTrusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  onDidGrantWorkspaceTrust(listener: () => void): DisposableLike {
    return vscode.workspace.onDidGrantWorkspaceTrust(listener);
  }

  registerCommand(id: string, handler: () => unknown): DisposableLike {
    return vscode.commands.registerCommand(id, handler);
  }

  activeDocument(): ActiveDocument | undefined {
    const document = vscode.window.activeTextEditor?.document;
    if (!document) return undefined;
    return { uri: document.uri.toString(), languageId: document.languageId, version: document.version };
  }

  showStatus(view: StatusView): void {
    this.statusItem.text = view.text;
    this.statusItem.tooltip = view.tooltip;
    this.statusItem.backgroundColor = view.isError ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    this.statusItem.show();
  }

  showOutput(): void {
    this.outputChannel.show(true);
  }

  logInfo(message: string): void {
    this.outputChannel.info(message);
  }

  logError(message: string, error?: unknown): void {
    this.outputChannel.error(error === undefined ? message : `${message}: ${describeError(error)}`);
  }

  showInformation(message: string): void {
    void vscode.window.showInformationMessage(message);
  }

  showError(message: string): void {
    void vscode.window.showErrorMessage(message);
  }

  async saveDocument(uri: string): Promise<boolean> {
    const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri);
    if (document === undefined || !document.isDirty) return true;
    return document.save();
  }

  async traceSettings(uri: string): Promise<TraceSettings> {
    const resource = vscode.Uri.parse(uri);
    const config = vscode.workspace.getConfiguration("corolint", resource);
    const threshold = config.get<unknown>("trace.thresholdMs");
    const configured = config.get<unknown>("trace.pythonPath");
    const folder = vscode.workspace.getWorkspaceFolder(resource)?.uri.fsPath;
    const pythonPath =
      (typeof configured === "string" && configured.trim() !== "" ? expandWorkspaceFolder(configured.trim(), folder) : null) ??
      (await pythonExtensionInterpreter(resource)) ??
      pythonInterpreterSetting(resource, folder) ??
      DEFAULT_PYTHON;
    return {
      mode: config.get<unknown>("trace.mode") === "light" ? "light" : "steps",
      thresholdMs: typeof threshold === "number" && Number.isFinite(threshold) && threshold > 0 ? threshold : DEFAULT_THRESHOLD_MS,
      pythonPath,
    };
  }

  workspaceFolderOf(uri: string): string | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(uri));
    return folder?.uri.scheme === "file" ? folder.uri.fsPath : undefined;
  }

  runInTerminal(name: string, command: TraceCommand): Promise<TraceEnd> {
    return runInTraceTerminal(name, command);
  }

  showSchedule(view: ScheduleView): void {
    this.schedulePanel.show(view);
  }

  /** Disposes the status bar item, the schedule panel and the output channel (on deactivation). */
  dispose(): void {
    this.schedulePanel.dispose();
    this.statusItem.dispose();
    this.outputChannel.dispose();
  }
}

/** An error's stack (or message) for the log; anything else as a string. */
function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}

/** `${workspaceFolder}` in a path setting, as VS Code's own settings allow. */
function expandWorkspaceFolder(path: string, folder: string | undefined): string {
  return folder === undefined ? path : path.replace(/\$\{workspaceFolder\}/g, folder);
}

/** The part of the Python extension's API (`ms-python.python`) used here. */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(environment: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

/**
 * The interpreter the Python extension has selected for the file, if it is installed and answers;
 * null otherwise (its API is optional to corolint, so every failure just means "not known").
 */
async function pythonExtensionInterpreter(resource: vscode.Uri): Promise<string | null> {
  try {
    const extension = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
    if (extension === undefined) return null;
    const api = extension.isActive ? extension.exports : await extension.activate();
    const environments = api?.environments;
    if (environments === undefined) return null;
    const active = environments.getActiveEnvironmentPath(resource);
    const resolved = await environments.resolveEnvironment(active);
    const executable = resolved?.executable.uri?.fsPath ?? active.path;
    return isFile(executable) ? executable : null;
  } catch {
    return null;
  }
}

/** `python.defaultInterpreterPath` when the user set it (its default, "python", often does not exist). */
function pythonInterpreterSetting(resource: vscode.Uri, folder: string | undefined): string | null {
  const inspected = vscode.workspace.getConfiguration("python", resource).inspect<unknown>("defaultInterpreterPath");
  const value = inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
  return typeof value === "string" && value.trim() !== "" ? expandWorkspaceFolder(value.trim(), folder) : null;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
