import type { Node } from "web-tree-sitter";
import type { Rule } from "../rule";
import type { Fix, TextEdit } from "../types";
import type { Binding, PythonModel, Site } from "../python/semantic";
import { expandStatement, freshName, identifiersIn, insertAt, leadingImportsEnd, lineEnd, moduleHeader } from "../python/fix-statements";

/** Calls that schedule a task and return the only strong reference to it. */
const taskFactories = new Set([
  "asyncio.create_task",
  "asyncio.ensure_future",
  "asyncio.tasks.create_task",
  "asyncio.tasks.ensure_future",
  "asyncio.AbstractEventLoop.create_task",
]);

/** Top-level statements that only define (their bodies run later, with their own names). */
const definitionTypes = new Set(["function_definition", "class_definition", "decorated_definition", "comment"]);

/** The comment above the set the fix adds, saying why it is there. */
const setComment = "# Strong references to background tasks: the event loop keeps only weak ones.";

/** Whether `value` is `set()` with the builtin `set`. */
function isEmptySetCall(model: PythonModel, value: Node | undefined): boolean {
  if (value?.type !== "call") return false;
  const fn = value.childForFieldName("function");
  const args = value.childForFieldName("arguments");
  return fn?.type === "identifier" && fn.text === "set" && args?.namedChildCount === 0 && model.lookup("set", model.moduleScope) === null;
}

/** Whether every binding of a module-level name is a top-level `name = set()` (annotated or not). */
function isModuleSet(model: PythonModel, bindings: Binding[] | undefined): boolean {
  return (
    bindings !== undefined &&
    bindings.length > 0 &&
    bindings.every((b) => b.kind === "assign" && b.node.parent?.parent?.parent?.type === "module" && isEmptySetCall(model, b.value))
  );
}

/**
 * The names code at `site` may already mean something by, so that a name the fix binds there changes
 * nothing: every name in the enclosing function (or class body), or at module level every module-level
 * name and every name module-level code uses (function bodies cannot see a new module-level name
 * unless they use it, and are left out so the fix depends on nothing inside them).
 */
function namesInUse(model: PythonModel, site: Site): Set<string> {
  if (site.func) return identifiersIn(site.func.node);
  if (site.scope.kind === "class") return identifiersIn(site.scope.node, new Set(site.scope.bindings.keys()));
  const names = new Set(model.moduleScope.bindings.keys());
  for (const child of model.root.namedChildren) if (child && !definitionTypes.has(child.type)) identifiersIn(child, names);
  return names;
}

/**
 * The module-level set the fix keeps tasks in: an existing `_background_tasks = set()` or
 * `background_tasks = set()` that `site` sees, or a new `_background_tasks` (`_2`, `_3`... when
 * that name is taken) with the edit that adds it after the module's leading imports. Null when there
 * is no good place for it.
 */
function backgroundSet(model: PythonModel, site: Site, inUse: Set<string>): { name: string; edits: TextEdit[] } | null {
  const module = model.moduleScope.bindings;
  for (let index = 1; ; index += 1) {
    const names = index === 1 ? ["_background_tasks", "background_tasks"] : [`_background_tasks_${index}`];
    if (names.every((name) => !module.has(name))) break;
    // Code at module level runs in order: there the set must be made before the statement.
    const madeInTime = (bindings: Binding[]) => site.func !== null || bindings.every((b) => b.node.startIndex < site.node.startIndex);
    const reusable = names.find((name) => {
      const bindings = module.get(name);
      return isModuleSet(model, bindings) && madeInTime(bindings!) && model.lookup(name, site.scope) === bindings;
    });
    if (reusable) return { name: reusable, edits: [] };
  }
  if (model.lookup("set", model.moduleScope) !== null) return null;
  const name = freshName("_background_tasks", (n) => module.has(n) || model.lookup(n, site.scope) !== null || inUse.has(n));
  const definition = `${setComment}\n${name} = set()`;
  const anchor = leadingImportsEnd(model.root);
  if (anchor) {
    // After the line of the last leading import, unless another statement shares that line.
    const sharesLine = model.root.namedChildren.some(
      (child) => child && child.type !== "comment" && child.startIndex >= anchor.endIndex && child.startPosition.row === anchor.endPosition.row,
    );
    return sharesLine ? null : { name, edits: [insertAt(lineEnd(model.source, anchor.endPosition.row), `\n\n${definition}`)] };
  }
  const { last, next } = moduleHeader(model.root);
  if (!next || next.startPosition.column !== 0 || (last && last.endPosition.row === next.startPosition.row)) return null;
  return { name, edits: [insertAt({ line: next.startPosition.row, column: 0 }, `${definition}\n\n`)] };
}

/**
 * The unsafe fix: keep a strong reference until the task is done, as the `asyncio.create_task` docs
 * advise — `task = <the call>`, then `<set>.add(task)` and `task.add_done_callback(<set>.discard)`.
 */
function keepReferenceFix(model: PythonModel, site: Site): Fix[] {
  const statement = site.node.parent;
  if (statement?.type !== "expression_statement") return [];
  const inUse = namesInUse(model, site);
  const tasks = backgroundSet(model, site, inUse);
  if (!tasks) return [];
  const taken = (name: string) => inUse.has(name) || name === tasks.name || (!site.func && site.scope.bindings.has(name));
  const task = freshName("task", taken);
  const edits = expandStatement(model.source, statement, `${task} = `, [`${tasks.name}.add(${task})`, `${task}.add_done_callback(${tasks.name}.discard)`]);
  // The set's definition goes last: were it inserted where the statement starts, it lands in front.
  return [{ title: `Keep a reference to the task in \`${tasks.name}\` until it is done`, safety: "unsafe", edits: [...edits, ...tasks.edits] }];
}

export const danglingTask: Rule = {
  id: "dangling-task",
  summary: "The task returned by `asyncio.create_task` / `ensure_future` is discarded and can vanish mid-flight.",
  languages: ["python"],
  defaultSeverity: "warning",
  equivalents: { ruff: ["RUF006"] },
  docs: {
    what:
      "Reports statements that call `asyncio.create_task`, `asyncio.ensure_future` or `loop.create_task` (where `loop` " +
      "comes from `asyncio.get_running_loop()` / `get_event_loop()`) and throw the returned task away. " +
      "`TaskGroup.create_task` is not reported: the group keeps the task alive.",
    why:
      "The event loop keeps only a weak reference to a task. A task nobody references can be garbage-collected before " +
      "it finishes — the work silently stops half-way — and an exception it raises is never seen.",
    example: [
      "import asyncio",
      "",
      "async def notify(user): ...",
      "",
      "async def handle(user):",
      "    asyncio.create_task(notify(user))",
    ].join("\n"),
    fixSafety:
      "The fix is unsafe. It keeps the task referenced until it is done, as the `asyncio.create_task` docs advise: " +
      "`task = asyncio.create_task(...)`, then `_background_tasks.add(task)` and " +
      "`task.add_done_callback(_background_tasks.discard)` on the following lines (joined with `;` when the call shares its line). It " +
      "reuses a module-level `_background_tasks = set()` or `background_tasks = set()`, else adds " +
      "`_background_tasks = set()` after the module's imports, and picks names nothing in scope uses yet " +
      "(`task_2`, `_background_tasks_2`). The task then runs to the end, but its exception is still never seen and " +
      "nothing waits for it at shutdown; awaiting it or an `asyncio.TaskGroup` may be what the code needs, which is a " +
      "design decision.",
    useInstead: [
      "import asyncio",
      "",
      "background_tasks = set()",
      "",
      "async def notify(user): ...",
      "",
      "async def handle(user):",
      "    task = asyncio.create_task(notify(user))",
      "    background_tasks.add(task)",
      "    task.add_done_callback(background_tasks.discard)",
    ].join("\n"),
  },
  mightApply: (source) => /create_task|ensure_future/.test(source),
  checkPython({ model, report }) {
    for (const site of model.statementCalls) {
      const call = site.node;
      const callee = model.callee(call, site.scope);
      if (!callee || !taskFactories.has(callee)) continue;
      const shown = callee.startsWith("asyncio.AbstractEventLoop.") ? "loop.create_task" : callee;
      report({
        node: call,
        message:
          `The task returned by \`${shown}()\` is discarded: the loop keeps only a weak reference, so it can be ` +
          "garbage-collected before it finishes; keep a reference (a set plus `add_done_callback(set.discard)`) or use `asyncio.TaskGroup`",
        fixes: keepReferenceFix(model, site),
      });
    }
  },
};
