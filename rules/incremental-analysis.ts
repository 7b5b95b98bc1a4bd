import type { Tree } from "web-tree-sitter";
import { effectiveSeverity, finishFindings, resolveOptions, runRules } from "./analyze";
import {
  blockingCallTransitive,
  pythonTransitiveCandidates,
  pythonTransitiveReports,
  transitiveNaming,
  type TransitiveCandidate,
} from "./catalogue/blocking-call-transitive";
import { IncrementalParser, type TextChange } from "./incremental";
import { interfaceText, moduleParts, type ModulePart } from "./python/parts";
import { PythonModel, type BuildPlan, type Framework, type ModuleFacts } from "./python/semantic";
import { movedFunctionId, summarizePython, summarizePythonWithin } from "./python/summarize";
import type { AnalysisOptions, AnalysisResult, AnalyzeRequest, Finding, Fix, Position, Range, Severity } from "./types";
import { createWorkspaceIndex } from "./workspace/index";
import { pythonModuleKeys, summaryFileOf, toSlashes, workspaceRootsOf } from "./workspace/module-keys";
import type { FileSummary, FunctionSummary } from "./workspace/summary";

/**
 * Analyses one open document edit after edit, re-analysing only the top-level statements an edit
 * touched. Findings are kept per statement ("part"); an edit that leaves every other part's view of
 * the edited ones unchanged — the same definitions and signatures (`interfaceText`) and the same
 * imports, stdlib patches and greenlet spawns (`ModuleFacts`) — re-runs the rules on a model of the
 * edited parts plus the outlines of the rest, and moves the other parts' findings by the lines the
 * edit added or removed. Anything else (a changed signature, a new import, a syntax error, new
 * settings) re-analyses the whole file. The result always equals `analyzeSource` on the same text;
 * a test checks this over random edits.
 *
 * `blocking-call-transitive` depends on every function of the file and, through the workspace index,
 * on other files, so its findings are not kept: what is kept per part is the part's share of the
 * file's summary (rules/workspace/summary.ts) and the rule's candidates (the calls of coroutines that
 * may reach workspace code, with their fixes), made on the same partial model for edited parts and
 * moved with the rest. Every analysis puts the summary together, indexes it, and follows each
 * candidate through the index (which keeps the chains it found until a file they pass changes).
 */
export class IncrementalAnalyzer {
  private readonly parser = new IncrementalParser();
  private state: DocumentState | null = null;
  /** How the last `analyze` went: for tests and benchmarks. */
  lastRun: "full" | "partial" = "full";
  /** The summary of the text last analysed, as given to the index; null when none was made. For tests. */
  lastSummary: FileSummary | null = null;

  /**
   * Analyses the document's text (`request.source`). With `host`, the text's summary goes to the
   * host, which indexes it in `request.workspace`, before `blocking-call-transitive` follows calls
   * through that index; it is made even when the rule is off here, since other files' findings
   * depend on it.
   */
  analyze(request: AnalyzeRequest, host?: SummaryHost): AnalysisResult {
    const options = resolveOptions(request.options);
    const transitive = transitiveSettings(request, options, host);
    const key = JSON.stringify([request.path, request.rules ?? null, options, transitive.summarize]);
    const previous = this.state;
    // Cleared first: if anything below throws, the next edit starts from a whole-file analysis.
    this.state = null;
    this.lastSummary = null;
    const tree = this.parser.parse(request.source);
    const edit = this.parser.lastEdit;
    if (previous && edit && previous.key === key) {
      const result = this.analyzeEdit(previous, tree, edit, request, options, transitive);
      if (result) {
        this.lastRun = "partial";
        return result;
      }
    }
    this.lastRun = "full";
    return this.analyzeWhole(tree, request, options, key, transitive);
  }

  /** Frees the syntax tree and the kept findings. */
  dispose(): void {
    this.parser.dispose();
    this.state = null;
  }

  private analyzeWhole(tree: Tree, request: AnalyzeRequest, options: AnalysisOptions, key: string, transitive: TransitiveSettings): AnalysisResult {
    const model = new PythonModel(tree, request.source, options.extraAsyncDecorators);
    const { findings, ruleErrors } = runRules(model, request, options, (id) => id !== TRANSITIVE);
    let functions: FunctionSummary[] = [];
    let candidates: TransitiveCandidate[] = [];
    let reexports: FileSummary["reexports"] = [];
    if (transitive.summarize) {
      try {
        const summary = summarizePython(model, summaryFileOf(request.path, request.absolutePath), options, moduleKeysOf(request));
        ({ functions, reexports } = summary);
        if (transitive.severity !== null) candidates = pythonTransitiveCandidates(model, functions);
        findings.push(...this.transitiveFindings(summary, "unknown", candidates, model.framework, request, options, transitive));
      } catch (error) {
        ruleErrors.push({ rule: TRANSITIVE, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    }
    const result = { findings: finishFindings(findings, model.root, request.source), ruleErrors };
    // A failing rule makes the next edit start over.
    if (ruleErrors.length > 0) return result;
    const parts = moduleParts(model.root);
    const byPart = groupByPart(findings.filter((finding) => finding.rule !== TRANSITIVE), (finding) => finding.range.start.line, parts);
    const functionsByPart = groupByPart(functions, (fn) => fn.range.start.line, parts);
    const candidatesByPart = groupByPart(candidates, (candidate) => candidate.call.range.start.line, parts);
    if (!byPart || !functionsByPart || !candidatesByPart) return result;
    const stored = parts.map((part, index) => ({
      startIndex: part.startIndex,
      endIndex: part.endIndex,
      interface: interfaceText(part, request.source),
      facts: model.factsWithin(part.startIndex, part.endIndex),
      findings: byPart[index],
      functions: functionsByPart[index],
      candidates: candidatesByPart[index],
    }));
    if (stored.every((part) => !part.facts.opaque)) this.state = { key, parts: stored, reexports, framework: model.framework };
    return result;
  }

  /** The result for an edit confined to some parts, or null when the whole file must be analysed. */
  private analyzeEdit(
    previous: DocumentState,
    tree: Tree,
    edit: TextChange,
    request: AnalyzeRequest,
    options: AnalysisOptions,
    transitive: TransitiveSettings,
  ): AnalysisResult | null {
    const source = request.source;
    const parts = moduleParts(tree.rootNode);
    const oldParts = previous.parts;

    // Parts before the edit keep their text and place; parts after it keep their text and their
    // distance from the end of the file. The texts around the edit are equal, so equal spans there
    // hold equal text.
    let before = 0;
    while (
      before < parts.length &&
      before < oldParts.length &&
      parts[before].endIndex <= edit.start &&
      oldParts[before].endIndex === parts[before].endIndex &&
      oldParts[before].startIndex === parts[before].startIndex
    ) {
      before += 1;
    }
    let after = 0;
    const shift = edit.newEnd - edit.oldEnd;
    while (after < parts.length - before && after < oldParts.length - before) {
      const part = parts[parts.length - 1 - after];
      const oldPart = oldParts[oldParts.length - 1 - after];
      if (part.startIndex < edit.newEnd || oldPart.startIndex + shift !== part.startIndex || oldPart.endIndex + shift !== part.endIndex) break;
      after += 1;
    }
    const edited = parts.slice(before, parts.length - after);
    const replaced = oldParts.slice(before, oldParts.length - after);
    if (edited.length !== replaced.length) return null;
    // A syntax error outside the edited parts may have changed how they parse: start over. (Errors
    // inside them are fine: their syntax-error finding is theirs.)
    if (tree.rootNode.hasError) {
      const keptParts = [...parts.slice(0, before), ...parts.slice(parts.length - after)];
      if (keptParts.some((part) => part.nodes.some((node) => node.hasError))) return null;
    }
    const editedInterfaces = edited.map((part) => interfaceText(part, source));
    if (editedInterfaces.some((text, index) => text !== replaced[index].interface)) return null;

    // Findings, summaries and candidates of untouched parts: the same, moved by the lines the edit
    // added or removed.
    const mover = lineMover(edit);
    const kept: StoredPart[] = [];
    // Whether the summary differs from the last one given: a kept part's moved, or an edited part's changed.
    let summaryChanged = false;
    for (let index = 0; index < parts.length; index += 1) {
      if (index >= before && index < parts.length - after) continue;
      const oldPart = oldParts[index < before ? index : index - parts.length + oldParts.length];
      const findings = allMoved(oldPart.findings, mover.finding);
      const functions = allMoved(oldPart.functions, mover.functionSummary);
      const candidates = allMoved(oldPart.candidates, mover.candidate);
      if (!findings || !functions || !candidates) return null;
      summaryChanged ||= functions !== oldPart.functions;
      const { startIndex, endIndex } = parts[index];
      const unmoved =
        startIndex === oldPart.startIndex && findings === oldPart.findings && functions === oldPart.functions && candidates === oldPart.candidates;
      // Written out, not spread: this runs for every part at every keystroke.
      kept[index] = unmoved
        ? oldPart
        : { startIndex, endIndex, interface: oldPart.interface, facts: oldPart.facts, findings, functions, candidates };
    }

    let fresh: Finding[] = [];
    const stored: StoredPart[] = [];
    let framework = previous.framework;
    if (edited.length > 0) {
      const plan: BuildPlan = {
        parts: parts.map((part, index) => ({
          nodes: part.nodes,
          outline: part.definitionsOnly && (index < before || index >= parts.length - after),
        })),
        external: mergeFacts(kept.filter(Boolean).map((part) => part.facts)),
      };
      const model = new PythonModel(tree, source, options.extraAsyncDecorators, plan);
      const { findings, ruleErrors } = runRules(model, request, options, (id) => id !== TRANSITIVE);
      if (ruleErrors.length > 0) return null;
      // The model also covers unedited parts that are not definitions; their findings are kept above.
      const first = edited[0].startRow;
      const last = edited[edited.length - 1].endRow;
      fresh = findings.filter((finding) => finding.range.start.line >= first && finding.range.start.line <= last);
      const byPart = groupByPart(fresh, (finding) => finding.range.start.line, edited);
      if (!byPart) return null;
      // The edited parts' share of the summary, and their candidates, on the same model: the
      // outlines of the other parts resolve their calls as the whole file would.
      let functions: FunctionSummary[] = [];
      let candidates: TransitiveCandidate[] = [];
      if (transitive.summarize) {
        try {
          ({ functions } = summarizePythonWithin(model, summaryFileOf(request.path, request.absolutePath), options, moduleKeysOf(request), edited));
          if (transitive.severity !== null) candidates = pythonTransitiveCandidates(model, functions);
        } catch {
          // The whole-file analysis reports the rule's failure.
          return null;
        }
      }
      const functionsByPart = groupByPart(functions, (fn) => fn.range.start.line, edited);
      const candidatesByPart = groupByPart(candidates, (candidate) => candidate.call.range.start.line, edited);
      if (!functionsByPart || !candidatesByPart) return null;
      for (let index = 0; index < edited.length; index += 1) {
        const part = edited[index];
        const facts = model.factsWithin(part.startIndex, part.endIndex);
        if (facts.opaque || !sameFacts(facts, replaced[index].facts)) return null;
        summaryChanged ||= JSON.stringify(functionsByPart[index]) !== JSON.stringify(replaced[index].functions);
        stored.push({
          startIndex: part.startIndex,
          endIndex: part.endIndex,
          interface: editedInterfaces[index],
          facts,
          findings: byPart[index],
          functions: functionsByPart[index],
          candidates: candidatesByPart[index],
        });
      }
      framework = model.framework;
    }
    const allParts = [...kept.slice(0, before), ...stored, ...kept.slice(parts.length - after)];
    const all = concatOf(allParts, (part) => part.findings);
    if (transitive.summarize) {
      const summary: FileSummary = {
        file: toSlashes(summaryFileOf(request.path, request.absolutePath)),
        language: "python",
        moduleKeys: moduleKeysOf(request),
        functions: concatOf(allParts, (part) => part.functions),
        reexports: previous.reexports,
      };
      try {
        const candidates = concatOf(allParts, (part) => part.candidates);
        all.push(...this.transitiveFindings(summary, summaryChanged ? "changed" : "same", candidates, framework, request, options, transitive));
      } catch {
        return null;
      }
    }
    this.state = { key: previous.key, parts: allParts, reexports: previous.reexports, framework };
    return { findings: finishFindings(all, tree.rootNode, source), ruleErrors: [] };
  }

  /**
   * Indexes the summary (through the host when there is one) and turns the candidates that lead to a
   * blocking call through the index into findings. Without a workspace index, calls are followed
   * inside the file only.
   */
  private transitiveFindings(
    summary: FileSummary,
    change: SummaryChange,
    candidates: readonly TransitiveCandidate[],
    framework: Framework,
    request: AnalyzeRequest,
    options: AnalysisOptions,
    transitive: TransitiveSettings,
  ): Finding[] {
    this.lastSummary = summary;
    const index = request.workspace ?? createWorkspaceIndex();
    if (transitive.host && request.workspace) transitive.host.indexSummary(summary, change);
    else index.update(summary);
    const severity = transitive.severity;
    if (severity === null || candidates.length === 0) return [];
    const naming = transitiveNaming(request.path, request.absolutePath);
    return pythonTransitiveReports(candidates, index, naming, framework, options.transitiveMaxDepth).map((found) => ({
      rule: TRANSITIVE,
      severity,
      ...found,
    }));
  }
}

const TRANSITIVE = blockingCallTransitive.id;

/** What the analyzer keeps of one part between edits. */
interface StoredPart {
  startIndex: number;
  endIndex: number;
  interface: string;
  facts: ModuleFacts;
  /** Raw findings (before suppressions) that start in the part, with positions in the current text. */
  findings: Finding[];
  /** The summaries of the functions defined in the part (empty when no summary is made). */
  functions: FunctionSummary[];
  /** `blocking-call-transitive`'s candidates in the part (empty when the rule is off). */
  candidates: TransitiveCandidate[];
}

interface DocumentState {
  /** The request's path, rules and options, and whether summaries are made: findings depend on them. */
  key: string;
  parts: StoredPart[];
  /** The module's re-exports and framework: made of its imports, which a partial analysis never changes. */
  reexports: FileSummary["reexports"];
  framework: Framework;
}

/** How a document's summary compares with the one its analyzer gave last. */
export type SummaryChange = "same" | "changed" | "unknown";

/** Where an editor keeps the workspace index. */
export interface SummaryHost {
  /**
   * Puts the document's summary in `AnalyzeRequest.workspace` (and may tell callers). `change` says
   * how it compares, ranges included, with the summary this analyzer gave last: `same`, `changed`,
   * or `unknown` (after a whole-file analysis).
   */
  indexSummary(summary: FileSummary, change: SummaryChange): void;
}

/** What an analysis does for `blocking-call-transitive`. */
interface TransitiveSettings {
  /** The rule's severity here; null when it is off. */
  severity: Severity | null;
  /** Whether the file's summary is made (for the rule, or for the host's index). */
  summarize: boolean;
  host: SummaryHost | undefined;
}

function transitiveSettings(request: AnalyzeRequest, options: AnalysisOptions, host: SummaryHost | undefined): TransitiveSettings {
  const rule = blockingCallTransitive;
  const severity = effectiveSeverity(rule.id, rule.defaultSeverity, request.rules);
  // Without an index to feed, a file without async code has nothing to report.
  const needed = host !== undefined || request.workspace !== undefined || rule.mightApply(request.source, options, request.path);
  return { severity, summarize: needed && (severity !== null || host !== undefined), host };
}

/** The module keys of the request's file: the index's, when it has the file, as the rule takes them. */
function moduleKeysOf(request: AnalyzeRequest): string[] {
  const file = summaryFileOf(request.path, request.absolutePath);
  return (
    request.workspace?.summaryOf(toSlashes(file))?.moduleKeys ??
    pythonModuleKeys(file, workspaceRootsOf(request.path, request.absolutePath, request.workspaceRoots))
  );
}

/** Items grouped by the part their line is in (parts never share a row), or null if one is in none. */
function groupByPart<T>(items: readonly T[], lineOf: (item: T) => number, parts: readonly ModulePart[]): T[][] | null {
  const groups: T[][] = parts.map(() => []);
  for (const item of items) {
    const line = lineOf(item);
    let low = 0;
    let high = parts.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (parts[middle].endRow < line) low = middle + 1;
      else if (parts[middle].startRow > line) high = middle - 1;
      else {
        found = middle;
        break;
      }
    }
    if (found === -1) return null;
    groups[found].push(item);
  }
  return groups;
}

/** The lists `pick` gives of every part, one after the other (a loop: `flatMap` is slower on many small lists). */
function concatOf<T>(parts: readonly StoredPart[], pick: (part: StoredPart) => readonly T[]): T[] {
  const all: T[] = [];
  for (const part of parts) for (const item of pick(part)) all.push(item);
  return all;
}

/** Every item moved, or null when one cannot be; the same array when none moved. */
function allMoved<T>(items: T[], move: (item: T) => T | null): T[] | null {
  // Most parts do not move: no new array until an item does.
  let moved: T[] | null = null;
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    const next = move(item);
    if (next === null) return null;
    if (next !== item && moved === null) moved = items.slice(0, index);
    moved?.push(next);
  }
  return moved ?? items;
}

function mergeFacts(all: readonly ModuleFacts[]): ModuleFacts {
  const union = (pick: (facts: ModuleFacts) => string[]) => [...new Set(all.flatMap(pick))].sort();
  return {
    importRoots: union((facts) => facts.importRoots),
    stdlibPatches: union((facts) => facts.stdlibPatches),
    spawned: union((facts) => facts.spawned),
    opaque: all.some((facts) => facts.opaque),
  };
}

function sameFacts(a: ModuleFacts, b: ModuleFacts): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function compare(a: Position, b: Position): number {
  return a.line - b.line || a.column - b.column;
}

/** Moves what is kept of an unedited part from the old text to the new one (see `lineMover`). */
interface Mover {
  finding(finding: Finding): Finding | null;
  functionSummary(fn: FunctionSummary): FunctionSummary | null;
  candidate(candidate: TransitiveCandidate): TransitiveCandidate | null;
}

/**
 * Moves what is kept of an unedited part from the old text to the new one: ranges before the edit
 * stay, ranges after it move by the lines the edit added or removed (and, on the edit's last line, by
 * the columns). Null when one of its ranges (a related location, a fix's edit) overlaps the edited
 * span, or is an empty range at its border, where it is unclear which side an insertion point
 * belongs to. What does not move stays the same object.
 */
function lineMover(edit: TextChange): Mover {
  const point = (p: { row: number; column: number }): Position => ({ line: p.row, column: p.column });
  const editStart = point(edit.startPosition);
  const oldEditEnd = point(edit.oldEndPosition);
  const newEditEnd = point(edit.newEndPosition);
  const lineDelta = newEditEnd.line - oldEditEnd.line;
  const shift = (position: Position): Position =>
    position.line > oldEditEnd.line
      ? { line: position.line + lineDelta, column: position.column }
      : { line: newEditEnd.line, column: newEditEnd.column + (position.column - oldEditEnd.column) };
  const moveRange = (range: Range): Range | null => {
    const empty = compare(range.start, range.end) === 0;
    if (empty && (compare(range.start, editStart) === 0 || compare(range.start, oldEditEnd) === 0)) return null;
    if (compare(range.end, editStart) <= 0) return range;
    // Below the edit's last line, an edit that adds or removes no line moves nothing.
    if (lineDelta === 0 && range.start.line > oldEditEnd.line) return range;
    if (compare(range.start, oldEditEnd) >= 0) return { start: shift(range.start), end: shift(range.end) };
    return null;
  };
  /** Moves the ranges of `items`; null when one cannot move, the same array when none moved. */
  const moveAll = <T extends { range: Range }>(items: readonly T[]): T[] | null => {
    let changed = false;
    const moved: T[] = [];
    for (const item of items) {
      const range = moveRange(item.range);
      if (!range) return null;
      changed ||= range !== item.range;
      moved.push(range === item.range ? item : { ...item, range });
    }
    return changed ? moved : (items as T[]);
  };
  /** Moves the fixes' edits; null when one cannot move, the same array when none moved. */
  const moveFixes = (fixes: Fix[]): Fix[] | null =>
    allMoved(fixes, (fix) => {
      const edits = moveAll(fix.edits);
      return edits === null ? null : edits === fix.edits ? fix : { ...fix, edits };
    });
  return {
    finding(finding) {
      const range = moveRange(finding.range);
      const related = finding.related ? moveAll(finding.related) : undefined;
      const fixes = finding.fixes ? moveFixes(finding.fixes) : undefined;
      if (!range || related === null || fixes === null) return null;
      if (range === finding.range && related === finding.related && fixes === finding.fixes) return finding;
      return { ...finding, range, ...(related ? { related } : {}), ...(fixes ? { fixes } : {}) };
    },
    functionSummary(fn) {
      const range = moveRange(fn.range);
      const blocking = moveAll(fn.blocking);
      const calls = moveAll(fn.calls);
      if (!range || !blocking || !calls) return null;
      if (range === fn.range && blocking === fn.blocking && calls === fn.calls) return fn;
      // A positional id (`name@line:col`) names where the definition starts, on the name's line
      // before any decorator: it moves as the name does.
      const at = /@(\d+):(\d+)$/.exec(fn.id);
      let id = fn.id;
      if (at) {
        const start = { line: Number(at[1]) - 1, column: Number(at[2]) - 1 };
        const moved = compare(start, editStart) < 0 ? start : compare(start, oldEditEnd) >= 0 ? shift(start) : null;
        if (!moved) return null;
        id = movedFunctionId(fn.id, moved);
      }
      return { ...fn, id, range, blocking, calls };
    },
    candidate(candidate) {
      const range = moveRange(candidate.call.range);
      const fixes = moveFixes(candidate.fixes);
      if (!range || !fixes) return null;
      if (range === candidate.call.range && fixes === candidate.fixes) return candidate;
      return { ...candidate, call: { ...candidate.call, range }, fixes };
    },
  };
}
