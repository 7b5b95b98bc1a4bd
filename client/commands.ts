/**
 * Command ids shared by the extension code and the manifest (`package.json` → `contributes.commands`).
 * This module imports nothing, so a test can compare it with the manifest without loading `vscode`.
 */

/** The commands the extension contributes; all shown in the palette under the "corolint" category. */
export const commandIds = {
  /** Stops the language server and starts a fresh one (after a crash, or to reread everything). */
  restartServer: "corolint.restartServer",
  /** Reveals the "corolint" output channel, where the client and the server log. */
  showOutput: "corolint.showOutput",
  /** Applies every safe fix to the active Python document. */
  fixAll: "corolint.fixAll",
  /** Runs the active Python or Node file under `corolint trace` and shows its schedule and blocks. */
  traceFile: "corolint.traceFile",
  /** Removes the `loop-blocked` diagnostics of the last trace. */
  clearRuntimeResults: "corolint.clearRuntimeResults",
} as const;

/** The languages the server lints; "Fix All" and the document selector are limited to them. */
export const lintedLanguageIds: readonly string[] = ["python", "typescript", "typescriptreact", "javascript", "javascriptreact"];
