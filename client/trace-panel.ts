/**
 * The "corolint: Schedule" panel: the page `corolint view` writes (runtime/viewer), in a webview. The
 * page is rendered with a strict Content-Security-Policy: only its own script and style elements run,
 * by nonce; nothing is fetched. A click on a span or a row of the top-blockers table posts
 * `{type: "open", file, line}`; the panel opens that line, but only in a file the trace names that
 * exists on disk (the message comes from a page that renders the trace's strings).
 */
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import * as vscode from "vscode";
import { loadViewerAssets, renderViewerHtml, webviewPagePolicy } from "../cli/view-command";
import type { ScheduleView } from "./host";
import { traceSourceFiles } from "./trace-results";

/** The one schedule panel, reused by every trace. */
export class SchedulePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** Absolute paths the current trace names: the only files `open` messages may open. */
  private openable = new Set<string>();
  private cwd = "";

  constructor(private readonly logError: (message: string, error?: unknown) => void) {}

  /** Shows `view`, in a new panel beside the editor or in the one already open. */
  show(view: ScheduleView): void {
    const assets = loadViewerAssets();
    if (assets === null) throw new Error("the viewer's files are missing from the extension (dist/runtime/viewer)");
    this.openable = traceSourceFiles(view.model, view.cwd);
    this.cwd = view.cwd;
    const panel = this.panel ?? this.create();
    // An open panel stays in the column the user put it in.
    panel.reveal(undefined, true);
    const nonce = randomBytes(18).toString("base64");
    panel.webview.html = renderViewerHtml(view.model, view.title, assets.template, assets.script, webviewPagePolicy(nonce));
  }

  dispose(): void {
    this.panel?.dispose();
  }

  private create(): vscode.WebviewPanel {
    const panel = vscode.window.createWebviewPanel(
      "corolint.schedule",
      "corolint: Schedule",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      // No local resources at all: the page has everything inlined.
      { enableScripts: true, enableCommandUris: false, localResourceRoots: [], enableFindWidget: true },
    );
    panel.webview.onDidReceiveMessage((message: unknown) => {
      this.open(message).catch((error: unknown) => this.logError("Opening a line from the schedule failed", error));
    });
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
    });
    this.panel = panel;
    return panel;
  }

  /** Handles `{type: "open", file, line}`; anything else, or a file the trace does not name, is ignored. */
  private async open(message: unknown): Promise<void> {
    if (typeof message !== "object" || message === null) return;
    const { type, file, line } = message as { type?: unknown; file?: unknown; line?: unknown };
    if (type !== "open" || typeof file !== "string" || typeof line !== "number" || !Number.isInteger(line) || line < 1) return;
    const path = isAbsolute(file) ? file : resolve(this.cwd, file);
    if (!this.openable.has(path) || !isFile(path)) return;
    const uri = vscode.Uri.file(path);
    const shown = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.fsPath === uri.fsPath);
    const position = new vscode.Position(line - 1, 0);
    const editor = await vscode.window.showTextDocument(uri, {
      viewColumn: shown?.viewColumn ?? vscode.window.visibleTextEditors[0]?.viewColumn ?? vscode.ViewColumn.One,
      selection: new vscode.Range(position, position),
      preserveFocus: false,
    });
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
