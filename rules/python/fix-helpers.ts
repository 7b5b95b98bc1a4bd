import type { Node } from "web-tree-sitter";
import type { Range, TextEdit } from "../types";
import type { FunctionInfo, PythonModel, Scope, Site } from "./semantic";

/** The zero-based range a node covers (through `end` when given). */
export function rangeOf(node: Node, end: Node = node): Range {
  return {
    start: { line: node.startPosition.row, column: node.startPosition.column },
    end: { line: end.endPosition.row, column: end.endPosition.column },
  };
}

/** An edit that puts `text` in front of `node`. */
export function insertBefore(node: Node, text: string): TextEdit {
  const start = { line: node.startPosition.row, column: node.startPosition.column };
  return { range: { start, end: start }, newText: text };
}

/** An edit that replaces `node` with `text`. */
export function replaceNode(node: Node, text: string): TextEdit {
  return { range: rangeOf(node), newText: text };
}

/**
 * Whether `await` can be written at a site: directly in the body of an `async def` (not in a
 * decorated generator coroutine, where `await` is a syntax error, nor inside a comprehension or
 * lambda of it).
 */
export function canAwaitAt(site: Site): site is Site & { func: FunctionInfo } {
  return site.func !== null && site.func.isAsyncDef && site.scope === site.func.scope;
}

/**
 * The name under which `module` is imported at module level, and the edits that add
 * `import module` when it is not: after the last top-level import, else after the docstring, else
 * after the header comments, else at the top.
 */
export function ensureModuleImport(model: PythonModel, module: string): { name: string; edits: TextEdit[] } {
  for (const [name, bindings] of model.moduleScope.bindings) {
    if (bindings.length === 1 && bindings[0].kind === "import" && bindings[0].qualified === module) return { name, edits: [] };
  }
  const topLevel = model.imports.filter((site) => site.func === null && site.node.parent?.type === "module");
  let anchor: Node | null = topLevel.length > 0 ? topLevel[topLevel.length - 1].node : null;
  if (!anchor) {
    // After the docstring, else after the header comments (shebang, encoding, licence), else at the top.
    const children = model.root.namedChildren;
    let index = 0;
    while (children[index]?.type === "comment") index += 1;
    const first = children[index];
    const isDocstring = first?.type === "expression_statement" && first.firstNamedChild?.type === "string";
    anchor = isDocstring ? first : index > 0 ? children[index - 1] : null;
  }
  if (!anchor) {
    const start = { line: 0, column: 0 };
    return { name: module, edits: [{ range: { start, end: start }, newText: `import ${module}\n` }] };
  }
  // At the end of the anchor's last line, so a file without a final newline still works.
  const row = anchor.endPosition.row;
  const lineText = model.source.split("\n", row + 1)[row] ?? "";
  const end = { line: row, column: lineText.replace(/\r$/, "").length };
  return { name: module, edits: [{ range: { start: end, end }, newText: `\nimport ${module}` }] };
}

/**
 * `ensureModuleImport`, checked at a site: null when the name it gives would not mean `module` in
 * `scope` — a local, a parameter or another module-level binding of that name shadows it there.
 */
export function moduleNameAt(model: PythonModel, module: string, scope: Scope): { name: string; edits: TextEdit[] } | null {
  const result = ensureModuleImport(model, module);
  const bindings = model.lookup(result.name, scope);
  if (bindings === null) return result.edits.length > 0 ? result : null;
  return bindings.every((b) => b.kind === "import" && b.qualified === module) ? result : null;
}

/**
 * Joins insertions at the same place into one edit, in order: edits of one fix that insert at the
 * same position would otherwise land in reverse order.
 */
export function mergeInsertions(edits: TextEdit[]): TextEdit[] {
  const merged: TextEdit[] = [];
  for (const edit of edits) {
    const empty = (e: TextEdit) => e.range.start.line === e.range.end.line && e.range.start.column === e.range.end.column;
    const same = merged.find(
      (m) => empty(m) && empty(edit) && m.range.start.line === edit.range.start.line && m.range.start.column === edit.range.start.column,
    );
    if (same) same.newText += edit.newText;
    else merged.push({ range: edit.range, newText: edit.newText });
  }
  return merged;
}
