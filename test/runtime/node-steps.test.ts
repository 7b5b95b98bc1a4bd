/**
 * The Node tracer's steps mode (runtime/node/steps.mjs), run as a real preload
 * (`node --import corolint-trace.mjs` with COROLINT_TRACE_MODE=steps) on small programs: a lane per
 * async task, its steps, spawn arrows, the blocked step on the lane of the task that blocked, the
 * program unchanged; and once through `corolint trace --mode steps` (cli/trace-command.ts, from
 * sources). No timing thresholds on overhead here: see runtime/node/bench-overhead.mjs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runTrace } from "../../cli/trace-command";
import { runNode as runTracedNode, scratchProjects, type NodeRun } from "../helpers/node-tracer";
import { traceProblems } from "../helpers/trace-format";

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  cat?: string;
  id?: number;
  bp?: string;
  args: Record<string, unknown>;
}

interface Trace {
  traceEvents: TraceEvent[];
  otherData: { corolint: Record<string, unknown> & { mode: string; blocked: number; lanes: number; steps: number; sampledOut: number } };
}

const project = scratchProjects("corolint-node-steps-");

/** Runs `node [--import tracer] file` in `cwd`, the tracer in steps mode. */
function runNode(cwd: string, file: string, options: { traced?: boolean; env?: Record<string, string> } = {}): Promise<NodeRun> {
  return runTracedNode(cwd, file, { traced: options.traced, env: { COROLINT_TRACE_MODE: "steps", ...options.env } });
}

/** Reads a steps trace and checks its structure; returns it with its lanes by tid. */
function readTrace(path: string): { trace: Trace; lanes: Map<number, string> } {
  expect(existsSync(path), `${path} was not written`).toBe(true);
  const trace = JSON.parse(readFileSync(path, "utf8")) as Trace;
  expect(traceProblems(trace)).toEqual([]); // the rules every corolint trace follows
  const events = trace.traceEvents;
  const lanes = new Map<number, string>();
  const sorted = new Set<number>();
  for (const event of events) {
    expect(Number.isInteger(event.pid), JSON.stringify(event)).toBe(true);
    expect(Number.isInteger(event.tid), JSON.stringify(event)).toBe(true);
    expect(["M", "X", "s", "f"]).toContain(event.ph);
    expect(event.ts).toBeGreaterThanOrEqual(0);
    if (event.ph === "M" && event.name === "thread_name") {
      expect(lanes.has(event.tid), `two names for tid ${event.tid}`).toBe(false);
      lanes.set(event.tid, event.args["name"] as string);
    }
    if (event.ph === "M" && event.name === "thread_sort_index") sorted.add(event.tid);
    if (event.ph === "X") {
      expect(["corolint.step", "corolint.blocked"]).toContain(event.cat);
      expect(event.dur).toBeGreaterThanOrEqual(0);
    }
  }
  // Every lane with events has a name and a sort index.
  for (const event of events) if (event.ph !== "M") expect(lanes.has(event.tid), JSON.stringify(event)).toBe(true);
  expect([...sorted].sort()).toEqual([...lanes.keys()].sort());
  const loop = events.find((event) => event.name === "thread_name" && event.args["name"] === "event loop");
  expect(loop?.tid).toBe(loop?.pid);
  // Every flow start has its end, bound to the enclosing slice.
  const starts = events.filter((event) => event.ph === "s");
  const ends = events.filter((event) => event.ph === "f");
  expect(starts.length).toBe(ends.length);
  for (const start of starts) {
    expect(start.cat).toBe("corolint.spawn");
    const end = ends.find((event) => event.id === start.id);
    expect(end, `flow ${start.id} has no end`).toBeDefined();
    expect(end!.bp).toBe("e");
    expect(end!.cat).toBe("corolint.spawn");
    expect(end!.ts).toBeGreaterThanOrEqual(start.ts);
    // Both ends fall inside a step of their lane (Perfetto binds a flow to the slice around it).
    for (const point of [start, end!]) {
      const around = events.find((e) => e.cat === "corolint.step" && e.tid === point.tid && e.ts <= point.ts && point.ts <= e.ts + e.dur!);
      expect(around, `no step around ${JSON.stringify(point)}`).toBeDefined();
    }
  }
  expect(trace.otherData.corolint.mode).toBe("steps");
  expect(trace.otherData.corolint.blocked).toBe(events.filter((event) => event.cat === "corolint.blocked").length);
  return { trace, lanes };
}

function lineOf(source: string, text: string): number {
  const index = source.split("\n").findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`no line with ${text}`);
  return index + 1;
}

const steps = (trace: Trace, tid?: number): TraceEvent[] =>
  trace.traceEvents.filter((event) => event.cat === "corolint.step" && (tid === undefined || event.tid === tid));
const tidOf = (lanes: Map<number, string>, name: string): number => {
  const found = [...lanes].find(([, lane]) => lane === name);
  if (!found) throw new Error(`no lane ${name} in ${JSON.stringify([...lanes.values()])}`);
  return found[0];
};

const WORKERS = [
  "const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));",
  "function spin(ms) {",
  "  const end = Date.now() + ms;",
  "  while (Date.now() < end) {}",
  "}",
  "async function worker(name) {",
  "  for (let i = 0; i < 30; i++) {",
  "    await sleep(5); // worker waits",
  "    await null;",
  "  }",
  "  console.log('done', name);",
  "}",
  "async function blocker() {",
  "  await sleep(40);",
  "  spin(300); // HERE",
  "  await sleep(5);",
  "  console.log('blocker done');",
  "}",
  "setTimeout(worker, 1, 'a');",
  "setTimeout(worker, 1, 'b');",
  "setTimeout(blocker, 1);",
  "setTimeout(() => {}, 2); // does nothing: not a task of its own",
  "",
].join("\n");

describe("node steps tracer: lanes, steps, arrows, blocked steps", () => {
  it("three timer-started tasks: a lane each, the 300 ms block on the blocker's lane and nowhere else", async () => {
    const dir = project({ "app.mjs": WORKERS });
    const plain = await runNode(dir, "app.mjs", { traced: false });
    const run = await runNode(dir, "app.mjs");
    expect(plain).toMatchObject({ code: 0, stdout: "blocker done\ndone a\ndone b\n", stderr: "" });
    expect(run).toEqual(plain);
    const { trace, lanes } = readTrace(join(dir, "corolint-trace.json"));

    // Lanes: the event loop, main, and one per task, named by type, creation line and callback.
    const loop = tidOf(lanes, "event loop");
    const main = tidOf(lanes, "main app.mjs");
    const workerA = tidOf(lanes, `Timeout app.mjs:${lineOf(WORKERS, "'a'")} worker`);
    const workerB = tidOf(lanes, `Timeout app.mjs:${lineOf(WORKERS, "'b'")} worker`);
    const blocker = tidOf(lanes, `Timeout app.mjs:${lineOf(WORKERS, "setTimeout(blocker")} blocker`);
    expect(lanes.size).toBe(5); // the empty callback was folded into main
    expect(trace.otherData.corolint).toMatchObject({ lanes: 4, foldedTasks: 0, droppedSteps: 0 });

    // The blocked step: on the blocker's lane, ≥ 200 ms, blamed on the busy loop called at # HERE.
    // (Shorter spans can come from a busy test machine starving the process.)
    const blocked = trace.traceEvents.filter((event) => event.cat === "corolint.blocked" && event.dur! >= 200_000);
    expect(blocked).toHaveLength(1);
    const [span] = blocked;
    // The heartbeat's span of the same block is not recorded again on the event loop lane.
    const overlapping = trace.traceEvents.filter(
      (event) => event.cat === "corolint.blocked" && event !== span && event.ts < span!.ts + span!.dur! && event.ts + event.dur! > span!.ts,
    );
    expect(overlapping).toEqual([]);
    expect(span!.tid).toBe(blocker);
    expect(span!.dur).toBeGreaterThanOrEqual(200_000);
    expect(span!.args).toMatchObject({ file: join(dir, "app.mjs"), function: "spin" });
    expect((span!.args["stack"] as string[])[1]).toBe(`${join(dir, "app.mjs")}:${lineOf(WORKERS, "// HERE")} blocker`);
    // Its step, on the lane and on the event loop lane.
    const blockedStep = steps(trace, blocker).find((step) => step.dur! >= 200_000);
    expect(blockedStep).toBeDefined();
    expect(steps(trace, loop).some((step) => step.ts === blockedStep!.ts && step.dur === blockedStep!.dur)).toBe(true);
    // No other task ran a step during the block.
    const during = (step: TraceEvent): boolean => step.ts < span!.ts + span!.dur! && step.ts + step.dur! > span!.ts;
    for (const tid of [main, workerA, workerB]) expect(steps(trace, tid).filter(during)).toEqual([]);

    // Steps: every await of a worker is a step (30 × 2 and more); a sample of them is kept, first and last included.
    for (const tid of [workerA, workerB]) {
      const kept = steps(trace, tid);
      expect(kept.length).toBeGreaterThanOrEqual(3);
      expect(kept[0]!.args["task"]).toBe(lanes.get(tid));
      expect(kept[0]!.args["suspendedAt"]).toBe(`${join(dir, "app.mjs")}:${lineOf(WORKERS, "worker waits")}`);
    }
    const corolint = trace.otherData.corolint;
    expect(corolint.steps).toBeGreaterThanOrEqual(120);
    expect(corolint.sampledOut).toBeGreaterThan(0);
    expect(steps(trace).length / 2 + corolint.sampledOut).toBe(corolint.steps);

    // Arrows: from main (where the timers were set) to each task's first step.
    const flows = trace.traceEvents.filter((event) => event.ph === "s");
    expect(flows).toHaveLength(3);
    for (const tid of [workerA, workerB, blocker]) {
      const end = trace.traceEvents.find((event) => event.ph === "f" && event.tid === tid)!;
      expect(end.ts).toBe(steps(trace, tid)[0]!.ts);
      expect(trace.traceEvents.find((event) => event.ph === "s" && event.id === end.id)!.tid).toBe(main);
    }
  });

  it("a readFileSync of a big file in a task: the blocked step is blamed on that line", async () => {
    const source = [
      "import { readFileSync, writeFileSync } from 'node:fs';",
      "writeFileSync('big.bin', Buffer.alloc(64 * 1024 * 1024, 7));",
      "async function load() {",
      "  await new Promise((resolve) => setTimeout(resolve, 5));",
      "  let total = 0;",
      "  for (let i = 0; i < 8; i++) total += readFileSync('big.bin').length; // HERE",
      "  console.log(total);",
      "}",
      "setTimeout(load, 1);",
      "",
    ].join("\n");
    const dir = project({ "app.mjs": source });
    // A threshold well below the reads (≥ 8 × 64 MB) and above a scheduling hiccup.
    const run = await runNode(dir, "app.mjs", { env: { COROLINT_TRACE_THRESHOLD_MS: "100" } });
    expect(run).toMatchObject({ code: 0, stdout: `${8 * 64 * 1024 * 1024}\n`, stderr: "" });
    const { trace, lanes } = readTrace(join(dir, "corolint-trace.json"));
    const blocked = trace.traceEvents.filter((event) => event.cat === "corolint.blocked");
    const long = blocked.filter((span) => span.args["line"] === lineOf(source, "// HERE"));
    expect(long).toHaveLength(1);
    expect(lanes.get(long[0]!.tid)).toBe(`Timeout app.mjs:${lineOf(source, "setTimeout(load")} load`);
    expect(long[0]!.args).toMatchObject({ file: join(dir, "app.mjs"), function: "load" });
  });

  it("an HTTP server: a lane per connection, the requests' steps on it", async () => {
    const source = [
      "import { createServer, get } from 'node:http';",
      "const server = createServer((req, res) => res.end('ok ' + req.url));",
      "server.listen(0, '127.0.0.1', async () => {",
      "  const port = server.address().port;",
      "  const fetchText = (path) => new Promise((resolve) => get({ port, path, agent: false }, (res) => {",
      "    let body = '';",
      "    res.on('data', (chunk) => (body += chunk)).on('end', () => resolve(body));",
      "  }));",
      "  console.log(await Promise.all(['/a', '/b', '/c'].map(fetchText)));",
      "  server.close();",
      "});",
      "",
    ].join("\n");
    const dir = project({ "app.mjs": source });
    const run = await runNode(dir, "app.mjs");
    expect(run).toMatchObject({ code: 0, stdout: "[ 'ok /a', 'ok /b', 'ok /c' ]\n", stderr: "" });
    const { trace, lanes } = readTrace(join(dir, "corolint-trace.json"));
    const connections = [...lanes].filter(([, name]) => name.startsWith("connection TCPSERVERWRAP"));
    expect(connections).toHaveLength(3);
    for (const [tid] of connections) expect(steps(trace, tid).length).toBeGreaterThanOrEqual(1);
    expect([...lanes.values()]).toContain("TCPSERVERWRAP");
  });
});

describe("node steps tracer: the program does not notice", () => {
  it("an uncaught exception in a task: same output and exit code, and a valid trace", async () => {
    const source = [
      "function spin(ms) {",
      "  const end = Date.now() + ms;",
      "  while (Date.now() < end) {}",
      "}",
      "setTimeout(() => {",
      "  Promise.resolve().then(() => {",
      "    spin(120);",
      "    throw new Error('boom');",
      "  });",
      "}, 5);",
      "setTimeout(() => console.log('never'), 5_000);",
      "",
    ].join("\n");
    const dir = project({ "app.cjs": source });
    const plain = await runNode(dir, "app.cjs", { traced: false });
    const run = await runNode(dir, "app.cjs");
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain("Error: boom");
    expect(run).toEqual(plain);
    const { trace, lanes } = readTrace(join(dir, "corolint-trace.json"));
    const blocked = trace.traceEvents.filter((event) => event.cat === "corolint.blocked" && event.args["function"] === "spin");
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.args).toMatchObject({ file: join(dir, "app.cjs"), line: 3 });
    expect(lanes.get(blocked[0]!.tid)).toBe(`Timeout app.cjs:${lineOf(source, "setTimeout(() => {")}`);
  });

  it("process.exit() inside a step: the step is recorded unfinished, the exit code kept", async () => {
    const source = [
      "setTimeout(async () => {",
      "  await null;",
      "  const end = Date.now() + 150;",
      "  while (Date.now() < end) {}",
      "  process.exit(7);",
      "}, 1);",
      "",
    ].join("\n");
    const dir = project({ "app.mjs": source });
    const run = await runNode(dir, "app.mjs");
    expect(run).toMatchObject({ code: 7, stdout: "", stderr: "" });
    const { trace, lanes } = readTrace(join(dir, "corolint-trace.json"));
    const tid = tidOf(lanes, "Timeout app.mjs:1");
    const last = steps(trace, tid).find((step) => step.args["unfinished"] === true);
    expect(last?.dur).toBeGreaterThanOrEqual(100_000);
    const blocked = trace.traceEvents.filter((event) => event.cat === "corolint.blocked" && event.tid === tid);
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatchObject({ args: { unfinished: true, file: join(dir, "app.mjs"), line: 4 } });
  });
});

describe("corolint trace --mode steps -- node", () => {
  it("runs the program with the tracer in steps mode and writes its lanes", { timeout: 60_000 }, async () => {
    // The program's output goes to a file: `corolint trace` hands the child this test's own stdout.
    const app = [
      "import { appendFileSync } from 'node:fs';",
      "const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));",
      "function spin(ms) {",
      "  const end = Date.now() + ms;",
      "  while (Date.now() < end) {}",
      "}",
      "async function worker() {",
      "  for (let i = 0; i < 10; i++) await sleep(5);",
      "  appendFileSync('out.txt', 'worker done\\n');",
      "}",
      "async function blocker() {",
      "  await sleep(20);",
      "  spin(300);",
      "  appendFileSync('out.txt', 'blocker done\\n');",
      "}",
      "setTimeout(worker, 1);",
      "setTimeout(blocker, 1);",
      "process.exitCode = 3;",
      "",
    ].join("\n");
    const dir = project({ "app.mjs": app });
    let stderr = "";
    const io = { stdout: process.stdout, stderr: { write: (text: string) => (stderr += text) }, cwd: dir, env: { ...process.env, NODE_OPTIONS: "" } };
    const code = await runTrace({ kind: "trace", mode: "steps", thresholdMs: 50, output: "steps.json", command: [process.execPath, "app.mjs"] }, io);
    expect(code).toBe(3);
    expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe("blocker done\nworker done\n");
    expect(stderr).toMatch(/trace written to steps\.json: the event loop was blocked \d+ times?.* the longest, \d+ ms, at .*app\.mjs:\d+ spin\n$/);
    const { trace, lanes } = readTrace(join(dir, "steps.json"));
    const blocked = trace.traceEvents.filter((event) => event.cat === "corolint.blocked" && event.dur! >= 200_000);
    expect(blocked).toHaveLength(1);
    expect(lanes.get(blocked[0]!.tid)).toBe(`Timeout app.mjs:${lineOf(app, "setTimeout(blocker")} blocker`);
  });
});
