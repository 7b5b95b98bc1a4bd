import type { ts as TS } from "ts-morph";
import { ts } from "./ts-runtime";
import type { TextEdit } from "../types";
import { insertAt, positionAt } from "./fix-helpers";

/**
 * Statement-level edits for TypeScript and JavaScript fixes: adding a statement to a loop's body,
 * braces included when the body is a single statement. Edits are written with "\n"; the applier keeps
 * a file's CRLF line breaks.
 */

export type TsLoop = TS.WhileStatement | TS.DoStatement | TS.ForStatement;

/** The offset where the line holding `offset` starts. */
function lineStartOf(sourceFile: TS.SourceFile, offset: number): number {
  return sourceFile.getPositionOfLineAndCharacter(sourceFile.getLineAndCharacterOfPosition(offset).line, 0);
}

/** The whitespace the line holding `offset` starts with. */
function indentationAt(sourceFile: TS.SourceFile, offset: number): string {
  const text = sourceFile.text;
  const start = lineStartOf(sourceFile, offset);
  let end = start;
  while (end < text.length && (text[end] === " " || text[end] === "\t")) end += 1;
  return text.slice(start, end);
}

/** Whether only whitespace comes before `offset` on its line. */
function startsLine(sourceFile: TS.SourceFile, offset: number): boolean {
  return /^[ \t]*$/.test(sourceFile.text.slice(lineStartOf(sourceFile, offset), offset));
}

function lineOf(sourceFile: TS.SourceFile, offset: number): number {
  return sourceFile.getLineAndCharacterOfPosition(offset).line;
}

/**
 * One level of indentation as the file writes it: the loop's indentation beyond the line its
 * enclosing block opens on, else a tab for tab-indented code, else two spaces.
 */
function indentUnit(sourceFile: TS.SourceFile, loop: TS.Node): string {
  let container = loop.parent;
  while (ts.isLabeledStatement(container)) container = container.parent;
  const own = indentationAt(sourceFile, loop.getStart(sourceFile));
  const outer = indentationAt(sourceFile, container.getStart(sourceFile));
  if (own.length > outer.length && own.startsWith(outer)) return own.slice(outer.length);
  return own.includes("\t") ? "\t" : "  ";
}

/** Whether the body of `loop` has a `continue` of this loop (it would skip a statement added at the end). */
export function continuesLoop(loop: TsLoop): boolean {
  const visit = (node: TS.Node, nestedLoop: boolean): boolean => {
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return false;
    if (ts.isContinueStatement(node)) return node.label === undefined && !nestedLoop;
    const nested = nestedLoop || ts.isIterationStatement(node, false);
    return ts.forEachChild(node, (child) => visit(child, nested)) ?? false;
  };
  return visit(loop.statement, false);
}

/** Where code after `node` on its line goes: past the comments that end the line, if any. */
function endAfterTrailingComments(sourceFile: TS.SourceFile, node: TS.Node): number {
  const comments = ts.getTrailingCommentRanges(sourceFile.text, node.getEnd());
  return comments && comments.length > 0 ? comments[comments.length - 1].end : node.getEnd();
}

/**
 * Edits that add `statement` (a complete statement, with its `;`) to the body of `loop`: as its last
 * statement, or its first with `where: "start"`. A block gets a new line at its statements'
 * indentation (before the closing brace), or the statement inline when the block is on one line; a
 * body that is a single statement is wrapped in braces together with the new one. Null when the body
 * has an unexpected shape.
 */
export function addToLoopBody(sourceFile: TS.SourceFile, loop: TsLoop, statement: string, where: "start" | "end" = "end"): TextEdit[] | null {
  const text = sourceFile.text;
  const body = loop.statement;
  const loopIndentation = indentationAt(sourceFile, loop.getStart(sourceFile));
  if (ts.isBlock(body)) {
    const open = body.getStart(sourceFile);
    const close = body.getEnd() - 1;
    if (text[open] !== "{" || text[close] !== "}") return null;
    const statements = body.statements;
    if (where === "start" && statements.length > 0) {
      const first = statements[0].getStart(sourceFile);
      return startsLine(sourceFile, first)
        ? [insertAt(sourceFile, first, `${statement}\n${indentationAt(sourceFile, first)}`)]
        : [insertAt(sourceFile, first, `${statement} `)];
    }
    const openLine = lineOf(sourceFile, open);
    const closeLine = lineOf(sourceFile, close);
    if (closeLine > openLine && startsLine(sourceFile, close)) {
      // The indentation of the body's first statement or comment line, else one level in.
      let inner: string | null = null;
      if (statements.length > 0 && startsLine(sourceFile, statements[0].getStart(sourceFile))) {
        inner = indentationAt(sourceFile, statements[0].getStart(sourceFile));
      }
      for (let line = openLine + 1; inner === null && line < closeLine; line += 1) {
        const start = sourceFile.getPositionOfLineAndCharacter(line, 0);
        const lineText = text.slice(start, sourceFile.getLineEndOfPosition(start));
        if (/\S/.test(lineText)) inner = /^[ \t]*/.exec(lineText)![0];
      }
      inner ??= indentationAt(sourceFile, close) + indentUnit(sourceFile, loop);
      return [insertAt(sourceFile, lineStartOf(sourceFile, close), `${inner}${statement}\n`)];
    }
    // The closing brace shares its line with code: `{ poll() }`, `{}`.
    let contentEnd = close;
    while (contentEnd > open + 1 && /\s/.test(text[contentEnd - 1])) contentEnd -= 1;
    const last = statements[statements.length - 1];
    const needsSemicolon = last !== undefined && last.getEnd() === contentEnd && !/[;}]$/.test(last.getText(sourceFile));
    const start = positionAt(sourceFile, contentEnd);
    const end = positionAt(sourceFile, close);
    return [{ range: { start, end }, newText: `${needsSemicolon ? ";" : ""} ${statement} ` }];
  }
  // A single statement: wrap it and the new one in braces.
  const bodyStart = body.getStart(sourceFile);
  const own = ts.isEmptyStatement(body) ? [] : [body.getText(sourceFile)];
  const inner = loopIndentation + indentUnit(sourceFile, loop);
  if (lineOf(sourceFile, body.pos) === lineOf(sourceFile, bodyStart)) {
    // `while (!ready) poll();` becomes a block over the following lines.
    const lines = where === "start" ? [statement, ...own] : [...own, statement];
    const space = /\s/.test(text[bodyStart - 1] ?? "") ? "" : " ";
    return [
      {
        range: { start: positionAt(sourceFile, bodyStart), end: positionAt(sourceFile, body.getEnd()) },
        newText: `${space}{\n${lines.map((line) => `${inner}${line}`).join("\n")}\n${loopIndentation}}`,
      },
    ];
  }
  // The statement is on a line of its own: braces around it, the new statement beside it.
  const bodyIndentation = indentationAt(sourceFile, bodyStart);
  const after = endAfterTrailingComments(sourceFile, body);
  return where === "start"
    ? [
        insertAt(sourceFile, body.pos, " {"),
        insertAt(sourceFile, bodyStart, `${statement}\n${bodyIndentation}`),
        insertAt(sourceFile, after, `\n${loopIndentation}}`),
      ]
    : [insertAt(sourceFile, body.pos, " {"), insertAt(sourceFile, after, `\n${bodyIndentation}${statement}\n${loopIndentation}}`)];
}
