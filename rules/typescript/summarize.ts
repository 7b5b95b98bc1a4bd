import { posix } from "node:path";
import type { ts as TS } from "ts-morph";
import { ts } from "./ts-runtime";
import { skipOuterExpressions, type TypeScriptModel } from "./model";
import { tsRange } from "./analyze";
import { blockingNodeCall } from "./node-apis";
import { isSyncXhrOpen } from "../catalogue/blocking-call";
import type { AnalysisOptions, Range } from "../types";
import type { CallTarget, DirectBlockingCall, FileSummary, FunctionSummary, OutgoingCall } from "../workspace/summary";
import { typescriptModuleKeys } from "../workspace/module-keys";

/**
 * The summary of one TypeScript or JavaScript file for `blocking-call-transitive` (see
 * rules/workspace/summary.ts): its functions with their direct blocking calls and the calls that may
 * reach workspace code, and the names it re-exports.
 *
 * Indexed, by id:
 * - module-level `function f` and `const f = (…) => …` / `function` expressions, exported or not: `f`;
 *   an anonymous `export default function` / `export default () => …`: `default`;
 * - methods of module-level classes, static or not, and arrow or function properties: `Class.m`
 *   (`default.m` for an anonymous default class);
 * - CommonJS: `module.exports = function …` (`default`), `exports.f = …` / `module.exports.f = …`, and
 *   the functions and methods of an object literal assigned to `module.exports`;
 * - async functions anywhere else (callbacks, nested functions, object methods): they are where
 *   findings are reported, under an id no call can name (`name@line:column`).
 * Sync generators are left out: calling one runs none of its body. A local function or class exported
 * under another name (`export default function f`, `export { f as g }`, `module.exports = { g: f }`)
 * is a re-export of the module's own member, so hops name it as it is defined.
 *
 * A function is async when it has the `async` keyword; any other function is sync, even one that
 * returns a promise: its body up to the first callback runs on the caller's turn, so a blocking call
 * there blocks the caller.
 *
 * Calls resolved: local functions, `this.m()` in the class that defines `m` (inside its methods and
 * the arrows in them), `Class.m()` on a module-level class, and members of modules imported through
 * relative specifiers (`import`, `import * as`, default imports, `require`, `import()`, aliases).
 * A module key is the imported path without its extension, so `./db`, `./db.js` and `./db/index.js`
 * name `db.ts` or `db/index.ts` (index files carry both keys). A non-relative specifier that the
 * project's tsconfig `paths` (or `baseUrl`) map to a source file of the workspace (`@app/db`) names
 * that file; other non-relative specifiers are packages, not workspace code. Unknown receivers
 * (`obj.m()`, `super.m()`) and `new` are not followed.
 *
 * Thread hand-offs: `new Worker(file)` (worker_threads) and worker pools take a file or a function
 * reference, never a call, so they form no edge; a call inside a callback belongs to the callback (a
 * nested function), not to the function that passes it on.
 *
 * Blocking calls are those `blocking-call` reports in TypeScript: `blockingNodeCall` and synchronous
 * `XMLHttpRequest`. Like that rule, `extra-blocking-calls` (Python names) is not applied here.
 */
export function summarizeTypeScript(model: TypeScriptModel, file: string, options: AnalysisOptions): FileSummary {
  void options; // Nothing configurable applies to TypeScript yet (see above).
  return new Summarizer(model, file.replace(/\\/g, "/")).summary();
}

/** A function the summary indexes, before its calls are read. */
interface Indexed {
  id: string;
  node: TS.FunctionLikeDeclaration;
  /** The name in the definition (or the function itself when anonymous). */
  nameNode: TS.Node;
}

/** A relative module a name in this file comes from, and the member path inside it. */
type ModuleTarget = Extract<CallTarget, { kind: "module" }>;

/** Extensions an import specifier may carry; a module key has none. */
const sourceExtension = /\.(?:[cm]?[jt]s|[jt]sx)$/;

/** `./db`, `../lib/db.js`, `.`: workspace code. Anything else is a package, unless tsconfig `paths` map it. */
function isRelative(specifier: string): boolean {
  return specifier === "." || specifier === ".." || specifier.startsWith("./") || specifier.startsWith("../");
}

class Summarizer {
  private readonly sourceFile: TS.SourceFile;
  private readonly indexed: Indexed[] = [];
  private readonly ids = new Set<string>();
  /** Module-level declarations (functions, variables, classes) and the id or class name they define. */
  private readonly localIds = new Map<TS.Node, string>();
  /** Module-level classes by declaration, with the name their method ids start with. */
  private readonly classNames = new Map<TS.Node, string>();
  /** Relative specifiers this file names, longest first (to split `./db.js.load` at the right dot). */
  private readonly specifiers: string[];
  /** Module-level default imports of relative modules: local name → specifier. */
  private readonly defaultImports = new Map<string, string>();
  private readonly reexports: FileSummary["reexports"] = [];
  /** The key this file's own re-exports go through (`export { f as g }`). */
  private readonly ownKey: string;
  /** Non-relative specifiers looked up through tsconfig `paths`: the file they name, or null (a package). */
  private readonly aliases = new Map<string, string | null>();

  constructor(
    private readonly model: TypeScriptModel,
    private readonly file: string,
  ) {
    this.sourceFile = model.sourceFile;
    this.specifiers = this.collectSpecifiers();
    this.ownKey = typescriptModuleKeys(this.file)[0];
  }

  summary(): FileSummary {
    this.collectDefinitions();
    this.collectExports();
    this.collectNestedAsync();
    // Each function's own calls, in one pass (not one pass over every call per function).
    const callsOf = new Map<TS.Node, TS.CallExpression[]>();
    for (const site of this.model.calls) {
      if (!site.func) continue;
      const list = callsOf.get(site.func) ?? [];
      list.push(site.node);
      callsOf.set(site.func, list);
    }
    const functions = this.indexed.map((entry) => this.summarizeFunction(entry, callsOf.get(entry.node) ?? []));
    return {
      file: this.file,
      language: "typescript",
      moduleKeys: typescriptModuleKeys(this.file),
      functions,
      reexports: this.reexports,
    };
  }

  // --- What the file defines -------------------------------------------------------------------

  private add(id: string, node: TS.FunctionLikeDeclaration, nameNode: TS.Node): void {
    if (this.ids.has(id) || !node.body) return;
    // A sync generator's body runs on `next()`, not on the call.
    if (node.asteriskToken && this.model.contextOf(node) !== "async") return;
    this.ids.add(id);
    this.indexed.push({ id, node, nameNode });
  }

  private collectDefinitions(): void {
    for (const statement of this.sourceFile.statements) {
      if (ts.isFunctionDeclaration(statement)) {
        const isDefault = hasModifier(statement, ts.SyntaxKind.DefaultKeyword);
        const id = statement.name?.text ?? (isDefault ? "default" : null);
        if (!id) continue;
        this.localIds.set(statement, id);
        this.add(id, statement, statement.name ?? statement);
        if (isDefault && statement.name) this.exportOwn("default", id);
      } else if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (!ts.isIdentifier(declaration.name)) continue;
          const value = declaration.initializer ? skipOuterExpressions(declaration.initializer) : null;
          if (value && isFunctionValue(value)) {
            this.localIds.set(declaration, declaration.name.text);
            this.add(declaration.name.text, value, declaration.name);
          } else if (value && ts.isClassExpression(value)) {
            this.addClass(declaration, value, declaration.name.text);
          }
        }
      } else if (ts.isClassDeclaration(statement)) {
        const isDefault = hasModifier(statement, ts.SyntaxKind.DefaultKeyword);
        const name = statement.name?.text ?? (isDefault ? "default" : null);
        if (!name) continue;
        this.addClass(statement, statement, name);
        if (isDefault && statement.name) this.exportOwn("default", name);
      } else if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
        // `export default () => …` / `export default function () {}` as an expression.
        const value = skipOuterExpressions(statement.expression);
        if (isFunctionValue(value)) this.add("default", value, statement);
        else if (ts.isClassExpression(value)) this.addClassMethods(value, "default");
      } else if (ts.isExpressionStatement(statement)) {
        this.collectCommonJsDefinition(statement.expression);
      }
    }
  }

  private addClass(declaration: TS.Node, node: TS.ClassLikeDeclaration, name: string): void {
    this.localIds.set(declaration, name);
    this.classNames.set(node, name);
    if (declaration !== node) this.classNames.set(declaration, name);
    this.addClassMethods(node, name);
  }

  private addClassMethods(node: TS.ClassLikeDeclaration, className: string): void {
    for (const member of node.members) {
      const name = member.name ? memberName(member.name) : null;
      if (name === null) continue;
      if (ts.isMethodDeclaration(member)) {
        this.add(`${className}.${name}`, member, member.name!);
      } else if (ts.isPropertyDeclaration(member) && member.initializer) {
        const value = skipOuterExpressions(member.initializer);
        if (isFunctionValue(value)) this.add(`${className}.${name}`, value, member.name);
      }
    }
  }

  /** `module.exports = function …`, `exports.f = …`, `module.exports = { f() {}, g: () => … }`. */
  private collectCommonJsDefinition(expression: TS.Expression): void {
    if (!ts.isBinaryExpression(expression) || expression.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return;
    const target = commonJsExportName(expression.left);
    if (target === null) return;
    const value = skipOuterExpressions(expression.right);
    if (isFunctionValue(value)) {
      this.add(target, value, expression.left);
    } else if (target === "default" && ts.isObjectLiteralExpression(value)) {
      for (const property of value.properties) {
        const name = property.name ? memberName(property.name) : null;
        if (name === null) continue;
        if (ts.isMethodDeclaration(property)) this.add(name, property, property.name);
        else if (ts.isPropertyAssignment(property) && isFunctionValue(skipOuterExpressions(property.initializer))) {
          this.add(name, skipOuterExpressions(property.initializer) as TS.FunctionLikeDeclaration, property.name);
        }
      }
    }
  }

  /** Async functions not indexed by name: where the rule looks for calls to report. */
  private collectNestedAsync(): void {
    const known = new Set<TS.Node>(this.indexed.map((entry) => entry.node));
    for (const site of this.model.calls) {
      const func = site.func;
      if (!func || known.has(func) || this.model.contextOf(func) !== "async") continue;
      known.add(func);
      const name = this.model.functionName(func) ?? "<anonymous>";
      const start = this.sourceFile.getLineAndCharacterOfPosition(func.getStart(this.sourceFile));
      this.add(`${name}@${start.line + 1}:${start.character + 1}`, func, func.name ?? func);
    }
  }

  // --- What the file exports ---------------------------------------------------------------------

  private collectExports(): void {
    for (const statement of this.sourceFile.statements) {
      if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
        this.collectExportDeclaration(statement);
      } else if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
        this.exportName(statement.expression, "default");
      } else if (ts.isExpressionStatement(statement)) {
        const expression = statement.expression;
        if (!ts.isBinaryExpression(expression) || expression.operatorToken.kind !== ts.SyntaxKind.EqualsToken) continue;
        const target = commonJsExportName(expression.left);
        if (target === null) continue;
        const value = skipOuterExpressions(expression.right);
        if (target === "default" && ts.isObjectLiteralExpression(value)) {
          // `module.exports = { load, fetch: load, ...require("./db") }`
          for (const property of value.properties) {
            if (ts.isShorthandPropertyAssignment(property)) this.exportName(property.name, property.name.text);
            else if (ts.isPropertyAssignment(property) && memberName(property.name) !== null) this.exportName(property.initializer, memberName(property.name)!);
            else if (ts.isSpreadAssignment(property)) this.exportStar(property.expression);
          }
        } else if (target === "default" && this.requiredTarget(value)?.path.length === 0) {
          // `module.exports = require("./db")`: everything of that module.
          this.exportStar(value);
        } else {
          this.exportName(value, target);
        }
      }
    }
  }

  private collectExportDeclaration(statement: TS.ExportDeclaration): void {
    const specifier = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : null;
    const clause = statement.exportClause;
    if (specifier !== null) {
      if (!this.isWorkspaceSpecifier(specifier)) return;
      const module = this.moduleKey(specifier);
      if (!clause) this.reexports.push({ name: "*", target: { kind: "module", module, path: [] } });
      else if (ts.isNamespaceExport(clause)) this.reexports.push({ name: clause.name.text, target: { kind: "module", module, path: [] } });
      else {
        for (const element of clause.elements) {
          if (element.isTypeOnly) continue;
          const imported = (element.propertyName ?? element.name).text;
          this.reexports.push({ name: element.name.text, target: { kind: "module", module, path: [imported] } });
        }
      }
    } else if (clause && ts.isNamedExports(clause)) {
      // `export { load }`, `export { load as fetch }`: of a local or of an imported name.
      for (const element of clause.elements) {
        if (element.isTypeOnly) continue;
        const local = element.propertyName ?? element.name;
        if (ts.isIdentifier(local)) this.exportName(local, element.name.text);
      }
    }
  }

  /** `export default x`, `export { x as name }`, `exports.name = x`: an imported or local name exported. */
  private exportName(expression: TS.Expression | TS.ModuleExportName, name: string): void {
    if (!ts.isIdentifier(expression) && !ts.isPropertyAccessExpression(expression)) return;
    const imported = this.moduleTarget(expression);
    if (imported) {
      this.reexports.push({ name, target: imported });
      return;
    }
    if (!ts.isIdentifier(expression)) return;
    const declaration = this.model.localDeclaration(expression);
    const localId = declaration ? this.localIds.get(declaration) : undefined;
    if (localId !== undefined && localId !== name) this.exportOwn(name, localId);
  }

  /** A local function or class exported as `name`: calls through `name` resolve to its definition. */
  private exportOwn(name: string, localId: string): void {
    this.reexports.push({ name, target: { kind: "module", module: this.ownKey, path: [localId] } });
  }

  private exportStar(expression: TS.Expression): void {
    const target = this.requiredTarget(skipOuterExpressions(expression));
    if (target && target.path.length === 0) this.reexports.push({ name: "*", target });
  }

  /** A `require` or dynamic `import` of a relative module ("./db"), as a target with an empty path. */
  private requiredTarget(expression: TS.Expression): ModuleTarget | null {
    const name = this.model.importedName(expression);
    return name !== null && this.isWorkspaceSpecifier(name) ? { kind: "module", module: this.moduleKey(name), path: [] } : null;
  }

  // --- Functions' bodies ---------------------------------------------------------------------------

  private summarizeFunction(entry: Indexed, ownCalls: readonly TS.CallExpression[]): FunctionSummary {
    const blocking: DirectBlockingCall[] = [];
    const calls: OutgoingCall[] = [];
    for (const call of ownCalls) {
      const callee = this.blockingCallee(call);
      if (callee !== null) {
        blocking.push({ callee, range: this.range(call) });
        continue;
      }
      const target = this.callTarget(call);
      if (target) calls.push({ target, range: this.range(call), text: call.expression.getText(this.sourceFile).replace(/\s+/g, "") });
    }
    return { id: entry.id, async: this.model.contextOf(entry.node) === "async", range: this.nameRange(entry.nameNode), blocking, calls };
  }

  /** The blocking call's name as `blocking-call` reports it, or null. */
  private blockingCallee(call: TS.CallExpression): string | null {
    const qualified = this.model.qualifiedName(call.expression);
    const blocking = qualified ? blockingNodeCall(qualified) : null;
    if (blocking) return blocking.name;
    return isSyncXhrOpen(this.model, call) ? "XMLHttpRequest.open" : null;
  }

  private callTarget(call: TS.CallExpression): CallTarget | null {
    const callee = skipOuterExpressions(call.expression);
    const imported = this.moduleTarget(callee);
    if (imported) {
      // Calling a module object itself (`const load = require("./db"); load()`) calls its default export.
      return imported.path.length === 0 ? { ...imported, path: ["default"] } : imported;
    }
    if (ts.isIdentifier(callee)) {
      const id = this.localFunctionId(callee, 0);
      return id !== null ? { kind: "local", id } : null;
    }
    if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.name)) return null;
    const method = callee.name.text;
    const receiver = skipOuterExpressions(callee.expression);
    let className: string | null = null;
    if (receiver.kind === ts.SyntaxKind.ThisKeyword) {
      className = this.thisClass(call);
    } else if (ts.isIdentifier(receiver)) {
      const declaration = this.model.localDeclaration(receiver);
      className = declaration ? (this.classNames.get(declaration) ?? null) : null;
    }
    const id = className !== null ? `${className}.${method}` : null;
    return id !== null && this.ids.has(id) ? { kind: "local", id } : null;
  }

  /** The id of the module-level function a name calls, through `const f = g` aliases. */
  private localFunctionId(identifier: TS.Identifier, depth: number): string | null {
    const declaration = this.model.localDeclaration(identifier);
    if (!declaration) return null;
    const id = this.localIds.get(declaration);
    if (id !== undefined) return this.ids.has(id) ? id : null;
    if (depth < 8 && ts.isVariableDeclaration(declaration) && declaration.initializer && isConstDeclaration(declaration)) {
      const value = skipOuterExpressions(declaration.initializer);
      if (ts.isIdentifier(value)) return this.localFunctionId(value, depth + 1);
    }
    return null;
  }

  /** The module-level class `this` stands for at a call: the class of the method (or field) it is in. */
  private thisClass(node: TS.Node): string | null {
    for (let current = node.parent; current; current = current.parent) {
      // Arrows keep the `this` of where they are written.
      if (ts.isArrowFunction(current)) continue;
      if (ts.isClassLike(current)) return this.classNames.get(current) ?? null;
      if (ts.isFunctionDeclaration(current) || ts.isFunctionExpression(current)) return null;
      const isMember = ts.isMethodDeclaration(current) || ts.isPropertyDeclaration(current) || ts.isConstructorDeclaration(current) ||
        ts.isGetAccessorDeclaration(current) || ts.isSetAccessorDeclaration(current) || ts.isClassStaticBlockDeclaration(current);
      if (isMember) return ts.isClassLike(current.parent) ? (this.classNames.get(current.parent) ?? null) : null;
    }
    return null;
  }

  // --- Modules -------------------------------------------------------------------------------------

  /**
   * The relative module and member path an expression names through an import or `require`:
   * `db.load` after `import * as db from "./db"` is `["load"]` of `./db`, `load` after
   * `import load from "./db"` is `["default"]`. Null for locals, globals and packages.
   */
  private moduleTarget(expression: TS.Expression): ModuleTarget | null {
    const qualified = this.model.importedName(expression);
    if (qualified === null) return null;
    const specifier = this.specifiers.find((s) => qualified === s || qualified.startsWith(`${s}.`));
    if (specifier === undefined) return null;
    const rest = qualified === specifier ? [] : qualified.slice(specifier.length + 1).split(".");
    // The model names a default import by its module, like a namespace: tell them apart here.
    let root: TS.Expression = skipOuterExpressions(expression);
    while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = skipOuterExpressions(root.expression);
    const isDefault = ts.isIdentifier(root) && this.defaultImports.get(root.text) === specifier && this.model.importedName(root) === specifier;
    return { kind: "module", module: this.moduleKey(specifier), path: isDefault ? ["default", ...rest] : rest };
  }

  /** Every relative specifier of the file's imports, re-exports, `require` and `import()`. */
  private collectSpecifiers(): string[] {
    const found = new Set<string>();
    for (const statement of this.sourceFile.statements) {
      const specifier = (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
        ? statement.moduleSpecifier.text
        : null;
      if (specifier !== null && this.isWorkspaceSpecifier(specifier)) {
        found.add(specifier);
        const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined;
        if (clause?.name && !clause.isTypeOnly) this.defaultImports.set(clause.name.text, specifier);
      }
      if (ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference)) {
        const expression = statement.moduleReference.expression;
        if (ts.isStringLiteral(expression) && this.isWorkspaceSpecifier(expression.text)) found.add(expression.text);
      }
    }
    for (const site of this.model.calls) {
      const argument = site.node.arguments[0];
      const isLoad = (ts.isIdentifier(site.node.expression) && site.node.expression.text === "require") || site.node.expression.kind === ts.SyntaxKind.ImportKeyword;
      if (isLoad && argument && ts.isStringLiteralLike(argument) && this.isWorkspaceSpecifier(argument.text)) found.add(argument.text);
    }
    return [...found].sort((a, b) => b.length - a.length);
  }

  /**
   * Whether a specifier names a file of the workspace: a relative one, or one the project's tsconfig
   * `paths` (or `baseUrl`) map to a source file (not a package's).
   */
  private isWorkspaceSpecifier(specifier: string): boolean {
    if (isRelative(specifier)) return true;
    if (!this.model.resolveModule) return false;
    let resolved = this.aliases.get(specifier);
    if (resolved === undefined) {
      resolved = this.model.resolveModule(specifier);
      this.aliases.set(specifier, resolved);
    }
    return resolved !== null;
  }

  /**
   * `./db.js` from `/src/api/index.ts` → `/src/api/db`: the imported file's path without extension;
   * `@app/db` mapped by tsconfig `paths` to `/src/db.ts` → `/src/db`.
   */
  private moduleKey(specifier: string): string {
    const aliased = isRelative(specifier) ? null : this.aliases.get(specifier);
    if (aliased) return aliased.replace(sourceExtension, "");
    const joined = posix.normalize(posix.join(posix.dirname(this.file), specifier)).replace(/\/+$/, "");
    return joined.replace(sourceExtension, "");
  }

  private range(node: TS.Node): Range {
    return tsRange(this.sourceFile, node);
  }

  /** A name's range; for an anonymous function (or `export default …`), its first token's. */
  private nameRange(node: TS.Node): Range {
    const isName = ts.isIdentifier(node) || ts.isPrivateIdentifier(node) || ts.isStringLiteral(node) || ts.isNumericLiteral(node) || ts.isPropertyAccessExpression(node);
    return tsRange(this.sourceFile, isName ? node : (node.getFirstToken(this.sourceFile) ?? node));
  }
}

function hasModifier(node: TS.Node, kind: TS.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === kind);
}

function isFunctionValue(node: TS.Node): node is TS.ArrowFunction | TS.FunctionExpression {
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node);
}

function isConstDeclaration(declaration: TS.VariableDeclaration): boolean {
  return ts.isVariableDeclarationList(declaration.parent) && (declaration.parent.flags & ts.NodeFlags.Const) !== 0;
}

/** A member's name when it is written out: `m`, `"m"`, `#m`; null for computed names. */
function memberName(name: TS.PropertyName): string | null {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isPrivateIdentifier(name)) return name.text;
  return null;
}

/** `module.exports` → `default`; `module.exports.f` / `exports.f` → `f`; null for anything else. */
function commonJsExportName(target: TS.Expression): string | null {
  const node = skipOuterExpressions(target);
  const isModuleExports = (n: TS.Expression) =>
    ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "module" && n.name.text === "exports";
  if (isModuleExports(node)) return "default";
  if (!ts.isPropertyAccessExpression(node)) return null;
  const base = skipOuterExpressions(node.expression);
  if (isModuleExports(base) || (ts.isIdentifier(base) && base.text === "exports")) return node.name.text;
  return null;
}
