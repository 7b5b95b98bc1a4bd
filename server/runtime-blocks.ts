/**
 * Blocks measured at run time, as diagnostics. The VS Code extension traces a program
 * ("corolint: Trace This File") and sends the lines the tracer blamed (`corolint/runtimeBlocks`);
 * the server keeps them per file and adds them to that file's diagnostics whenever it is analysed:
 *
 * - one `loop-blocked` warning per line: "blocked the event loop for 845 ms at run time in handler";
 * - a static `blocking-call` finding on the same line keeps its own message, quick fixes and
 *   severity, and gets "— confirmed at run time: blocked the loop for 845 ms" added, so whoever reads
 *   that one finding knows it is not hypothetical. Both are shown: the rule's finding carries the
 *   fix, the runtime one the measurement (and it also covers lines no rule knows, like CPU work).
 *
 * A block is tied to the text its line had when the blocks arrived (the file as it ran). When the
 * line no longer holds that text, the block moves to the one other line that does (lines inserted
 * above it), and is dropped when there is none or several: an edited line says nothing any more
 * about what the old one measured. The next trace replaces everything.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, normalize } from "node:path";
import { DiagnosticSeverity, type Diagnostic } from "vscode-languageserver";
import { HOME_URL } from "../cli/package-info";
import { uriToFilePath } from "./file-uris";
import { DIAGNOSTIC_SOURCE, LOOP_BLOCKED_CODE, type DiagnosticData, type RuntimeBlock, type RuntimeBlocksNotification } from "./protocol";

/** Where `loop-blocked` diagnostics link to: the part of the runtime README about the editor. */
export const LOOP_BLOCKED_HELP_URL = `${HOME_URL}/blob/main/runtime/README.md#runtime-in-vs-code`;

/** A block as the server keeps it: its line (0-based) and what that line held when the block arrived. */
interface StoredBlock {
  line: number;
  /** The line's text without surrounding whitespace, read from the file as it ran. */
  text: string;
  function: string;
  count: number;
  maxMs: number;
  totalMs: number;
}

/** The blocks of the last trace, per file. */
export class RuntimeBlocks {
  private readonly byFile = new Map<string, StoredBlock[]>();
  private trace: string | null = null;

  /** The trace the blocks come from; null when there are none. */
  get traceFile(): string | null {
    return this.trace;
  }

  /** How many lines hold a block. */
  get size(): number {
    let lines = 0;
    for (const blocks of this.byFile.values()) lines += blocks.length;
    return lines;
  }

  /**
   * Replaces every block with those of `params`. Each line's text is read now (`readText`, the file
   * on disk by default: the extension saved it before running it). Blocks in files that cannot be
   * read, on lines that do not exist or are blank, are dropped.
   */
  replace(params: RuntimeBlocksNotification.Params, readText: (path: string) => string | null = readFileText): void {
    this.byFile.clear();
    this.trace = params.blocks.length > 0 ? params.traceFile : null;
    const texts = new Map<string, string[] | null>();
    for (const block of params.blocks) {
      if (!isAbsolute(block.file)) continue;
      const key = fileKey(block.file);
      if (!texts.has(key)) {
        const text = readText(block.file);
        texts.set(key, text === null ? null : splitLines(text));
      }
      const text = texts.get(key)?.[block.line - 1]?.trim();
      if (text === undefined || text === "") continue;
      const blocks = this.byFile.get(key) ?? [];
      this.byFile.set(key, blocks);
      // The same line twice (blamed under two function names): one diagnostic, the counts added.
      const same = blocks.find((stored) => stored.line === block.line - 1);
      if (same === undefined) {
        blocks.push({ line: block.line - 1, text, function: block.function, count: block.count, maxMs: block.maxMs, totalMs: block.totalMs });
      } else {
        if (block.maxMs > same.maxMs) same.function = block.function;
        same.count += block.count;
        same.maxMs = Math.max(same.maxMs, block.maxMs);
        same.totalMs += block.totalMs;
      }
    }
  }

  /** Forgets every block. */
  clear(): void {
    this.byFile.clear();
    this.trace = null;
  }

  /**
   * A document's diagnostics with its runtime blocks added: `diagnostics` are the static ones
   * computed for `text` at `version`; the result holds them (a `blocking-call` on a blocked line
   * with the confirmation in its message) followed by one `loop-blocked` per block.
   */
  decorate(uri: string, version: number, text: string, diagnostics: Diagnostic[]): Diagnostic[] {
    const path = uriToFilePath(uri);
    const blocks = path === null ? undefined : this.byFile.get(fileKey(path));
    if (blocks === undefined || blocks.length === 0) return diagnostics;
    const lines = splitLines(text);
    const placed = new Map<number, StoredBlock>();
    for (const block of blocks) {
      const line = currentLine(block, lines);
      if (line !== null) placed.set(line, block);
    }
    if (placed.size === 0) return diagnostics;

    const confirmed = diagnostics.map((diagnostic) => {
      const block = placed.get(diagnostic.range.start.line);
      if (block === undefined || diagnostic.code !== "blocking-call") return diagnostic;
      return { ...diagnostic, message: `${diagnostic.message} — confirmed at run time: ${confirmation(block)}` };
    });
    const data: DiagnosticData = { version, fixes: [] };
    const measured = [...placed.entries()]
      .sort(([a], [b]) => a - b)
      .map(([line, block]): Diagnostic => {
        const lineText = lines[line]!;
        const start = lineText.length - lineText.trimStart().length;
        return {
          range: { start: { line, character: start }, end: { line, character: lineText.trimEnd().length } },
          severity: DiagnosticSeverity.Warning,
          source: DIAGNOSTIC_SOURCE,
          code: LOOP_BLOCKED_CODE,
          codeDescription: { href: LOOP_BLOCKED_HELP_URL },
          message: loopBlockedMessage(block),
          data,
        };
      });
    return [...confirmed, ...measured];
  }
}

/** "blocked the event loop for 845 ms at run time in handler" (with the count and total when more than once). */
export function loopBlockedMessage(block: Pick<RuntimeBlock, "function" | "count" | "maxMs" | "totalMs">): string {
  const where = block.function !== "" ? ` in ${block.function}` : "";
  if (block.count <= 1) return `blocked the event loop for ${formatMs(block.maxMs)} at run time${where}`;
  return `blocked the event loop for up to ${formatMs(block.maxMs)} at run time (${block.count} times, ${formatMs(block.totalMs)} in all)${where}`;
}

/** "blocked the loop for 845 ms" (or "for up to 845 ms, 3 times"): what a `blocking-call` message gets. */
function confirmation(block: StoredBlock): string {
  return block.count <= 1 ? `blocked the loop for ${formatMs(block.maxMs)}` : `blocked the loop for up to ${formatMs(block.maxMs)}, ${block.count} times`;
}

function formatMs(ms: number): string {
  return `${ms >= 10 ? Math.round(ms) : Math.round(ms * 10) / 10} ms`;
}

/** The block's line in the current text: where it was if the text is still there, else the one other line with that text. */
function currentLine(block: StoredBlock, lines: string[]): number | null {
  if (lines[block.line]?.trim() === block.text) return block.line;
  let found: number | null = null;
  for (let index = 0; index < lines.length; index++) {
    if (lines[index]!.trim() !== block.text) continue;
    if (found !== null) return null; // several candidates: no way to tell which one ran
    found = index;
  }
  return found;
}

/** Lines as LSP counts them: `\r\n`, `\n` and `\r` all end one. */
function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** The map key of a file: its normalized path (case-folded on Windows, whose file names ignore case). */
function fileKey(path: string): string {
  const normalized = normalize(path);
  return process.platform === "win32" ? normalized.toLowerCase() : normalized;
}

function readFileText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/**
 * The notification's parameters, checked: null when they are not an object with a `blocks` array;
 * malformed blocks are left out one by one (a notification has no answer to report them in).
 */
export function readRuntimeBlocksParams(raw: unknown): RuntimeBlocksNotification.Params | null {
  if (typeof raw !== "object" || raw === null) return null;
  const { traceFile, blocks } = raw as { traceFile?: unknown; blocks?: unknown };
  if (!Array.isArray(blocks)) return null;
  const valid = blocks.filter((block): block is RuntimeBlock => {
    if (typeof block !== "object" || block === null) return false;
    const b = block as Record<string, unknown>;
    return (
      typeof b["file"] === "string" &&
      Number.isInteger(b["line"]) &&
      (b["line"] as number) >= 1 &&
      typeof b["function"] === "string" &&
      Number.isInteger(b["count"]) &&
      (b["count"] as number) >= 1 &&
      isMs(b["maxMs"]) &&
      isMs(b["totalMs"])
    );
  });
  return { traceFile: typeof traceFile === "string" ? traceFile : null, blocks: valid };
}

function isMs(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}
