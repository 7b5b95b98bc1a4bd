/** Which files `corolint check` visits: the folders it never enters, .gitignore, exclude globs, named files. */
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BLOCKING, CLEAN, jsonFiles, makeProject, runCli } from "./helpers";

async function checkedJson(args: string[], cwd: string) {
  const result = await runCli(["check", "--format", "json", ...args], cwd);
  expect(result.code, result.stderr).not.toBe(2);
  return { files: jsonFiles(result.stdout), document: JSON.parse(result.stdout) };
}

describe("discovery", () => {
  it("never enters .git, node_modules, site-packages, __pycache__ or a virtual environment", async () => {
    const dir = makeProject({
      "app.py": BLOCKING,
      ".git/hooks/x.py": BLOCKING,
      "node_modules/pkg/x.py": BLOCKING,
      "lib/python3.12/site-packages/x.py": BLOCKING,
      "pkg/__pycache__/x.py": BLOCKING,
      "env/pyvenv.cfg": "home = /usr/bin\n",
      "env/lib/x.py": BLOCKING,
      ".venv/pyvenv.cfg": "home = /usr/bin\n",
      ".venv/x.py": BLOCKING,
      "pkg/mod.py": BLOCKING,
    });
    const { files, document } = await checkedJson([], dir);
    expect(files).toEqual(["app.py", "pkg/mod.py"]);
    expect(document.summary.files).toBe(2);
  });

  it("only reads .py and .pyi files", async () => {
    const dir = makeProject({ "a.py": BLOCKING, "b.pyi": BLOCKING, "c.txt": BLOCKING, "d.pyc": "x", "README.md": "# hi" });
    const { document } = await checkedJson([], dir);
    expect(document.summary.files).toBe(2);
    expect(document.skipped).toEqual([]);
  });

  it("honours .gitignore files, nested ones relative to their folder, and negations", async () => {
    const dir = makeProject({
      ".gitignore": "build/\n*_gen.py\n!keep_gen.py\n",
      "build/x.py": BLOCKING,
      "a_gen.py": BLOCKING,
      "keep_gen.py": BLOCKING,
      "src/.gitignore": "/local.py\nvendored/\n",
      "src/local.py": BLOCKING,
      "src/deeper/local.py": BLOCKING,
      "src/vendored/x.py": BLOCKING,
      "src/app.py": BLOCKING,
      "local.py": BLOCKING,
    });
    const { files } = await checkedJson([], dir);
    expect(files).toEqual(["keep_gen.py", "local.py", "src/app.py", "src/deeper/local.py"]);
  });

  it("honours the repository's top-level .gitignore when checking a sub-folder", async () => {
    const dir = makeProject({ ".gitignore": "generated/\n", "src/generated/x.py": BLOCKING, "src/app.py": BLOCKING });
    mkdirSync(join(dir, ".git"));
    expect((await checkedJson(["src"], dir)).files).toEqual(["src/app.py"]);
    // Outside a repository a parent folder's .gitignore is someone else's business.
    const plain = makeProject({ ".gitignore": "generated/\n", "src/generated/x.py": BLOCKING });
    expect((await checkedJson(["."], join(plain, "src"))).files).toEqual(["generated/x.py"]);
  });

  it("leaves out the configuration's exclude globs, relative to the configuration's folder", async () => {
    const dir = makeProject({
      "pyproject.toml": '[tool.corolint]\nexclude = ["tests/fixtures", "*_pb2.py", "gen/**", "docs/"]\n',
      "tests/fixtures/x.py": BLOCKING,
      "tests/test_app.py": BLOCKING,
      "proto/api_pb2.py": BLOCKING,
      "gen/deep/x.py": BLOCKING,
      "docs/conf.py": BLOCKING,
      "src/app.py": BLOCKING,
    });
    expect((await checkedJson([], dir)).files).toEqual(["src/app.py", "tests/test_app.py"]);
    // Started from a sub-folder, the globs still mean paths from the configuration's folder.
    const fromTests = await checkedJson([], join(dir, "tests"));
    expect(fromTests.files).toEqual(["test_app.py"]);
  });

  it("always checks a file named on the command line, even if ignored or excluded", async () => {
    const dir = makeProject({
      ".gitignore": "ignored.py\n",
      "corolint.json": '{"exclude": ["excluded.py"]}',
      "ignored.py": BLOCKING,
      "excluded.py": BLOCKING,
      "node_modules/x.py": BLOCKING,
    });
    expect((await checkedJson([], dir)).files).toEqual([]);
    const named = await checkedJson(["ignored.py", "excluded.py", "node_modules/x.py"], dir);
    expect(named.files).toEqual(["excluded.py", "ignored.py", "node_modules/x.py"]);
  });

  it("checks a named script with a python shebang, and skips other named non-Python files", async () => {
    const dir = makeProject({ "tool": `#!/usr/bin/env python3\n${BLOCKING}`, "notes.txt": "hello\n" });
    const { files, document } = await checkedJson(["tool", "notes.txt"], dir);
    expect(files).toEqual(["tool"]);
    expect(document.skipped).toEqual([{ file: "notes.txt", reason: "not a Python, TypeScript or JavaScript file (.py, .pyi, .ts, .tsx, .mts, .cts, .js, .jsx, .mjs, .cjs or a python shebang)" }]);
  });

  it("checks each file once when paths overlap, and does not follow symlinked folders", async () => {
    const dir = makeProject({ "pkg/a.py": BLOCKING, "pkg/b.py": CLEAN });
    symlinkSync(join(dir, "pkg"), join(dir, "link"));
    const { document } = await checkedJson([".", "pkg", "pkg/a.py"], dir);
    expect(document.summary.files).toBe(2);
    expect(document.findings).toHaveLength(1);
  });
});
