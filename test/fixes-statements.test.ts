import path from "node:path";
import type { Node } from "web-tree-sitter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeSource, applyFixes, fixAll, IncrementalAnalyzer, TypeScriptWorkspace } from "../rules/index";
import type { Finding, TextEdit } from "../rules/types";
import { parsePython } from "../rules/python/parser";
import { PythonModel } from "../rules/python/semantic";
import {
  addToBlock,
  continuesLoop,
  deleteLines,
  expandStatement,
  freshName,
  identifiersIn,
  leadingImportsEnd,
  moduleHeader,
  moduleImport,
} from "../rules/python/fix-statements";
import { analyze, findingKeys, loadCore } from "./helpers/core";

beforeAll(loadCore);

const workspace = new TypeScriptWorkspace();
const trees: { delete(): void }[] = [];
afterAll(() => {
  for (const tree of trees) tree.delete();
});

/** The model of a Python snippet (its tree is freed after the tests). */
function modelOf(source: string): PythonModel {
  const tree = parsePython(source);
  trees.push(tree);
  return new PythonModel(tree, source);
}

/** The first node of a type, in document order. */
function find(root: Node, type: string): Node {
  const found = root.descendantsOfType(type)[0];
  if (!found) throw new Error(`no ${type}`);
  return found;
}

function apply(source: string, edits: TextEdit[]): string {
  return applyFixes(source, [{ title: "test", safety: "safe", edits }]).text;
}

/** The findings of one rule in a snippet (TypeScript snippets are analysed beside the TS fixtures). */
function findingsOf(source: string, rule: string, file = "app.py"): Finding[] {
  const absolutePath = path.join(__dirname, "fixtures", "fixes", file);
  return analyzeSource({ path: file, source, absolutePath }, undefined, workspace).findings.filter((f) => f.rule === rule);
}

/** Applies the first fix of the only finding of `rule`, or null when it has none. */
function fixedBy(source: string, rule: string, file = "app.py"): string | null {
  const findings = findingsOf(source, rule, file);
  expect(findings).toHaveLength(1);
  const fix = findings[0].fixes?.[0];
  return fix ? applyFixes(source, [fix]).text : null;
}

describe("Python statement helpers", () => {
  it("adds a statement after the last one of a block, past a trailing comment and a nested block", () => {
    const source = "while True:\n    if x:\n        y()\n    z()  # note\n    # trailing\nafter()\n";
    const block = find(modelOf(source).root, "block");
    expect(apply(source, [addToBlock(source, block, "tick()")!])).toBe(
      "while True:\n    if x:\n        y()\n    z()  # note\n    tick()\n    # trailing\nafter()\n",
    );
    expect(apply(source, [addToBlock(source, block, "tick()", "start")!])).toBe(
      "while True:\n    tick()\n    if x:\n        y()\n    z()  # note\n    # trailing\nafter()\n",
    );
  });

  it("keeps tab indentation", () => {
    const source = "while True:\n\tpass\n";
    expect(apply(source, [addToBlock(source, find(modelOf(source).root, "block"), "tick()")!])).toBe("while True:\n\tpass\n\ttick()\n");
  });

  it("extends a body written on its header's line with `;`, in front of its comment", () => {
    const source = "while True: a(); b();  # spin\n";
    const block = find(modelOf(source).root, "block");
    expect(apply(source, [addToBlock(source, block, "tick()")!])).toBe("while True: a(); b(); tick();  # spin\n");
    expect(apply(source, [addToBlock(source, block, "tick()", "start")!])).toBe("while True: tick(); a(); b();  # spin\n");
  });

  it("splits a statement over new lines, or with `;` when it shares its line", () => {
    const own = "def f():\n    go()  # note\n    done()\n";
    expect(apply(own, expandStatement(own, find(modelOf(own).root, "expression_statement"), "t = ", ["a(t)", "b(t)"]))).toBe(
      "def f():\n    t = go()  # note\n    a(t)\n    b(t)\n    done()\n",
    );
    const shared = "if x: go(); done()\n";
    expect(apply(shared, expandStatement(shared, find(modelOf(shared).root, "expression_statement"), "t = ", ["a(t)"]))).toBe(
      "if x: t = go(); a(t); done()\n",
    );
  });

  it("finds the module header: opening comments, docstring, __future__ imports, separated comments", () => {
    const source = [
      "#!/usr/bin/env python",
      "# -*- coding: utf-8 -*-",
      '"""Doc."""  # trailing',
      "from __future__ import annotations",
      "",
      "# a separated comment",
      "",
      "# attached to the import",
      "import os",
    ].join("\n");
    const { last, next } = moduleHeader(modelOf(source).root);
    expect(last?.text).toBe("# a separated comment");
    expect(next?.text).toBe("# attached to the import");
  });

  it("keeps a docstring's trailing comment in the header, and has no header in a plain module", () => {
    const withDoc = moduleHeader(modelOf('"""Doc."""  # noqa\nimport os\n').root);
    expect([withDoc.last?.text, withDoc.next?.text]).toEqual(["# noqa", "import os"]);
    const plain = moduleHeader(modelOf("# about os\nimport os\n").root);
    expect([plain.last?.text, plain.next?.text]).toEqual(["# about os", "import os"]);
    const none = moduleHeader(modelOf("import os\n").root);
    expect([none.last, none.next?.text]).toEqual([null, "import os"]);
    expect(moduleHeader(modelOf('"""Only a docstring."""\n').root).next).toBeNull();
  });

  it("finds the end of the leading imports", () => {
    expect(leadingImportsEnd(modelOf('"""Doc."""\nimport a\n# c\nfrom b import c\nx = 1\nimport d\n').root)?.text).toBe("from b import c");
    expect(leadingImportsEnd(modelOf("def f(): pass\nimport a\n").root)).toBeNull();
  });

  it("deletes lines without leaving two blank lines in a row", () => {
    const source = "a\n\nb\n\nc\n";
    expect(apply(source, [deleteLines(source, 2, 2)])).toBe("a\n\nc\n");
    expect(apply("a\n\nb\n", [deleteLines("a\n\nb\n", 2, 2)])).toBe("a\n");
    expect(apply("a\nb\nc", [deleteLines("a\nb\nc", 2, 2)])).toBe("a\nb\n");
  });

  it("collects names, not attribute or keyword names", () => {
    const names = identifiersIn(modelOf("def f(a):\n    b = a.c(d=e)\n").root);
    expect([...names].sort()).toEqual(["a", "b", "e", "f"]);
    expect(freshName("task", (n) => n === "task" || n === "task_2")).toBe("task_3");
  });

  it("sees a `continue` of the loop, not one of a nested loop or function", () => {
    const loop = (body: string) => find(modelOf(`while True:\n${body}`).root, "block");
    expect(continuesLoop(loop("    if x:\n        continue\n"))).toBe(true);
    expect(continuesLoop(loop("    for y in z:\n        continue\n"))).toBe(false);
    expect(continuesLoop(loop("    for y in z:\n        pass\n    else:\n        continue\n"))).toBe(true);
    expect(continuesLoop(loop("    def g():\n        for y in z:\n            continue\n"))).toBe(false);
  });

  it("adds a missing import below a shebang", () => {
    const source = "#!/usr/bin/env python\nasync def f(): ...\n";
    const { name, edits } = moduleImport(modelOf(source), "asyncio");
    expect(name).toBe("asyncio");
    expect(apply(source, edits)).toBe("#!/usr/bin/env python\nimport asyncio\nasync def f(): ...\n");
  });
});

describe("non-yielding-loop fix", () => {
  it("is unsafe and names what it adds", () => {
    const [finding] = findingsOf("async def f(s):\n    while True:\n        pass\n", "non-yielding-loop");
    expect(finding.fixes?.map((f) => [f.title, f.safety])).toEqual([["Add `await asyncio.sleep(0)` to the loop", "unsafe"]]);
  });

  it("adds the import below a shebang when the module has none", () => {
    expect(fixedBy("#!/usr/bin/env python\nasync def f(s):\n    while True:\n        pass\n", "non-yielding-loop")).toBe(
      "#!/usr/bin/env python\nimport asyncio\nasync def f(s):\n    while True:\n        pass\n        await asyncio.sleep(0)\n",
    );
  });

  it("uses anyio in an anyio module and keeps an alias", () => {
    expect(fixedBy("import anyio as a\n\nasync def f(s):\n    while True:\n        pass\n", "non-yielding-loop")).toBe(
      "import anyio as a\n\nasync def f(s):\n    while True:\n        pass\n        await a.sleep(0)\n",
    );
  });

  it.each([
    ["a generator-based coroutine", "from tornado import gen\n\n@gen.coroutine\ndef f(s):\n    while True:\n        pass\n    yield None\n"],
    ["a class body inside a coroutine", "async def f():\n    class A:\n        while True:\n            pass\n"],
    ["a coroutine whose parameter shadows asyncio", "import asyncio\n\nasync def f(asyncio):\n    while True:\n        pass\n"],
    ["a raw greenlet (no gevent or eventlet)", "import greenlet\n\ndef work():\n    while True:\n        pass\n\ngreenlet.greenlet(work)\n"],
    ["a greenlet whose module imports gevent only inside a function", "def work():\n    while True:\n        pass\n\ndef main():\n    import gevent\n    gevent.spawn(work)\n"],
  ])("is not offered in %s", (_case, source) => {
    const findings = findingsOf(source, "non-yielding-loop");
    expect(findings).toHaveLength(1);
    expect(findings[0].fixes).toBeUndefined();
  });

  it.each([
    ["a one-line block without a semicolon", "  while (true) { tick() }\n", "  while (true) { tick(); await new Promise((resolve) => setImmediate(resolve)); }\n"],
    ["an empty statement", "  while (true);\n", "  while (true) {\n    await new Promise((resolve) => setImmediate(resolve));\n  }\n"],
    ["an empty block", "  while (true) {\n  }\n", "  while (true) {\n    await new Promise((resolve) => setImmediate(resolve));\n  }\n"],
    [
      "a labelled loop",
      "  outer: for (;;) {\n    for (const x of [1]) continue outer;\n  }\n",
      null,
    ],
  ])("TypeScript: handles %s", (_case, loop, expected) => {
    const source = `function tick() {}\nexport async function f() {\n${loop}}\n`;
    if (expected === null) {
      // A labelled `continue` to the loop leaves it: not reported, so nothing to fix.
      expect(findingsOf(source, "non-yielding-loop", "snippet.ts")).toEqual([]);
      return;
    }
    expect(fixedBy(source, "non-yielding-loop", "snippet.ts")).toBe(`function tick() {}\nexport async function f() {\n${expected}}\n`);
  });

  it("TypeScript: puts the checkpoint first when a `continue` could skip the end", () => {
    const source = "export async function f(q: number[]) {\n  while (true) {\n    if (!q.length) continue;\n    q.pop();\n  }\n}\n";
    expect(fixedBy(source, "non-yielding-loop", "snippet.ts")).toBe(
      "export async function f(q: number[]) {\n  while (true) {\n    await new Promise((resolve) => setImmediate(resolve));\n    if (!q.length) continue;\n    q.pop();\n  }\n}\n",
    );
  });

  it("TypeScript: is not offered in a class static block", () => {
    const source = "export async function f() {\n  class A {\n    static {\n      while (true) {}\n    }\n  }\n  return A;\n}\n";
    const findings = findingsOf(source, "non-yielding-loop", "snippet.ts");
    expect(findings).toHaveLength(1);
    expect(findings[0].fixes).toBeUndefined();
  });
});

describe("dangling-task fix", () => {
  it("is unsafe", () => {
    const [finding] = findingsOf("import asyncio\nasync def f(j):\n    asyncio.create_task(j())\n", "dangling-task");
    expect(finding.fixes?.[0].safety).toBe("unsafe");
  });

  it("joins the new statements with `;` when the call shares its line", () => {
    expect(fixedBy("import asyncio\n\nasync def f(j):\n    x = 1; asyncio.create_task(j())\n", "dangling-task")).toBe(
      "import asyncio\n\n# Strong references to background tasks: the event loop keeps only weak ones.\n_background_tasks = set()\n\n" +
        "async def f(j):\n    x = 1; task = asyncio.create_task(j()); _background_tasks.add(task); task.add_done_callback(_background_tasks.discard)\n",
    );
  });

  it("reuses an annotated module-level set, and not a set a local shadows", () => {
    const annotated = "import asyncio\n_background_tasks: set[asyncio.Task] = set()\nasync def f(j):\n    asyncio.create_task(j())\n";
    expect(fixedBy(annotated, "dangling-task")).toBe(
      "import asyncio\n_background_tasks: set[asyncio.Task] = set()\nasync def f(j):\n    task = asyncio.create_task(j())\n" +
        "    _background_tasks.add(task)\n    task.add_done_callback(_background_tasks.discard)\n",
    );
    const shadowed = "import asyncio\nbackground_tasks = set()\nasync def f(j):\n    background_tasks = []\n    asyncio.create_task(j())\n";
    expect(fixedBy(shadowed, "dangling-task")).toContain("\n_background_tasks = set()\n");
  });

  it("at module level, does not reuse a set made after the statement", () => {
    const source = "import asyncio\nloop = asyncio.new_event_loop()\nloop.create_task(asyncio.sleep(1))\nbackground_tasks = set()\n";
    expect(fixedBy(source, "dangling-task")).toContain("_background_tasks.add(task)");
  });

  it("avoids module-level names at module level", () => {
    const source = "import asyncio\n\ndef task(): ...\n\nasyncio.ensure_future(task())\n";
    expect(fixedBy(source, "dangling-task")).toContain("task_2 = asyncio.ensure_future(task())\n_background_tasks.add(task_2)\n");
  });

  it("is not offered when the builtin `set` is shadowed", () => {
    expect(fixedBy("import asyncio\nset = frozenset\nasync def f(j):\n    asyncio.create_task(j())\n", "dangling-task")).toBeNull();
  });

  it("gives the same fix incrementally when a function body starts using its names", () => {
    const lines = ["import asyncio", "", "async def main(): ...", "", "def helper():", "    return 1", "", "asyncio.ensure_future(main())", ""];
    const analyzer = new IncrementalAnalyzer();
    const request = () => ({ path: "service.py", source: lines.join("\n") });
    analyzer.analyze(request());
    lines.splice(5, 0, "    task = _background_tasks = 2");
    const incremental = analyzer.analyze(request());
    expect(analyzer.lastRun).toBe("partial");
    expect(incremental).toEqual(analyzeSource(request()));
    analyzer.dispose();
  });
});

describe("late-monkey-patch fix", () => {
  it("is safe at module level", () => {
    const [finding] = findingsOf("import os\nfrom gevent import monkey\nmonkey.patch_all()\n", "late-monkey-patch");
    expect(finding.fixes?.map((f) => [f.title, f.safety])).toEqual([["Move the patch and its import above the other imports", "safe"]]);
  });

  it.each([
    ["a one-line import and patch", "import os\nfrom gevent import monkey; monkey.patch_all()\n", "from gevent import monkey; monkey.patch_all()\n\nimport os\n"],
    [
      "several patches, kept in order",
      "import ssl\nfrom gevent import monkey\nmonkey.patch_socket()\nmonkey.patch_ssl()\n",
      "from gevent import monkey\nmonkey.patch_socket()\nmonkey.patch_ssl()\n\nimport ssl\n",
    ],
    [
      "patches with two import forms, kept in order",
      "import os\nimport gevent.monkey\nfrom gevent import monkey\n\nmonkey.patch_all()\ngevent.monkey.patch_socket()\n",
      "from gevent import monkey\nmonkey.patch_all()\nimport gevent.monkey\ngevent.monkey.patch_socket()\n\nimport os\n",
    ],
    [
      "a patch below its import, which follows other code",
      "x = 1\nfrom gevent import monkey\nimport os\nmonkey.patch_all()\n",
      "x = 1\nfrom gevent import monkey\nmonkey.patch_all()\n\nimport os\n",
    ],
    ["a patch function imported by name", "import os\nfrom gevent.monkey import patch_all\npatch_all()\n", "from gevent.monkey import patch_all\npatch_all()\n\nimport os\n"],
    ["a last line without a line break", "import os\nimport eventlet\neventlet.monkey_patch()", "import eventlet\neventlet.monkey_patch()\n\nimport os\n"],
  ])("moves %s", (_case, source, expected) => {
    const result = fixAll({ path: "app.py", source }, { unsafe: false });
    expect(result.text).toBe(expected);
    expect(findingKeys(result.text).filter((key) => key.endsWith(":late-monkey-patch"))).toEqual([]);
  });

  it.each([
    ["a patch inside a function", "import os\n\ndef main():\n    from gevent import monkey\n    monkey.patch_all()\n"],
    ["a patch whose arguments name something", "import config\nfrom gevent import monkey\nmonkey.patch_all(thread=config.THREADS)\n"],
    ["a patch inside an `if`", "import os\nfrom gevent import monkey\nif os.environ:\n    monkey.patch_all()\n"],
    ["an import that also imports another module", "import requests\nimport os, gevent.monkey\ngevent.monkey.patch_all()\n"],
    ["a patch sharing its line with an earlier import", "import os; from gevent import monkey; monkey.patch_all()\n"],
    ["a patch whose import comes after it", "import os\nmonkey.patch_all()\nfrom gevent import monkey\n"],
  ])("is not offered for %s", (_case, source) => {
    const findings = analyze(source).findings.filter((f) => f.rule === "late-monkey-patch");
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) expect(finding.fixes).toBeUndefined();
  });
});
