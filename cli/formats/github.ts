/**
 * GitHub Actions workflow commands: one `::error file=…,line=…::message` line per finding, which the
 * runner turns into annotations on the pull request. Skipped files become warnings too, so they are
 * not lost in a log nobody reads.
 */
import type { Severity } from "../../rules/index";
import { oneBased, type CheckReport } from "../report";

const COMMANDS: Record<Severity, string> = { error: "error", warning: "warning", info: "notice" };

/** The whole stdout of a github-format run. */
export function formatGithub(report: CheckReport): string {
  const lines: string[] = [];
  for (const finding of report.findings) {
    const at = oneBased(finding.range);
    const properties = [
      `file=${escapeProperty(finding.file)}`,
      `line=${at.line}`,
      `col=${at.column}`,
      `endLine=${at.endLine}`,
      `endColumn=${at.endColumn}`,
      `title=${escapeProperty(`corolint ${finding.rule}`)}`,
    ];
    let message = finding.message;
    for (const related of finding.related) {
      const rel = oneBased(related.range);
      message += `\n${related.file}:${rel.line}:${rel.column}: ${related.message}`;
    }
    lines.push(`::${COMMANDS[finding.severity]} ${properties.join(",")}::${escapeData(message)}`);
  }
  for (const skipped of report.skipped) {
    lines.push(`::warning file=${escapeProperty(skipped.file)},title=${escapeProperty("corolint skipped this file")}::${escapeData(skipped.reason)}`);
  }
  return lines.length > 0 ? lines.join("\n") + "\n" : "";
}

/** Escapes a command's message: `%`, CR and LF would otherwise end or corrupt the command. */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a property value: as data, plus `:` and `,`, which separate properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
