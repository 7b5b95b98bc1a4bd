import type { ts as TS } from "ts-morph";
import type { RelatedLocation, Rule } from "../rule";
import type { Framework, PythonModel, Site } from "../python/semantic";
import { rangeOf } from "../python/fix-helpers";
import { mayHaveAsyncContext } from "../python/triggers";
import { summarizePython } from "../python/summarize";
import { tsRange } from "../typescript/analyze";
import { summarizeTypeScript } from "../typescript/summarize";
import type { Fix, Range } from "../types";
import { createWorkspaceIndex } from "../workspace/index";
import { projectRootOf, pythonModuleKeys, summaryFileOf, workspaceRootsOf } from "../workspace/module-keys";
import type { ChainHop, FunctionSummary, OutgoingCall, WorkspaceIndex } from "../workspace/summary";
import { toThreadFix } from "./blocking-call";

/** Longer chains name their first and last calls and how many lie between. */
const maxNamedHops = 4;

const threadRunner: Record<Framework, string> = {
  asyncio: "asyncio.to_thread",
  trio: "trio.to_thread.run_sync",
  anyio: "anyio.to_thread.run_sync",
};

/** How the analysed file and the files of a chain are named in findings. */
export interface Naming {
  /** The analysed file's summary key, its path relative to the project root, and the root. */
  file: string;
  path: string;
  root: string | null;
}

/**
 * A file of the chain as findings name it: the analysed file by its `path`, others relative to the
 * project root when they lie under it (like `path`), else by their absolute path. The server and
 * the CLI resolve related files against the project root, which leaves absolute paths as they are.
 */
function displayFile(hopFile: string, naming: Naming): string {
  if (hopFile === naming.file) return naming.path;
  const { root } = naming;
  return root !== null && hopFile.startsWith(`${root}/`) ? hopFile.slice(root.length + 1) : hopFile;
}

/**
 * "`load_user()` blocks the event loop in coroutine `handler`: it calls `fetch_row()`, which calls
 * `requests.get()` (app/db.py:12, 2 calls down)" — the chain from the call to the blocking call at
 * its end, where that is, and how deep.
 */
function chainMessage(chain: ChainHop[], where: string, naming: Naming): string {
  const calls = chain.slice(1).map((hop) => `\`${hop.callee}()\``);
  const shown = calls.length <= maxNamedHops ? calls : [calls[0], `… (${calls.length - 2} more)`, calls[calls.length - 1]];
  const path = shown.map((call, index) => (index === 0 ? `it calls ${call}` : `which calls ${call}`)).join(", ");
  const last = chain[chain.length - 1];
  const place = `${displayFile(last.file, naming)}:${last.range.start.line + 1}`;
  const depth = calls.length > 1 ? `, ${calls.length} calls down` : "";
  return `\`${chain[0].callee}()\` blocks the event loop${where}: ${path} (${place}${depth})`;
}

/**
 * One related location per hop after the call itself (that one is the finding's own range), in
 * order: the editor jumps along the chain. `file` is set for hops in other files only.
 */
function hopLocations(chain: ChainHop[], naming: Naming): RelatedLocation[] {
  return chain.slice(1).map((hop) => {
    const message = hop.blocking
      ? `\`${hop.caller}\` calls \`${hop.callee}()\`, which blocks`
      : `\`${hop.caller}\` calls \`${hop.callee}()\``;
    const location: RelatedLocation = { message, range: hop.range };
    if (hop.file !== naming.file) location.file = displayFile(hop.file, naming);
    return location;
  });
}

function rangeKey(range: Range): string {
  return `${range.start.line}:${range.start.column}:${range.end.line}:${range.end.column}`;
}

/**
 * A call in a coroutine that is reported when it leads to a blocking call: the call as the summary
 * has it, the coroutine's name, and the "run it in a thread" fix (which needs the syntax tree, so it
 * is made with the candidate; the editor keeps candidates per top-level statement between edits).
 */
export interface TransitiveCandidate {
  call: OutgoingCall;
  caller: string | null;
  fixes: Fix[];
}

/** How the analysed file and the files of chains are named in findings. */
export function transitiveNaming(path: string, absolutePath: string | undefined): Naming {
  return { file: summaryFileOf(path, absolutePath), path, root: projectRootOf(path, absolutePath) };
}

/**
 * The candidates of a Python model: the calls of its coroutines in `functions` (its summary, or the
 * part of it whose functions `model` models completely) that may reach workspace code. These are
 * exactly the calls the rule looks at: every coroutine is summarized, blocking calls and calls
 * handed to threads are not outgoing calls.
 */
export function pythonTransitiveCandidates(model: PythonModel, functions: readonly FunctionSummary[]): TransitiveCandidate[] {
  const coroutineCalls = new Set<string>();
  for (const fn of functions) if (fn.async) for (const call of fn.calls) coroutineCalls.add(rangeKey(call.range));
  if (coroutineCalls.size === 0) return [];
  const sites = new Map<string, Site>();
  for (const site of model.calls) {
    // Only coroutines' calls can be candidates: no range to build for the others.
    if (model.contextOf(site.func) !== "async") continue;
    const key = rangeKey(rangeOf(site.node));
    if (coroutineCalls.has(key)) sites.set(key, site);
  }
  const candidates: TransitiveCandidate[] = [];
  for (const fn of functions) {
    if (!fn.async) continue;
    for (const call of fn.calls) {
      const site = sites.get(rangeKey(call.range));
      if (!site) continue;
      candidates.push({ call, caller: site.func?.name ?? null, fixes: toThreadFix(model, site, model.framework, call.text) });
    }
  }
  return candidates;
}

/** What the rule reports for the candidates that lead to a blocking call, at the candidates' ranges. */
export function pythonTransitiveReports(
  candidates: readonly TransitiveCandidate[],
  index: WorkspaceIndex,
  naming: Naming,
  framework: Framework,
  maxDepth: number | undefined,
): { range: Range; message: string; related: RelatedLocation[]; fixes?: Fix[] }[] {
  const runner = threadRunner[framework];
  const reports = [];
  for (const candidate of candidates) {
    const chain = index.chainFrom(naming.file, candidate.call, maxDepth);
    if (!chain) continue;
    const where = candidate.caller ? ` in coroutine \`${candidate.caller}\`` : "";
    reports.push({
      range: candidate.call.range,
      message: `${chainMessage(chain, where, naming)}; run it in a thread (\`await ${runner}(...)\`) or make the chain async`,
      related: hopLocations(chain, naming),
      ...(candidate.fixes.length > 0 ? { fixes: candidate.fixes } : {}),
    });
  }
  return reports;
}

export const blockingCallTransitive: Rule = {
  id: "blocking-call-transitive",
  summary: "A call in async code to a sync function of the workspace that, through other sync functions, reaches a blocking call.",
  languages: ["python", "typescript"],
  defaultSeverity: "warning",
  equivalents: {},
  docs: {
    what:
      "Reports a call, inside a coroutine or async function, to a sync function of your code that makes a blocking call " +
      "(one `blocking-call` knows) — directly, or through other sync functions, in the same file or in other modules of " +
      "the workspace. The message names the blocking call at the end of the chain and where it is; the related " +
      "locations list every call along the way, so the editor can jump from hop to hop. Calls are followed to " +
      "module-level functions (of the file, or imported — relative imports, aliases, re-exports through `__init__.py` " +
      "or `export ... from`, `*` included, and TS/JS specifiers that tsconfig `paths` map to workspace files), to methods called on `self`/`this` in their class (and, in Python, on " +
      "`super()`: the base class's), and to static and class methods; calls on other receivers (`obj.helper()`) are not guessed, and nested functions and lambdas are not " +
      "followed. A function handed to a thread (`asyncio.to_thread(load_user, id)`, `loop.run_in_executor`, " +
      "`trio.to_thread.run_sync`, `anyio.to_thread.run_sync`, an executor's `submit`, `threading.Thread(target=...)`) " +
      "is not called on the loop and breaks the chain. A call that is itself blocking is `blocking-call`'s finding, and " +
      "a call to an async function is not followed. Calls inside a called generator count, as its body runs while the " +
      "caller consumes it. `transitive-max-depth` limits how many sync functions a chain may go through (1: only " +
      "helpers that block themselves; default: no limit); cycles end. The CLI indexes the project once per run; the editor updates the index " +
      "as files change, and re-checks the open files that call an edited helper.",
    why:
      "A blocking call hidden one or two helpers down holds the event loop exactly like one written in the coroutine: " +
      "every other task waits for it. It is the usual way real hangs ship — `async def handler(): return load_user(id)` " +
      "looks harmless, and `load_user` in another module calls `requests.get` — and no linter that reads one function " +
      "at a time sees it.",
    example: [
      "import requests",
      "",
      "def fetch_row(user_id):",
      '    return requests.get(f"https://db.internal/users/{user_id}").json()',
      "",
      "def load_user(user_id):",
      "    return fetch_row(user_id)",
      "",
      "async def handler(user_id):",
      "    return load_user(user_id)",
    ].join("\n"),
    fixSafety:
      "Python: an unsafe fix, \"Run in a thread\", moves the call to a worker thread: `load_user(user_id)` becomes " +
      "`await asyncio.to_thread(load_user, user_id)` (`await trio.to_thread.run_sync(...)` / " +
      "`await anyio.to_thread.run_sync(...)` in trio or anyio modules, keyword arguments through `functools.partial`), " +
      "offered where `blocking-call` offers the same rewrite. It is unsafe for the same reasons: the helpers now run on " +
      "another thread (thread-local state, objects tied to a thread, code that expects the event loop's thread), and " +
      "cancelling the `await` does not stop them. TypeScript and JavaScript have no fix: making the chain async is a " +
      "rewrite of every function on it.",
    useInstead: [
      "import asyncio",
      "import requests",
      "",
      "def fetch_row(user_id):",
      '    return requests.get(f"https://db.internal/users/{user_id}").json()',
      "",
      "def load_user(user_id):",
      "    return fetch_row(user_id)",
      "",
      "async def handler(user_id):",
      "    return await asyncio.to_thread(load_user, user_id)",
    ].join("\n"),
    typescript: {
      example: [
        'import { readFileSync } from "node:fs";',
        "",
        "function readConfig(path: string) {",
        '  return JSON.parse(readFileSync(path, "utf8"));',
        "}",
        "",
        "export async function start(path: string) {",
        "  return readConfig(path).port;",
        "}",
      ].join("\n"),
      useInstead: [
        'import { readFile } from "node:fs/promises";',
        "",
        "async function readConfig(path: string) {",
        '  return JSON.parse(await readFile(path, "utf8"));',
        "}",
        "",
        "export async function start(path: string) {",
        "  return (await readConfig(path)).port;",
        "}",
      ].join("\n"),
    },
  },
  mightApply: mayHaveAsyncContext,
  mightApplyTypeScript: (source) => /\basync\b/.test(source),
  checkPython({ model, options, path, absolutePath, workspace, workspaceRoots, report }) {
    if (!workspace && !model.functions.some((func) => model.contextOf(func) === "async")) return;
    const file = summaryFileOf(path, absolutePath);
    const index: WorkspaceIndex = workspace ?? createWorkspaceIndex();
    const moduleKeys = index.summaryOf(file)?.moduleKeys ?? pythonModuleKeys(file, workspaceRootsOf(path, absolutePath, workspaceRoots));
    const summary = summarizePython(model, file, options, moduleKeys);
    index.update(summary);
    const candidates = pythonTransitiveCandidates(model, summary.functions);
    const naming = transitiveNaming(path, absolutePath);
    for (const found of pythonTransitiveReports(candidates, index, naming, model.framework, options.transitiveMaxDepth)) report(found);
  },
  checkTypeScript({ model, options, path, absolutePath, workspace, report }) {
    if (!workspace && !model.calls.some((site) => model.contextOf(site.func) === "async")) return;
    const file = summaryFileOf(path, absolutePath);
    const index: WorkspaceIndex = workspace ?? createWorkspaceIndex();
    const summary = summarizeTypeScript(model, file, options);
    index.update(summary);
    const naming: Naming = { file, path, root: projectRootOf(path, absolutePath) };
    // The summary gives ranges; the report wants the call's node and its function.
    const sites = new Map<string, (typeof model.calls)[number]>();
    for (const site of model.calls) sites.set(rangeKey(tsRange(model.sourceFile, site.node)), site);
    for (const fn of summary.functions) {
      if (!fn.async) continue;
      for (const call of fn.calls) {
        const site = sites.get(rangeKey(call.range));
        const chain = site ? index.chainFrom(file, call, options.transitiveMaxDepth) : undefined;
        if (!site || !chain) continue;
        const name = model.functionName(site.func);
        const where = name ? ` in async function \`${name}\`` : "";
        report({
          node: site.node as TS.Node,
          message: `${chainMessage(chain, where, naming)}; make the chain async, or move the work to a worker thread`,
          related: hopLocations(chain, naming),
        });
      }
    }
  },
};
