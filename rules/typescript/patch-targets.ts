import type { ts as TS } from "ts-morph";
import { ts } from "./ts-runtime";
import { skipOuterExpressions, type TypeScriptModel } from "./model";
import { builtinConstructors, builtinGlobals, globalObjects, nodeBuiltinModules } from "./node-apis";

/** What replacing a member patches for the whole process. */
export interface PatchTarget {
  kind: "prototype" | "global" | "module";
  /** How a message names it: `Promise.prototype.then`, `globalThis.fetch`, `fs.readFile`. */
  name: string;
}

/**
 * What assigning `object[member]` patches: a member of a built-in prototype, a built-in global through
 * `globalThis`/`global`/`window`/`self`, or a member of a Node built-in module. Null for anything
 * else (own classes, own objects, `module.exports`). `member` is null when computed.
 */
export function patchTarget(model: TypeScriptModel, object: TS.Expression, member: string | null): PatchTarget | null {
  const shown = member ?? "*";
  const objectName = model.qualifiedName(object);
  if (objectName !== null) {
    if (objectName.endsWith(".prototype") && builtinConstructors.has(objectName.slice(0, -".prototype".length))) {
      return { kind: "prototype", name: `${objectName}.${shown}` };
    }
    if (member === "prototype" && builtinConstructors.has(objectName)) return { kind: "prototype", name: `${objectName}.prototype` };
    if (globalObjects.has(objectName) && member !== null && builtinGlobals.has(member)) {
      return { kind: "global", name: `${objectName}.${member}` };
    }
  }
  const imported = model.importedName(object);
  if (imported !== null && nodeBuiltinModules.has(imported.split(".")[0])) return { kind: "module", name: `${imported}.${shown}` };
  return null;
}

/** The member an assignment target names: `b` in `a.b` and `a["b"]`; null when computed. */
export function memberName(target: TS.PropertyAccessExpression | TS.ElementAccessExpression): string | null {
  if (ts.isPropertyAccessExpression(target)) return target.name.text;
  return ts.isStringLiteralLike(target.argumentExpression) ? target.argumentExpression.text : null;
}

/** The patch an assignment makes (`Promise.prototype.then = f`, `fs.readFile = f`), if any. */
export function assignmentPatch(model: TypeScriptModel, assignment: TS.BinaryExpression): PatchTarget | null {
  const target = skipOuterExpressions(assignment.left);
  if (!ts.isPropertyAccessExpression(target) && !ts.isElementAccessExpression(target)) return null;
  return patchTarget(model, target.expression, memberName(target));
}

/** Property names an object literal sets; null for spreads and computed names (could be anything). */
function literalKeys(expression: TS.Expression): (string | null)[] {
  const node = skipOuterExpressions(expression);
  if (!ts.isObjectLiteralExpression(node)) return [null];
  return node.properties.map((property) => {
    const name = property.name;
    if (!name) return null;
    return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : null;
  });
}

/**
 * The patch a call makes through `Object.defineProperty(target, "name", …)`,
 * `Object.defineProperties(target, {…})`, `Object.assign(target, {…})` or `Reflect.set/defineProperty`.
 */
export function callPatch(model: TypeScriptModel, call: TS.CallExpression): PatchTarget | null {
  const callee = model.qualifiedName(call.expression);
  const [target, ...rest] = call.arguments;
  if (!target || rest.length === 0) return null;
  let members: (string | null)[];
  switch (callee) {
    case "Object.defineProperty":
    case "Reflect.defineProperty":
    case "Reflect.set":
      members = [ts.isStringLiteralLike(rest[0]) ? rest[0].text : null];
      break;
    case "Object.defineProperties":
      members = literalKeys(rest[0]);
      break;
    case "Object.assign":
      members = rest.flatMap(literalKeys);
      break;
    default:
      return null;
  }
  for (const member of members) {
    const patch = patchTarget(model, target, member);
    if (patch) return patch;
  }
  return null;
}
