/** `corolint trace` runs real programs under the tracers and reports what blocked their loops. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeProject, runCli } from "./helpers";
import { traceProblems } from "../helpers/trace-format";

interface Trace {
  traceEvents: { ph: string; name?: string; tid?: number; cat?: string; dur?: number; args?: { file?: string; line?: number; function?: string; name?: string } }[];
  otherData: { corolint: { mode: string; thresholdMs: number; blocked: number } };
}

const NODE_BLOCKING = [
  "function spin(ms) {",
  "  const end = Date.now() + ms;",
  "  while (Date.now() < end) {}",
  "}",
  "async function handler() {",
  "  await new Promise((resolve) => setTimeout(resolve, 10));",
  "  spin(200);",
  '  console.log("handled");',
  "}",
  "await handler();",
  "process.exitCode = 4;",
  "",
].join("\n");

describe("corolint trace -- node", () => {
  it("passes output and exit code through, writes the trace and names the blocking line", { timeout: 60_000 }, async () => {
    const dir = makeProject({ "app.mjs": NODE_BLOCKING });
    const { code, stdout, stderr } = await runCli(["trace", "--threshold", "0.12s", "-o", "out.json", "--", "node", "app.mjs"], dir);
    expect(code).toBe(4);
    expect(stdout).toBe("handled\n");
    expect(stderr).toMatch(/^corolint: trace written to out\.json: the event loop was blocked 1 time \(\d+ ms in all\); the longest, \d+ ms, at .*app\.mjs:[1-4] spin\n$/);
    const trace = JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as Trace;
    expect(traceProblems(trace)).toEqual([]);
    const blocked = trace.traceEvents.filter((event) => event.ph === "X" && event.cat === "corolint.blocked");
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.dur).toBeGreaterThanOrEqual(150_000);
    expect(blocked[0]!.args?.function).toBe("spin");
    expect(trace.otherData.corolint).toMatchObject({ mode: "light", thresholdMs: 120, blocked: 1 });
  });
});

const PYTHON_BLOCKING = [
  "import asyncio",
  "import time",
  "",
  "",
  "async def handler():",
  "    await asyncio.sleep(0.01)",
  "    time.sleep(0.2)",
  '    print("handled")',
  "",
  "",
  "asyncio.run(handler())",
  "raise SystemExit(3)",
  "",
].join("\n");

describe("corolint trace -- python", () => {
  it("passes output and exit code through and names the line of the blocking call", { timeout: 60_000 }, async () => {
    const dir = makeProject({ "app.py": PYTHON_BLOCKING });
    const { code, stdout, stderr } = await runCli(["trace", "--threshold-ms", "120", "-o", "py.json", "--", "python3", "app.py"], dir);
    expect(code).toBe(3);
    expect(stdout).toBe("handled\n");
    expect(stderr).toMatch(/^corolint: trace written to py\.json: the event loop was blocked 1 time \(\d+ ms in all\); the longest, \d+ ms, at .*app\.py:7 handler\n$/);
    const trace = JSON.parse(readFileSync(join(dir, "py.json"), "utf8")) as Trace;
    expect(traceProblems(trace)).toEqual([]);
    const blocked = trace.traceEvents.filter((event) => event.ph === "X" && event.cat === "corolint.blocked");
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.args).toMatchObject({ line: 7, function: "handler" });
  });
});

describe("corolint trace --mode steps -- python", () => {
  it("adds a lane per task, with the block on the lane of the task that blocked", { timeout: 60_000 }, async () => {
    const source = PYTHON_BLOCKING.replace("asyncio.run(handler())", 'async def main():\n    await asyncio.create_task(handler(), name="worker")\n\n\nasyncio.run(main())');
    const dir = makeProject({ "app.py": source });
    const { code, stdout } = await runCli(["trace", "--mode", "steps", "--threshold-ms", "120", "-o", "steps.json", "--", "python3", "app.py"], dir);
    expect(code).toBe(3);
    expect(stdout).toBe("handled\n");
    const trace = JSON.parse(readFileSync(join(dir, "steps.json"), "utf8")) as Trace;
    expect(traceProblems(trace)).toEqual([]);
    const lanes = new Map(trace.traceEvents.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => [e.tid, e.args?.name]));
    expect([...lanes.values()]).toEqual(expect.arrayContaining(["event loop", "worker"]));
    const blocked = trace.traceEvents.filter((event) => event.ph === "X" && event.cat === "corolint.blocked");
    expect(blocked).toHaveLength(1);
    expect(lanes.get(blocked[0]!.tid)).toBe("worker");
    expect(trace.otherData.corolint.mode).toBe("steps");
  });
});

describe("corolint trace usage", () => {
  it.each([
    [["trace"], /missing the command to trace/],
    [["trace", "--", "python3", "-E", "app.py"], /python -E makes Python ignore PYTHONPATH/],
    [["trace", "--threshold-ms", "0", "--", "node", "a.js"], /whole number of milliseconds/],
    [["trace", "--threshold", "fast", "--", "node", "a.js"], /--threshold expects a duration such as 50ms or 0\.2s, got 'fast'/],
    [["trace", "--threshold", "0ms", "--", "node", "a.js"], /--threshold expects a duration/],
    [["trace", "--mode", "fast", "--", "node", "a.js"], /--mode expects light or steps/],
    [["trace", "--", "python3", "-I", "app.py"], /python -I makes Python ignore PYTHONPATH/],
  ])("%j exits 2 with a message", async (args, message) => {
    const { code, stderr } = await runCli(args, makeProject({}));
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
