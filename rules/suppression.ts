import type { Node } from "web-tree-sitter";
import type { Finding } from "./types";
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
