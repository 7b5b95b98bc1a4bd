/**
 * Reading a tracer's output in the runtime tests: the trace must pass `traceProblems` (the format's
 * structural rules), and the lanes, steps and spawn arrows of a scheduler with a lane of its own
 * (asyncio's event loop, gevent's hub, trio's run) are sorted out for the test's own checks.
 */
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { traceProblems } from "./trace-format";

/** One event of a trace, as the tests read it (the format's rules are `traceProblems`'). */
export interface TraceEvent {
  ph: string;
  pid: number;
  tid: number;
  name: string;
  cat?: string;
  ts?: number;
  dur?: number;
  id?: number;
  bp?: string;
  args?: Record<string, any>;
}

export interface SchedulerTraceExpectation {
  mode: "light" | "steps";
  /** `otherData.corolint.scheduler`, when the test knows it. */
  scheduler?: string;
  /** The scheduler's own lane: every step is drawn on it too. */
  mainLane: string;
  /** The step argument that names the task (`task`; `greenlet` for gevent). */
  taskArg?: string;
}

/**
 * Reads a trace and checks what every scheduler tracer promises: a valid trace, no dropped events,
 * `blocked` counting the blocked spans, the scheduler's lane, each step on its task's lane (named
 * after the task) and again on the scheduler's, and each arrow ending at the start of a step of the
 * task it created.
 */
export function readSchedulerTrace(path: string, expected: SchedulerTraceExpectation) {
  const document = JSON.parse(readFileSync(path, "utf8"));
  expect(traceProblems(document)).toEqual([]);
  const events = document.traceEvents as TraceEvent[];
  const laneName = new Map<number, string>();
  const sortIndex = new Map<number, number>();
  for (const event of events) {
    if (event.ph === "M" && event.name === "thread_name") laneName.set(event.tid, event.args!.name);
    if (event.ph === "M" && event.name === "thread_sort_index") sortIndex.set(event.tid, event.args!.sort_index);
  }
  const corolint = document.otherData.corolint;
  expect(corolint).toMatchObject({ mode: expected.mode, dropped: 0, ...(expected.scheduler ? { scheduler: expected.scheduler } : {}) });
  const blocked = events.filter((event) => event.ph === "X" && event.cat === "corolint.blocked");
  expect(corolint.blocked).toBe(blocked.length);
  const mainTid = [...laneName].find(([, name]) => name === expected.mainLane)?.[0];
  expect(mainTid, `a lane named ${expected.mainLane}`).toBeDefined();

  const taskArg = expected.taskArg ?? "task";
  const steps = events.filter((event) => event.ph === "X" && event.cat === "corolint.step");
  const onTasks = steps.filter((event) => event.tid !== mainTid);
  const onMain = steps.filter((event) => event.tid === mainTid);
  expect(onTasks.length).toBe(onMain.length);
  for (const step of onTasks) {
    expect(laneName.get(step.tid)).toBe(step.args![taskArg]);
    expect(step.name).toBe(step.args![taskArg]);
    expect(step.args!.suspendedAt === null || /:\d+$/.test(step.args!.suspendedAt)).toBe(true);
  }
  const starts = events.filter((event) => event.ph === "s");
  const ends = events.filter((event) => event.ph === "f");
  for (const end of ends) {
    expect(onTasks.some((step) => step.tid === end.tid && step.ts === end.ts), JSON.stringify(end)).toBe(true);
  }
  const flows = starts.map((start) => ({
    from: laneName.get(start.tid),
    to: laneName.get(ends.find((end) => end.id === start.id)!.tid),
  }));
  const lanesInOrder = [...laneName.keys()].sort((a, b) => sortIndex.get(a)! - sortIndex.get(b)!).map((tid) => laneName.get(tid));
  return { document, events, corolint, laneName, lanesInOrder, steps, onTasks, onMain, blocked, starts, flows, mainTid: mainTid! };
}
