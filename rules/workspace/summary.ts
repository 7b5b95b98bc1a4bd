/**
 * The workspace index behind `blocking-call-transitive` (issue #7): what one file says about its
 * functions, as plain data (it crosses worker threads and is kept per file by the language server),
 * and the index that joins these summaries across files to follow a call from an async function
 * into sync helpers, hop by hop, to a blocking call.
 *
 * Per file, a front end (`rules/python/summarize.ts`, `rules/typescript/summarize.ts`) writes a
 * `FileSummary`: its functions and methods, each with its direct blocking calls and its outgoing
 * calls to functions that may live in the workspace, and the names the module binds from other
 * modules (imports and re-exports), through which calls from other files resolve.
 *
 * The entry points (one owner each; the names are the contract between the core, the CLI and the
 * server):
 * - `rules/workspace/index.ts`: `createWorkspaceIndex(): WorkspaceIndex`.
 * - `rules/workspace/summarize-file.ts`: `summarizeFile(request: AnalyzeRequest, parser?, typescript?):
 *   FileSummary | null` — parses one file (Python or TS/JS, by its path) and summarizes it; null for
 *   other files. The CLI and the server index files that are not open with it.
 * - `rules/python/summarize.ts`: `summarizePython(model: PythonModel, file: string, options: AnalysisOptions, moduleKeys?: string[]): FileSummary`
 *   (`moduleKeys` defaults to `pythonModuleKeys(file, [])`; relative imports resolve against the first).
 * - `rules/typescript/summarize.ts`: `summarizeTypeScript(model: TypeScriptModel, file: string, options: AnalysisOptions): FileSummary`.
 * - `rules/workspace/module-keys.ts`: `pythonModuleKeys(file: string, workspaceRoots: string[]): string[]`
 *   and `typescriptModuleKeys(file: string): string[]`; also `summaryFileOf(path, absolutePath)`, the
 *   `file` a request's summary is filed under (the absolute path with `/`, else the relative path):
 *   the rule and `summarizeFile` both use it, so a server or CLI that keys files otherwise must
 *   convert.
 * - `AnalyzeRequest.workspace?: WorkspaceIndex` (rules/types.ts): when given, `analyzeSource` runs
 *   `blocking-call-transitive` against it (after updating it with the analysed text's summary);
 *   without it the rule follows calls inside the one file only.
 * - `AnalyzeRequest.workspaceRoots?: string[]`: the folders Python module names are also taken from
 *   (besides the `__init__.py` packages); absent, the project root (`absolutePath` minus `path`).
 * - `AnalysisOptions.transitiveMaxDepth?: number` (config `transitive-max-depth`, default unlimited):
 *   the most sync functions a chain may go through (1: only a helper that blocks directly).
 *
 * Related locations of cross-file hops carry `file` relative to the project root when the file lies
 * under it, else absolute; the server and the CLI resolve it against their root either way.
 */
import type { Language, Range } from "../types";

/** Where a call goes, as far as one file can tell without the others. */
export type CallTarget =
  /** A function or method of the same file, by its id (`load_user`, `Repo.fetch`). */
  | { kind: "local"; id: string }
  /**
   * A member of another module: `module` is a module key (see `FileSummary.moduleKeys`: a dotted
   * Python module name, absolute after resolving relative imports, or a TS/JS file's absolute path
   * without extension, resolved from a relative specifier), `path` the attribute path inside it:
   * `["load_user"]`, `["Repo", "fetch"]` (a static/class method), `["db", "load"]` (a submodule's member).
   */
  | { kind: "module"; module: string; path: string[] };

/** One call in a function body that may reach workspace code. */
export interface OutgoingCall {
  target: CallTarget;
  /** The call expression (the diagnostic's range when the caller is async). */
  range: Range;
  /** The callee as written, for messages (`load_user`, `self.fetch`, `helpers.load_user`). */
  text: string;
}

/** A blocking call made directly in a function's body (what `blocking-call` would report if it were async). */
export interface DirectBlockingCall {
  /** The blocking function's qualified name (`requests.get`, `fs.readFileSync`). */
  callee: string;
  range: Range;
}

/** A function, method, static or class method the file defines; nested functions only when async (by position: `inner@12:5`). */
export interface FunctionSummary {
  /** Unique in the file: `load_user`, `Repo.fetch`, `Repo.__init__`; `name@line:col` (1-based) for a coroutine not indexed by name; for TS also `default` for a default export. */
  id: string;
  /** A coroutine / async function: its outgoing calls are where findings are reported. */
  async: boolean;
  /** The name in its definition (the target of a hop in `relatedInformation`). */
  range: Range;
  blocking: DirectBlockingCall[];
  /**
   * Calls that may reach workspace functions, not counting calls handed to a thread or an executor
   * (`asyncio.to_thread(f)`, `loop.run_in_executor(None, f)`, worker threads): those break the chain.
   */
  calls: OutgoingCall[];
}

/** What one file contributes to the index. */
export interface FileSummary {
  /** Absolute path with `/` separators. */
  file: string;
  language: Language;
  /**
   * The keys other files use to name this module: Python, its dotted module names (from each import
   * root that reaches it: `pkg.helpers`, and `helpers` when its own folder is a root); TS/JS, the
   * absolute path without extension (and without `/index` for an index file: both keys).
   */
  moduleKeys: string[];
  functions: FunctionSummary[];
  /**
   * Names the module binds to something of another module, so that a call through this module
   * resolves on (`from .db import load_user` in `pkg/__init__.py`; `export { load } from "./db"`;
   * `export * from "./db"` is the entry with `name: "*"` and a target path of `[]`).
   */
  reexports: { name: string; target: Extract<CallTarget, { kind: "module" }> }[];
}

/** One step of a chain, from the call in the async function to the blocking call at its end. */
export interface ChainHop {
  file: string;
  /** The call made at this hop (its range in `file`). */
  range: Range;
  /** The function making it (`load_user`), and the callee as written (`fetch_row`, `requests.get`). */
  caller: string;
  callee: string;
  /** True for the last hop: a direct blocking call. */
  blocking: boolean;
}

/** The index over every summary of the workspace. */
export interface WorkspaceIndex {
  /** Adds or replaces a file's summary; cached chains that may go through it are dropped. */
  update(summary: FileSummary): void;
  /** Forgets a file (deleted, or no longer in the workspace). */
  remove(file: string): void;
  summaryOf(file: string): FileSummary | undefined;
  /**
   * The chain from a call made by `file` to a blocking call, through sync functions of the workspace
   * only, shortest first; undefined when the call resolves to no indexed sync function or none of
   * them reaches a blocking call within `maxDepth` hops (undefined depth: unlimited; cycles end).
   * The first hop is the call itself.
   */
  chainFrom(file: string, call: OutgoingCall, maxDepth?: number): ChainHop[] | undefined;
  /**
   * The files whose findings may change when `file`'s summary changes (callers, transitively; not
   * `file` itself). Also answers for a file just removed (from the keys it had).
   */
  dependentsOf(file: string): Set<string>;
}
