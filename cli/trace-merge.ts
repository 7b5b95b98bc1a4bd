/**
 * The traces of a `corolint trace` run, one file per process (each Python and Node process of the
 * command writes its own into a scratch folder), made into the one trace the user asked for.
 *
 * One file: kept as it is, so a single-process run has the same trace as the tracer writes. Several:
 * one Chrome trace in which each process keeps its pid (named by its `process_name` event, sorted by
 * start), its events shifted onto a common clock — each tracer stores when its `ts` 0 was as
 * `otherData.corolint.startEpochMs` — flow ids renumbered so that two processes' arrows never pair
 * up, and `otherData.corolint` summing up the run: the processes, the blocked total, the merged
 * top blockers.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A Chrome trace event, as far as merging needs to know it. */
export interface TraceEvent {
  ph?: string;
  pid?: number;
  tid?: number;
  ts?: number;
  id?: number | string;
  cat?: string;
  name?: string;
  args?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One row of `topBlockers`. */
export interface Blocker {
  file: string | null;
  line: number | null;
  function: string;
  totalMs: number;
  count: number;
}

/** `otherData.corolint` of one process's trace (the fields the merge reads). */
export interface ProcessMetadata {
  pid?: number;
  argv?: string[];
  runtime?: string;
  startEpochMs?: number;
  durationMs?: number;
  blocked?: number;
  dropped?: number;
  topBlockers?: Blocker[];
  end?: unknown;
  forkedFrom?: number;
  [key: string]: unknown;
}

export interface TraceDocument {
  traceEvents: TraceEvent[];
  displayTimeUnit?: string;
  otherData?: { corolint?: ProcessMetadata; [key: string]: unknown };
}

/** The traces found in the scratch folder: the readable ones, and the names of those that were not. */
export interface ProcessTraces {
  traces: { file: string; text: string; document: TraceDocument }[];
  unreadable: string[];
}

/**
 * Reads every `*.json` of `dir`. Temporary files of a write that never finished (`*.tmp`, and
 * Python's `.name.tmp`) are not traces; a process killed by SIGKILL simply left no file.
 */
export function readProcessTraces(dir: string): ProcessTraces {
  const result: ProcessTraces = { traces: [], unreadable: [] };
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".json") || name.startsWith(".")) continue;
    const file = join(dir, name);
    try {
      const text = readFileSync(file, "utf8");
      const document = JSON.parse(text) as TraceDocument;
      if (!Array.isArray(document.traceEvents)) throw new Error("no traceEvents array");
      result.traces.push({ file, text, document });
    } catch {
      result.unreadable.push(name);
    }
  }
  return result;
}

/** What the merged `otherData.corolint` says about the whole run. */
export interface RunInfo {
  mode: string;
  thresholdMs: number;
  /** The command that was traced. */
  argv: string[];
}

const TOP_BLOCKERS = 20;

/** Merges the traces of several processes (see the file's comment). */
export function mergeTraces(documents: TraceDocument[], run: RunInfo): TraceDocument {
  const processes = documents.map((document) => ({ document, meta: document.otherData?.corolint ?? {} }));
  const starts = processes.map((process) => process.meta.startEpochMs).filter((start): start is number => typeof start === "number");
  const base = starts.length > 0 ? Math.min(...starts) : 0;
  // The first process to start (the command itself) comes first.
  processes.sort((a, b) => (a.meta.startEpochMs ?? Infinity) - (b.meta.startEpochMs ?? Infinity));

  // A pid is unique among live processes only: one reused by a later process gets another number.
  const usedPids = new Set<number>();
  const pidOf = new Map<number, number>(); // original pid -> merged pid, for forkedFrom
  const mergedPids = processes.map((process) => {
    const original = process.meta.pid ?? firstPid(process.document.traceEvents) ?? 0;
    let pid = original;
    while (usedPids.has(pid)) pid += 1_000_000;
    usedPids.add(pid);
    if (!pidOf.has(original)) pidOf.set(original, pid);
    return pid;
  });

  const events: TraceEvent[] = [];
  const summaries: Record<string, unknown>[] = [];
  const blockers = new Map<string, Blocker>();
  let nextFlowId = 1;
  let blocked = 0;
  let dropped = 0;
  let endUs = 0;
  processes.forEach(({ document, meta }, index) => {
    const pid = mergedPids[index]!;
    const shiftUs = typeof meta.startEpochMs === "number" ? (meta.startEpochMs - base) * 1000 : 0;
    const flowIds = new Map<string, number>();
    const parent = meta.forkedFrom === undefined ? undefined : (pidOf.get(meta.forkedFrom) ?? meta.forkedFrom);
    let named = false;
    for (const original of document.traceEvents) {
      const event: TraceEvent = { ...original, pid };
      if (event.ph === "M") {
        if (event.name === "process_name") {
          named = true;
          // Forked workers share their parent's command line: say whose fork each one is.
          if (parent !== undefined) event.args = { ...event.args, name: `${String(event.args?.["name"] ?? "")} (fork of ${parent})` };
        }
      } else if (typeof event.ts === "number") {
        event.ts = round(event.ts + shiftUs);
        endUs = Math.max(endUs, event.ts + (typeof event.dur === "number" ? event.dur : 0));
      }
      if ((event.ph === "s" || event.ph === "t" || event.ph === "f") && event.id !== undefined) {
        const key = `${event.cat ?? ""}\u0000${String(event.id)}`;
        let id = flowIds.get(key);
        if (id === undefined) flowIds.set(key, (id = nextFlowId++));
        event.id = id;
      }
      events.push(event);
    }
    if (!named) events.push({ ph: "M", pid, tid: 0, name: "process_name", args: { name: (meta.argv ?? ["process"]).join(" ").slice(0, 200) } });
    events.push({ ph: "M", pid, tid: 0, name: "process_sort_index", args: { sort_index: index } });
    if (typeof meta.durationMs === "number") endUs = Math.max(endUs, shiftUs + meta.durationMs * 1000);

    blocked += meta.blocked ?? 0;
    dropped += meta.dropped ?? 0;
    for (const row of meta.topBlockers ?? []) {
      const key = `${row.file ?? ""}\u0000${row.line ?? ""}\u0000${row.function}`;
      const merged = blockers.get(key);
      if (merged === undefined) blockers.set(key, { ...row });
      else {
        merged.totalMs = round(merged.totalMs + row.totalMs);
        merged.count += row.count;
      }
    }
    summaries.push({
      pid,
      ...(meta.argv !== undefined && { argv: meta.argv }),
      ...(meta.runtime !== undefined && { runtime: meta.runtime }),
      ...(meta.startEpochMs !== undefined && { startEpochMs: meta.startEpochMs }),
      ...(parent !== undefined && { forkedFrom: parent }),
      blocked: meta.blocked ?? 0,
      ...(meta.end !== undefined && { end: meta.end }),
    });
  });

  const topBlockers = [...blockers.values()].sort((a, b) => b.totalMs - a.totalMs || b.count - a.count).slice(0, TOP_BLOCKERS);
  const runtimes = [...new Set(processes.map((process) => process.meta.runtime).filter((runtime) => runtime !== undefined))];
  return {
    traceEvents: events,
    displayTimeUnit: "ms",
    otherData: {
      corolint: {
        formatVersion: 1,
        runtime: runtimes.join(", "),
        mode: run.mode,
        thresholdMs: run.thresholdMs,
        blocked,
        dropped,
        topBlockers,
        argv: run.argv,
        startEpochMs: base,
        durationMs: round(endUs / 1000),
        processes: summaries,
      },
    },
  };
}

function firstPid(events: TraceEvent[]): number | undefined {
  return events.find((event) => typeof event.pid === "number")?.pid;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
