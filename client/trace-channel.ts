/**
 * A view of the "corolint" output channel that the language client uses for its JSON-RPC trace,
 * so that `corolint.trace.server` alone turns tracing on and off.
 *
 * Why: vscode-languageclient 11 traces only when its trace channel's log level is Trace, and then
 * reads `off` in `<id>.trace.server` as `messages`. Users (and VS Code's LSP guide) expect the setting
 * by itself to work, so this view reports the Trace level exactly when the setting is not `off`, and
 * writes the trace lines at info level, which the channel shows by default.
 */
import * as vscode from "vscode";
import { SETTINGS_SECTION } from "../server/protocol";

/** The setting that drives the trace; the client reads the same key for messages vs verbose. */
export const traceSetting = { section: SETTINGS_SECTION, key: "trace.server" } as const;

/** A `LogOutputChannel` over `output` whose log level follows `corolint.trace.server`. */
export class TraceChannel implements vscode.LogOutputChannel, vscode.Disposable {
  private readonly levelChanged = new vscode.EventEmitter<vscode.LogLevel>();
  private readonly configListener: vscode.Disposable;

  /** Fires when `corolint.trace.server` changes, so the client switches its trace on or off. */
  readonly onDidChangeLogLevel = this.levelChanged.event;

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.configListener = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${traceSetting.section}.${traceSetting.key}`)) this.levelChanged.fire(this.logLevel);
    });
  }

  /** Trace while the setting is `messages` or `verbose`, Info (no trace) while it is `off`. */
  get logLevel(): vscode.LogLevel {
    const value = vscode.workspace.getConfiguration(traceSetting.section).get<unknown>(traceSetting.key, "off");
    // The client also accepts the object form `{verbosity, format}`; treat it like its verbosity.
    const verbosity = typeof value === "object" && value !== null ? (value as { verbosity?: unknown }).verbosity : value;
    return verbosity === "messages" || verbosity === "verbose" ? vscode.LogLevel.Trace : vscode.LogLevel.Info;
  }

  get name(): string {
    return this.output.name;
  }

  trace(message: string, ...args: unknown[]): void {
    this.output.info(message, ...args);
  }

  debug(message: string, ...args: unknown[]): void {
    this.output.debug(message, ...args);
  }

  info(message: string, ...args: unknown[]): void {
    this.output.info(message, ...args);
  }

  warn(message: string, ...args: unknown[]): void {
    this.output.warn(message, ...args);
  }

  error(error: string | Error, ...args: unknown[]): void {
    this.output.error(error, ...args);
  }

  append(value: string): void {
    this.output.append(value);
  }

  appendLine(value: string): void {
    this.output.appendLine(value);
  }

  replace(value: string): void {
    this.output.replace(value);
  }

  clear(): void {
    this.output.clear();
  }

  show(preserveFocus?: boolean): void;
  show(column?: vscode.ViewColumn, preserveFocus?: boolean): void;
  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserveFocus === "number") this.output.show(columnOrPreserveFocus, preserveFocus);
    else this.output.show(columnOrPreserveFocus);
  }

  hide(): void {
    this.output.hide();
  }

  /** Stops following the setting; the underlying channel belongs to the host and stays open. */
  dispose(): void {
    this.configListener.dispose();
    this.levelChanged.dispose();
  }
}
