import type { Node } from "web-tree-sitter";
import type { Rule } from "../rule";
import type { Fix, TextEdit } from "../types";
import type { ImportSite, PythonModel } from "../python/semantic";
import { patchFunctionKind } from "../python/patch-functions";
import { deleteLines, identifiersIn, insertAt, isBlankLine, linesText, moduleHeader } from "../python/fix-statements";

/** Modules whose early import is known to break gevent/eventlet patching, named first in messages. */
const riskyModules = new Set(["ssl", "socket", "threading", "select", "time", "requests", "urllib3", "http", "urllib", "asyncio", "queue", "subprocess"]);

/** Imports that the patch itself needs (`from gevent import monkey`) are not "earlier imports". */
function isPatchLibrary(module: string): boolean {
  const head = module.split(".")[0];
  return head === "gevent" || head === "eventlet";
}

/** Whether a top-level statement is a gevent/eventlet patch call and nothing else. */
function isPatchStatement(model: PythonModel, node: Node): boolean {
  const call = node.type === "expression_statement" && node.namedChildCount === 1 ? node.namedChildren[0] : null;
  if (call?.type !== "call") return false;
  const callee = model.callee(call, model.moduleScope);
  const kind = callee ? patchFunctionKind(callee) : null;
  return kind === "gevent" || kind === "eventlet";
}

/**
 * The safe fix for a module-level patch after other imports: move the patch statement — and the
 * imports that bind its callee (`from gevent import monkey`, `import gevent.monkey`, `import
 * eventlet`) when they come after other imports — above every other import: right after the module's
 * header (shebang, encoding and licence comments, docstring, `__future__` imports), or right after
 * its imports when those already come first. Comment lines directly above a moved statement move with
 * it. None when the patch is not a whole top-level statement, its arguments use names, its imports are
 * not whole top-level statements of the patching library alone, or a moved statement shares a line
 * with code that stays.
 */
function moveFirstFix(model: PythonModel, call: Node, earlier: ImportSite[]): Fix[] {
  const source = model.source;
  const statement = call.parent;
  if (statement?.type !== "expression_statement" || statement.parent?.type !== "module" || statement.namedChildCount !== 1) return [];
  // Arguments that name something might need code the move would put after the patch.
  const args = call.childForFieldName("arguments");
  if (args && identifiersIn(args).size > 0) return [];
  let root = call.childForFieldName("function");
  while (root?.type === "attribute") root = root.childForFieldName("object");
  if (root?.type !== "identifier") return [];
  const bindings = model.moduleScope.bindings.get(root.text) ?? [];
  if (bindings.length === 0 || bindings.some((b) => b.kind !== "import")) return [];
  const imports = [...new Set(bindings.map((b) => b.node))];
  const isOwnImport = (node: Node) => {
    const site = model.imports.find((imp) => imp.node.id === node.id);
    return site !== undefined && node.parent?.type === "module" && node.startIndex < statement.startIndex && site.modules.every(isPatchLibrary);
  };
  if (!imports.every(isOwnImport)) return [];
  const firstEarlier = Math.min(...earlier.map((imp) => imp.node.startIndex));
  const staying = imports.filter((node) => node.startIndex < firstEarlier);
  const moving = [statement, ...imports.filter((node) => node.startIndex > firstEarlier)];
  const movingIds = new Set(moving.map((node) => node.id));
  const topLevel = model.root.namedChildren.filter((child): child is Node => child !== null);
  // Rows [first, last] hold only the given statements (and comments).
  const rowsHoldOnly = (first: number, last: number, ids: Set<number>) =>
    topLevel.every((child) => child.type === "comment" || ids.has(child.id) || child.endPosition.row < first || child.startPosition.row > last);

  // The line spans to move: each moved statement's lines, with the comment lines right above them.
  const header = moduleHeader(model.root);
  const headerEnd = header.last ? header.last.endPosition.row : -1;
  const commentRows = new Set(
    topLevel.filter((child) => child.type === "comment" && child.startPosition.column === 0).map((child) => child.startPosition.row),
  );
  const spans = moving
    .map((node) => ({ first: node.startPosition.row, last: node.endPosition.row }))
    .sort((a, b) => a.first - b.first);
  if (!spans.every((span) => rowsHoldOnly(span.first, span.last, movingIds))) return [];
  for (const span of spans) {
    while (span.first - 1 > headerEnd && commentRows.has(span.first - 1) && rowsHoldOnly(span.first - 1, span.first - 1, new Set())) span.first -= 1;
  }
  const merged: { first: number; last: number }[] = [];
  for (const span of spans) {
    const previous = merged[merged.length - 1];
    if (previous && span.first <= previous.last + 1) previous.last = Math.max(previous.last, span.last);
    else merged.push({ ...span });
  }
  const moved = merged.map((span) => linesText(source, span.first, span.last)).join("\n");

  // Where the moved lines go: after the library's own imports when those already come first (else
  // after the header), and after any of its imports and patches already there, so patches keep their order.
  let after: number | null = null;
  if (staying.length > 0) {
    const stayingIds = new Set(staying.map((node) => node.id));
    if (!staying.every((node) => rowsHoldOnly(node.startPosition.row, node.endPosition.row, stayingIds))) return [];
    after = Math.max(...staying.map((node) => node.endPosition.row));
  }
  const from = after ?? headerEnd;
  for (const child of topLevel) {
    if (child.startPosition.row <= from || child.type === "comment") continue;
    const site = model.imports.find((imp) => imp.node.id === child.id);
    const isPrelude = (site !== undefined && !site.isFuture && site.modules.every(isPatchLibrary)) || isPatchStatement(model, child);
    if (!isPrelude || movingIds.has(child.id) || !rowsHoldOnly(child.startPosition.row, child.endPosition.row, new Set([child.id]))) break;
    after = child.endPosition.row;
  }
  let insertion: TextEdit;
  if (after !== null) {
    insertion = insertAt({ line: after + 1, column: 0 }, `${moved}\n${isBlankLine(source, after + 1) ? "" : "\n"}`);
  } else {
    const next = header.next;
    if (!next || next.startPosition.column !== 0 || next.startPosition.row <= headerEnd) return [];
    insertion = insertAt({ line: next.startPosition.row, column: 0 }, `${moved}\n\n`);
  }
  const deletions = merged.map((span) => deleteLines(source, span.first, span.last));
  const what = moving.length > 1 ? "the patch and its import" : "the patch";
  return [{ title: `Move ${what} above the other imports`, safety: "safe", edits: [insertion, ...deletions] }];
}

export const lateMonkeyPatch: Rule = {
  id: "late-monkey-patch",
  summary: "A gevent/eventlet patch that runs after other imports, or inside a function, patches too late.",
  languages: ["python"],
  defaultSeverity: "error",
  equivalents: {},
  docs: {
    what:
      "Reports `gevent.monkey.patch_all()` (and the other `patch_*` functions) and `eventlet.monkey_patch()` when the " +
      "module has already imported something else (any import but `__future__` and the patching library itself), or " +
      "when the patch runs inside a function instead of first thing at import time. The related information points at " +
      "the earlier imports.",
    why:
      "Patching replaces module attributes. Code imported before the patch already holds the originals: " +
      "`from socket import socket`, a `threading.Lock` created at import, an `ssl` context — they stay blocking or " +
      "mix real threads with greenlets. gevent warns about patching `ssl` late only at run time, and the usual " +
      "result is a hang or a `RecursionError` far from the cause.",
    example: [
      "import requests",
      "from gevent import monkey",
      "",
      "monkey.patch_all()",
    ].join("\n"),
    fixSafety:
      "A patch that is a statement of its own at module level has a safe fix: the patch — with the import that names " +
      "it (`from gevent import monkey`, `import gevent.monkey`, `import eventlet`) when that import comes after other " +
      "imports — moves above the other imports, right after the module's header (shebang, encoding and licence " +
      "comments, docstring, `from __future__` imports); comment lines directly above a moved line move with it. Only " +
      "the order changes, to the one gevent and eventlet document: the patch takes no input (there is no fix when its " +
      "arguments name anything), and the modules imported before it now get the patched functions, which is what the " +
      "patch is for. A patch inside a function has no fix: moving it to import time would change when, and whether, " +
      "it runs, so move it to the entry module by hand. Nor is there a fix when the patch or its import shares a line " +
      "with other code or sits inside an `if` or `try`.",
    useInstead: [
      "from gevent import monkey",
      "",
      "monkey.patch_all()",
      "",
      "import requests",
    ].join("\n"),
  },
  mightApply: (source) => /\b(?:gevent|eventlet)\b/.test(source),
  checkPython({ model, report }) {
    for (const site of model.calls) {
      const callee = model.callee(site.node, site.scope);
      const kind = callee ? patchFunctionKind(callee) : null;
      if (!callee || (kind !== "gevent" && kind !== "eventlet")) continue;
      if (site.func) {
        report({
          node: site.node,
          message:
            `\`${callee}()\` runs inside \`${site.func.name || "a lambda"}\`, not at import time: everything imported ` +
            "before the call keeps the unpatched, blocking originals; call it first thing in the entry module",
        });
        continue;
      }
      const start = site.node.startIndex;
      const earlier = model.imports.filter(
        (imp) => imp.func === null && !imp.isFuture && imp.node.startIndex < start && !imp.modules.every(isPatchLibrary),
      );
      if (earlier.length === 0) continue;
      const ranked = [...earlier].sort(
        (a, b) => Number(!a.modules.some((m) => riskyModules.has(m.split(".")[0]))) - Number(!b.modules.some((m) => riskyModules.has(m.split(".")[0]))),
      );
      const shown = ranked.slice(0, 3).map((imp) => imp.modules.filter((m) => !isPatchLibrary(m)).join(", "));
      report({
        node: site.node,
        message:
          `\`${callee}()\` runs after ${shown.map((m) => `\`${m}\``).join(", ")}${earlier.length > 3 ? " and more" : ""} ` +
          "were imported: those modules keep the unpatched, blocking originals; make the patch the first statement of the entry module",
        related: earlier.map((imp) => ({ node: imp.node, message: `imported before the patch: ${imp.modules.join(", ")}` })),
        fixes: moveFirstFix(model, site.node, earlier),
      });
    }
  },
};
