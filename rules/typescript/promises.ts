import type { ts as TS } from "ts-morph";
import { ts } from "./ts-runtime";
import { skipOuterExpressions, type TypeScriptModel } from "./model";

/**
 * Floating promises: an expression statement whose value is a promise that nobody awaits, returns or
 * handles. With the type checker a value typed as the built-in `Promise` (or a type extending it)
 * counts, whatever module made it; without it, what the file itself shows: its async functions,
 * async IIFEs, and Node's promise APIs.
 */

/** Promise-returning Node and web APIs, for analyses without the type checker. */
const promiseApis = /^(?:fs\.promises|fs\/promises|dns\/promises|dns\.promises|timers\/promises|stream\/promises|readline\/promises)\.\w+$|^fetch$|^Promise\.(?:all|allSettled|any|race|resolve|reject|try)$/;

/** What an expression statement leaves floating: a promise, or an array of promises. */
export interface Floating {
  node: TS.Expression;
  kind: "promise" | "array";
}

/**
 * The unhandled promise an expression statement leaves behind, or null. Follows typescript-eslint's
 * `no-floating-promises` defaults: any statement whose value is a built-in `Promise` (or a type
 * extending it, or a union holding one), each branch of `?:`, `&&`, `||`, `??` and `,` on its own;
 * `void`, `.catch(handler)` and `.then(onFulfilled, onRejected)` handle it; an IIFE counts.
 */
export function floatingPromise(model: TypeScriptModel, statement: TS.ExpressionStatement): Floating | null {
  return floatingIn(model, statement.expression);
}

function floatingIn(model: TypeScriptModel, expression: TS.Expression): Floating | null {
  const node = skipOuterExpressions(expression);
  if (ts.isVoidExpression(node) || ts.isAwaitExpression(node)) return null;
  if (ts.isConditionalExpression(node)) return floatingIn(model, node.whenTrue) ?? floatingIn(model, node.whenFalse);
  if (ts.isBinaryExpression(node)) {
    const operator = node.operatorToken.kind;
    if (operator >= ts.SyntaxKind.FirstAssignment && operator <= ts.SyntaxKind.LastAssignment) return null;
    if (operator === ts.SyntaxKind.AmpersandAmpersandToken) return floatingIn(model, node.right);
    if (operator === ts.SyntaxKind.BarBarToken || operator === ts.SyntaxKind.QuestionQuestionToken || operator === ts.SyntaxKind.CommaToken) {
      return floatingIn(model, node.left) ?? floatingIn(model, node.right);
    }
    return null;
  }
  if (ts.isCallExpression(node) && (isHandled(model, node) || returnsItsArgument(model, node))) return null;
  const checker = model.checker;
  if (checker) {
    const type = checker.getTypeAtLocation(node);
    if (isPromiseType(checker, type)) return { node, kind: "promise" };
    return isPromiseArray(checker, type) ? { node, kind: "array" } : null;
  }
  // Without types only calls and `new Promise` tell what they make.
  return (ts.isCallExpression(node) || ts.isNewExpression(node)) && looksLikePromise(model, node) ? { node, kind: "promise" } : null;
}

/**
 * `Object.defineProperty(Promise.prototype, ...)` and the like return the object they were given:
 * no new promise comes into being.
 */
function returnsItsArgument(model: TypeScriptModel, call: TS.CallExpression): boolean {
  const name = model.qualifiedName(call.expression);
  return name !== null && /^Object\.(?:defineProperty|defineProperties|assign|freeze|seal|preventExtensions|setPrototypeOf)$/.test(name);
}

/** `.catch(handler)`, `.then(onFulfilled, onRejected)`, or `.finally(...)` after either. */
function isHandled(model: TypeScriptModel, call: TS.CallExpression): boolean {
  const callee = skipOuterExpressions(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return false;
  switch (callee.name.text) {
    case "catch":
      return isHandler(model, call.arguments[0]);
    case "then":
      return isHandler(model, call.arguments[1]);
    case "finally": {
      const object = skipOuterExpressions(callee.expression);
      return ts.isCallExpression(object) && isHandled(model, object);
    }
    default:
      return false;
  }
}

/** A rejection handler: a function or an untyped value (a spread, `undefined` or `null` handles nothing). */
function isHandler(model: TypeScriptModel, argument: TS.Expression | undefined): boolean {
  if (!argument || ts.isSpreadElement(argument)) return false;
  const checker = model.checker;
  if (checker) {
    const type = checker.getTypeAtLocation(argument);
    // An untyped handler (`any`) may well be a function.
    return (type.flags & ts.TypeFlags.Any) !== 0 || type.getCallSignatures().length > 0;
  }
  const node = skipOuterExpressions(argument);
  return node.kind !== ts.SyntaxKind.NullKeyword && !(ts.isIdentifier(node) && node.text === "undefined");
}

/** The built-in `Promise` (declared in TypeScript's lib files), a type extending it, or a union with one. */
function isPromiseType(checker: TS.TypeChecker, type: TS.Type): boolean {
  if (type.isUnion()) return type.types.some((member) => isPromiseType(checker, member));
  return isOrExtendsPromise(checker, type, 0);
}

function isOrExtendsPromise(checker: TS.TypeChecker, type: TS.Type, depth: number): boolean {
  if (depth > 8) return false;
  const symbol = type.getSymbol();
  if (symbol?.name === "Promise" && symbol.declarations?.some((d) => /[\\/]lib\.[\w.]*\.d\.ts$/.test(d.getSourceFile().fileName))) return true;
  const target = (type as TS.TypeReference).target ?? type;
  if (!(target.flags & ts.TypeFlags.Object) || !((target as TS.ObjectType).objectFlags & ts.ObjectFlags.ClassOrInterface)) return false;
  return (checker.getBaseTypes(target as TS.InterfaceType) ?? []).some((base) => isOrExtendsPromise(checker, base, depth + 1));
}

/** An array or tuple whose elements are promises (`items.map(async (item) => ...)`). */
function isPromiseArray(checker: TS.TypeChecker, type: TS.Type): boolean {
  if (type.isUnion()) return type.types.some((member) => isPromiseArray(checker, member));
  if (!checker.isArrayType(type) && !checker.isTupleType(type)) return false;
  return checker.getTypeArguments(type as TS.TypeReference).some((element) => isPromiseType(checker, element));
}

function isAsyncFunction(node: TS.Node | null | undefined): boolean {
  if (!node) return false;
  if (ts.isVariableDeclaration(node)) return isAsyncFunction(node.initializer ? skipOuterExpressions(node.initializer) : null);
  if (!ts.isFunctionDeclaration(node) && !ts.isFunctionExpression(node) && !ts.isArrowFunction(node) && !ts.isMethodDeclaration(node)) return false;
  return (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Async) !== 0;
}

/** Without types: a call of this file's async functions or methods, an async IIFE, a known promise API. */
function looksLikePromise(model: TypeScriptModel, expression: TS.Expression): boolean {
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
