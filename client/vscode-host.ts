/**
 * `EditorHost` over the real `vscode` API: the output channel, the status bar item, commands,
 * workspace trust and the active editor. The rest of the extension talks to `EditorHost` only, so
 * this file (with `language-client.ts` and `trace-channel.ts`) is where the `vscode` module is used.
 */
import * as vscode from "vscode";
import { commandIds } from "./commands";
import type { ActiveDocument, DisposableLike, EditorHost } from "./host";
import type { StatusView } from "./server-status";

/** The real editor: also owns the output channel the language client writes to. */
export class VscodeHost implements EditorHost, vscode.Disposable {
  /** The "corolint" log channel: the client's messages, the server's `window/logMessage` and the trace. */
  readonly outputChannel: vscode.LogOutputChannel;
  private readonly statusItem: vscode.StatusBarItem;

  constructor() {
    this.outputChannel = vscode.window.createOutputChannel("corolint", { log: true });
    // Right-aligned like other language status; the id lets users hide or move it.
    this.statusItem = vscode.window.createStatusBarItem("corolint.status", vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = "corolint";
    this.statusItem.command = commandIds.showOutput;
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

  /** Disposes the status bar item and the output channel (on deactivation). */
  dispose(): void {
    this.statusItem.dispose();
    this.outputChannel.dispose();
  }
}

/** An error's stack (or message) for the log; anything else as a string. */
function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}
