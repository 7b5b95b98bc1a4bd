/** Each output format of `corolint check`, byte for byte where the format is a contract. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { BLOCKING, CLEAN, DANGLING, makeProject, REPO_ROOT, runCli } from "./helpers";

const version = (JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, "utf8")) as { version: string }).version;

const blockingMessage = /time\.sleep/;

describe("text format", () => {
  it("prints one line per finding, sorted, then the summary", async () => {
    const dir = makeProject({ "b.py": DANGLING, "a.py": BLOCKING, "pkg/c.py": BLOCKING, "ok.py": CLEAN });
    const { code, stdout, stderr } = await runCli(["check"], dir);
    expect(code).toBe(1);
    expect(stderr).toBe("");
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^a\.py:3:5: blocking-call \[error\] .*time\.sleep/);
    expect(lines[1]).toMatch(/^b\.py:3:5: dangling-task \[warning\] /);
    expect(lines[2]).toMatch(/^pkg\/c\.py:3:5: blocking-call \[error\] /);
    expect(lines[3]).toBe("Found 3 problems (2 errors, 1 warning) in 3 files; checked 4 files.");
  });

  it("says so when nothing is found", async () => {
    const dir = makeProject({ "ok.py": CLEAN, "also.py": CLEAN });
    const { code, stdout } = await runCli(["check"], dir);
    expect(code).toBe(0);
    expect(stdout).toBe("No problems found; checked 2 files.\n");
  });

  it("warns on stderr when there is nothing to check", async () => {
    const { code, stdout, stderr } = await runCli(["check"], makeProject({ "README.md": "# hi\n" }));
    expect(code).toBe(0);
    expect(stdout).toBe("No problems found; checked 0 files.\n");
    expect(stderr).toBe("corolint: warning: no Python, TypeScript or JavaScript files found in .\n");
  });

  it("counts skipped files in the summary and explains them on stderr", async () => {
    const dir = makeProject({ "ok.py": CLEAN, "bin.py": new Uint8Array([0x70, 0, 0x71]) });
    const { code, stdout, stderr } = await runCli(["check"], dir);
    expect(code).toBe(0);
    expect(stdout).toBe("No problems found; checked 1 file, skipped 1.\n");
    expect(stderr).toBe("corolint: skipped bin.py: binary file (contains NUL bytes)\n");
  });

  it("never writes ANSI escapes into a pipe, with or without NO_COLOR", async () => {
    const dir = makeProject({ "a.py": BLOCKING });
    for (const env of [{}, { NO_COLOR: "1" }] as Record<string, string>[]) {
      const { stdout, stderr } = await runCli(["check"], dir, env);
      expect(stdout).toContain("blocking-call");
      expect(stdout + stderr).not.toMatch(/\x1b\[/);
    }
  });

  it("paths are relative to the current folder, also for a folder named on the command line", async () => {
    const dir = makeProject({ "src/app/a.py": BLOCKING });
    const { stdout } = await runCli(["check", "src/app"], dir);
    expect(stdout).toMatch(/^src\/app\/a\.py:3:5: /);
    const inside = await runCli(["check", "."], `${dir}/src`);
    expect(inside.stdout).toMatch(/^app\/a\.py:3:5: /);
  });
});

describe("json format", () => {
  it("has exactly the documented shape", async () => {
    const dir = makeProject({ "a.py": BLOCKING, "sub/b.py": DANGLING, "ok.py": CLEAN, "bin.py": new Uint8Array([0]) });
    const { code, stdout, stderr } = await runCli(["check", "--format", "json"], dir);
    expect(code).toBe(1);
    expect(stderr).toBe("");
    const document = JSON.parse(stdout);
    expect(Object.keys(document)).toEqual(["version", "findings", "skipped", "summary"]);
    expect(document.version).toBe(version);
    expect(document.findings).toHaveLength(2);
    for (const finding of document.findings) {
      expect(Object.keys(finding)).toEqual(["file", "line", "column", "endLine", "endColumn", "rule", "severity", "message"]);
    }
    expect(document.findings[0]).toMatchObject({ file: "a.py", line: 3, column: 5, endLine: 3, rule: "blocking-call", severity: "error" });
    expect(document.findings[0].message).toMatch(blockingMessage);
    expect(document.findings[0].endColumn).toBeGreaterThan(5);
    expect(document.findings[1]).toMatchObject({ file: "sub/b.py", line: 3, column: 5, rule: "dangling-task", severity: "warning" });
    expect(document.skipped).toEqual([{ file: "bin.py", reason: "binary file (contains NUL bytes)" }]);
    expect(document.summary).toEqual({ files: 3, findings: 2, errors: 1, warnings: 1, infos: 0, skipped: 1 });
  });

  it("is valid JSON with empty lists when nothing is found", async () => {
    const dir = makeProject({ "ok.py": CLEAN });
    const { code, stdout } = await runCli(["check", "--format=json"], dir);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      version,
      findings: [],
      skipped: [],
      summary: { files: 1, findings: 0, errors: 0, warnings: 0, infos: 0, skipped: 0 },
    });
  });

  it("adds `related` only to findings that have related locations", async () => {
    const dir = makeProject({ "patch.py": "import requests\nfrom gevent import monkey\n\nmonkey.patch_all()\n" });
    const { stdout } = await runCli(["check", "--format", "json", "--select", "late-monkey-patch"], dir);
    const [finding] = JSON.parse(stdout).findings;
    expect(finding.rule).toBe("late-monkey-patch");
    expect(finding.related?.[0]).toMatchObject({ file: "patch.py", line: 1, column: 1 });
    expect(Object.keys(finding.related[0])).toEqual(["file", "line", "column", "endLine", "endColumn", "message"]);
  });
});

describe("sarif format", () => {
  const require = createRequire(import.meta.url);

  /** The jest-sarif schema is draft-04 with a regex V8 rejects in unicode mode; Ajv 8 reads it with these settings. */
  function sarifValidator() {
    const Ajv = require("ajv") as typeof import("ajv").default;
    const schema = structuredClone(require("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json")) as Record<string, unknown>;
    delete schema["$schema"];
    schema["$id"] = schema["id"];
    delete schema["id"];
    const ajv = new Ajv({ strict: false, unicodeRegExp: false, allErrors: true, logger: false });
    ajv.addFormat("uri", (value: string) => URL.canParse(value));
    ajv.addFormat("uri-reference", (value: string) => URL.canParse(value, "file:///base/"));
    ajv.addFormat("date-time", (value: string) => !Number.isNaN(Date.parse(value)));
    return ajv.compile(schema);
  }

  it("validates against the SARIF 2.1.0 schema and carries what code scanning needs", async () => {
    const dir = makeProject({
      "a.py": BLOCKING,
      "src/b c.py": DANGLING,
      "patch.py": "import requests\nfrom gevent import monkey\n\nmonkey.patch_all()\n",
      "bin.py": new Uint8Array([0]),
    });
    const { code, stdout } = await runCli(["check", "--format", "sarif"], dir);
    expect(code).toBe(1);
    const log = JSON.parse(stdout);
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);

    expect(log.version).toBe("2.1.0");
    const run = log.runs[0];
    const driver = run.tool.driver;
    expect(driver).toMatchObject({ name: "corolint", version });
    expect(URL.canParse(driver.informationUri)).toBe(true);
    const ids = driver.rules.map((rule: { id: string }) => rule.id);
    expect(ids).toContain("blocking-call");
    expect(ids).toContain("syntax-error");
    const blocking = driver.rules.find((rule: { id: string }) => rule.id === "blocking-call");
    expect(blocking.shortDescription.text).not.toBe("");
    expect(blocking.fullDescription.text).not.toBe("");
    expect(blocking.help.text).toContain("blocking-call");
    expect(blocking.help.markdown).toContain("```python");
    expect(blocking.defaultConfiguration.level).toBe("error");
    expect(blocking.helpUri).toMatch(/docs\/rules\/blocking-call\.md$/);
    expect(run.originalUriBaseIds["%SRCROOT%"].uri).toBe(pathToFileURL(dir).href + "/");

    const byFile = (uri: string) => run.results.find((r: any) => r.locations[0].physicalLocation.artifactLocation.uri === uri);
    const result = byFile("a.py");
    expect(result).toMatchObject({ ruleId: "blocking-call", level: "error" });
    expect(driver.rules[result.ruleIndex].id).toBe("blocking-call");
    expect(result.locations[0].physicalLocation).toMatchObject({
      artifactLocation: { uri: "a.py", uriBaseId: "%SRCROOT%" },
      region: { startLine: 3, startColumn: 5, endLine: 3 },
    });
    expect(Object.values(result.partialFingerprints)[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(byFile("src/b%20c.py")).toMatchObject({ ruleId: "dangling-task", level: "warning" });
    const late = run.results.find((r: any) => r.ruleId === "late-monkey-patch");
    expect(late.relatedLocations[0].physicalLocation.region.startLine).toBe(1);

    expect(run.invocations[0].executionSuccessful).toBe(true);
    expect(run.invocations[0].toolExecutionNotifications).toEqual([
      expect.objectContaining({
        level: "warning",
        locations: [{ physicalLocation: { artifactLocation: { uri: "bin.py", uriBaseId: "%SRCROOT%" } } }],
      }),
    ]);
  });

  it("the schema check would catch a broken log", () => {
    const validate = sarifValidator();
    expect(validate({ version: "2.1.0", runs: [{ tool: { driver: { name: "x" } }, results: [{ message: { text: "m" }, level: "fatal" }] }] })).toBe(false);
  });

  it("fingerprints ignore line numbers but tell identical lines apart", async () => {
    const twice = "import time\nasync def f():\n    time.sleep(1)\n    time.sleep(1)\n";
    const dir = makeProject({ "a.py": twice });
    const first = JSON.parse((await runCli(["check", "--format", "sarif"], dir)).stdout);
    const fingerprints = (log: any) => log.runs[0].results.map((r: any) => r.partialFingerprints["corolint/v1"]);
    const before = fingerprints(first);
    expect(before).toHaveLength(2);
    expect(before[0]).not.toBe(before[1]);

    const moved = makeProject({ "a.py": "\n\n# a comment that moves everything down\n" + twice });
    const second = JSON.parse((await runCli(["check", "--format", "sarif"], moved)).stdout);
    expect(second.runs[0].results[0].locations[0].physicalLocation.region.startLine).toBe(6);
    expect(fingerprints(second)).toEqual(before);
  });

  it("is a valid empty log when nothing is found", async () => {
    const dir = makeProject({ "ok.py": CLEAN });
    const { code, stdout } = await runCli(["check", "--format", "sarif"], dir);
    expect(code).toBe(0);
    const log = JSON.parse(stdout);
    expect(sarifValidator()(log)).toBe(true);
    expect(log.runs[0].results).toEqual([]);
  });
});

describe("github format", () => {
  it("prints one workflow command per finding, severity mapped to error/warning/notice", async () => {
    const dir = makeProject({ "a.py": BLOCKING, "b.py": DANGLING, "corolint.json": '{"severity": {"dangling-task": "info"}}', "c.py": DANGLING.replace("g", "k") });
    const { code, stdout, stderr } = await runCli(["check", "--format", "github", "--config", "corolint.json"], dir);
    expect(code).toBe(1);
    expect(stderr).toBe("");
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^::error file=a\.py,line=3,col=5,endLine=3,endColumn=\d+,title=corolint blocking-call::`time\.sleep\(\)`/);
    expect(lines[1]).toMatch(/^::notice file=b\.py,line=3,col=5,endLine=3,endColumn=\d+,title=corolint dangling-task::/);
    expect(lines[2]).toMatch(/^::notice file=c\.py,/);
  });

  it("uses ::warning for warnings and escapes properties", async () => {
    const dir = makeProject({ "we,ird:name%.py": DANGLING });
    const { stdout } = await runCli(["check", "--format", "github"], dir);
    expect(stdout).toMatch(/^::warning file=we%2Cird%3Aname%25\.py,line=3,col=5,/);
    expect(stdout.trimEnd().split("\n")).toHaveLength(1);
  });

  it("turns skipped files into warnings", async () => {
    const dir = makeProject({ "bin.py": new Uint8Array([0]) });
    const { code, stdout } = await runCli(["check", "--format", "github"], dir);
    expect(code).toBe(0);
    expect(stdout).toBe("::warning file=bin.py,title=corolint skipped this file::binary file (contains NUL bytes)\n");
  });
});
