import { beforeAll, describe, expect, it } from "vitest";
import { parsePython } from "../rules/python/parser";
import { PythonModel } from "../rules/python/semantic";
import { loadCore } from "./helpers/core";

beforeAll(loadCore);

/** Builds the model of a snippet and hands it to `use`, freeing the tree afterwards. */
function withModel<T>(source: string, use: (model: PythonModel) => T, extraAsyncDecorators: string[] = []): T {
  const tree = parsePython(source);
  try {
    return use(new PythonModel(tree, source, extraAsyncDecorators));
  } finally {
    tree.delete();
  }
}

/** The resolved callee of every call in the snippet, in source order (`null` when unresolved). */
function callees(source: string): (string | null)[] {
  return withModel(source, (model) => model.calls.map((site) => model.callee(site.node, site.scope)));
}

/** The context (async/greenlet/sync) of the code at each call, keyed by the called text. */
function contexts(source: string, extraAsyncDecorators: string[] = []): Record<string, string> {
  return withModel(
    source,
    (model) =>
      Object.fromEntries(
        model.calls.map((site) => [site.node.childForFieldName("function")!.text, model.contextOf(site.func)]),
      ),
    extraAsyncDecorators,
  );
}

describe("import resolution", () => {
  it.each([
    ["import time as t\nt.sleep(1)", "time.sleep"],
    ["from time import sleep as nap\nnap(1)", "time.sleep"],
    ["from os import path\npath.join('a')", "os.path.join"],
    ["import urllib.request\nurllib.request.urlopen('u')", "urllib.request.urlopen"],
    ["import os.path\nos.path.exists('p')", "os.path.exists"],
    ["from urllib import request as r\nr.urlopen('u')", "urllib.request.urlopen"],
    ["import requests\ns = requests.Session()\ns.get('u')", "requests.Session.get"],
    ["from pathlib import Path\nPath('p').read_text()", "pathlib.Path.read_text"],
    ["from pathlib import Path\n(Path('p') / 'x').read_text()", "pathlib.Path.read_text"],
    ["open('f')", "open"],
    ["def f():\n    import time\n    time.sleep(1)", "time.sleep"],
  ])("%j resolves to %s", (source, expected) => {
    expect(callees(source)).toContain(expected);
  });

  it("does not resolve names shadowed by a parameter or a local variable", () => {
    const source = [
      "import time",
      "def by_param(time):",
      "    time.sleep(1)",
      "def by_local():",
      "    time = Clock()",
      "    time.sleep(2)",
      "def by_loop(items):",
      "    for time in items:",
      "        time.sleep(3)",
      "time.sleep(4)",
    ].join("\n");
    const resolved = callees(source).filter((c) => c?.endsWith("sleep"));
    expect(resolved).toEqual(["time.sleep"]);
  });

  it("keeps the import when a module-level fallback also binds the name", () => {
    const source = "try:\n    import json\nexcept ImportError:\n    json = None\njson.loads('1')";
    expect(callees(source)).toContain("json.loads");
  });

  it("follows `global` declarations to the module binding", () => {
    const source = "import time\ndef f():\n    global time\n    time.sleep(1)";
    expect(callees(source)).toContain("time.sleep");
  });

  it("resolves self attributes assigned in __init__", () => {
    const source = [
      "import requests",
      "class C:",
      "    def __init__(self):",
      "        self.http = requests.Session()",
      "    async def run(self):",
      "        self.http.get('u')",
    ].join("\n");
    expect(callees(source)).toContain("requests.Session.get");
  });

  it("ignores wildcard imports and relative imports it cannot see", () => {
    expect(callees("from gevent.monkey import *\npatch_all()")).toEqual([null]);
    expect(callees("from . import helpers\nhelpers.run()")).toEqual([".helpers.run"]);
  });
});

describe("async context", () => {
  it("treats async def bodies as async and nested defs and lambdas as sync", () => {
    const source = [
      "async def outer():",
      "    in_async()",
      "    def inner():",
      "        in_nested_def()",
      "    f = lambda: in_lambda()",
      "    [in_comprehension(x) async for x in y()]",
    ].join("\n");
    expect(contexts(source)).toMatchObject({
      in_async: "async",
      in_nested_def: "sync",
      in_lambda: "sync",
      in_comprehension: "async",
    });
  });

  it("treats inlineCallbacks, tornado and asyncio.coroutine generators as async", () => {
    const source = [
      "from twisted.internet import defer",
      "import tornado.gen",
      "import asyncio",
      "@defer.inlineCallbacks",
      "def twisted():",
      "    in_twisted()",
      "@tornado.gen.coroutine",
      "def tornado_style():",
      "    in_tornado()",
      "@asyncio.coroutine",
      "def old_asyncio():",
      "    in_old_asyncio()",
      "@other.decorator",
      "def plain():",
      "    in_plain()",
    ].join("\n");
    expect(contexts(source)).toMatchObject({
      in_twisted: "async",
      in_tornado: "async",
      in_old_asyncio: "async",
      in_plain: "sync",
    });
  });

  it("honours extra async decorators from configuration", () => {
    const source = "from myframework import task\n@task\ndef job():\n    in_job()";
    expect(contexts(source)).toMatchObject({ in_job: "sync" });
    expect(contexts(source, ["myframework.task"])).toMatchObject({ in_job: "async" });
  });

  it("marks functions handed to gevent spawners as greenlets", () => {
    const source = [
      "import gevent",
      "from gevent.pool import Pool",
      "def a():",
      "    in_a()",
      "def b():",
      "    in_b()",
      "def c():",
      "    in_c()",
      "def d():",
      "    in_d()",
      "gevent.spawn(a)",
      "gevent.spawn_later(1, b)",
      "Pool(4).spawn(c)",
    ].join("\n");
    expect(contexts(source)).toMatchObject({ in_a: "greenlet", in_b: "greenlet", in_c: "greenlet", in_d: "sync" });
  });
});
