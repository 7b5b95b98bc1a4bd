/**
 * "corolint: Trace This File" and "corolint: Clear Runtime Results", written against `EditorHost`
 * (no `vscode` here): save the active file, run it under `corolint trace` in a terminal, then show the
 * trace in the schedule panel and hand its blocked lines to the language server, which reports them
 * as `loop-blocked` diagnostics.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { uriToFilePath } from "../server/file-uris";
import type { EditorHost } from "./host";
import type { ServerController } from "./server-controller";
import { readTraceResults } from "./trace-results";
import { describeCommand, runtimeForLanguage, traceCommand, type TraceEnd } from "./trace-runner";

/** Where the extension's files are. */
export interface TracePaths {
  /** `<extension>/dist/cli.cjs`. */
  cliPath: string;
  /** A folder of the extension's own (workspace storage, else global storage): traces go in `traces/` there. */
  storageDir: string;
}

/** Traces kept in the storage folder; older ones are deleted when a new one is written. */
const KEPT_TRACES = 10;

/** Runs traces and clears their results. */
export class TraceController {
  constructor(
    private readonly host: EditorHost,
    private readonly server: ServerController,
    private readonly paths: TracePaths,
  ) {}

  /** "corolint: Trace This File". Never rejects: what goes wrong is shown to the user. */
  async traceActiveFile(): Promise<void> {
    try {
      await this.trace();
    } catch (error) {
      this.host.logError("Trace This File failed", error);
      this.host.showError("corolint: Trace This File failed; see the corolint output for details.");
    }
  }

  /** "corolint: Clear Runtime Results": the `loop-blocked` diagnostics go away. */
  async clearRuntimeResults(): Promise<void> {
    await this.server.setRuntimeBlocks({ traceFile: null, blocks: [] });
  }

  private async trace(): Promise<void> {
    // The command runs the workspace's code with the workspace's interpreter setting: never before
    // the user has said they trust it.
    if (!this.host.isWorkspaceTrusted()) {
      this.host.showError("corolint: Trace This File runs the file's program, which corolint does only in a trusted workspace. Trust the workspace first.");
      return;
    }
    const document = this.host.activeDocument();
    const runtime = document === undefined ? null : runtimeForLanguage(document.languageId);
    if (document === undefined || runtime === null) {
      this.host.showInformation("corolint: Trace This File runs the active Python, JavaScript or TypeScript file; open one first.");
      return;
    }
    const file = uriToFilePath(document.uri);
    if (file === null) {
      this.host.showInformation("corolint: save the file to disk first; Trace This File runs it from there.");
      return;
    }
    if (!(await this.host.saveDocument(document.uri))) {
      this.host.showError(`corolint: ${basename(file)} could not be saved, so it was not traced.`);
      return;
    }

    const settings = await this.host.traceSettings(document.uri);
    const cwd = this.host.workspaceFolderOf(document.uri) ?? dirname(file);
    const traces = join(this.paths.storageDir, "traces");
    mkdirSync(traces, { recursive: true });
    removeOldTraces(traces, KEPT_TRACES - 1);
    const output = join(traces, `trace-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    const command = traceCommand({
      nodeExecutable: process.execPath,
      cliPath: this.paths.cliPath,
      runtime,
      pythonPath: settings.pythonPath,
      mode: settings.mode,
      thresholdMs: settings.thresholdMs,
      output,
      file,
      cwd,
      env: process.env,
    });
    this.host.logInfo(`Trace This File: ${describeCommand(command)} (in ${cwd})`);
    const end = await this.host.runInTerminal(`corolint trace: ${basename(file)}`, command);
    this.host.logInfo(`Trace This File: ${describeEnd(end)}`);

    let results;
    try {
      results = readTraceResults(output, cwd);
    } catch (error) {
      this.host.logError(`No trace to show at ${output}`, error);
      this.host.showError(`corolint: the run of ${basename(file)} wrote no trace (${describeEnd(end)}); the terminal says why.`);
      return;
    }
    this.host.showSchedule({ model: results.model, title: basename(file), tracePath: output, cwd });
    await this.server.setRuntimeBlocks({ traceFile: output, blocks: results.blocks });
  }
}

/** "exit code 0", "killed by SIGTERM", "could not start: ...". */
function describeEnd(end: TraceEnd): string {
  if ("error" in end) return `could not start: ${end.error}`;
  return end.signal !== null ? `ended by ${end.signal}` : `exit code ${end.code ?? "?"}`;
}

/** Deletes all but the newest `keep` traces in the folder (their names sort by time). */
function removeOldTraces(folder: string, keep: number): void {
  const traces = readdirSync(folder)
    .filter((name) => /^trace-.*\.json$/.test(name))
    .sort();
  for (const name of traces.slice(0, Math.max(traces.length - keep, 0))) rmSync(join(folder, name), { force: true });
}
