import type { Tree } from "web-tree-sitter";
import { effectiveSeverity, finishFindings, resolveOptions, runRules } from "./analyze";
import { blockingCallTransitive } from "./catalogue/blocking-call-transitive";
import { IncrementalParser, type TextChange } from "./incremental";
import { interfaceText, moduleParts, type ModulePart } from "./python/parts";
import { PythonModel, type BuildPlan, type ModuleFacts } from "./python/semantic";
import type { AnalysisOptions, AnalysisResult, AnalyzeRequest, Finding, Position, Range } from "./types";

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
 * `blocking-call-transitive` is the exception: its findings depend on every function of the file
 * (and, through the workspace index, on other files), so they are never kept per part: it runs on a
 * model of the whole file at every edit, which also gives the index this text's summary.
 */
export class IncrementalAnalyzer {
  private readonly parser = new IncrementalParser();
  private state: DocumentState | null = null;
  /** How the last `analyze` went: for tests and benchmarks. */
  lastRun: "full" | "partial" = "full";
  /** Whether the last partial run kept `blocking-call-transitive`'s findings or computed them: for tests. */
  lastTransitive: "kept" | "computed" = "computed";

  analyze(request: AnalyzeRequest, hints: EditHints = {}): AnalysisResult {
    const options = resolveOptions(request.options);
    const key = JSON.stringify([request.path, request.rules ?? null, options]);
    const previous = this.state;
    // Cleared first: if anything below throws, the next edit starts from a whole-file analysis.
    this.state = null;
    const tree = this.parser.parse(request.source);
    const edit = this.parser.lastEdit;
    if (previous && edit && previous.key === key) {
      const result = this.analyzeEdit(previous, tree, edit, request, options, hints);
      if (result) {
        this.lastRun = "partial";
        return result;
      }
    }
    this.lastRun = "full";
    return this.analyzeWhole(tree, request, options, key);
  }

  /** Frees the syntax tree and the kept findings. */
  dispose(): void {
    this.parser.dispose();
    this.state = null;
  }

  private analyzeWhole(tree: Tree, request: AnalyzeRequest, options: AnalysisOptions, key: string): AnalysisResult {
    const model = new PythonModel(tree, request.source, options.extraAsyncDecorators);
    const { findings, ruleErrors } = runRules(model, request, options);
    const result = { findings: finishFindings(findings, model.root, request.source), ruleErrors };
    // A failing rule makes the next edit start over.
    if (ruleErrors.length > 0) return result;
    const parts = moduleParts(model.root);
    const byPart = findingsByPart(findings.filter((finding) => finding.rule !== TRANSITIVE), parts);
    if (!byPart) return result;
    const stored = parts.map((part, index) =>
      storedPart(part, model.factsWithin(part.startIndex, part.endIndex), byPart[index], interfaceText(part, request.source)),
    );
    const transitive = findings.filter((finding) => finding.rule === TRANSITIVE);
    if (stored.every((part) => !part.facts.opaque)) this.state = { key, parts: stored, transitive };
    return result;
  }

  /** The result for an edit confined to some parts, or null when the whole file must be analysed. */
  private analyzeEdit(
    previous: DocumentState,
    tree: Tree,
    edit: TextChange,
    request: AnalyzeRequest,
    options: AnalysisOptions,
    hints: EditHints,
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

    // Findings of untouched parts: the same, moved by the lines the edit added or removed.
    const mover = lineMover(edit);
    const kept: StoredPart[] = [];
    for (let index = 0; index < parts.length; index += 1) {
      if (index >= before && index < parts.length - after) continue;
      const oldPart = oldParts[index < before ? index : index - parts.length + oldParts.length];
      const findings = oldPart.findings.map(mover);
      if (findings.some((finding) => finding === null)) return null;
      kept[index] = { ...oldPart, startIndex: parts[index].startIndex, endIndex: parts[index].endIndex, findings: findings as Finding[] };
    }

    let fresh: Finding[] = [];
    const stored: StoredPart[] = [];
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
      const byPart = findingsByPart(fresh, edited);
      if (!byPart) return null;
      for (let index = 0; index < edited.length; index += 1) {
        const part = edited[index];
        const facts = model.factsWithin(part.startIndex, part.endIndex);
        if (facts.opaque || !sameFacts(facts, replaced[index].facts)) return null;
        stored.push(storedPart(part, facts, byPart[index], editedInterfaces[index]));
      }
    }
    // An unchanged summary means the same calls with the same ranges: a transitive finding the edit
    // does not touch (nor moves) is still right. Anything else runs the rule on the whole file.
    const untouched = hints.summaryUnchanged && previous.transitive.every((finding) => sameRanges(mover(finding), finding));
    this.lastTransitive = untouched ? "kept" : "computed";
    const transitive = untouched ? previous.transitive : this.transitiveFindings(tree, request, options);
    if (transitive === null) return null;
    const allParts = [...kept.slice(0, before), ...stored, ...kept.slice(parts.length - after)];
    this.state = { key: previous.key, parts: allParts, transitive };
    const all = [...allParts.flatMap((part) => part.findings), ...transitive];
    return { findings: finishFindings(all, tree.rootNode, source), ruleErrors: [] };
  }

  /**
   * `blocking-call-transitive`'s raw findings on a model of the whole file; null when it failed (the
   * whole-file analysis then reports why). Without a workspace index and without async code there
   * is nothing to report nor to index, and no model is built.
   */
  private transitiveFindings(tree: Tree, request: AnalyzeRequest, options: AnalysisOptions): Finding[] | null {
    const rule = blockingCallTransitive;
    if (effectiveSeverity(rule.id, rule.defaultSeverity, request.rules) === null) return [];
    if (!request.workspace && !rule.mightApply(request.source, options, request.path)) return [];
    const model = new PythonModel(tree, request.source, options.extraAsyncDecorators);
    const { findings, ruleErrors } = runRules(model, request, options, (id) => id === TRANSITIVE);
    return ruleErrors.length > 0 ? null : findings;
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
}

interface DocumentState {
  /** The request's path, rules and options: findings depend on them. */
  key: string;
  parts: StoredPart[];
  /** `blocking-call-transitive`'s raw findings for the whole file. */
  transitive: Finding[];
}

/** What the caller knows about an edit that the analyzer cannot see cheaply. */
export interface EditHints {
  /**
   * The file's workspace summary (rules/workspace/summary.ts) is exactly what it was at the last
   * analysis, ranges included, and the workspace index has not changed since: the
   * `blocking-call-transitive` findings untouched by the edit still hold, and the whole-file model
   * that rule needs is not built again. (The language server knows this from the summary it indexes.)
   */
  summaryUnchanged?: boolean;
}

function storedPart(part: ModulePart, facts: ModuleFacts, findings: Finding[], interfaceOf: string): StoredPart {
  return { startIndex: part.startIndex, endIndex: part.endIndex, interface: interfaceOf, facts, findings };
}

/** Findings grouped by the part they start in (parts never share a row), or null if one is in none. */
function findingsByPart(findings: readonly Finding[], parts: readonly ModulePart[]): Finding[][] | null {
  const groups: Finding[][] = parts.map(() => []);
  for (const finding of findings) {
    const line = finding.range.start.line;
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
    groups[found].push(finding);
  }
  return groups;
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

/** True when `moved` is `original` with every range (related places, fix edits) where it was. */
function sameRanges(moved: Finding | null, original: Finding): boolean {
  return moved !== null && JSON.stringify(moved) === JSON.stringify(original);
}

function compare(a: Position, b: Position): number {
  return a.line - b.line || a.column - b.column;
}

/**
 * Moves a finding of an unedited part from the old text to the new one: ranges before the edit stay,
 * ranges after it move by the lines the edit added or removed (and, on the edit's last line, by the
 * columns). Null when one of its ranges (a related location, a fix's edit) overlaps the edited span,
 * or is an empty range at its border, where it is unclear which side an insertion point belongs to.
 */
function lineMover(edit: TextChange): (finding: Finding) => Finding | null {
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
    if (compare(range.start, oldEditEnd) >= 0) return { start: shift(range.start), end: shift(range.end) };
    return null;
  };
  return (finding) => {
    const range = moveRange(finding.range);
    if (!range) return null;
    const related = finding.related?.map((info) => {
      const moved = moveRange(info.range);
      return moved ? { ...info, range: moved } : null;
    });
    if (related?.some((info) => info === null)) return null;
    let fixes = finding.fixes;
    if (fixes) {
      const movedFixes = [];
      for (const fix of fixes) {
        const edits = [];
        for (const textEdit of fix.edits) {
          const moved = moveRange(textEdit.range);
          if (!moved) return null;
          edits.push({ ...textEdit, range: moved });
        }
        movedFixes.push({ ...fix, edits });
      }
      fixes = movedFixes;
    }
    return {
      ...finding,
      range,
      ...(related ? { related: related as NonNullable<Finding["related"]> } : {}),
      ...(fixes ? { fixes } : {}),
    };
  };
}
