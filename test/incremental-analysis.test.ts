import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { IncrementalAnalyzer, analyzeSource } from "../rules/index";
import type { AnalyzeRequest } from "../rules/types";
import { generateModule } from "../bench/lsp-bench.mjs";
import { loadCore } from "./helpers/core";
import { random } from "./helpers/random";
import { summarizeFile } from "../rules/workspace/summarize-file";
import { createWorkspaceIndex } from "../rules/workspace/index";
import type { FileSummary, WorkspaceIndex } from "../rules/workspace/summary";

beforeAll(loadCore);


function pythonFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".py"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

const repo = path.resolve(__dirname, "..");
const corpus = [
  ...pythonFilesUnder(path.join(repo, "test", "fixtures", "python")),
  ...pythonFilesUnder(path.join(repo, "examples")),
].map((file) => ({ name: path.relative(repo, file), text: readFileSync(file, "utf8") }));
corpus.push({ name: "generated service (600 lines)", text: generateModule(600) });

/**
 * Lines an edit inserts, at the indentation of the line it goes before: ordinary statements, and the
 * ones that reach other top-level statements (imports, spawns, patches, signatures).
 */
const insertions = [
  "x = compute(1)",
  "time.sleep(0.5)",
  "requests.get(url)",
  "await asyncio.sleep(0)",
  "asyncio.create_task(job())",
  "refresh()",
  "import trio",
  "import gevent",
  "from gevent import monkey",
  "monkey.patch_all()",
  "gevent.spawn(worker)",
  "gevent.spawn(Worker.run)",
  "while True:\n    pass",
  "async def helper():\n    return 1",
  "def worker():\n    while True:\n        pass",
  "",
  "# corolint: ignore[blocking-call]",
  // Syntax errors tree-sitter confines to the statement they are in.
  "x = 1)",
  "y = :",
  "session.",
];

/**
 * One random edit: insert, delete or duplicate a line, or change a character. Most edits land in
 * indented lines (function bodies), as most typing does.
 */
function randomEdit(text: string, next: () => number): string {
  const lines = text.split("\n");
  const indented = lines.flatMap((line, index) => (/^\s+\S/.test(line) ? [index] : []));
  const at = indented.length > 0 && next() < 0.8 ? indented[Math.floor(next() * indented.length)] : Math.floor(next() * lines.length);
  const indent = /^\s*/.exec(lines[at])?.[0] ?? "";
  const choice = next();
  if (choice < 0.45) {
    const inserted = insertions[Math.floor(next() * insertions.length)].split("\n").map((line) => (line ? indent + line : line));
    lines.splice(at, 0, ...inserted);
  } else if (choice < 0.6) {
    lines.splice(at, 1);
  } else if (choice < 0.7) {
    lines.splice(at, 0, lines[Math.floor(next() * lines.length)]);
  } else {
    const line = lines[at];
    const column = Math.floor(next() * (line.length + 1));
    const characters = ["a", "_", " ", "(", ")", ":", "1", "."];
    lines[at] = next() < 0.5 && line.length > 0
      ? line.slice(0, column) + line.slice(column + 1)
      : line.slice(0, column) + characters[Math.floor(next() * characters.length)] + line.slice(column);
  }
  return lines.join("\n");
}

describe("IncrementalAnalyzer", () => {
  it("gives exactly the findings and the summary of a whole-file analysis after every random edit", () => {
    let partial = 0;
    let total = 0;
    let summarized = 0;
    let partialSummaries = 0;
    for (const [fileIndex, file] of corpus.entries()) {
      const next = random(1000 + fileIndex);
      const analyzer = new IncrementalAnalyzer();
      let text = file.text;
      const request = (source: string): AnalyzeRequest => ({ path: "service.py", source });
      analyzer.analyze(request(text));
      for (let step = 0; step < 60; step += 1) {
        // Every fifth text starts again from the original: random edits pile up into syntax errors.
        text = step % 5 === 0 ? randomEdit(file.text, next) : randomEdit(text, next);
        const incremental = analyzer.analyze(request(text));
        const expected = analyzeSource(request(text));
        total += 1;
        if (analyzer.lastRun === "partial") partial += 1;
        expect(incremental, `${file.name}, edit ${step}:\n${text}`).toEqual(expected);
        // The summary put together from the parts' summaries is the whole file's.
        if (analyzer.lastSummary !== null) {
          summarized += 1;
          if (analyzer.lastRun === "partial") partialSummaries += 1;
          expect(analyzer.lastSummary, `${file.name}, summary after edit ${step}:\n${text}`).toEqual(summarizeFile(request(text)));
        }
      }
      analyzer.dispose();
    }
    // The comparison means something only if many edits took the partial path.
    expect(partial / total).toBeGreaterThan(0.25);
    expect(partialSummaries / summarized).toBeGreaterThan(0.25);
  });

  it("follows a line typed key by key into a function body, half-typed (broken) states included", () => {
    const lines = generateModule(800).split("\n");
    const at = lines.findIndex((line) => line.includes("prices = await load_prices(")) + 1;
    const typed = "        reply = requests.get(url, params={'sku': [1, 2]}, timeout=5)";
    lines.splice(at, 0, "");
    const analyzer = new IncrementalAnalyzer();
    const request = (): AnalyzeRequest => ({ path: "service.py", source: lines.join("\n") });
    analyzer.analyze(request());
    let partial = 0;
    let partialWithSyntaxError = 0;
    for (let length = 1; length <= typed.length; length += 1) {
      lines[at] = typed.slice(0, length);
      const result = analyzer.analyze(request());
      expect(result, typed.slice(0, length)).toEqual(analyzeSource(request()));
      if (analyzer.lastRun !== "partial") continue;
      partial += 1;
      if (result.findings.some((f) => f.rule === "syntax-error")) partialWithSyntaxError += 1;
    }
    // Most keystrokes stay inside the function, broken or not; the finished line is a new finding.
    expect(partial).toBeGreaterThan(typed.length * 0.8);
    expect(partialWithSyntaxError).toBeGreaterThan(10);
    const finished = analyzer.analyze(request());
    expect(finished.findings.some((f) => f.rule === "blocking-call" && f.range.start.line === at)).toBe(true);
    analyzer.dispose();
  });

  it("re-analyses only the edited function for an edit inside its body, and all of it for a new import", () => {
    const lines = generateModule(400).split("\n");
    const analyzer = new IncrementalAnalyzer();
    const request = (source: string): AnalyzeRequest => ({ path: "service.py", source });
    const before = analyzer.analyze(request(lines.join("\n")));
    expect(analyzer.lastRun).toBe("full");
    const sleepLine = lines.findIndex((line) => line.includes("time.sleep(2**attempt)"));
    lines.splice(sleepLine, 0, "            time.sleep(1)");
    const body = analyzer.analyze(request(lines.join("\n")));
    expect(analyzer.lastRun).toBe("partial");
    expect(body.findings.length).toBe(before.findings.length + 1);
    const added = body.findings.find((f) => f.range.start.line === sleepLine);
    expect(added?.rule).toBe("blocking-call");
    // Findings after the insertion moved down one line.
    const lastBefore = before.findings[before.findings.length - 1];
    const lastAfter = body.findings[body.findings.length - 1];
    expect(lastAfter.range.start.line).toBe(lastBefore.range.start.line + 1);
    lines.splice(sleepLine, 0, "            import trio");
    analyzer.analyze(request(lines.join("\n")));
    expect(analyzer.lastRun).toBe("full");
    analyzer.dispose();
  });

  it("starts over with a whole-file analysis when the settings change", () => {
    const text = generateModule(200);
    const analyzer = new IncrementalAnalyzer();
    analyzer.analyze({ path: "service.py", source: text });
    const off = analyzer.analyze({ path: "service.py", source: text, rules: { ignore: ["blocking-call"] } });
    expect(analyzer.lastRun).toBe("full");
    expect(off.findings.some((f) => f.rule === "blocking-call")).toBe(false);
    analyzer.dispose();
  });
});

describe("IncrementalAnalyzer, blocking-call-transitive", () => {
  const helpers = [
    "import time",
    "",
    "def load_user(user_id):",
    "    time.sleep(0.1)",
    "    return {'id': user_id}",
    "",
  ].join("\n");
  const app = [
    "from helpers import load_user",
    "",
    "def banner():",
    "    return 'hello'",
    "",
    "async def handler():",
    "    return load_user(1)",
    "",
    "async def outer():",
    "    async def inner():",
    "        return load_user(2)",
    "    return await inner()",
    "",
  ].join("\n");
  const root = "/work/project";
  const request = (name: string, source: string, workspace?: WorkspaceIndex): AnalyzeRequest => ({
    path: name,
    absolutePath: `${root}/${name}`,
    source,
    ...(workspace ? { workspace } : {}),
  });
  const transitiveLines = (result: { findings: { rule: string; range: { start: { line: number } } }[] }) =>
    result.findings.filter((finding) => finding.rule === "blocking-call-transitive").map((finding) => finding.range.start.line);

  it("moves the untouched functions' summaries (positional ids included) and re-summarizes the edited one", () => {
    const workspace = createWorkspaceIndex();
    workspace.update(summarizeFile(request("helpers.py", helpers))!);
    const indexed: FileSummary[] = [];
    const host = { indexSummary: (summary: FileSummary) => (indexed.push(summary), workspace.update(summary)) };
    const analyzer = new IncrementalAnalyzer();
    const first = analyzer.analyze(request("app.py", app, workspace), host);
    expect(transitiveLines(first)).toEqual([6, 10]);
    // Two lines added in `banner`: `handler` and `outer` move down, `inner`'s id with them.
    const edited = app.replace("    return 'hello'", "    name = 'x'\n    greeting = 'hello'\n    return greeting");
    const second = analyzer.analyze(request("app.py", edited, workspace), host);
    expect(analyzer.lastRun).toBe("partial");
    expect(transitiveLines(second)).toEqual([8, 12]);
    expect(second).toEqual(analyzeSource(request("app.py", edited, workspace)));
    expect(indexed).toHaveLength(2);
    expect(indexed[1]).toEqual(summarizeFile(request("app.py", edited)));
    expect(indexed[1].functions.map((fn) => fn.id)).toEqual(["banner", "handler", "outer", "inner@12:5"]);
  });

  it("follows the index again when a helper changes and the document does not", () => {
    const workspace = createWorkspaceIndex();
    workspace.update(summarizeFile(request("helpers.py", helpers))!);
    const analyzer = new IncrementalAnalyzer();
    expect(transitiveLines(analyzer.analyze(request("app.py", app, workspace)))).toEqual([6, 10]);
    // The helper stops blocking (as the server's index sees an edit in another document).
    workspace.update(summarizeFile(request("helpers.py", helpers.replace("time.sleep(0.1)", "pass")))!);
    const again = analyzer.analyze(request("app.py", app, workspace));
    expect(analyzer.lastRun).toBe("partial");
    expect(transitiveLines(again)).toEqual([]);
    expect(again).toEqual(analyzeSource(request("app.py", app, workspace)));
  });

  it("gives the host the summary even when the rule is off, and reports nothing of the rule", () => {
    const workspace = createWorkspaceIndex();
    workspace.update(summarizeFile(request("helpers.py", helpers))!);
    let given: FileSummary | null = null;
    const analyzer = new IncrementalAnalyzer();
    const off = { ...request("app.py", app, workspace), rules: { ignore: ["blocking-call-transitive"] } };
    const result = analyzer.analyze(off, { indexSummary: (summary) => (given = summary) });
    expect(transitiveLines(result)).toEqual([]);
    expect(given).toEqual(summarizeFile(request("app.py", app)));
  });
});
