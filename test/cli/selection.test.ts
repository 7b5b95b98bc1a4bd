/** Which rules run: --select / --ignore, the configuration, and how the two combine. */
import { describe, expect, it } from "vitest";
import { BLOCKING, DANGLING, makeProject, runCli } from "./helpers";

/** The rule ids reported by a json run, sorted. */
async function rulesReported(args: string[], dir: string): Promise<string[]> {
  const { code, stdout, stderr } = await runCli(["check", "--format", "json", ...args], dir);
  expect(code, stderr).not.toBe(2);
  return (JSON.parse(stdout).findings as { rule: string }[]).map((finding) => finding.rule).sort();
}

describe("rule selection", () => {
  const files = { "a.py": BLOCKING, "b.py": DANGLING, "broken.py": "import asyncio\nasync def broken(:\n    await asyncio.sleep(1)\n" };

  it("runs every rule by default", async () => {
    const rules = await rulesReported([], makeProject(files));
    expect(rules).toContain("blocking-call");
    expect(rules).toContain("dangling-task");
    expect(rules).toContain("syntax-error");
  });

  it("--select runs only the named rules (comma-separated, repeatable)", async () => {
    const dir = makeProject(files);
    expect(await rulesReported(["--select", "dangling-task", "--ignore", "syntax-error"], dir)).toEqual(["dangling-task"]);
    const both = await rulesReported(["--select", "dangling-task,blocking-call", "--ignore=syntax-error"], dir);
    expect(both).toEqual(["blocking-call", "dangling-task"]);
    const repeated = await rulesReported(["--select", "dangling-task", "--select", "blocking-call", "--ignore", "syntax-error"], dir);
    expect(repeated).toEqual(both);
  });

  it("--ignore drops the named rules", async () => {
    const rules = await rulesReported(["--ignore", "blocking-call,syntax-error"], makeProject(files));
    expect(rules).toEqual(["dangling-task"]);
  });

  it("the configuration's select, ignore and severity apply", async () => {
    const dir = makeProject({
      ...files,
      "pyproject.toml": '[tool.corolint]\nselect = ["blocking-call", "dangling-task"]\nignore = ["syntax-error"]\n\n[tool.corolint.severity]\ndangling-task = "off"\n',
    });
    expect(await rulesReported([], dir)).toEqual(["blocking-call"]);
  });

  it("--select replaces the configured select and overrides a configured ignore or `off`", async () => {
    const dir = makeProject({
      ...files,
      "corolint.json": JSON.stringify({ select: ["blocking-call"], ignore: ["dangling-task", "syntax-error"], severity: { "blocking-call": "off" } }),
    });
    expect(await rulesReported([], dir)).toEqual([]);
    expect(await rulesReported(["--select", "dangling-task"], dir)).toEqual(["dangling-task"]);
    expect(await rulesReported(["--select", "blocking-call"], dir)).toEqual(["blocking-call"]);
  });

  it("--ignore adds to the configured ignore", async () => {
    const dir = makeProject({ ...files, "corolint.json": '{"ignore": ["syntax-error"]}' });
    expect(await rulesReported(["--ignore", "blocking-call"], dir)).toEqual(["dangling-task"]);
  });

  it("extra-blocking-calls from the configuration reaches the rules", async () => {
    const source = "import mylib\nasync def f():\n    mylib.fetch_sync()\n";
    const dir = makeProject({ "a.py": source });
    expect(await rulesReported([], dir)).toEqual([]);
    const configured = makeProject({ "a.py": source, "corolint.json": '{"extra-blocking-calls": ["mylib.fetch_sync"]}' });
    expect(await rulesReported([], configured)).toEqual(["blocking-call"]);
  });
});

describe("configuration discovery", () => {
  it("finds the nearest configuration above the current folder; corolint.json wins over pyproject.toml", async () => {
    const dir = makeProject({
      "pyproject.toml": '[tool.corolint]\nignore = ["dangling-task"]\n',
      "corolint.json": '{"ignore": ["blocking-call"]}',
      "src/a.py": BLOCKING,
      "src/b.py": DANGLING,
    });
    expect(await rulesReported([], `${dir}/src`)).toEqual(["dangling-task"]);
  });

  it("skips a pyproject.toml without [tool.corolint] on the way up", async () => {
    const dir = makeProject({
      "pyproject.toml": '[tool.corolint]\nignore = ["dangling-task"]\n',
      "src/pyproject.toml": "[tool.black]\nline-length = 100\n",
      "src/a.py": BLOCKING,
      "src/b.py": DANGLING,
    });
    expect(await rulesReported([], `${dir}/src`)).toEqual(["blocking-call"]);
  });

  it("--config replaces the search", async () => {
    const dir = makeProject({
      "corolint.json": '{"ignore": ["blocking-call"]}',
      "other.toml": 'ignore = ["dangling-task"]\n',
      "a.py": BLOCKING,
      "b.py": DANGLING,
    });
    expect(await rulesReported([], dir)).toEqual(["dangling-task"]);
    expect(await rulesReported(["--config", "other.toml"], dir)).toEqual(["blocking-call"]);
  });
});
