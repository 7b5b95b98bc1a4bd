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
 * Keeps the syntax tree of one open document between analyses, so an edit re-parses incrementally:
 * tree-sitter reuses the subtrees the edit did not touch. The edit is found by comparing the old and
 * new text (common prefix and suffix), so callers need not translate editor change events.
 * `dispose()` frees the tree (it lives in WASM memory) when the document closes.
 */
export class IncrementalParser {
  private tree: Tree | null = null;
  private text = "";

  /** The tree of `text`, owned by this parser: do not delete it, and do not use it after the next call. */
  parse(text: string): Tree {
    if (this.tree === null) {
      this.tree = parsePython(text);
      this.text = text;
      return this.tree;
    }
    if (text === this.text) return this.tree;
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
    const oldEnd = old.length - suffix;
    const newEnd = text.length - suffix;
    this.tree.edit(
      new Edit({
        startIndex: prefix,
        oldEndIndex: oldEnd,
        newEndIndex: newEnd,
        startPosition: pointAt(old, prefix),
        oldEndPosition: pointAt(old, oldEnd),
        newEndPosition: pointAt(text, newEnd),
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
  }
}
