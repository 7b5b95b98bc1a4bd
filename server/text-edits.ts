/**
 * Edits in the shapes the LSP wants: versioned workspace edits (so a client refuses to apply them to a
 * document that changed meanwhile), and the edits that turn a document into a new text touching only
 * the lines that differ (a whole-document replacement would lose the user's cursor, selections,
 * folds and undo granularity).
 */
import { TextDocumentEdit, type TextEdit, type WorkspaceEdit } from "vscode-languageserver";

/** A document as edits need it: its identity and offset → position conversion. */
export interface EditableDocument {
  readonly uri: string;
  readonly version: number;
  getText(): string;
  positionAt(offset: number): { line: number; character: number };
}

/**
 * A workspace edit of one document. With `documentChanges` (when the client supports them) the edit
 * names the document version it was computed for, and the client refuses it for any other version.
 */
export function documentEdit(document: EditableDocument, edits: TextEdit[], documentChanges: boolean): WorkspaceEdit {
  if (documentChanges) return { documentChanges: [TextDocumentEdit.create({ uri: document.uri, version: document.version }, edits)] };
  return { changes: { [document.uri]: edits } };
}

/** The single edit that replaces only the part of the document that differs from `newText`; null when equal. */
export function minimalEdit(document: EditableDocument, newText: string): TextEdit | null {
  const oldText = document.getText();
  if (oldText === newText) return null;
  const shorter = Math.min(oldText.length, newText.length);
  let start = 0;
  while (start < shorter && oldText.charCodeAt(start) === newText.charCodeAt(start)) start++;
  let oldEnd = oldText.length;
  let newEnd = newText.length;
  while (oldEnd > start && newEnd > start && oldText.charCodeAt(oldEnd - 1) === newText.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  // Never cut a surrogate pair or a CRLF in two: clients handle positions inside them differently.
  while (start > 0 && splitsPair(oldText, start)) start--;
  while (oldEnd < oldText.length && splitsPair(oldText, oldEnd)) {
    oldEnd++;
    newEnd++;
  }
  return {
    range: { start: document.positionAt(start), end: document.positionAt(oldEnd) },
    newText: newText.slice(start, newEnd),
  };
}

/** Whether offset `at` falls between the two halves of a surrogate pair or of `\r\n`. */
function splitsPair(text: string, at: number): boolean {
  const before = text.charCodeAt(at - 1);
  const after = text.charCodeAt(at);
  return (before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff) || (before === 13 && after === 10);
}

/** Beyond this many differing lines a line diff costs more than it is worth: one edit spans them. */
const MAX_DIFF_LINES = 2000;

/**
 * The edits that turn the document into `newText`, one per run of changed lines (Myers' diff over
 * lines); empty when the texts are equal. Falls back to `minimalEdit` for very different texts.
 */
export function diffEdits(document: EditableDocument, newText: string): TextEdit[] {
  const oldText = document.getText();
  if (oldText === newText) return [];
  const oldLines = splitLines(oldText);
  const newLines = splitLines(newText);
  const hunks = lineHunks(oldLines, newLines, MAX_DIFF_LINES);
  if (hunks === null) {
    const edit = minimalEdit(document, newText);
    return edit === null ? [] : [edit];
  }
  const oldOffsets = lineOffsets(oldLines);
  return hunks.map((hunk) => ({
    range: { start: document.positionAt(oldOffsets[hunk.oldStart]!), end: document.positionAt(oldOffsets[hunk.oldEnd]!) },
    newText: newLines.slice(hunk.newStart, hunk.newEnd).join(""),
  }));
}

/** Lines with their terminators, so that joining them gives the text back. */
function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines[lines.length - 1] === "" ? lines.slice(0, -1) : lines;
}

/** The offset where each line starts, plus the text's length at the end. */
function lineOffsets(lines: readonly string[]): number[] {
  const offsets = [0];
  for (const line of lines) offsets.push(offsets[offsets.length - 1]! + line.length);
  return offsets;
}

/** Old lines `[oldStart, oldEnd)` become new lines `[newStart, newEnd)`. */
interface Hunk {
  oldStart: number;
  oldEnd: number;
  newStart: number;
  newEnd: number;
}

/**
 * The changed regions between two line lists: Myers' O(ND) greedy diff, keeping each step's
 * frontier (only its live diagonals, so memory is O(D²)) to walk back the path. Null when more than
 * `maxDifferences` lines differ.
 */
function lineHunks(a: readonly string[], b: readonly string[], maxDifferences: number): Hunk[] | null {
  // Common head and tail first: fixes change a few lines of a long file.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  const same = (x: number, y: number): boolean => a[head + x] === b[head + y];

  // frontier[k] = the furthest x reached on diagonal k = x - y; snapshots[d] is the frontier before step d.
  const snapshots: { offset: number; xs: Int32Array }[] = [];
  let frontier = new Map<number, number>([[1, 0]]);
  let steps = -1;
  for (let d = 0; d <= Math.min(n + m, maxDifferences); d++) {
    const snapshot = new Int32Array(2 * d + 3);
    for (let k = -d - 1; k <= d + 1; k++) snapshot[k + d + 1] = frontier.get(k) ?? -1;
    snapshots.push({ offset: d + 1, xs: snapshot });
    const next = new Map(frontier);
    let done = false;
    for (let k = -d; k <= d; k += 2) {
      // Step down (an inserted line) from diagonal k+1, or right (a deleted line) from k-1, whichever reached further.
      let x = k === -d || (k !== d && (frontier.get(k - 1) ?? -1) < (frontier.get(k + 1) ?? -1)) ? (frontier.get(k + 1) ?? 0) : (frontier.get(k - 1) ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && same(x, y)) {
        x++;
        y++;
      }
      next.set(k, x);
      if (x >= n && y >= m) {
        done = true;
        break;
      }
    }
    frontier = next;
    if (done) {
      steps = d;
      break;
    }
  }
  if (steps < 0) return null;

  // Walk back from the end: each step is one inserted or deleted line, between runs of equal lines.
  const changedOld = new Set<number>();
  const changedNew = new Set<number>();
  let x = n;
  let y = m;
  for (let d = steps; d > 0; d--) {
    const { offset, xs } = snapshots[d]!;
    const at = (k: number): number => xs[k + offset]!;
    const k = x - y;
    const previousK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const previousX = at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      x--;
      y--;
    }
    if (x === previousX) changedNew.add(previousY);
    else changedOld.add(previousX);
    x = previousX;
    y = previousY;
  }

  // Group changed lines into hunks by walking both lists in step over the equal lines.
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (!changedOld.has(i) && !changedNew.has(j) && i < n && j < m) {
      i++;
      j++;
      continue;
    }
    const hunk: Hunk = { oldStart: head + i, oldEnd: head + i, newStart: head + j, newEnd: head + j };
    while (changedOld.has(i) || changedNew.has(j)) {
      if (changedOld.has(i)) i++;
      else j++;
    }
    hunk.oldEnd = head + i;
    hunk.newEnd = head + j;
    // Cannot happen for a path the walk above produced; refuse rather than loop if it ever does.
    if (hunk.oldEnd === hunk.oldStart && hunk.newEnd === hunk.newStart) return null;
    hunks.push(hunk);
  }
  return hunks;
}
