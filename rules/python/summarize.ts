/**
 * The Python front end of the workspace index (see rules/workspace/summary.ts): what one module says
 * about its functions — their direct blocking calls and their calls to functions that may be of the
 * workspace — and the names it binds from other modules.
 *
 * Indexed: module-level functions and the methods (static and class methods included) of module-level
 * classes, by name; and every other coroutine (nested in a function or a nested class, or shadowed by a
 * later definition of its name) as `name@line:col` (1-based, where its definition starts), like the
 * TypeScript summary: the rule reports calls in every coroutine, so the CLI's summary pass must see
 * them all. Calls are resolved to module-level functions (imported ones to their module), methods on
 * `self` and `super()` (through the class's bases), and static and class methods on a class name.
 * Nested sync functions and lambdas are not indexed: calls inside them run when (and if)
 * they are called, which is not known, so they are neither the outer function's calls nor their own
 * entries. Calls through unknown receivers (`obj.helper()`, `self.repo.load()`) are not guessed.
 */
import type { Node } from "web-tree-sitter";
import type { AnalysisOptions } from "../types";
import type { CallTarget, DirectBlockingCall, FileSummary, FunctionSummary, OutgoingCall } from "../workspace/summary";
import { blockingCallAt } from "../catalogue/blocking-call";
import { pythonModuleKeys, toSlashes } from "../workspace/module-keys";
import { rangeOf } from "./fix-helpers";
import type { Binding, ClassInfo, FunctionInfo, PythonModel, Site } from "./semantic";

type ModuleTarget = Extract<CallTarget, { kind: "module" }>;

/**
 * Calls that hand a function to a thread or an executor rather than run it on the loop. Their
 * function argument is a reference, not a call, so it never becomes an edge; the runner itself is
 * skipped so that, in a workspace that holds these libraries (the standard library), it does not
 * become one either.
 */
const threadRunners = new Set([
  "asyncio.to_thread",
  "asyncio.AbstractEventLoop.run_in_executor",
  "trio.to_thread.run_sync",
  "anyio.to_thread.run_sync",
  "threading.Thread",
  "threading.Timer",
  "concurrent.futures.ThreadPoolExecutor",
  "concurrent.futures.ProcessPoolExecutor",
  ...["ThreadPoolExecutor", "ProcessPoolExecutor", "Executor", "thread.ThreadPoolExecutor"].flatMap((executor) =>
    ["submit", "map"].map((method) => `concurrent.futures.${executor}.${method}`),
  ),
]);

/** Base classes followed when looking up `self.method` (a deeper hierarchy is not worth guessing). */
const maxBaseDepth = 8;

/**
 * The last summary of each model, with what it was made from: the CLI summarizes a file, then
 * analyses it on the same model, and the rule asks for the same summary again.
 */
const lastSummaries = new WeakMap<PythonModel, { key: string; extraBlockingCalls: AnalysisOptions["extraBlockingCalls"]; summary: FileSummary }>();

/**
 * The summary of a modelled Python file (or the one adopted for the model, see `adoptPythonSummary`).
 * `moduleKeys` defaults to the keys `pythonModuleKeys` gives without workspace roots; relative
 * imports resolve against the first one.
 */
export function summarizePython(
  model: PythonModel,
  file: string,
  options: AnalysisOptions,
  moduleKeys: string[] = pythonModuleKeys(file, []),
): FileSummary {
  const key = `${file}\0${moduleKeys.join("\0")}`;
  const last = lastSummaries.get(model);
  if (last && last.key === key && last.extraBlockingCalls === options.extraBlockingCalls) return last.summary;
  const summary = summarizeModel(model, file, options, moduleKeys);
  lastSummaries.set(model, { key, extraBlockingCalls: options.extraBlockingCalls, summary });
  return summary;
}

/**
 * The summary of a file with coroutines for the CLI's summary pass: its coroutines and the functions
 * of the file they call, transitively (see `summarizePythonPart`); `ids` lists every indexed function.
 * A sync function no coroutine reaches is summarized only if a chain from another file asks for it.
 */
export function summarizePythonCoroutines(
  model: PythonModel,
  file: string,
  options: AnalysisOptions,
  moduleKeys: string[],
): { summary: FileSummary; ids: string[] } {
  const indexed = indexedFunctions(model);
  const coroutines = new Set<string>();
  for (const [id, func] of indexed) if (model.contextOf(func) === "async") coroutines.add(id);
  return { summary: summarizeModel(model, file, options, moduleKeys, indexed, coroutines), ids: [...indexed.keys()] };
}

/**
 * Makes `summarizePython` answer `summary` for `model` (with `options`' blocking calls): the CLI's
 * check of a file reuses the summary its summary pass indexed, a partial one that holds every
 * coroutine and what they call in the file, which is all `blocking-call-transitive` reads of it.
 */
export function adoptPythonSummary(model: PythonModel, options: AnalysisOptions, summary: FileSummary): void {
  lastSummaries.set(model, { key: `${summary.file}\0${summary.moduleKeys.join("\0")}`, extraBlockingCalls: options.extraBlockingCalls, summary });
}

/**
 * A summary of only some functions of a module that is just a call target (the CLI's summary pass):
 * those `wanted` names and the functions of the same file they call, transitively. `ids` lists every
 * indexed function, so that the pass can ask again for one it was not given. Resolving the calls of
 * the functions nobody follows is most of a summary's cost.
 */
export function summarizePythonPart(
  model: PythonModel,
  file: string,
  options: AnalysisOptions,
  moduleKeys: string[],
  wanted: ReadonlySet<string>,
): { summary: FileSummary; ids: string[] } {
  const indexed = indexedFunctions(model);
  return { summary: summarizeModel(model, file, options, moduleKeys, indexed, wanted), ids: [...indexed.keys()] };
}

/**
 * The summaries of the indexed functions whose definitions start inside one of `spans` (start and
 * end offsets), each with where its definition starts (a positional id is made of it), in document
 * order; and the module's re-exports. For the editor, which re-summarizes only the top-level
 * statements an edit touched: `model` may be a partial model (see `BuildPlan`) that models those
 * statements completely.
 */
export function summarizePythonWithin(
  model: PythonModel,
  file: string,
  options: AnalysisOptions,
  moduleKeys: string[],
  spans: readonly { startIndex: number; endIndex: number }[],
): { functions: FunctionSummary[]; reexports: FileSummary["reexports"] } {
  const indexed = indexedFunctions(model);
  const within = new Set<string>();
  for (const [id, func] of indexed) {
    const start = func.node.startIndex;
    if (spans.some((span) => start >= span.startIndex && start < span.endIndex)) within.add(id);
  }
  const summary = summarizeModel(model, file, options, moduleKeys, indexed, within, false);
  return { functions: summary.functions, reexports: summary.reexports };
}

/**
 * `id` for a function whose definition now starts at `start` (0-based): positional ids
 * (`name@line:col`) follow the definition, names stay.
 */
export function movedFunctionId(id: string, start: { line: number; column: number }): string {
  const at = id.indexOf("@");
  return at === -1 ? id : `${id.slice(0, at)}@${start.line + 1}:${start.column + 1}`;
}

function summarizeModel(
  model: PythonModel,
  file: string,
  options: AnalysisOptions,
  moduleKeys: string[],
  indexed = indexedFunctions(model),
  wanted?: ReadonlySet<string>,
  /** Whether the functions of this file that `wanted` ones call are summarized too. */
  followLocalCalls = true,
): FileSummary {
  const path = toSlashes(file);
  const calls = callTargetsOf(model, path, moduleKeys);
  const sites = new Map<FunctionInfo, Site[]>();
  for (const site of model.calls) {
    if (!site.func) continue;
    const list = sites.get(site.func);
    if (list) list.push(site);
    else sites.set(site.func, [site]);
  }
  const entries = new Map<string, { blocking: DirectBlockingCall[]; calls: OutgoingCall[] }>();
  const queue = wanted ? [...wanted] : [...indexed.keys()];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    const func = indexed.get(id);
    if (!func || entries.has(id)) continue;
    const entry = { blocking: [] as DirectBlockingCall[], calls: [] as OutgoingCall[] };
    entries.set(id, entry);
    for (const site of sites.get(func) ?? []) {
      const blocking = blockingCallAt(model, site.node, site.scope, options.extraBlockingCalls);
      if (blocking) {
        entry.blocking.push({ callee: blocking.name, range: rangeOf(site.node) });
        continue;
      }
      const call = calls.outgoingCall(site);
      if (!call) continue;
      entry.calls.push(call);
      // A part: the functions of this file it calls are followed too (the index would go there).
      if (wanted && followLocalCalls && call.target.kind === "local") queue.push(call.target.id);
    }
  }
  // In document order, so that an editor can put a summary together from the summaries of its parts.
  const summarized = [...indexed].filter(([id]) => entries.has(id)).sort(([, a], [, b]) => a.node.startIndex - b.node.startIndex);
  const functions: FunctionSummary[] = [];
  for (const [id, func] of summarized) {
    const entry = entries.get(id)!;
    const name = func.node.childForFieldName("name") ?? func.node;
    functions.push({ id, async: model.contextOf(func) === "async", range: rangeOf(name), blocking: entry.blocking, calls: entry.calls });
  }
  return { file: path, language: "python", moduleKeys, functions, reexports: calls.reexports() };
}

/** Where the calls of `file`'s model go; relative imports resolve against its first module key. */
export function callTargetsOf(model: PythonModel, file: string, moduleKeys: readonly string[]): PythonCallTargets {
  return new PythonCallTargets(model, moduleKeys[0] ?? null, /(^|\/)__init__\.pyi?$/.test(toSlashes(file)));
}

/**
 * Module-level functions and methods of module-level classes by id (a later definition wins), then
 * the coroutines left out by position.
 */
function indexedFunctions(model: PythonModel): Map<string, FunctionInfo> {
  const result = new Map<string, FunctionInfo>();
  for (const func of model.functions) {
    if (func.isLambda || func.parent !== null) continue;
    if (func.classInfo === null) {
      if (func.outerScope === model.moduleScope) result.set(func.name, func);
    } else if (func.classInfo.outerScope === model.moduleScope) {
      result.set(`${func.classInfo.name}.${func.name}`, func);
    }
  }
  const named = new Set(result.values());
  for (const func of model.functions) {
    if (named.has(func) || model.contextOf(func) !== "async") continue;
    const start = func.node.startPosition;
    result.set(`${func.name}@${start.row + 1}:${start.column + 1}`, func);
  }
  return result;
}

/** Where the calls of one module go, as `CallTarget`s. Shared with `blocking-call-transitive`. */
export class PythonCallTargets {
  constructor(
    private readonly model: PythonModel,
    /** The module's own dotted name (relative imports resolve against it), if known. */
    private readonly moduleKey: string | null,
    /** An `__init__.py`: its own name is the package `.` names. */
    private readonly isPackage: boolean,
  ) {}

  /** The call as an edge of the index, or null (a thread runner, an unknown receiver, a builtin...). */
  outgoingCall(site: Site): OutgoingCall | null {
    const callee = this.model.callee(site.node, site.scope);
    if (callee !== null && threadRunners.has(callee)) return null;
    const fn = site.node.childForFieldName("function");
    const target = fn ? this.targetOf(fn, site) : null;
    return target && fn ? { target, range: rangeOf(site.node), text: fn.text } : null;
  }

  private targetOf(fn: Node, site: Site): CallTarget | null {
    const viaSuper = this.superTarget(fn, site);
    if (viaSuper !== undefined) return viaSuper;
    // `a.b.c` → head `a`, attributes `b`, `c`; anything else (a call result, a subscript) is unknown.
    const attributes: string[] = [];
    let head: Node | null = fn;
    while (head?.type === "attribute") {
      const attribute = head.childForFieldName("attribute");
      if (!attribute) return null;
      attributes.unshift(attribute.text);
      head = head.childForFieldName("object");
    }
    if (head?.type !== "identifier") return null;
    const bindings = this.model.lookup(head.text, site.scope);
    if (!bindings) return null;
    const owner = bindings.find((binding) => binding.selfOf)?.selfOf;
    if (owner) return attributes.length === 1 ? this.methodTarget(owner, attributes[0], 0) : null;
    const last = bindings[bindings.length - 1];
    if (bindings.every((binding) => binding.kind === "def")) {
      const func = last.func;
      if (attributes.length > 0 || !func || func.parent !== null || func.classInfo !== null) return null;
      return func.outerScope === this.model.moduleScope ? { kind: "local", id: func.name } : null;
    }
    if (bindings.every((binding) => binding.kind === "class") && last.classInfo) {
      // `Repo()` runs `Repo.__init__`; `Repo.create()` a static or class method.
      if (attributes.length > 1) return null;
      return this.methodTarget(last.classInfo, attributes[0] ?? "__init__", 0);
    }
    const imported = bindings.find((binding) => binding.kind === "import");
    const base = imported ? this.importTarget(imported) : null;
    if (!base) return null;
    const path = [...base.path, ...attributes];
    return path.length > 0 ? { kind: "module", module: base.module, path } : null;
  }

  /**
   * `super().name(...)` in a method of a module-level class: `name` of the first base that may have
   * it. Undefined when `fn` is not such a call; `super(Cls, obj)` with arguments is not followed.
   */
  private superTarget(fn: Node, site: Site): CallTarget | null | undefined {
    if (fn.type !== "attribute") return undefined;
    const object = fn.childForFieldName("object");
    const callee = object?.type === "call" ? object.childForFieldName("function") : null;
    if (callee?.type !== "identifier" || callee.text !== "super" || this.model.lookup("super", site.scope) !== null) return undefined;
    if ((object!.childForFieldName("arguments")?.namedChildCount ?? 0) > 0) return null;
    const cls = site.func?.classInfo;
    const name = fn.childForFieldName("attribute")?.text;
    if (!cls || !name) return null;
    return this.baseMethodTarget(cls, name, 0);
  }

  /** `name` looked up on a class of this module: its own method, else the first base that may have it. */
  private methodTarget(cls: ClassInfo, name: string, depth: number): CallTarget | null {
    if (cls.outerScope !== this.model.moduleScope || depth > maxBaseDepth) return null;
    if (cls.methods.has(name)) return { kind: "local", id: `${cls.name}.${name}` };
    return this.baseMethodTarget(cls, name, depth);
  }

  /** `name` looked up on the bases of a class of this module, in order. */
  private baseMethodTarget(cls: ClassInfo, name: string, depth: number): CallTarget | null {
    if (cls.outerScope !== this.model.moduleScope || depth > maxBaseDepth) return null;
    for (const base of cls.bases) {
      if (base.type !== "identifier") continue;
      const bindings = this.model.lookup(base.text, cls.outerScope);
      const last = bindings?.[bindings.length - 1];
      if (last?.kind === "class" && last.classInfo) {
        const found = this.methodTarget(last.classInfo, name, depth + 1);
        if (found) return found;
      } else if (last?.kind === "import") {
        const target = this.importTarget(last);
        if (target && target.path.length > 0) return { kind: "module", module: target.module, path: [...target.path, name] };
      }
    }
    return null;
  }

  /** What an import binding names: a module (`import a.b as z`) or a member of one (`from .db import load`). */
  private importTarget(binding: Binding): ModuleTarget | null {
    const statement = binding.node;
    const qualified = binding.qualified;
    if (qualified === undefined) return null;
    if (statement.type === "import_statement") return { kind: "module", module: qualified, path: [] };
    if (statement.type !== "import_from_statement") return null;
    const written = statement.childForFieldName("module_name")?.text.replace(/\s+/g, "") ?? "";
    const prefix = written.endsWith(".") ? written : `${written}.`;
    if (!qualified.startsWith(prefix)) return null;
    const module = this.absoluteModule(written);
    return module ? { kind: "module", module, path: [qualified.slice(prefix.length)] } : null;
  }

  /** `.db` in `pkg/service.py` → `pkg.db`; `..` in `pkg/sub/__init__.py` → `pkg`; absolute names as they are. */
  private absoluteModule(written: string): string | null {
    const dots = /^\.*/.exec(written)![0].length;
    if (dots === 0) return written;
    if (this.moduleKey === null) return null;
    const packagePath = this.moduleKey.split(".");
    if (!this.isPackage) packagePath.pop();
    if (dots - 1 > packagePath.length) return null;
    const base = packagePath.slice(0, packagePath.length - (dots - 1));
    const rest = written.slice(dots).split(".").filter((part) => part !== "");
    const parts = [...base, ...rest];
    return parts.length > 0 ? parts.join(".") : null;
  }

  /** The names the module binds from other modules at module level, and its `*` imports. */
  reexports(): FileSummary["reexports"] {
    const result: FileSummary["reexports"] = [];
    for (const [name, bindings] of this.model.moduleScope.bindings) {
      const imported = bindings.filter((binding) => binding.kind === "import");
      const last = imported[imported.length - 1];
      const target = last ? this.importTarget(last) : null;
      if (target) result.push({ name, target });
    }
    for (const site of this.model.imports) {
      if (site.scope !== this.model.moduleScope || site.node.type !== "import_from_statement") continue;
      if (!site.node.namedChildren.some((child) => child?.type === "wildcard_import")) continue;
      const written = site.node.childForFieldName("module_name")?.text.replace(/\s+/g, "") ?? "";
      const module = this.absoluteModule(written);
      if (module) result.push({ name: "*", target: { kind: "module", module, path: [] } });
    }
    return result;
  }
}
