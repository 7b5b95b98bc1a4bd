import type { ts as TS } from "ts-morph";
import type { Position, TextEdit } from "../types";
import { normalizeModuleName, requiredModule, type TypeScriptModel } from "./model";
import { ts } from "./ts-runtime";

/**
 * Building blocks for fixes of TypeScript and JavaScript files: edits at compiler offsets, where
 * `await` can be written and whether it needs parentheses, fresh names, and getting at a member of a
 * module in the file's own import style (ES `import` or CommonJS `require`).
 */

/** The zero-based line/UTF-16 column of an offset. */
export function positionAt(sourceFile: TS.SourceFile, offset: number): Position {
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(offset);
  return { line, column: character };
}

/** An edit that puts `text` at `offset`. */
export function insertAt(sourceFile: TS.SourceFile, offset: number, text: string): TextEdit {
  const at = positionAt(sourceFile, offset);
  return { range: { start: at, end: at }, newText: text };
}

/** An edit that replaces a node (without its leading trivia) with `text`. */
export function replaceNode(sourceFile: TS.SourceFile, node: TS.Node, text: string): TextEdit {
  return { range: { start: positionAt(sourceFile, node.getStart(sourceFile)), end: positionAt(sourceFile, node.getEnd()) }, newText: text };
}

/**
 * Whether `await` can be written at `node`, which is directly in the async function `func`: in its
 * body, not in a parameter's default, a class field's initialiser, a decorator or a computed name of
 * a class member (which run outside the function, or where `await` is a syntax error).
 */
export function canAwaitAt(node: TS.Node, func: TS.FunctionLikeDeclaration): boolean {
  let child: TS.Node = node;
  for (let current = node.parent; current; child = current, current = current.parent) {
    if (current === func) return func.body !== undefined && child === func.body;
    if (ts.isClassLike(current) || ts.isDecorator(current)) return false;
  }
  return false;
}

/**
 * Whether `await expression` must be parenthesised to stand where `expression` is: as the object of
 * a member access, call, `new`, tagged template or `!`, and left of `**`. (`await` binds looser than
 * those, tighter than every other operator.)
 */
export function awaitNeedsParentheses(expression: TS.Expression): boolean {
  const parent = expression.parent;
  if (ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent) || ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    return parent.expression === expression;
  }
  if (ts.isTaggedTemplateExpression(parent)) return parent.tag === expression;
  if (ts.isNonNullExpression(parent) || ts.isExpressionWithTypeArguments(parent)) return true;
  if (ts.isBinaryExpression(parent)) return parent.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskToken && parent.left === expression;
  return false;
}

/**
 * Whether a statement may start with `(` without joining the statement before it: a line starting
 * with `(` after `a = b` (no semicolon) would call `b`.
 */
function canStartWithParenthesis(sourceFile: TS.SourceFile, statement: TS.Statement): boolean {
  const container = statement.parent as TS.Node & { statements?: TS.NodeArray<TS.Statement> };
  const siblings = container.statements;
  const index = siblings ? siblings.indexOf(statement) : -1;
  if (index <= 0) return true;
  const last = siblings![index - 1].getLastToken(sourceFile);
  if (!last) return true;
  if (last.kind === ts.SyntaxKind.SemicolonToken) return true;
  if (last.kind !== ts.SyntaxKind.CloseBraceToken) return false;
  const closed = last.parent;
  return ts.isBlock(closed) || ts.isClassDeclaration(closed) || ts.isCaseBlock(closed) || ts.isModuleBlock(closed) || ts.isEnumDeclaration(closed) || ts.isInterfaceDeclaration(closed);
}

/**
 * The edits that put `await` in front of `expression`, parenthesised where precedence needs it
 * (`(await f(x)).toString()`), with a leading `;` when a parenthesis would start a statement that the
 * previous line could swallow.
 */
export function awaitEdits(sourceFile: TS.SourceFile, expression: TS.Expression): TextEdit[] {
  const start = expression.getStart(sourceFile);
  if (!awaitNeedsParentheses(expression)) return [insertAt(sourceFile, start, "await ")];
  let statement: TS.Node = expression;
  while (!ts.isExpressionStatement(statement) && statement.parent && !ts.isSourceFile(statement.parent)) statement = statement.parent;
  const startsStatement = ts.isExpressionStatement(statement) && statement.getStart(sourceFile) === start;
  const guard = startsStatement && !canStartWithParenthesis(sourceFile, statement as TS.ExpressionStatement) ? ";" : "";
  return [insertAt(sourceFile, start, `${guard}(await `), insertAt(sourceFile, expression.getEnd(), ")")];
}

/** The identifier nodes that declare a value in the file (variables, parameters, functions, classes, imports...). */
function isDeclarationName(identifier: TS.Identifier): boolean {
  const parent = identifier.parent;
  if (ts.isBindingElement(parent)) return parent.name === identifier;
  if (ts.isImportSpecifier(parent)) return parent.name === identifier;
  return (
    (ts.isVariableDeclaration(parent) ||
      ts.isParameter(parent) ||
      ts.isFunctionDeclaration(parent) ||
      ts.isFunctionExpression(parent) ||
      ts.isClassDeclaration(parent) ||
      ts.isClassExpression(parent) ||
      ts.isEnumDeclaration(parent) ||
      ts.isModuleDeclaration(parent) ||
      ts.isImportClause(parent) ||
      ts.isNamespaceImport(parent) ||
      ts.isImportEqualsDeclaration(parent)) &&
    (parent as TS.NamedDeclaration).name === identifier
  );
}

/** Identifiers that name a property or member rather than a variable (`a.name`, `{ name: 1 }`). */
function isPropertyName(identifier: TS.Identifier): boolean {
  const parent = identifier.parent;
  if (ts.isPropertyAccessExpression(parent)) return parent.name === identifier;
  if (ts.isQualifiedName(parent)) return parent.right === identifier;
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isBindingElement(parent)) return parent.propertyName === identifier;
  return (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent) ||
      ts.isEnumMember(parent)) &&
    parent.name === identifier
  );
}

/** What names a file declares (how many times each) and which it mentions at all. */
export interface FileNames {
  declared: Map<string, number>;
  /** Every name used or declared as a variable, anywhere (property names left out). */
  mentioned: Set<string>;
}

export function fileNames(sourceFile: TS.SourceFile): FileNames {
  const declared = new Map<string, number>();
  const mentioned = new Set<string>();
  const visit = (node: TS.Node): void => {
    if (ts.isIdentifier(node)) {
      if (isDeclarationName(node)) declared.set(node.text, (declared.get(node.text) ?? 0) + 1);
      if (!isPropertyName(node)) mentioned.add(node.text);
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return { declared, mentioned };
}

/** `base`, or `baseAsync`, `baseAsync2`...: the first the file does not mention. */
export function freshName(names: FileNames, base: string): string {
  if (!names.mentioned.has(base)) return base;
  for (let i = 1; ; i += 1) {
    const candidate = i === 1 ? `${base}Async` : `${base}Async${i}`;
    if (!names.mentioned.has(candidate)) return candidate;
  }
}

/** The end of a statement's line: after the statement and comments that close on its line. */
export function endOfStatementLine(sourceFile: TS.SourceFile, statement: TS.Node): number {
  let end = statement.getEnd();
  const text = sourceFile.text;
  for (const comment of ts.getTrailingCommentRanges(text, end) ?? []) {
    if (text.slice(comment.pos, comment.end).includes("\n")) break;
    end = comment.end;
  }
  return end;
}

/** The leading whitespace of the line a node starts on. */
function indentationOf(sourceFile: TS.SourceFile, node: TS.Node): string {
  const start = node.getStart(sourceFile);
  const lineStart = sourceFile.getPositionOfLineAndCharacter(sourceFile.getLineAndCharacterOfPosition(start).line, 0);
  return /^[ \t]*/.exec(sourceFile.text.slice(lineStart, start))![0];
}

/** The top-level identifiers that declare imports or variables: `x` of `import x`, `{ x }`, `const { x } = ...`. */
function topLevelDeclarations(sourceFile: TS.SourceFile): TS.Identifier[] {
  const found: TS.Identifier[] = [];
  const bindingNames = (name: TS.BindingName): void => {
    if (ts.isIdentifier(name)) found.push(name);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bindingNames(element.name);
  };
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (!clause || clause.isTypeOnly) continue;
      if (clause.name) found.push(clause.name);
      const named = clause.namedBindings;
      if (named && ts.isNamespaceImport(named)) found.push(named.name);
      if (named && ts.isNamedImports(named)) for (const element of named.elements) if (!element.isTypeOnly) found.push(element.name);
    } else if (ts.isImportEqualsDeclaration(statement)) {
      found.push(statement.name);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bindingNames(declaration.name);
    }
  }
  return found;
}

/**
 * How a module is imported where a fix needs another of its members: an ES `import` declaration, or a
 * statement holding `const { ... } = require("...")`.
 */
export type ImportAnchor =
  | { kind: "esm"; declaration: TS.ImportDeclaration }
  | { kind: "cjs"; statement: TS.VariableStatement; specifier: TS.StringLiteralLike };

/**
 * The import that declares `identifier` as a named member of `module` (`import { x } from "module"`
 * or `const { x } = require("module")`), when the name is declared nowhere else in the file (so every
 * use of it means the import). Null otherwise.
 */
export function namedImportOf(model: TypeScriptModel, identifier: TS.Identifier, module: string, names: FileNames): ImportAnchor | null {
  if (names.declared.get(identifier.text) !== 1) return null;
  const sourceFile = model.sourceFile;
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    if (normalizeModuleName(statement.moduleSpecifier.text) !== module) continue;
    const named = statement.importClause?.namedBindings;
    if (!statement.importClause?.isTypeOnly && named && ts.isNamedImports(named) && named.elements.some((e) => !e.isTypeOnly && e.name.text === identifier.text)) {
      return { kind: "esm", declaration: statement };
    }
  }
  let found: ImportAnchor | null = null;
  const visit = (node: TS.Node): void => {
    if (found) return;
    if (ts.isVariableStatement(node)) {
      for (const declaration of node.declarationList.declarations) {
        const required = declaration.initializer ? requiredModule(declaration.initializer) : null;
        if (required !== module || !ts.isObjectBindingPattern(declaration.name)) continue;
        const declares = declaration.name.elements.some((e) => !e.dotDotDotToken && ts.isIdentifier(e.name) && e.name.text === identifier.text);
        const call = declaration.initializer as TS.CallExpression;
        if (declares && ts.isIdentifier(call.expression)) found = { kind: "cjs", statement: node, specifier: call.arguments[0] as TS.StringLiteralLike };
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/**
 * An expression for `member` of `module` usable anywhere in the file, and the edits it needs, in the
 * style of `anchor` (how the file imports a sibling module): an existing import of the member, else
 * the member added to an existing named import of `module`, else a namespace of it already imported
 * (`fsp.readFile`), else a new import after the file's last import (ES) or after the anchor (CommonJS),
 * spelled like the anchor (`node:` prefix, quotes, semicolon). `namespaces` are the qualified names
 * that denote `module` itself (`fs/promises`, `fs.promises`). A name already in the file is not
 * reused for something else: the member is imported under a fresh alias then.
 */
export function moduleMember(
  model: TypeScriptModel,
  anchor: ImportAnchor,
  module: string,
  namespaces: readonly string[],
  member: string,
  names: FileNames,
): { expression: string; edits: TextEdit[] } | null {
  const sourceFile = model.sourceFile;
  const declarations = topLevelDeclarations(sourceFile);
  const unique = (identifier: TS.Identifier) => names.declared.get(identifier.text) === 1;
  // 1. Already imported.
  for (const identifier of declarations) {
    const qualified = model.importedName(identifier);
    if (qualified && namespaces.some((n) => qualified === `${n}.${member}`) && unique(identifier)) return { expression: identifier.text, edits: [] };
  }
  const local = freshName(names, member);
  const specifierOf = (node: TS.StringLiteralLike) => node.getText(sourceFile);
  // 2. Another member of the module is imported by name: add this one.
  if (anchor.kind === "esm") {
    for (const statement of sourceFile.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      if (normalizeModuleName(statement.moduleSpecifier.text) !== module || statement.importClause?.isTypeOnly) continue;
      const named = statement.importClause?.namedBindings;
      if (!named || !ts.isNamedImports(named) || named.elements.length === 0) continue;
      const last = named.elements[named.elements.length - 1];
      const text = local === member ? member : `${member} as ${local}`;
      return { expression: local, edits: [insertAt(sourceFile, last.getEnd(), `, ${text}`)] };
    }
  } else {
    for (const statement of sourceFile.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (!declaration.initializer || requiredModule(declaration.initializer) !== module || !ts.isObjectBindingPattern(declaration.name)) continue;
        const elements = declaration.name.elements;
        if (elements.length === 0 || elements[elements.length - 1].dotDotDotToken) continue;
        const text = local === member ? member : `${member}: ${local}`;
        return { expression: local, edits: [insertAt(sourceFile, elements[elements.length - 1].getEnd(), `, ${text}`)] };
      }
    }
  }
  // 3. The module itself is at hand.
  for (const identifier of declarations) {
    const qualified = model.importedName(identifier);
    if (qualified && namespaces.includes(qualified) && unique(identifier)) return { expression: `${identifier.text}.${member}`, edits: [] };
  }
  // 4. A new import, spelled like the anchor's.
  const binding = (separator: string) => (local === member ? member : `${member}${separator}${local}`);
  if (anchor.kind === "esm") {
    const original = anchor.declaration.moduleSpecifier as TS.StringLiteral;
    const quote = specifierOf(original)[0];
    const prefix = original.text.startsWith("node:") ? "node:" : "";
    const named = anchor.declaration.importClause?.namedBindings;
    const padded = !named || /^\{\s/.test(named.getText(sourceFile));
    const braces = padded ? `{ ${binding(" as ")} }` : `{${binding(" as ")}}`;
    const semicolon = anchor.declaration.getText(sourceFile).endsWith(";") ? ";" : "";
    const imports = sourceFile.statements.filter(ts.isImportDeclaration);
    const after = imports[imports.length - 1];
    const text = `\nimport ${braces} from ${quote}${prefix}${module}${quote}${semicolon}`;
    return { expression: local, edits: [insertAt(sourceFile, endOfStatementLine(sourceFile, after), text)] };
  }
  const quote = specifierOf(anchor.specifier)[0];
  const prefix = anchor.specifier.text.startsWith("node:") ? "node:" : "";
  const pattern = anchor.statement.declarationList.declarations.find((d) => ts.isObjectBindingPattern(d.name))?.name;
  const padded = !pattern || /^\{\s/.test(pattern.getText(sourceFile));
  const braces = padded ? `{ ${binding(": ")} }` : `{${binding(": ")}}`;
  const keyword = anchor.statement.declarationList.flags & ts.NodeFlags.Const ? "const" : anchor.statement.declarationList.flags & ts.NodeFlags.Let ? "let" : "var";
  const semicolon = anchor.statement.getText(sourceFile).endsWith(";") ? ";" : "";
  const text = `\n${indentationOf(sourceFile, anchor.statement)}${keyword} ${braces} = require(${quote}${prefix}${module}${quote})${semicolon}`;
  return { expression: local, edits: [insertAt(sourceFile, endOfStatementLine(sourceFile, anchor.statement), text)] };
}
