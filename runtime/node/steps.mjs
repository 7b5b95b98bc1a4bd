/**
 * Steps mode of corolint's Node tracer (loaded by corolint-trace.mjs when COROLINT_TRACE_MODE=steps).
 *
 * A step is one synchronous run of a callback: async_hooks `before` → `after` of a resource (a timer,
 * an I/O callback, an immediate, a promise reaction such as an `await` continuation). Each step is put
 * on the lane of a *task*:
 *
 *   - a promise belongs to the task whose code created it (the resource running at its `init`), so an
 *     `await` continuation runs on the lane of the code that awaited;
 *   - a Timeout or Immediate whose callback is a function of the program (not a promise's resolve
 *     function) is a new task, tentatively: if its first step creates nothing (a `() => resolve()`
 *     wake-up, a counter), it is folded back into its creator's task; if it starts work (promises,
 *     timers, I/O), it becomes a lane of its own, named after the callback and where it was created;
 *   - a server handle (TCPSERVERWRAP, PIPESERVERWRAP) is a task, and so is each connection it accepts;
 *   - everything else (I/O requests, sockets, ticks...) belongs to the task that created it, and what
 *     is created outside any step (the main module, the ESM loader) belongs to the `main` task.
 *
 * Tasks are carried like AsyncLocalStorage carries its store: a symbol property on the resource object
 * at `init`, read back through executionAsyncResource() in `before`. Nothing is kept per asyncId, so
 * memory follows the program's own resources (no `destroy` or `promiseResolve` hook: either would make
 * Node track every promise and cost more than the rest of the hook together).
 */
import { createHook, executionAsyncResource } from "node:async_hooks";
import { fileURLToPath } from "node:url";

/** Lanes with a name of their own (main included); later tasks share the `other` lane. */
export const MAX_LANES = 200;
/** At most this many events (steps on two lanes, flows) are kept; later ones are counted in `dropped`. */
export const MAX_EVENTS = 500_000;
/** Steps at least this long (µs) are always kept. */
const LONG_STEP_US = 500;
/** One in this many of the other steps is kept. */
const SAMPLE_EVERY = 10;
/** One in this many steps captures where it suspended (a stack per promise it makes: ~10 µs each). */
const LOCATE_EVERY = 200;
/** A step making more promises than this gives up its location (bounds the cost of a located step). */
const MAX_CAPTURES = 8;
/** Deeper nesting of steps (callbacks run synchronously inside callbacks) is not followed. */
const MAX_DEPTH = 256;

const TASK = Symbol("corolint.task");
/** Server handles followed to their accepted connections (a connection's trigger is its server). */
const MAX_SERVERS = 1000;

const TENTATIVE = 0;
const CONFIRMED = 1;
const MERGED = 2;

const functionToString = Function.prototype.toString;

/**
 * Starts the hook. `t0` is the tracer's start (time 0 of the trace) in µs of process.hrtime.bigint();
 * `thresholdUs` makes a step blocked. Returns the steps recorder (see the methods at the end).
 */
export function startSteps({ t0, thresholdUs, ownFiles }) {
  // process.hrtime() is the same clock as t0 and about 3x cheaper to read than performance.now().
  const baseSeconds = Number(t0 / 1_000_000n);
  const baseUs = Number(t0 % 1_000_000n);
  const lanes = []; // confirmed tasks with a lane, in creation order
  const laneNames = new Map(); // name -> how many lanes have it (to number duplicates)
  const servers = new Map(); // asyncId of a server handle -> its task
  const mainTask = newTask(null, "main", "", null, 0);
  const otherTask = newTask(null, "other", "", null, 0);
  mainTask.name = `main ${mainName()}`;
  confirm(mainTask, null);
  otherTask.state = CONFIRMED;
  otherTask.name = "other";
  let folded = 0; // tasks put on the `other` lane

  // Kept steps, as parallel arrays (µs since the tracer's start).
  const stepTask = [];
  const stepStart = [];
  const stepDur = [];
  const stepWhere = []; // suspendedAt or null
  const stepFlags = []; // UNFINISHED
  const flows = []; // {id, from: task, ts, to: task, fts}
  let events = 0;
  let dropped = 0;
  let sampledOut = 0;
  let steps = 0;
  let counter = 0;
  const pendingBlocked = []; // blocked steps not yet blamed: {start, end, task, unfinished}
  let blockedSteps = 0;
  let coveredUntilUs = -1; // end of the last blocked step: the heartbeat does not report it again

  // The steps running now, outermost first (nested when a callback runs another synchronously).
  let depth = 0;
  const openId = new Float64Array(MAX_DEPTH); // asyncIds of the open steps
  const openTask = new Array(MAX_DEPTH).fill(null);
  const openStart = new Float64Array(MAX_DEPTH);
  const openNested = new Float64Array(MAX_DEPTH);
  const openSampled = new Uint8Array(MAX_DEPTH);
  const openRecord = new Array(MAX_DEPTH).fill(null); // the step's record when it created a task
  const openHolder = new Array(MAX_DEPTH).fill(null); // stack of its last promise, when locating
  let locating = null; // openHolder of the innermost step, or null

  const hook = createHook({ init, before, after });
  hook.enable();

  function nowUs() {
    const time = process.hrtime();
    return (time[0] - baseSeconds) * 1e6 + (time[1] / 1000 - baseUs);
  }

  function newTask(creator, kind, fn, holder, createdUs) {
    return {
      state: TENTATIVE,
      mergedInto: null,
      creator,
      kind,
      fn,
      holder, // a captured stack (formatted only if the task gets a lane), or null
      location: "",
      createdUs,
      creatorStep: null,
      spawned: false,
      lane: -1,
      name: "",
      firstUs: -1,
      lastStart: -1, // the lane's last step when it was not kept
      lastDur: 0,
    };
  }

  /** The task a merged task now belongs to. */
  function settled(task) {
    while (task.mergedInto !== null) task = task.mergedInto;
    return task;
  }

  function init(asyncId, type, triggerAsyncId, resource) {
    let parent = executionAsyncResource()[TASK];
    if (parent === undefined) parent = mainTask;
    else if (parent.mergedInto !== null) parent = settled(parent);
    if (type === "PROMISE") {
      resource[TASK] = parent;
      if (parent.state === TENTATIVE) parent.spawned = true;
      if (locating !== null) locate();
      return;
    }
    if (parent.state === TENTATIVE) parent.spawned = true;
    try {
      resource[TASK] = taskFor(asyncId, type, triggerAsyncId, resource, parent) ?? parent;
    } catch {
      // A resource that takes no property (a frozen AsyncResource...): its steps are not seen. An
      // exception escaping an async hook would end the program.
    }
  }

  /** A new task for this resource, or undefined when it belongs to its creator's. */
  function taskFor(asyncId, type, triggerAsyncId, resource, parent) {
    let callback;
    let kind = type;
    if (type === "Timeout") {
      callback = resource._onTimeout;
      if (resource._repeat) kind = "Interval";
    } else if (type === "Immediate") {
      callback = resource._onImmediate;
    } else if (type === "TCPSERVERWRAP" || type === "PIPESERVERWRAP") {
      const task = newTask(parent, kind, "", captureStack(), nowUs());
      spawnedHere(task, true);
      confirm(task, null);
      if (servers.size < MAX_SERVERS) servers.set(asyncId, task);
      return task;
    } else if ((type === "TCPWRAP" || type === "PIPEWRAP") && servers.has(triggerAsyncId)) {
      // Accepted by a server (Node makes it before entering the server's callback: no current task).
      const server = settled(servers.get(triggerAsyncId));
      const task = newTask(server, "connection", "", null, nowUs());
      task.location = server.name;
      confirm(task, null);
      return task;
    } else if (type === "HTTPINCOMINGMESSAGE") {
      // An HTTP server's parser for one connection: made in the server's callback, but its requests
      // are the connection's.
      const socketHandle = resource.socket && resource.socket._handle;
      const connection = socketHandle ? socketHandle[TASK] : undefined;
      return connection === undefined ? undefined : settled(connection);
    } else {
      return undefined;
    }
    if (typeof callback !== "function" || isNativeFunction(callback)) return undefined;
    const task = newTask(parent, kind, callback.name, lanes.length < MAX_LANES ? captureStack() : null, nowUs());
    spawnedHere(task, false);
    return task;
  }

  function captureStack() {
    const holder = {};
    captureInto(holder, 16);
    return holder;
  }

  /** A promise made in a located step: its stack may be where the step suspends. */
  function locate() {
    if (++locating.captures > MAX_CAPTURES) {
      locating.stack = undefined; // no location rather than a wrong one
      locating = null;
      return;
    }
    captureInto(locating, 8);
  }

  /** Captures the stack below `init` into `holder`, at most `limit` frames (whatever the program set). */
  function captureInto(holder, limit) {
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = limit;
    Error.captureStackTrace(holder, init);
    Error.stackTraceLimit = saved;
  }

  /** Links a task made inside a step to that step, so the spawn arrow has a step to start from. */
  function spawnedHere(task, keep) {
    if (depth === 0) return;
    const level = depth - 1;
    let record = openRecord[level];
    if (record === null) {
      record = { task: openTask[level], start: openStart[level], dur: -1, kept: false, keep: false };
      openRecord[level] = record;
    }
    if (keep) record.keep = true;
    task.creatorStep = record;
  }

  function before(asyncId) {
    const resource = executionAsyncResource();
    let task = resource[TASK];
    if (task === undefined || depth === MAX_DEPTH) return; // the tracer's own timer, or too deep
    if (task.mergedInto !== null) {
      task = settled(task);
      resource[TASK] = task;
    }
    const level = depth++;
    openId[level] = asyncId;
    openTask[level] = task;
    openNested[level] = 0;
    openRecord[level] = null;
    counter++;
    openSampled[level] = counter % SAMPLE_EVERY === 0 ? 1 : 0;
    locating = counter % LOCATE_EVERY === 0 || task.firstUs < 0 ? { captures: 0 } : null;
    openHolder[level] = locating;
    openStart[level] = nowUs();
  }

  function after(asyncId) {
    const end = nowUs();
    if (depth === 0) return;
    if (openId[depth - 1] !== asyncId) {
      // Not a step we opened (the tracer's timer), or steps left open by an exception: close to it.
      let level = depth - 1;
      while (level >= 0 && openId[level] !== asyncId) level--;
      if (level < 0) return;
      while (depth - 1 > level) closeStep(end, 0);
    }
    closeStep(end, 0);
  }

  /** Ends the innermost open step at `end` (µs). */
  function closeStep(end, flags) {
    const level = --depth;
    const start = openStart[level];
    const dur = end - start;
    const nested = openNested[level];
    if (level > 0) openNested[level - 1] += dur;
    locating = level > 0 ? openHolder[level - 1] : null;
    let task = openTask[level];
    openTask[level] = null;
    if (task.state === TENTATIVE) task = settle(task, start);
    else if (task.mergedInto !== null) task = settled(task);
    steps++;
    const first = task.firstUs < 0;
    if (first) {
      task.firstUs = start;
      if (task.creatorStep !== null) arrow(task, task, start); // a server or connection, a lane since init
    }
    const blocked = dur - nested >= thresholdUs;
    const record = openRecord[level];
    const holder = openHolder[level];
    const keep = blocked || dur >= LONG_STEP_US || first || openSampled[level] === 1 || holder !== null || (record !== null && record.keep) || flags !== 0;
    if (record !== null) {
      record.task = task;
      record.dur = dur;
      record.kept = keep;
    }
    if (keep) {
      keepStep(task, start, dur, holder !== null ? suspendedAt(holder) : null, flags);
      task.lastStart = -1;
    } else {
      sampledOut++;
      task.lastStart = start;
      task.lastDur = dur;
    }
    if (blocked) {
      blockedSteps++;
      coveredUntilUs = end;
      pendingBlocked.push({ start, end, task, unfinished: flags !== 0 });
    }
  }

  function keepStep(task, start, dur, where, flags) {
    if (events + 2 > MAX_EVENTS) {
      dropped += 2;
      return;
    }
    events += 2;
    stepTask.push(task);
    stepStart.push(start);
    stepDur.push(dur);
    stepWhere.push(where);
    stepFlags.push(flags);
  }

  /** At the end of a tentative task's first step: a lane of its own if it started work, else its creator's. */
  function settle(task, firstStart) {
    if (!task.spawned) return merge(task);
    if (lanes.length >= MAX_LANES) {
      folded++;
      task.state = MERGED;
      task.mergedInto = otherTask;
      arrow(task, otherTask, firstStart);
      return otherTask;
    }
    const location = task.holder !== null ? creationSite(task.holder) : null;
    task.holder = null;
    // Made by Node itself (an HTTP keep-alive timer...), not by the program: not a task of its own.
    if (location === null) return merge(task);
    task.location = location;
    confirm(task, firstStart);
    return task;
  }

  function merge(task) {
    task.state = MERGED;
    task.holder = null;
    task.mergedInto = settled(task.creator);
    return task.mergedInto;
  }

  /** Gives a task its lane (or the `other` lane past MAX_LANES) and its spawn arrow. */
  function confirm(task, firstStart) {
    if (task !== mainTask && lanes.length >= MAX_LANES) {
      folded++;
      task.state = MERGED;
      task.mergedInto = otherTask;
      return;
    }
    task.state = CONFIRMED;
    if (task !== mainTask) {
      if (task.holder !== null && task.location === "") task.location = creationSite(task.holder) ?? "";
      task.holder = null;
      const base = [task.kind, task.location, task.fn].filter(Boolean).join(" ");
      const seen = (laneNames.get(base) ?? 0) + 1;
      laneNames.set(base, seen);
      task.name = seen === 1 ? base : `${base} #${seen}`;
    }
    task.lane = lanes.length;
    lanes.push(task);
    if (firstStart !== null) arrow(task, task, firstStart);
  }

  /** The spawn arrow of `task`, ending at `to`'s step starting at `fts`; keeps the creating step. */
  function arrow(task, to, fts) {
    const record = task.creatorStep;
    task.creatorStep = null;
    if (record === null) return; // made outside any step: nothing to start the arrow from
    if (record.dur < 0) record.keep = true; // the creating step is still running
    else if (!record.kept) {
      record.kept = true;
      sampledOut--;
      keepStep(settled(record.task), record.start, record.dur, null, 0);
    }
    if (events + 2 > MAX_EVENTS) {
      dropped += 2;
      return;
    }
    events += 2;
    flows.push({ from: record.task, ts: Math.max(task.createdUs, record.start), to, fts });
  }

  /** "file:line" of the last promise the step made (the await it suspended at), or null. */
  function suspendedAt(holder) {
    const frame = userFrame(holder);
    return frame === null ? null : `${frame.file}:${frame.line}`;
  }

  /** "file:line" of the program's code that made a task, or null when Node made it. */
  function creationSite(holder) {
    const frame = userFrame(holder);
    return frame === null ? null : `${displayFile(frame.file)}:${frame.line}`;
  }

  /** The innermost frame of the program's code in a captured stack. */
  function userFrame(holder) {
    const saved = Error.prepareStackTrace;
    let frames;
    Error.prepareStackTrace = (_error, callSites) => callSites;
    try {
      frames = holder.stack;
    } catch {
      frames = undefined;
    } finally {
      Error.prepareStackTrace = saved;
    }
    if (!Array.isArray(frames)) return null;
    for (const site of frames) {
      let file = site.getFileName();
      if (!file || file.startsWith("node:") || ownFiles.includes(file)) continue;
      if (file.startsWith("file://")) {
        try {
          file = fileURLToPath(file);
        } catch {
          // keep the URL
        }
      }
      return { file, line: site.getLineNumber() ?? 0 };
    }
    return null;
  }

  function isNativeFunction(fn) {
    // A promise's resolve function (`new Promise((r) => setTimeout(r, ms))`) has no name and no source.
    return fn.name === "" && functionToString.call(fn).endsWith("[native code] }");
  }

  function tidOf(task, pid) {
    const lane = task === otherTask ? lanes.length : settled(task).lane;
    return lane + 1 >= pid ? lane + 2 : lane + 1;
  }

  return {
    /** Blocked steps since the last call, to be blamed with the profiler. */
    takeBlocked() {
      return pendingBlocked.length === 0 ? [] : pendingBlocked.splice(0);
    },
    /** µs since the start: the end of the last blocked step. */
    get coveredUntilUs() {
      return coveredUntilUs;
    },
    /** The program is ending: steps still open end now, unfinished. */
    finish() {
      hook.disable();
      const end = nowUs();
      while (depth > 0) closeStep(end, 1);
    },
    /** An uncaught exception unwound the open steps without their `after`. */
    unwind() {
      const end = nowUs();
      while (depth > 0) closeStep(end, 0);
    },
    tidOf,
    /** The trace events of the lanes, steps and flows; the event loop lane is `loopTid`. */
    events(pid, loopTid) {
      const out = [];
      const named = otherTask.firstUs >= 0 ? [...lanes, otherTask] : lanes;
      if (otherTask.firstUs >= 0) otherTask.name = `other (${folded} tasks past the first ${MAX_LANES} lanes)`;
      for (let i = 0; i < named.length; i++) {
        const task = named[i];
        if (task.firstUs < 0) continue; // never ran a step
        const tid = tidOf(task, pid);
        out.push({ ph: "M", name: "thread_name", pid, tid, ts: 0, args: { name: task.name } });
        out.push({ ph: "M", name: "thread_sort_index", pid, tid, ts: 0, args: { sort_index: i + 1 } });
        // The lane's last step, when it was sampled out.
        if (task.lastStart >= 0) {
          sampledOut--;
          keepStep(task, task.lastStart, task.lastDur, null, 0);
          task.lastStart = -1;
        }
      }
      for (let i = 0; i < stepTask.length; i++) {
        const task = settled(stepTask[i]);
        const args = { task: task.name };
        if (stepWhere[i] !== null) args.suspendedAt = stepWhere[i];
        if (stepFlags[i] !== 0) args.unfinished = true;
        const step = { ph: "X", cat: "corolint.step", name: task.name, pid, tid: tidOf(task, pid), ts: round(stepStart[i]), dur: round(stepDur[i]), args };
        out.push(step, { ...step, tid: loopTid });
      }
      for (let i = 0; i < flows.length; i++) {
        const flow = flows[i];
        const id = i + 1;
        out.push({ ph: "s", cat: "corolint.spawn", name: "spawn", id, pid, tid: tidOf(flow.from, pid), ts: round(flow.ts) });
        out.push({ ph: "f", bp: "e", cat: "corolint.spawn", name: "spawn", id, pid, tid: tidOf(flow.to, pid), ts: round(flow.fts) });
      }
      return out;
    },
    metadata() {
      return {
        lanes: lanes.length,
        maxLanes: MAX_LANES,
        foldedTasks: folded,
        tasks: lanes.length + folded,
        steps,
        blockedSteps,
        sampledOut,
        maxEvents: MAX_EVENTS,
        droppedSteps: dropped,
      };
    },
  };

  function mainName() {
    const script = process.argv[1];
    return script ? displayFile(script) : "(main)";
  }
}

function displayFile(file) {
  const cwd = process.cwd();
  return file.startsWith(cwd + "/") ? file.slice(cwd.length + 1) : file;
}

function round(value) {
  return Math.round(value * 1000) / 1000;
}
