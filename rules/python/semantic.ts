import { Query, type Node, type Tree } from "web-tree-sitter";
import { patchesStdlibIntoGreenlets } from "./patch-functions";

/**
 * The semantic model of one Python file: scopes and bindings, imports resolved to qualified names
 * (as Ruff does), the async/greenlet context of every function, and the lists of nodes rules ask about.
 * Built in one walk; name resolution is lazy because a later assignment makes a name local to the
 * whole function, so bindings must be complete before anything is resolved.
 */

/** Where code runs: inside a coroutine, inside a greenlet, or in plain synchronous code. */
export type ContextKind = "async" | "greenlet" | "sync";

/** Which library a module's coroutines run on; it decides which alternative a message suggests. */
export type Framework = "asyncio" | "trio" | "anyio";

type BindingKind = "import" | "param" | "assign" | "unpacked" | "def" | "class" | "other";

/** One way a name gets its value in a scope. */
export interface Binding {
  kind: BindingKind;
  node: Node;
  /** For imports: the qualified name the local name stands for. */
  qualified?: string;
  /** For assignments and `with ... as`: the value expression and the scope it is evaluated in. */
  value?: Node;
  valueScope?: Scope;
  /** For annotated parameters and assignments. */
  annotation?: Node;
  /** For `def`: the function. */
  func?: FunctionInfo;
  /** For `class`: the class. */
  classInfo?: ClassInfo;
  /** For the first parameter of a method: the class `self`/`cls` refers to. */
  selfOf?: ClassInfo;
}

/** A function or lambda and what the model knows of it. */
export interface FunctionInfo {
  node: Node;
  name: string;
  isAsyncDef: boolean;
  isLambda: boolean;
  /** Decorator expressions (the callee when a decorator is a call), evaluated in `outerScope`. */
  decorators: Node[];
  outerScope: Scope;
  scope: Scope;
  /** The class whose body defines this function directly (a method), if any. */
  classInfo: ClassInfo | null;
  /** The nearest enclosing function, if any. */
  parent: FunctionInfo | null;
  /** Set when the module hands this function to gevent/eventlet to run as a greenlet. */
  spawnedAsGreenlet: boolean;
}

/** A class definition: its methods and what its methods assign to `self.<attr>`. */
export interface ClassInfo {
  node: Node;
  name: string;
  bases: Node[];
  outerScope: Scope;
  scope: Scope;
  methods: Map<string, FunctionInfo>;
  selfAssignments: Map<string, { value: Node; scope: Scope }[]>;
}

/** A lexical scope: module, function, lambda, class body or comprehension. */
export class Scope {
  readonly bindings = new Map<string, Binding[]>();
  readonly globals = new Set<string>();
  constructor(
    readonly kind: "module" | "function" | "class" | "comprehension",
    readonly node: Node,
    readonly parent: Scope | null,
  ) {}

  bind(name: string, binding: Binding): void {
    const list = this.bindings.get(name);
    if (list) list.push(binding);
    else this.bindings.set(name, [binding]);
  }
}

/** A node of interest together with where it sits. */
export interface Site {
  node: Node;
  scope: Scope;
  /** The nearest enclosing function or lambda; null at module or class level. */
  func: FunctionInfo | null;
}

/** An import statement at any depth, in source order. */
export interface ImportSite extends Site {
  /** Full module names the statement imports (`from a.b import c` gives `a.b`). */
  modules: string[];
  isFuture: boolean;
}

/**
 * What one part of a module (a top-level statement) contributes to the analysis of the other parts
 * beyond its names: the modules it imports (they pick the framework and whether greenlets exist),
 * the stdlib patch calls it makes, and the functions elsewhere it spawns as greenlets. An editor keeps
 * these per statement so that an edit inside one function re-analyses only that function.
 */
export interface ModuleFacts {
  /** Top-level package names of every module imported, sorted and unique. */
  importRoots: string[];
  /** Qualified names of the gevent/eventlet patch calls made, sorted and unique. */
  stdlibPatches: string[];
  /** Functions of other parts spawned as greenlets: `def:name` or `class:Class.method`, sorted and unique. */
  spawned: string[];
  /** Set when the part has something whose effect on other parts these facts cannot carry. */
  opaque: boolean;
}

/**
 * How to build a partial model. Parts are top-level statements in document order: a full part is
 * modelled completely; an outlined part contributes only its definitions (the function or class and
 * its methods, with their decorators and parameters), which is all other parts can see of it.
 * `external` carries the facts of the outlined parts.
 */
export interface BuildPlan {
  parts: { nodes: Node[]; outline: boolean }[];
  external: ModuleFacts;
}

/** Builtin names that resolve to themselves when no binding shadows them. */
const builtinNames = new Set([
  "open", "input", "print", "setattr", "getattr", "delattr", "len", "range", "iter", "next", "anext", "aiter",
  "isinstance", "type", "object", "super", "list", "dict", "set", "tuple", "str", "bytes", "int", "float",
  "bool", "exec", "eval", "compile", "__import__", "breakpoint", "vars", "globals", "locals", "id", "hash",
]);

/**
 * What some calls return, so methods on the result resolve (`executor.submit(f).result()`,
 * `sqlite3.connect(p).execute(...)`). Constructors (a capitalised last segment) need no entry.
 */
const returnTypes: Record<string, string> = {
  "asyncio.get_event_loop": "asyncio.AbstractEventLoop",
  "asyncio.get_running_loop": "asyncio.AbstractEventLoop",
  "asyncio.new_event_loop": "asyncio.AbstractEventLoop",
  "asyncio.events.get_event_loop": "asyncio.AbstractEventLoop",
  "asyncio.events.get_running_loop": "asyncio.AbstractEventLoop",
  "concurrent.futures.ThreadPoolExecutor.submit": "concurrent.futures.Future",
  "concurrent.futures.ProcessPoolExecutor.submit": "concurrent.futures.Future",
  "concurrent.futures.Executor.submit": "concurrent.futures.Future",
  "concurrent.futures.thread.ThreadPoolExecutor.submit": "concurrent.futures.Future",
  "requests.session": "requests.Session",
  "sqlite3.connect": "sqlite3.Connection",
  "socket.create_connection": "socket.socket",
  "socket.socket.accept": "socket.socket",
  "urllib3.connection_from_url": "urllib3.HTTPConnectionPool",
  "pathlib.Path.open": "io.TextIOWrapper",
  "pathlib.Path.joinpath": "pathlib.Path",
  "pathlib.Path.resolve": "pathlib.Path",
  "pathlib.Path.absolute": "pathlib.Path",
  "pathlib.Path.with_suffix": "pathlib.Path",
  "pathlib.Path.with_name": "pathlib.Path",
  "pathlib.Path.expanduser": "pathlib.Path",
  "pathlib.Path.cwd": "pathlib.Path",
  "pathlib.Path.home": "pathlib.Path",
};

/** Decorators that turn a generator function into a coroutine run by an event loop. */
export const defaultAsyncDecorators = [
  "twisted.internet.defer.inlineCallbacks",
  "tornado.gen.coroutine",
  "tornado.gen.engine",
  "asyncio.coroutine",
  "asyncio.coroutines.coroutine",
  "types.coroutine",
];

/** Calls that run a function as a greenlet, and which positional argument is that function. */
const greenletSpawners: Record<string, number> = {
  "gevent.spawn": 0,
  "gevent.spawn_raw": 0,
  "gevent.spawn_later": 1,
  "gevent.Greenlet": 0,
  "gevent.Greenlet.spawn": 0,
  "gevent.Greenlet.spawn_later": 1,
  "gevent.greenlet.Greenlet": 0,
  "gevent.greenlet.Greenlet.spawn": 0,
  "gevent.pool.Pool.spawn": 0,
  "gevent.pool.Group.spawn": 0,
  "gevent.pool.Pool.apply_async": 0,
  "gevent.pool.Group.apply_async": 0,
  "eventlet.spawn": 0,
  "eventlet.spawn_n": 0,
  "eventlet.spawn_after": 1,
  "eventlet.GreenPool.spawn": 0,
  "eventlet.GreenPool.spawn_n": 0,
  "eventlet.greenpool.GreenPool.spawn": 0,
  "eventlet.greenpool.GreenPool.spawn_n": 0,
  "greenlet.greenlet": 0,
};

const greenletBaseClasses = new Set(["gevent.Greenlet", "gevent.greenlet.Greenlet", "greenlet.greenlet"]);
const comprehensionTypes = new Set(["list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"]);
const maxResolutionDepth = 12;

/** The node types the model records or that open a scope, as one query. */
const modelledTypes = [
  "function_definition", "lambda", "class_definition", ...comprehensionTypes, "import_statement",
  "import_from_statement", "future_import_statement", "assignment", "augmented_assignment", "named_expression",
  "for_statement", "for_in_clause", "with_item", "as_pattern", "global_statement", "call", "while_statement",
];

const queries = new WeakMap<object, Query>();

/** The compiled query for the tree's language, made once per language. */
function modelQuery(tree: Tree): Query {
  let query = queries.get(tree.language);
  if (!query) {
    // Each capture is named after its node type, so the build reads the name instead of asking each
    // node for its type; a call that is a whole statement is captured a second time by itself.
    const patterns = modelledTypes.map((type) => `(${type}) @${type}`);
    patterns.push("(expression_statement . (call) @statement_call .)");
    query = new Query(tree.language, patterns.join("\n"));
    queries.set(tree.language, query);
  }
  return query;
}

/**
 * What other top-level statements can see of a definition: the function, or the class and its
 * methods. Captured as the model query would name them, without descending into bodies.
 */
function* outlineOf(node: Node): Iterable<{ node: Node; name: string }> {
  const definition = node.type === "decorated_definition" ? node.childForFieldName("definition") : node;
  if (definition?.type === "function_definition") {
    yield { node: definition, name: "function_definition" };
  } else if (definition?.type === "class_definition") {
    yield { node: definition, name: "class_definition" };
    for (const member of definition.childForFieldName("body")?.namedChildren ?? []) {
      const method = member?.type === "decorated_definition" ? member.childForFieldName("definition") : member;
      if (method?.type === "function_definition") yield { node: method, name: "function_definition" };
    }
  }
}

/** Where a node sits while the model is built. */
interface WalkContext {
  scope: Scope;
  func: FunctionInfo | null;
  /** The class whose body directly holds the node (for methods and `self` assignments). */
  cls: ClassInfo | null;
}

/** A definition whose range the build is inside of. */
interface OpenDefinition {
  end: number;
  bodyStart: number;
  outside: WalkContext;
  inside: WalkContext;
}

/** The semantic model of one parsed file. */
export class PythonModel {
  readonly root: Node;
  readonly moduleScope: Scope;
  readonly functions: FunctionInfo[] = [];
  readonly classes: ClassInfo[] = [];
  readonly calls: Site[] = [];
  /** Calls that are a whole expression statement (`save(x)`, `asyncio.create_task(job())`). */
  readonly statementCalls: Site[] = [];
  readonly whileLoops: Site[] = [];
  readonly imports: ImportSite[] = [];
  /** Attribute targets of assignments (`socket.socket = ...`), at any depth. */
  readonly attributeAssignments: Site[] = [];
  private readonly instanceTypes = new Map<number, string | null>();
  private readonly callees = new Map<number, string | null>();
  private readonly contexts = new Map<FunctionInfo, ContextKind>();
  private readonly asyncDecorators: Set<string>;
  private contextsReady = false;
  /** Greenlet spawn calls and the function each spawns, once `markGreenlets` ran. */
  private readonly spawns: { call: Node; func: FunctionInfo }[] = [];

  /** With a `plan`, builds a partial model (see `BuildPlan`); without, models the whole tree. */
  constructor(
    readonly tree: Tree,
    readonly source: string,
    extraAsyncDecorators: readonly string[] = [],
    private readonly plan: BuildPlan | null = null,
  ) {
    this.root = tree.rootNode;
    this.asyncDecorators = new Set([...defaultAsyncDecorators, ...extraAsyncDecorators]);
    this.moduleScope = new Scope("module", this.root, null);
    this.build();
  }

  // ---------------------------------------------------------------- queries

  /** The library this module's coroutines run on, judged from its imports. */
  get framework(): Framework {
    const roots = this.importRoots();
    if (roots.has("trio")) return "trio";
    if (roots.has("anyio")) return "anyio";
    return "asyncio";
  }

  /** Top-level package names of every module the module imports, at any depth. */
  private importRoots(): Set<string> {
    const roots = new Set(this.imports.flatMap((site) => site.modules.map((m) => m.split(".")[0])));
    for (const root of this.plan?.external.importRoots ?? []) roots.add(root);
    return roots;
  }

  /** Whether the module patches the standard library with gevent/eventlet (then stdlib I/O yields). */
  patchesStdlib(): boolean {
    if (this.plan && this.plan.external.stdlibPatches.length > 0) return true;
    return this.calls.some((site) => {
      const callee = this.callee(site.node, site.scope);
      return callee !== null && patchesStdlibIntoGreenlets(callee);
    });
  }

  /**
   * The facts (see `ModuleFacts`) of the modelled code in `[start, end)`, a run of whole top-level
   * statements. Imports, calls and spawns are attributed by where they start.
   */
  factsWithin(start: number, end: number): ModuleFacts {
    const inside = (node: Node) => node.startIndex >= start && node.startIndex < end;
    const importRoots = new Set<string>();
    let opaque = false;
    for (const site of this.imports) {
      if (!inside(site.node)) continue;
      for (const module of site.modules) importRoots.add(module.split(".")[0]);
      // Class-level imports count as imported-before-the-patch for late-monkey-patch, which an
      // outline of the class does not show.
      if (site.func === null && site.scope.kind === "class") opaque = true;
    }
    const stdlibPatches = new Set<string>();
    for (const site of this.calls) {
      if (!inside(site.node)) continue;
      const callee = this.callee(site.node, site.scope);
      if (callee !== null && patchesStdlibIntoGreenlets(callee)) stdlibPatches.add(callee);
    }
    this.markGreenlets();
    const spawned = new Set<string>();
    for (const { call, func } of this.spawns) {
      if (!inside(call) || inside(func.node)) continue;
      const key = this.functionKey(func);
      if (key === null) opaque = true;
      else spawned.add(key);
    }
    const sorted = (set: Set<string>) => [...set].sort();
    return { importRoots: sorted(importRoots), stdlibPatches: sorted(stdlibPatches), spawned: sorted(spawned), opaque };
  }

  /**
   * How another top-level statement can name `func`: a module-level `def` (resolved by name, the last
   * definition winning) or a method of a module-level class (`Class.method`, the first such class).
   */
  private functionKey(func: FunctionInfo): string | null {
    if (func.parent !== null || func.isLambda) return null;
    if (func.classInfo === null) return func.outerScope === this.moduleScope ? `def:${func.name}` : null;
    return func.classInfo.outerScope === this.moduleScope ? `class:${func.classInfo.name}.${func.name}` : null;
  }

  /** The function a `functionKey` names in this model, if any. */
  private functionByKey(key: string): FunctionInfo | null {
    const [kind, path] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
    if (kind === "def") {
      const bindings = this.moduleScope.bindings.get(path);
      if (!bindings || bindings.some((b) => b.kind !== "def")) return null;
      return bindings[bindings.length - 1].func ?? null;
    }
    const dot = path.indexOf(".");
    const owner = this.moduleScope.bindings.get(path.slice(0, dot))?.find((b) => b.kind === "class")?.classInfo;
    return owner?.methods.get(path.slice(dot + 1)) ?? null;
  }

  /** Whether code directly inside `func` runs in a coroutine, a greenlet, or synchronously. */
  contextOf(func: FunctionInfo | null): ContextKind {
    if (!func || func.isLambda) return "sync";
    if (func.isAsyncDef) return "async";
    // Rules ask once per call; decorators are resolved once per function.
    let context = this.contexts.get(func);
    if (context === undefined) {
      this.markGreenlets();
      const decorated = func.decorators.some((d) => this.isAsyncDecorator(d, func.outerScope));
      context = decorated ? "async" : func.spawnedAsGreenlet ? "greenlet" : "sync";
      this.contexts.set(func, context);
    }
    return context;
  }

  /** The names in scope at a site, for resolving. */
  lookup(name: string, scope: Scope): Binding[] | null {
    let current: Scope | null = scope.globals.has(name) ? this.moduleScope : scope;
    while (current) {
      // Class bodies do not enclose the functions defined in them.
      if (current.kind !== "class" || current === scope) {
        const found = current.bindings.get(name);
        if (found) return found;
      }
      current = current.parent;
    }
    return null;
  }

  /**
   * The qualified name an expression stands for: `t.sleep` after `import time as t` is `time.sleep`,
   * `s.get` where `s = requests.Session()` is `requests.Session.get`. Null when the name is local,
   * unknown, or not a plain name/attribute chain.
   */
  qualifiedName(expr: Node, scope: Scope, depth = 0): string | null {
    return this.resolveName(expr, scope, true, depth);
  }

  /**
   * Like `qualifiedName`, but only through imports: `socket.socket` is a name, while `conn.sock`
   * (an attribute of an instance) is not. For rules about modules and classes themselves.
   */
  importedName(expr: Node, scope: Scope): string | null {
    return this.resolveName(expr, scope, false, 0);
  }

  private resolveName(expr: Node, scope: Scope, throughInstances: boolean, depth: number): string | null {
    if (depth > maxResolutionDepth) return null;
    switch (expr.type) {
      case "identifier": {
        const bindings = this.lookup(expr.text, scope);
        if (!bindings) return builtinNames.has(expr.text) ? expr.text : null;
        const imported = bindings.find((b) => b.kind === "import");
        return imported?.qualified ?? null;
      }
      case "attribute": {
        const object = expr.childForFieldName("object");
        const attribute = expr.childForFieldName("attribute");
        if (!object || !attribute) return null;
        const base = this.resolveName(object, scope, throughInstances, depth + 1);
        if (base) return `${base}.${attribute.text}`;
        if (!throughInstances) return null;
        const type = this.instanceType(object, scope, depth + 1);
        return type ? `${type}.${attribute.text}` : null;
      }
      case "parenthesized_expression": {
        const inner = expr.namedChildren[0];
        return inner ? this.resolveName(inner, scope, throughInstances, depth + 1) : null;
      }
      default:
        return null;
    }
  }

  /** The qualified name of what a `call` node calls, or null. Cached: several rules ask for each call. */
  callee(call: Node, scope: Scope, depth = 0): string | null {
    const cached = this.callees.get(call.id);
    if (cached !== undefined) return cached;
    const fn = call.childForFieldName("function");
    const name = fn ? this.resolveName(fn, scope, true, depth) : null;
    if (depth === 0) this.callees.set(call.id, name);
    return name;
  }

  /**
   * The class of the value an expression evaluates to, when the model can tell: the result of a
   * constructor call, a variable assigned one, an annotated parameter, `self.attr` set in the class.
   */
  instanceType(expr: Node, scope: Scope, depth = 0): string | null {
    if (depth > maxResolutionDepth) return null;
    // Values are looked up many times (every call on `self.session`), and `x = x.next()` chains
    // would otherwise be followed again and again: cache per node, and cut cycles while resolving.
    const key = expr.id;
    const cached = this.instanceTypes.get(key);
    if (cached !== undefined) return cached;
    this.instanceTypes.set(key, null);
    const type = this.computeInstanceType(expr, scope, depth);
    this.instanceTypes.set(key, type);
    return type;
  }

  private computeInstanceType(expr: Node, scope: Scope, depth: number): string | null {
    switch (expr.type) {
      case "call": {
        const callee = this.callee(expr, scope, depth + 1);
        if (!callee) return null;
        if (returnTypes[callee]) return returnTypes[callee];
        const last = callee.slice(callee.lastIndexOf(".") + 1);
        return /^[A-Z]/.test(last) ? callee : null;
      }
      case "identifier": {
        for (const binding of this.lookup(expr.text, scope) ?? []) {
          if (binding.annotation) {
            const annotated = this.qualifiedName(binding.annotation, binding.valueScope ?? scope, depth + 1);
            if (annotated) return annotated;
          }
          if (binding.value) {
            const type = this.instanceType(binding.value, binding.valueScope ?? scope, depth + 1);
            if (type) return type;
          }
        }
        return null;
      }
      case "attribute": {
        const object = expr.childForFieldName("object");
        const attribute = expr.childForFieldName("attribute");
        if (object?.type !== "identifier" || !attribute) return null;
        const owner = this.selfClass(object, scope);
        for (const assigned of owner?.selfAssignments.get(attribute.text) ?? []) {
          const type = this.instanceType(assigned.value, assigned.scope, depth + 1);
          if (type) return type;
        }
        return null;
      }
      case "binary_operator": {
        // `Path(...) / "name"` is still a Path.
        const left = expr.childForFieldName("left");
        const operator = expr.childForFieldName("operator");
        if (left && operator?.type === "/") {
          const type = this.instanceType(left, scope, depth + 1);
          if (type === "pathlib.Path" || type === "pathlib.PurePath") return type;
        }
        return null;
      }
      case "parenthesized_expression":
      case "with_item": {
        const inner = expr.namedChildren[0];
        return inner ? this.instanceType(inner, scope, depth + 1) : null;
      }
      default:
        return null;
    }
  }

  /** The class `self` (or `cls`) refers to when `identifier` is a method's first parameter. */
  selfClass(identifier: Node, scope: Scope): ClassInfo | null {
    const bindings = this.lookup(identifier.text, scope);
    return bindings?.find((b) => b.selfOf)?.selfOf ?? null;
  }

  /**
   * The function of this module an expression refers to: a module-level or enclosing `def`, a method
   * through `self.name`/`cls.name`, or `ClassName.name`. Unknown receivers are not guessed.
   */
  resolveFunction(expr: Node, scope: Scope): FunctionInfo | null {
    if (expr.type === "identifier") {
      const bindings = this.lookup(expr.text, scope);
      if (!bindings || bindings.some((b) => b.kind !== "def")) return null;
      return bindings[bindings.length - 1].func ?? null;
    }
    if (expr.type === "attribute") {
      const object = expr.childForFieldName("object");
      const attribute = expr.childForFieldName("attribute");
      if (object?.type !== "identifier" || !attribute) return null;
      const owner =
        this.selfClass(object, scope) ??
        this.lookup(object.text, scope)?.find((b) => b.kind === "class")?.classInfo ??
        null;
      return owner?.methods.get(attribute.text) ?? null;
    }
    return null;
  }

  /**
   * The first syntax error or missing token, if the parse had any. Error nodes can span most of a
   * file, so this descends to the innermost one: the place a user should look.
   */
  firstSyntaxError(): Node | null {
    if (!this.root.hasError) return null;
    let node = this.root;
    for (;;) {
      const inner = node.children.find((child) => child && (child.hasError || child.isMissing));
      if (!inner) return node.isError || node.isMissing ? node : null;
      node = inner;
    }
  }

  // ---------------------------------------------------------------- contexts

  private isAsyncDecorator(decorator: Node, scope: Scope): boolean {
    const name = this.qualifiedName(decorator, scope);
    return name !== null && this.asyncDecorators.has(name);
  }

  /** Marks functions handed to gevent/eventlet spawners, and `run`/`_run` of Greenlet subclasses. */
  private markGreenlets(): void {
    if (this.contextsReady) return;
    this.contextsReady = true;
    // Resolving every call of a large file is not free: only modules that import a greenlet library
    // can spawn greenlets.
    const roots = this.importRoots();
    if (!roots.has("gevent") && !roots.has("eventlet") && !roots.has("greenlet")) return;
    for (const key of this.plan?.external.spawned ?? []) {
      const func = this.functionByKey(key);
      if (func) func.spawnedAsGreenlet = true;
    }
    for (const site of this.calls) {
      const callee = this.callee(site.node, site.scope);
      if (callee === null || !(callee in greenletSpawners)) continue;
      const args = site.node.childForFieldName("arguments");
      if (!args) continue;
      const positional = args.namedChildren.filter((a) => a && a.type !== "keyword_argument" && a.type !== "comment");
      let target: Node | null | undefined = positional[greenletSpawners[callee]];
      const runKeyword = args.namedChildren.find(
        (a) => a?.type === "keyword_argument" && a.childForFieldName("name")?.text === "run",
      );
      if (runKeyword) target = runKeyword.childForFieldName("value");
      const func = target ? this.resolveFunction(target, site.scope) : null;
      if (!func) continue;
      func.spawnedAsGreenlet = true;
      this.spawns.push({ call: site.node, func });
    }
    for (const cls of this.classes) {
      const isGreenlet = cls.bases.some((base) => {
        const name = this.qualifiedName(base, cls.outerScope);
        return name !== null && greenletBaseClasses.has(name);
      });
      if (!isGreenlet) continue;
      for (const method of ["_run", "run"]) {
        const func = cls.methods.get(method);
        if (func) func.spawnedAsGreenlet = true;
      }
    }
  }

  // ---------------------------------------------------------------- the walk

  /**
   * Collects the nodes the model records with one tree-sitter query, which runs inside the parser's
   * WASM and hands back only those nodes (walking every node from JavaScript cost as much as parsing).
   * Captures come in document order; a stack of open definitions gives each node its scope.
   */
  private build(): void {
    const moduleContext: WalkContext = { scope: this.moduleScope, func: null, cls: null };
    const open: OpenDefinition[] = [];
    for (const { node, name } of this.modelledNodes()) {
      const start = node.startIndex;
      while (open.length > 0 && start >= open[open.length - 1].end) open.pop();
      const top = open[open.length - 1];
      // Decorators, parameter defaults and base classes sit before the body and run outside it.
      const context = !top ? moduleContext : start < top.bodyStart ? top.outside : top.inside;
      const definition = this.define(node, name, context);
      if (definition) open.push(definition);
      else this.record(node, name, context.scope, context.func);
    }
  }

  /** The nodes to model, in document order, each with its capture name (see `modelQuery`). */
  private *modelledNodes(): Iterable<{ node: Node; name: string }> {
    const query = modelQuery(this.tree);
    if (!this.plan) {
      yield* query.captures(this.root);
      return;
    }
    for (const part of this.plan.parts) {
      for (const node of part.nodes) {
        if (part.outline) yield* outlineOf(node);
        else yield* query.captures(node);
      }
    }
  }

  /** Functions, lambdas, classes and comprehensions open a scope; returns it as an open definition. */
  private define(node: Node, type: string, context: WalkContext): OpenDefinition | null {
    switch (type) {
      case "function_definition":
      case "lambda": {
        const info = this.defineFunction(node, type === "lambda", context);
        const body = node.childForFieldName("body");
        return {
          end: node.endIndex,
          bodyStart: body?.startIndex ?? node.endIndex,
          outside: context,
          inside: { scope: info.scope, func: info, cls: null },
        };
      }
      case "class_definition": {
        const info = this.defineClass(node, context.scope);
        const body = node.childForFieldName("body");
        return {
          end: node.endIndex,
          bodyStart: body?.startIndex ?? node.endIndex,
          outside: context,
          inside: { scope: info.scope, func: context.func, cls: info },
        };
      }
      default:
        if (!comprehensionTypes.has(type)) return null;
        return {
          end: node.endIndex,
          bodyStart: node.startIndex,
          outside: context,
          inside: { scope: new Scope("comprehension", node, context.scope), func: context.func, cls: null },
        };
    }
  }

  /** Records what a node means for the model (bindings, sites); the walk visits its children. */
  private record(node: Node, type: string, scope: Scope, func: FunctionInfo | null): void {
    switch (type) {
      case "import_statement":
      case "import_from_statement":
      case "future_import_statement":
        this.visitImport(node, scope, func);
        return;
      case "assignment":
      case "augmented_assignment":
        this.recordAssignment(node, scope, func);
        return;
      case "named_expression": {
        const name = node.childForFieldName("name");
        const value = node.childForFieldName("value");
        if (name) scope.bind(name.text, { kind: "assign", node, value: value ?? undefined, valueScope: scope });
        return;
      }
      case "for_statement":
      case "for_in_clause": {
        const left = node.childForFieldName("left");
        if (left) this.bindTargets(left, scope, func, "other");
        return;
      }
      case "with_item": {
        const value = node.childForFieldName("value");
        if (value?.type !== "as_pattern") return;
        const expr = value.namedChildren[0];
        const target = value.childForFieldName("alias")?.namedChildren[0];
        if (target?.type === "identifier") {
          scope.bind(target.text, { kind: "assign", node: target, value: expr ?? undefined, valueScope: scope });
        } else if (target) this.bindTargets(target, scope, func, "other");
        return;
      }
      case "as_pattern": {
        // `with ... as x` is bound by its with_item; this is `except E as x` and `case ... as x`.
        if (node.parent?.type === "with_item") return;
        const alias = node.childForFieldName("alias");
        if (alias) this.bindTargets(alias.namedChildren[0] ?? alias, scope, func, "other");
        return;
      }
      case "global_statement":
        for (const name of node.namedChildren) if (name?.type === "identifier") scope.globals.add(name.text);
        return;
      case "call":
        this.calls.push({ node, scope, func });
        return;
      case "statement_call":
        this.statementCalls.push({ node, scope, func });
        return;
      case "while_statement":
        this.whileLoops.push({ node, scope, func });
        return;
    }
  }

  private defineFunction(node: Node, isLambda: boolean, context: WalkContext): FunctionInfo {
    const name = isLambda ? "" : (node.childForFieldName("name")?.text ?? "");
    const decorators: Node[] = [];
    const parent = isLambda ? null : node.parent;
    if (parent?.type === "decorated_definition") {
      for (const decorator of parent.namedChildren) {
        const expr = decorator?.type === "decorator" ? decorator.namedChildren[0] : null;
        if (expr) decorators.push(expr.type === "call" ? (expr.childForFieldName("function") ?? expr) : expr);
      }
    }
    const info: FunctionInfo = {
      node,
      name,
      isAsyncDef: !isLambda && node.firstChild?.type === "async",
      isLambda,
      decorators,
      outerScope: context.scope,
      scope: new Scope("function", node, context.scope),
      classInfo: context.cls,
      parent: context.func,
      spawnedAsGreenlet: false,
    };
    this.functions.push(info);
    if (!isLambda) {
      context.scope.bind(name, { kind: "def", node, func: info });
      context.cls?.methods.set(name, info);
    }
    const isStatic = decorators.some((d) => d.text === "staticmethod");
    const methodOf = context.cls && !isStatic ? context.cls : null;
    this.bindParameters(node.childForFieldName("parameters"), context.scope, info.scope, methodOf);
    return info;
  }

  /** Binds parameters in the function's scope; their defaults and annotations are evaluated outside. */
  private bindParameters(parameters: Node | null, outer: Scope, inner: Scope, methodOf: ClassInfo | null): void {
    if (!parameters) return;
    let first = true;
    for (const param of parameters.namedChildren) {
      if (!param) continue;
      let nameNode: Node | null = null;
      let annotation: Node | null = null;
      switch (param.type) {
        case "identifier":
          nameNode = param;
          break;
        case "default_parameter":
        case "typed_default_parameter":
          nameNode = param.childForFieldName("name");
          annotation = param.childForFieldName("type")?.namedChildren[0] ?? null;
          break;
        case "typed_parameter":
          nameNode = param.namedChildren.find((c) => c?.type === "identifier") ?? null;
          annotation = param.childForFieldName("type")?.namedChildren[0] ?? null;
          break;
        case "list_splat_pattern":
        case "dictionary_splat_pattern":
          nameNode = param.namedChildren.find((c) => c?.type === "identifier") ?? null;
          first = false;
          break;
      }
      if (nameNode) {
        inner.bind(nameNode.text, {
          kind: "param",
          node: nameNode,
          annotation: annotation ?? undefined,
          valueScope: outer,
          selfOf: first && methodOf ? methodOf : undefined,
        });
        first = false;
      }
    }
  }

  private defineClass(node: Node, scope: Scope): ClassInfo {
    const name = node.childForFieldName("name")?.text ?? "";
    const superclasses = node.childForFieldName("superclasses");
    const bases = (superclasses?.namedChildren ?? []).filter(
      (b): b is Node => b !== null && b.type !== "keyword_argument",
    );
    const info: ClassInfo = {
      node,
      name,
      bases,
      outerScope: scope,
      scope: new Scope("class", node, scope),
      methods: new Map(),
      selfAssignments: new Map(),
    };
    this.classes.push(info);
    scope.bind(name, { kind: "class", node, classInfo: info });
    return info;
  }

  private visitImport(node: Node, scope: Scope, func: FunctionInfo | null): void {
    const modules: string[] = [];
    if (node.type === "future_import_statement") {
      this.imports.push({ node, scope, func, modules: ["__future__"], isFuture: true });
      return;
    }
    if (node.type === "import_statement") {
      for (const name of node.childrenForFieldName("name")) {
        if (!name) continue;
        if (name.type === "aliased_import") {
          const full = name.childForFieldName("name")?.text ?? "";
          const alias = name.childForFieldName("alias")?.text;
          modules.push(full);
          if (alias) scope.bind(alias, { kind: "import", node, qualified: full });
        } else {
          // `import a.b` binds `a`; `a.b.c` then resolves through the attribute chain.
          const full = name.text;
          const head = full.split(".")[0];
          modules.push(full);
          scope.bind(head, { kind: "import", node, qualified: head });
        }
      }
    } else {
      const moduleNode = node.childForFieldName("module_name");
      const module = moduleNode?.text.replace(/\s+/g, "") ?? "";
      modules.push(module);
      // `from . import x` names `.x`, `from .pkg import x` names `.pkg.x`.
      const prefix = module.endsWith(".") ? module : `${module}.`;
      for (const name of node.childrenForFieldName("name")) {
        if (!name) continue;
        if (name.type === "aliased_import") {
          const imported = name.childForFieldName("name")?.text ?? "";
          const alias = name.childForFieldName("alias")?.text;
          if (alias) scope.bind(alias, { kind: "import", node, qualified: `${prefix}${imported}` });
        } else {
          scope.bind(name.text, { kind: "import", node, qualified: `${prefix}${name.text}` });
        }
      }
    }
    this.imports.push({ node, scope, func, modules, isFuture: false });
  }

  private recordAssignment(node: Node, scope: Scope, func: FunctionInfo | null): void {
    const left = node.childForFieldName("left");
    const annotation = node.childForFieldName("type")?.namedChildren[0] ?? null;
    // In `a = b = value` the right side of `a` is another assignment; `a` gets the final value.
    let value = node.childForFieldName("right");
    while (value?.type === "assignment") value = value.childForFieldName("right");
    if (!left) return;
    if (left.type === "identifier") {
      scope.bind(left.text, {
        kind: "assign",
        node: left,
        value: node.type === "assignment" ? (value ?? undefined) : undefined,
        valueScope: scope,
        annotation: annotation ?? undefined,
      });
      return;
    }
    // An annotated attribute target (`mod.x: int = 1`) declares rather than patches.
    this.bindTargets(left, scope, func, annotation ? "other" : "assign", node.type === "assignment" ? value : null);
  }

  /**
   * Binds the names of an assignment target and records attribute targets (possible patches, and
   * `self.attr = value` for the enclosing class).
   */
  private bindTargets(target: Node, scope: Scope, func: FunctionInfo | null, kind: BindingKind, value: Node | null = null): void {
    switch (target.type) {
      case "identifier":
        scope.bind(target.text, { kind, node: target });
        return;
      case "attribute": {
        // Only plain assignments can patch; `for x.y in ...` and `with ... as x.y` are left out on purpose.
        if (kind === "assign") this.attributeAssignments.push({ node: target, scope, func });
        const object = target.childForFieldName("object");
        const attribute = target.childForFieldName("attribute");
        if (value && object?.type === "identifier" && attribute && func) {
          const owner = this.selfClass(object, scope);
          if (owner) {
            const list = owner.selfAssignments.get(attribute.text) ?? [];
            list.push({ value, scope });
            owner.selfAssignments.set(attribute.text, list);
          }
        }
        return;
      }
      case "pattern_list":
      case "tuple_pattern":
      case "list_pattern":
      case "tuple":
      case "list":
      case "parenthesized_expression":
      case "list_splat_pattern":
        // Unpacking binds names; an attribute inside (`a.b, c = ...`) is not treated as a patch.
        for (const child of target.namedChildren) {
          if (child) this.bindTargets(child, scope, func, kind === "assign" ? "unpacked" : kind);
        }
        return;
      default:
      // Subscripts and other targets bind nothing; the walk still visits the calls inside them.
    }
  }
}
