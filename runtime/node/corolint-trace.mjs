/**
 * corolint's runtime tracer for Node, light and steps modes (issue #6).
 *
 *   node --import /abs/path/runtime/node/corolint-trace.mjs app.js
 *   NODE_OPTIONS="--import /abs/path/runtime/node/corolint-trace.mjs" npm start   # children too
 *
 * Finds the spans during which the main thread's event loop could not run anything (a busy loop, a
 * `*Sync` call, a long GC) and writes them as a Chrome trace (see runtime/README.md). Environment:
 *
 *   COROLINT_TRACE_OUTPUT        trace file (default: corolint-trace.json in the current folder)
 *   COROLINT_TRACE_PER_PROCESS   1: write <name>.<pid>.json, so that several processes do not collide
 *   COROLINT_TRACE_THRESHOLD_MS  a loop stalled longer than this is "blocked" (default 50)
 *   COROLINT_TRACE_SIGNALS       0: do not listen to SIGINT/SIGTERM (the trace is then lost on them)
 *   COROLINT_TRACE_MODE          steps: also a lane per async task with its steps (steps.mjs; async_hooks,
 *                                which slows promise-heavy code several times); anything else: light
 *
 * How: a heartbeat on the main thread (an unref'ed interval, every threshold/4) stores the time in a
 * SharedArrayBuffer; a watchdog worker (unref'ed) sees the heartbeat go late while the loop is stuck
 * and marks the start of the block; when the loop comes back, the next heartbeat records the span.
 * V8's sampling CPU profiler runs on the main thread the whole time: when a block ends, the profile
 * is stopped, the samples that fall inside the block name the hot line, and a new profile starts.
 * The profiler's overhead (a sample every millisecond, and a stop/start per block and every
 * ROTATE_US) is the price of line attribution; everything else is a timer and two atomics.
 *
 * The program must not notice: nothing is written to stdout/stderr (only "corolint trace: ..." on
 * stderr when the tracer itself fails), exit codes, uncaught-exception output and signal deaths are
 * unchanged, and nothing here keeps the process alive.
 */
import { isMainThread, Worker } from "node:worker_threads";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, extname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startSteps } from "./steps.mjs";

const FORMAT_VERSION = 1;
/** At most this many spans are kept as events; later ones are counted in `dropped`. */
const MAX_SPANS = 100_000;
/** At most this many distinct blocker locations are aggregated for topBlockers. */
const MAX_BLOCKERS = 10_000;
const TOP_BLOCKERS = 20;
/** A profile running longer than this without a block is thrown away and restarted (bounds memory). */
const ROTATE_US = 10_000_000n;
const SAMPLING_INTERVAL_US = 1000;
const MAX_STACK = 32;
const SYNTHETIC = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

// Only the main thread of a process is traced (the program's own workers inherit --import too).
if (isMainThread && !globalThis.__corolintTrace) {
  Object.defineProperty(globalThis, "__corolintTrace", { value: true, enumerable: false });
  try {
    start();
  } catch (error) {
    fail("could not start", error);
  }
}

function fail(what, error) {
  try {
    writeSync(2, `corolint trace: ${what}: ${error && error.message ? error.message : String(error)}\n`);
  } catch {
    // stderr is gone: nothing more to do.
  }
}

function nowUs() {
  return process.hrtime.bigint() / 1000n;
}

function start() {
  const env = process.env;
  const thresholdMs = positiveNumber(env.COROLINT_TRACE_THRESHOLD_MS, 50);
  const thresholdUs = BigInt(Math.round(thresholdMs * 1000));
  const periodMs = Math.max(1, Math.round(thresholdMs / 4));
  const perProcess = env.COROLINT_TRACE_PER_PROCESS === "1";
  const collectedByCli = perProcess && env.COROLINT_TRACE_OUTPUT_DIR !== undefined;
  const output = outputPath(env.COROLINT_TRACE_OUTPUT, perProcess);
  const mode = env.COROLINT_TRACE_MODE === "steps" ? "steps" : "light";
  const startWall = Date.now();
  const t0 = nowUs();
  const startEpochMs = performance.timeOrigin + performance.now();

  const spans = []; // {start, dur (µs since t0), file, line, function, stack, task (steps mode) or null, unfinished}
  const stacks = new Map(); // one array per distinct stack, shared by the spans that have it
  let blockedCount = 0;
  let dropped = 0;
  const blockers = new Map(); // "file:line function" -> {file, line, function, totalUs, count}
  let written = false;

  const profiler = startProfiler();
  const sources = new Map(); // file -> lines (read once, for call-site lines)

  // [0] last heartbeat (µs, hrtime clock, shared by all threads), [1] block start marked by the
  // watchdog (0 = none), [2] when the watchdog noticed it.
  const shared = new BigInt64Array(new SharedArrayBuffer(3 * 8));
  Atomics.store(shared, 0, nowUs());

  const heartbeat = setInterval(beat, periodMs);
  heartbeat.unref();
  startWatchdog(shared, thresholdUs, periodMs);
  // Enabled last: the heartbeat, the watchdog and the profiler were made before the hook saw anything,
  // so their callbacks are not steps of the program.
  const steps = mode === "steps" ? startSteps({ t0, thresholdUs: Number(thresholdUs), ownFiles: ownFiles() }) : null;
  // Starting the watchdog thread can take tens of milliseconds on a busy machine: the tracer's own
  // start-up is not a block of the program.
  Atomics.store(shared, 0, nowUs());

  function beat() {
    try {
      const now = nowUs();
      const last = Atomics.exchange(shared, 0, now);
      const marked = Atomics.exchange(shared, 1, 0n);
      const stalled = marked !== 0n || now - last > thresholdUs;
      const blockedSteps = steps ? steps.takeBlocked() : [];
      if (stalled || blockedSteps.length > 0) {
        const profile = profiler ? profiler.take() : null;
        recordSteps(blockedSteps, profile);
        if (stalled) record(marked !== 0n && marked < last ? marked : last, now, profile);
        // Stopping the profiler and reading its samples can take tens of milliseconds: the tracer's
        // own work, not a block of the program.
        Atomics.store(shared, 0, nowUs());
        Atomics.store(shared, 1, 0n);
      } else if (profiler && profiler.rotateIfOld(now)) Atomics.store(shared, 0, nowUs());
    } catch (error) {
      fail("heartbeat failed", error);
    }
  }

  /** Steps mode: blocked steps, on their task's lane, blamed like the heartbeat's spans. */
  function recordSteps(blockedSteps, profile) {
    for (const step of blockedSteps) {
      const from = t0 + BigInt(Math.round(step.start));
      const to = t0 + BigInt(Math.round(step.end));
      const where = profile ? attribute(profile, from, to, sources) : null;
      addSpan(from, to, where && !where.idle ? where : null, step.task, step.unfinished);
    }
  }

  /** Records the stall between two heartbeats, `from` and `to` (µs, hrtime clock), on the event loop lane. */
  function record(from, to, profile) {
    // Steps mode: a block inside a step is on its task's lane already.
    if (steps && steps.coveredUntilUs >= 0) {
      const covered = t0 + BigInt(Math.round(steps.coveredUntilUs));
      if (covered > from) from = covered;
      if (to - from < thresholdUs) return;
    }
    const where = profile ? attribute(profile, from, to, sources) : null;
    // No sample but idle ones: the whole process was suspended (SIGSTOP, a sleeping laptop), the loop
    // was not blocked.
    if (where && where.idle) return;
    const begin = where && where.first !== undefined ? where.first : from;
    const end = where && where.last !== undefined ? where.last : to;
    if (end - begin < thresholdUs) return;
    addSpan(begin, end, where, null, false);
  }

  function addSpan(begin, end, where, task, unfinished) {
    const span = {
      start: Number(begin - t0),
      dur: Number(end - begin),
      file: where ? where.file : "(unknown)",
      line: where ? where.line : 0,
      function: where ? where.function : "(unknown)",
      stack: where ? internStack(where.stack) : [],
      task,
      unfinished,
    };
    blockedCount++;
    if (spans.length < MAX_SPANS) spans.push(span);
    else dropped++;
    const key = `${span.file}:${span.line} ${span.function}`;
    let blocker = blockers.get(key);
    if (!blocker && blockers.size < MAX_BLOCKERS) {
      blocker = { file: span.file, line: span.line, function: span.function, totalUs: 0, count: 0 };
      blockers.set(key, blocker);
    }
    if (blocker) {
      blocker.totalUs += span.dur;
      blocker.count++;
    }
  }

  function internStack(stack) {
    const key = stack.join("\n");
    const known = stacks.get(key);
    if (known) return known;
    if (stacks.size >= MAX_BLOCKERS) return stack.slice(0, 1);
    stacks.set(key, stack);
    return stack;
  }

  function writeTrace() {
    if (written) return;
    written = true;
    try {
      clearInterval(heartbeat);
      if (steps) steps.finish();
      // Still stuck when the process ends (a blocking call right before process.exit()).
      const now = nowUs();
      const last = Atomics.load(shared, 0);
      const blockedSteps = steps ? steps.takeBlocked() : [];
      if (now - last > thresholdUs || blockedSteps.length > 0) {
        const profile = profiler ? profiler.take() : null;
        recordSteps(blockedSteps, profile);
        if (now - last > thresholdUs) record(last, now, profile);
      }
      if (profiler) profiler.close();
      const trace = buildTrace();
      // Under `corolint trace` (which collects one file per process from its scratch folder), a
      // folder that is gone means the run was merged already: a process that outlived the command
      // writes nothing rather than leaving a new folder behind.
      if (collectedByCli && !existsSync(dirname(output))) return;
      mkdirSync(dirname(output), { recursive: true });
      const temp = `${output}.${process.pid}.tmp`;
      try {
        const fd = openSync(temp, "w");
        try {
          writeSync(fd, JSON.stringify(trace));
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(temp, output);
      } catch (error) {
        try {
          unlinkSync(temp);
        } catch {
          // never made
        }
        throw error;
      }
    } catch (error) {
      fail(`could not write ${output}`, error);
    }
  }

  function buildTrace() {
    const pid = process.pid;
    const tid = process.pid; // the main thread's OS thread id on Linux
    const events = [
      { ph: "M", name: "process_name", pid, tid, ts: 0, args: { name: processName() } },
      { ph: "M", name: "thread_name", pid, tid, ts: 0, args: { name: "event loop" } },
      { ph: "M", name: "thread_sort_index", pid, tid, ts: 0, args: { sort_index: 0 } },
    ];
    if (steps) for (const event of steps.events(pid, tid)) events.push(event);
    for (const span of spans) {
      const args = { file: span.file, line: span.line, function: span.function, stack: span.stack };
      if (span.unfinished) args.unfinished = true;
      events.push({
        ph: "X",
        cat: "corolint.blocked",
        name: `blocked ${span.function} (${displayFile(span.file)}:${span.line})`,
        pid,
        tid: span.task ? steps.tidOf(span.task, pid) : tid,
        ts: span.start,
        dur: span.dur,
        args,
      });
    }
    const topBlockers = [...blockers.values()]
      .sort((a, b) => b.totalUs - a.totalUs || b.count - a.count)
      .slice(0, TOP_BLOCKERS)
      .map((b) => ({ file: b.file, line: b.line, function: b.function, totalMs: round(b.totalUs / 1000), count: b.count }));
    return {
      traceEvents: events,
      displayTimeUnit: "ms",
      otherData: {
        corolint: {
          formatVersion: FORMAT_VERSION,
          runtime: `node ${process.version}`,
          mode,
          pid,
          argv: process.argv.slice(1),
          startTime: new Date(startWall).toISOString(),
          // When ts 0 was, in epoch milliseconds (sub-millisecond): `corolint trace` lines up processes with it.
          startEpochMs: round(startEpochMs),
          durationMs: round(Number(nowUs() - t0) / 1000),
          thresholdMs,
          blocked: blockedCount,
          topBlockers,
          dropped,
          ...(steps ? steps.metadata() : {}),
        },
      },
    };
  }

  process.on("exit", writeTrace);
  // An uncaught exception skips the `after` hooks of the steps it unwinds (a monitor changes nothing
  // for the program: Node still prints the error and exits unless the program handles it).
  if (steps) process.on("uncaughtExceptionMonitor", () => steps.unwind());
  if (env.COROLINT_TRACE_SIGNALS !== "0") for (const signal of ["SIGINT", "SIGTERM"]) listenTo(signal);

  /**
   * Writes the trace on a signal and dies of it, as the program would have without a listener. When
   * the program listens to the signal itself, it decides: the tracer does nothing (the 'exit' event
   * writes the trace if the program exits). Installed only when the program has no listener yet.
   */
  function listenTo(signal) {
    if (process.listenerCount(signal) > 0) return;
    const onSignal = () => {
      if (process.listeners(signal).some((listener) => listener !== onSignal)) return;
      writeTrace();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * V8's sampling profiler on the main thread, through an in-process inspector session (its messages
 * are answered synchronously, so it works inside the 'exit' event too). Null when there is no
 * inspector (a Node built without it): spans are then recorded without a place.
 */
function startProfiler() {
  let session;
  try {
    // Loaded lazily: `node:inspector` throws in builds without the inspector.
    const { Session } = createRequire(import.meta.url)("node:inspector");
    session = new Session();
    session.connect();
    post(session, "Profiler.enable");
    post(session, "Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
    post(session, "Profiler.start");
  } catch (error) {
    fail("no CPU profiler, spans are recorded without a source line", error);
    return null;
  }
  let startedAt = nowUs();

  function restart() {
    const profile = post(session, "Profiler.stop").profile;
    post(session, "Profiler.start");
    startedAt = nowUs();
    return profile;
  }

  return {
    /** Starts a new profile when this one is old (bounds memory); true when it did. */
    rotateIfOld(now) {
      if (now - startedAt <= ROTATE_US) return false;
      restart();
      return true;
    },
    close() {
      try {
        post(session, "Profiler.stop");
        session.disconnect();
      } catch {
        // exiting anyway
      }
    },
    /** The samples so far (a new profile starts); null when the profiler failed. */
    take() {
      try {
        return restart();
      } catch (error) {
        fail("profiler failed", error);
        return null;
      }
    },
  };
}

function post(session, method, params) {
  let result;
  let failure;
  session.post(method, params, (error, value) => {
    failure = error;
    result = value;
  });
  if (failure) throw failure;
  if (result === undefined) throw new Error(`${method} did not answer synchronously`);
  return result;
}

function attribute(profile, from, to, sources) {
  const nodes = new Map();
  const parents = new Map();
  for (const node of profile.nodes) {
    nodes.set(node.id, node);
    if (node.children) for (const child of node.children) parents.set(child, node.id);
  }
  const counts = new Map(); // frame (and callee) -> {id, callee, count}
  let busy = 0;
  let gc = 0;
  let first;
  let last;
  let t = BigInt(Math.round(profile.startTime));
  const samples = profile.samples || [];
  const deltas = profile.timeDeltas || [];
  for (let i = 0; i < samples.length; i++) {
    t += BigInt(deltas[i] || 0);
    if (t < from) continue;
    if (t > to) break;
    const leaf = nodes.get(samples[i]);
    if (!leaf) continue;
    const name = leaf.callFrame.functionName;
    if (name === "(idle)") continue;
    if (first === undefined) first = t;
    last = t;
    if (name === "(garbage collector)") gc++;
    if (SYNTHETIC.has(name)) continue;
    busy++;
    // Up from the leaf to the first frame of the program's own code; `callee` is the frame it called
    // (execSync, readFileSync...) when the leaf is inside Node.
    let id = leaf.id;
    let callee = null;
    while (id !== undefined) {
      const node = nodes.get(id);
      if (isUserFrame(node.callFrame)) break;
      if (!SYNTHETIC.has(node.callFrame.functionName)) callee = node;
      id = parents.get(id);
    }
    if (id === undefined) id = leaf.id; // nothing of the program's: keep the internal leaf
    if (id !== leaf.id && callee === null) callee = leaf;
    const key = id === leaf.id ? `${id}` : `${id}>${callee.callFrame.functionName}`;
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { id, callee: id === leaf.id ? null : callee, count: 1 });
  }
  // Only idle samples, or none at all: the process itself was not running (stopped, suspended,
  // starved of CPU), which is not the program blocking its loop.
  if (first === undefined) return { idle: true };
  if (busy === 0) {
    const fn = gc > 0 ? "(garbage collector)" : "(program)";
    return { file: "(native)", line: 0, function: fn, stack: [], first, last };
  }
  let best;
  for (const entry of counts.values()) if (!best || entry.count > best.count) best = entry;
  const node = nodes.get(best.id);
  const frame = node.callFrame;
  const file = frameFile(frame.url);
  let line = frame.lineNumber + 1;
  if (best.callee) {
    // A call into Node: V8 gives no line for a frame that is not the leaf, so the call is looked up
    // in the function's source by the callee's name.
    line = callSiteLine(file, frame, best.callee.callFrame.functionName, sources) ?? line;
  } else if (node.positionTicks && node.positionTicks.length > 0) {
    let hottest = node.positionTicks[0];
    for (const tick of node.positionTicks) if (tick.ticks > hottest.ticks) hottest = tick;
    line = hottest.line; // already 1-based
  }
  // The callers, innermost first; a caller's line is where it calls the frame below (looked up by
  // name in its source, else the line where the caller starts).
  const stack = [`${file}:${line} ${functionName(frame)}`];
  let callee = frame;
  for (let id = parents.get(node.id); id !== undefined && stack.length < MAX_STACK; id = parents.get(id)) {
    const parent = nodes.get(id).callFrame;
    if (parent.functionName === "(root)") break;
    const parentFile = frameFile(parent.url);
    const parentLine = (isUserFrame(parent) && callSiteLine(parentFile, parent, callee.functionName, sources)) || parent.lineNumber + 1;
    stack.push(`${parentFile}:${parentLine} ${functionName(parent)}`);
    callee = parent;
  }
  const end = last + BigInt(SAMPLING_INTERVAL_US);
  return { file, line, function: functionName(frame), stack, first, last: end < to ? end : to };
}

function isUserFrame(frame) {
  const url = frame.url;
  return url !== "" && !url.startsWith("node:") && !SYNTHETIC.has(frame.functionName);
}

function functionName(frame) {
  return frame.functionName || "(anonymous)";
}

function frameFile(url) {
  if (!url) return "(native)";
  if (url.startsWith("file://")) {
    try {
      return fileURLToPath(url);
    } catch {
      return url;
    }
  }
  return url;
}

/** The first line at or after the function's start that calls `callee` (1-based), or undefined. */
function callSiteLine(file, frame, callee, sources) {
  if (!callee || !/^[\w$]+$/.test(callee) || !isAbsolute(file)) return undefined;
  let lines = sources.get(file);
  if (lines === undefined) {
    try {
      lines = readFileSync(file, "utf8").split(/\r?\n/);
    } catch {
      lines = null;
    }
    if (sources.size < 1000) sources.set(file, lines);
  }
  if (!lines) return undefined;
  const call = new RegExp(`(^|[^\\w$])${callee.replace(/\$/g, "\\$")}\\s*\\(`);
  const end = Math.min(lines.length, frame.lineNumber + 2000);
  for (let i = Math.max(0, frame.lineNumber); i < end; i++) if (call.test(lines[i])) return i + 1;
  return undefined;
}

function startWatchdog(shared, thresholdUs, periodMs) {
  // The watchdog runs while the main thread is stuck: it marks when the block began (the last beat).
  const source = `
    const { workerData } = require("node:worker_threads");
    const shared = workerData.shared;
    const threshold = BigInt(workerData.thresholdUs);
    setInterval(() => {
      const now = process.hrtime.bigint() / 1000n;
      const last = Atomics.load(shared, 0);
      if (now - last > threshold && Atomics.compareExchange(shared, 1, 0n, last) === 0n) Atomics.store(shared, 2, now);
    }, workerData.periodMs);
  `;
  try {
    const worker = new Worker(source, {
      eval: true,
      workerData: { shared, thresholdUs: Number(thresholdUs), periodMs },
      execArgv: [],
      env: {},
      stdout: true,
      stderr: true,
      name: "corolint-watchdog",
    });
    worker.unref();
    worker.on("error", (error) => fail("watchdog failed", error));
  } catch (error) {
    fail("could not start the watchdog", error);
  }
}

/** This tracer's files, as stack frames name them (paths, and URLs for ES modules). */
function ownFiles() {
  const files = [import.meta.url, new URL("./steps.mjs", import.meta.url).href];
  return [...files, ...files.map((url) => fileURLToPath(url))];
}

function outputPath(value, perProcess) {
  let path = resolve(process.cwd(), value || "corolint-trace.json");
  if (perProcess) {
    const ext = extname(path);
    const stem = ext === ".json" ? path.slice(0, -ext.length) : path;
    path = `${stem}.${process.pid}.json`;
  }
  return path;
}

function positiveNumber(value, fallback) {
  const number = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(number) && number > 0 ? number : fallback;
}

function processName() {
  const args = process.argv.slice(1).map((arg, index) => {
    if (index === 0 && isAbsolute(arg)) {
      const rel = relative(process.cwd(), arg);
      return rel && !rel.startsWith("..") ? rel : basename(arg);
    }
    return arg;
  });
  const name = ["node", ...args].join(" ");
  return name.length > 200 ? `${name.slice(0, 199)}…` : name;
}

function displayFile(file) {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

function round(value) {
  return Math.round(value * 1000) / 1000;
}
