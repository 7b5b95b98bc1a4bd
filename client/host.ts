/**
 * The slice of the VS Code API the extension's own logic uses, as an interface. `vscode-host.ts`
 * implements it over the real `vscode` module; a test can pass a fake instead, because nothing here
 * loads `vscode` (which exists only inside the editor).
 */
import type { ViewModel } from "../cli/view-command";
import type { StatusView } from "./server-status";
import type { TraceCommand, TraceEnd } from "./trace-runner";

/** Anything that can be disposed, like `vscode.Disposable`. */
export interface DisposableLike {
  dispose(): unknown;
}

/** The document in the active text editor, in the terms the language server uses. */
export interface ActiveDocument {
  /** The document's URI as a string (what the server calls `textDocument.uri`). */
  uri: string;
  /** VS Code's language id, e.g. "python". */
  languageId: string;
  /** The version VS Code gave the text the user sees; the language client reports the same number. */
  version: number;
}

/** The `corolint.trace.*` settings for one file, the Python interpreter resolved. */
export interface TraceSettings {
  mode: "light" | "steps";
  thresholdMs: number;
  /** The interpreter for Python files: the setting, else the Python extension's, else `python3`. */
  pythonPath: string;
}

/** What the "corolint: Schedule" panel shows. */
export interface ScheduleView {
  model: ViewModel;
  /** The traced file's name, the page's heading. */
  title: string;
  /** The trace's path. */
  tracePath: string;
  /** The run's working folder: relative file names in the trace are relative to it. */
  cwd: string;
}

/** What the extension needs from the editor. */
export interface EditorHost {
  /** Whether the user trusts the open workspace; VS Code reports true when no folder is open. */
  isWorkspaceTrusted(): boolean;
  /** Calls `listener` once the user grants trust to the workspace. */
  onDidGrantWorkspaceTrust(listener: () => void): DisposableLike;
  /** Registers a command handler under `id` (the id must also be in the manifest to show in the palette). */
  registerCommand(id: string, handler: () => unknown): DisposableLike;
  /** The active text editor's document, if any. */
  activeDocument(): ActiveDocument | undefined;
  /** Shows `view` in the status bar item; clicking the item shows the output. */
  showStatus(view: StatusView): void;
  /** Reveals the "corolint" output channel without taking the focus. */
  showOutput(): void;
  /** Writes an info line to the output channel. */
  logInfo(message: string): void;
  /** Writes an error line (with the error's message and stack, when there is one) to the output channel. */
  logError(message: string, error?: unknown): void;
  /** Shows a non-modal information message. */
  showInformation(message: string): void;
  /** Shows a non-modal error message. */
  showError(message: string): void;
  /** Saves the document if it has unsaved changes; false when it could not be saved. */
  saveDocument(uri: string): Promise<boolean>;
  /** The trace settings that apply to the document. */
  traceSettings(uri: string): Promise<TraceSettings>;
  /** The path of the workspace folder holding the document, if any. */
  workspaceFolderOf(uri: string): string | undefined;
  /** Runs `command` in a new terminal named `name` (output shown, input typed there); resolves when it ended. */
  runInTerminal(name: string, command: TraceCommand): Promise<TraceEnd>;
  /** Opens the "corolint: Schedule" panel on `view`, or refreshes it. */
  showSchedule(view: ScheduleView): void;
}
