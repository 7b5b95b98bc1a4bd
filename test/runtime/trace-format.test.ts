/**
 * The trace-format validator (test/helpers/trace-format.ts): it accepts what the real tracers write
 * and rejects each way a trace can break the format. The tracers' own tests run it on every trace
 * they produce; here it is shown able to fail, one broken rule at a time.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { RUNTIME_PYTHON } from "../helpers/pythons";
import { traceProblems } from "../helpers/trace-format";

const NODE_TRACER = fileURLToPath(new URL("../../runtime/node/corolint-trace.mjs", import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), "corolint-format-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const PYTHON_APP = `import asyncio, time

async def other():
    for _ in range(20):
        await asyncio.sleep(0.01)

async def main():
    task = asyncio.create_task(other())
    await asyncio.sleep(0.02)
    time.sleep(0.2)
    await task

asyncio.run(main())
`;

const NODE_APP = `setTimeout(() => {
  const end = Date.now() + 200;
  while (Date.now() < end);
}, 20);
`;

type Trace = { traceEvents: Record<string, any>[]; otherData: { corolint: Record<string, any> } };

function tracePython(mode: "light" | "steps"): Trace {
  const app = join(workDir, "app.py");
  writeFileSync(app, PYTHON_APP);
  const output = join(workDir, `python-${mode}.json`);
  const run = spawnSync("python3", ["-m", "corolint_trace", "--mode", mode, "-o", output, app], {
    env: { ...process.env, PYTHONPATH: RUNTIME_PYTHON, PYTHONDONTWRITEBYTECODE: "1" },
    encoding: "utf8",
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(readFileSync(output, "utf8")) as Trace;
}

function traceNode(): Trace {
  const app = join(workDir, "app.mjs");
  writeFileSync(app, NODE_APP);
  const output = join(workDir, "node.json");
  const run = spawnSync(process.execPath, ["--import", NODE_TRACER, app], {
    env: { ...process.env, COROLINT_TRACE_OUTPUT: output },
    encoding: "utf8",
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(readFileSync(output, "utf8")) as Trace;
}

const blockedSpans = (trace: Trace) => trace.traceEvents.filter((event) => event.ph === "X" && event.cat === "corolint.blocked");

describe("the traces the tracers write", () => {
  it.each(["light", "steps"] as const)("Python, %s mode: valid, with the blocked span", (mode) => {
    const trace = tracePython(mode);
    expect(traceProblems(trace)).toEqual([]);
    expect(blockedSpans(trace).length).toBeGreaterThanOrEqual(1);
  });

  it("Node, light mode: valid, with the blocked span", () => {
    const trace = traceNode();
    expect(traceProblems(trace)).toEqual([]);
    expect(blockedSpans(trace).length).toBeGreaterThanOrEqual(1);
  });
});

describe("each broken rule is reported", () => {
  let steps: Trace;
  beforeAll(() => {
    steps = tracePython("steps");
  });

  /** A deep copy of the steps trace, broken by `change`. */
  function broken(change: (trace: Trace) => void): Trace {
    const copy = JSON.parse(JSON.stringify(steps)) as Trace;
    change(copy);
    return copy;
  }
  const first = (trace: Trace, test: (event: Record<string, any>) => boolean) => {
    const found = trace.traceEvents.find(test);
    expect(found, "the real trace has the event this case breaks").toBeDefined();
    return found!;
  };
  const taskLane = (trace: Trace) => first(trace, (event) => event.ph === "f").tid as number;

  const cases: [string, (trace: Trace) => void, RegExp][] = [
    ["the array form", (trace) => Object.assign(trace, { otherData: undefined }), /otherData\.corolint is missing/],
    ["an unknown mode", (trace) => (trace.otherData.corolint["mode"] = "fast"), /mode is "fast"/],
    ["a string pid", (trace) => (first(trace, (event) => event.ph === "X").pid = "1"), /pid is not an integer/],
    ["an unknown phase", (trace) => trace.traceEvents.push({ ph: "B", pid: 1, tid: 1, name: "x", ts: 0 }), /phase "B"/],
    ["a negative duration", (trace) => (first(trace, (event) => event.ph === "X").dur = -1), /dur is not a duration/],
    ["a span of another category", (trace) => (first(trace, (event) => event.cat === "corolint.step").cat = "misc"), /span category "misc"/],
    [
      "a task lane without its name",
      (trace) => {
        const tid = taskLane(trace);
        trace.traceEvents = trace.traceEvents.filter((event) => !(event.ph === "M" && event.name === "thread_name" && event.tid === tid));
      },
      /has no thread_name/,
    ],
    [
      "a lane without its sort index",
      (trace) => {
        const tid = taskLane(trace);
        trace.traceEvents = trace.traceEvents.filter((event) => !(event.ph === "M" && event.name === "thread_sort_index" && event.tid === tid));
      },
      /has no thread_sort_index/,
    ],
    ["a blocked span without its line", (trace) => delete first(trace, (event) => event.cat === "corolint.blocked").args.line, /args\.file without a line number/],
    ["a blocked span without its stack", (trace) => (first(trace, (event) => event.cat === "corolint.blocked").args.stack = "here"), /args\.stack is not a list/],
    ["a spawn that never lands", (trace) => (trace.traceEvents = trace.traceEvents.filter((event) => event.ph !== "f")), /starts but never ends/],
    ["a flow end not bound to the enclosing slice", (trace) => delete first(trace, (event) => event.ph === "f").bp, /without bp "e"/],
    ["a flow that ends before it starts", (trace) => (first(trace, (event) => event.ph === "f").ts = 0), /ends before it starts/],
    ["fewer blocked spans counted than written", (trace) => (trace.otherData.corolint["blocked"] = 0), /blocked is 0 but the trace holds/],
    ["a blocker row without a count", (trace) => (trace.otherData.corolint["topBlockers"][0].count = 0), /count is not a positive integer/],
  ];

  it.each(cases)("%s", (_name, change, expected) => {
    expect(traceProblems(steps)).toEqual([]);
    const problems = traceProblems(broken(change));
    expect(problems.some((problem) => expected.test(problem)), problems.join("\n")).toBe(true);
  });
});
