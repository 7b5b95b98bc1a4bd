import type { ts as TS } from "ts-morph";
import { ts } from "./ts-runtime";

/**
 * The semantic model of one TypeScript or JavaScript file, from its syntax alone: what names stand for
 * (imports, `require`, destructuring, local shadowing), whether code runs in an async function, and
 * the nodes rules ask about. The type checker is optional: only type-aware rules use it.
 */

/** Where code runs: directly inside an async function, or anywhere else. */
export type TsContextKind = "async" | "sync";

/** A node of interest and the function it is directly in (null at module level). */
export interface TsSite<T extends TS.Node = TS.Node> {
  node: T;
  func: TS.FunctionLikeDeclaration | null;
}

/** What a name declared in some scope stands for. */
type Binding =
  | { kind: "import"; qualified: string }
  /** Anything else declared in the file: a local, a parameter, a function of the file. */
  | { kind: "local"; declaration: TS.Node }
  /**
   * A `const` whose value may be a module member (`const { readFileSync } = fs`, `const p = fs.promises`):
   * an import if `value` resolves to one when looked up, a local otherwise.
   */
  | { kind: "alias"; declaration: TS.Node; value: TS.Expression; member: string | null };

type FunctionLike =
  | TS.FunctionDeclaration
  | TS.FunctionExpression
  | TS.ArrowFunction
  | TS.MethodDeclaration
  | TS.ConstructorDeclaration
  | TS.GetAccessorDeclaration
  | TS.SetAccessorDeclaration;

function isFunctionLike(node: TS.Node): node is FunctionLike {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** `node:fs` and `fs` are the same module. */
export function normalizeModuleName(specifier: string): string {
  return specifier.startsWith("node:") ? specifier.slice(5) : specifier;
}

/** The absolute path of the workspace file a non-relative import specifier names, or null (a package). */
export type ModuleResolver = (specifier: string) => string | null;

/** The expression inside parentheses, `!`, `as T`, `<T>x` and `satisfies T`. */
export function skipOuterExpressions(node: TS.Expression): TS.Expression {
  let current = node;
  for (;;) {
    if (ts.isParenthesizedExpression(current) || ts.isNonNullExpression(current) || ts.isAsExpression(current) || ts.isTypeAssertionExpression(current) || ts.isSatisfiesExpression(current)) {
      current = current.expression;
    } else {
      return current;
    }
  }
}

export class TypeScriptModel {
  readonly calls: TsSite<TS.CallExpression>[] = [];
  readonly loops: TsSite<TS.WhileStatement | TS.DoStatement | TS.ForStatement>[] = [];
  readonly expressionStatements: TsSite<TS.ExpressionStatement>[] = [];
  /** Assignments (`=` and compound) whose target is a property (`a.b = ...`, `a["b"] += ...`). */
  readonly propertyAssignments: TsSite<TS.BinaryExpression>[] = [];
  private readonly scopes = new Map<TS.Node, Map<string, Binding>>();

  constructor(
    readonly sourceFile: TS.SourceFile,
    /** The type checker of the file's program; null for syntax-only analysis. */
    readonly checker: TS.TypeChecker | null,
    /** Where non-relative specifiers of workspace files lead (tsconfig `paths`); null: they are packages. */
    readonly resolveModule: ModuleResolver | null = null,
  ) {
    this.collect(sourceFile, null);
  }

  /** The first syntax error the parser met, if any (the rest of the file is still analysed). */
  firstSyntaxError(): TS.DiagnosticWithLocation | null {
    const diagnostics = (this.sourceFile as unknown as { parseDiagnostics?: TS.DiagnosticWithLocation[] }).parseDiagnostics;
    return diagnostics && diagnostics.length > 0 ? diagnostics[0] : null;
  }

  /** Whether code directly inside `func` runs in an async function. */
  contextOf(func: TS.FunctionLikeDeclaration | null): TsContextKind {
    if (!func) return "sync";
    return ts.getCombinedModifierFlags(func as TS.Declaration) & ts.ModifierFlags.Async ? "async" : "sync";
  }

  /** How a message names a function: its name, a method's name, or the variable an arrow is assigned to. */
  functionName(func: TS.FunctionLikeDeclaration | null): string | null {
    if (!func) return null;
    if (func.name && (ts.isIdentifier(func.name) || ts.isStringLiteral(func.name) || ts.isPrivateIdentifier(func.name))) return func.name.text;
    const parent = func.parent;
    if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
    // `{ load: () => ... }` and `class A { load = async () => ... }`.
    if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && (ts.isIdentifier(parent.name) || ts.isPrivateIdentifier(parent.name))) {
      return parent.name.text;
    }
    return null;
  }

  /** The function `node` is directly in (not counting the function `node` itself is). */
  enclosingFunction(node: TS.Node): TS.FunctionLikeDeclaration | null {
    for (let current = node.parent; current; current = current.parent) {
      if (isFunctionLike(current)) return current;
    }
    return null;
  }

  /**
   * The qualified name an expression stands for: `r` after `import { readFileSync as r } from "node:fs"`
   * is `fs.readFileSync`, `require("child_process").execSync` is `child_process.execSync`, an unbound
   * global such as `Atomics.wait` is itself. Null for locals, parameters and anything computed.
   */
  qualifiedName(expression: TS.Expression): string | null {
    return this.nameOf(expression, true);
  }

  /** Like `qualifiedName`, but only through imports and `require`: null for globals (`module.exports`). */
  importedName(expression: TS.Expression): string | null {
    return this.nameOf(expression, false);
  }

  private nameOf(expression: TS.Expression, globals: boolean): string | null {
    const node = skipOuterExpressions(expression);
    if (ts.isIdentifier(node)) {
      const binding = this.resolve(node);
      if (!binding) return globals ? node.text : null;
      return binding.kind === "import" ? binding.qualified : null;
    }
    if (ts.isPropertyAccessExpression(node)) {
      const base = this.nameOf(node.expression, globals);
      return base === null ? null : `${base}.${node.name.text}`;
    }
    if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
      const base = this.nameOf(node.expression, globals);
      return base === null ? null : `${base}.${node.argumentExpression.text}`;
    }
    return requiredModule(node);
  }

  /** The declaration of a local variable an identifier refers to, if it is one. */
  localDeclaration(identifier: TS.Identifier): TS.Node | null {
    const binding = this.resolve(identifier);
    return binding?.kind === "local" ? binding.declaration : null;
  }

  /**
   * The binding of a name at a place: the nearest enclosing scope that declares it, with aliases of
   * module members resolved; null for globals.
   */
  private resolve(identifier: TS.Identifier): Exclude<Binding, { kind: "alias" }> | null {
    const name = identifier.text;
    for (let current: TS.Node | undefined = identifier.parent; current; current = current.parent) {
      const found = this.scopeBindings(current)?.get(name);
      if (!found) continue;
      if (found.kind !== "alias") return found;
      return this.resolveAlias(found);
    }
    return null;
  }

  private readonly resolvingAliases = new Set<TS.Node>();

  private resolveAlias(alias: Extract<Binding, { kind: "alias" }>): Exclude<Binding, { kind: "alias" }> {
    const local = { kind: "local" as const, declaration: alias.declaration };
    // `const a = b, b = a` and the like: a cycle is a local, not an import.
    if (this.resolvingAliases.has(alias.declaration)) return local;
    this.resolvingAliases.add(alias.declaration);
    try {
      const base = this.moduleMemberName(alias.value);
      if (base === null) return local;
      return { kind: "import", qualified: alias.member ? `${base}.${alias.member}` : base };
    } finally {
      this.resolvingAliases.delete(alias.declaration);
    }
  }

  /** Names a node declares for its own scope, or null for nodes that open no scope. */
  private scopeBindings(node: TS.Node): Map<string, Binding> | null {
    const cached = this.scopes.get(node);
    if (cached) return cached;
    let statements: readonly TS.Statement[] | null = null;
    const bindings = new Map<string, Binding>();
    if (ts.isSourceFile(node) || ts.isBlock(node) || ts.isModuleBlock(node)) {
      statements = node.statements;
    } else if (ts.isCaseBlock(node)) {
      statements = node.clauses.flatMap((clause) => [...clause.statements]);
    } else if (isFunctionLike(node)) {
      for (const parameter of node.parameters) this.bindPattern(parameter.name, parameter, bindings, null);
      // A function expression's own name is visible inside it.
      if (ts.isFunctionExpression(node) && node.name) bindings.set(node.name.text, { kind: "local", declaration: node });
      // `var` is scoped to the function wherever it is declared in the body.
      if (node.body) this.hoistVars(node.body, bindings);
    } else if ((ts.isForStatement(node) || ts.isForInStatement(node) || ts.isForOfStatement(node)) && node.initializer && ts.isVariableDeclarationList(node.initializer)) {
      for (const declaration of node.initializer.declarations) this.bindPattern(declaration.name, declaration, bindings, null);
    } else if (ts.isCatchClause(node) && node.variableDeclaration) {
      this.bindPattern(node.variableDeclaration.name, node.variableDeclaration, bindings, null);
    } else if (ts.isClassExpression(node) && node.name) {
      bindings.set(node.name.text, { kind: "local", declaration: node });
    } else {
      return null;
    }
    if (statements) {
      if (ts.isSourceFile(node)) this.hoistVars(node, bindings);
      for (const statement of statements) this.bindStatement(statement, bindings);
    }
    this.scopes.set(node, bindings);
    return bindings;
  }

  /** Declarations a statement adds to the scope it is directly in. */
  private bindStatement(statement: TS.Statement, bindings: Map<string, Binding>): void {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const module = normalizeModuleName(statement.moduleSpecifier.text);
      const clause = statement.importClause;
      if (!clause || clause.isTypeOnly) return;
      if (clause.name) bindings.set(clause.name.text, { kind: "import", qualified: module });
      const named = clause.namedBindings;
      if (named && ts.isNamespaceImport(named)) bindings.set(named.name.text, { kind: "import", qualified: module });
      if (named && ts.isNamedImports(named)) {
        for (const element of named.elements) {
          if (element.isTypeOnly) continue;
          const imported = (element.propertyName ?? element.name).text;
          bindings.set(element.name.text, { kind: "import", qualified: imported === "default" ? module : `${module}.${imported}` });
        }
      }
    } else if (ts.isImportEqualsDeclaration(statement)) {
      const reference = statement.moduleReference;
      if (ts.isExternalModuleReference(reference) && ts.isStringLiteral(reference.expression)) {
        bindings.set(statement.name.text, { kind: "import", qualified: normalizeModuleName(reference.expression.text) });
      } else {
        bindings.set(statement.name.text, { kind: "local", declaration: statement });
      }
    } else if (ts.isVariableStatement(statement)) {
      // `var` was hoisted to the function or file already; here come `let` and `const`.
      if (!(statement.declarationList.flags & ts.NodeFlags.BlockScoped)) return;
      for (const declaration of statement.declarationList.declarations) this.bindVariable(declaration, bindings);
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name) {
      bindings.set(statement.name.text, { kind: "local", declaration: statement });
    } else if (ts.isModuleDeclaration(statement) && ts.isIdentifier(statement.name)) {
      bindings.set(statement.name.text, { kind: "local", declaration: statement });
    }
  }

  /** `var` declarations anywhere in a function body (or file), outside nested functions. */
  private hoistVars(root: TS.Node, bindings: Map<string, Binding>): void {
    const visit = (node: TS.Node): void => {
      if (isFunctionLike(node) || ts.isClassLike(node)) return;
      if (ts.isVariableDeclarationList(node) && !(node.flags & ts.NodeFlags.BlockScoped)) {
        for (const declaration of node.declarations) this.bindVariable(declaration, bindings);
      }
      ts.forEachChild(node, visit);
    };
    ts.forEachChild(root, visit);
  }

  /**
   * A variable: an import when its value is a `require` call or an awaited dynamic `import` of a module, an alias when a
   * `const` names something that may be a module member (`const { readFileSync } = fs`), a local otherwise.
   */
  private bindVariable(declaration: TS.VariableDeclaration, bindings: Map<string, Binding>): void {
    const initializer = declaration.initializer ? skipOuterExpressions(declaration.initializer) : null;
    const value = initializer && ts.isAwaitExpression(initializer) ? skipOuterExpressions(initializer.expression) : initializer;
    const required = value ? requiredModule(value) : null;
    if (required !== null) {
      this.bindPattern(declaration.name, declaration, bindings, { module: required });
    } else if (value && this.isConst(declaration) && (ts.isIdentifier(value) || ts.isPropertyAccessExpression(value))) {
      this.bindPattern(declaration.name, declaration, bindings, { alias: value });
    } else {
      this.bindPattern(declaration.name, declaration, bindings, null);
    }
  }

  private isConst(declaration: TS.VariableDeclaration): boolean {
    return ts.isVariableDeclarationList(declaration.parent) && (declaration.parent.flags & ts.NodeFlags.Const) !== 0;
  }

  /** A name chain over an imported module (`fs.promises`), without resolving locals first. */
  private moduleMemberName(value: TS.Expression): string | null {
    if (!ts.isIdentifier(value) && !ts.isPropertyAccessExpression(value)) return null;
    let root: TS.Expression = value;
    while (ts.isPropertyAccessExpression(root)) root = root.expression;
    if (!ts.isIdentifier(root)) return null;
    const binding = this.resolve(root);
    return binding?.kind === "import" ? this.qualifiedName(value) : null;
  }

  /**
   * Binds the names of a declaration. With `source`, the value is a module (`{ module }`) or maybe a
   * module member (`{ alias }`): a plain name stands for it, a destructured name for its member.
   */
  private bindPattern(
    name: TS.BindingName,
    declaration: TS.Node,
    bindings: Map<string, Binding>,
    source: { module: string } | { alias: TS.Expression; member?: string } | null,
  ): void {
    if (ts.isIdentifier(name)) {
      if (source && "module" in source) bindings.set(name.text, { kind: "import", qualified: source.module });
      else if (source) bindings.set(name.text, { kind: "alias", declaration, value: source.alias, member: source.member ?? null });
      else bindings.set(name.text, { kind: "local", declaration });
      return;
    }
    for (const element of name.elements) {
      if (ts.isOmittedExpression(element)) continue;
      let member: typeof source = null;
      // Only one level of destructuring of a module names its members: `{ promises: { readFile } }` is left out.
      const isDirect = source !== null && ts.isObjectBindingPattern(name) && !element.dotDotDotToken && !("member" in source && source.member);
      const property = element.propertyName ?? (ts.isIdentifier(element.name) ? element.name : null);
      if (isDirect && property && (ts.isIdentifier(property) || ts.isStringLiteral(property))) {
        member = "module" in source ? { module: `${source.module}.${property.text}` } : { alias: source.alias, member: property.text };
      }
      this.bindPattern(element.name, element, bindings, member);
    }
  }

  /** One pass over the file: sites of interest, each with the function it is directly in. */
  private collect(node: TS.Node, func: TS.FunctionLikeDeclaration | null): void {
    const visit = (child: TS.Node): void => {
      if (ts.isCallExpression(child)) this.calls.push({ node: child, func });
      else if (ts.isWhileStatement(child) || ts.isDoStatement(child) || ts.isForStatement(child)) this.loops.push({ node: child, func });
      else if (ts.isExpressionStatement(child)) this.expressionStatements.push({ node: child, func });
      else if (ts.isBinaryExpression(child) && isAssignmentOperator(child.operatorToken.kind)) {
        const target = skipOuterExpressions(child.left);
        if (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) this.propertyAssignments.push({ node: child, func });
      }
      if (isFunctionLike(child)) {
        ts.forEachChild(child, (grandChild) => this.collect(grandChild, child));
        // Parameters' defaults run outside the function, but they are rare enough to count as inside.
        return;
      }
      ts.forEachChild(child, visit);
    };
    visit(node);
  }
}

function isAssignmentOperator(kind: TS.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** The module a `require` call or a dynamic `import` names, normalised; null for any other expression. */
export function requiredModule(node: TS.Expression): string | null {
  if (!ts.isCallExpression(node) || node.arguments.length !== 1) return null;
  const argument = node.arguments[0];
  if (!ts.isStringLiteralLike(argument)) return null;
  const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
  const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
  return isRequire || isImport ? normalizeModuleName(argument.text) : null;
}
