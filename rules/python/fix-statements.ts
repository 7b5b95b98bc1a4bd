import type { Node } from "web-tree-sitter";
import type { Position, TextEdit } from "../types";
import { ensureModuleImport } from "./fix-helpers";
import type { PythonModel } from "./semantic";

/**
 * Statement-level edits for Python fixes: adding a statement to a block at its indentation, splitting
 * one statement into several, finding the module's header (shebang, encoding and licence comments,
 * docstring, `__future__` imports) and its leading imports, and moving whole lines. Edits are written
 * with "\n"; the applier keeps a file's CRLF line breaks, and every column here ignores a `\r`.
 */

/** The text of line `row` without its line break (nor the `\r` of a CRLF). */
export function lineAt(source: string, row: number): string {
  let start = 0;
  for (let current = 0; current < row; current += 1) {
    const next = source.indexOf("\n", start);
    if (next === -1) return "";
    start = next + 1;
  }
  const end = source.indexOf("\n", start);
  return source.slice(start, end === -1 ? source.length : end).replace(/\r$/, "");
}

/** The whitespace line `row` starts with. */
export function indentationAt(source: string, row: number): string {
  return /^[ \t]*/.exec(lineAt(source, row))![0];
}

/** Where line `row` ends (before its line break). */
export function lineEnd(source: string, row: number): Position {
  return { line: row, column: lineAt(source, row).length };
}

function isBlank(text: string): boolean {
  return /^\s*$/.test(text);
}

function positionOf(point: { row: number; column: number }): Position {
  return { line: point.row, column: point.column };
}

/** An insertion of `text` at `position`. */
export function insertAt(position: Position, text: string): TextEdit {
  return { range: { start: position, end: position }, newText: text };
}

/** The statements of a block, without its comments. */
export function blockStatements(block: Node): Node[] {
  return block.namedChildren.filter((child): child is Node => child !== null && child.type !== "comment");
}

/** Whether only whitespace comes before `node` on its first line. */
export function startsLine(source: string, node: Node): boolean {
  return isBlank(lineAt(source, node.startPosition.row).slice(0, node.startPosition.column));
}

/** Whether only whitespace, a `;` or a comment comes after `node` on its last line. */
export function endsLine(source: string, node: Node): boolean {
  return /^\s*;?\s*(?:#.*)?$/.test(lineAt(source, node.endPosition.row).slice(node.endPosition.column));
}

/**
 * An edit that adds the simple statement `statement` to `block` (the body of a compound statement):
 * as its last statement, or its first with `where: "start"`. A block on its own lines gets a new line
 * at the indentation of its statements, after any comment that ends the last line; a body written on
 * its header's line (`while True: pass`) gets `; statement` there, in front of a trailing comment.
 */
export function addToBlock(source: string, block: Node, statement: string, where: "start" | "end" = "end"): TextEdit | null {
  const statements = blockStatements(block);
  if (statements.length === 0) return null;
  const first = statements[0];
  const last = statements[statements.length - 1];
  if (!startsLine(source, first)) {
    // The body shares its header's line: a simple-statement list, extended with `;`.
    return where === "start"
      ? insertAt(positionOf(first.startPosition), `${statement}; `)
      : insertAt(positionOf(last.endPosition), `; ${statement}`);
  }
  const indentation = lineAt(source, first.startPosition.row).slice(0, first.startPosition.column);
  if (where === "start") return insertAt(positionOf(first.startPosition), `${statement}\n${indentation}`);
  return insertAt(lineEnd(source, last.endPosition.row), `\n${indentation}${statement}`);
}

/**
 * Edits that turn the expression statement `statement` into itself with `prefix` in front (an
 * assignment target, say) followed by the simple statements `after`, which run right after it: on
 * new lines at its indentation when it has its lines to itself, else joined with `; ` on its line.
 */
export function expandStatement(source: string, statement: Node, prefix: string, after: string[]): TextEdit[] {
  const edits = [insertAt(positionOf(statement.startPosition), prefix)];
  if (after.length === 0) return edits;
  if (startsLine(source, statement) && endsLine(source, statement)) {
    const indentation = indentationAt(source, statement.startPosition.row);
    edits.push(insertAt(lineEnd(source, statement.endPosition.row), after.map((line) => `\n${indentation}${line}`).join("")));
  } else {
    edits.push(insertAt(positionOf(statement.endPosition), after.map((line) => `; ${line}`).join("")));
  }
  return edits;
}

/** The names a subtree uses or binds (identifiers, not attribute names nor keyword-argument names). */
export function identifiersIn(node: Node, names = new Set<string>()): Set<string> {
  const cursor = node.walk();
  try {
    for (;;) {
      if (cursor.nodeType === "identifier") {
        const field = cursor.currentFieldName;
        const parentType = field === "attribute" || field === "name" ? cursor.currentNode.parent?.type : undefined;
        const isAttributeName = field === "attribute" && parentType === "attribute";
        const isKeyword = field === "name" && parentType === "keyword_argument";
        if (!isAttributeName && !isKeyword) names.add(cursor.nodeText);
      }
      if (cursor.gotoFirstChild()) continue;
      while (!(cursor.currentDepth > 0 && cursor.gotoNextSibling())) {
        if (cursor.currentDepth === 0 || !cursor.gotoParent()) return names;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** The first name of `base`, `base_2`, `base_3`, ... that `taken` does not hold. */
export function freshName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  for (let index = 2; ; index += 1) if (!taken(`${base}_${index}`)) return `${base}_${index}`;
}

/** Whether a top-level statement is the module docstring's kind of statement (a lone string). */
function isStringStatement(node: Node): boolean {
  if (node.type !== "expression_statement" || node.namedChildCount !== 1) return false;
  const type = node.namedChildren[0]?.type;
  return type === "string" || type === "concatenated_string";
}

/**
 * The module's header and what follows it. The header is what must stay first: the comment block
 * the file opens with (shebang, encoding, licence), the docstring, `from __future__` imports, and
 * comments between them — but a comment block directly above the first other statement belongs to
 * that statement. `last` is the header's last node (null when there is none); `next` is the first
 * node after it (that statement or its comments; null when the module is all header).
 */
export function moduleHeader(root: Node): { last: Node | null; next: Node | null } {
  const children = root.namedChildren.filter((child): child is Node => child !== null);
  let last: Node | null = null;
  let index = 0;
  // The opening comment block, however it continues.
  while (index < children.length && children[index].type === "comment") {
    const child = children[index];
    const previousEnd = last ? last.endPosition.row : -1;
    if (child.startPosition.row > previousEnd + 1) break;
    last = child;
    index += 1;
  }
  let pending: Node[] = [];
  let statements = 0;
  for (; index < children.length; index += 1) {
    const child = children[index];
    if (child.type === "comment") {
      // A comment on the header's last line is part of it.
      if (last && child.startPosition.row === last.endPosition.row) last = child;
      else pending.push(child);
      continue;
    }
    const isHeader = child.type === "future_import_statement" || (statements === 0 && isStringStatement(child));
    if (!isHeader) break;
    statements += 1;
    last = child;
    pending = [];
  }
  const statement = children[index] ?? null;
  if (!statement) return { last: pending[pending.length - 1] ?? last, next: null };
  // Comments directly above the statement (no blank line) are its own.
  let attached = pending.length;
  let below = statement.startPosition.row;
  while (attached > 0 && pending[attached - 1].endPosition.row + 1 === below) {
    attached -= 1;
    below = pending[attached].startPosition.row;
  }
  if (attached > 0) last = pending[attached - 1];
  return { last, next: attached < pending.length ? pending[attached] : statement };
}

/**
 * The last statement of the module's leading imports: the docstring, `__future__` and other imports
 * that open the module (comments between them allowed), or null when the module opens otherwise.
 */
export function leadingImportsEnd(root: Node): Node | null {
  let last: Node | null = null;
  let statements = 0;
  for (const child of root.namedChildren) {
    if (!child || child.type === "comment") continue;
    const isImport = child.type === "import_statement" || child.type === "import_from_statement" || child.type === "future_import_statement";
    if (!isImport && !(statements === 0 && isStringStatement(child))) break;
    statements += 1;
    last = child;
  }
  return last;
}

/** The number of lines of `source` (a final line break does not start another line). */
function lineCount(source: string): number {
  const breaks = (source.match(/\n/g) ?? []).length;
  return source.endsWith("\n") ? breaks : breaks + 1;
}

/**
 * An edit that deletes lines `first` to `last` with their line breaks. When that would leave two blank
 * lines in a row (or a blank line at the end of the file), the blank line above goes too.
 */
export function deleteLines(source: string, first: number, last: number): TextEdit {
  const count = lineCount(source);
  const blankAbove = first > 0 && isBlank(lineAt(source, first - 1));
  const blankBelow = last + 1 >= count || isBlank(lineAt(source, last + 1));
  const from = blankAbove && blankBelow ? first - 1 : first;
  return { range: { start: { line: from, column: 0 }, end: { line: last + 1, column: 0 } }, newText: "" };
}

/** Lines `first` to `last` of `source`, joined with "\n" (without a final line break). */
export function linesText(source: string, first: number, last: number): string {
  const lines: string[] = [];
  for (let row = first; row <= last; row += 1) lines.push(lineAt(source, row));
  return lines.join("\n");
}

/** Whether line `row` is blank (or past the end of `source`). */
export function isBlankLine(source: string, row: number): boolean {
  return row >= lineCount(source) || isBlank(lineAt(source, row));
}

/**
 * Whether a loop body has a `continue` of that loop (not of a nested loop, nor in a nested function):
 * such a `continue` would skip a statement added at the end of the body.
 */
export function continuesLoop(body: Node): boolean {
  const visit = (node: Node): boolean => {
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === "continue_statement") return true;
      const nested =
        child.type === "for_statement" || child.type === "while_statement" || child.type === "function_definition" ||
        child.type === "lambda" || child.type === "class_definition";
      // The `else` of a nested loop runs in this loop, so a `continue` there is this loop's.
      if (nested) {
        const orElse = child.type === "for_statement" || child.type === "while_statement" ? child.childForFieldName("alternative") : null;
        if (orElse && visit(orElse)) return true;
        continue;
      }
      if (visit(child)) return true;
    }
    return false;
  };
  return visit(body);
}

/**
 * `ensureModuleImport`, except that an import it would add on the file's first line goes below the
 * module's header instead (a shebang must stay first, and so should an opening comment block).
 */
export function moduleImport(model: PythonModel, module: string): { name: string; edits: TextEdit[] } {
  const result = ensureModuleImport(model, module);
  const [edit] = result.edits;
  if (result.edits.length !== 1 || edit.range.start.line !== 0 || edit.range.start.column !== 0) return result;
  const { last } = moduleHeader(model.root);
  if (!last) return result;
  return { name: result.name, edits: [insertAt(lineEnd(model.source, last.endPosition.row), `\nimport ${module}`)] };
}
