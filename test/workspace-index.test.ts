/**
 * The workspace index on hand-written summaries (resolution through re-export chains and `*`,
 * shortest chains, depth, cycles, cache invalidation, dependents), the module keys, and the Python
 * summaries of the py-app fixture project (relative imports made absolute, re-exports, edges).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createWorkspaceIndex } from "../rules/workspace/index";
import { projectRootOf, pythonModuleKeys, typescriptModuleKeys } from "../rules/workspace/module-keys";
import { summarizeFile } from "../rules/workspace/summarize-file";
import type { CallTarget, FileSummary, FunctionSummary, OutgoingCall } from "../rules/workspace/summary";
import { loadCore } from "./helpers/core";

beforeAll(loadCore);

/** A range on one line, so hops read as `file:line`. */
const at = (line: number) => ({ start: { line, column: 0 }, end: { line, column: 1 } });
const local = (id: string): CallTarget => ({ kind: "local", id });
const member = (module: string, ...path: string[]): CallTarget => ({ kind: "module", module, path });
const call = (target: CallTarget, line: number, text = "f"): OutgoingCall => ({ target, range: at(line), text });

function fn(id: string, line: number, body: { async?: boolean; blocking?: number; calls?: OutgoingCall[] } = {}): FunctionSummary {
  return {
    id,
    async: body.async ?? false,
    range: at(line),
    blocking: body.blocking === undefined ? [] : [{ callee: "time.sleep", range: at(body.blocking) }],
    calls: body.calls ?? [],
  };
}

function file(name: string, functions: FunctionSummary[], reexports: FileSummary["reexports"] = []): FileSummary {
  return { file: `/w/${name}.py`, language: "python", moduleKeys: [name], functions, reexports };
}

const hops = (chain: { file: string; range: { start: { line: number } }; blocking: boolean }[] | undefined) =>
  chain?.map((hop) => `${hop.file}:${hop.range.start.line}${hop.blocking ? " blocks" : ""}`);

describe("the workspace index", () => {
  it("resolves through a chain of re-exports, renamed and `*`, to the function", () => {
    const index = createWorkspaceIndex();
    index.update(file("a", [fn("f", 1, { blocking: 2 })]));
    index.update(file("b", [], [{ name: "g", target: { kind: "module", module: "a", path: ["f"] } }]));
    index.update(file("c", [], [{ name: "*", target: { kind: "module", module: "b", path: [] } }]));
    const main = call(member("c", "g"), 5, "g");
    index.update(file("main", [fn("handler", 4, { async: true, calls: [main] })]));
    const chain = index.chainFrom("/w/main.py", main);
    expect(hops(chain)).toEqual(["/w/main.py:5", "/w/a.py:2 blocks"]);
    expect(chain?.[0]).toMatchObject({ caller: "handler", callee: "g", blocking: false });
    expect(chain?.[1]).toMatchObject({ caller: "f", callee: "time.sleep", blocking: true });
  });

  it("resolves static methods (`Class.method`), constructors (`Class.__init__`) and submodule members (`pkg.sub.f`)", () => {
    const index = createWorkspaceIndex();
    index.update(file("pkg.sub", [fn("Repo.load", 1, { blocking: 2 }), fn("f", 3, { blocking: 4 }), fn("Repo.__init__", 5, { blocking: 6 })]));
    expect(hops(index.chainFrom("/w/main.py", call(member("pkg.sub", "Repo"), 9)))).toEqual(["/w/main.py:9", "/w/pkg.sub.py:6 blocks"]);
    expect(hops(index.chainFrom("/w/main.py", call(member("pkg.sub", "Repo", "load"), 9)))).toEqual(["/w/main.py:9", "/w/pkg.sub.py:2 blocks"]);
    expect(hops(index.chainFrom("/w/main.py", call(member("pkg", "sub", "f"), 9)))).toEqual(["/w/main.py:9", "/w/pkg.sub.py:4 blocks"]);
    expect(index.chainFrom("/w/main.py", call(member("pkg", "sub"), 9))).toBeUndefined();
  });

  it("ends on re-export cycles", () => {
    const index = createWorkspaceIndex();
    index.update(file("x", [], [{ name: "*", target: { kind: "module", module: "y", path: [] } }]));
    index.update(file("y", [], [{ name: "*", target: { kind: "module", module: "x", path: [] } }, { name: "h", target: { kind: "module", module: "x", path: ["h"] } }]));
    expect(index.chainFrom("/w/main.py", call(member("x", "h"), 1))).toBeUndefined();
  });

  it("takes the shortest chain, through sync functions only, and ends on call cycles", () => {
    const index = createWorkspaceIndex();
    index.update(
      file("m", [
        fn("long", 1, { calls: [call(local("mid"), 2, "mid"), call(local("short"), 3, "short")] }),
        fn("mid", 4, { calls: [call(local("short"), 5, "short")] }),
        fn("short", 6, { blocking: 7 }),
        fn("ping", 8, { calls: [call(local("pong"), 9, "pong")] }),
        fn("pong", 10, { calls: [call(local("ping"), 11, "ping")] }),
        fn("viaAsync", 12, { calls: [call(local("coro"), 13, "coro")] }),
        fn("coro", 14, { async: true, blocking: 15 }),
      ]),
    );
    expect(hops(index.chainFrom("/w/m.py", call(local("long"), 20)))).toEqual(["/w/m.py:20", "/w/m.py:3", "/w/m.py:7 blocks"]);
    expect(index.chainFrom("/w/m.py", call(local("ping"), 20))).toBeUndefined();
    expect(index.chainFrom("/w/m.py", call(local("viaAsync"), 20))).toBeUndefined();
    expect(index.chainFrom("/w/m.py", call(local("coro"), 20))).toBeUndefined();
  });

  it("counts the depth in sync functions", () => {
    const index = createWorkspaceIndex();
    index.update(file("m", [fn("a", 1, { calls: [call(local("b"), 2, "b")] }), fn("b", 3, { blocking: 4 })]));
    const from = call(local("a"), 9, "a");
    expect(index.chainFrom("/w/m.py", from, 1)).toBeUndefined();
    expect(hops(index.chainFrom("/w/m.py", from, 2))).toEqual(["/w/m.py:9", "/w/m.py:2", "/w/m.py:4 blocks"]);
    expect(index.chainFrom("/w/m.py", call(local("b"), 9, "b"), 1)).toHaveLength(2);
    expect(index.chainFrom("/w/m.py", call(local("b"), 9, "b"), 0)).toBeUndefined();
  });

  it("drops cached chains when a file on them changes, or when a file they looked for in vain appears", () => {
    const index = createWorkspaceIndex();
    index.update(file("main", [fn("h", 1, { async: true })]));
    index.update(file("b", [fn("mid", 1, { calls: [call(member("a", "f"), 2, "a.f"), call(member("late", "g"), 3, "late.g")] })]));
    index.update(file("a", [fn("f", 1, { blocking: 2 })]));
    const main = call(member("b", "mid"), 5, "mid");
    expect(hops(index.chainFrom("/w/main.py", main))).toEqual(["/w/main.py:5", "/w/b.py:2", "/w/a.py:2 blocks"]);
    // `a.f` stops blocking: the chain cached for `mid` must go.
    index.update(file("a", [fn("f", 1)]));
    expect(index.chainFrom("/w/main.py", main)).toBeUndefined();
    // A module `late` appears, whose `g` blocks.
    index.update(file("late", [fn("g", 1, { blocking: 7 })]));
    expect(hops(index.chainFrom("/w/main.py", main))).toEqual(["/w/main.py:5", "/w/b.py:3", "/w/late.py:7 blocks"]);
    index.remove("/w/late.py");
    expect(index.chainFrom("/w/main.py", main)).toBeUndefined();
    expect(index.summaryOf("/w/late.py")).toBeUndefined();
  });

  it("lists the files whose findings depend on a file, transitively, also once it is removed", () => {
    const index = createWorkspaceIndex();
    index.update(file("a", [fn("f", 1, { blocking: 2 })]));
    index.update(file("reexporter", [], [{ name: "f", target: { kind: "module", module: "a", path: ["f"] } }]));
    index.update(file("b", [fn("mid", 1, { calls: [call(member("reexporter", "f"), 2)] })]));
    index.update(file("main", [fn("h", 1, { async: true, calls: [call(member("b", "mid"), 2)] })]));
    index.update(file("other", [fn("h", 1, { async: true, calls: [call(local("h"), 2)] })]));
    expect([...index.dependentsOf("/w/a.py")].sort()).toEqual(["/w/b.py", "/w/main.py"]);
    expect([...index.dependentsOf("/w/b.py")]).toEqual(["/w/main.py"]);
    expect([...index.dependentsOf("/w/main.py")]).toEqual([]);
    // The re-exporting module is on the way: its callers depend on it.
    expect([...index.dependentsOf("/w/reexporter.py")].sort()).toEqual(["/w/b.py", "/w/main.py"]);
    index.remove("/w/a.py");
    expect([...index.dependentsOf("/w/a.py")].sort()).toEqual(["/w/b.py", "/w/main.py"]);
    // b stops calling into a: it no longer depends on it.
    index.update(file("a", [fn("f", 1, { blocking: 2 })]));
    index.update(file("b", [fn("mid", 1)]));
    expect([...index.dependentsOf("/w/a.py")]).toEqual([]);
  });

  it("prefers a module in the caller's folder when two files have the same key", () => {
    const index = createWorkspaceIndex();
    const db = (folder: string, line: number): FileSummary => ({ ...file("db", [fn("load", 1, { blocking: line })]), file: `/w/${folder}/db.py` });
    index.update(db("one", 11));
    index.update(db("two", 22));
    expect(hops(index.chainFrom("/w/two/main.py", call(member("db", "load"), 1)))).toEqual(["/w/two/main.py:1", "/w/two/db.py:22 blocks"]);
    expect(hops(index.chainFrom("/w/one/main.py", call(member("db", "load"), 1)))).toEqual(["/w/one/main.py:1", "/w/one/db.py:11 blocks"]);
  });
});

const app = path.resolve(__dirname, "fixtures", "projects", "py-app");

describe("module keys", () => {
  it("names a Python module by its packages and by each workspace root", () => {
    expect(pythonModuleKeys(path.join(app, "app", "db.py"), [app])).toEqual(["app.db"]);
    expect(pythonModuleKeys(path.join(app, "app", "db.py"), [path.join(app, "app")])).toEqual(["app.db", "db"]);
    expect(pythonModuleKeys(path.join(app, "app", "__init__.py"), [])).toEqual(["app"]);
    // Outside any package, a module is named by its base name (scripts import their siblings).
    expect(pythonModuleKeys(path.join(app, "README.py"), [])).toEqual(["README"]);
    expect(pythonModuleKeys("pkg/sub/mod.py", [])).toEqual(["pkg.sub.mod"]);
    expect(pythonModuleKeys("pkg/my-mod.py", [])).toEqual([]);
  });

  it("names a TS/JS module by its path without extension, an index file by its folder too", () => {
    expect(typescriptModuleKeys("/w/src/db.ts")).toEqual(["/w/src/db"]);
    expect(typescriptModuleKeys("C:\\w\\src\\index.mjs")).toEqual(["C:/w/src/index", "C:/w/src"]);
  });

  it("finds the project root from the absolute and the relative path", () => {
    expect(projectRootOf("app/db.py", "/w/p/app/db.py")).toBe("/w/p");
    expect(projectRootOf("../x/db.py", "/w/x/db.py")).toBeNull();
    expect(projectRootOf("app/db.py", undefined)).toBeNull();
  });
});

describe("Python summaries (py-app)", () => {
  const summary = (relative: string) => {
    const absolutePath = path.join(app, relative);
    return summarizeFile({ path: relative, source: readFileSync(absolutePath, "utf8"), absolutePath })!;
  };

  it("makes relative imports absolute, and keeps module-level imports as re-exports", () => {
    expect(summary("app/__init__.py").reexports).toEqual([
      { name: "load_user", target: { kind: "module", module: "app.db", path: ["load_user"] } },
      { name: "*", target: { kind: "module", module: "app.service", path: [] } },
    ]);
    expect(summary("app/service.py").reexports).toEqual([
      { name: "db", target: { kind: "module", module: "app", path: ["db"] } },
      { name: "get_user", target: { kind: "module", module: "app.db", path: ["load_user"] } },
      { name: "database", target: { kind: "module", module: "app.db", path: [] } },
    ]);
  });

  it("records direct blocking calls and the edges of each function and method, not thread hand-offs", () => {
    const handlers = summary("app/handlers.py");
    expect(handlers.moduleKeys).toEqual(["app.handlers"]);
    const edges = Object.fromEntries(
      handlers.functions.map((f) => [f.id, f.calls.map((c) => `${c.text} -> ${c.target.kind === "local" ? c.target.id : `${c.target.module}:${c.target.path.join(".")}`}`)]),
    );
    expect(edges).toEqual({
      get_user_handler: ["load_user -> app:load_user"],
      find_handler: ["find_user -> app.service:find_user"],
      direct_handler: ["app.db.fetch_row -> app:db.fetch_row"],
      build_handler: ["Repo.build -> app.service:Repo.build"],
      // `Repo()` (the index finds its `__init__`); `repo.fetch` is on an unknown receiver.
      repo_handler: ["Repo -> app.service:Repo"],
      "Handler.get": ["self.lookup -> Handler.lookup"],
      "Handler.lookup": ["Repo.create -> app.service:Repo.create"],
      cycle_handler: ["ping -> app.db:ping"],
      // `asyncio.to_thread(load_user, ...)` and `run_in_executor(None, fetch_row, ...)` are no edges.
      threaded_handler: [],
      executor_handler: ["asyncio.get_running_loop -> asyncio:get_running_loop"],
      nested_handler: ["outer -> app.db:outer"],
      await_handler: ["async_helper -> app.db:async_helper"],
    });
    const db = summary("app/db.py");
    const blocking = Object.fromEntries(db.functions.map((f) => [f.id, f.blocking.map((b) => `${b.callee}@${b.range.start.line + 1}`)]));
    // `outer`'s nested `inner` blocks, not `outer`.
    expect(blocking).toEqual({ fetch_row: ["requests.get@7"], load_user: [], slow_pause: ["time.sleep@15"], ping: [], pong: [], outer: [], async_helper: [] });
    expect(db.functions.filter((f) => f.async).map((f) => f.id)).toEqual(["async_helper"]);
    const service = summary("app/service.py");
    expect(service.functions.find((f) => f.id === "Repo.create")?.calls.map((c) => c.target)).toEqual([local("Repo.build")]);
    expect(service.functions.find((f) => f.id === "CachedRepo.aload")?.calls.map((c) => c.target)).toEqual([local("Repo._load")]);
  });
});

describe("Python summaries: coroutines not indexed by name", () => {
  const source = [
    "import time",
    "from app.db import load_user",
    "",
    "def helper():",
    "    time.sleep(1)",
    "",
    "class TestApi:",
    "    def test_load(self):",
    "        def sync_inner():",
    "            return helper()",
    "        async def inner():",
    "            return load_user(1), helper(), self.test_load()",
    "        class Local:",
    "            async def method(self):",
    "                return helper()",
    "        return inner, sync_inner, Local",
    "",
    "async def twice():",
    "    return helper()",
    "",
    "async def twice():",
    "    return 2",
    "",
  ].join("\n");
  let summary: FileSummary;
  beforeAll(() => {
    summary = summarizeFile({ path: "tests/test_api.py", source, absolutePath: "/w/tests/test_api.py" })!;
  });
  const edges = (id: string) =>
    summary.functions.find((f) => f.id === id)?.calls.map((c) => (c.target.kind === "local" ? c.target.id : `${c.target.module}:${c.target.path.join(".")}`));

  it("indexes nested and shadowed coroutines by name and position, with calls resolved through the enclosing scopes", () => {
    // In document order: the first `twice` is shadowed by the last one, which keeps the name.
    expect(summary.functions.map((f) => [f.id, f.async])).toEqual([
      ["helper", false],
      ["TestApi.test_load", false],
      ["inner@11:9", true],
      ["method@14:13", true],
      ["twice@18:1", true],
      ["twice", true],
    ]);
    expect(edges("inner@11:9")).toEqual(["app.db:load_user", "helper", "TestApi.test_load"]);
    expect(edges("method@14:13")).toEqual(["helper"]);
    expect(edges("twice@18:1")).toEqual(["helper"]);
    expect(edges("twice")).toEqual([]);
  });

  it("lets the index follow a nested coroutine's call to a blocking helper", () => {
    const index = createWorkspaceIndex();
    index.update(summary);
    const inner = summary.functions.find((f) => f.id === "inner@11:9")!;
    const chain = index.chainFrom(summary.file, inner.calls[1]!);
    expect(chain?.map((hop) => [hop.caller, hop.callee, hop.blocking])).toEqual([
      ["inner@11:9", "helper", false],
      ["helper", "time.sleep", true],
    ]);
  });
});
