/**
 * The Python tracer on gevent programs (runtime/python/corolint_trace/gevent_tracer.py), run for
 * real under Debian's /usr/bin/python3 with its python3-gevent: light mode finds a greenlet that
 * keeps the hub from running, steps mode gives each greenlet a lane with its steps and spawn arrows.
 * Skipped, saying why, when that interpreter cannot import gevent. No assertion here is about speed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

import { missingModule, runPython, writeScript, type PythonRun } from "../helpers/pythons";
import { readSchedulerTrace } from "../helpers/scheduler-trace";

const PYTHON = "/usr/bin/python3";
const geventMissing = missingModule(PYTHON, "gevent", "python3-gevent");
if (geventMissing) console.warn(`python-gevent tests skipped: ${geventMissing}`);

const workDir = mkdtempSync(join(tmpdir(), "corolint-gevent-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const script = (source: string) => writeScript(workDir, source);

/**
 * The threshold of these tests: well above the scheduling hiccups of a busy machine (a process
 * descheduled for 60 ms is a block too), well below the programs' 300 ms blocks.
 */
const THRESHOLD_MS = 150;

/** Runs `python ARGS`, under `-m corolint_trace --threshold-ms 150 TRACER_ARGS` when those are given. */
function run(cwd: string, args: string[], tracerArgs: string[] | null, signal?: NodeJS.Signals): Promise<PythonRun> {
  const traced = tracerArgs !== null;
  return runPython(PYTHON, cwd, args, { traced, tracerArgs: ["--threshold-ms", String(THRESHOLD_MS), ...(tracerArgs ?? [])], signal });
}

const HUB = "gevent hub";

/**
 * Reads a trace with the checks every scheduler tracer's test applies (readSchedulerTrace), and
 * gevent's: greenlets' steps copied onto the hub's lane, and arrows that start inside a step of the
 * creating greenlet.
 */
function readTrace(path: string, mode: "light" | "steps") {
  const trace = readSchedulerTrace(path, { mode, scheduler: "gevent", mainLane: HUB, taskArg: "greenlet" });
  const { corolint, steps, onTasks: onGreenlets, onMain: onHub, mainTid: hubTid } = trace;
  expect(corolint.thresholdMs).toBe(THRESHOLD_MS);
  expect(corolint.runtime).toMatch(/^python \d+\.\d+\.\d+$/);
  if (mode === "light") expect(steps).toEqual([]);
  for (const step of onGreenlets) expect(onHub).toContainEqual({ ...step, tid: hubTid });
  for (const start of trace.starts) {
    const inside = onGreenlets.some(
      (step) => step.tid === start.tid && step.ts! <= start.ts! + 0.01 && start.ts! <= step.ts! + step.dur! + 0.01,
    );
    expect(inside, JSON.stringify(start)).toBe(true);
  }
  return { events: trace.events, corolint, laneName: trace.laneName, blocked: trace.blocked, onGreenlets, flows: trace.flows, hubTid };
}

/** A gevent program where one greenlet calls a blocking function gevent did not patch. */
const blockingProgram = (blockingLine: string) => `from gevent import monkey

monkey.patch_all()

import sys
import time

import gevent

real_sleep = monkey.get_original("time", "sleep")


def ticker(n):
    for _ in range(n):
        time.sleep(0.01)  # patched: gevent.sleep


def blocker():
    gevent.sleep(0.05)
    deadline = time.perf_counter() + 0.3
    ${blockingLine}  # HERE
    gevent.sleep(0.01)


def boss():
    fast = gevent.spawn(ticker, 30)
    fast.name = "fast-ticker"
    gevent.joinall([fast, gevent.spawn(ticker, 20), gevent.spawn(blocker)])


gevent.spawn(boss).join()
print("done", sys.argv[1:])
`;

const CLEAN = `import sys
import warnings

import greenlet

warnings.simplefilter("always")  # a MonkeyPatchWarning would show, every time
print("imported before patching:", sorted(name for name in ("ssl", "threading") if name in sys.modules))
switches = []
greenlet.settrace(lambda event, args: switches.append(event))  # the program's own greenlet tracer

from gevent import monkey

monkey.patch_all()

import socket
import threading
import time

import gevent


def echo_server(listener):
    conn, _ = listener.accept()
    with conn:
        conn.sendall(conn.recv(100).upper())


def client(port):
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"ping")
        print("reply", conn.recv(100))


def tick(n):
    for _ in range(n):
        time.sleep(0.01)


listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
thread = threading.Thread(target=tick, args=(5,))
thread.start()
gevent.joinall([gevent.spawn(echo_server, listener), gevent.spawn(client, listener.getsockname()[1])]
               + [gevent.spawn(tick, 10) for _ in range(5)])
thread.join()
gevent.sleep(0.4)  # the hub idles (in epoll): not a block
listener.close()
print("own tracer called:", len(switches) > 100)
print("to stderr", file=sys.stderr)
sys.exit(3)
`;

const SIGTERM_WHILE_BLOCKED = `from gevent import monkey

monkey.patch_all()

import gevent

real_sleep = monkey.get_original("time", "sleep")


def stuck():
    gevent.sleep(0.05)
    print("ready", flush=True)
    real_sleep(5)  # HERE


gevent.joinall([gevent.spawn(stuck), gevent.spawn(gevent.sleep, 10)])
`;

const RAISES = `import gevent


def work():
    gevent.sleep(0.01)
    return 42


print(gevent.spawn(work).get())
raise ValueError("bad value")
`;

describe.skipIf(geventMissing !== null)("Python tracer on gevent, light mode", () => {
  for (const [kind, blockingLine] of [
    ["an unpatched time.sleep", "real_sleep(0.3)"],
    ["a CPU loop", "while time.perf_counter() < deadline: pass"],
  ]) {
    it(`finds ${kind} in a greenlet after monkey.patch_all(), blamed on its line, on the hub's lane`, async () => {
      const { dir, name, line } = script(blockingProgram(blockingLine));
      const result = await run(dir, [name, "x"], ["-o", "out.json"]);
      expect(result).toMatchObject({ code: 0, stdout: "done ['x']\n", stderr: "" });
      const { corolint, blocked, laneName } = readTrace(join(dir, "out.json"), "light");
      expect(blocked).toHaveLength(1);
      const [span] = blocked;
      expect(laneName.get(span.tid)).toBe(HUB);
      expect(span.dur).toBeGreaterThanOrEqual(200_000);
      expect(resolve(dir, span.args!.file)).toBe(join(dir, name));
      expect(span.args).toMatchObject({ line, function: "blocker", samples: expect.any(Number) });
      expect(span.args!.samples).toBeGreaterThan(0);
      expect(span.args!.stack.find((frame: string) => frame.endsWith(" blocker"))).toBe(`${span.args!.file}:${line} blocker`);
      expect(corolint.topBlockers).toEqual([
        { file: span.args!.file, line, function: "blocker", totalMs: expect.any(Number), count: 1 },
      ]);
      expect(corolint.end).toEqual({ reason: "exit" });
    });
  }

  it("reports nothing for a program that never blocks, and leaves its output, warnings and exit code alone", async () => {
    const { dir, name } = script(CLEAN);
    const untraced = await run(dir, [name], null);
    // A heartbeat that stopped while the hub idles would show the 400 ms idle wait as a block.
    const traced = await run(dir, [name], []);
    expect(untraced).toMatchObject({ code: 3, stderr: "to stderr\n" });
    expect(untraced.stdout).toBe("imported before patching: []\nreply b'PING'\nown tracer called: True\n");
    expect(traced).toEqual(untraced);
    const { blocked, corolint } = readTrace(join(dir, "corolint-trace.json"), "light");
    expect(blocked).toEqual([]);
    expect(corolint.end).toEqual({ reason: "exit", code: 3 });
  });

  it("writes the trace on SIGTERM during a block, with the block up to then", async () => {
    const { dir, name, line } = script(SIGTERM_WHILE_BLOCKED);
    const result = await run(dir, [name], [], "SIGTERM");
    expect(result).toMatchObject({ code: null, signal: "SIGTERM", stdout: "ready\n", stderr: "" });
    const { blocked, corolint } = readTrace(join(dir, "corolint-trace.json"), "light");
    expect(blocked).toHaveLength(1);
    expect(blocked[0].args).toMatchObject({ line, function: "stuck", unfinished: true });
    expect(blocked[0].dur).toBeGreaterThanOrEqual(200_000);
    expect(corolint.end).toEqual({ reason: "signal", signal: "SIGTERM" });
  });

  it("passes an uncaught exception through as gevent prints it, and records it", async () => {
    const { dir, name } = script(RAISES);
    const untraced = await run(dir, [name], null);
    const traced = await run(dir, [name], []);
    expect(untraced.code).toBe(1);
    expect(untraced.stderr).toContain("ValueError: bad value");
    expect(traced).toEqual(untraced);
    expect(readTrace(join(dir, "corolint-trace.json"), "light").corolint.end).toEqual({
      reason: "exception",
      exception: "ValueError",
    });
  });
});

describe.skipIf(geventMissing !== null)("Python tracer on gevent, steps mode", () => {
  for (const [kind, blockingLine] of [
    ["an unpatched time.sleep", "real_sleep(0.3)"],
    ["a CPU loop", "while time.perf_counter() < deadline: pass"],
  ]) {
    it(`gives each greenlet a lane; ${kind} is a blocked step there, and stalls every other greenlet`, async () => {
      const { dir, name, line } = script(blockingProgram(blockingLine));
      const result = await run(dir, [name], ["--mode", "steps", "-o", "out.json"]);
      expect(result).toMatchObject({ code: 0, stdout: "done []\n", stderr: "" });
      const { corolint, blocked, laneName, onGreenlets, flows, hubTid } = readTrace(join(dir, "out.json"), "steps");

      // Lanes: the hub, the main greenlet, then the greenlets in the order they first ran, named
      // by the program (fast-ticker) or by their function.
      const names = [...laneName.values()];
      expect(names.slice(0, 2)).toEqual([HUB, "main greenlet"]);
      expect(names.slice(2)).toEqual([
        expect.stringMatching(/^boss #\d+$/),
        "fast-ticker",
        expect.stringMatching(/^ticker #\d+$/),
        expect.stringMatching(/^blocker #\d+$/),
      ]);
      const [boss, , , blockerLane] = names.slice(2);

      // The block: on blocker's lane (not again on the hub's), blamed on the line.
      expect(blocked).toHaveLength(1);
      const [span] = blocked;
      expect(laneName.get(span.tid)).toBe(blockerLane);
      expect(span.dur).toBeGreaterThanOrEqual(200_000);
      expect(resolve(dir, span.args!.file)).toBe(join(dir, name));
      expect(span.args).toMatchObject({ line, function: "blocker" });
      expect(corolint.topBlockers).toEqual([
        { file: span.args!.file, line, function: "blocker", totalMs: expect.any(Number), count: 1 },
      ]);
      // ...and the blocked step itself, which suspended on the next line.
      const step = onGreenlets.find((event) => event.tid === span.tid && event.ts === span.ts);
      expect(step?.dur).toBe(span.dur);
      expect(step?.args).toEqual({ greenlet: blockerLane, suspendedAt: `${span.args!.file}:${line + 1}` });
      // The first step of blocker suspended at its gevent.sleep, in its own code.
      const first = onGreenlets.find((event) => event.tid === span.tid);
      expect(first?.args?.suspendedAt).toBe(`${span.args!.file}:${line - 2}`);

      // The stall: no other greenlet ran a step during the block, though the tickers ran before
      // and after it.
      const blockEnd = span.ts! + span.dur!;
      const others = onGreenlets.filter((event) => event.tid !== span.tid);
      expect(others.filter((event) => event.ts! < blockEnd && event.ts! + event.dur! > span.ts!)).toEqual([]);
      for (const ticker of ["fast-ticker", names[4]]) {
        const its = others.filter((event) => laneName.get(event.tid) === ticker);
        expect(its.some((event) => event.ts! + event.dur! <= span.ts!), ticker).toBe(true);
        expect(its.some((event) => event.ts! >= blockEnd), ticker).toBe(true);
      }

      // Spawn arrows: main → boss, boss → each of its three greenlets.
      expect(flows).toHaveLength(4);
      expect(flows).toEqual(
        expect.arrayContaining([
          { from: "main greenlet", to: boss },
          { from: boss, to: "fast-ticker" },
          { from: boss, to: names[4] },
          { from: boss, to: blockerLane },
        ]),
      );
      expect(corolint.greenlets).toBe(5);
      expect(corolint.steps).toBeGreaterThanOrEqual(onGreenlets.length);
      expect(corolint.sampledOut).toBeGreaterThan(0); // the tickers' 50 short steps are sampled
      expect(onGreenlets.length + corolint.sampledOut).toBe(corolint.steps);
      expect(blocked.filter((event) => event.tid === hubTid)).toEqual([]);
    });
  }

  it("reports no block for a program that never blocks, and leaves its output, warnings and exit code alone", async () => {
    const { dir, name } = script(CLEAN);
    const untraced = await run(dir, [name], null);
    const traced = await run(dir, [name], ["--mode", "steps"]);
    expect(untraced).toMatchObject({ code: 3, stderr: "to stderr\n" });
    expect(traced).toEqual(untraced);
    const { blocked, corolint, laneName, onGreenlets } = readTrace(join(dir, "corolint-trace.json"), "steps");
    expect(blocked).toEqual([]);
    // The monkey-patched thread is a greenlet too, with its lane, named as the thread.
    const names = [...laneName.values()];
    expect(names).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Thread-\d+ \(tick\)$/),
        expect.stringMatching(/^echo_server #\d+$/),
        expect.stringMatching(/^client #\d+$/),
      ]),
    );
    expect(names.filter((name) => /^tick #\d+$/.test(name))).toHaveLength(5);
    expect(onGreenlets.some((event) => event.args!.done === true)).toBe(true);
    expect(corolint.end).toEqual({ reason: "exit", code: 3 });
  });

  it("writes the trace on SIGTERM during a block: the running step is blocked and unfinished", async () => {
    const { dir, name, line } = script(SIGTERM_WHILE_BLOCKED);
    const result = await run(dir, [name], ["--mode", "steps"], "SIGTERM");
    expect(result).toMatchObject({ code: null, signal: "SIGTERM", stdout: "ready\n", stderr: "" });
    const { blocked, laneName, onGreenlets } = readTrace(join(dir, "corolint-trace.json"), "steps");
    expect(blocked).toHaveLength(1);
    expect(laneName.get(blocked[0].tid)).toMatch(/^stuck #\d+$/);
    expect(blocked[0].args).toMatchObject({ line, function: "stuck", unfinished: true });
    const step = onGreenlets.find((event) => event.tid === blocked[0].tid && event.ts === blocked[0].ts);
    expect(step?.args).toMatchObject({ suspendedAt: null, unfinished: true });
  });
});
