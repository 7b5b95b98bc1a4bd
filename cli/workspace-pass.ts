/**
 * The summary pass of `blocking-call-transitive` (issue #7): which files `corolint check` summarizes
 * before the analysis, so that a call from async code into a sync helper of another file can be
 * followed to a blocking call.
 *
 * Summarizing means parsing, and parsing every file of a large tree would cost more than the whole
 * prefiltered check. So the pass is driven by demand: it starts from the checked files that can hold
 * a finding (those with async code: the seeds), then summarizes the files their calls and re-exports
 * may name, then the files those name, and so on until nothing new is named. A file that no chain
 * from async code can reach is never parsed for the index.
 *
 * Files outside the checked paths are candidates too (a pre-commit run names only the changed files,
 * whose helpers did not change): the files under the project root, found like `check` finds files,
 * up to `MAX_EXTRA_FILES`.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { effectiveSeverity, languageForPath, ruleById, type RuleSelection } from "../rules/index";
import type { CallTarget, FileSummary } from "../rules/workspace/summary";
import type { FileTask } from "./check-types";
import { discoverFiles, toPosix } from "./discover-files";

/** The rule this pass serves. */
export const TRANSITIVE_RULE = "blocking-call-transitive";

/** At most this many files beyond the checked ones are considered for the index. */
export const MAX_EXTRA_FILES = 5000;

/** Whether the run reports `blocking-call-transitive` (else the summary pass is skipped entirely). */
export function transitiveSelected(selection: RuleSelection): boolean {
  const rule = ruleById(TRANSITIVE_RULE);
  return rule !== undefined && effectiveSeverity(rule.id, rule.defaultSeverity, selection) !== null;
}

/**
 * The files under the project root that the run does not check but that checked files may call into.
 * None when no project root is known (no configuration file, and the current folder is not a project)
 * or when a checked path lies outside it (then the root says nothing about that code).
 */
export function extraIndexFiles(
  projectRoot: string | null,
  namedPaths: readonly string[],
  checked: readonly FileTask[],
  exclude: { excludeBase: string | null; exclude: string[] },
  analysisRoot: string,
): FileTask[] {
  if (projectRoot === null) return [];
  const inside = (path: string) => {
    const rel = relative(projectRoot, path);
    return !rel.startsWith("..") && !isAbsolute(rel);
  };
  if (!namedPaths.every(inside)) return [];
  // Checking the project root itself already covers every candidate.
  if (namedPaths.some((path) => relative(projectRoot, path) === "")) return [];
  const discovery = discoverFiles([projectRoot], { ...exclude, maxFiles: MAX_EXTRA_FILES + checked.length });
  // Over the limit the extras are left out whole: a cut at an arbitrary file would make findings
  // depend on folder names.
  if (discovery.truncated) return [];
  const known = new Set(checked.map((task) => task.absPath));
  return discovery.files
    .filter((path) => !known.has(path))
    .map((absPath) => ({ absPath, analysisPath: toPosix(relative(analysisRoot, absPath)) }));
}

/** The folder to look for helpers in when no configuration file names the project root: a project's top folder. */
export function looksLikeProjectRoot(dir: string): boolean {
  return [".git", "pyproject.toml", "setup.py", "setup.cfg", "package.json", "tsconfig.json"].some((name) => existsSync(join(dir, name)));
}

/**
 * Which candidate files the chains from async code may go through, function by function: the calls
 * of the seeds' functions are followed to the functions they may run, and only those functions'
 * calls are followed on (a helper module is summarized whole, but its other functions do not pull
 * in more files). Resolution mirrors the index's (rules/workspace/index.ts): a module key and a
 * path to a function, a re-export, or a submodule.
 *
 * Python module keys are dotted suffixes of a file's path (`pkg.db` for `…/src/pkg/db.py`, whatever
 * the import root), so every suffix is a candidate key: a superset of the real keys, which costs at
 * most a few extra summaries and never misses one. TS/JS keys are paths without extension.
 */
export class SummaryDemand {
  private readonly byKey = new Map<string, number[]>();
  /** Candidates requested (summarized, or being summarized). */
  private readonly requested = new Set<number>();
  private readonly summaries = new Map<number, FileSummary>();
  /** Member lookups (`module\0path`) and functions (`index\0id`) already followed. */
  private readonly followed = new Set<string>();
  /** Lookups waiting for a candidate's summary, by candidate. */
  private readonly waiting = new Map<number, ModuleTarget[]>();
  /**
   * Python modules that are only call targets get partial summaries (the functions followed in them,
   * see `summarizePythonPart`): the function ids asked of each, the ids of all its functions once a
   * part came back, and those being summarized again because a later lookup wants more.
   */
  private readonly asked = new Map<number, Set<string>>();
  private readonly allIds = new Map<number, Set<string>>();
  private readonly again = new Set<number>();

  constructor(candidates: readonly FileTask[]) {
    candidates.forEach((task, index) => {
      for (const key of candidateKeys(task.absPath)) {
        const list = this.byKey.get(key);
        if (list) list.push(index);
        else this.byKey.set(key, [index]);
      }
    });
  }

  /**
   * Makes candidates requestable again (seeds left unparsed because they hold no async code), and
   * returns those that lookups already wait for: they are to be summarized now.
   */
  forget(indexes: Iterable<number>): number[] {
    const wanted: number[] = [];
    for (const index of indexes) {
      if (this.waiting.has(index)) wanted.push(index);
      else this.requested.delete(index);
    }
    return wanted;
  }

  /** The function ids to summarize of a candidate `next` returned (a Python file's part). */
  wantedOf(index: number): string[] {
    return [...(this.asked.get(index) ?? [])].sort();
  }

  /** Marks candidates as requested: `next` never asks for them. */
  markRequested(indexes: Iterable<number>): void {
    for (const index of indexes) this.requested.add(index);
  }

  /**
   * Takes the summaries of a round (by candidate index), and returns the candidates to summarize next.
   * With `roots` (the seeds, where findings are reported), the calls in async context of these
   * summaries are the starting points; otherwise only the functions earlier lookups named are followed.
   */
  next(round: readonly { index: number; summary: FileSummary | null; ids?: string[] }[], roots: boolean): number[] {
    const wanted: number[] = [];
    const lookups: ModuleTarget[] = [];
    const functions: { index: number; id: string }[] = [];
    for (const { index, summary, ids } of round) {
      this.again.delete(index);
      if (!summary) continue;
      this.summaries.set(index, summary);
      this.allIds.set(index, new Set(ids ?? summary.functions.map((fn) => fn.id)));
      // A seed's part (its coroutines and what they call) must keep them when it is summarized again.
      if (roots && ids) for (const fn of summary.functions) if (fn.async) this.ask(index, fn.id);
      if (roots) {
        // Findings are reported on calls in async functions, and the summaries index every one of
        // them (nested ones by position): they are the starts.
        for (const fn of summary.functions) if (fn.async) functions.push({ index, id: fn.id });
      }
      lookups.push(...(this.waiting.get(index) ?? []));
      this.waiting.delete(index);
    }
    for (;;) {
      const fnRef = functions.pop();
      if (fnRef) {
        this.followFunction(fnRef.index, fnRef.id, roots, functions, lookups);
        continue;
      }
      const lookup = lookups.pop();
      if (!lookup) break;
      this.followLookup(lookup, functions, lookups, wanted);
    }
    return wanted.sort((a, b) => a - b);
  }

  private followFunction(index: number, id: string, roots: boolean, functions: { index: number; id: string }[], lookups: ModuleTarget[]): void {
    const key = `${index}\0${id}`;
    if (this.followed.has(key)) return;
    this.followed.add(key);
    const fn = this.summaries.get(index)?.functions.find((candidate) => candidate.id === id);
    // Chains run through sync functions; async ones start them (the seeds' own functions).
    if (!fn || (fn.async && !roots)) return;
    for (const call of fn.calls) {
      if (call.target.kind === "local") functions.push({ index, id: call.target.id });
      else lookups.push(call.target);
    }
  }

  private wait(index: number, target: ModuleTarget, key: string): void {
    const list = this.waiting.get(index) ?? [];
    list.push(target);
    this.waiting.set(index, list);
    this.followed.delete(key);
  }

  private ask(index: number, id: string): void {
    const ids = this.asked.get(index) ?? new Set<string>();
    ids.add(id);
    this.asked.set(index, ids);
  }

  /**
   * The function a lookup of `id` finds in a summary, like the index: the function itself, else (a
   * Python class called) its `__init__`; null for neither. A part answers from all the file's ids.
   */
  private functionId(index: number, summary: FileSummary, id: string): string | null {
    const ids = this.allIds.get(index)!;
    if (ids.has(id)) return id;
    return summary.language === "python" && ids.has(`${id}.__init__`) ? `${id}.__init__` : null;
  }

  private followLookup(target: ModuleTarget, functions: { index: number; id: string }[], lookups: ModuleTarget[], wanted: number[]): void {
    if (target.path.length === 0) return;
    const key = `${target.module}\0${target.path.join(".")}`;
    if (this.followed.has(key)) return;
    this.followed.add(key);
    for (const index of this.byKey.get(target.module) ?? []) {
      const summary = this.summaries.get(index);
      if (!summary) {
        // Not summarized yet: ask for it, and look again when its summary comes.
        this.wait(index, target, key);
        const id = target.path.join(".");
        this.ask(index, id);
        this.ask(index, `${id}.__init__`);
        if (!this.requested.has(index)) {
          this.requested.add(index);
          wanted.push(index);
        }
        continue;
      }
      if (!summary.moduleKeys.includes(target.module)) continue;
      const id = this.functionId(index, summary, target.path.join("."));
      if (id !== null && !summary.functions.some((fn) => fn.id === id)) {
        // A part without this function: summarize the file again with it, and look again then.
        this.wait(index, target, key);
        this.ask(index, id);
        if (!this.again.has(index)) {
          this.again.add(index);
          wanted.push(index);
        }
        continue;
      }
      if (id !== null) functions.push({ index, id });
      for (const reexport of summary.reexports) {
        if (reexport.name === target.path[0]) {
          lookups.push({ kind: "module", module: reexport.target.module, path: [...reexport.target.path, ...target.path.slice(1)] });
        } else if (reexport.name === "*") {
          lookups.push({ kind: "module", module: reexport.target.module, path: [...reexport.target.path, ...target.path] });
        }
      }
    }
    // `pkg.db.load()` may name the submodule `pkg.db` (Python only: TS keys are paths).
    if (target.path.length > 1 && !target.module.includes("/")) {
      lookups.push({ kind: "module", module: `${target.module}.${target.path[0]}`, path: target.path.slice(1) });
    }
  }
}

type ModuleTarget = Extract<CallTarget, { kind: "module" }>;


function candidateKeys(absPath: string): string[] {
  const path = toPosix(absPath);
  if (languageForPath(path) === "typescript") {
    const base = path.replace(/\.(d\.[cm]?ts|[cm]?[jt]s|[jt]sx)$/, "");
    return base.endsWith("/index") ? [base, base.slice(0, -"/index".length)] : [base];
  }
  const segments = path.split("/").filter((segment) => segment !== "");
  const last = segments.length - 1;
  segments[last] = segments[last]!.replace(/\.pyi?$/, "");
  if (segments[last] === "__init__") segments.pop();
  const keys: string[] = [];
  for (let start = segments.length - 1; start >= 0; start--) keys.push(segments.slice(start).join("."));
  return keys;
}
