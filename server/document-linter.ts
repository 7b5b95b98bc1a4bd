/**
 * When open documents are analysed and how results reach the client.
 *
 * Push (`textDocument/publishDiagnostics`, for clients without pull diagnostics): a change schedules
 * an analysis after a quiet period (debounce); a newer change or a newer analysis of the same
 * document makes an older one give up before it publishes, and a published version never goes back,
 * so stale diagnostics never replace fresh ones.
 *
 * Pull (`textDocument/diagnostic`, LSP 3.17): the client asks and debounces; a request whose document
 * changed while its settings were fetched is cancelled with `retriggerRequest`, so the client asks
 * again for the new text. Result ids let a repeated request be answered "unchanged" without analysis.
 *
 * Analysis itself is synchronous (the core parses and checks in one go), so between the moment the
 * text is read and the moment the result is sent nothing can change: every staleness check sits at an
 * `await` boundary.
 */
import {
  DocumentDiagnosticReportKind,
  LSPErrorCodes,
  ResponseError,
  type CancellationToken,
  type Diagnostic,
  type DocumentDiagnosticReport,
  type PublishDiagnosticsParams,
} from "vscode-languageserver";
import type { DocumentAnalyzer, OpenDocument, Preparation } from "./analysis";
import { toDiagnostics } from "./diagnostics";
import type { CorolintSettings } from "./protocol";

/**
 * What made an analysis happen; with `run: onSave`, changes do not analyse. `workspace`: another
 * file the document calls into changed (blocking-call-transitive).
 */
type Trigger = "open" | "change" | "save" | "settings" | "workspace";

/** What the linter needs from the rest of the server. */
export interface LinterOptions {
  documents: { get(uri: string): OpenDocument | undefined; all(): OpenDocument[] };
  analyzer: DocumentAnalyzer;
  settingsOf(uri: string): Promise<CorolintSettings>;
  /** Milliseconds of quiet after a change before analysing (push mode). */
  debounceMs: number;
  /** True when the client pulls diagnostics; then nothing is pushed. */
  pull: boolean;
  /** Whether the client shows `relatedInformation` (else related locations go into the message). */
  relatedInformation: boolean;
  publish(params: PublishDiagnosticsParams): void;
  /** Asks a pulling client to pull again (`workspace/diagnostic/refresh`); a no-op when it cannot. */
  refresh(): void;
  logError(message: string): void;
  /** Adds what is not a rule's finding (blocks measured at run time) to a document's diagnostics. */
  decorate(uri: string, version: number, text: string, diagnostics: Diagnostic[]): Diagnostic[];
}

/** The last pull report of a document, for "unchanged" answers and for `run: onSave`. */
interface PullReport {
  resultId: string;
  items: Diagnostic[];
}

/** Schedules analyses of open documents and delivers their diagnostics. */
export class DocumentLinter {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; trigger: Trigger }>();
  /** Per document, the number of the latest analysis started: older ones must not publish. */
  private readonly generations = new Map<string, number>();
  /** Per document, the version whose diagnostics were pushed last. */
  private readonly published = new Map<string, number>();
  /** Per document, the version last opened or saved: what `run: onSave` analyses. */
  private readonly savedVersions = new Map<string, number>();
  private readonly reports = new Map<string, PullReport>();
  /** Bumped whenever settings or project configuration change, so pull result ids change too. */
  private epoch = 0;
  /** Per document, bumped when a file it calls into changed: its pull result id changes too. */
  private readonly workspaceEpochs = new Map<string, number>();

  constructor(private readonly options: LinterOptions) {}

  /** `textDocument/didOpen`. Analysed at once: the user is looking at it. */
  opened(document: OpenDocument): void {
    this.savedVersions.set(document.uri, document.version);
    if (!this.options.pull) this.schedule(document.uri, 0, "open");
  }

  /** `textDocument/didChange` (after the document was updated). */
  changed(document: OpenDocument): void {
    // vscode-languageserver reports an open as a change too; `opened` already scheduled that one.
    if (this.savedVersions.get(document.uri) === document.version) return;
    if (!this.options.pull) this.schedule(document.uri, this.options.debounceMs, "change");
  }

  /** `textDocument/didSave`. With `run: onSave` this is when the document is analysed. */
  saved(document: OpenDocument): void {
    this.savedVersions.set(document.uri, document.version);
    void this.options.settingsOf(document.uri).then((settings) => {
      if (settings.run !== "onSave") return;
      if (this.options.pull) this.options.refresh();
      else this.schedule(document.uri, 0, "save");
    });
  }

  /** `textDocument/didClose`: forgets the document and clears its diagnostics. */
  closed(uri: string): void {
    const pending = this.timers.get(uri);
    if (pending !== undefined) clearTimeout(pending.timer);
    this.timers.delete(uri);
    this.generations.delete(uri);
    this.published.delete(uri);
    this.savedVersions.delete(uri);
    this.reports.delete(uri);
    this.workspaceEpochs.delete(uri);
    this.options.analyzer.forget(uri);
    if (!this.options.pull) this.options.publish({ uri, diagnostics: [] });
  }

  /** Settings, a project configuration or the runtime blocks changed: every open document is analysed again. */
  reanalyzeAll(): void {
    this.epoch++;
    if (this.options.pull) {
      this.options.refresh();
      return;
    }
    for (const document of this.options.documents.all()) this.schedule(document.uri, 0, "settings");
  }

  /**
   * Files these documents call into changed: they are analysed again (after the usual quiet period,
   * as several changes may come in a row), or pulled again.
   */
  reanalyze(uris: readonly string[]): void {
    if (uris.length === 0) return;
    for (const uri of uris) this.workspaceEpochs.set(uri, (this.workspaceEpochs.get(uri) ?? 0) + 1);
    if (this.options.pull) {
      this.options.refresh();
      return;
    }
    for (const uri of uris) if (this.options.documents.get(uri) !== undefined) this.schedule(uri, this.options.debounceMs, "workspace");
  }

  /** `textDocument/diagnostic`. An unknown document gets an empty report. */
  async pull(uri: string, previousResultId: string | undefined, token: CancellationToken): Promise<DocumentDiagnosticReport> {
    const document = this.options.documents.get(uri);
    if (document === undefined) return { kind: DocumentDiagnosticReportKind.Full, items: [] };
    const version = document.version;
    const epoch = this.epoch;
    const prepared = await this.options.analyzer.prepare(document);
    if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, "The request was cancelled.");
    const current = this.options.documents.get(uri);
    if (current === undefined) return { kind: DocumentDiagnosticReportKind.Full, items: [] };
    if (current.version !== version || this.epoch !== epoch) {
      throw new ResponseError(LSPErrorCodes.ServerCancelled, "The document or the settings changed; ask again.", { retriggerRequest: true });
    }

    const last = this.reports.get(uri);
    // With `run: onSave`, edits since the last save keep the last report until the next save.
    if (last !== undefined && prepared.settings?.run === "onSave" && this.savedVersions.get(uri) !== version) {
      return answer(last, previousResultId);
    }
    const resultId = `${epoch}:${this.workspaceEpochs.get(uri) ?? 0}:${version}`;
    if (last?.resultId === resultId) return answer(last, previousResultId);
    const items = prepared.kind === "ready" ? this.diagnosticsOf(uri, version, current.getText(), prepared) : [];
    const report = { resultId, items };
    this.reports.set(uri, report);
    return { kind: DocumentDiagnosticReportKind.Full, ...report };
  }

  /** Stops every pending analysis (shutdown). */
  dispose(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** The rules' findings in `text` as diagnostics, with the runtime blocks added. */
  private diagnosticsOf(uri: string, version: number, text: string, prepared: Extract<Preparation, { kind: "ready" }>): Diagnostic[] {
    const findings = toDiagnostics(this.options.analyzer.analyze(uri, text, prepared.request), {
      uri,
      version,
      root: prepared.root,
      relatedInformation: this.options.relatedInformation,
    });
    return this.options.decorate(uri, version, text, findings);
  }

  private schedule(uri: string, delayMs: number, trigger: Trigger): void {
    const pending = this.timers.get(uri);
    if (pending !== undefined) clearTimeout(pending.timer);
    // A pending open/save/settings analysis must not turn into a change one, which `run: onSave` skips.
    const effective = pending !== undefined && pending.trigger !== "change" ? pending.trigger : trigger;
    const timer = setTimeout(() => {
      this.timers.delete(uri);
      this.validate(uri, effective).catch((error: unknown) => {
        this.options.logError(`corolint: analysing ${uri} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      });
    }, delayMs);
    this.timers.set(uri, { timer, trigger: effective });
  }

  private async validate(uri: string, trigger: Trigger): Promise<void> {
    const document = this.options.documents.get(uri);
    if (document === undefined) return;
    const generation = (this.generations.get(uri) ?? 0) + 1;
    this.generations.set(uri, generation);
    const version = document.version;

    const prepared = await this.options.analyzer.prepare(document);
    // Superseded while the settings were fetched: a newer analysis (or the change that will start one) wins.
    if (this.generations.get(uri) !== generation) return;
    const current = this.options.documents.get(uri);
    if (current === undefined) return;
    if (current.version !== version) {
      // The change that made this stale scheduled its own analysis; but with `run: onSave` that one
      // will not analyse, so an open, save or settings analysis tries again on the new text.
      if (trigger !== "change") this.schedule(uri, 0, trigger);
      return;
    }
    if (trigger === "change" && prepared.settings?.run === "onSave") return;
    // Another language's document: its diagnostics belong to other servers, even an empty list.
    if (prepared.kind === "skip" && prepared.reason === "unsupported-language") return;

    const diagnostics = prepared.kind === "ready" ? this.diagnosticsOf(uri, version, current.getText(), prepared) : [];
    if ((this.published.get(uri) ?? -1) > version) return;
    this.published.set(uri, version);
    this.options.publish({ uri, version, diagnostics });
  }
}

/** A pull answer from a kept report: "unchanged" when the client already has it. */
function answer(report: PullReport, previousResultId: string | undefined): DocumentDiagnosticReport {
  if (previousResultId === report.resultId) return { kind: DocumentDiagnosticReportKind.Unchanged, resultId: report.resultId };
  return { kind: DocumentDiagnosticReportKind.Full, resultId: report.resultId, items: report.items };
}
