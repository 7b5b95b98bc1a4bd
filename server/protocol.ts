/**
 * What corolint's language server and its clients (the VS Code extension, `corolint server` users,
 * the tests) agree on beyond the LSP itself: command ids, code action kinds, settings, initialization
 * options and the `data` a diagnostic carries. Plain data only, so the extension can import it
 * without pulling in the server.
 */
import type { Severity } from "../rules/index";

/** The `workspace/configuration` section the server pulls its settings from. */
export const SETTINGS_SECTION = "corolint";

/** The value `Diagnostic.source` has on every diagnostic the server reports. */
export const DIAGNOSTIC_SOURCE = "corolint";

/** The code action kind of "fix all": asked for by `editor.codeActionsOnSave` as `source.fixAll(.corolint)`. */
export const FIX_ALL_KIND = "source.fixAll.corolint";

/**
 * `workspace/executeCommand` "corolint.applyFixAll": applies every safe fix to one open document
 * through `workspace/applyEdit`. The VS Code extension's "corolint: Fix All" runs it.
 * vscode-languageclient registers the command id in VS Code itself, so the extension must not.
 */
export namespace ApplyFixAllCommand {
  /** The command name in `workspace/executeCommand` and in `executeCommandProvider.commands`. */
  export const id = "corolint.applyFixAll";
  /**
   * The document's uri, and optionally the version the caller saw: when the document has changed
   * since, the command fails with `ContentModified` instead of fixing text the user has not seen.
   */
  export type Arguments = [uri: string, version?: number];
}

/** When the server analyses a document. */
export type RunMode = "onType" | "onSave";

/** The editor settings (`corolint.*`), as the server uses them after defaults are filled in. */
export interface CorolintSettings {
  /** Report nothing when false. */
  enable: boolean;
  /** Severity per rule id, over the project configuration's; `off` turns a rule off. */
  rules: Record<string, Severity | "off">;
  /** Analyse on every change (debounced) or only when the document is opened or saved. */
  run: RunMode;
}

/** What `initialize` may carry in `initializationOptions`; every field is optional. */
export interface InitializationOptions {
  /**
   * False in an untrusted workspace: the server then never reads project configuration files
   * (pyproject.toml, corolint.json) and uses the editor settings alone.
   */
  workspaceTrusted?: boolean;
  /** Milliseconds between the last change and the analysis; default 150. Tests and benchmarks use 0. */
  debounceMs?: number;
  /** Settings for clients that cannot answer `workspace/configuration` (most take them from there). */
  settings?: Partial<CorolintSettings>;
}

/** A fix of a diagnostic in LSP terms: positions are zero-based, columns in UTF-16 code units. */
export interface DiagnosticFix {
  title: string;
  /** Safe fixes keep the program's meaning; the first safe one is the preferred quick fix. */
  safe: boolean;
  edits: { range: LspRange; newText: string }[];
}

/**
 * `Diagnostic.data` of every corolint diagnostic: the fixes code actions offer, and the document
 * version they apply to (a code action request for a later version recomputes them).
 */
export interface DiagnosticData {
  version: number;
  fixes: DiagnosticFix[];
}

/** An LSP range, spelled out so that this module needs no LSP package. */
export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** The diagnostic code of a block measured at run time (`corolint trace`), as opposed to a rule's finding. */
export const LOOP_BLOCKED_CODE = "loop-blocked";

/** One source line the tracer blamed for blocking the event loop, summed over the spans it blamed on it. */
export interface RuntimeBlock {
  /** Absolute path of the source file, as the tracer recorded it (made absolute by the client). */
  file: string;
  /** 1-based line, as in the trace. */
  line: number;
  /** The function that was running there. */
  function: string;
  /** How many blocked spans were blamed on this line. */
  count: number;
  /** The longest of them, in milliseconds. */
  maxMs: number;
  /** All of them together, in milliseconds. */
  totalMs: number;
}

/**
 * `corolint/runtimeBlocks` (client → server notification): the blocks of the last trace. Replaces
 * whatever the server held before (the diagnostics show the last trace only); an empty `blocks`
 * list clears them ("corolint: Clear Runtime Results"). The server publishes one `loop-blocked`
 * diagnostic per block, in open documents and in documents opened later.
 */
export namespace RuntimeBlocksNotification {
  export const method = "corolint/runtimeBlocks";
  export interface Params {
    /** The trace the blocks come from (shown in messages and logs); null when clearing. */
    traceFile: string | null;
    blocks: RuntimeBlock[];
  }
}
