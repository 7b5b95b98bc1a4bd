/**
 * SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`). Paths are relative
 * URIs against `%SRCROOT%` (the current directory), positions one-based in UTF-16 code units, and
 * each result carries a fingerprint that survives edits elsewhere in the file, so alerts are not
 * closed and reopened whenever lines move.
 */
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { rules, type Rule, type Severity } from "../../rules/index";
import { renderRuleMarkdown, renderRuleText } from "../../rules/render-docs";
import { HOME_URL, VERSION, ruleHelpUrl } from "../package-info";
import { oneBased, type CheckReport, type ReportedFinding } from "../report";
import { SYNTAX_ERROR_DOC } from "../syntax-error-doc";

const LEVELS: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note" };

/** The key of corolint's entry in `partialFingerprints`; bump the version if the hashed text ever changes. */
export const FINGERPRINT_KEY = "corolint/v1";

const SRCROOT = "%SRCROOT%";

/** The whole stdout of a sarif-format run. */
export function formatSarif(report: CheckReport): string {
  const descriptors = ruleDescriptors();
  const ruleIndex = new Map(descriptors.map((descriptor, index) => [descriptor.id, index]));
  const fingerprints = fingerprintAll(report.findings);

  const results = report.findings.map((finding, i) => {
    const related = finding.related.map((r, j) => ({
      id: j + 1,
      message: { text: r.message },
      physicalLocation: physicalLocation(r.file, r.range),
    }));
    return {
      ruleId: finding.rule,
      ...(ruleIndex.has(finding.rule) ? { ruleIndex: ruleIndex.get(finding.rule) } : {}),
      level: LEVELS[finding.severity],
      message: { text: finding.message },
      locations: [{ physicalLocation: physicalLocation(finding.file, finding.range) }],
      ...(related.length > 0 ? { relatedLocations: related } : {}),
      partialFingerprints: { [FINGERPRINT_KEY]: fingerprints[i]! },
    };
  });

  const notifications = [
    ...report.skipped.map((skipped) => ({
      level: "warning",
      message: { text: `Skipped ${skipped.file}: ${skipped.reason}` },
      locations: [{ physicalLocation: { artifactLocation: artifactLocation(skipped.file) } }],
    })),
    ...report.ruleErrors.map((failure) => ({
      level: "error",
      message: { text: `Rule ${failure.rule} failed on ${failure.file}: ${failure.message}` },
      locations: [{ physicalLocation: { artifactLocation: artifactLocation(failure.file) } }],
      ...(ruleIndex.has(failure.rule) ? { associatedRule: { id: failure.rule, index: ruleIndex.get(failure.rule) } } : {}),
    })),
  ];

  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "corolint",
            version: VERSION,
            semanticVersion: VERSION,
            informationUri: HOME_URL,
            rules: descriptors,
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(report.cwd) } },
        columnKind: "utf16CodeUnits",
        invocations: [
          {
            // Skipped files are expected (binary, too large); a rule or the engine failing is not.
            executionSuccessful: report.ruleErrors.length === 0 && report.internalErrors.length === 0,
            toolExecutionNotifications: notifications,
          },
        ],
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

/** One `reportingDescriptor` per catalogue rule, then `syntax-error`; `ruleIndex` points into this list. */
function ruleDescriptors() {
  const descriptors = rules.map((rule) => describeRule(rule));
  descriptors.push({
    id: SYNTAX_ERROR_DOC.id,
    name: "SyntaxError",
    shortDescription: { text: SYNTAX_ERROR_DOC.summary },
    fullDescription: { text: SYNTAX_ERROR_DOC.what },
    help: { text: SYNTAX_ERROR_DOC.text, markdown: SYNTAX_ERROR_DOC.markdown },
    helpUri: HOME_URL,
    defaultConfiguration: { level: "error" },
  });
  return descriptors;
}

function describeRule(rule: Rule) {
  return {
    id: rule.id,
    name: pascalCase(rule.id),
    shortDescription: { text: rule.summary.trim() },
    fullDescription: { text: rule.docs.what.trim().replace(/\s*\n\s*/g, " ") },
    help: {
      text: renderRuleText(rule),
      // The generated-file notice is for the repository's docs folder, not for code scanning.
      markdown: renderRuleMarkdown(rule).replace(/^<!--.*-->\n+/, ""),
    },
    helpUri: ruleHelpUrl(rule.id),
    defaultConfiguration: { level: LEVELS[rule.defaultSeverity] },
  };
}

/**
 * A hash per finding of its rule, file, trimmed line text and how many identical
 * (rule, file, line text) findings came before it: stable while code above it moves.
 */
function fingerprintAll(findings: ReportedFinding[]): string[] {
  const seen = new Map<string, number>();
  return findings.map((finding) => {
    const key = [finding.rule, finding.file, finding.lineText.trim()].join("\0");
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    return createHash("sha256").update(`${key}\0${occurrence}`).digest("hex").slice(0, 32);
  });
}

function physicalLocation(file: string, range: ReportedFinding["range"]) {
  const at = oneBased(range);
  return {
    artifactLocation: artifactLocation(file),
    region: { startLine: at.line, startColumn: at.column, endLine: at.endLine, endColumn: at.endColumn },
  };
}

function artifactLocation(file: string) {
  return { uri: relativeUri(file), uriBaseId: SRCROOT };
}

/** A `/`-separated relative path as a relative URI reference: each segment percent-encoded. */
export function relativeUri(file: string): string {
  return file
    .split("/")
    .map((segment) => (segment === ".." || segment === "." ? segment : encodeURIComponent(segment)))
    .join("/");
}

function directoryUri(dir: string): string {
  const uri = pathToFileURL(dir).href;
  return uri.endsWith("/") ? uri : `${uri}/`;
}

function pascalCase(id: string): string {
  return id
    .split("-")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("");
}
