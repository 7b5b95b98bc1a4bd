import { ts } from "ts-morph";
import { skipOuterExpressions, type TypeScriptModel } from "./model";

/**
 * Floating promises: an expression statement whose value is a promise that nobody awaits, returns or
 * handles. With the type checker any promise-typed (thenable) value counts, whatever module made it;
 * without it, what the file itself shows: its async functions, async IIFEs, and Node's promise APIs.
 */

/** Promise-returning Node and web APIs, for analyses without the type checker. */
const promiseApis = /^(?:fs\.promises|fs\/promises|dns\/promises|dns\.promises|timers\/promises|stream\/promises|readline\/promises)\.\w+$|^fetch$|^Promise\.(?:all|allSettled|any|race|resolve|reject|try)$/;

/** The unhandled promise an expression statement leaves behind, or null. */
export function floatingPromise(model: TypeScriptModel, statement: ts.ExpressionStatement): ts.CallExpression | ts.NewExpression | null {
  const expression = skipOuterExpressions(statement.expression);
  if (!ts.isCallExpression(expression) && !ts.isNewExpression(expression)) return null;
  if (ts.isCallExpression(expression) && (isHandled(expression) || returnsItsArgument(model, expression))) return null;
  return isPromiseValued(model, expression) ? expression : null;
}

/**
 * `Object.defineProperty(Promise.prototype, ...)` and the like return the object they were given:
 * no new promise comes into being.
 */
function returnsItsArgument(model: TypeScriptModel, call: ts.CallExpression): boolean {
  const name = model.qualifiedName(call.expression);
  return name !== null && /^Object\.(?:defineProperty|defineProperties|assign|freeze|seal|preventExtensions|setPrototypeOf)$/.test(name);
}

/** `.catch(handler)`, `.then(onFulfilled, onRejected)`, or `.finally(...)` after either. */
function isHandled(call: ts.CallExpression): boolean {
  const callee = skipOuterExpressions(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return false;
  switch (callee.name.text) {
    case "catch":
      return call.arguments.length >= 1;
    case "then":
      return call.arguments.length >= 2;
    case "finally": {
      const object = skipOuterExpressions(callee.expression);
      return ts.isCallExpression(object) && isHandled(object);
    }
    default:
      return false;
  }
}

function isPromiseValued(model: TypeScriptModel, expression: ts.Expression): boolean {
  const checker = model.checker;
  if (checker) return isThenableType(checker, checker.getTypeAtLocation(expression), expression);
  return looksLikePromise(model, expression);
}

/** A type with a callable `then` (all members of a union must be thenable: `Promise<T> | undefined` is not certain). */
function isThenableType(checker: ts.TypeChecker, type: ts.Type, at: ts.Node): boolean {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never)) return false;
  if (type.isUnion()) return type.types.some((member) => isThenableType(checker, member, at));
  const then = checker.getPropertyOfType(type, "then");
  if (!then) return false;
  return checker.getTypeOfSymbolAtLocation(then, at).getCallSignatures().length > 0;
}

function isAsyncFunction(node: ts.Node | null | undefined): boolean {
  if (!node) return false;
  if (ts.isVariableDeclaration(node)) return isAsyncFunction(node.initializer ? skipOuterExpressions(node.initializer) : null);
  if (!ts.isFunctionDeclaration(node) && !ts.isFunctionExpression(node) && !ts.isArrowFunction(node) && !ts.isMethodDeclaration(node)) return false;
  return (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Async) !== 0;
}

/** Without types: a call of this file's async functions or methods, an async IIFE, a known promise API. */
function looksLikePromise(model: TypeScriptModel, expression: ts.Expression): boolean {
  const node = skipOuterExpressions(expression);
  if (ts.isNewExpression(node)) return model.qualifiedName(node.expression) === "Promise";
  if (!ts.isCallExpression(node)) return false;
  const callee = skipOuterExpressions(node.expression);
  if (ts.isArrowFunction(callee) || ts.isFunctionExpression(callee)) return isAsyncFunction(callee);
  if (ts.isIdentifier(callee)) {
    if (isAsyncFunction(model.localDeclaration(callee))) return true;
  } else if (ts.isPropertyAccessExpression(callee)) {
    const method = callee.name.text;
    if ((method === "then" || method === "catch" || method === "finally") && looksLikePromise(model, callee.expression)) return true;
    if (callee.expression.kind === ts.SyntaxKind.ThisKeyword) {
      const owner = ts.findAncestor(node, ts.isClassLike);
      const member = owner?.members.find((m) => ts.isMethodDeclaration(m) && m.name.getText() === method);
      if (isAsyncFunction(member)) return true;
    }
  }
  const name = model.qualifiedName(callee);
  return name !== null && promiseApis.test(name);
}
