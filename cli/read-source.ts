/**
 * Reads a source file for analysis, or says why it should be skipped. A file that cannot be
 * analysed is never an error of the run: the reason goes into the report and the run goes on.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from "node:fs";

/** Files above this size are skipped: they are generated or data, and parsing them would stall a run. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** How much of the start of a file is searched for a NUL byte to call it binary (what git does). */
const BINARY_SNIFF_BYTES = 8 * 1024;

/** The text of a file, or the reason it was skipped. */
export type ReadResult = { ok: true; text: string } | { ok: false; reason: string };

/** Reads `absPath` as UTF-8 text with any byte-order mark removed. Never throws for I/O problems. */
export function readSourceFile(absPath: string): ReadResult {
  let fd: number;
  try {
    // O_NONBLOCK keeps a FIFO named like a Python file from hanging the run at open(); fstat then refuses it.
    fd = openSync(absPath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { ok: false, reason: openFailureReason(absPath, error) };
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) return { ok: false, reason: "unreadable: is a directory" };
    if (!stats.isFile()) return { ok: false, reason: "not a regular file" };
    if (stats.size > MAX_FILE_BYTES) {
      return { ok: false, reason: `too large (${formatMegabytes(stats.size)}; the limit is 10 MB)` };
    }
    const bytes = readAll(fd, stats.size);
    const sniff = bytes.subarray(0, BINARY_SNIFF_BYTES);
    if (sniff.includes(0)) return { ok: false, reason: "binary file (contains NUL bytes)" };
    let text: string;
    try {
      // fatal: a lossy decode would shift columns and invent characters; better to say so and skip.
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return { ok: false, reason: "not valid UTF-8" };
    }
    // TextDecoder already drops a leading BOM (ignoreBOM defaults to false); this guards that contract.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { ok: true, text };
  } catch (error) {
    return { ok: false, reason: `unreadable: ${errorText(error)}` };
  } finally {
    closeSync(fd);
  }
}

/** Reads until end of file; the size from fstat is only a hint (the file may change while we read). */
function readAll(fd: number, sizeHint: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let chunk = Buffer.allocUnsafe(Math.max(sizeHint, 64 * 1024));
  for (;;) {
    const read = readSync(fd, chunk, 0, chunk.length, null);
    if (read === 0) break;
    chunks.push(chunk.subarray(0, read));
    total += read;
    // A file that grew past the limit after fstat is still refused, without reading it all.
    if (total > MAX_FILE_BYTES) throw new Error("file grew beyond 10 MB while being read");
    chunk = Buffer.allocUnsafe(64 * 1024);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

function openFailureReason(absPath: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return isSymlink(absPath) ? "unreadable: broken symbolic link" : "unreadable: file not found";
    case "EACCES":
    case "EPERM":
      return "unreadable: permission denied";
    case "EISDIR":
      return "unreadable: is a directory";
    case "ELOOP":
      return "unreadable: symbolic link loop";
    default:
      return `unreadable: ${errorText(error)}`;
  }
}

/** Whether `absPath` is itself a symbolic link (it may point nowhere). */
export function isSymlink(absPath: string): boolean {
  try {
    return lstatSync(absPath).isSymbolicLink();
  } catch {
    return false;
  }
}

function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code) return code;
  return error instanceof Error ? error.message : String(error);
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
