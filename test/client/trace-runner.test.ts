/**
 * What "corolint: Trace This File" runs, without VS Code: the command line it builds, the process it
 * starts (the built `dist/cli.cjs trace` on real Python programs, its output going to a terminal sink,
 * keystrokes turned into the program's input and Ctrl+C), and what it reads back from the trace.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTraceResults, runtimeBlocksOf, traceSourceFiles } from "../../client/trace-results";
import { describeCommand, runtimeForLanguage, traceCommand, TraceProcess, type TraceRequest } from "../../client/trace-runner";
import { waitFor } from "../server/lsp-client";
import { CLI, makeProject, REPO_ROOT } from "../cli/helpers";

const DEMO = join(REPO_ROOT, "examples/trace_demo/app.py");
const DEMO_SLEEP_LINE = readFileSync(DEMO, "utf8").split("\n").findIndex((line) => line.includes("# blocking-call:")) + 1;

function request(overrides: Partial<TraceRequest>): TraceRequest {
  return {
    nodeExecutable: process.execPath,
    cliPath: CLI,
    runtime: "python",
    pythonPath: "python3",
    mode: "steps",
    thresholdMs: 50,
    output: "/tmp/unused.json",
    file: DEMO,
    cwd: REPO_ROOT,
    env: process.env,
    ...overrides,
  };
}

/** A terminal that keeps what it was sent. */
function terminal(): { text: string; write(text: string): void } {
  return {
    text: "",
    write(text: string) {
      this.text += text;
    },
  };
}

describe("the command line", () => {
  it("runs the bundled CLI's trace on the file with the settings, Python or Node", () => {
    const python = traceCommand(request({ output: "/store/trace-1.json", thresholdMs: 20 }));
    expect(python.executable).toBe(process.execPath);
    expect(python.args).toEqual([CLI, "trace", "--mode", "steps", "--threshold-ms", "20", "-o", "/store/trace-1.json", "--", "python3", DEMO]);
    expect(python.env).toMatchObject({ ELECTRON_RUN_AS_NODE: "1", PYTHONUNBUFFERED: "1" });
    const node = traceCommand(request({ runtime: "node", mode: "light", file: "/w/app.js", output: "/o.json" }));
    expect(node.args.slice(1)).toEqual(["trace", "--mode", "light", "--threshold-ms", "50", "-o", "/o.json", "--", "node", "/w/app.js"]);
    expect(describeCommand({ ...node, args: ["a b", "it's"] })).toBe(`${process.execPath} 'a b' 'it'\\''s'`);
  });

  it("traces Python, JavaScript and TypeScript files only", () => {
    expect(["python", "javascript", "typescript", "javascriptreact", "plaintext"].map(runtimeForLanguage)).toEqual(["python", "node", "node", null, null]);
  });
});

describe("a run", () => {
  it("shows the program's output in the terminal and reads the block back from the trace", async () => {
    const dir = makeProject({});
    const output = join(dir, "trace.json");
    const sink = terminal();
    const run = new TraceProcess(traceCommand(request({ output, cwd: dir })), sink);
    const end = await run.ended;
    expect(end, sink.text).toEqual({ code: 0, signal: null });
    expect(run.running).toBe(false);
    // The program's line and corolint's summary, with terminal line ends.
    expect(sink.text).toMatch(/^done in \d\.\d s: heartbeat .*, report\r\n/m);
    expect(sink.text).toMatch(/corolint: trace written to .*trace\.json: the event loop was blocked \d+ times? .*the longest, \d+ ms, at .*app\.py:\d+ render_report/);
    expect(sink.text.replace(/\r\n/g, "")).not.toContain("\n");

    const { model, blocks } = readTraceResults(output, dir);
    expect(model.mode).toBe("steps");
    expect(model.lanes.length).toBeGreaterThan(2);
    // The time.sleep, the longest; a loaded machine may add short blocks elsewhere (start-up, GC).
    expect(blocks[0]).toMatchObject({ file: DEMO, line: DEMO_SLEEP_LINE, function: "render_report", count: 1 });
    expect(blocks[0]!.maxMs).toBeGreaterThan(250);
    expect(blocks[0]!.totalMs).toBe(blocks[0]!.maxMs);
    expect(traceSourceFiles(model, dir)).toContain(DEMO);
  });

  it("turns keystrokes into the program's input: echo, backspace, Enter, arrows ignored", async () => {
    const dir = makeProject({ "ask.py": 'name = input("name? ")\nprint(f"hello {name}!")\n' });
    const sink = terminal();
    const run = new TraceProcess(traceCommand(request({ file: join(dir, "ask.py"), output: join(dir, "t.json"), cwd: dir })), sink);
    await waitFor("the prompt", () => sink.text.includes("name? "));
    run.input("adx\x7f\x1b[Da");
    run.input("\r");
    expect(await run.ended).toEqual({ code: 0, signal: null });
    expect(sink.text).toContain("name? adx\b \ba\r\nhello ada!\r\n");
  });

  it("Ctrl+C interrupts the program, whose trace is still written", async () => {
    const source = [
      "import asyncio, time",
      "async def main():",
      "    time.sleep(0.2)",
      '    print("waiting", flush=True)',
      "    await asyncio.sleep(30)",
      "asyncio.run(main())",
      "",
    ].join("\n");
    const dir = makeProject({ "wait.py": source });
    const output = join(dir, "t.json");
    const sink = terminal();
    const run = new TraceProcess(traceCommand(request({ file: join(dir, "wait.py"), output, cwd: dir, mode: "light" })), sink);
    await waitFor("the program to wait", () => sink.text.includes("waiting"));
    const started = Date.now();
    run.input("\x03");
    const end = await run.ended;
    expect(Date.now() - started).toBeLessThan(10_000);
    // Python dies of the SIGINT, and corolint ends the same way.
    expect(end).toEqual({ code: null, signal: "SIGINT" });
    expect(sink.text).toContain("^C\r\n");
    expect(sink.text).toContain("KeyboardInterrupt");
    expect(existsSync(output)).toBe(true);
    const { blocks } = readTraceResults(output, dir);
    expect(blocks.map((block) => [block.file, block.line])).toContainEqual([join(dir, "wait.py"), 3]);
  });

  it("reports a program that cannot start, and writes no trace", async () => {
    const dir = makeProject({});
    const sink = terminal();
    const output = join(dir, "t.json");
    const run = new TraceProcess(traceCommand(request({ pythonPath: join(dir, "no-such-python3"), output, cwd: dir })), sink);
    const end = await run.ended;
    expect(end).toEqual({ code: 2, signal: null });
    expect(sink.text).toMatch(/corolint: could not start .*no-such-python3/);
    expect(existsSync(output)).toBe(false);
    expect(() => readTraceResults(output, dir)).toThrow(/ENOENT/);
  });
});

describe("blocks from a trace", () => {
  it("sums the spans per line, resolves relative names and leaves out places that are not files", () => {
    const dir = makeProject({ "app.py": "x\n" });
    const span = (file: string | null, line: number | null, dur: number, fn = "h") => ({ lane: 0, ts: 0, dur, name: "b", blocked: true, file, line, function: fn });
    const model = {
      start: 0,
      end: 1,
      lanes: [],
      flows: [],
      topBlockers: [],
      blocked: 5,
      dropped: 0,
      spans: [
        span("app.py", 1, 60_000),
        span(join(dir, "app.py"), 1, 90_000, "g"),
        span(null, null, 500_000),
        span("<frozen importlib._bootstrap>", 3, 70_000),
        { ...span(join(dir, "app.py"), 1, 900_000), blocked: false },
      ],
    };
    expect(runtimeBlocksOf(model, dir)).toEqual([{ file: join(dir, "app.py"), line: 1, function: "g", count: 2, maxMs: 90, totalMs: 150 }]);
  });
});
