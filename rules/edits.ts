import type { Fix, Position, TextEdit } from "./types";

/** Offsets where each line of `text` starts, for turning line/column positions into offsets. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** The offset of a zero-based line/column (UTF-16) position, clamped to the text. */
export function offsetAt(starts: number[], text: string, position: Position): number {
  if (position.line >= starts.length) return text.length;
  return Math.min(starts[position.line] + position.column, position.line + 1 < starts.length ? starts[position.line + 1] : text.length);
}

/** Whether most line breaks of `text` are `\r\n`. */
export function usesCrlf(text: string): boolean {
  const all = (text.match(/\n/g) ?? []).length;
  const crlf = (text.match(/\r\n/g) ?? []).length;
  return crlf > 0 && crlf * 2 >= all;
}

/** The result of applying fixes: the new text and which fixes went in. */
export interface AppliedFixes {
  text: string;
  applied: Fix[];
  /** Fixes left out because an earlier fix already changed the same text. */
  skipped: Fix[];
}

interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

const overlaps = (a: OffsetEdit, b: OffsetEdit): boolean =>
  (a.start < b.end && b.start < a.end) || (a.start === b.start && a.end === a.start && b.end === b.start);
const same = (a: OffsetEdit, b: OffsetEdit): boolean => a.start === b.start && a.end === b.end && a.newText === b.newText;

/**
 * Applies fixes in order; a fix whose edits overlap an earlier fix's is skipped whole, so fixes never
 * corrupt each other. Identical edits (two fixes adding the same import) are applied once.
 */
export function applyFixes(text: string, fixes: readonly Fix[]): AppliedFixes {
  const starts = lineStarts(text);
  // Rules write "\n"; a file with Windows line endings keeps them.
  const eol = usesCrlf(text) ? "\r\n" : "\n";
  const accepted: OffsetEdit[] = [];
  const applied: Fix[] = [];
  const skipped: Fix[] = [];
  for (const fix of fixes) {
    const edits = fix.edits.map((edit: TextEdit) => ({
      start: offsetAt(starts, text, edit.range.start),
      end: offsetAt(starts, text, edit.range.end),
      newText: eol === "\n" ? edit.newText : edit.newText.replace(/\r?\n/g, eol),
    }));
    const fresh = edits.filter((edit) => !accepted.some((other) => same(edit, other)));
    if (fresh.some((edit) => accepted.some((other) => overlaps(edit, other)))) {
      skipped.push(fix);
      continue;
    }
    accepted.push(...fresh);
    applied.push(fix);
  }
  // From the end backwards, so earlier offsets stay valid; at one offset the wider edit goes first,
  // then insertions land in front of it (`await ` before a replaced callee).
  accepted.sort((a, b) => b.start - a.start || b.end - a.end);
  let result = text;
  for (const edit of accepted) result = result.slice(0, edit.start) + edit.newText + result.slice(edit.end);
  return { text: result, applied, skipped };
}
