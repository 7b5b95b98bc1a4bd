/**
 * Runs the analysis core on an open document: decides whether the document is analysed at all
 * (language, `corolint.enable`, the project's `exclude`, size), builds the same `AnalyzeRequest` the
 * CLI would for the file (project configuration merged with the editor's rule severities), and
 * reports rule failures without letting them hide the other rules' findings.
 */
import { analyzeSource, fixAll, IncrementalAnalyzer, languageForPath, TypeScriptWorkspace, type AnalyzeRequest, type Finding, type RuleSelection } from "../rules/index";
import { MAX_FILE_BYTES } from "../cli/read-source";
import { uriBaseName, uriToFilePath } from "./file-uris";
import type { ProjectConfigs } from "./project-config";
import type { CorolintSettings } from "./protocol";
import type { SettingsStore } from "./settings";
import type { WorkspaceIndexer } from "./workspace-index";

/** The part of an open document the analysis needs (vscode-languageserver-textdocument's `TextDocument` fits). */
export interface OpenDocument {
  readonly uri: string;
  readonly languageId: string;
  readonly version: number;
  getText(): string;
}

/** Why a document gets no diagnostics. */
export type SkipReason = "unsupported-language" | "disabled" | "excluded" | "too-large";

/** VS Code language ids of the documents corolint analyses, and the extension an unsaved one is analysed as. */
const languageIds: Record<string, string> = {
  python: ".py",
  typescript: ".ts",
  typescriptreact: ".tsx",
  javascript: ".js",
  javascriptreact: ".jsx",
};

/** The outcome of `prepare`: either everything to analyse the document with, or why not to. */
export type Preparation =
  | { kind: "skip"; reason: SkipReason; settings: CorolintSettings | null }
  | {
      kind: "ready";
      settings: CorolintSettings;
      /** The request without the text, which is read at analysis time (it may have changed meanwhile). */
      request: Omit<AnalyzeRequest, "source">;
      /** The folder the request's path is relative to; null for documents not on disk. */
      root: string | null;
    };

/** Where the analyzer writes what the user or the log should see. */
export interface AnalysisReporter {
  /** The server log (`connection.console.error`). */
  logError(message: string): void;
  /** A one-time note to the user (`window/showMessage`, info). */
  notify(message: string): void;
}

/** Analyses open documents with their settings. */
export class DocumentAnalyzer {
  /** `uri\0rule` (or `uri\0` for the engine): failures already logged, so a broken rule is not logged per keystroke. */
  private readonly loggedFailures = new Set<string>();
  /** Documents already told that they are too large. */
  private readonly toldTooLarge = new Set<string>();
  /** One incremental analyzer per open Python document: an edit re-parses and re-analyses only what it touched. */
  private readonly analyzers = new Map<string, IncrementalAnalyzer>();
  /**
   * The TypeScript projects of the workspace: an edited file replaces its text in its project, and the
   * next type check reuses the rest of the program.
   */
  private readonly typescript: TypeScriptWorkspace;

  constructor(
    private readonly settings: SettingsStore,
    private readonly projects: ProjectConfigs,
    private readonly reporter: AnalysisReporter,
    /** The workspace index `blocking-call-transitive` follows calls with; open documents update it. */
    private readonly indexer: WorkspaceIndexer,
  ) {
    // An untrusted workspace's tsconfig.json is not read either: every file gets the default options.
    this.typescript = new TypeScriptWorkspace({ onWarning: (message) => reporter.notify(message), readConfigFiles: projects.trusted });
  }

  /** Gathers settings and project configuration for a document. Awaits the client for settings. */
  async prepare(document: OpenDocument): Promise<Preparation> {
    const filePath = uriToFilePath(document.uri);
    const name = filePath ?? uriBaseName(document.uri);
    if (!(document.languageId in languageIds) && languageForPath(name) === null) {
      return { kind: "skip", reason: "unsupported-language", settings: null };
    }
    const settings = await this.settings.get(document.uri);
    if (!settings.enable) return { kind: "skip", reason: "disabled", settings };
    if (isTooLarge(document.getText())) {
      if (!this.toldTooLarge.has(document.uri)) {
        this.toldTooLarge.add(document.uri);
        this.reporter.notify(`corolint: ${name} is larger than 10 MB and is not analysed.`);
      }
      return { kind: "skip", reason: "too-large", settings };
    }
    if (filePath === null) {
      // Unsaved documents have no project: editor settings only, and a name in their language.
      const path = languageForPath(name) !== null ? name : `untitled${languageIds[document.languageId] ?? ".py"}`;
      return { kind: "ready", settings, request: { path, rules: editorSelection({}, settings) }, root: null };
    }
    const project = this.projects.forFile(filePath);
    if (project.excluded) return { kind: "skip", reason: "excluded", settings };
    return {
      kind: "ready",
      settings,
      request: {
        path: project.analysisPath,
        options: project.config.options,
        rules: editorSelection(project.config.rules, settings),
        absolutePath: filePath,
      },
      root: project.root,
    };
  }

  /** Analyses `text` with a prepared request. Synchronous; never throws (failures are logged, findings kept). */
  analyze(uri: string, text: string, request: Omit<AnalyzeRequest, "source">): Finding[] {
    try {
      const isTypeScript = languageForPath(request.path) === "typescript";
      // Documents on disk are part of the workspace: their text's summary goes into the index first.
      // (An unsaved document has no path other files could import it by.)
      const onDisk = request.absolutePath !== undefined;
      const full: AnalyzeRequest = { ...request, source: text, ...(onDisk ? { workspace: this.indexer.index } : {}) };
      let result;
      if (isTypeScript) {
        if (onDisk) this.updateTypeScriptSummary(uri, full);
        result = analyzeSource(full, undefined, this.typescript);
      } else {
        let analyzer = this.analyzers.get(uri);
        if (!analyzer) {
          analyzer = new IncrementalAnalyzer();
          this.analyzers.set(uri, analyzer);
        }
        // The analysis makes the document's summary part by part, as it analyses; it goes into the
        // index before blocking-call-transitive follows calls through it.
        result = analyzer.analyze(full, onDisk ? { indexSummary: (summary, change) => this.indexer.updateOpenSummary(summary, change) } : undefined);
      }
      for (const failure of result.ruleErrors) {
        this.logOnce(`${uri}\0${failure.rule}`, `corolint: rule ${failure.rule} failed on ${request.path}; its findings there are missing: ${failure.message}`);
      }
      return result.findings;
    } catch (error) {
      this.logOnce(`${uri}\0`, `corolint: internal error while analysing ${request.path}: ${describeError(error)}`);
      return [];
    }
  }

  /** Every safe fix applied to `text`; null when the engine failed (logged). */
  fixAll(uri: string, text: string, request: Omit<AnalyzeRequest, "source">): { text: string; fixed: number } | null {
    try {
      const result = fixAll({ ...request, source: text }, { unsafe: false }, this.typescript);
      return { text: result.text, fixed: result.fixed };
    } catch (error) {
      this.logOnce(`${uri}\0fix`, `corolint: internal error while fixing ${request.path}: ${describeError(error)}`);
      return null;
    }
  }

  /** Forgets a closed document: what was logged about it, its syntax tree and its kept findings. */
  forget(uri: string): void {
    this.analyzers.get(uri)?.dispose();
    this.analyzers.delete(uri);
    // The project reads the file from disk again: the closed editor's text may never have been saved.
    const filePath = uriToFilePath(uri);
    if (filePath && languageForPath(filePath) === "typescript") this.typescript.forget(filePath);
    // So does the workspace index.
    if (filePath) this.indexer.closed(filePath);
    for (const key of this.loggedFailures) if (key.startsWith(`${uri}\0`)) this.loggedFailures.delete(key);
    this.toldTooLarge.delete(uri);
  }

  /** Updates the index with a TS/JS document's summary. Never throws. */
  private updateTypeScriptSummary(uri: string, request: AnalyzeRequest): void {
    try {
      this.indexer.updateOpen(request, this.typescript);
    } catch (error) {
      this.logOnce(`${uri}\0summary`, `corolint: could not index ${request.path} for blocking-call-transitive: ${describeError(error)}`);
    }
  }

  private logOnce(key: string, message: string): void {
    if (this.loggedFailures.has(key)) return;
    this.loggedFailures.add(key);
    this.reporter.logError(message);
  }
}

/** The project's selection with the editor's severities on top: the editor decides how loud a rule is, or turns it off. */
function editorSelection(project: RuleSelection, settings: CorolintSettings): RuleSelection {
  if (Object.keys(settings.rules).length === 0) return project;
  return { ...project, severity: { ...project.severity, ...settings.rules } };
}

/** Whether a text is over the CLI's 10 MB limit in UTF-8, without encoding small texts. */
function isTooLarge(text: string): boolean {
  // A UTF-16 code unit takes at most 3 bytes in UTF-8.
  if (text.length * 3 <= MAX_FILE_BYTES) return false;
  return text.length > MAX_FILE_BYTES || Buffer.byteLength(text, "utf8") > MAX_FILE_BYTES;
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
