import type { Node } from "web-tree-sitter";
import { parsePython } from "./python/parser";
import type { Finding, Fix, Language, Position } from "./types";
import { rules } from "./registry";

/** Which rules are silenced where: per line, and for the whole file. `"*"` means every rule. */
export interface Suppressions {
  file: Set<string>;
  lines: Map<number, Set<string>>;
}

const ignoreFile = /#\s*corolint:\s*ignore-file\b(?:\[([^\]]*)\])?/;
const ignoreLine = /#\s*corolint:\s*ignore(?![-\w])(?:\[([^\]]*)\])?/;
const noqa = /#\s*noqa\s*:\s*([A-Z]+\d+(?:[\s,]+[A-Z]+\d+)*)/i;

/** Rule ids whose equivalents in flake8-async or Ruff carry this code, for `# noqa: ASYNC251`. */
function rulesForCode(code: string): string[] {
  const upper = code.toUpperCase();
  return rules
    .filter((rule) => [...(rule.equivalents.flake8Async ?? []), ...(rule.equivalents.ruff ?? [])].includes(upper))
    .map((rule) => rule.id);
}

function listOrAll(list: string | undefined): string[] {
  if (list === undefined) return ["*"];
  const ids = list.split(",").map((id) => id.trim()).filter(Boolean);
  return ids.length > 0 ? ids : ["*"];
}

/**
 * Reads `# corolint: ignore`, `# corolint: ignore[rule, ...]`, `# corolint: ignore-file[...]` and
 * `# noqa: CODE` comments. Comments come from the syntax tree, so a `#` inside a string never counts.
 */
export function collectSuppressions(root: Node): Suppressions {
  const result: Suppressions = { file: new Set(), lines: new Map() };
  for (const comment of root.descendantsOfType("comment")) {
    if (!comment) continue;
    const text = comment.text;
    const line = comment.startPosition.row;
    const addLine = (ids: string[]) => {
      const set = result.lines.get(line) ?? new Set<string>();
      for (const id of ids) set.add(id);
      result.lines.set(line, set);
    };
    const fileMatch = ignoreFile.exec(text);
    if (fileMatch) for (const id of listOrAll(fileMatch[1])) result.file.add(id);
    const lineMatch = ignoreLine.exec(text);
    if (lineMatch) addLine(listOrAll(lineMatch[1]));
    const noqaMatch = noqa.exec(text);
    if (noqaMatch) addLine(noqaMatch[1].split(/[\s,]+/).flatMap(rulesForCode));
  }
  return result;
}

/** Whether a finding is silenced: by the file, or by a comment on its first or last line. */
export function isSuppressed(finding: Finding, suppressions: Suppressions): boolean {
  const matches = (ids: Set<string> | undefined) => ids !== undefined && (ids.has("*") || ids.has(finding.rule));
  if (matches(suppressions.file)) return true;
  return matches(suppressions.lines.get(finding.range.start.line)) || matches(suppressions.lines.get(finding.range.end.line));
}

/**
 * The editor's "Ignore <rule> on this line" fix: adds the rule to a `# corolint: ignore[...]` comment on
 * the finding's line, or appends one. When that line ends inside a string, the comment goes on the
 * finding's last line instead (a suppression there counts too); null when neither line can take one.
 */
export function suppressionFix(source: string, finding: Finding, language: Language = "python"): Fix | null {
  if (language === "typescript") return nextLineSuppressionFix(source, finding);
  const lines = source.split("\n");
  const tree = parsePython(source);
  try {
    const candidates = [...new Set([finding.range.start.line, finding.range.end.line])];
    for (const line of candidates) {
      const text = (lines[line] ?? "").replace(/\r$/, "");
      const end = { line, column: text.length };
      if (endsInsideString(tree.rootNode, end)) continue;
      const title = `Ignore ${finding.rule} on this line`;
      const existing = /#\s*corolint:\s*ignore\[([^\]]*)\]/.exec(text);
      if (existing) {
        const at = existing.index + existing[0].length - 1;
        const position = { line, column: at };
        const separator = existing[1].trim() === "" ? "" : ", ";
        return { title, safety: "safe", edits: [{ range: { start: position, end: position }, newText: `${separator}${finding.rule}` }] };
      }
      const padding = text.trim() === "" ? "" : "  ";
      return { title, safety: "safe", edits: [{ range: { start: end, end }, newText: `${padding}# corolint: ignore[${finding.rule}]` }] };
    }
    return null;
  } finally {
    tree.delete();
  }
}

/**
 * The TypeScript/JavaScript form: a `// corolint-ignore-next-line <rule>` line above the finding, with
 * its indentation, or the rule added to such a comment already there.
 */
function nextLineSuppressionFix(source: string, finding: Finding): Fix {
  const lines = source.split("\n");
  const line = finding.range.start.line;
  const title = `Ignore ${finding.rule} on this line`;
  const previous = (lines[line - 1] ?? "").replace(/\r$/, "");
  const existing = /^(\s*\/\/\s*corolint-ignore-next-line\b)(.*)$/.exec(previous);
  if (line > 0 && existing) {
    const ids = existing[2].trim();
    const position = { line: line - 1, column: previous.length };
    return { title, safety: "safe", edits: [{ range: { start: position, end: position }, newText: ids === "" ? ` ${finding.rule}` : `, ${finding.rule}` }] };
  }
  const text = lines[line] ?? "";
  const indent = /^[ \t]*/.exec(text)?.[0] ?? "";
  const eol = text.endsWith("\r") ? "\r\n" : "\n";
  const position = { line, column: 0 };
  return { title, safety: "safe", edits: [{ range: { start: position, end: position }, newText: `${indent}// corolint-ignore-next-line ${finding.rule}${eol}` }] };
}

/** Whether a position sits inside a string literal (where a `#` would not start a comment). */
function endsInsideString(root: Node, position: Position): boolean {
  const point = { row: position.line, column: Math.max(0, position.column - 1) };
  for (let node: Node | null = root.descendantForPosition(point); node; node = node.parent) {
    if (node.type === "string" || node.type === "concatenated_string") {
      const after = node.endPosition.row > position.line || (node.endPosition.row === position.line && node.endPosition.column > position.column);
      return after;
    }
  }
  return false;
}
