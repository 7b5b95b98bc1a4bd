import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "./helpers";

/**
 * The prefilter skips parsing files whose text cannot hold a finding. This runs the real CLI over a
 * real corpus nobody here wrote — the Python standard library — with and without the shortcut and
 * requires the same findings, so the shortcut can never hide one.
 */
const stdlib = execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], {
  encoding: "utf8",
}).trim();

interface JsonReport {
  findings: { file: string; line: number; column: number; rule: string; message: string }[];
  summary: { files: number };
}

async function check(extra: string[]): Promise<JsonReport> {
  const result = await runCli(["check", stdlib, "--format", "json", "--exit-zero", ...extra], REPO_ROOT);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as JsonReport;
}

const key = (f: JsonReport["findings"][number]) => `${f.file}:${f.line}:${f.column}:${f.rule}:${f.message}`;

describe("prefilter over the standard library", () => {
  it("finds exactly what a full parse of every file finds", { timeout: 240_000 }, async () => {
    const [skipping, parsingAll] = [await check([]), await check(["--no-prefilter"])];
    expect(skipping.summary.files).toBeGreaterThan(500);
    expect(skipping.summary.files).toBe(parsingAll.summary.files);
    const rulesOnly = (report: JsonReport) => report.findings.filter((f) => f.rule !== "syntax-error").map(key);
    expect(rulesOnly(skipping).length).toBeGreaterThan(10);
    expect(rulesOnly(skipping)).toEqual(rulesOnly(parsingAll));
    // Syntax errors are reported only in files corolint analyses (documented): a subset, never new ones.
    const syntax = (report: JsonReport) => report.findings.filter((f) => f.rule === "syntax-error").map(key);
    for (const finding of syntax(skipping)) expect(syntax(parsingAll)).toContain(finding);
  });
});
