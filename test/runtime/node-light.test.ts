/**
 * The Node tracer's light mode (runtime/node/corolint-trace.mjs), run as a real preload
 * (`node --import ...`) on small programs: blocked spans and their lines, nothing else changed in the
 * program (output, exit code, signals, uncaught exceptions), child processes through NODE_OPTIONS.
 * No timing thresholds on overhead here: see runtime/node/bench-overhead.mjs.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { runNode, scratchProjects, NODE_TRACER as TRACER } from "../helpers/node-tracer";
import { traceProblems } from "../helpers/trace-format";

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  cat?: string;
  args: Record<string, unknown>;
}

interface Blocker {
  file: string;
  line: number;
  function: string;
  totalMs: number;
  count: number;
}

interface Trace {
  traceEvents: TraceEvent[];
  otherData: {
    corolint: {
      runtime: string;
      mode: string;
      thresholdMs: number;
      blocked: number;
      topBlockers: Blocker[];
      dropped: number;
    };
  };
}

interface SpanArgs {
  file: string;
  line: number;
  function: string;
  stack: string[];
}

const project = scratchProjects("corolint-node-trace-");


/** Reads a trace and checks its shape: Chrome Trace Event object form with corolint's otherData. */
function readTrace(path: string): Trace {
  expect(existsSync(path), `${path} was not written`).toBe(true);
  const trace = JSON.parse(readFileSync(path, "utf8")) as Trace;
  expect(traceProblems(trace)).toEqual([]);
  expect(Array.isArray(trace.traceEvents)).toBe(true);
  for (const event of trace.traceEvents) {
    expect(Number.isInteger(event.pid), JSON.stringify(event)).toBe(true);
    expect(Number.isInteger(event.tid), JSON.stringify(event)).toBe(true);
    expect(["M", "X"]).toContain(event.ph);
    expect(typeof event.ts).toBe("number");
    expect(event.ts).toBeGreaterThanOrEqual(0);
    if (event.ph === "X") {
      expect(event.cat).toBe("corolint.blocked");
      expect(typeof event.dur).toBe("number");
      expect(event.dur).toBeGreaterThan(0);
      const args = event.args as unknown as SpanArgs;
      expect(typeof args.file).toBe("string");
      expect(Number.isInteger(args.line)).toBe(true);
      expect(typeof args.function).toBe("string");
      expect(Array.isArray(args.stack)).toBe(true);
      expect(event.name).toMatch(/^blocked .+ \(.+:\d+\)$/);
    }
  }
  const meta = trace.traceEvents.filter((event) => event.ph === "M").map((event) => event.name);
  expect(meta).toEqual(expect.arrayContaining(["process_name", "thread_name", "thread_sort_index"]));
  const thread = trace.traceEvents.find((event) => event.name === "thread_name");
  expect(thread?.args["name"]).toBe("event loop");
  const corolint = trace.otherData.corolint;
  expect(corolint.runtime).toBe(`node ${process.version}`);
  expect(corolint.mode).toBe("light");
  expect(typeof corolint.thresholdMs).toBe("number");
  expect(corolint.dropped).toBe(0);
  expect(corolint.blocked).toBe(spans(trace).length);
  const totals = corolint.topBlockers.map((blocker) => blocker.totalMs);
  expect(totals).toEqual([...totals].sort((a, b) => b - a));
  return trace;
}

function spans(trace: Trace): (TraceEvent & { args: SpanArgs; dur: number })[] {
  return trace.traceEvents.filter((event) => event.ph === "X") as (TraceEvent & { args: SpanArgs; dur: number })[];
}

/** 1-based line of the first line of `source` containing `text`. */
function lineOf(source: string, text: string): number {
  const index = source.split("\n").findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`no line with ${text}`);
  return index + 1;
}

const SPIN = [
  "function spin(ms) {",
  "  const end = Date.now() + ms;",
  "  while (Date.now() < end) {}",
  "}",
  "",
  "async function handler() {",
  "  await new Promise((resolve) => setTimeout(resolve, 20));",
  "  spin(200);",
  "  return 'handled';",
  "}",
  "",
  "console.log(await handler());",
  "",
].join("\n");

describe("node light tracer: blocked spans", () => {
  it("a busy loop in an async function: one span of ~200 ms on a line of spin()", async () => {
    const dir = project({ "app.mjs": SPIN });
    const run = await runNode(dir, "app.mjs");
    expect(run).toMatchObject({ code: 0, stdout: "handled\n", stderr: "" });
    const trace = readTrace(join(dir, "corolint-trace.json")); // the default output, in the cwd
    const blocked = spans(trace);
    expect(blocked).toHaveLength(1);
    const [span] = blocked;
    expect(span.dur).toBeGreaterThanOrEqual(150_000);
    expect(span.args.file).toBe(join(dir, "app.mjs"));
    expect(span.args.function).toBe("spin");
    expect([1, 2, 3, 4]).toContain(span.args.line);
    expect(span.args.stack[0]).toBe(`${join(dir, "app.mjs")}:${span.args.line} spin`);
    expect(span.args.stack[1]).toBe(`${join(dir, "app.mjs")}:${lineOf(SPIN, "spin(200)")} handler`);
    expect(span.name).toBe(`blocked spin (app.mjs:${span.args.line})`);
    const process_ = trace.traceEvents.find((event) => event.name === "process_name");
    expect(process_?.args["name"]).toBe("node app.mjs");
    expect(trace.otherData.corolint.topBlockers).toEqual([
      { file: join(dir, "app.mjs"), line: span.args.line, function: "spin", totalMs: span.dur / 1000, count: 1 },
    ]);
  });

  it("execSync('sleep 0.3') in an async function: a span of ≥ 200 ms on the call's line", async () => {
    const source = [
      "const { execSync } = require('node:child_process');",
      "async function run() {",
      "  await null;",
      "  execSync('sleep 0.3');",
      "  console.log('slept');",
      "}",
      "run();",
      "",
    ].join("\n");
    const dir = project({ "app.cjs": source });
    const output = join(dir, "out", "trace.json");
    const run = await runNode(dir, "app.cjs", { env: { COROLINT_TRACE_OUTPUT: output } });
    expect(run).toMatchObject({ code: 0, stdout: "slept\n", stderr: "" });
    const blocked = spans(readTrace(output));
    expect(blocked).toHaveLength(1);
    expect(blocked[0].dur).toBeGreaterThanOrEqual(200_000);
    expect(blocked[0].args).toMatchObject({ file: join(dir, "app.cjs"), line: lineOf(source, "execSync('sleep"), function: "run" });
  });

  it.skipIf(process.platform === "win32")("fs.readFileSync of a FIFO whose writer waits 0.3 s: a span of ≥ 200 ms", async () => {
    const source = [
      "import { execSync, spawn } from 'node:child_process';",
      "import { readFileSync } from 'node:fs';",
      "execSync('mkfifo pipe');",
      "spawn('sh', ['-c', 'sleep 0.3; echo data > pipe'], { stdio: 'ignore' });",
      "async function load() {",
      "  await new Promise((resolve) => setTimeout(resolve, 10));",
      "  return readFileSync('pipe', 'utf8');",
      "}",
      "process.stdout.write(await load());",
      "",
    ].join("\n");
    const dir = project({ "app.mjs": source });
    const run = await runNode(dir, "app.mjs");
    expect(run).toMatchObject({ code: 0, stdout: "data\n", stderr: "" });
    const blocked = spans(readTrace(join(dir, "corolint-trace.json")));
    const long = blocked.filter((span) => span.dur >= 200_000);
    expect(long).toHaveLength(1);
    expect(long[0].args).toMatchObject({ file: join(dir, "app.mjs"), line: lineOf(source, "return readFileSync"), function: "load" });
  });

  it("a clean program (timers, awaits, promises): no span", async () => {
    const source = [
      "const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));",
      "let n = 0;",
      "for (let i = 0; i < 20; i++) {",
      "  await sleep(10);",
      "  n += await Promise.all([1, 2, 3].map(async (x) => x * i)).then((xs) => xs.length);",
      "}",
      "await new Promise((resolve) => setImmediate(resolve));",
      "console.log(n);",
      "",
    ].join("\n");
    const dir = project({ "app.mjs": source });
    // A threshold well above a scheduling hiccup of a busy test machine.
    const run = await runNode(dir, "app.mjs", { env: { COROLINT_TRACE_THRESHOLD_MS: "100" } });
    expect(run).toMatchObject({ code: 0, stdout: "60\n", stderr: "" });
    const trace = readTrace(join(dir, "corolint-trace.json"));
    expect(spans(trace)).toEqual([]);
    expect(trace.otherData.corolint).toMatchObject({ thresholdMs: 100, blocked: 0, topBlockers: [] });
  });

  it("a block right before process.exit() is recorded at exit", async () => {
    const source = ["function spin(ms) {", "  const end = Date.now() + ms;", "  while (Date.now() < end) {}", "}", "setTimeout(() => {", "  spin(150);", "  process.exit(0);", "}, 10);", ""].join("\n");
    const dir = project({ "app.cjs": source });
    expect((await runNode(dir, "app.cjs")).code).toBe(0);
    const blocked = spans(readTrace(join(dir, "corolint-trace.json")));
    expect(blocked).toHaveLength(1);
    expect(blocked[0].dur).toBeGreaterThanOrEqual(100_000);
    expect(blocked[0].args.function).toBe("spin");
  });
});

describe("node light tracer: the program does not notice", () => {
  it("stdout, stderr and the exit code pass through unchanged", async () => {
    const source = [
      "console.log('to stdout');",
      "console.error('to stderr');",
      "setTimeout(() => { console.log('later'); process.exitCode = 3; }, 30);",
      "",
    ].join("\n");
    const dir = project({ "app.mjs": source });
    const plain = await runNode(dir, "app.mjs", { traced: false });
    const traced = await runNode(dir, "app.mjs");
    expect(plain).toEqual({ code: 3, signal: null, stdout: "to stdout\nlater\n", stderr: "to stderr\n" });
    expect(traced).toEqual(plain);
    readTrace(join(dir, "corolint-trace.json"));
  });

  it("an uncaught exception prints as Node prints it, exits with the same code, and the trace is written", async () => {
    const source = ["await new Promise((resolve) => setTimeout(resolve, 10));", "throw new Error('boom');", ""].join("\n");
    const dir = project({ "app.mjs": source });
    const plain = await runNode(dir, "app.mjs", { traced: false });
    const traced = await runNode(dir, "app.mjs");
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain("Error: boom");
    expect(traced).toEqual(plain);
    readTrace(join(dir, "corolint-trace.json"));
  });

  it.skipIf(process.platform === "win32")("SIGTERM while idle on a timer: the trace is written and the process dies of SIGTERM", async () => {
    const source = ["console.log('ready');", "setTimeout(() => console.log('never'), 20_000);", ""].join("\n");
    const dir = project({ "app.mjs": source });
    const run = await runNode(dir, "app.mjs", { onStdout: (text, kill) => text === "ready\n" && kill("SIGTERM") });
    expect(run).toEqual({ code: null, signal: "SIGTERM", stdout: "ready\n", stderr: "" });
    expect(spans(readTrace(join(dir, "corolint-trace.json")))).toEqual([]);
  });

  it.skipIf(process.platform === "win32")("a program with its own SIGINT handler decides: the tracer does not exit for it", async () => {
    const source = [
      "process.on('SIGINT', () => {",
      "  console.log('cleaning up');",
      "  setTimeout(() => { console.log('done'); process.exit(5); }, 50);",
      "});",
      "console.log('ready');",
      "setTimeout(() => {}, 20_000);",
      "",
    ].join("\n");
    const dir = project({ "app.mjs": source });
    const run = await runNode(dir, "app.mjs", { onStdout: (text, kill) => text === "ready\n" && kill("SIGINT") });
    expect(run).toEqual({ code: 5, signal: null, stdout: "ready\ncleaning up\ndone\n", stderr: "" });
    readTrace(join(dir, "corolint-trace.json"));
  });

  it("the program's worker threads run as before and only the main thread is traced", async () => {
    const source = [
      "import { Worker } from 'node:worker_threads';",
      "const worker = new Worker('const { parentPort } = require(\"node:worker_threads\"); parentPort.postMessage(6 * 7);', { eval: true });",
      "worker.on('message', (value) => console.log(value));",
      "",
    ].join("\n");
    const dir = project({ "app.mjs": source });
    const run = await runNode(dir, "app.mjs", { env: { COROLINT_TRACE_OUTPUT: join(dir, "t.json"), COROLINT_TRACE_PER_PROCESS: "1" } });
    expect(run).toMatchObject({ code: 0, stdout: "42\n", stderr: "" });
    expect(readdirSync(dir).filter((name) => name.endsWith(".json"))).toHaveLength(1);
  });
});

describe("node light tracer: child processes", () => {
  it("a child started with the inherited NODE_OPTIONS writes its own trace (one file per process)", async () => {
    const child = [SPIN.replace("spin(200);", "spin(200); // child"), ""].join("\n");
    const parent = [
      "import { spawnSync } from 'node:child_process';",
      "const result = spawnSync(process.execPath, ['child.mjs'], { stdio: 'inherit' });",
      "console.log('child exited', result.status);",
      "",
    ].join("\n");
    const dir = project({ "parent.mjs": parent, "child.mjs": child });
    const env = {
      NODE_OPTIONS: `--import ${JSON.stringify(TRACER)}`,
      COROLINT_TRACE_OUTPUT: join(dir, "traces", "run.json"),
      COROLINT_TRACE_PER_PROCESS: "1",
    };
    const run = await runNode(dir, "parent.mjs", { traced: false, env });
    expect(run).toMatchObject({ code: 0, stdout: "handled\nchild exited 0\n", stderr: "" });
    const files = readdirSync(join(dir, "traces")).sort();
    expect(files).toHaveLength(2);
    for (const file of files) expect(file).toMatch(/^run\.\d+\.json$/);
    const traces = files.map((file) => readTrace(join(dir, "traces", file)));
    const byName = new Map(traces.map((trace) => [trace.traceEvents.find((e) => e.name === "process_name")?.args["name"], trace]));
    expect([...byName.keys()].sort()).toEqual(["node child.mjs", "node parent.mjs"]);
    const childSpans = spans(byName.get("node child.mjs")!);
    expect(childSpans).toHaveLength(1);
    expect(childSpans[0].args).toMatchObject({ file: join(dir, "child.mjs"), function: "spin" });
    // The parent waited in spawnSync for the child: its loop was blocked on that call.
    const parentSpans = spans(byName.get("node parent.mjs")!);
    expect(parentSpans.map((span) => span.args.line)).toContain(lineOf(parent, "spawnSync(process.execPath"));
    for (const trace of traces) expect(new Set(files.map((f) => Number(f.split(".")[1])))).toContain(trace.traceEvents[0].pid);
  });
});
