/**
 * `blocking-call-transitive` over multi-file Python projects: the index is built from every file's
 * summary, each file is analysed against it, and the findings are checked exactly — line, message,
 * and the related hops one by one (file and line).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeSource, IncrementalAnalyzer, type AnalyzeRequest, type Finding, type PartialAnalysisOptions } from "../rules/index";
import { createWorkspaceIndex } from "../rules/workspace/index";
import { summarizeFile } from "../rules/workspace/summarize-file";
import type { WorkspaceIndex } from "../rules/workspace/summary";
import { loadCore } from "./helpers/core";

beforeAll(loadCore);

const RULE = "blocking-call-transitive";
const projects = path.resolve(__dirname, "fixtures", "projects");

function pythonFiles(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".py"))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

/** The index of a fixture project, every file summarized from disk. */
function indexProject(name: string): { root: string; index: WorkspaceIndex } {
  const root = path.join(projects, name);
  const index = createWorkspaceIndex();
  for (const file of pythonFiles(root)) {
    const absolutePath = path.join(root, file);
    const summary = summarizeFile({ path: file, source: readFileSync(absolutePath, "utf8"), absolutePath });
    if (summary) index.update(summary);
  }
  return { root, index };
}

/** The rule's findings in one file, as line (one-based), message and hops `file:line` (one-based). */
function transitive(root: string, file: string, index: WorkspaceIndex, options?: PartialAnalysisOptions) {
  const absolutePath = path.join(root, file);
  const result = analyzeSource({ path: file, source: readFileSync(absolutePath, "utf8"), absolutePath, workspace: index, options });
  expect(result.ruleErrors).toEqual([]);
  return result.findings.filter((finding) => finding.rule === RULE).map(shape);
}

function shape(finding: Finding) {
  return {
    line: finding.range.start.line + 1,
    severity: finding.severity,
    message: finding.message,
    hops: (finding.related ?? []).map((related) => `${related.file ?? "."}:${related.range.start.line + 1} ${related.message}`),
  };
}

const suffix = "; run it in a thread (`await asyncio.to_thread(...)`) or make the chain async";

describe("blocking-call-transitive in a Python package (py-app)", () => {
  it("follows re-exports, submodules, aliases, self/cls and static methods in handlers.py", () => {
    const { root, index } = indexProject("py-app");
    expect(transitive(root, "app/handlers.py", index)).toEqual([
      {
        line: 10,
        severity: "warning",
        message:
          "`load_user()` blocks the event loop in coroutine `get_user_handler`: it calls `fetch_row()`, which calls " +
          "`requests.get()` (app/db.py:7, 2 calls down)" + suffix,
        hops: [
          "app/db.py:11 `load_user` calls `fetch_row()`",
          "app/db.py:7 `fetch_row` calls `requests.get()`, which blocks",
        ],
      },
      {
        line: 14,
        severity: "warning",
        message:
          "`find_user()` blocks the event loop in coroutine `find_handler`: it calls `db.load_user()`, which calls " +
          "`fetch_row()`, which calls `requests.get()` (app/db.py:7, 3 calls down)" + suffix,
        hops: [
          "app/service.py:7 `find_user` calls `db.load_user()`",
          "app/db.py:11 `load_user` calls `fetch_row()`",
          "app/db.py:7 `fetch_row` calls `requests.get()`, which blocks",
        ],
      },
      {
        line: 18,
        severity: "warning",
        message: "`app.db.fetch_row()` blocks the event loop in coroutine `direct_handler`: it calls `requests.get()` (app/db.py:7)" + suffix,
        hops: ["app/db.py:7 `fetch_row` calls `requests.get()`, which blocks"],
      },
      {
        line: 22,
        severity: "warning",
        message:
          "`Repo.build()` blocks the event loop in coroutine `build_handler`: it calls `database.slow_pause()`, which calls " +
          "`time.sleep()` (app/db.py:15, 2 calls down)" + suffix,
        hops: [
          "app/service.py:25 `Repo.build` calls `database.slow_pause()`",
          "app/db.py:15 `slow_pause` calls `time.sleep()`, which blocks",
        ],
      },
      // repo_handler: `repo.fetch()` is on an unknown receiver; `Repo()` runs an `__init__` that does not block.
      {
        line: 32,
        severity: "warning",
        message:
          "`self.lookup()` blocks the event loop in coroutine `get`: it calls `Repo.create()`, which calls `cls.build()`, " +
          "which calls `database.slow_pause()`, which calls `time.sleep()` (app/db.py:15, 4 calls down)" + suffix,
        hops: [
          ".:35 `Handler.lookup` calls `Repo.create()`",
          "app/service.py:29 `Repo.create` calls `cls.build()`",
          "app/service.py:25 `Repo.build` calls `database.slow_pause()`",
          "app/db.py:15 `slow_pause` calls `time.sleep()`, which blocks",
        ],
      },
      // cycle_handler, threaded_handler, executor_handler, nested_handler, await_handler: nothing.
    ]);
  });

  it("follows `self` methods, inherited ones, and an alias of an imported function in service.py", () => {
    const { root, index } = indexProject("py-app");
    expect(transitive(root, "app/service.py", index)).toEqual([
      {
        line: 21,
        severity: "warning",
        message:
          "`self.fetch()` blocks the event loop in coroutine `afetch`: it calls `self._load()`, which calls `get_user()`, " +
          "which calls `fetch_row()`, which calls `requests.get()` (app/db.py:7, 4 calls down)" + suffix,
        hops: [
          ".:15 `Repo.fetch` calls `self._load()`",
          ".:18 `Repo._load` calls `get_user()`",
          "app/db.py:11 `load_user` calls `fetch_row()`",
          "app/db.py:7 `fetch_row` calls `requests.get()`, which blocks",
        ],
      },
      {
        line: 35,
        severity: "warning",
        message:
          "`self._load()` blocks the event loop in coroutine `aload`: it calls `get_user()`, which calls `fetch_row()`, " +
          "which calls `requests.get()` (app/db.py:7, 3 calls down)" + suffix,
        hops: [
          ".:18 `Repo._load` calls `get_user()`",
          "app/db.py:11 `load_user` calls `fetch_row()`",
          "app/db.py:7 `fetch_row` calls `requests.get()`, which blocks",
        ],
      },
    ]);
  });

  it("resolves a name through `from .service import *` in the package's __init__.py", () => {
    const { root, index } = indexProject("py-app");
    expect(transitive(root, "app/api.py", index).map((finding) => [finding.line, finding.hops])).toEqual([
      [
        5,
        [
          "app/service.py:7 `find_user` calls `db.load_user()`",
          "app/db.py:11 `load_user` calls `fetch_row()`",
          "app/db.py:7 `fetch_row` calls `requests.get()`, which blocks",
        ],
      ],
    ]);
  });

  it("resolves `..` imports from a subpackage", () => {
    const { root, index } = indexProject("py-app");
    expect(transitive(root, "app/sub/jobs.py", index).map((finding) => [finding.line, finding.message.slice(0, finding.message.indexOf(":")), finding.hops.length])).toEqual([
      [6, "`load()` blocks the event loop in coroutine `nightly`", 2],
      [7, "`service.find_user()` blocks the event loop in coroutine `nightly`", 3],
    ]);
  });

  it("reports nothing in the helpers' own module, whose only coroutine blocks nowhere", () => {
    const { root, index } = indexProject("py-app");
    expect(transitive(root, "app/db.py", index)).toEqual([]);
  });

  it("stops at transitive-max-depth: with 1, only helpers that block directly", () => {
    const { root, index } = indexProject("py-app");
    const lines = (depth: number) => transitive(root, "app/handlers.py", index, { transitiveMaxDepth: depth }).map((f) => f.line);
    expect(lines(1)).toEqual([18]);
    expect(lines(2)).toEqual([10, 18, 22]);
    expect(lines(3)).toEqual([10, 14, 18, 22]);
    expect(lines(4)).toEqual([10, 14, 18, 22, 32]);
  });

  it("keeps the editor's incremental analysis equal to a whole analysis as a caller and then a helper change", () => {
    const { root, index } = indexProject("py-app");
    const handlers = path.join(root, "app", "handlers.py");
    const db = path.join(root, "app", "db.py");
    const request = (source: string): AnalyzeRequest => ({ path: "app/handlers.py", source, absolutePath: handlers, workspace: index });
    const lines = (findings: Finding[]) => findings.filter((f) => f.rule === RULE).map((f) => f.range.start.line + 1);
    const analyzer = new IncrementalAnalyzer();
    let text = readFileSync(handlers, "utf8");
    expect(lines(analyzer.analyze(request(text)).findings)).toEqual([10, 14, 18, 22, 32]);

    // An edit inside one coroutine: a partial re-analysis, still every transitive finding.
    text = text.replace("    return ping(3)", "    x = 1\n    return ping(3)");
    const edited = analyzer.analyze(request(text));
    expect(analyzer.lastRun).toBe("partial");
    expect(edited).toEqual(analyzeSource(request(text)));
    expect(lines(edited.findings)).toEqual([10, 14, 18, 22, 32]);

    // The helper module stops blocking in `fetch_row`: its analysis updates the index, and the files
    // that call into it are its dependents.
    const helper = readFileSync(db, "utf8").replace('return requests.get(f"https://db.internal/users/{user_id}").json()', 'return {"id": user_id}');
    analyzeSource({ path: "app/db.py", source: helper, absolutePath: db, workspace: index });
    const slashes = (file: string) => file.split(path.sep).join("/");
    expect([...index.dependentsOf(slashes(db))].sort()).toEqual(["api.py", "handlers.py", "service.py", "sub/jobs.py"].map((f) => slashes(path.join(root, "app", f))));

    // The next edit of the caller sees it, on the partial path too.
    text = text.replace("    x = 1", "    x = 2");
    const after = analyzer.analyze(request(text));
    expect(analyzer.lastRun).toBe("partial");
    expect(after).toEqual(analyzeSource(request(text)));
    expect(lines(after.findings)).toEqual([22, 32]);
    analyzer.dispose();
  });
});

describe("blocking-call-transitive between scripts (py-scripts, no packages)", () => {
  it("resolves a script's sibling module by its name, not the same name in another folder", () => {
    const { root, index } = indexProject("py-scripts");
    expect(transitive(root, "tools/run.py", index)).toEqual([
      {
        line: 6,
        severity: "warning",
        message: "`helpers.slow()` blocks the event loop in coroutine `main`: it calls `subprocess.run()` (tools/helpers.py:5)" + suffix,
        hops: ["tools/helpers.py:5 `slow` calls `subprocess.run()`, which blocks"],
      },
      {
        line: 7,
        severity: "warning",
        message: "`pause()` blocks the event loop in coroutine `main`: it calls `subprocess.run()` (tools/helpers.py:5)" + suffix,
        hops: ["tools/helpers.py:5 `slow` calls `subprocess.run()`, which blocks"],
      },
    ]);
    expect(transitive(root, "other/run.py", index)).toEqual([]);
  });
});
