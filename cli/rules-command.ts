/** `corolint rules [ID]`: the rule list, or one rule's documentation rendered from its metadata. */
import { normalizeBlock, renderRuleText } from "../rules/render-docs";
import { ruleById, rules } from "../rules/index";
import { unknownRuleMessage } from "../rules/config";
import type { Io } from "./io";
import { SYNTAX_ERROR_DOC } from "./syntax-error-doc";

/** Prints the list or one rule's page; exit code 2 for an unknown id. */
export function runRules(id: string | undefined, io: Io): number {
  if (id === undefined) {
    io.stdout.write(ruleList());
    return 0;
  }
  if (id === SYNTAX_ERROR_DOC.id) {
    io.stdout.write(SYNTAX_ERROR_DOC.text);
    return 0;
  }
  const rule = ruleById(id);
  if (rule === undefined) {
    io.stderr.write(`corolint: ${unknownRuleMessage(id)}\nRun 'corolint rules' for the list.\n`);
    return 2;
  }
  io.stdout.write(renderRuleText(rule));
  return 0;
}

/** One line per rule, aligned: id, default severity, summary. */
function ruleList(): string {
  const rows: [string, string, string][] = [["RULE", "SEVERITY", "SUMMARY"]];
  for (const rule of rules) rows.push([rule.id, rule.defaultSeverity, oneLine(rule.summary)]);
  rows.push([SYNTAX_ERROR_DOC.id, "error", SYNTAX_ERROR_DOC.summary]);
  const idWidth = Math.max(...rows.map((row) => row[0].length));
  const severityWidth = Math.max(...rows.map((row) => row[1].length));
  const lines = rows.map(([ruleId, severity, summary]) => `${ruleId.padEnd(idWidth)}  ${severity.padEnd(severityWidth)}  ${summary}`);
  lines.push("", "Run 'corolint rules ID' for a rule's documentation.");
  return lines.join("\n") + "\n";
}

function oneLine(text: string): string {
  return normalizeBlock(text).replace(/\s*\n\s*/g, " ");
}
