/**
 * `blocking-call-transitive` in TypeScript and JavaScript: the summaries `summarizeTypeScript` writes
 * (ids, async, direct blocking calls, call targets, re-exports), then multi-file fixture projects
 * (`test/fixtures/projects/ts-*`) indexed whole and analysed file by file, the findings checked
 * exactly — line, message, and the related hops one by one (file and line).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeSource, languageForPath, TypeScriptWorkspace, type Finding } from "../rules/index";
import { TypeScriptModel } from "../rules/typescript/model";
import { summarizeTypeScript } from "../rules/typescript/summarize";
import { loadTypeScript, ts } from "../rules/typescript/ts-runtime";
import { defaultAnalysisOptions, type Range } from "../rules/types";
import { createWorkspaceIndex } from "../rules/workspace/index";
import { summarizeFile } from "../rules/workspace/summarize-file";
import type { CallTarget, FileSummary, WorkspaceIndex } from "../rules/workspace/summary";

const ROOT = "/w/app";

/** The summary of a snippet filed as `ROOT/name` (syntax only, as the index builds it). */
function summarize(name: string, source: string, file = `${ROOT}/${name}`): FileSummary {
  loadTypeScript();
  const kind = /\.[cm]?js$/.test(name) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, kind);
  return summarizeTypeScript(new TypeScriptModel(sourceFile, null), file, defaultAnalysisOptions);
}

const line = (range: Range) => range.start.line + 1;

/** `local id` or `module-key-under-ROOT: path`. */
function target(t: CallTarget): string {
  return t.kind === "local" ? t.id : `${t.module.replace(ROOT, "")}: ${t.path.join(".")}`;
}

function calls(summary: FileSummary, id: string): string[] {
  const fn = summary.functions.find((f) => f.id === id);
  if (!fn) throw new Error(`no function ${id} in ${summary.functions.map((f) => f.id).join(", ")}`);
  return fn.calls.map((call) => `${line(call.range)} ${call.text} -> ${target(call.target)}`);
}

function reexports(summary: FileSummary): string[] {
  return summary.reexports.map((r) => `${r.name} -> ${target(r.target)}`);
}

describe("summarizeTypeScript", () => {
  it("indexes module-level functions, arrows, default exports and class methods, async or not", () => {
    const summary = summarize(
      "defs.ts",
      [
        'import { readFileSync } from "node:fs";',
        "function plain() {}",
        "export function exported() {}",
        "const arrow = (x: number) => x;",
        "export const expression = function named() {};",
        "export async function handler() {}",
        'function* generator() { yield readFileSync("a"); }',
        "async function* stream() { yield 1; }",
        "export default function main() {}",
        "class Repo {",
        "  constructor() {}",
        "  load() {}",
        "  static find() {}",
        "  reload = async () => this.load();",
        "  get size() { return 1; }",
        "}",
        "declare function ambient(): void;",
        "function outer() { function inner() {} return inner; }",
      ].join("\n"),
    );
    expect(Object.fromEntries(summary.functions.map((f) => [f.id, f.async]))).toEqual({
      plain: false,
      exported: false,
      arrow: false,
      expression: false,
      handler: true,
      // A sync generator runs nothing when called; an async one is where findings are reported.
      stream: true,
      main: false,
      "Repo.load": false,
      "Repo.find": false,
      "Repo.reload": true,
      outer: false,
    });
    const byId = new Map(summary.functions.map((f) => [f.id, f]));
    // The range is the name in the definition: the variable's for an arrow, the function's for a default export.
    expect(byId.get("expression")!.range).toEqual({ start: { line: 4, column: 13 }, end: { line: 4, column: 23 } });
    // A named default export keeps its name; `default` re-exports it from the module itself.
    expect(reexports(summary)).toEqual(["default -> /defs: main"]);
    expect(line(byId.get("Repo.find")!.range)).toBe(13);
    expect(summary.moduleKeys).toEqual([`${ROOT}/defs`]);
    expect(summary.file).toBe(`${ROOT}/defs.ts`);
  });

  it("names anonymous default exports `default` and async callbacks by their place", () => {
    const arrow = summarize("a.ts", "export default async (path: string) => {\n  load(path);\n};\nfunction load(p: string) { return p; }\n");
    expect(arrow.functions.map((f) => [f.id, f.async, line(f.range)])).toEqual([["default", true, 1], ["load", false, 4]]);
    expect(calls(arrow, "default")).toEqual(["2 load -> load"]);

    const klass = summarize("b.ts", "export default class {\n  static run() {}\n}\n");
    expect(klass.functions.map((f) => f.id)).toEqual(["default.run"]);
    const named = summarize("c.ts", "export default class Store {\n  static run() {}\n}\n");
    expect(named.functions.map((f) => f.id)).toEqual(["Store.run"]);
    expect(reexports(named)).toEqual(["default -> /c: Store"]);

    const callback = summarize("c.ts", ["function load() {}", "export function schedule() {", "  setTimeout(async () => {", "    load();", "  });", "}"].join("\n"));
    expect(callback.functions.map((f) => [f.id, f.async])).toEqual([["load", false], ["schedule", false], ["<anonymous>@3:14", true]]);
    expect(calls(callback, "<anonymous>@3:14")).toEqual(["4 load -> load"]);
    // The callback's call is the callback's, not the sync function's that passes it on.
    expect(calls(callback, "schedule")).toEqual([]);
  });

  it("names an async arrow held by a class property after the property, in the summary and the message", () => {
    const source = [
      'import { readFileSync } from "node:fs";',
      "function readConfig(path: string) {",
      '  return readFileSync(path, "utf8");',
      "}",
      "export class Server {",
      "  start = async (path: string) => readConfig(path);",
      "  #reload = async (path: string) => readConfig(path);",
      "}",
    ].join("\n");
    const summary = summarize("server.ts", source);
    expect(summary.functions.filter((f) => f.async).map((f) => f.id)).toEqual(["Server.start", "Server.#reload"]);
    const messages = analyzeSource({ path: "server.ts", source })
      .findings.filter((finding) => finding.rule === "blocking-call-transitive")
      .map((finding) => finding.message.split(":")[0]);
    expect(messages).toEqual(["`readConfig()` blocks the event loop in async function `start`", "`readConfig()` blocks the event loop in async function `#reload`"]);
  });

  it("records the blocking calls `blocking-call` finds, and no call edge for them", () => {
    const summary = summarize(
      "io.ts",
      [
        'import * as fs from "node:fs";',
        'import { execSync as run } from "child_process";',
        'import { readFile } from "node:fs/promises";',
        'const { gzipSync } = require("zlib");',
        "function work() {",
        '  fs.readFileSync("a");',
        '  run("ls");',
        '  gzipSync("x");',
        '  readFile("b");',
        "  const xhr = new XMLHttpRequest();",
        '  xhr.open("GET", "/", false);',
        '  xhr.open("GET", "/");',
        "}",
        "function shadowed() {",
        "  const fs = { readFileSync(p: string) { return p; } };",
        '  fs.readFileSync("a");',
        "}",
      ].join("\n"),
    );
    const byId = new Map(summary.functions.map((f) => [f.id, f]));
    expect(byId.get("work")!.blocking.map((b) => `${line(b.range)} ${b.callee}`)).toEqual([
      "6 fs.readFileSync",
      "7 child_process.execSync",
      "8 zlib.gzipSync",
      "11 XMLHttpRequest.open",
    ]);
    expect(byId.get("work")!.calls).toEqual([]);
    expect(byId.get("shadowed")!.blocking).toEqual([]);
  });

  it("resolves local functions, `this` methods of the class and static methods; other receivers are not guessed", () => {
    const summary = summarize(
      "repo.ts",
      [
        "function helper() {}",
        "const alias = helper;",
        "export class Repo {",
        "  load() {",
        "    this.parse();",
        "    this.missing();",
        "    Repo.find();",
        "    helper();",
        "  }",
        "  parse() {}",
        "  static find() {",
        "    this.find();",
        "  }",
        "  later() {",
        "    setTimeout(async () => this.parse());",
        "    return function (this: Repo) { this.parse(); };",
        "  }",
        "  missing() { return [1].map(() => helper()); }",
        "}",
        "async function main(repo: Repo) {",
        "  helper();",
        "  alias();",
        "  Repo.find();",
        "  repo.load();",
        "  unknown();",
        "  const helperLike = () => 1;",
        "  helperLike();",
        "}",
        "declare function unknown(): void;",
      ].join("\n"),
    );
    expect(calls(summary, "Repo.load")).toEqual(["5 this.parse -> Repo.parse", "6 this.missing -> Repo.missing", "7 Repo.find -> Repo.find", "8 helper -> helper"]);
    expect(calls(summary, "Repo.find")).toEqual(["12 this.find -> Repo.find"]);
    // An arrow keeps the method's `this`; a function expression has its own.
    expect(calls(summary, "<anonymous>@15:16")).toEqual(["15 this.parse -> Repo.parse"]);
    expect(calls(summary, "Repo.later")).toEqual([]);
    expect(calls(summary, "Repo.missing")).toEqual([]);
    expect(calls(summary, "main")).toEqual(["21 helper -> helper", "22 alias -> helper", "23 Repo.find -> Repo.find"]);
  });

  it("resolves imported functions to module keys through every import form; packages are not workspace code", () => {
    const summary = summarize(
      "src/handler.ts",
      [
        'import { load, load as l } from "./db";',
        'import * as db from "./db.js";',
        'import fetchDefault from "../lib/fetch.mjs";',
        'import { default as other } from "./other";',
        'import helpers = require("./helpers");',
        'import { Repo } from "./repo/index.js";',
        'import { get } from "axios";',
        'import lib from ".";',
        'const { save: store } = require("./store.cjs");',
        'const mod = require("./mod");',
        "const picked = db.load;",
        "async function main() {",
        "  load(); l(); db.load(); db['load'](); db.sub.load();",
        "  fetchDefault(); fetchDefault.run(); other(); helpers.run(); Repo.find(); get();",
        "  lib(); store(); mod(); mod.run(); picked();",
        '  const { load: lazy } = await import("./lazy.js");',
        "  lazy();",
        "}",
        "function shadow() {",
        "  const load = () => 1;",
        "  load();",
        "}",
      ].join("\n"),
    );
    expect(calls(summary, "main")).toEqual([
      "13 load -> /src/db: load",
      "13 l -> /src/db: load",
      "13 db.load -> /src/db: load",
      "13 db['load'] -> /src/db: load",
      "13 db.sub.load -> /src/db: sub.load",
      "14 fetchDefault -> /lib/fetch: default",
      // A default import's member is the default export's, not the module's.
      "14 fetchDefault.run -> /lib/fetch: default.run",
      "14 other -> /src/other: default",
      "14 helpers.run -> /src/helpers: run",
      "14 Repo.find -> /src/repo/index: Repo.find",
      "15 lib -> /src: default",
      "15 store -> /src/store: save",
      // A CommonJS module object called is its `module.exports = function`.
      "15 mod -> /src/mod: default",
      "15 mod.run -> /src/mod: run",
      "15 picked -> /src/db: load",
      "17 lazy -> /src/lazy: load",
    ]);
    expect(calls(summary, "shadow")).toEqual([]);
  });

  it("lists re-exports: `export … from`, `export *`, imported names exported again", () => {
    const summary = summarize(
      "src/lib/index.ts",
      [
        'export * from "./files.js";',
        'export * as fmt from "./format";',
        'export { load, load as fetch, default as main } from "../db";',
        'export type { Row } from "./types";',
        'export { get } from "axios";',
        'import { parse } from "./parse";',
        'import render from "./render";',
        'import * as ns from "./ns";',
        "export { parse, parse as read };",
        "export default render;",
        "export const x = 1;",
        "export { ns };",
      ].join("\n"),
    );
    expect(reexports(summary)).toEqual([
      "* -> /src/lib/files: ",
      "fmt -> /src/lib/format: ",
      "load -> /src/db: load",
      "fetch -> /src/db: load",
      "main -> /src/db: default",
      "parse -> /src/lib/parse: parse",
      "read -> /src/lib/parse: parse",
      "default -> /src/lib/render: default",
      "ns -> /src/lib/ns: ",
    ]);
    expect(summary.reexports[0].target.path).toEqual([]);
    expect(summary.moduleKeys).toEqual([`${ROOT}/src/lib/index`, `${ROOT}/src/lib`]);
  });

  it("reads CommonJS exports: functions, aliases, re-exports", () => {
    const summary = summarize(
      "db.cjs",
      [
        'const fs = require("fs");',
        'const { parse } = require("./parse.cjs");',
        "function loadRow() { return fs.readFileSync('r'); }",
        "module.exports = {",
        "  loadRow,",
        "  fetchRow: loadRow,",
        "  parse,",
        '  ...require("./more.cjs"),',
        "  inline() { return loadRow(); },",
        "  arrow: () => loadRow(),",
        "};",
        "exports.extra = function () { return loadRow(); };",
        'module.exports.other = require("./other.cjs").other;',
      ].join("\n"),
    );
    expect(summary.functions.map((f) => [f.id, line(f.range), f.blocking.length, f.calls.map((c) => target(c.target))])).toEqual([
      ["loadRow", 3, 1, []],
      ["inline", 9, 0, ["loadRow"]],
      ["arrow", 10, 0, ["loadRow"]],
      ["extra", 12, 0, ["loadRow"]],
    ]);
    expect(reexports(summary)).toEqual(["fetchRow -> /db: loadRow", "parse -> /parse: parse", "* -> /more: ", "other -> /other: other"]);

    const single = summarize("one.cjs", "module.exports = function readAll() { return 1; };\n");
    expect(single.functions.map((f) => f.id)).toEqual(["default"]);
    const whole = summarize("two.cjs", 'module.exports = require("./impl.cjs");\n');
    expect(reexports(whole)).toEqual(["* -> /impl: "]);
    const local = summarize("three.cjs", "function load() {}\nmodule.exports = load;\n");
    expect(local.functions.map((f) => f.id)).toEqual(["load"]);
    expect(reexports(local)).toEqual(["default -> /three: load"]);
  });

  it("re-exports a local function or class exported under another name from the module itself", () => {
    const summary = summarize(
      "store.ts",
      ["function load() {}", "class Store {", "  static save() {}", "}", "export { load as fetch, Store as Cache };", "export default load;"].join("\n"),
    );
    expect(summary.functions.map((f) => [f.id, line(f.range)])).toEqual([
      ["load", 1],
      ["Store.save", 3],
    ]);
    expect(reexports(summary)).toEqual(["fetch -> /store: load", "Cache -> /store: Store", "default -> /store: load"]);
  });

  it("files Windows paths with slashes and resolves specifiers against them", () => {
    const summary = summarize("index.ts", 'import { load } from "./db";\nexport async function main() { load(); }\n', "C:\\w\\lib\\index.ts");
    expect(summary.file).toBe("C:/w/lib/index.ts");
    expect(summary.moduleKeys).toEqual(["C:/w/lib/index", "C:/w/lib"]);
    expect(summary.functions[0].calls.map((c) => c.target)).toEqual([{ kind: "module", module: "C:/w/lib/db", path: ["load"] }]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Multi-file fixture projects, end to end.

const RULE = "blocking-call-transitive";
const projects = path.resolve(__dirname, "fixtures", "projects");
const suffix = "; make the chain async, or move the work to a worker thread";

function sourceFiles(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && languageForPath(entry.name) === "typescript")
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

/**
 * The index of a fixture project, every file summarized from disk (in `typescript`'s projects when
 * given, as the CLI does: then tsconfig `paths` apply).
 */
function indexProject(name: string, typescript?: TypeScriptWorkspace): { root: string; files: string[]; index: WorkspaceIndex; typescript?: TypeScriptWorkspace } {
  const root = path.join(projects, name);
  const files = sourceFiles(root);
  const index = createWorkspaceIndex();
  for (const file of files) {
    const absolutePath = path.join(root, file);
    const summary = summarizeFile({ path: file, source: readFileSync(absolutePath, "utf8"), absolutePath }, undefined, typescript);
    if (summary) index.update(summary);
  }
  return { root, files, index, typescript };
}

/** The rule's findings in one file: line (one-based), message, and hops `file:line message`. */
function transitive(root: string, file: string, index: WorkspaceIndex, typescript?: TypeScriptWorkspace) {
  const absolutePath = path.join(root, file);
  const result = analyzeSource({ path: file, source: readFileSync(absolutePath, "utf8"), absolutePath, workspace: index }, undefined, typescript);
  expect(result.ruleErrors).toEqual([]);
  return result.findings.filter((finding) => finding.rule === RULE).map(shape);
}

function shape(finding: Finding) {
  return {
    line: finding.range.start.line + 1,
    message: finding.message,
    hops: (finding.related ?? []).map((related) => `${related.file ?? "."}:${related.range.start.line + 1} ${related.message}`),
  };
}

/** Every file of a project but `except` has no finding of the rule. */
function expectQuietElsewhere(project: { root: string; files: string[]; index: WorkspaceIndex }, except: string[]): void {
  for (const file of project.files.filter((f) => !except.includes(f))) {
    expect(transitive(project.root, file, project.index), file).toEqual([]);
  }
}

describe("blocking-call-transitive across TypeScript modules", () => {
  it("ts-reexports: through `export *`, `export { x as y } from`, a namespace, an alias, a default re-export", () => {
    const project = indexProject("ts-reexports");
    const readConfigHop = "src/lib/files.ts:5 `readConfig` calls `fs.readFileSync()`, which blocks";
    expect(transitive(project.root, "src/handler.ts", project.index)).toEqual([
      {
        line: 9,
        message:
          "`loadSettings()` blocks the event loop in async function `handle`: it calls `readConfig()`, which calls " +
          "`fs.readFileSync()` (src/lib/files.ts:5, 2 calls down)" + suffix,
        hops: ["src/lib/files.ts:9 `parseConfig` calls `readConfig()`", readConfigHop],
      },
      {
        line: 10,
        message: "`lib.readConfig()` blocks the event loop in async function `handle`: it calls `fs.readFileSync()` (src/lib/files.ts:5)" + suffix,
        hops: [readConfigHop],
      },
      {
        line: 11,
        message: "`read()` blocks the event loop in async function `handle`: it calls `fs.readFileSync()` (src/lib/files.ts:5)" + suffix,
        hops: [readConfigHop],
      },
      {
        line: 12,
        message: "`readDefault()` blocks the event loop in async function `handle`: it calls `fs.readFileSync()` (src/lib/files.ts:5)" + suffix,
        hops: [readConfigHop],
      },
      {
        line: 13,
        message:
          "`legacySettings()` blocks the event loop in async function `handle`: it calls `readConfig()`, which calls " +
          "`fs.readFileSync()` (src/lib/files.ts:5, 2 calls down)" + suffix,
        hops: ["src/lib/files.ts:9 `parseConfig` calls `readConfig()`", readConfigHop],
      },
      // Line 15 awaits an async function and line 17 calls a local object's method: nothing.
      {
        line: 23,
        message: "`read()` blocks the event loop: it calls `fs.readFileSync()` (src/lib/files.ts:5)" + suffix,
        hops: [readConfigHop],
      },
    ]);
    expectQuietElsewhere(project, ["src/handler.ts"]);
  });

  it("ts-classes: `this.helper()` chains, a static method of the same file, of an import, of a default-exported class", () => {
    const project = indexProject("ts-classes");
    expect(transitive(project.root, "src/repo.ts", project.index)).toEqual([
      {
        line: 8,
        message:
          "`this.load()` blocks the event loop in async function `find`: it calls `this.parse()`, which calls " +
          "`fs.readFileSync()` (src/repo.ts:16, 2 calls down)" + suffix,
        hops: [".:12 `Repo.load` calls `this.parse()`", ".:16 `Repo.parse` calls `fs.readFileSync()`, which blocks"],
      },
      {
        line: 24,
        message: "`Repo.revision()` blocks the event loop in async function `current`: it calls `child_process.execSync()` (src/repo.ts:20)" + suffix,
        hops: [".:20 `Repo.revision` calls `child_process.execSync()`, which blocks"],
      },
      {
        line: 28,
        message:
          // An arrow field is named after its property.
          "`this.load()` blocks the event loop in async function `reload`: it calls `this.parse()`, which calls " +
          "`fs.readFileSync()` (src/repo.ts:16, 2 calls down)" + suffix,
        hops: [".:12 `Repo.load` calls `this.parse()`", ".:16 `Repo.parse` calls `fs.readFileSync()`, which blocks"],
      },
      // Line 33, `this.toString()`: not a method of the class, not guessed.
    ]);
    expect(transitive(project.root, "src/service.ts", project.index)).toEqual([
      {
        line: 5,
        message: "`Repo.revision()` blocks the event loop in async function `start`: it calls `child_process.execSync()` (src/repo.ts:20)" + suffix,
        hops: ["src/repo.ts:20 `Repo.revision` calls `child_process.execSync()`, which blocks"],
      },
      // Line 7, `repo.load()`: an instance of a type the syntax does not know, not guessed.
      {
        line: 8,
        message: "`Store.snapshot()` blocks the event loop in async function `start`: it calls `fs.writeFileSync()` (src/store.ts:5)" + suffix,
        hops: ["src/store.ts:5 `Store.snapshot` calls `fs.writeFileSync()`, which blocks"],
      },
    ]);
    expectQuietElsewhere(project, ["src/repo.ts", "src/service.ts"]);
  });

  it("ts-commonjs: `require` with destructuring and an alias, an export under another name, `module.exports = function`", () => {
    const project = indexProject("ts-commonjs");
    expect(transitive(project.root, "handlers.cjs", project.index)).toEqual([
      {
        line: 6,
        message: "`row()` blocks the event loop in async function `handle`: it calls `fs.readFileSync()` (db.cjs:4)" + suffix,
        hops: ["db.cjs:4 `loadRow` calls `fs.readFileSync()`, which blocks"],
      },
      {
        line: 7,
        message: "`db.fetchRow()` blocks the event loop in async function `handle`: it calls `fs.readFileSync()` (db.cjs:4)" + suffix,
        // `fetchRow` is `loadRow` exported under another name: the hop names the definition.
        hops: ["db.cjs:4 `loadRow` calls `fs.readFileSync()`, which blocks"],
      },
      {
        line: 8,
        message: "`readAll()` blocks the event loop in async function `handle`: it calls `fs.readdirSync()` (read-all.cjs:4)" + suffix,
        hops: ["read-all.cjs:4 `default` calls `fs.readdirSync()`, which blocks"],
      },
    ]);
    expectQuietElsewhere(project, ["handlers.cjs"]);
  });

  it("ts-cycle: a cycle of sync helpers ends without a finding; a function handed to a worker and an async callee are not hops", () => {
    const project = indexProject("ts-cycle");
    expect(transitive(project.root, "src/a.ts", project.index)).toEqual([]);
    // The async callee's own call is reported where it is made.
    expect(transitive(project.root, "src/b.ts", project.index)).toEqual([
      {
        line: 9,
        message: "`crunch()` blocks the event loop in async function `fetchLater`: it calls `fs.readFileSync()` (src/task.ts:4)" + suffix,
        hops: ["src/task.ts:4 `crunch` calls `fs.readFileSync()`, which blocks"],
      },
    ]);
    expect(transitive(project.root, "src/task.ts", project.index)).toEqual([]);
  });

  it("ts-paths: helpers imported through tsconfig `paths` (`@app/*`, `@config`) are workspace code", () => {
    const typescript = new TypeScriptWorkspace();
    const project = indexProject("ts-paths", typescript);
    expect(transitive(project.root, "src/handlers/status.ts", project.index, typescript)).toEqual([
      {
        line: 7,
        message: "`loadSettings()` blocks the event loop in async function `status`: it calls `fs.readFileSync()` (src/config/index.ts:5)" + suffix,
        hops: ["src/config/index.ts:5 `loadSettings` calls `fs.readFileSync()`, which blocks"],
      },
      {
        line: 8,
        message: "`gitRevision()` blocks the event loop in async function `status`: it calls `child_process.execSync()` (src/store.ts:5)" + suffix,
        hops: ["src/store.ts:5 `gitRevision` calls `child_process.execSync()`, which blocks"],
      },
      {
        line: 9,
        message:
          "`store.gitRevision()` blocks the event loop in async function `status`: it calls `child_process.execSync()` (src/store.ts:5)" + suffix,
        hops: ["src/store.ts:5 `gitRevision` calls `child_process.execSync()`, which blocks"],
      },
    ]);
    // Summarized on its own (no project, so no `paths`), an alias is a package: no edge.
    const statusPath = path.join(project.root, "src/handlers/status.ts");
    const alone = summarizeFile({ path: "src/handlers/status.ts", source: readFileSync(statusPath, "utf8"), absolutePath: statusPath })!;
    expect(calls(alone, "status")).toEqual([]);
    const inProject = summarizeFile({ path: "src/handlers/status.ts", source: readFileSync(statusPath, "utf8"), absolutePath: statusPath }, undefined, typescript)!;
    const key = (file: string) => path.join(project.root, file).split(path.sep).join("/");
    expect(inProject.functions[0].calls.map((call) => call.target)).toEqual([
      { kind: "module", module: key("src/config/index"), path: ["loadSettings"] },
      { kind: "module", module: key("src/store"), path: ["gitRevision"] },
      { kind: "module", module: key("src/store"), path: ["gitRevision"] },
      { kind: "module", module: key("src/store"), path: ["label"] },
    ]);
  });

  it("treats an alias that tsconfig `paths` maps to nothing as a package, and a broken `paths` as none", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "corolint-ts-paths-"));
    try {
      const source = 'import { now } from "@lib/clock";\nexport async function start() {\n  return now();\n}\n';
      const summarizeWith = (paths: unknown) => {
        writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { baseUrl: ".", paths } }));
        const absolutePath = path.join(dir, "start.ts");
        return summarizeFile({ path: "start.ts", source, absolutePath }, undefined, new TypeScriptWorkspace())!;
      };
      expect(calls(summarizeWith({ "@lib/*": ["missing/*"] }), "start")).toEqual([]);
      expect(calls(summarizeWith({ "@lib/*": 5 }), "start")).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("re-checks a caller after a helper changes: the index drops the chain", () => {
    const project = indexProject("ts-cycle");
    const task = path.join(project.root, "src/task.ts").split(path.sep).join("/");
    expect([...project.index.dependentsOf(task)].sort()).toEqual(["src/a.ts", "src/b.ts"].map((f) => path.join(project.root, f).split(path.sep).join("/")));
    const calm = 'export function crunch(): string {\n  return "data";\n}\n';
    project.index.update(summarizeFile({ path: "src/task.ts", source: calm, absolutePath: path.join(project.root, "src/task.ts") })!);
    expect(transitive(project.root, "src/b.ts", project.index)).toEqual([]);
  });
});
