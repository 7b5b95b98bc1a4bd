/**
 * blocking-call-transitive through `corolint check`: the summary pass indexes the project, and the
 * finding's hops come out in every format, in-process and on worker threads.
 */
import { describe, expect, it } from "vitest";
import { makeProject, runCli, writeFiles } from "./helpers";

const HANDLER = [
  "from helpers import fetch_row, load_user",
  "",
  "",
  "async def handle(user_id):",
  "    user = load_user(user_id)",
  "    row = fetch_row(user_id)",
  "    return user, row",
  "",
].join("\n");
const HELPERS = [
  "import requests",
  "",
  "",
  "def fetch_row(user_id):",
  '    return requests.get("https://db/" + user_id)',
  "",
  "",
  "def load_user(user_id):",
  "    return fetch_row(user_id)",
  "",
].join("\n");

/** A project with a configuration (the project root the summary pass looks for helpers in). */
function project(config = ""): string {
  return makeProject({ "pyproject.toml": `[tool.corolint]\n${config}`, "app/handler.py": HANDLER, "app/helpers.py": HELPERS });
}

interface JsonFinding {
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
  related?: { file: string; line: number; column: number; message: string }[];
}

const transitiveFindings = (stdout: string) =>
  (JSON.parse(stdout) as { findings: JsonFinding[] }).findings.filter((finding) => finding.rule === "blocking-call-transitive");

describe("blocking-call-transitive in corolint check", () => {
  it("prints the chain's hops under the finding in text", async () => {
    const { code, stdout, stderr } = await runCli(["check"], project());
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.split("\n").slice(0, 4)).toEqual([
      expect.stringMatching(/^app\/handler\.py:5:12: blocking-call-transitive \[warning\] `load_user\(\)` .*`requests\.get\(\)` \((app\/)?helpers\.py:5/),
      expect.stringMatching(/^ {4}app\/helpers\.py:9:12: .*fetch_row/),
      expect.stringMatching(/^ {4}app\/helpers\.py:5:12: .*requests\.get/),
      expect.stringMatching(/^app\/handler\.py:6:11: blocking-call-transitive \[warning\] `fetch_row\(\)`/),
    ]);
  });

  it("gives the hops as related locations in JSON, the same on worker threads", async () => {
    const dir = project();
    const inProcess = await runCli(["check", "--format", "json", "--jobs", "1"], dir);
    const threads = await runCli(["check", "--format", "json", "--jobs", "2"], dir);
    const findings = transitiveFindings(inProcess.stdout);
    expect(findings.map((f) => [f.file, f.line, f.column])).toEqual([
      ["app/handler.py", 5, 12],
      ["app/handler.py", 6, 11],
    ]);
    expect(findings[0]!.related?.map((r) => [r.file, r.line, r.column])).toEqual([
      ["app/helpers.py", 9, 12],
      ["app/helpers.py", 5, 12],
    ]);
    expect(transitiveFindings(threads.stdout)).toEqual(findings);
  });

  it("gives the hops as relatedLocations in SARIF, and in the annotation's message for GitHub", async () => {
    const dir = project();
    const sarif = JSON.parse((await runCli(["check", "--format", "sarif"], dir)).stdout) as {
      runs: { results: { ruleId: string; relatedLocations?: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[];
    };
    const result = sarif.runs[0]!.results.find((r) => r.ruleId === "blocking-call-transitive")!;
    expect(result.relatedLocations?.map((l) => [l.physicalLocation.artifactLocation.uri, l.physicalLocation.region.startLine])).toEqual([
      ["app/helpers.py", 9],
      ["app/helpers.py", 5],
    ]);
    const github = (await runCli(["check", "--format", "github"], dir)).stdout;
    expect(github).toMatch(/^::warning file=app\/handler\.py,line=5,.*%0Aapp\/helpers\.py:9:12: .*%0Aapp\/helpers\.py:5:12: /m);
  });

  it("finds the chain when only the caller is named (the helpers are indexed from the project root)", async () => {
    const { stdout } = await runCli(["check", "app/handler.py", "--format", "json"], project());
    expect(transitiveFindings(stdout)).toHaveLength(2);
  });

  it("reports nothing when the rule is ignored, by flag or by configuration", async () => {
    const byFlag = await runCli(["check", "--format", "json", "--ignore", "blocking-call-transitive"], project());
    expect(transitiveFindings(byFlag.stdout)).toEqual([]);
    const byConfig = await runCli(["check", "--format", "json"], project('ignore = ["blocking-call-transitive"]\n'));
    expect(transitiveFindings(byConfig.stdout)).toEqual([]);
  });

  it("stops at transitive-max-depth: depth 1 keeps the helper that blocks itself and cuts the 2-hop chain", async () => {
    const { stdout, stderr } = await runCli(["check", "--format", "json"], project("transitive-max-depth = 1\n"));
    expect(stderr).toBe("");
    expect(transitiveFindings(stdout).map((f) => [f.line, f.column])).toEqual([[6, 11]]);
  });

  it("follows the calls of an async function nested in a method into other modules, in-process and on threads", async () => {
    const dir = makeProject({
      "pyproject.toml": "[tool.corolint]\n",
      "tests/test_api.py": [
        "from app.helpers import load_user",
        "",
        "",
        "class TestApi:",
        "    def test_load(self):",
        "        async def inner():",
        "            return load_user(1)",
        "        return inner",
        "",
      ].join("\n"),
      "app/helpers.py": HELPERS,
    });
    const inProcess = transitiveFindings((await runCli(["check", "tests/test_api.py", "--format", "json", "--jobs", "1"], dir)).stdout);
    expect(inProcess.map((f) => [f.file, f.line, f.column])).toEqual([["tests/test_api.py", 7, 20]]);
    expect(inProcess[0]!.related?.map((r) => [r.file, r.line])).toEqual([
      ["app/helpers.py", 9],
      ["app/helpers.py", 5],
    ]);
    const threads = transitiveFindings((await runCli(["check", "tests/test_api.py", "--format", "json", "--jobs", "2"], dir)).stdout);
    expect(threads).toEqual(inProcess);
  });

  it("follows TypeScript imports through tsconfig `paths`, the caller named alone, in-process and on threads", async () => {
    const dir = makeProject({
      "package.json": '{"type": "module"}',
      "tsconfig.json": JSON.stringify({ compilerOptions: { module: "ESNext", moduleResolution: "Bundler", baseUrl: ".", paths: { "@lib/*": ["src/lib/*"] } } }),
      "src/lib/clock.ts": ['import { execSync } from "node:child_process";', "", "export function now() {", '  return execSync("date").toString();', "}", ""].join("\n"),
      "src/lib/report.ts": ['import { now } from "@lib/clock";', "", "export function stamp() {", "  return now();", "}", ""].join("\n"),
      "src/start.ts": ['import { stamp } from "@lib/report";', "", "export async function start() {", "  return stamp();", "}", ""].join("\n"),
    });
    const inProcess = transitiveFindings((await runCli(["check", "src/start.ts", "--format", "json", "--jobs", "1"], dir)).stdout);
    expect(inProcess.map((f) => [f.file, f.line, f.column])).toEqual([["src/start.ts", 4, 10]]);
    expect(inProcess[0]!.related?.map((r) => [r.file, r.line])).toEqual([
      ["src/lib/report.ts", 4],
      ["src/lib/clock.ts", 4],
    ]);
    const threads = transitiveFindings((await runCli(["check", ".", "--format", "json", "--jobs", "2"], dir)).stdout);
    expect(threads).toEqual(inProcess);
  });

  it("follows a chain through a package's re-export", async () => {
    const dir = makeProject({
      "pyproject.toml": "[tool.corolint]\n",
      "svc/api.py": "from svc.db import load\n\n\nasync def get(i):\n    return load(i)\n",
      "svc/__init__.py": "",
      "svc/db/__init__.py": "from .queries import load\n",
      "svc/db/queries.py": "import time\n\n\ndef load(i):\n    time.sleep(1)\n    return i\n",
    });
    writeFiles(dir, { "svc/unrelated.py": "def f():\n    return 1\n" });
    const [finding] = transitiveFindings((await runCli(["check", "svc/api.py", "--format", "json"], dir)).stdout);
    expect(finding).toMatchObject({ file: "svc/api.py", line: 5, column: 12 });
    expect(finding!.related?.map((r) => [r.file, r.line])).toEqual([["svc/db/queries.py", 5]]);
  });

  it("summarizes a file with coroutines again when another file calls one of its sync functions that its own coroutines do not", async () => {
    // `jobs.py` has a coroutine, so the pass summarizes only it (and what it calls); `api.py` then
    // names `jobs.sync_export`, which needs a second summary of `jobs.py`. Its own finding stays.
    const dir = makeProject({
      "pyproject.toml": "[tool.corolint]\n",
      "svc/__init__.py": "",
      "svc/api.py": "from svc import jobs\n\n\nasync def export():\n    return jobs.sync_export()\n",
      "svc/jobs.py": [
        "import time",
        "",
        "",
        "def pause():",
        "    time.sleep(1)",
        "",
        "",
        "def sync_export():",
        "    pause()",
        "",
        "",
        "async def nightly():",
        "    pause()",
        "",
      ].join("\n"),
    });
    const expected = [
      ["svc/api.py", 5, [["svc/jobs.py", 9], ["svc/jobs.py", 5]]],
      ["svc/jobs.py", 13, [["svc/jobs.py", 5]]],
    ];
    for (const jobs of ["1", "2"]) {
      const found = transitiveFindings((await runCli(["check", "svc", "--format", "json", "--jobs", jobs], dir)).stdout);
      expect(found.map((f) => [f.file, f.line, f.related?.map((r) => [r.file, r.line])]), `--jobs ${jobs}`).toEqual(expected);
    }
  });

  it("follows a class called through its __init__, and a helper module asked for a second function later", async () => {
    // `helpers` is first summarized in part (for `first`), then again when `other.go` names `second`;
    // `deep` is reached only through `Repo.__init__`.
    const dir = makeProject({
      "pyproject.toml": "[tool.corolint]\n",
      "pkg/__init__.py": "",
      "pkg/app.py": "from pkg import helpers, other\n\n\nasync def main():\n    helpers.first()\n    other.go()\n    helpers.Repo()\n",
      "pkg/other.py": "from pkg import helpers\n\n\ndef go():\n    helpers.second()\n",
      "pkg/helpers.py": [
        "import time",
        "from pkg import deep",
        "",
        "",
        "def first():",
        "    return 1",
        "",
        "",
        "def second():",
        "    _sleep()",
        "",
        "",
        "def _sleep():",
        "    time.sleep(1)",
        "",
        "",
        "class Repo:",
        "    def __init__(self):",
        "        deep.block()",
        "",
      ].join("\n"),
      "pkg/deep.py": "import subprocess\n\n\ndef block():\n    subprocess.run(['ls'])\n",
    });
    const inProcess = transitiveFindings((await runCli(["check", "pkg/app.py", "--format", "json", "--jobs", "1"], dir)).stdout);
    expect(inProcess.map((f) => [f.line, f.related?.map((r) => [r.file, r.line])])).toEqual([
      [6, [["pkg/other.py", 5], ["pkg/helpers.py", 10], ["pkg/helpers.py", 14]]],
      [7, [["pkg/helpers.py", 19], ["pkg/deep.py", 5]]],
    ]);
    const threads = transitiveFindings((await runCli(["check", "pkg", "--format", "json", "--jobs", "2"], dir)).stdout);
    expect(threads).toEqual(inProcess);
  });
});
