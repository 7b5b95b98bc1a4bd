/**
 * What "Trace This File" takes from a trace: the viewer's model (for the schedule panel) and the
 * blocked lines (for the `loop-blocked` diagnostics). Pure file reading, no `vscode`.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { buildViewModel, type ViewModel } from "../cli/view-command";
import type { RuntimeBlock } from "../server/protocol";

/** A trace as the panel and the diagnostics need it. */
export interface TraceResults {
  model: ViewModel;
  blocks: RuntimeBlock[];
}

/**
 * Reads the trace `corolint trace` wrote. `cwd` is the run's working folder: Python 3.8 records file
 * names as typed, relative to it. Throws when the file is missing or is not a trace.
 */
export function readTraceResults(tracePath: string, cwd: string): TraceResults {
  const model = buildViewModel(JSON.parse(readFileSync(tracePath, "utf8")));
  return { model, blocks: runtimeBlocksOf(model, cwd) };
}

/**
 * The blocked spans of a trace summed per source line, longest total first. Spans without a file
 * on disk (`<unknown>`, `(native)`, `<frozen ...>`) are left out: there is no line to show them at.
 */
export function runtimeBlocksOf(model: ViewModel, cwd: string): RuntimeBlock[] {
  const byLine = new Map<string, RuntimeBlock>();
  const exists = new Map<string, boolean>();
  for (const span of model.spans) {
    if (!span.blocked || typeof span.file !== "string" || span.file === "") continue;
    if (typeof span.line !== "number" || !Number.isInteger(span.line) || span.line < 1) continue;
    const file = isAbsolute(span.file) ? span.file : resolve(cwd, span.file);
    if (!exists.has(file)) exists.set(file, existsSync(file));
    if (!exists.get(file)) continue;
    const ms = span.dur / 1000;
    const key = `${file}\u0000${span.line}`;
    const block = byLine.get(key);
    if (block === undefined) {
      byLine.set(key, { file, line: span.line, function: span.function ?? "", count: 1, maxMs: ms, totalMs: ms });
    } else {
      block.count += 1;
      block.totalMs += ms;
      if (ms > block.maxMs) {
        block.maxMs = ms;
        block.function = span.function ?? block.function;
      }
    }
  }
  return [...byLine.values()].sort((a, b) => b.totalMs - a.totalMs);
}

/** The source files a trace's spans name, absolute: the only ones the panel opens. */
export function traceSourceFiles(model: ViewModel, cwd: string): Set<string> {
  const files = new Set<string>();
  for (const span of model.spans) {
    if (typeof span.file === "string" && span.file !== "") files.add(isAbsolute(span.file) ? span.file : resolve(cwd, span.file));
  }
  for (const blocker of model.topBlockers) {
    if (blocker.file !== null && blocker.file !== "") files.add(isAbsolute(blocker.file) ? blocker.file : resolve(cwd, blocker.file));
  }
  return files;
}
