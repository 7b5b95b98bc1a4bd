/** The human format: one `path:line:col: rule-id [severity] message` line per finding, then a summary. */
import type { Severity } from "../../rules/index";
import { oneBased, plural, summarize, type CheckReport } from "../report";

/** How to render: colour only for a terminal that has not opted out (NO_COLOR). */
export interface TextOptions {
  color: boolean;
}

const SEVERITY_COLORS: Record<Severity, string> = { error: "31", warning: "33", info: "36" };

/** The whole stdout of a text-format run, ending with a newline. */
export function formatText(report: CheckReport, options: TextOptions): string {
  const paint = (code: string, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const lines: string[] = [];
  for (const finding of report.findings) {
    const at = oneBased(finding.range);
    const severity = paint(SEVERITY_COLORS[finding.severity], `[${finding.severity}]`);
    lines.push(`${paint("1", finding.file)}:${at.line}:${at.column}: ${paint("1", finding.rule)} ${severity} ${finding.message}`);
    for (const related of finding.related) {
      const rel = oneBased(related.range);
      lines.push(`    ${related.file}:${rel.line}:${rel.column}: ${related.message}`);
    }
  }
  lines.push(summaryLine(report));
  return lines.join("\n") + "\n";
}

/** `Found 7 problems (3 errors, 4 warnings) in 5 files; checked 120 files, skipped 2.` or `No problems found; checked N files.` */
export function summaryLine(report: CheckReport): string {
  const summary = summarize(report);
  const skipped = summary.skipped > 0 ? `, skipped ${summary.skipped}` : "";
  const checked = `checked ${plural(summary.files, "file")}${skipped}.`;
  if (summary.findings === 0) return `No problems found; ${checked}`;
  const counts = [plural(summary.errors, "error"), plural(summary.warnings, "warning")];
  if (summary.infos > 0) counts.push(plural(summary.infos, "info", "info"));
  return `Found ${plural(summary.findings, "problem")} (${counts.join(", ")}) in ${plural(summary.filesWithFindings, "file")}; ${checked}`;
}
