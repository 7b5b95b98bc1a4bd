import type { ts as TS } from "ts-morph";
import { ts } from "./ts-runtime";
import { skipOuterExpressions, type TypeScriptModel } from "./model";
import { blockingNodeCall } from "./node-apis";

/**
 * Questions the non-yielding-loop rule asks of TypeScript and JavaScript loops: does the loop ever
 * give the event loop a turn, can it end, and can anything inside it change what its condition reads.
 */

function isNestedFunction(node: TS.Node): boolean {
  return ts.isFunctionLike(node) || ts.isClassLike(node);
}

/** Visits `node`'s descendants that run as part of the same function (not nested functions or classes). */
function someInSameFunction(node: TS.Node, test: (node: TS.Node) => boolean): boolean {
  const visit = (child: TS.Node): boolean => {
    if (isNestedFunction(child)) return false;
    return test(child) || (ts.forEachChild(child, visit) ?? false);
  };
  return ts.forEachChild(node, visit) ?? false;
}

/** Whether the loop gives other tasks a turn: `await`, `for await`, or `yield` (async generators). */
export function loopYields(loop: TS.IterationStatement): boolean {
  return someInSameFunction(
    loop,
    (node) => ts.isAwaitExpression(node) || ts.isYieldExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier !== undefined),
  );
}

/** The loop's condition, or null for `for (;;)`. */
export function loopCondition(loop: TS.WhileStatement | TS.DoStatement | TS.ForStatement): TS.Expression | null {
  return ts.isForStatement(loop) ? (loop.condition ?? null) : loop.expression;
}

/** A condition that can never become false: absent, `true`, a non-zero number, a non-empty string. */
export function isConstantTrue(condition: TS.Expression | null): boolean {
  if (condition === null) return true;
  const node = skipOuterExpressions(condition);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (ts.isNumericLiteral(node)) return Number(node.text) !== 0;
  if (ts.isStringLiteralLike(node)) return node.text.length > 0;
  return false;
}

/**
 * Whether the body can leave the loop: a `break` that ends this loop (not one inside a nested loop
 * or `switch`; a labelled `break` or `continue` to an outer label counts), `return` or `throw`.
 */
export function canExitLoop(body: TS.Statement): boolean {
  const visit = (node: TS.Node, nestedBreakable: boolean): boolean => {
    if (isNestedFunction(node)) return false;
    if (ts.isReturnStatement(node) || ts.isThrowStatement(node)) return true;
    if (ts.isBreakStatement(node)) return node.label !== undefined || !nestedBreakable;
    if (ts.isContinueStatement(node) && node.label !== undefined) return true;
    const breakable = nestedBreakable || ts.isIterationStatement(node, false) || ts.isSwitchStatement(node);
    return ts.forEachChild(node, (child) => visit(child, breakable)) ?? false;
  };
  return visit(body, false);
}

/** The object a reference starts from: `a` in `a.b[0].c`, `this` in `this.ready`. */
function rootName(node: TS.Node): string | null {
  let current: TS.Node = node;
  for (;;) {
    if (ts.isIdentifier(current)) return current.text;
    if (current.kind === ts.SyntaxKind.ThisKeyword) return "this";
    if (ts.isPropertyAccessExpression(current) || ts.isElementAccessExpression(current) || ts.isNonNullExpression(current) || ts.isParenthesizedExpression(current)) {
      current = current.expression;
    } else if (ts.isCallExpression(current)) {
      current = current.expression;
    } else {
      return null;
    }
  }
}

/**
 * The access path of a reference: `this.state.ready`, `queue.length`; a computed index stands for its
 * whole object (`items[i]` is `items`). Null for anything that is not a reference.
 */
function pathOf(node: TS.Node): string | null {
  if (ts.isIdentifier(node)) return node.text;
  if (node.kind === ts.SyntaxKind.ThisKeyword) return "this";
  if (ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node)) return pathOf(node.expression);
  if (ts.isPropertyAccessExpression(node)) {
    const base = pathOf(node.expression);
    return base === null ? null : `${base}.${node.name.text}`;
  }
  if (ts.isElementAccessExpression(node)) {
    const base = pathOf(node.expression);
    if (base === null) return null;
    return ts.isStringLiteralLike(node.argumentExpression) ? `${base}.${node.argumentExpression.text}` : base;
  }
  return null;
}

/** Whether changing `changed` may change what reading `read` gives: one path contains the other. */
function overlaps(changed: string, read: string): boolean {
  return changed === read || read.startsWith(`${changed}.`) || changed.startsWith(`${read}.`);
}

/** The receiver of `obj.method()` when `obj` is a value (not a module or a global namespace). */
function methodReceiver(model: TypeScriptModel, call: TS.CallExpression): TS.Expression | null {
  const callee = skipOuterExpressions(call.expression);
  if (!ts.isPropertyAccessExpression(callee) && !ts.isElementAccessExpression(callee)) return null;
  const receiver = callee.expression;
  const root = rootName(receiver);
  if (root === "this") return receiver;
  if (root === null) return null;
  const rootNode = leftmost(receiver);
  // Bound to something in the file (a local, a parameter): a value whose state the call may change.
  return rootNode && ts.isIdentifier(rootNode) && model.localDeclaration(rootNode) ? receiver : null;
}

function leftmost(node: TS.Node): TS.Node | null {
  let current: TS.Node = node;
  while (ts.isPropertyAccessExpression(current) || ts.isElementAccessExpression(current) || ts.isCallExpression(current) || ts.isNonNullExpression(current) || ts.isParenthesizedExpression(current)) {
    current = current.expression;
  }
  return current;
}

/** What a condition reads: the access paths in it (`this.ready`, `queue.length`, `done`). */
export interface ConditionReads {
  reads: Set<string>;
  /** Names read as bare values (`while (!done)`), as opposed to objects whose members are read. */
  plain: Set<string>;
}

/**
 * The names and objects a condition reads, or null when it calls something whose result may change
 * by itself (`Date.now()`, `check()`): then the loop may end and is not a certain hang.
 */
export function conditionReads(model: TypeScriptModel, condition: TS.Expression): ConditionReads | null {
  const reads = new Set<string>();
  const plain = new Set<string>();
  let unknown = false;
  const visit = (node: TS.Node): void => {
    if (unknown) return;
    if (ts.isCallExpression(node)) {
      const receiver = methodReceiver(model, node);
      const path = receiver ? pathOf(receiver) : null;
      if (!path) {
        unknown = true;
        return;
      }
      reads.add(path);
      node.arguments.forEach(visit);
      return;
    }
    if (ts.isIdentifier(node)) {
      // Imports and globals (`undefined`) are not rebound by the loop; locals may be.
      if (model.localDeclaration(node)) {
        reads.add(node.text);
        plain.add(node.text);
      }
      return;
    }
    if (node.kind === ts.SyntaxKind.ThisKeyword) {
      reads.add("this");
      return;
    }
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const path = pathOf(node);
      if (path) reads.add(path);
      else unknown = true;
      if (ts.isElementAccessExpression(node)) visit(node.argumentExpression);
      return;
    }
    if (ts.isAwaitExpression(node) || isNestedFunction(node) || ts.isNewExpression(node) || ts.isTaggedTemplateExpression(node)) {
      unknown = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(condition);
  return unknown || reads.size === 0 ? null : { reads, plain };
}

/** Calls that only read values or write output, and methods that change only their own receiver. */
const pureGlobals = /^(console|Math|JSON|Number|String|Boolean|Object\.(keys|values|entries)|Array\.isArray|parseInt|parseFloat|isNaN|isFinite)\b/;
const pureMethods = new Set(["push", "pop", "sort", "reverse", "fill", "at", "flat", "flatMap", "findIndex", "lastIndexOf", "padStart", "padEnd", "trimStart", "trimEnd", "clear", "shift", "unshift", "splice", "slice", "map", "filter", "forEach", "reduce", "join", "concat", "includes", "indexOf", "find", "some", "every", "toString", "toFixed", "trim", "split", "replace", "toLowerCase", "toUpperCase", "startsWith", "endsWith", "get", "has", "set", "add", "delete", "keys", "values", "entries", "log", "info", "warn", "error", "debug"]);

/**
 * Whether the loop (its body and, for `for`, the incrementor) assigns, updates or may mutate any of
 * the names the condition reads. An unknown call may change anything but a plain local of the
 * function the loop is in.
 */
export function loopChanges(model: TypeScriptModel, loop: TS.WhileStatement | TS.DoStatement | TS.ForStatement, read: ConditionReads): boolean {
  const { reads, plain } = read;
  const localReads = new Set([...plain].filter((name) => isPlainLocal(model, loop, name)));
  const changesRoot = (target: TS.Node): boolean => {
    if (ts.isObjectLiteralExpression(target) || ts.isArrayLiteralExpression(target)) {
      return (ts.forEachChild(target, (child) => (changesRoot(ts.isPropertyAssignment(child) ? child.initializer : child) ? true : undefined)) ?? false);
    }
    const path = pathOf(target);
    return path !== null && [...reads].some((r) => overlaps(path, r));
  };
  const test = (node: TS.Node): boolean => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      return changesRoot(node.left);
    }
    if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) {
      return changesRoot(node.operand);
    }
    if (ts.isDeleteExpression(node)) return changesRoot(node.expression);
    if ((ts.isForOfStatement(node) || ts.isForInStatement(node)) && !ts.isVariableDeclarationList(node.initializer)) return changesRoot(node.initializer);
    if (ts.isCallExpression(node)) return callMayChange(model, node, reads, localReads);
    return false;
  };
  const parts: TS.Node[] = [loop.statement];
  if (ts.isForStatement(loop) && loop.incrementor) parts.push(loop.incrementor);
  return parts.some((part) => test(part) || someInSameFunction(part, test));
}

function callMayChange(model: TypeScriptModel, call: TS.CallExpression, reads: Set<string>, localReads: Set<string>): boolean {
  const touches = (node: TS.Node) => {
    const path = pathOf(node);
    return path !== null && [...reads].some((r) => overlaps(path, r));
  };
  if (call.arguments.some(touches)) return true;
  const receiver = methodReceiver(model, call);
  if (receiver) {
    if (touches(receiver)) return true;
    const callee = skipOuterExpressions(call.expression);
    const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : "";
    if (pureMethods.has(method)) return false;
  } else {
    const name = model.qualifiedName(call.expression);
    if (name && (pureGlobals.test(name) || blockingNodeCall(name))) return false;
  }
  return [...reads].some((path) => !localReads.has(path));
}

/** Whether `name` is a parameter or `let`/`const`/`var` of the function the loop is directly in. */
function isPlainLocal(model: TypeScriptModel, loop: TS.Node, name: string): boolean {
  const func = model.enclosingFunction(loop);
  if (!func) return false;
  let found = false;
  const visit = (node: TS.Node): void => {
    if (found) return;
    if (ts.isIdentifier(node) && node.text === name) {
      const declaration = model.localDeclaration(node);
      if (declaration && model.enclosingFunction(declaration) === func && !ts.isFunctionDeclaration(declaration) && !ts.isClassDeclaration(declaration)) {
        found = true;
      }
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(loop);
  return found;
}
