/**
 * The Python tracer's steps mode (`python -m corolint_trace --mode steps`), run for real: one lane
 * per asyncio task, its steps, blocked steps, and creator → created flow arrows. Every interpreter
 * found is tested (the same discovery as python-light.test.ts); an absent one is skipped.
 * No assertion here is about speed: runtime/python/bench_overhead.py --mode steps measures it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

import { interpreters, missingModule, runPython, writeScript, type PythonRun } from "../helpers/pythons";
import { readSchedulerTrace } from "../helpers/scheduler-trace";

const workDir = mkdtempSync(join(tmpdir(), "corolint-steps-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const script = (source: string) => writeScript(workDir, source);

type StepsHook = "wrapper" | "monitoring";

/**
 * Calls `spawnIt` with COROLINT_TRACE_STEPS_HOOK set to `hook` (unset without one), for that one
 * process: runPython copies process.env when it spawns, before it returns.
 */
function withStepsHook<T>(hook: StepsHook | undefined, spawnIt: () => T): T {
  const before = process.env.COROLINT_TRACE_STEPS_HOOK;
  if (hook) process.env.COROLINT_TRACE_STEPS_HOOK = hook;
  else delete process.env.COROLINT_TRACE_STEPS_HOOK;
  try {
    return spawnIt();
  } finally {
    if (before === undefined) delete process.env.COROLINT_TRACE_STEPS_HOOK;
    else process.env.COROLINT_TRACE_STEPS_HOOK = before;
  }
}

/** Runs `python ARGS`, under `-m corolint_trace TRACER_ARGS` when those are given. */
function run(python: string, cwd: string, args: string[], tracerArgs: string[] | null, hook?: StepsHook): Promise<PythonRun> {
  return withStepsHook(hook, () => runPython(python, cwd, args, { traced: tracerArgs !== null, tracerArgs: tracerArgs ?? [] }));
}

/** True when the interpreter has sys.monitoring (3.12+): steps are then timed with it by default. */
function hasSysMonitoring(python: string | null): boolean {
  if (python === null) return false;
  const result = spawnSync(python, ["-c", "import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)"]);
  return result.status === 0;
}

/** Reads a steps-mode trace with the checks every scheduler tracer's test applies. */
function readTrace(path: string) {
  const trace = readSchedulerTrace(path, { mode: "steps", mainLane: "event loop" });
  expect(trace.corolint.thresholdMs).toEqual(expect.any(Number));
  const { events, corolint, laneName, onTasks, blocked, flows } = trace;
  return { events, corolint, laneName, onTasks, blocked, flows, loopTid: trace.mainTid };
}

const TWO_TASKS = `import asyncio
import sys
import time


async def worker_a():
    await asyncio.sleep(0.02)
    time.sleep(0.2)  # HERE
    await asyncio.sleep(0.02)


async def worker_b():
    asyncio.current_task().set_name("renamed-b")
    for _ in range(5):
        await asyncio.sleep(0.01)


async def main():
    a = asyncio.create_task(worker_a(), name="worker-a")
    b = asyncio.ensure_future(worker_b())
    await asyncio.gather(a, b)
    print("argv", sys.argv[1:])


asyncio.run(main())
`;

const OWN_FACTORY = `import asyncio
import sys


def factory(loop, coro, **kwargs):
    print("factory", coro.__qualname__, flush=True)
    return asyncio.Task(coro, loop=loop, **kwargs)


async def child(n):
    await asyncio.sleep(0.01)
    return n


async def main():
    asyncio.get_running_loop().set_task_factory(factory)
    assert asyncio.get_running_loop().get_task_factory() is factory
    task = asyncio.create_task(child(1), name="kid")
    print("name", task.get_name(), task.get_coro().__qualname__, flush=True)
    print(await task, await asyncio.gather(child(2), child(3)), flush=True)
    if sys.version_info >= (3, 12):
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        print("eager", await asyncio.create_task(child(4), name="eager-kid"), flush=True)
    asyncio.get_running_loop().set_task_factory(None)


asyncio.run(main())
`;

const EXIT_3 = `import asyncio
import sys


async def main():
    await asyncio.sleep(0)
    print("to stdout")
    print("to stderr", file=sys.stderr)
    sys.exit(3)


asyncio.run(main())
`;

const MANY_STEPS = `import asyncio


async def spin(n):
    for _ in range(n):
        await asyncio.sleep(0)


async def main():
    await asyncio.gather(spin(2000), spin(2000))
    print("spun")


asyncio.run(main())
`;

/** The checks of a TWO_TASKS trace: lanes, the blocked step blamed on the time.sleep line, spawns. */
function expectTwoTasksTrace(dir: string, name: string, line: number) {
  const trace = readTrace(join(dir, "out.json"));
  const { corolint, laneName, onTasks, blocked, flows, loopTid } = trace;

  // Lanes: the event loop first, then the tasks in creation order, named as the program named
  // them (also a name set from inside the task, and asyncio.run's main task is "Task-1").
  const names = [...laneName.values()];
  expect(names.slice(0, 4)).toEqual(["event loop", "Task-1", "worker-a", "renamed-b"]);
  expect(names).not.toContain("None");

  // The 200 ms step is blocked, on worker-a's lane, blamed on the time.sleep line.
  expect(blocked).toHaveLength(1);
  const [span] = blocked;
  expect(laneName.get(span.tid)).toBe("worker-a");
  expect(span.dur).toBeGreaterThanOrEqual(150_000);
  expect(resolve(dir, span.args!.file)).toBe(join(dir, name));
  expect(span.args).toMatchObject({ line, function: "worker_a" });
  expect(span.args!.stack[0]).toBe(`${span.args!.file}:${line} worker_a`);
  expect(corolint.topBlockers).toEqual([
    { file: span.args!.file, line, function: "worker_a", totalMs: expect.any(Number), count: 1 },
  ]);
  // ...and the blocked step itself, which suspended at the next await.
  const step = onTasks.find((event) => event.ts === span.ts && event.tid === span.tid);
  expect(step?.dur).toBe(span.dur);
  expect(step?.args).toEqual({ task: "worker-a", suspendedAt: `${span.args!.file}:${line + 1}` });
  // The event loop lane has no second blocked span for the same block.
  expect(blocked.filter((event) => event.tid === loopTid)).toEqual([]);

  // The first step of each worker suspends in the worker's own code.
  const firstA = onTasks.find((event) => laneName.get(event.tid) === "worker-a");
  expect(firstA?.args?.suspendedAt).toBe(`${span.args!.file}:${line - 1}`);

  // main spawned both workers.
  expect(flows).toEqual(
    expect.arrayContaining([
      { from: "Task-1", to: "worker-a" },
      { from: "Task-1", to: "renamed-b" },
    ]),
  );
  // main 2 steps, worker-a 3, renamed-b 6, and asyncio.run's own tasks (1 or 2).
  expect(corolint.tasks).toBeGreaterThanOrEqual(3);
  expect(corolint.steps).toBeGreaterThanOrEqual(12);
  expect(corolint.steps).toBeGreaterThanOrEqual(onTasks.length);
  expect(corolint.end).toEqual({ reason: "exit" });
  return trace;
}

/** A debugger-like tool of the program's own on DEBUGGER_ID, with global events, counting its calls. */
const OWN_DEBUGGER = `import asyncio
import os
import sys
import time

monitoring = sys.monitoring
DEBUGGER = monitoring.DEBUGGER_ID
counts = {}


def count(code, key):
    if os.path.basename(code.co_filename) == "app.py":
        counts[key] = counts.get(key, 0) + 1


def on_start(code, offset):
    count(code, code.co_name)


def on_resume(code, offset):
    count(code, code.co_name + " resumed")


monitoring.use_tool_id(DEBUGGER, "app-debugger")
monitoring.register_callback(DEBUGGER, monitoring.events.PY_START, on_start)
monitoring.register_callback(DEBUGGER, monitoring.events.PY_RESUME, on_resume)
monitoring.set_events(DEBUGGER, monitoring.events.PY_START | monitoring.events.PY_RESUME)


def helper(n):
    return n + 1


async def spin(n):
    for i in range(n):
        helper(i)
        await asyncio.sleep(0)


async def blocker():
    await asyncio.sleep(0)
    time.sleep(0.2)  # HERE
    await spin(3)  # awaited here, not a task of its own


async def main():
    task = asyncio.create_task(blocker(), name="blocker")
    await asyncio.gather(spin(5), spin(7), task)


asyncio.run(main())
monitoring.set_events(DEBUGGER, 0)
print(sorted(counts.items()))
print("tool", monitoring.get_tool(DEBUGGER))
`;

const TOOL_IDS_TAKEN = `import asyncio
import sys

monitoring = sys.monitoring
monitoring.use_tool_id(3, "app-three")
monitoring.use_tool_id(4, "app-four")
print("tools", monitoring.get_tool(3), monitoring.get_tool(4))


async def spin():
    for _ in range(3):
        await asyncio.sleep(0)


async def main():
    await asyncio.create_task(spin(), name="spinner")
    print("spun")


asyncio.run(main())
`;

const STUCK = `import asyncio
import time


async def stuck():
    await asyncio.sleep(0)
    print("ready", flush=True)
    time.sleep(5)  # HERE


async def main():
    await asyncio.create_task(stuck(), name="stuck")


asyncio.run(main())
`;

/** Runs STUCK traced (steps mode, out.json) and sends SIGTERM once it is blocked. */
function runWithSignal(python: string, cwd: string, name: string, hook?: StepsHook): Promise<PythonRun> {
  const tracerArgs = ["--mode", "steps", "--threshold-ms", "120", "-o", "out.json"];
  return withStepsHook(hook, () => runPython(python, cwd, [name], { traced: true, tracerArgs, signal: "SIGTERM" }));
}

for (const { label, command } of interpreters) {
  const python = command ?? "python3";
  const monitoringByDefault = hasSysMonitoring(command);
  describe(`Python steps mode, ${label}`, () => {
    it.skipIf(command === null)("gives each task a lane, blames the blocked step on its lane and line, links spawns", async () => {
      const { dir, name, line } = script(TWO_TASKS);
      const result = await run(python, dir, [name, "x"], ["--mode", "steps", "--threshold-ms", "120", "-o", "out.json"]);
      expect(result).toMatchObject({ code: 0, stdout: "argv ['x']\n", stderr: "" });
      const { corolint } = expectTwoTasksTrace(dir, name, line);
      // 3.12+: sys.monitoring, under tool id 4 (free here); before: the coroutine wrapper.
      if (monitoringByDefault) {
        expect(corolint).toMatchObject({ stepsHook: "sys.monitoring", stepsToolId: 4 });
        expect(corolint.stepsHookNote).toBeUndefined();
      } else {
        expect(corolint.stepsHook).toBe("wrapper");
        expect(corolint.stepsToolId).toBeUndefined();
      }
    });

    it.skipIf(!monitoringByDefault)("3.12+: COROLINT_TRACE_STEPS_HOOK=wrapper still gives the same trace, with the wrapper", async () => {
      const { dir, name, line } = script(TWO_TASKS);
      const result = await run(python, dir, [name, "x"], ["--mode", "steps", "--threshold-ms", "120", "-o", "out.json"], "wrapper");
      expect(result).toMatchObject({ code: 0, stdout: "argv ['x']\n", stderr: "" });
      const { corolint } = expectTwoTasksTrace(dir, name, line);
      expect(corolint).toMatchObject({ stepsHook: "wrapper", stepsHookNote: "COROLINT_TRACE_STEPS_HOOK=wrapper" });
      expect(corolint.stepsToolId).toBeUndefined();
    });

    it.skipIf(!monitoringByDefault)("3.12+: a program's own sys.monitoring tool (DEBUGGER_ID, global events) counts the same traced", async () => {
      const { dir, name, line } = script(OWN_DEBUGGER);
      const untraced = await run(python, dir, [name], null);
      expect(untraced.code).toBe(0);
      expect(untraced.stderr).toBe("");
      // Its PY_START callback saw each of its calls: 15 helper calls, 3 spins (2 tasks, 1 awaited).
      expect(untraced.stdout).toContain("('helper', 15)");
      expect(untraced.stdout).toContain("('spin', 3)");
      expect(untraced.stdout).toContain("tool app-debugger\n");

      const traced = await run(python, dir, [name], ["--mode", "steps", "--threshold-ms", "120", "-o", "out.json"]);
      expect(traced).toEqual(untraced);
      const { corolint, laneName, blocked } = readTrace(join(dir, "out.json"));
      expect(corolint).toMatchObject({ stepsHook: "sys.monitoring", stepsToolId: 4 });
      // The blocked step is still blamed on the time.sleep line, on the blocker task's lane.
      expect(blocked).toHaveLength(1);
      expect(laneName.get(blocked[0].tid)).toBe("blocker");
      expect(blocked[0].args).toMatchObject({ line, function: "blocker" });
      expect(blocked[0].dur).toBeGreaterThanOrEqual(150_000);

      // The spin awaited inside blocker (not a task) adds no steps: the wrapper counts the same.
      const wrapped = await run(python, dir, [name], ["--mode", "steps", "-o", "wrapped.json"], "wrapper");
      expect(wrapped).toEqual(untraced);
      const byWrapper = readTrace(join(dir, "wrapped.json")).corolint;
      expect(byWrapper.stepsHook).toBe("wrapper");
      expect(corolint.steps).toBe(byWrapper.steps);
      expect(corolint.tasks).toBe(byWrapper.tasks);
      // main 2 steps, spin(5) 6, spin(7) 8, blocker 5 (it suspends in sleep(0) and 3 times in
      // spin(3)), and asyncio.run's own tasks.
      expect(corolint.steps).toBeGreaterThanOrEqual(2 + 6 + 8 + 5);
    });

    it.skipIf(!monitoringByDefault)("3.12+: falls back to the wrapper, and says why, when tool ids 4 and 3 are taken", async () => {
      const { dir, name } = script(TOOL_IDS_TAKEN);
      const untraced = await run(python, dir, [name], null);
      expect(untraced).toMatchObject({ code: 0, stdout: "tools app-three app-four\nspun\n", stderr: "" });
      const traced = await run(python, dir, [name], ["--mode", "steps", "--threshold-ms", "120", "-o", "out.json"]);
      expect(traced).toEqual(untraced);
      const { corolint, laneName } = readTrace(join(dir, "out.json"));
      expect(corolint.stepsHook).toBe("wrapper");
      expect(corolint.stepsHookNote).toBe("sys.monitoring tool ids taken (3 by app-three, 4 by app-four): used the wrapper");
      expect([...laneName.values()]).toContain("spinner");
    });

    it.skipIf(command === null)("records the step still running at SIGTERM as unfinished, blamed on its line", async () => {
      const hooks: Array<StepsHook | undefined> = monitoringByDefault ? [undefined, "wrapper"] : [undefined];
      for (const hook of hooks) {
        const { dir, name, line } = script(STUCK);
        const result = await runWithSignal(python, dir, name, hook);
        expect(result).toMatchObject({ code: null, signal: "SIGTERM", stdout: "ready\n" });
        const { corolint, laneName, onTasks, blocked } = readTrace(join(dir, "out.json"));
        expect(corolint.stepsHook).toBe(hook === "wrapper" || !monitoringByDefault ? "wrapper" : "sys.monitoring");
        expect(corolint.end).toEqual({ reason: "signal", signal: "SIGTERM" });
        expect(blocked).toHaveLength(1);
        expect(laneName.get(blocked[0].tid)).toBe("stuck");
        expect(blocked[0].args).toMatchObject({ line, function: "stuck", unfinished: true });
        expect(blocked[0].dur).toBeGreaterThanOrEqual(300_000);
        const last = onTasks.filter((event) => laneName.get(event.tid) === "stuck").pop();
        expect(last?.args).toEqual({ task: "stuck", suspendedAt: null, unfinished: true });
        expect(last?.ts).toBe(blocked[0].ts);
      }
    });

    it.skipIf(command === null)("keeps the program's own task factory working (eager ones too) and still traces", async () => {
      const { dir, name } = script(OWN_FACTORY);
      const untraced = await run(python, dir, [name], null);
      const traced = await run(python, dir, [name], ["--mode", "steps"]);
      expect(untraced.code).toBe(0);
      expect(untraced.stdout).toContain("factory child\nname kid child\n");
      expect(traced).toEqual(untraced);
      const { laneName, flows } = readTrace(join(dir, "corolint-trace.json"));
      const names = [...laneName.values()];
      expect(names).toContain("kid");
      expect(flows).toContainEqual({ from: "Task-1", to: "kid" });
      if (untraced.stdout.includes("eager 4")) {
        expect(names).toContain("eager-kid");
        expect(flows).toContainEqual({ from: "Task-1", to: "eager-kid" });
      }
    });

    it.skipIf(command === null)("passes stdout, stderr and the exit code through (sys.exit(3))", async () => {
      const { dir, name } = script(EXIT_3);
      const untraced = await run(python, dir, [name], null);
      const traced = await run(python, dir, [name], ["--mode", "steps"]);
      expect(untraced).toMatchObject({ code: 3, stdout: "to stdout\n", stderr: "to stderr\n" });
      expect(traced).toEqual(untraced);
      expect(readTrace(join(dir, "corolint-trace.json")).corolint.end).toEqual({ reason: "exit", code: 3 });
    });

    it.skipIf(command === null)("keeps a sample of short steps and counts the rest", async () => {
      const { dir, name } = script(MANY_STEPS);
      const result = await run(python, dir, [name], ["--mode=steps"]);
      expect(result).toMatchObject({ code: 0, stdout: "spun\n", stderr: "" });
      const { corolint, onTasks } = readTrace(join(dir, "corolint-trace.json"));
      expect(corolint.steps).toBeGreaterThanOrEqual(4000);
      expect(corolint.sampledOut).toBeGreaterThan(0);
      expect(onTasks.length + corolint.sampledOut).toBe(corolint.steps);
    });
  });
}

// uvloop's Loop is not an asyncio.BaseEventLoop: its create_task is wrapped when uvloop is imported.
const DEBIAN_PYTHON = "/usr/bin/python3";
const hasUvloop = missingModule(DEBIAN_PYTHON, "uvloop", "python3-uvloop") === null;

describe("Python steps mode, uvloop", () => {
  it.skipIf(!hasUvloop)("gives each task on uvloop's loop a lane, with the blocked step and the spawns", async () => {
    const source = TWO_TASKS.replace("import asyncio\n", "import asyncio\nimport uvloop\n").replace(
      "asyncio.run(main())",
      "uvloop.install()\nasyncio.run(main())",
    );
    const { dir, name, line } = script(source);
    const result = await run(DEBIAN_PYTHON, dir, [name, "x"], ["--mode", "steps", "--threshold-ms", "120", "-o", "out.json"]);
    expect(result).toMatchObject({ code: 0, stdout: "argv ['x']\n", stderr: "" });
    expectTwoTasksTrace(dir, name, line);
  });
});

describe("Python steps mode, command line", () => {
  const python = interpreters[0].command;

  it.skipIf(python === null)("rejects an unknown mode with status 2 and runs nothing", async () => {
    const { dir, name } = script(EXIT_3);
    const result = await run(python ?? "python3", dir, [name], ["--mode", "heavy"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("--mode must be light or steps");
    expect(existsSync(join(dir, "corolint-trace.json"))).toBe(false);
  });
});
