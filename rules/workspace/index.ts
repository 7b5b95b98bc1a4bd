/**
 * The workspace index (see summary.ts): joins the files' summaries, resolves calls across modules,
 * and finds the shortest chain from a call to a blocking call through sync functions.
 *
 * Caching: chains are memoised per function, module calls' resolutions per caller folder until any
 * file changes, and the module keys each file's calls look up are kept per file (for `dependentsOf`). Each cached entry records what it read — the files whose summaries
 * it used and the module keys it looked up, found or not — so that `update`/`remove` drop exactly
 * the entries a changed file may affect (a new file with a key an entry looked up in vain, too).
 */
import type { CallTarget, ChainHop, FileSummary, FunctionSummary, OutgoingCall, WorkspaceIndex } from "./summary";

/** A function of the index. */
interface FunctionRef {
  file: string;
  fn: FunctionSummary;
}

/** What a computation read, to know when its result goes stale. */
interface Reads {
  files: Set<string>;
  keys: Set<string>;
}

interface FileEntry {
  summary: FileSummary;
  byId: Map<string, FunctionSummary>;
}

/** Re-exports followed in one resolution at most (chains of `__init__.py` re-exports are short). */
const maxResolutionSteps = 64;

export function createWorkspaceIndex(): WorkspaceIndex {
  return new Index();
}

class Index implements WorkspaceIndex {
  private readonly files = new Map<string, FileEntry>();
  /** Module key → the files that have it, sorted. */
  private readonly byKey = new Map<string, string[]>();
  /** (file, function id) → the shortest chain from that function to a blocking call (null: none). */
  private readonly chains = new Map<string, { chain: ChainHop[] | null; reads: Reads }>();
  /** File → the module keys its calls looked up (their targets' files are what it depends on). */
  private readonly lookups = new Map<string, Reads>();
  /** The keys of removed files, so that `dependentsOf` still answers for them. */
  private readonly formerKeys = new Map<string, string[]>();
  /**
   * (caller's folder, module, path) → the functions a module call resolves to and what that read: the
   * editor follows every call of a coroutine at every keystroke. Dropped whole when a file changes.
   */
  private readonly resolutions = new Map<string, { found: FunctionRef[]; reads: Reads }>();
  /** Bumped when `resolutions` is dropped. */
  private generation = 0;
  /** The last resolution of a call target object, and for which file: no key to build at every keystroke. */
  private readonly byTarget = new WeakMap<CallTarget, { generation: number; file: string; resolution: { found: FunctionRef[]; reads: Reads } }>();

  update(summary: FileSummary): void {
    const file = summary.file;
    const previous = this.files.get(file);
    // Analysing a file updates the index with its summary: the same text must not drop the caches.
    if (previous && sameSummary(previous.summary, summary)) return;
    if (previous) this.unlinkKeys(file, previous.summary.moduleKeys);
    this.files.set(file, { summary, byId: new Map(summary.functions.map((fn) => [fn.id, fn])) });
    for (const key of summary.moduleKeys) {
      const list = this.byKey.get(key) ?? [];
      if (!list.includes(file)) list.push(file);
      list.sort();
      this.byKey.set(key, list);
    }
    this.formerKeys.delete(file);
    this.invalidate(file, [...(previous?.summary.moduleKeys ?? []), ...summary.moduleKeys]);
  }

  remove(file: string): void {
    const previous = this.files.get(file);
    if (!previous) return;
    this.unlinkKeys(file, previous.summary.moduleKeys);
    this.files.delete(file);
    this.formerKeys.set(file, previous.summary.moduleKeys);
    this.invalidate(file, previous.summary.moduleKeys);
  }

  summaryOf(file: string): FileSummary | undefined {
    return this.files.get(file)?.summary;
  }

  chainFrom(file: string, call: OutgoingCall, maxDepth?: number): ChainHop[] | undefined {
    const limit = maxDepth ?? Infinity;
    if (limit < 1) return undefined;
    let best: ChainHop[] | null = null;
    for (const target of this.resolve(file, call.target, null)) {
      if (target.fn.async) continue;
      const chain = this.chainOf(target);
      if (chain && (!best || chain.length < best.length)) best = chain;
    }
    // The chain's functions are its hops but the last (a blocking call, not a function).
    if (!best || best.length > limit) return undefined;
    const first: ChainHop = { file, range: call.range, caller: this.callerOf(file, call), callee: call.text, blocking: false };
    return [first, ...best];
  }

  dependentsOf(file: string): Set<string> {
    // Files whose calls look up a key of `file`, then theirs, and so on.
    const users = new Map<string, string[]>();
    for (const name of this.files.keys()) {
      for (const key of this.lookupsOf(name).keys) {
        const list = users.get(key) ?? [];
        list.push(name);
        users.set(key, list);
      }
    }
    const result = new Set<string>();
    const queue = [file];
    while (queue.length > 0) {
      const current = queue.shift()!;
      const keys = this.files.get(current)?.summary.moduleKeys ?? this.formerKeys.get(current) ?? [];
      for (const key of keys) {
        for (const user of users.get(key) ?? []) {
          if (user === file || result.has(user)) continue;
          result.add(user);
          queue.push(user);
        }
      }
    }
    return result;
  }

  // ---------------------------------------------------------------- caches

  private unlinkKeys(file: string, keys: readonly string[]): void {
    for (const key of keys) {
      const list = this.byKey.get(key)?.filter((other) => other !== file) ?? [];
      if (list.length > 0) this.byKey.set(key, list);
      else this.byKey.delete(key);
    }
  }

  /** Drops what may have read `file` or looked up one of `keys` (found or not). */
  private invalidate(file: string, keys: readonly string[]): void {
    this.resolutions.clear();
    this.generation += 1;
    const stale = (reads: Reads) => reads.files.has(file) || keys.some((key) => reads.keys.has(key));
    for (const [id, entry] of this.chains) if (stale(entry.reads)) this.chains.delete(id);
    for (const [name, reads] of this.lookups) if (name === file || stale(reads)) this.lookups.delete(name);
  }

  /** The keys a file's calls look up (cached). */
  private lookupsOf(file: string): Reads {
    let reads = this.lookups.get(file);
    if (!reads) {
      reads = { files: new Set([file]), keys: new Set() };
      for (const fn of this.files.get(file)?.summary.functions ?? []) {
        for (const call of fn.calls) this.resolve(file, call.target, reads);
      }
      this.lookups.set(file, reads);
    }
    return reads;
  }

  // ---------------------------------------------------------------- chains

  /** The function of `file` whose calls include `call` (by range), for the first hop's `caller`. */
  private callerOf(file: string, call: OutgoingCall): string {
    const sameRange = (other: OutgoingCall) =>
      other.range.start.line === call.range.start.line &&
      other.range.start.column === call.range.start.column &&
      other.range.end.line === call.range.end.line &&
      other.range.end.column === call.range.end.column;
    const fn = this.files.get(file)?.summary.functions.find((candidate) => candidate.calls.some(sameRange));
    return fn?.id ?? "";
  }

  /**
   * The shortest chain from a sync function to a blocking call: breadth first over the sync
   * functions it calls, each visited once (so cycles end). Memoised per function, unlimited depth.
   */
  private chainOf(start: FunctionRef): ChainHop[] | null {
    const id = `${start.file}\0${start.fn.id}`;
    const cached = this.chains.get(id);
    if (cached) return cached.chain;
    const reads: Reads = { files: new Set([start.file]), keys: new Set() };
    const chain = this.search(start, reads);
    this.chains.set(id, { chain, reads });
    return chain;
  }

  private search(start: FunctionRef, reads: Reads): ChainHop[] | null {
    interface Step {
      ref: FunctionRef;
      /** The hop that led here, and the step it came from. */
      hop: ChainHop | null;
      previous: Step | null;
    }
    const seen = new Set([`${start.file}\0${start.fn.id}`]);
    let level: Step[] = [{ ref: start, hop: null, previous: null }];
    while (level.length > 0) {
      const next: Step[] = [];
      for (const step of level) {
        const { file, fn } = step.ref;
        const blocking = fn.blocking[0];
        if (blocking) {
          const hops = [{ file, range: blocking.range, caller: fn.id, callee: blocking.callee, blocking: true }];
          for (let at: Step | null = step; at?.hop; at = at.previous) hops.unshift(at.hop);
          return hops;
        }
        for (const call of fn.calls) {
          for (const target of this.resolve(file, call.target, reads)) {
            const key = `${target.file}\0${target.fn.id}`;
            if (target.fn.async || seen.has(key)) continue;
            seen.add(key);
            reads.files.add(target.file);
            next.push({ ref: target, hop: { file, range: call.range, caller: fn.id, callee: call.text, blocking: false }, previous: step });
          }
        }
      }
      level = next;
    }
    return null;
  }

  // ---------------------------------------------------------------- resolution

  /**
   * The indexed functions a call from `file` may run (several only when module keys are ambiguous).
   * The list is shared: do not change it. What the lookup read is added to `reads` when given.
   */
  private resolve(file: string, target: CallTarget, reads: Reads | null): FunctionRef[] {
    if (target.kind === "local") {
      reads?.files.add(file);
      const fn = this.files.get(file)?.byId.get(target.id);
      return fn ? [{ file, fn }] : [];
    }
    const memo = this.byTarget.get(target);
    let resolution = memo && memo.generation === this.generation && memo.file === file ? memo.resolution : undefined;
    if (!resolution) {
      // Only the caller's folder matters to the lookup (see `filesOf`).
      const key = `${file.slice(0, file.lastIndexOf("/") + 1)}\0${target.module}\0${target.path.join("\0")}`;
      resolution = this.resolutions.get(key);
      if (!resolution) {
        resolution = { found: [], reads: { files: new Set(), keys: new Set() } };
        this.resolveMember(target.module, target.path, file, resolution.reads, new Set(), { steps: maxResolutionSteps }, resolution.found);
        this.resolutions.set(key, resolution);
      }
      this.byTarget.set(target, { generation: this.generation, file, resolution });
    }
    if (reads) {
      for (const read of resolution.reads.files) reads.files.add(read);
      for (const read of resolution.reads.keys) reads.keys.add(read);
    }
    return resolution.found;
  }

  /**
   * `path` inside the module(s) named `module`: a function or `Class.method` it defines, a name it
   * re-exports (followed, `*` included), or a member of its submodule `module.path[0]` (Python).
   * `visiting` cuts re-export cycles; `budget` bounds the work on pathological workspaces.
   */
  private resolveMember(
    module: string,
    path: readonly string[],
    from: string,
    reads: Reads,
    visiting: Set<string>,
    budget: { steps: number },
    found: FunctionRef[],
  ): void {
    if (path.length === 0 || budget.steps <= 0) return;
    const visit = `${module}\0${path.join(".")}`;
    if (visiting.has(visit)) return;
    visiting.add(visit);
    budget.steps -= 1;
    reads.keys.add(module);
    for (const file of this.filesOf(module, from)) {
      const entry = this.files.get(file)!;
      reads.files.add(file);
      // A Python class called is its `__init__` run (the index holds functions, not classes).
      const id = path.join(".");
      const fn = entry.byId.get(id) ?? (entry.summary.language === "python" ? entry.byId.get(`${id}.__init__`) : undefined);
      if (fn) {
        if (!found.some((ref) => ref.file === file && ref.fn === fn)) found.push({ file, fn });
        continue;
      }
      for (const reexport of entry.summary.reexports) {
        if (reexport.name === path[0]) {
          this.resolveMember(reexport.target.module, [...reexport.target.path, ...path.slice(1)], from, reads, visiting, budget, found);
        } else if (reexport.name === "*") {
          this.resolveMember(reexport.target.module, [...reexport.target.path, ...path], from, reads, visiting, budget, found);
        }
      }
    }
    // `pkg.db.load` where `pkg/__init__.py` does not bind `db`: the submodule. TS keys are paths
    // (they hold `/`) and have no submodules.
    if (found.length === 0 && path.length > 1 && !module.includes("/")) {
      this.resolveMember(`${module}.${path[0]}`, path.slice(1), from, reads, visiting, budget, found);
    }
  }

  /**
   * The files with a module key, those in the caller's folder first: two scripts folders may each
   * have a `db.py`, and a script imports its sibling.
   */
  private filesOf(module: string, from: string): string[] {
    const files = this.byKey.get(module);
    if (!files || files.length < 2) return files ?? [];
    const folder = from.slice(0, from.lastIndexOf("/") + 1);
    const near = files.filter((file) => file.startsWith(folder) && !file.slice(folder.length).includes("/"));
    return near.length > 0 ? near : files;
  }
}

function sameSummary(a: FileSummary, b: FileSummary): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
