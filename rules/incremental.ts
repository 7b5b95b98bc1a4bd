import { Edit, type Point, type Tree } from "web-tree-sitter";
import { parsePython } from "./python/parser";

/** The zero-based row and column (UTF-16 code units) of an offset in `text`. */
function pointAt(text: string, offset: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    row += 1;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/**
 * One contiguous change between two texts: `old[start, oldEnd)` became `text[start, newEnd)` and
 * everything around it is equal. Positions are zero-based rows and UTF-16 columns.
 */
export interface TextChange {
  start: number;
  oldEnd: number;
  newEnd: number;
  startPosition: Point;
  oldEndPosition: Point;
  newEndPosition: Point;
}

const noChange: TextChange = {
  start: 0,
  oldEnd: 0,
  newEnd: 0,
  startPosition: { row: 0, column: 0 },
  oldEndPosition: { row: 0, column: 0 },
  newEndPosition: { row: 0, column: 0 },
};

/**
 * Keeps the syntax tree of one open document between analyses, so an edit re-parses incrementally:
 * tree-sitter reuses the subtrees the edit did not touch. The edit is found by comparing the old and
 * new text (common prefix and suffix), so callers need not translate editor change events.
 * `dispose()` frees the tree (it lives in WASM memory) when the document closes.
 */
export class IncrementalParser {
  private tree: Tree | null = null;
  private text = "";
  /** How the text of the last `parse` differs from the one before; null after a first parse. */
  lastEdit: TextChange | null = null;

  /** The tree of `text`, owned by this parser: do not delete it, and do not use it after the next call. */
  parse(text: string): Tree {
    if (this.tree === null) {
      this.tree = parsePython(text);
      this.text = text;
      this.lastEdit = null;
      return this.tree;
    }
    if (text === this.text) {
      this.lastEdit = noChange;
      return this.tree;
    }
    const old = this.text;
    const shorter = Math.min(old.length, text.length);
    let prefix = 0;
    while (prefix < shorter && old.charCodeAt(prefix) === text.charCodeAt(prefix)) prefix += 1;
    let suffix = 0;
    while (
      suffix < shorter - prefix &&
      old.charCodeAt(old.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)
    ) {
      suffix += 1;
    }
    const change: TextChange = {
      start: prefix,
      oldEnd: old.length - suffix,
      newEnd: text.length - suffix,
      startPosition: pointAt(old, prefix),
      oldEndPosition: pointAt(old, old.length - suffix),
      newEndPosition: pointAt(text, text.length - suffix),
    };
    this.lastEdit = change;
    this.tree.edit(
      new Edit({
        startIndex: change.start,
        oldEndIndex: change.oldEnd,
        newEndIndex: change.newEnd,
        startPosition: change.startPosition,
        oldEndPosition: change.oldEndPosition,
        newEndPosition: change.newEndPosition,
      }),
    );
    const next = parsePython(text, this.tree);
    this.tree.delete();
    this.tree = next;
    this.text = text;
    return next;
  }

  /** Frees the tree. The parser can be used again afterwards (it starts with a full parse). */
  dispose(): void {
    this.tree?.delete();
    this.tree = null;
    this.text = "";
    this.lastEdit = null;
  }
}
