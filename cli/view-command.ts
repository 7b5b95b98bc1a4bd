/**
 * `corolint view TRACE.json [-o FILE.html] [--open]`: turns a corolint Chrome trace into one self-contained
 * HTML page (the schedule viewer of issue #6): a header with the run's summary, the top blockers,
 * and a zoomable timeline with one lane per thread or task, blocked spans in red, spawn arrows, and
 * a side panel with the stack of the span clicked.
 *
 * The page is `runtime/viewer/viewer.html` with `viewer.js` and the trace's model inlined: it loads
 * nothing (no network, no CDN), so it can be opened from disk, attached to an issue, or archived by
 * CI. The header and the table are rendered here as static HTML, so they read without script too.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Io } from "./io";
import { runtimeDir } from "./trace-command";

/** Options of `corolint view`. */
export interface ViewArgs {
  kind: "view";
  /** The trace to read, as typed. */
  trace: string;
  /** Where the page goes (default: the trace's name with `.html` for `.json`, beside it). */
  output?: string;
  /** Open the page in the user's browser once written. */
  open?: boolean;
}

/** A trace corolint cannot show; reported on stderr with exit code 2. */
export class TraceFormatError extends Error {
  override readonly name = "TraceFormatError";
}

/** One lane of the timeline: a thread (or, in steps mode, a task). */
export interface ViewLane {
  name: string;
  pid: number | string;
  tid: number | string;
  /**
   * The lane of a loop (`event loop`, `event loop (thread N)`, `gevent hub`, `trio run`): in steps
   * mode it holds every task's steps, so it reads as the loop's occupancy. Drawn in a muted colour;
   * the page's filter keeps it while a lane of its process is shown.
   */
  loop?: true;
}

/** A process of the trace (several in a trace merged by `corolint trace`), in display order. */
export interface ViewProcess {
  pid: number | string;
  /** From its `process_name` event, e.g. `python app.py`. */
  name?: string;
}

/** A value of a span's `args` as the model keeps it: scalars as they are, anything else as JSON text. */
export type ViewArg = string | number | boolean | null;

/** One `X` event, placed on its lane. Times in microseconds. */
export interface ViewSpan {
  lane: number;
  ts: number;
  dur: number;
  name: string;
  cat?: string;
  blocked: boolean;
  file?: string | null;
  line?: number | null;
  function?: string;
  stack?: string[];
  samples?: number;
  unfinished?: boolean;
  /**
   * The event's other `args` (all but file, line, function, stack, samples, unfinished): for a step
   * (`corolint.step`) `task` or `greenlet`, `suspendedAt`, `done`.
   */
  args?: Record<string, ViewArg>;
  /** Only on a bar that stands for several steps merged for size: how many, and their total time (µs). */
  count?: number;
  busy?: number;
}

/** One flow arrow (`s` → `f`), e.g. a task spawning another. */
export interface ViewFlow {
  cat?: string;
  name?: string;
  from: { lane: number; ts: number };
  to: { lane: number; ts: number };
}

/** A blamed site, by total blocked time. */
export interface Blocker {
  file: string | null;
  line: number | null;
  function: string;
  totalMs: number;
  count: number;
}

/** What the page shows, built from the trace; embedded in the page as JSON for viewer.js. */
export interface ViewModel {
  /** The start and end of the timeline, in the trace's microseconds. */
  start: number;
  end: number;
  lanes: ViewLane[];
  /** The processes, in order (lanes are already grouped by process in this order); always set by `buildViewModel`. */
  processes?: ViewProcess[];
  spans: ViewSpan[];
  flows: ViewFlow[];
  topBlockers: Blocker[];
  /** Blocked spans found by the tracer, dropped ones included. */
  blocked: number;
  dropped: number;
  runtime?: string;
  mode?: string;
  thresholdMs?: number;
  durationMs?: number;
  argv?: string[];
  /** Set when the trace had too many steps to embed one by one (see `mergeSteps`). */
  merged?: MergedSteps;
}

/** What `mergeSteps` did. */
export interface MergedSteps {
  /** Step spans in the trace (a task's lane and the loop lane each have a copy of a step). */
  steps: number;
  /** Of those, the steps now inside a merged bar, and how many such bars. */
  mergedSteps: number;
  bars: number;
  /** The time bucket (µs): steps of a lane that start in the same bucket became one bar. */
  bucketUs: number;
}

/** Up to this many step spans, every step is kept as it is; past it they are merged (`mergeSteps`). */
export const MAX_STEP_BARS = 100_000;

/** The category of a step (a run of a task between two suspensions) in steps mode. */
const STEP_CATEGORY = "corolint.step";

/** Lane names the tracers give the lanes of loops (which also carry every task's steps in steps mode). */
const LOOP_LANE = /^(event loop|gevent hub|trio run)\b/;

/** `args` keys the model holds as fields of their own. */
const MAPPED_ARGS = new Set(["file", "line", "function", "stack", "samples", "unfinished"]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * Builds the page's model from a parsed trace: the object form (`{traceEvents, otherData}`) or the
 * bare array form. Throws `TraceFormatError` when it is not a Chrome trace.
 */
export function buildViewModel(trace: unknown): ViewModel {
  let events: unknown[];
  let other: Json = {};
  if (Array.isArray(trace)) {
    events = trace;
  } else if (isObject(trace) && Array.isArray(trace["traceEvents"])) {
    events = trace["traceEvents"];
    const otherData = trace["otherData"];
    if (isObject(otherData) && isObject(otherData["corolint"])) other = otherData["corolint"];
  } else {
    throw new TraceFormatError('not a Chrome trace: expected an object with a "traceEvents" array');
  }

  // Processes: from process_name / process_sort_index metadata, plus any pid that only has events.
  interface ProcessInfo extends ViewProcess {
    sortIndex?: number;
    order: number;
  }
  const processes = new Map<string, ProcessInfo>();
  const idOf = (value: unknown): number | string => (typeof value === "number" || typeof value === "string" ? value : 0);
  const processOf = (pid: unknown): ProcessInfo => {
    const p = idOf(pid);
    // Keyed by type and value: pid 1 and pid "1" are two processes, as they are two lanes' pids.
    const key = `${typeof p}\u0000${p}`;
    let process = processes.get(key);
    if (process === undefined) {
      process = { pid: p, order: processes.size };
      processes.set(key, process);
    }
    return process;
  };

  // Lanes: from thread_name / thread_sort_index metadata, plus any thread that only has events. A
  // lane is a (pid, tid) pair: tids repeat across the processes of a merged trace.
  interface LaneInfo extends ViewLane {
    process: ProcessInfo;
    sortIndex?: number;
    order: number;
  }
  const lanes = new Map<string, LaneInfo>();
  const laneOf = (pid: unknown, tid: unknown): LaneInfo => {
    const process = processOf(pid);
    const t = idOf(tid);
    const key = `${typeof process.pid}\u0000${process.pid}\u0000${typeof t}\u0000${t}`;
    let lane = lanes.get(key);
    if (lane === undefined) {
      lane = { name: `thread ${t}`, pid: process.pid, tid: t, process, order: lanes.size };
      lanes.set(key, lane);
    }
    return lane;
  };

  const rawSpans: (Omit<ViewSpan, "lane"> & { laneInfo: LaneInfo })[] = [];
  const flowStarts = new Map<string, { laneInfo: LaneInfo; ts: number; cat?: string; name?: string }>();
  const rawFlows: { from: { laneInfo: LaneInfo; ts: number }; to: { laneInfo: LaneInfo; ts: number }; cat?: string; name?: string }[] = [];
  events.forEach((event, index) => {
    if (!isObject(event)) throw new TraceFormatError(`traceEvents[${index}] is not an object`);
    const ph = event["ph"];
    if (typeof ph !== "string") throw new TraceFormatError(`traceEvents[${index}] has no "ph" (event type)`);
    const args = isObject(event["args"]) ? event["args"] : {};
    if (ph === "M") {
      if (event["name"] === "process_name" && typeof args["name"] === "string") processOf(event["pid"]).name = args["name"];
      if (event["name"] === "process_sort_index" && num(args["sort_index"]) !== undefined) processOf(event["pid"]).sortIndex = num(args["sort_index"]);
      if (event["name"] === "thread_name" && typeof args["name"] === "string") laneOf(event["pid"], event["tid"]).name = args["name"];
      if (event["name"] === "thread_sort_index" && num(args["sort_index"]) !== undefined) laneOf(event["pid"], event["tid"]).sortIndex = num(args["sort_index"]);
      return;
    }
    if (ph === "X") {
      const ts = num(event["ts"]);
      if (ts === undefined) throw new TraceFormatError(`traceEvents[${index}] (ph "X") has no numeric "ts"`);
      const cat = str(event["cat"]);
      const blocked = cat === "corolint.blocked";
      const stack = Array.isArray(args["stack"]) ? args["stack"].filter((frame): frame is string => typeof frame === "string") : undefined;
      const otherArgs = otherArgsOf(args);
      rawSpans.push({
        laneInfo: laneOf(event["pid"], event["tid"]),
        ts,
        dur: Math.max(num(event["dur"]) ?? 0, 0),
        name: str(event["name"]) ?? "",
        ...(cat !== undefined && { cat }),
        blocked,
        ...(args["file"] !== undefined && { file: str(args["file"]) ?? null }),
        ...(args["line"] !== undefined && { line: num(args["line"]) ?? null }),
        ...(str(args["function"]) !== undefined && { function: str(args["function"]) }),
        ...(stack !== undefined && { stack }),
        ...(num(args["samples"]) !== undefined && { samples: num(args["samples"]) }),
        ...(args["unfinished"] === true && { unfinished: true }),
        ...(otherArgs !== undefined && { args: otherArgs }),
      });
      return;
    }
    if (ph === "s" || ph === "f") {
      const ts = num(event["ts"]);
      if (ts === undefined) return;
      const id = event["id"] ?? (isObject(event["id2"]) ? (event["id2"]["global"] ?? event["id2"]["local"]) : undefined);
      if (id === undefined) return;
      const key = `${str(event["cat"]) ?? ""}\u0000${String(id)}`;
      const point = { laneInfo: laneOf(event["pid"], event["tid"]), ts };
      if (ph === "s") {
        flowStarts.set(key, { ...point, ...(str(event["cat"]) !== undefined && { cat: str(event["cat"]) }), ...(str(event["name"]) !== undefined && { name: str(event["name"]) }) });
      } else {
        const start = flowStarts.get(key);
        if (start === undefined) return;
        flowStarts.delete(key);
        rawFlows.push({ from: { laneInfo: start.laneInfo, ts: start.ts }, to: point, ...(start.cat !== undefined && { cat: start.cat }), ...(start.name !== undefined && { name: start.name }) });
      }
    }
  });

  // Processes with a sort index first, by it; the others after, in the order they were met. Lanes
  // by process in that order, then within a process the same way by their own sort index.
  const bySortIndex = (a: { sortIndex?: number; order: number }, b: { sortIndex?: number; order: number }): number =>
    (a.sortIndex ?? Infinity) - (b.sortIndex ?? Infinity) || a.order - b.order;
  const withLanes = new Set([...lanes.values()].map((lane) => lane.process));
  const orderedProcesses = [...processes.values()].filter((process) => withLanes.has(process)).sort(bySortIndex);
  const processRank = new Map(orderedProcesses.map((process, index) => [process, index]));
  const ordered = [...lanes.values()].sort((a, b) => processRank.get(a.process)! - processRank.get(b.process)! || bySortIndex(a, b));
  const laneIndex = new Map(ordered.map((lane, index) => [lane, index]));
  let spans: ViewSpan[] = rawSpans.map(({ laneInfo, ...span }) => ({ lane: laneIndex.get(laneInfo)!, ...span }));
  const flows: ViewFlow[] = rawFlows.map(({ from, to, ...rest }) => ({
    ...rest,
    from: { lane: laneIndex.get(from.laneInfo)!, ts: from.ts },
    to: { lane: laneIndex.get(to.laneInfo)!, ts: to.ts },
  }));

  // The timeline: a corolint trace starts at the tracer's start (ts 0) and lasts durationMs; any
  // other trace spans its events.
  // A loop, not Math.min(...times): a trace holds up to 100,000 spans, too many arguments for a call.
  let start = Infinity;
  let end = -Infinity;
  const extend = (from: number, to: number): void => {
    start = Math.min(start, from);
    end = Math.max(end, to);
  };
  for (const span of spans) extend(span.ts, span.ts + span.dur);
  for (const flow of flows) extend(Math.min(flow.from.ts, flow.to.ts), Math.max(flow.from.ts, flow.to.ts));
  if (start === Infinity) start = end = 0;
  const durationMs = num(other["durationMs"]);
  const corolint = Object.keys(other).length > 0;
  if (corolint && start >= 0) start = 0;
  if (durationMs !== undefined) end = Math.max(end, start + durationMs * 1000);
  if (end <= start) end = start + 1000;

  const merging = mergeSteps(spans, ordered.length, start, end);
  spans = merging.spans;

  const blockedSpans = spans.filter((span) => span.blocked);
  const argv = Array.isArray(other["argv"]) ? other["argv"].filter((arg): arg is string => typeof arg === "string") : undefined;
  return {
    start,
    end,
    lanes: ordered.map(({ name, pid, tid }) => ({ name, pid, tid, ...(LOOP_LANE.test(name) && { loop: true as const }) })),
    processes: orderedProcesses.map(({ pid, name }) => (name === undefined ? { pid } : { pid, name })),
    spans,
    flows,
    topBlockers: topBlockers(other["topBlockers"], blockedSpans),
    blocked: num(other["blocked"]) ?? blockedSpans.length,
    dropped: num(other["dropped"]) ?? 0,
    ...(str(other["runtime"]) !== undefined && { runtime: str(other["runtime"]) }),
    ...(str(other["mode"]) !== undefined && { mode: str(other["mode"]) }),
    ...(num(other["thresholdMs"]) !== undefined && { thresholdMs: num(other["thresholdMs"]) }),
    ...(durationMs !== undefined && { durationMs }),
    ...(argv !== undefined && { argv }),
    ...(merging.merged !== undefined && { merged: merging.merged }),
  };
}

/** A span's `args` other than those the model maps to fields; undefined when there are none. */
function otherArgsOf(args: Json): Record<string, ViewArg> | undefined {
  let result: Record<string, ViewArg> | undefined;
  for (const [key, value] of Object.entries(args)) {
    if (MAPPED_ARGS.has(key) || value === undefined) continue;
    result ??= {};
    if (value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) {
      result[key] = value;
    } else {
      const text = JSON.stringify(value) ?? String(value);
      result[key] = text.length > 500 ? `${text.slice(0, 499)}\u2026` : text;
    }
  }
  return result;
}

/**
 * Keeps the page usable for a big trace (up to 500,000 events): with more than `MAX_STEP_BARS`
 * steps, the steps of each lane that start in the same time bucket — 1/4000 of the timeline, or
 * 1/2000, 1/1000... until at most `MAX_STEP_BARS` bars are left — become one bar with their count
 * and total time. Blocked spans, other spans and flows are kept as they are; so is a step alone in
 * its bucket. Smaller traces are returned unchanged.
 */
export function mergeSteps(spans: ViewSpan[], laneCount: number, start: number, end: number): { spans: ViewSpan[]; merged?: MergedSteps } {
  const steps = spans.filter((span) => span.cat === STEP_CATEGORY && !span.blocked);
  if (steps.length <= MAX_STEP_BARS) return { spans };
  const others = spans.filter((span) => span.cat !== STEP_CATEGORY || span.blocked);
  const byLane: ViewSpan[][] = Array.from({ length: laneCount }, () => []);
  for (const step of steps) byLane[step.lane]!.push(step);
  for (const laneSteps of byLane) laneSteps.sort((a, b) => a.ts - b.ts);

  let buckets = 4000;
  for (;;) {
    const bucketUs = (end - start) / buckets;
    const bars: ViewSpan[] = [];
    let mergedSteps = 0;
    let mergedBars = 0;
    for (const laneSteps of byLane) {
      let index = 0;
      while (index < laneSteps.length) {
        const first = laneSteps[index]!;
        const bucket = Math.floor((first.ts - start) / bucketUs);
        let last = index + 1;
        while (last < laneSteps.length && Math.floor((laneSteps[last]!.ts - start) / bucketUs) === bucket) last++;
        if (last - index === 1) {
          bars.push(first);
        } else {
          let stepsEnd = first.ts;
          let busy = 0;
          for (let i = index; i < last; i++) {
            stepsEnd = Math.max(stepsEnd, laneSteps[i]!.ts + laneSteps[i]!.dur);
            busy += laneSteps[i]!.dur;
          }
          const count = last - index;
          bars.push({ lane: first.lane, ts: first.ts, dur: stepsEnd - first.ts, name: `${count} steps`, cat: STEP_CATEGORY, blocked: false, count, busy });
          mergedSteps += count;
          mergedBars += 1;
        }
        index = last;
      }
    }
    // A bucket of 1/250 of the timeline is the coarsest: a few pixels when the page shows it all.
    if (bars.length <= MAX_STEP_BARS || buckets <= 250) {
      return { spans: [...others, ...bars], merged: { steps: steps.length, mergedSteps, bars: mergedBars, bucketUs } };
    }
    buckets /= 2;
  }
}

/** The tracer's `topBlockers` when it wrote them (they count dropped spans too), else from the spans. */
function topBlockers(recorded: unknown, blocked: ViewSpan[]): Blocker[] {
  if (Array.isArray(recorded)) {
    return recorded.filter(isObject).map((entry) => ({
      file: str(entry["file"]) ?? null,
      line: num(entry["line"]) ?? null,
      function: str(entry["function"]) ?? "<unknown>",
      totalMs: num(entry["totalMs"]) ?? 0,
      count: num(entry["count"]) ?? 0,
    }));
  }
  const sites = new Map<string, Blocker>();
  for (const span of blocked) {
    const key = `${span.file ?? ""}\u0000${span.line ?? ""}\u0000${span.function ?? ""}`;
    const site = sites.get(key) ?? { file: span.file ?? null, line: span.line ?? null, function: span.function ?? "<unknown>", totalMs: 0, count: 0 };
    site.totalMs += span.dur / 1000;
    site.count += 1;
    sites.set(key, site);
  }
  return [...sites.values()].sort((a, b) => b.totalMs - a.totalMs).slice(0, 20);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function formatMs(ms: number): string {
  return `${ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)} ms`;
}

function renderSummary(model: ViewModel): string {
  const items: [string, string, string?][] = [];
  if (model.runtime !== undefined) items.push(["runtime", model.runtime]);
  if (model.mode !== undefined) items.push(["mode", model.mode]);
  if (model.thresholdMs !== undefined) items.push(["threshold", `${model.thresholdMs} ms`]);
  items.push(["blocks", `${model.blocked}${model.dropped > 0 ? ` (${model.dropped} not kept in the trace)` : ""}`]);
  if (model.durationMs !== undefined) items.push(["duration", formatMs(model.durationMs)]);
  if (model.processes !== undefined && model.processes.length > 1) items.push(["processes", String(model.processes.length)]);
  if (model.merged !== undefined) {
    const { steps, mergedSteps, bars, bucketUs } = model.merged;
    items.push(["steps", `${steps.toLocaleString("en-US")} step events: ${mergedSteps.toLocaleString("en-US")} merged into ${bars.toLocaleString("en-US")} bars for size (a lane's steps within the same ${formatMs(bucketUs / 1000)})`, "merged"]);
  }
  if (model.argv !== undefined && model.argv.length > 0) items.push(["program", model.argv.join(" "), "program"]);
  const rows = items.map(([term, value, className]) => `<div><dt>${term}</dt><dd${className ? ` class="${className}"` : ""} id="summary-${term}">${escapeHtml(value)}</dd></div>`);
  return `<dl class="summary">${rows.join("")}</dl>`;
}

function renderBlockers(model: ViewModel): string {
  if (model.blocked === 0 && model.topBlockers.length === 0) {
    const why = model.thresholdMs !== undefined ? `the event loop was never blocked for longer than ${model.thresholdMs} ms` : "the trace holds no blocked spans";
    return `<p class="no-blocks" id="no-blocks">No blocks: ${why}.</p>`;
  }
  const rows = model.topBlockers.map((site) => {
    const where = site.file === null ? "unknown place" : `${site.file}:${site.line ?? "?"}`;
    return (
      `<tr data-file="${escapeHtml(site.file ?? "")}" data-line="${site.line ?? ""}" title="Show the longest block here">` +
      `<td class="where">${escapeHtml(where)}</td><td>${escapeHtml(site.function)}</td>` +
      `<td class="num">${site.totalMs.toFixed(1)}</td><td class="num">${site.count}</td></tr>`
    );
  });
  return (
    `<table class="blockers"><thead><tr><th>file:line</th><th>function</th><th class="num">total ms</th><th class="num">count</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>`
  );
}

/**
 * The Content-Security-Policy of a page, and the nonce its `<script>` and `<style>` elements carry
 * (none in the page the CLI writes: a file opened from disk has only inline content to allow).
 */
export interface PagePolicy {
  csp: string;
  nonce?: string;
}

/** The page `corolint view` writes: inline script and style only, no fetch of any kind. */
export const FILE_PAGE_POLICY: PagePolicy = { csp: "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:" };

/**
 * The policy of the page in VS Code's "corolint: Schedule" panel: only the page's own script and
 * style elements run (they carry `nonce`), no inline event handler or style attribute, nothing
 * fetched — not even from the extension (`webview.cspSource`), since everything is inlined.
 */
export function webviewPagePolicy(nonce: string): PagePolicy {
  // The nonce goes into an attribute and the policy: base64 only, so neither can be broken out of.
  if (!/^[A-Za-z0-9+/]{16,}={0,2}$/.test(nonce)) throw new Error("a webview nonce must be base64, at least 16 characters");
  return { csp: `default-src 'none'; img-src data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'`, nonce };
}

/** Fills the template's slots. `script` is viewer.js; `file` is the trace's name for the title. */
export function renderViewerHtml(model: ViewModel, file: string, template: string, script: string, policy: PagePolicy = FILE_PAGE_POLICY): string {
  if (/<\/script/i.test(script)) throw new Error("viewer.js must not contain a closing script tag");
  if (/["<>&]/.test(policy.csp)) throw new Error("a Content-Security-Policy must not contain \", <, > or &");
  // `<` escaped: the JSON sits in a <script> element, where `</script>` in a file name would end it.
  const data = JSON.stringify(model).replace(/</g, "\\u003c");
  const slots: Record<string, string> = {
    // Not escaped: the policies are made here, from a checked nonce, and hold no `"`, `<` or `&`.
    csp: policy.csp,
    nonce: policy.nonce === undefined ? "" : ` nonce="${escapeHtml(policy.nonce)}"`,
    title: escapeHtml(`corolint schedule: ${file}`),
    file: escapeHtml(file),
    summary: renderSummary(model),
    blockers: renderBlockers(model),
    data,
    script,
  };
  // A function replacement: `$&` and friends in the trace must stay literal.
  return template.replace(/\{\{(\w+)\}\}/g, (slot, name: string) => slots[name] ?? slot);
}

/** The viewer's template and script, as `corolint view` and the VS Code panel fill them. */
export interface ViewerAssets {
  template: string;
  script: string;
}

/** Reads `viewer.html` and `viewer.js` from the runtime folder; null when they are missing (a broken build). */
export function loadViewerAssets(): ViewerAssets | null {
  const viewerDir = join(runtimeDir(), "viewer");
  try {
    return { template: readFileSync(join(viewerDir, "viewer.html"), "utf8"), script: readFileSync(join(viewerDir, "viewer.js"), "utf8") };
  } catch {
    return null;
  }
}

/** Where the page goes by default: `t.json` → `t.html`, any other name + `.html`, beside the trace. */
export function defaultOutput(tracePath: string): string {
  return join(dirname(tracePath), basename(tracePath).replace(/\.json$/i, "") + ".html");
}

/** The command that opens `file` in the user's browser on `platform`. */
export function openerCommand(platform: NodeJS.Platform, file: string): { command: string; args: string[]; windowsVerbatimArguments?: boolean } {
  if (platform === "darwin") return { command: "open", args: [file] };
  // `start`'s first quoted argument is a window title: an empty one, so that the quoted file is the
  // thing started. Verbatim: Node's own quoting of arguments is not cmd's.
  if (platform === "win32") return { command: "cmd", args: ["/c", "start", '""', `"${file}"`], windowsVerbatimArguments: true };
  return { command: "xdg-open", args: [file] };
}

/** How long `--open` watches the opener for a failure before leaving it to run on its own. */
const OPENER_GRACE_MS = 1000;

/**
 * Starts the opener, detached (it may go on running: the CLI does not wait for the browser), and
 * resolves with null when it started and did not fail within `OPENER_GRACE_MS`, else with why.
 */
function openInBrowser(file: string, io: Io): Promise<string | null> {
  const { command, args, windowsVerbatimArguments } = openerCommand(process.platform, file);
  return new Promise((resolvePromise) => {
    let child;
    try {
      child = spawn(command, args, { detached: true, stdio: "ignore", env: io.env, ...(windowsVerbatimArguments === true && { windowsVerbatimArguments }) });
    } catch (error) {
      resolvePromise(`${command} could not start (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    const timer = setTimeout(() => done(null), OPENER_GRACE_MS);
    const done = (problem: string | null): void => {
      clearTimeout(timer);
      child.removeAllListeners();
      child.unref();
      resolvePromise(problem);
    };
    child.on("error", (error: NodeJS.ErrnoException) => done(error.code === "ENOENT" ? `${command} was not found` : `${command} could not start (${error.message})`));
    child.on("exit", (code, signal) => done(code === 0 ? null : `${command} failed (${signal ?? `exit status ${code}`})`));
  });
}

/** Reads the trace, writes the page, prints its path (and opens it with `--open`). 0 on success, 2 when the trace is unusable. */
export async function runView(args: ViewArgs, io: Io): Promise<number> {
  const tracePath = resolve(io.cwd, args.trace);
  let text: string;
  try {
    text = readFileSync(tracePath, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : error instanceof Error ? error.message : String(error);
    io.stderr.write(`corolint: cannot read the trace ${args.trace}: ${reason}\n`);
    return 2;
  }
  let model: ViewModel;
  try {
    let trace: unknown;
    try {
      trace = JSON.parse(text);
    } catch (error) {
      throw new TraceFormatError(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    model = buildViewModel(trace);
  } catch (error) {
    if (!(error instanceof TraceFormatError)) throw error;
    io.stderr.write(`corolint: ${args.trace} is not a trace corolint can show: ${error.message}\n`);
    return 2;
  }

  const output = args.output === undefined ? defaultOutput(tracePath) : resolve(io.cwd, args.output);
  if (output === tracePath) {
    io.stderr.write(`corolint: the page would overwrite the trace ${args.trace}: choose another name with -o\n`);
    return 2;
  }
  const assets = loadViewerAssets();
  if (assets === null) {
    io.stderr.write(`corolint: the viewer's files are missing (${join(runtimeDir(), "viewer")}): rebuild corolint (npm run build)\n`);
    return 2;
  }
  const html = renderViewerHtml(model, basename(tracePath), assets.template, assets.script);
  try {
    writeFileSync(output, html);
  } catch (error) {
    io.stderr.write(`corolint: cannot write ${output}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (model.blocked === 0) io.stderr.write(`corolint: no blocks in ${args.trace}: the page shows an empty schedule\n`);
  io.stdout.write(`${output.startsWith(io.cwd + "/") ? output.slice(io.cwd.length + 1) : output}\n`);
  if (args.open === true) {
    // The page is written either way: a browser that cannot be started is worth a word, not a failure.
    const problem = await openInBrowser(output, io);
    if (problem !== null) io.stderr.write(`corolint: could not open the page in a browser: ${problem}; open ${output} yourself\n`);
  }
  return 0;
}
