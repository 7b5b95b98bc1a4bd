/**
 * The machine format:
 * `{"version", "findings": [{file, line, column, endLine, endColumn, rule, severity, message, related?}],
 *   "skipped": [{file, reason}], "summary": {files, findings, errors, warnings, infos, skipped}}`.
 * Positions are one-based; `related` appears only on findings that have related locations.
 */
import { VERSION } from "../package-info";
import { oneBased, summarize, type CheckReport } from "../report";

/** The whole stdout of a json-format run. */
export function formatJson(report: CheckReport): string {
  const summary = summarize(report);
  const document = {
    version: VERSION,
    findings: report.findings.map((finding) => ({
      file: finding.file,
      ...oneBased(finding.range),
      rule: finding.rule,
      severity: finding.severity,
      message: finding.message,
      ...(finding.related.length > 0
        ? { related: finding.related.map((r) => ({ file: r.file, ...oneBased(r.range), message: r.message })) }
        : {}),
    })),
    skipped: report.skipped.map((s) => ({ file: s.file, reason: s.reason })),
    summary: {
      files: summary.files,
      findings: summary.findings,
      errors: summary.errors,
      warnings: summary.warnings,
      infos: summary.infos,
      skipped: summary.skipped,
    },
  };
  return JSON.stringify(document, null, 2) + "\n";
}
