/**
 * The language server's workspace index for `blocking-call-transitive` (issue #7): one summary per
 * file of the workspace folders, kept current as files change, so that a call from async code can be
 * followed into sync helpers of other files.
 *
 * Where summaries come from:
 * - at start (and for added workspace folders), the folders' Python and TS/JS files, read from disk
 *   in the background, one file per turn of the event loop so that requests are answered meanwhile;
 *   bounded (`MAX_INDEXED_FILES`, `MAX_INDEXED_BYTES`), skipping what `corolint check` never walks
 *   into (.git, node_modules, virtual environments, .gitignore'd paths) and what the project's
 *   `exclude` leaves out;
 * - open documents: their text in the editor, at every analysis (the editor's text wins over disk);
 * - files changed on disk (`workspace/didChangeWatchedFiles`) that are not open; a closed document
 *   goes back to its text on disk.
 * In an untrusted workspace source files are still read (parsing runs none of their code), but no
 * configuration file is, so `exclude` does not apply there.
 *
 * When a summary changes, the callers of the file (`dependentsOf`) are reported to the session, which
 * analyses again only the open documents among them.
 */
import { statSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import { discoverFiles } from "../cli/discover-files";
import { readSourceFile } from "../cli/read-source";
import { languageForPath, TypeScriptWorkspace, type AnalyzeRequest } from "../rules/index";
import type { SummaryChange } from "../rules/incremental-analysis";
import { createWorkspaceIndex } from "../rules/workspace/index";
import { toSlashes } from "../rules/workspace/module-keys";
import { summarizeFile } from "../rules/workspace/summarize-file";
import type { FileSummary, WorkspaceIndex } from "../rules/workspace/summary";
import type { ProjectConfigs } from "./project-config";

/** Files indexed from disk at most, over all workspace folders. */
export const MAX_INDEXED_FILES = 5000;
/** Larger files are not indexed from disk (generated code, vendored bundles); an open one still is. */
export const MAX_INDEXED_BYTES = 1024 * 1024;

/** What the indexer tells the server. */
export interface IndexerEvents {
  /** Summaries changed: these files (absolute, `/`-separated) may have new findings. */
  affected(files: Set<string>): void;
  /** The background indexing of the workspace folders finished. */
  indexed(files: number): void;
  log(message: string): void;
}

export class WorkspaceIndexer {
  readonly index: WorkspaceIndex = createWorkspaceIndex();
  /** Files whose summary comes from an open document, not from disk. */
  private readonly open = new Set<string>();
  /** The summary last indexed for each open document, as JSON, when it was compared as text. */
  private readonly openTexts = new Map<string, string>();
  /** Bumped when the folders change: a background run of an older generation stops. */
  private generation = 0;
  /** The files the index holds a summary of (it does not list them itself). */
  private readonly tracked = new Set<string>();

  /**
   * Where tsconfig `paths` lead, for TS/JS files read from disk (no file is added to a project here;
   * open documents are summarized in the analysis's projects). Warnings are the analysis's to give.
   */
  private readonly typescriptPaths: TypeScriptWorkspace;

  constructor(
    private readonly projects: ProjectConfigs,
    private readonly events: IndexerEvents,
  ) {
    // An untrusted workspace's tsconfig.json is not read (as for the analysis).
    this.typescriptPaths = new TypeScriptWorkspace({ readConfigFiles: projects.trusted });
  }

  /** Indexes the folders' files in the background (replacing an indexing still running). */
  indexFolders(folders: readonly string[]): void {
    const generation = ++this.generation;
    void this.indexInBackground(folders, generation).catch((error: unknown) => {
      this.events.log(`corolint: indexing the workspace failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    });
  }

  /** Forgets the files under removed workspace folders (unless open). */
  removeFolders(folders: readonly string[]): void {
    this.generation++;
    const affected = new Set<string>();
    for (const folder of folders.map(toSlashes)) {
      for (const file of this.indexedFiles()) {
        if (!this.open.has(file) && isInside(folder, file)) for (const dependent of this.remove(file)) affected.add(dependent);
      }
    }
    if (affected.size > 0) this.events.affected(affected);
  }

  /**
   * An open TS/JS document's text replaces the file's summary (Python documents give theirs through
   * `updateOpenSummary`, made by their incremental analysis).
   */
  updateOpen(request: AnalyzeRequest, typescript?: TypeScriptWorkspace): void {
    if (request.absolutePath === undefined) return;
    const summary = summarizeFile(request, undefined, typescript);
    if (summary !== null) this.updateOpenSummary(summary);
  }

  /**
   * An open document's summary replaces the file's. On any change the callers are reported as
   * affected: their hops point into the file, so even a summary that only moved changes them.
   */
  updateOpenSummary(summary: FileSummary, change: SummaryChange = "unknown"): void {
    const file = summary.file;
    this.open.add(file);
    const indexed = this.index.summaryOf(file) !== undefined;
    // The analysis knows how it changed after an edit (most keystrokes: not at all); after a
    // whole-file analysis it is compared as text with the one indexed.
    if (change === "same" && indexed) return;
    if (change === "unknown") {
      const text = JSON.stringify(summary);
      if (this.openTexts.get(file) === text && indexed) return;
      this.openTexts.set(file, text);
    } else {
      this.openTexts.delete(file);
    }
    const affected = this.replace(summary);
    if (affected.size > 0) this.events.affected(affected);
  }

  /** A document was closed: its file is summarized from disk again (the editor's text may not have been saved). */
  closed(filePath: string): void {
    const file = toSlashes(filePath);
    this.openTexts.delete(file);
    if (!this.open.delete(file)) return;
    this.diskChanged([filePath]);
  }

  /** Files created, changed or deleted on disk: those not open are summarized again (or forgotten). */
  diskChanged(filePaths: readonly string[]): void {
    const affected = new Set<string>();
    for (const filePath of filePaths) {
      const file = toSlashes(filePath);
      if (this.open.has(file) || languageForPath(filePath) === null) continue;
      for (const dependent of this.indexDiskFile(filePath)) affected.add(dependent);
    }
    if (affected.size > 0) this.events.affected(affected);
  }

  private async indexInBackground(folders: readonly string[], generation: number): Promise<void> {
    // The walk is synchronous but cheap next to parsing (names only), and bounded.
    const { files } = discoverFiles([...folders], { excludeBase: null, exclude: [], maxFiles: MAX_INDEXED_FILES });
    let indexed = 0;
    for (const filePath of files) {
      // Yield between files: LSP messages (edits, requests) are read and answered meanwhile.
      await new Promise((resolve) => setImmediate(resolve));
      if (generation !== this.generation) return;
      if (this.open.has(toSlashes(filePath))) continue;
      this.indexDiskFile(filePath);
      indexed++;
    }
    this.events.indexed(indexed);
  }

  /** Summarizes one file from disk (or forgets it: gone, too large, excluded); returns the files affected. */
  private indexDiskFile(filePath: string): Set<string> {
    const file = toSlashes(filePath);
    if (!isIndexable(filePath)) return this.remove(file);
    const project = this.projects.forFile(filePath);
    if (project.excluded) return this.remove(file);
    const read = readSourceFile(filePath);
    if (!read.ok) return this.remove(file);
    let summary: FileSummary | null;
    try {
      const request = { path: project.analysisPath, source: read.text, options: project.config.options, absolutePath: filePath };
      summary = summarizeFile(request, undefined, undefined, this.typescriptPaths);
    } catch (error) {
      this.events.log(`corolint: could not index ${filePath}: ${error instanceof Error ? error.message : String(error)}`);
      return this.remove(file);
    }
    if (summary === null) return this.remove(file);
    const previous = this.index.summaryOf(file);
    if (previous !== undefined && JSON.stringify(previous) === JSON.stringify(summary)) return new Set();
    return this.replace(summary);
  }

  /** Updates a summary; the files affected are the callers before and after (a caller may have lost its target). */
  private replace(summary: FileSummary): Set<string> {
    const before = this.index.summaryOf(summary.file) === undefined ? new Set<string>() : this.index.dependentsOf(summary.file);
    this.index.update(summary);
    this.tracked.add(summary.file);
    return new Set([...before, ...this.index.dependentsOf(summary.file)]);
  }

  private remove(file: string): Set<string> {
    if (this.index.summaryOf(file) === undefined) return new Set();
    const affected = this.index.dependentsOf(file);
    this.index.remove(file);
    this.tracked.delete(file);
    return affected;
  }

  private indexedFiles(): string[] {
    return [...this.tracked];
  }
}

function isIndexable(filePath: string): boolean {
  try {
    const stats = statSync(filePath);
    return stats.isFile() && stats.size <= MAX_INDEXED_BYTES;
  } catch {
    return false;
  }
}

function isInside(folder: string, file: string): boolean {
  const rel = relative(folder, file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}
