/**
 * The Python tracer on trio programs (runtime/python/corolint_trace/trio_tracer.py), run for real
 * under Debian's /usr/bin/python3 with its python3-trio: blocked spans in light mode (one check per
 * scheduler batch), one lane per trio task in steps mode, spawn arrows, and the program's streams,
 * exit status and signals left as they are. Skipped, saying why, when that interpreter cannot
 * import trio. No assertion here is about speed.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

import { runCli } from "../cli/helpers";
import { readSchedulerTrace, type TraceEvent } from "../helpers/scheduler-trace";
import { traceProblems } from "../helpers/trace-format";
import { missingModule, runPython, writeScript } from "../helpers/pythons";

const PYTHON = "/usr/bin/python3";
const noTrio = missingModule(PYTHON, "trio", "python3-trio");

const workDir = mkdtempSync(join(tmpdir(), "corolint-trio-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const script = (source: string) => writeScript(workDir, source);
/** The line of `source` holding `marker`. */
const lineOf = (source: string, marker: string) => source.split("\n").findIndex((text) => text.includes(marker)) + 1;

/** Reads a trace with the checks every scheduler tracer's test applies, and trio's light mode's. */
function readTrace(path: string, mode: "light" | "steps") {
  const trace = readSchedulerTrace(path, { mode, scheduler: "trio", mainLane: "trio run" });
  if (mode === "light") {
    // Light mode hooks nothing per task: no steps, no task lanes, no arrows.
    expect(trace.steps).toEqual([]);
    expect([...trace.laneName.values()]).toEqual(["trio run"]);
  }
  const { corolint, laneName, lanesInOrder, blocked, onTasks, flows } = trace;
  return { corolint, laneName, lanesInOrder, blocked, onTasks, flows, runTid: trace.mainTid };
}

/** A nursery whose sleeper blocks in time.sleep and whose spinner spins the CPU, 0.3 s each (in
 * separate scheduler batches: the spinner wakes during the sleeper's block), beside a ticker. */
const NURSERY = `import sys
import time

import trio


async def sleeper():
    await trio.sleep(0.02)
    time.sleep(0.3)  # HERE
    await trio.sleep(0.02)


async def spinner():
    await trio.sleep(0.1)
    deadline = time.perf_counter() + 0.3
    while time.perf_counter() < deadline:  # SPIN
        pass
    await trio.sleep(0.02)


async def ticker():
    # Steps of 1 ms, all kept: the lane shows when the scheduler stalled.
    for _ in range(60):
        deadline = time.perf_counter() + 0.001
        while time.perf_counter() < deadline:
            pass
        await trio.sleep(0.01)


async def main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(sleeper)
        nursery.start_soon(spinner)
        nursery.start_soon(ticker)
    print("done", sys.argv[1:])


trio.run(main)
`;

/** 100 tasks whose steps each take 2 ms: one scheduler batch of them adds up to a block. */
const MANY_SHORT_STEPS = `import time

import trio


async def worker():
    await trio.sleep(0.05)
    time.sleep(0.002)  # HERE
    await trio.sleep(0.05)


async def main():
    async with trio.open_nursery() as nursery:
        for _ in range(100):
            nursery.start_soon(worker)
    print("done")


trio.run(main)
`;

/** Busy with I/O waits and short steps, idle for 0.3 s: never blocked. */
const NO_BLOCK = `import trio


async def chatter(n, send):
    for i in range(50):
        await send.send((n, i))
        await trio.sleep(0.001)


async def main():
    send, receive = trio.open_memory_channel(0)
    received = 0
    async with trio.open_nursery() as nursery:
        for n in range(20):
            nursery.start_soon(chatter, n, send)
        for _ in range(20 * 50):
            await receive.receive()
            received += 1
    await trio.sleep(0.3)
    print("received", received)


trio.run(main)
`;

const EXIT_3 = `import sys

import trio


async def main():
    await trio.sleep(0)
    print("to stdout")
    print("to stderr", file=sys.stderr)
    sys.exit(3)


trio.run(main)
`;

const RAISES = `import trio


async def child():
    await trio.sleep(0.01)
    raise ValueError("boom")


async def main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(child)
    print("not reached")


print("start")
trio.run(main)
`;

/** The program's own instrument, passed to trio.run: it must still see every step. */
const OWN_INSTRUMENT = `import time

import trio


class Counter(trio.abc.Instrument):
    def __init__(self):
        self.steps = 0
        self.runs = 0

    def before_run(self):
        self.runs += 1

    def before_task_step(self, task):
        self.steps += 1


async def main():
    for _ in range(10):
        await trio.sleep(0)
    time.sleep(0.2)  # HERE
    await trio.sleep(0)


counter = Counter()
trio.run(main, instruments=[counter])
print("runs", counter.runs, "steps>=11", counter.steps >= 11)
`;

/** Prints "ready", then blocks for 5 s (the test signals it meanwhile). */
const BLOCKS_LONG = `import time

import trio


async def main():
    await trio.sleep(0.01)
    print("ready", flush=True)
    time.sleep(5)  # HERE


trio.run(main)
`;

/** Forks inside a task: the child goes on running trio, blocks, and ends with os._exit. */
const FORKS = `import os
import time

import trio


async def worker():
    await trio.sleep(0.01)
    time.sleep(0.15)  # HERE
    await trio.sleep(0.01)


async def main():
    await trio.sleep(0.01)
    pid = os.fork()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(worker)
    if pid:
        os.waitpid(pid, 0)
        print("parent done")
    else:
        print("child done", flush=True)
        os._exit(0)


trio.run(main)
`;

describe.skipIf(noTrio !== null)(`Python tracer, trio (${noTrio ?? PYTHON})`, () => {
  it("light mode: finds the time.sleep and the CPU spin of a nursery's tasks, at their lines", async () => {
    const { dir, name, line } = script(NURSERY);
    const result = await runPython(PYTHON, dir, [name, "x"], { traced: true, tracerArgs: ["-o", "out.json"] });
    expect(result).toMatchObject({ code: 0, stdout: "done ['x']\n", stderr: "" });
    const { blocked, runTid, corolint } = readTrace(join(dir, "out.json"), "light");
    const spin = lineOf(NURSERY, "# SPIN");
    expect(blocked.map((span) => [span.args!.line, span.args!.function])).toEqual([
      [line, "sleeper"],
      [spin, "spinner"],
    ]);
    for (const span of blocked) {
      expect(span.tid).toBe(runTid);
      expect(span.dur).toBeGreaterThanOrEqual(200_000);
      expect(resolve(dir, span.args!.file)).toBe(join(dir, name));
      expect(span.args!.samples).toBeGreaterThan(0);
      expect(span.args!.stack[0]).toBe(`${span.args!.file}:${span.args!.line} ${span.args!.function}`);
      expect(span.name).toBe(`blocked ${span.args!.function} (app.py:${span.args!.line})`);
    }
    expect(corolint.topBlockers.map((row: any) => row.line).sort()).toEqual([line, spin].sort());
    expect(corolint.end).toEqual({ reason: "exit" });
  });

  it("steps mode: a lane per trio task, the blocked steps on their tasks' lanes, spawn arrows from the parent", async () => {
    const { dir, name, line } = script(NURSERY);
    const result = await runPython(PYTHON, dir, [name], { traced: true, tracerArgs: ["--mode", "steps", "-o", "out.json"] });
    expect(result).toMatchObject({ code: 0, stdout: "done []\n", stderr: "" });
    const { blocked, laneName, lanesInOrder, onTasks, flows, runTid, corolint } = readTrace(join(dir, "out.json"), "steps");

    // Lanes: the run first, then the tasks in spawn order, named as trio names them.
    expect(lanesInOrder[0]).toBe("trio run");
    const taskLanes = lanesInOrder.filter((lane) => lane !== "<TrioToken.run_sync_soon task>");
    expect(taskLanes).toEqual(["trio run", "<init>", "__main__.main", "__main__.sleeper", "__main__.spinner", "__main__.ticker"]);

    // The two blocks, each on its own task's lane at its line; none again on the run's lane.
    const spin = lineOf(NURSERY, "# SPIN");
    expect(blocked.map((span) => [laneName.get(span.tid), span.args!.line, span.args!.function])).toEqual([
      ["__main__.sleeper", line, "sleeper"],
      ["__main__.spinner", spin, "spinner"],
    ]);
    expect(blocked.filter((span) => span.tid === runTid)).toEqual([]);
    for (const span of blocked) {
      expect(span.dur).toBeGreaterThanOrEqual(200_000);
      expect(resolve(dir, span.args!.file)).toBe(join(dir, name));
      // ...and the blocked step itself, as long, which suspended at the next await.
      const step = onTasks.find((event) => event.tid === span.tid && event.ts === span.ts);
      expect(step?.dur).toBe(span.dur);
      expect(step?.args).toEqual({
        task: laneName.get(span.tid),
        suspendedAt: `${span.args!.file}:${span.args!.function === "sleeper" ? line + 1 : spin + 2}`,
      });
    }

    // The ticker's lane shows the stalls: it has steps before and after each block, none during.
    const ticks = onTasks.filter((event) => laneName.get(event.tid) === "__main__.ticker");
    expect(ticks.length).toBeGreaterThanOrEqual(60); // 60 steps of 1 ms are all kept, and its last
    for (const span of blocked) {
      const blockEnd = span.ts! + span.dur!;
      expect(ticks.some((tick) => tick.ts! + tick.dur! <= span.ts!)).toBe(true);
      expect(ticks.some((tick) => tick.ts! >= blockEnd)).toBe(true);
      expect(ticks.filter((tick) => tick.ts! < blockEnd && tick.ts! + tick.dur! > span.ts!)).toEqual([]);
    }
    // The ticker's last step ends the task.
    expect(ticks.at(-1)?.args).toEqual({ task: "__main__.ticker", suspendedAt: null, done: true });

    // main spawned the three children; trio's <init> spawned main.
    expect(flows).toEqual(
      expect.arrayContaining([
        { from: "<init>", to: "__main__.main" },
        { from: "__main__.main", to: "__main__.sleeper" },
        { from: "__main__.main", to: "__main__.spinner" },
        { from: "__main__.main", to: "__main__.ticker" },
      ]),
    );
    expect(corolint.tasks).toBeGreaterThanOrEqual(5);
    expect(corolint.steps).toBe(onTasks.length + corolint.sampledOut);
  });

  it("corolint trace -- /usr/bin/python3 app.py finds the blocks of a trio program", { timeout: 60_000 }, async () => {
    const { dir, name, line } = script(NURSERY);
    const { code, stdout, stderr } = await runCli(["trace", "-o", "out.json", "--", PYTHON, name], dir);
    expect(code).toBe(0);
    expect(stdout).toBe("done []\n");
    // The longer of the two 0.3 s blocks is named.
    const spin = lineOf(NURSERY, "# SPIN");
    expect(stderr).toMatch(new RegExp(`blocked 2 times .* at .*app\\.py:(${line} sleeper|${spin} spinner)\\n$`));
    const document = JSON.parse(readFileSync(join(dir, "out.json"), "utf8"));
    expect(traceProblems(document)).toEqual([]);
    const blocked = (document.traceEvents as TraceEvent[]).filter((event) => event.cat === "corolint.blocked");
    expect(blocked.map((span) => span.args!.line)).toEqual([line, spin]);
  });

  for (const mode of ["light", "steps"] as const) {
    it(`${mode} mode: many short steps in one scheduler batch add up to a block, on the trio run's lane`, async () => {
      const { dir, name, line } = script(MANY_SHORT_STEPS);
      const result = await runPython(PYTHON, dir, [name], { traced: true, tracerArgs: ["--mode", mode] });
      expect(result).toMatchObject({ code: 0, stdout: "done\n", stderr: "" });
      const { blocked, runTid } = readTrace(join(dir, "corolint-trace.json"), mode);
      expect(blocked.length).toBeGreaterThanOrEqual(1);
      for (const span of blocked) {
        expect(span.tid).toBe(runTid);
        expect(span.dur).toBeGreaterThanOrEqual(50_000);
        expect(span.args).toMatchObject({ line, function: "worker" });
      }
    });

    it(`${mode} mode: no block, no blocked span (an idle wait is not a block)`, async () => {
      const { dir, name } = script(NO_BLOCK);
      const result = await runPython(PYTHON, dir, [name], { traced: true, tracerArgs: ["--mode", mode] });
      expect(result).toMatchObject({ code: 0, stdout: "received 1000\n", stderr: "" });
      const { blocked, corolint, onTasks } = readTrace(join(dir, "corolint-trace.json"), mode);
      expect(blocked).toEqual([]);
      expect(corolint.blocked).toBe(0);
      if (mode === "steps") {
        expect(corolint.steps).toBeGreaterThan(2000);
        expect(onTasks.length).toBeGreaterThan(20);
      }
    });

    it(`${mode} mode: stdout, stderr and the exit code are the program's (sys.exit(3), an exception)`, async () => {
      for (const [source, end] of [
        [EXIT_3, { reason: "exit", code: 3 }],
        [RAISES, { reason: "exception", exception: "ValueError" }],
      ] as const) {
        const { dir, name } = script(source);
        const untraced = await runPython(PYTHON, dir, [name], { traced: false });
        const traced = await runPython(PYTHON, dir, [name], { traced: true, tracerArgs: ["--mode", mode] });
        expect(untraced.code).toBe(end.reason === "exit" ? 3 : 1);
        if (end.reason === "exception") expect(untraced.stderr).toMatch(/ValueError: boom\n$/);
        expect(traced).toEqual(untraced);
        expect(readTrace(join(dir, "corolint-trace.json"), mode).corolint.end).toEqual(end);
      }
    });

    it(`${mode} mode: keeps the program's own instruments`, async () => {
      const { dir, name, line } = script(OWN_INSTRUMENT);
      const untraced = await runPython(PYTHON, dir, [name], { traced: false });
      const traced = await runPython(PYTHON, dir, [name], { traced: true, tracerArgs: ["--mode", mode] });
      expect(untraced).toMatchObject({ code: 0, stdout: "runs 1 steps>=11 True\n", stderr: "" });
      expect(traced).toEqual(untraced);
      const { blocked } = readTrace(join(dir, "corolint-trace.json"), mode);
      expect(blocked.map((span) => span.args!.line)).toEqual([line]);
    });

    it(`${mode} mode: writes the trace when SIGTERM ends a blocked program, which dies of SIGTERM`, async () => {
      const { dir, name, line } = script(BLOCKS_LONG);
      const result = await runPython(PYTHON, dir, [name], { traced: true, signal: "SIGTERM", tracerArgs: ["--mode", mode] });
      expect(result).toMatchObject({ code: null, signal: "SIGTERM", stdout: "ready\n", stderr: "" });
      const { blocked, corolint, laneName, onTasks } = readTrace(join(dir, "corolint-trace.json"), mode);
      expect(corolint.end).toEqual({ reason: "signal", signal: "SIGTERM" });
      expect(blocked).toHaveLength(1);
      expect(blocked[0].dur).toBeGreaterThanOrEqual(200_000);
      expect(blocked[0].args).toMatchObject({ line, function: "main", unfinished: true });
      if (mode === "steps") {
        expect(laneName.get(blocked[0].tid)).toBe("__main__.main");
        const step = onTasks.find((event) => event.tid === blocked[0].tid && event.ts === blocked[0].ts);
        expect(step?.args).toEqual({ task: "__main__.main", suspendedAt: null, unfinished: true });
      }
    });

    it(`${mode} mode: a child forked inside a task traces its own run (--output-dir)`, async () => {
      const { dir, name, line } = script(FORKS);
      mkdirSync(join(dir, "traces"));
      const result = await runPython(PYTHON, dir, [name], { traced: true, tracerArgs: ["--mode", mode, "--output-dir", "traces"] });
      expect(result).toMatchObject({ code: 0, stderr: "" });
      expect(result.stdout.split("\n").sort()).toEqual(["", "child done", "parent done"]);
      const files = readdirSync(join(dir, "traces")).filter((file) => file.endsWith(".json"));
      expect(files).toHaveLength(2);
      const traces = files.map((file) => readTrace(join(dir, "traces", file), mode));
      const child = traces.find((trace) => trace.corolint.forkedFrom !== undefined);
      expect(child).toBeDefined();
      // Parent and child each blocked once in their own worker, blamed on the sampled line.
      for (const { blocked, laneName } of traces) {
        expect(blocked.map((span) => [span.args!.line, span.args!.function])).toEqual([[line, "worker"]]);
        expect(laneName.get(blocked[0].tid)).toBe(mode === "steps" ? "__main__.worker" : "trio run");
      }
    });

    it(`${mode} mode: SIGINT still raises KeyboardInterrupt through trio, and the trace is written`, async () => {
      const { dir, name, line } = script(BLOCKS_LONG);
      const untraced = await runPython(PYTHON, dir, [name], { traced: false, signal: "SIGINT" });
      const traced = await runPython(PYTHON, dir, [name], { traced: true, signal: "SIGINT", tracerArgs: ["--mode", mode] });
      expect(untraced).toMatchObject({ code: null, signal: "SIGINT", stdout: "ready\n" });
      expect(untraced.stderr).toMatch(/KeyboardInterrupt\n$/);
      expect(traced).toEqual(untraced);
      const { blocked, corolint } = readTrace(join(dir, "corolint-trace.json"), mode);
      expect(corolint.end).toEqual({ reason: "exception", exception: "KeyboardInterrupt" });
      expect(blocked.map((span) => [span.args!.line, span.args!.function])).toEqual([[line, "main"]]);
      expect(blocked[0].dur).toBeGreaterThanOrEqual(200_000);
    });
  }
});
