import type { Node } from "web-tree-sitter";
import type { ts as TS } from "ts-morph";
import { ts } from "../typescript/ts-runtime";
import type { Rule } from "../rule";
import type { Fix } from "../types";
import type { ContextKind, PythonModel, Scope, Site } from "../python/semantic";
import { canAwaitAt } from "../python/fix-helpers";
import { addToBlock, continuesLoop, moduleImport } from "../python/fix-statements";
import type { TsSite } from "../typescript/model";
import { addToLoopBody, continuesLoop as tsContinuesLoop, type TsLoop } from "../typescript/fix-statements";
import { isAsyncForm, someInSameFunction } from "../python/walk";
import { mayHaveAsyncContext, mayHaveGreenletContext } from "../python/triggers";
import { blockingFamily } from "./blocking-call";
import { canExitLoop, conditionReads as tsConditionReads, isConstantTrue as tsConstantTrue, loopChanges, loopCondition, loopYields } from "../typescript/loop-analysis";

/** Builtins and methods that read or build values and can neither yield nor change another object's state. */
const pureBuiltins = new Set(["len", "print", "isinstance", "repr", "str", "int", "float", "bool", "abs", "min", "max", "sum", "range", "sorted", "list", "dict", "set", "tuple", "hash", "id", "type", "format", "round", "divmod", "pow", "any", "all", "enumerate", "zip", "iter", "next"]);
const pureMethods = new Set(["append", "extend", "insert", "pop", "popleft", "appendleft", "add", "discard", "remove", "update", "setdefault", "items", "keys", "values", "copy", "sort", "reverse", "clear", "count", "index", "format", "split", "strip", "encode", "decode", "lower", "upper", "startswith", "endswith", "replace", "hexdigest", "digest", "debug", "info", "warning", "error", "exception", "critical", "log"]);

/** A `while` condition that can never become false: `True`, `1`, a non-empty string. */
function isConstantTrue(condition: Node): boolean {
  switch (condition.type) {
    case "true":
      return true;
    case "integer":
    case "float":
      return Number(condition.text.replace(/_/g, "")) !== 0;
    case "string":
      return condition.text.replace(/^[a-zA-Z]*(['"]{1,3})/, "").length > 2;
    case "parenthesized_expression":
      return condition.namedChildren[0] ? isConstantTrue(condition.namedChildren[0]) : false;
    default:
      return false;
  }
}

/** Whether the body can leave the loop: a `break` of this loop, a `return`, or a `raise`. */
function canExit(body: Node): boolean {
  let found = false;
  const visit = (node: Node, inNestedLoop: boolean): void => {
    for (const child of node.namedChildren) {
      if (!child || found) continue;
      if (child.type === "function_definition" || child.type === "lambda" || child.type === "class_definition") continue;
      if (child.type === "return_statement" || child.type === "raise_statement") found = true;
      else if (child.type === "break_statement" && !inNestedLoop) found = true;
      else visit(child, inNestedLoop || child.type === "for_statement" || child.type === "while_statement");
    }
  };
  visit(body, false);
  return found;
}

/** The call's callee unless it is a method call on something that is not an imported module. */
function isMethodCallOnValue(model: PythonModel, call: Node, scope: Scope): Node | null {
  const fn = call.childForFieldName("function");
  if (fn?.type !== "attribute") return null;
  const object = fn.childForFieldName("object");
  if (!object || model.importedName(object, scope)) return null;
  return object;
}

/** The base name of `a`, `a.b.c`, `a[0].b`, `a.m()`: the object whose state is read or changed. */
function rootName(node: Node): string | null {
  let current: Node | null = node;
  while (current) {
    if (current.type === "identifier") return current.text;
    if (current.type === "attribute" || current.type === "subscript") current = current.childForFieldName(current.type === "attribute" ? "object" : "value");
    else if (current.type === "call") current = current.childForFieldName("function");
    else return null;
  }
  return null;
}

/**
 * The objects a condition reads, or null when it calls something whose result may change by itself
 * (`time.monotonic()`, a module function): then the loop may well end and is not a certain hang.
 */
function conditionReads(model: PythonModel, condition: Node, scope: Scope): { reads: Set<string>; plain: Set<string> } | null {
  const reads = new Set<string>();
  // Names read as bare values (`while not done`), as opposed to objects whose attributes are read.
  const plain = new Set<string>();
  let unknown = false;
  const visit = (node: Node): void => {
    if (unknown) return;
    if (node.type === "call") {
      const receiver = isMethodCallOnValue(model, node, scope);
      const root = receiver ? rootName(receiver) : null;
      if (!root) {
        unknown = true;
        return;
      }
      reads.add(root);
      for (const arg of node.childForFieldName("arguments")?.namedChildren ?? []) if (arg) visit(arg);
      return;
    }
    if (node.type === "identifier") {
      reads.add(node.text);
      plain.add(node.text);
      return;
    }
    if (node.type === "attribute" || node.type === "subscript") {
      const root = rootName(node);
      if (root) reads.add(root);
      if (node.type === "subscript") for (const child of node.childrenForFieldName("subscript")) if (child) visit(child);
      return;
    }
    if (node.type === "await" || node.type === "lambda") {
      unknown = true;
      return;
    }
    for (const child of node.namedChildren) if (child) visit(child);
  };
  visit(condition);
  return unknown || reads.size === 0 ? null : { reads, plain };
}

/** Whether a call in the loop body may change state the condition reads. */
function callMayChange(model: PythonModel, call: Node, scope: Scope, reads: Set<string>, localReads: Set<string>): boolean {
  const args = call.childForFieldName("arguments")?.namedChildren ?? [];
  if (args.some((arg) => arg && reads.has(rootName(arg.type === "keyword_argument" ? (arg.childForFieldName("value") ?? arg) : arg) ?? ""))) {
    return true;
  }
  const receiver = isMethodCallOnValue(model, call, scope);
  if (receiver) {
    const root = rootName(receiver);
    if (root && reads.has(root)) return true;
    const method = call.childForFieldName("function")?.childForFieldName("attribute")?.text ?? "";
    if (pureMethods.has(method)) return false;
  } else {
    const callee = model.callee(call, scope);
    if (callee && (pureBuiltins.has(callee) || blockingFamily(callee) || callee.startsWith("logging."))) return false;
  }
  // An unknown call can change anything that is not a plain local of this function.
  return [...reads].some((name) => !localReads.has(name));
}

/**
 * Names the condition reads only as bare values that are variables of this function: nothing outside
 * the loop body can rebind them. Objects whose attributes are read could be changed by any call.
 */
function localValues(plain: Set<string>, scope: Scope): Set<string> {
  const locals = new Set<string>();
  for (const name of plain) {
    const bindings = scope.kind === "function" ? scope.bindings.get(name) : undefined;
    if (bindings && !scope.globals.has(name) && bindings.every((b) => (b.kind === "assign" || b.kind === "unpacked" || b.kind === "param") && !b.selfOf)) {
      locals.add(name);
    }
  }
  return locals;
}

/** Whether the body assigns, deletes or mutates any of the names the condition reads. */
function bodyChanges(model: PythonModel, body: Node, scope: Scope, reads: Set<string>, plain: Set<string>): boolean {
  const localReads = localValues(plain, scope);
  return someInSameFunction(body, (node) => {
    switch (node.type) {
      case "assignment":
      case "augmented_assignment":
      case "delete_statement":
      case "for_statement":
      case "named_expression": {
        const target = node.childForFieldName(node.type === "named_expression" ? "name" : "left") ?? node.namedChildren[0];
        if (!target) return false;
        let changed = false;
        const visit = (n: Node) => {
          const root = rootName(n);
          if (root && reads.has(root)) changed = true;
          if (n.type === "pattern_list" || n.type === "tuple_pattern" || n.type === "list_pattern" || n.type === "tuple" || n.type === "expression_list") {
            for (const c of n.namedChildren) if (c) visit(c);
          }
        };
        visit(target);
        return changed;
      }
      case "as_pattern_target":
        return reads.has(rootName(node.namedChildren[0] ?? node) ?? "");
      case "global_statement":
      case "nonlocal_statement":
        return true;
      case "call":
        return callMayChange(model, node, scope, reads, localReads);
      default:
        return false;
    }
  });
}

/**
 * In a greenlet, any call may switch unless the model knows it cannot: builtins, pure methods, and
 * standard-library functions (unless the module patched them into cooperative versions).
 */
function isCooperativeCall(model: PythonModel, call: Node, scope: Scope, patched: boolean): boolean {
  const callee = model.callee(call, scope);
  if (callee) {
    const head = callee.split(".")[0];
    if (head === "gevent" || head === "eventlet" || head === "greenlet") return true;
    if (pureBuiltins.has(callee) || callee.startsWith("logging.")) return false;
    if (patched && blockingFamily(callee)) return true;
    if (model.importedName(call.childForFieldName("function")!, scope)) return false;
  }
  const method = call.childForFieldName("function")?.childForFieldName("attribute")?.text;
  if (method && pureMethods.has(method) && !callee) return false;
  if (callee && blockingFamily(callee)) return patched;
  return true;
}

function hasCheckpoint(model: PythonModel, node: Node, scope: Scope, context: ContextKind, patched: boolean): boolean {
  return someInSameFunction(node, (n) => {
    if (n.type === "await") return true;
    if ((n.type === "for_statement" || n.type === "with_statement" || n.type === "for_in_clause") && isAsyncForm(n)) return true;
    return context === "greenlet" && n.type === "call" && isCooperativeCall(model, n, scope, patched);
  });
}

/**
 * The unsafe fix for a Python loop: a checkpoint as the loop body's last statement (its first when a
 * `continue` could skip the last) — `await asyncio.sleep(0)` (trio/anyio in trio or anyio modules) directly
 * in an `async def`, `gevent.sleep(0)` / `eventlet.sleep(0)` in a greenlet — importing the module
 * when it is missing. None in a decorated generator coroutine, where `await` is a syntax error.
 */
function pythonCheckpointFix(model: PythonModel, site: Site, context: ContextKind, body: Node): Fix[] {
  let module: string;
  if (context === "async") {
    if (!canAwaitAt(site)) return [];
    module = model.framework;
  } else {
    if (!site.func || site.scope !== site.func.scope) return [];
    // The greenlet library the module imports at module level (imports in functions are not looked at,
    // so that the fix only depends on what every analysis of the module sees).
    const roots = new Set(
      model.imports.filter((imp) => imp.scope === model.moduleScope).flatMap((imp) => imp.modules.map((m) => m.split(".")[0])),
    );
    if (roots.has("gevent")) module = "gevent";
    else if (roots.has("eventlet")) module = "eventlet";
    else return [];
  }
  const { name, edits } = moduleImport(model, module);
  // The name must mean the module in the loop's function, not a local or parameter that shadows it.
  const bindings = model.lookup(name, site.scope);
  if (bindings ? !bindings.every((b) => b.kind === "import" && b.qualified === module) : edits.length === 0) return [];
  const statement = context === "async" ? `await ${name}.sleep(0)` : `${name}.sleep(0)`;
  const edit = addToBlock(model.source, body, statement, continuesLoop(body) ? "start" : "end");
  if (!edit) return [];
  return [{ title: `Add \`${statement}\` to the loop`, safety: "unsafe", edits: [edit, ...edits] }];
}

/** The checkpoint the TypeScript fix adds: one turn of the event loop, timers and I/O included. */
const tsCheckpoint = "await new Promise((resolve) => setImmediate(resolve));";

/**
 * The unsafe fix for a TypeScript/JavaScript loop directly in an async function: `tsCheckpoint` as
 * the body's last statement (first when a `continue` could skip the last), in braces if the body was
 * a single statement.
 */
function tsCheckpointFix(sourceFile: TS.SourceFile, site: TsSite<TsLoop>): Fix[] {
  // A class static block between the loop and the function is no place for `await`.
  for (let node: TS.Node = site.node.parent; node !== site.func; node = node.parent) {
    if (!node || ts.isClassStaticBlockDeclaration(node)) return [];
  }
  const edits = addToLoopBody(sourceFile, site.node, tsCheckpoint, tsContinuesLoop(site.node) ? "start" : "end");
  return edits ? [{ title: "Add `await new Promise((resolve) => setImmediate(resolve))` to the loop", safety: "unsafe", edits }] : [];
}

export const nonYieldingLoop: Rule = {
  id: "non-yielding-loop",
  summary: "A loop in a coroutine, async function or greenlet that never yields and cannot end by itself.",
  languages: ["python", "typescript"],
  defaultSeverity: "error",
  equivalents: { flake8Async: ["ASYNC110"], ruff: ["ASYNC110"] },
  docs: {
    what:
      "Reports a `while` loop in async context (or in a function run as a greenlet) with no checkpoint anywhere in " +
      "its body — no `await`, `async for` or `async with` (in a greenlet: no cooperative gevent/eventlet call) — when " +
      "it cannot end by itself: its condition is constant-true and the body has no `break`, `return` or `raise`, or " +
      "its condition only reads state that the body never changes (a poll that only another task could satisfy). " +
      "A loop whose body advances its own condition (`while i < n: i += 1`) is not reported. In TypeScript and " +
      "JavaScript the same applies to `while`, `do…while` and `for (;;)` loops in async functions with no `await`, " +
      "`for await` or `yield`.",
    why:
      "Cooperative scheduling switches tasks only at checkpoints. A loop without one keeps the event loop to itself: " +
      "if it waits for another task to set a flag, that task can never run, so the program hangs with the CPU at 100%.",
    example: [
      "async def wait_until_ready(service):",
      "    while not service.ready:",
      "        pass",
    ].join("\n"),
    fixSafety:
      "The fix is unsafe. It adds a checkpoint as the last statement of the loop body — `await asyncio.sleep(0)` " +
      "(`trio.sleep(0)` / `anyio.sleep(0)` in trio or anyio modules) directly in an `async def`, `gevent.sleep(0)` / " +
      "`eventlet.sleep(0)` in a greenlet, `await new Promise((resolve) => setImmediate(resolve));` in a TypeScript or " +
      "JavaScript async function (a body that is a single statement gets braces) — and imports the module when it is " +
      "missing; when a `continue` could skip the last statement, the checkpoint goes first instead. Other tasks then " +
      "run and the program no longer hangs, but the loop still polls, spending CPU where it should wait for what it " +
      "waits for (an event, a promise), and code that counted on running uninterrupted between iterations now shares " +
      "the loop: a human should decide. There is no fix in a generator-based coroutine (`@inlineCallbacks`, " +
      "`@gen.coroutine`), where `await` is a syntax error, nor in a greenlet of a module that imports neither gevent nor " +
      "eventlet.",
    useInstead: [
      "async def wait_until_ready(service):",
      "    await service.ready_event.wait()",
    ].join("\n"),
    typescript: {
      example: [
        "export async function waitUntilReady(service: { ready: boolean }) {",
        "  while (!service.ready) {",
        "    // spin until another task sets the flag",
        "  }",
        "}",
      ].join("\n"),
      useInstead: [
        'import { once } from "node:events";',
        'import type { EventEmitter } from "node:events";',
        "",
        "export async function waitUntilReady(service: EventEmitter & { ready: boolean }) {",
        "  while (!service.ready) {",
        '    await once(service, "ready");',
        "  }",
        "}",
      ].join("\n"),
    },
  },
  mightApplyTypeScript: (source) => /\basync\b/.test(source) && /\b(?:while|for)\b/.test(source),
  checkTypeScript({ model, report }) {
    for (const site of model.loops) {
      if (model.contextOf(site.func) !== "async") continue;
      const loop = site.node;
      if (loopYields(loop)) continue;
      const condition = loopCondition(loop);
      const name = model.functionName(site.func);
      const where = name ? `async function \`${name}\`` : "an async function";
      const remedy = "await what it waits for (a promise, `events.once(emitter, name)`), or add `await new Promise(setImmediate)`";
      // Reported on the loop's first line (its keyword and condition), not its whole body.
      const end = condition && !ts.isDoStatement(loop) ? condition : (loop.getFirstToken() ?? loop);
      if (tsConstantTrue(condition)) {
        if (canExitLoop(loop.statement)) continue;
        report({
          node: loop,
          end,
          message: `This loop in ${where} never yields and never exits: no other task can run again; ${remedy}`,
          fixes: tsCheckpointFix(model.sourceFile, site),
        });
        continue;
      }
      const read = condition ? tsConditionReads(model, condition) : null;
      if (!read || loopChanges(model, loop, read) || canExitLoop(loop.statement)) continue;
      report({
        node: loop,
        end,
        message:
          `This loop in ${where} polls \`${condition?.getText()}\` without yielding: nothing in the loop changes it and no ` +
          `other task can run to do so, so it never ends; ${remedy}`,
        fixes: tsCheckpointFix(model.sourceFile, site),
      });
    }
  },
  mightApply: (source, options) => /\bwhile\b/.test(source) && (mayHaveAsyncContext(source, options) || mayHaveGreenletContext(source)),
  checkPython({ model, report }) {
    let patched: boolean | null = null;
    for (const site of model.whileLoops) {
      const context = model.contextOf(site.func);
      if (context === "sync") continue;
      const condition = site.node.childForFieldName("condition");
      const body = site.node.childForFieldName("body");
      if (!condition || !body) continue;
      patched ??= model.patchesStdlib();
      if (hasCheckpoint(model, condition, site.scope, context, patched) || hasCheckpoint(model, body, site.scope, context, patched)) continue;
      const where = context === "greenlet" ? `greenlet \`${site.func?.name}\`` : `coroutine \`${site.func?.name}\``;
      const remedy =
        context === "greenlet"
          ? "call `gevent.sleep(0)` in the loop or wait on a `gevent.event.Event`"
          : "await the condition instead (an `asyncio.Event`), or add `await asyncio.sleep(0)`";
      if (isConstantTrue(condition)) {
        if (canExit(body)) continue;
        report({
          node: site.node,
          end: condition,
          message: `This \`while ${condition.text}\` loop in ${where} never yields and never exits: no other task can run again; ${remedy}`,
          fixes: pythonCheckpointFix(model, site, context, body),
        });
        continue;
      }
      const read = conditionReads(model, condition, site.scope);
      if (!read || bodyChanges(model, body, site.scope, read.reads, read.plain)) continue;
      if (canExit(body)) continue;
      report({
        node: site.node,
        end: condition,
        message:
          `This loop in ${where} polls \`${condition.text}\` without yielding: nothing in the loop changes it and no ` +
          `other task can run to do so, so it never ends; ${remedy}`,
        fixes: pythonCheckpointFix(model, site, context, body),
      });
    }
  },
};
