"""Steps mode: one lane per asyncio task, one slice per step of its coroutine.

A *step* is one run of a task's coroutine between two suspensions: one ``send``/``throw`` the Task
makes into it. How they are seen:

* ``asyncio.BaseEventLoop.create_task`` is wrapped (when ``asyncio.base_events`` is imported, like
  light mode's ``run_forever``). Every task goes through it: ``asyncio.run``'s main task,
  ``asyncio.create_task``, ``ensure_future``, ``gather``, ``TaskGroup``. The wrapper makes the
  task's record (creation order, creator, spawn arrow), then hands the coroutine to a *hook* that
  times its steps, then calls the original ``create_task`` — so a task factory the program set
  (``set_task_factory``) is still called. No task factory of the tracer's is installed: on 3.13.0
  having one renames every unnamed task ``"None"`` (a CPython bug), and
  ``loop.get_task_factory()`` keeps returning what the program set.
* The hooks: on Python 3.12+, ``sys.monitoring`` under a tool id of the tracer's own
  (monitoring.py): local events on the task coroutines' code objects, filtered by frame. On 3.8 to
  3.11 (or when no tool id is free, or ``COROLINT_TRACE_STEPS_HOOK=wrapper``), the coroutine is
  put inside a thin :class:`TracedCoroutine` whose ``send``/``throw`` time each step.
* The light mode's heartbeat and watchdog still run: the watchdog also samples the stack of a step
  that has run longer than one period, so a blocked step is blamed on the line that blocked
  (``time.sleep``), not the line where it later suspended. A blocked span the heartbeat finds that a
  blocked step already explains is not recorded twice.
* Memory stays bounded: every step of the threshold or more, every step of 0.5 ms or more, every
  task's first and last step and every step that created a task are kept; of the other steps one
  in ten is kept (``sampledOut`` counts the rest). At most ``max_events`` events are kept in all
  (``dropped`` counts the rest).
* Per step, the hot path is two clock reads, two dict operations on the running-step table and a
  few attribute writes on the task's record (a step needs no object of its own: a task runs at
  most one step at a time); the rest runs only for the steps that are kept.
"""

import _thread
import collections.abc
import os
import sys
import types
import weakref

from . import monitoring
from .light import Lane, Monitor, _main_ident, _native_id, extract_stack, mimic

STEP_CATEGORY = "corolint.step"
SPAWN_CATEGORY = "corolint.spawn"
_LONG_STEP = 0.0005  # steps of 0.5 ms or more are always kept
_SAMPLE_EVERY = 10  # of shorter steps, one in this many is kept
_MAX_CHAIN = 32
_MAX_SAMPLES = 64  # stacks kept per step (later samples are counted, not kept)

#: Forces the steps hook on 3.12+: ``wrapper`` or ``monitoring`` (for comparing them).
STEPS_HOOK_ENV = "COROLINT_TRACE_STEPS_HOOK"
HOOK_MONITORING = "sys.monitoring"
HOOK_WRAPPER = "wrapper"

_get_ident = _thread.get_ident


class TaskRecord(object):
    """What the tracer knows of one task; also its step in progress (a task runs one at a time)."""

    __slots__ = (
        "seq", "name", "ref", "created", "creator", "flow_id", "steps", "kept", "loop_lane",
        "tid", "sort_index", "done",
        # The step running now:
        "ident", "start", "prev", "nested", "spawned", "sampled",
        "coro_ref",  # sys.monitoring hook: weakref to the task's coroutine while it runs
    )

    def __init__(self, seq, created, creator):
        self.seq = seq  # creation order, from 0
        self.name = None
        self.ref = None  # weakref to the Task
        self.created = created
        self.creator = creator  # TaskRecord of the task whose step created it, or None
        self.flow_id = None
        self.steps = 0  # steps ended (kept or not)
        self.kept = False  # has a kept event: gets a lane
        self.loop_lane = None
        self.tid = None  # assigned when the trace is built
        self.sort_index = None
        self.done = False
        self.ident = None  # the thread its step runs on now; None between steps
        self.start = 0.0  # when the step in progress began
        self.prev = None  # the record whose step this one nests in (an eager task's first step)
        self.nested = 0.0  # time spent in steps nested in this one
        self.spawned = False  # this step created a task (it is kept: the arrow starts in it)
        self.sampled = None  # _Samples of a long step, from the watchdog
        self.coro_ref = None

    def refresh_name(self):
        task = self.ref() if self.ref is not None else None
        if task is not None:
            try:
                self.name = task.get_name()
            except Exception:
                pass


class _Samples(object):
    """The stacks the watchdog took of one long step (``start`` tells which step of the task)."""

    __slots__ = ("start", "stacks", "count")

    def __init__(self, start):
        self.start = start
        self.stacks = []
        self.count = 0


class TracedCoroutine(collections.abc.Coroutine):
    """The coroutine a Task is given: forwards everything to the program's, timing each step."""

    __slots__ = ("_coro", "_rec", "_tracer", "__weakref__")

    def __init__(self, coro, rec, tracer):
        self._coro = coro
        self._rec = rec
        self._tracer = tracer

    # send and throw begin the step inline (no call): they run once per step.

    def send(self, value):
        tracer = self._tracer
        if tracer._stopped:
            return self._coro.send(value)
        rec = self._rec
        current = tracer._current
        ident = _get_ident()
        rec.prev = current.get(ident)
        current[ident] = rec
        rec.ident = ident
        rec.start = tracer.clock()
        try:
            result = self._coro.send(value)
        except BaseException:
            tracer._end(rec, tracer.clock(), True, None)
            raise
        tracer._end(rec, tracer.clock(), False, self._coro)
        return result

    def throw(self, *args):
        tracer = self._tracer
        if tracer._stopped:
            return self._coro.throw(*args)
        rec = self._rec
        current = tracer._current
        ident = _get_ident()
        rec.prev = current.get(ident)
        current[ident] = rec
        rec.ident = ident
        rec.start = tracer.clock()
        try:
            result = self._coro.throw(*args)
        except BaseException:
            tracer._end(rec, tracer.clock(), True, None)
            raise
        tracer._end(rec, tracer.clock(), False, self._coro)
        return result

    def close(self):
        return self._coro.close()

    def __await__(self):
        # Only when a program's task factory awaits the coroutine it is given inside its own.
        return _AwaitIterator(self)

    def __getattr__(self, name):
        # cr_frame, cr_await, cr_code, cr_running, __name__, __qualname__...: the program's.
        return getattr(self._coro, name)

    def __repr__(self):
        return repr(self._coro)


class _AwaitIterator(object):
    __slots__ = ("_wrapper",)

    def __init__(self, wrapper):
        self._wrapper = wrapper

    def __iter__(self):
        return self

    def __next__(self):
        return self._wrapper.send(None)

    def send(self, value):
        return self._wrapper.send(value)

    def throw(self, *args):
        return self._wrapper.throw(*args)

    def close(self):
        return self._wrapper.close()


def _hook_wanted():
    """(the hook to use, why it is not the default one or None), from the Python and the env."""
    wanted = os.environ.get(STEPS_HOOK_ENV, "").strip().lower()
    note = None
    if wanted == "wrapper":
        return HOOK_WRAPPER, "%s=wrapper" % STEPS_HOOK_ENV
    if wanted not in ("", "monitoring", "sys.monitoring"):
        note = "%s=%s is neither wrapper nor monitoring: ignored" % (STEPS_HOOK_ENV, wanted)
    if monitoring.available():
        return HOOK_MONITORING, note
    if wanted:
        note = note or "%s=%s: sys.monitoring needs Python 3.12+" % (STEPS_HOOK_ENV, wanted)
    return HOOK_WRAPPER, note


class StepsMonitor(Monitor):
    mode = "steps"

    def __init__(self, threshold_ms, max_events=500000, **kwargs):
        Monitor.__init__(self, threshold_ms, **kwargs)
        self.max_events = max_events
        self._room = max_events  # events that may still be kept
        self.tasks = []  # TaskRecord, in creation order
        self.steps = []  # (rec, lane, start, end, suspended_at or None, done, spawned)
        self.flows = []  # (creator rec, created rec, ts)
        self.steps_dropped = 0
        self._kept_or_dropped = 0  # steps that were not sampled out
        # Shorter than this, a step is neither long nor blocked (a test on the hot path).
        self._short_below = min(_LONG_STEP, self.threshold)
        self._current = {}  # thread ident -> TaskRecord whose step runs there now
        self._explained = {}  # thread ident -> end of the last blocked step there
        self._flow_ids = 0
        self.steps_hook, self.steps_hook_note = _hook_wanted()
        self._hook = None  # the MonitoringHook, once it holds a tool id
        self._hook_started = False  # the tool id is claimed with the first task, not before
        self.steps_tool_id = None  # the sys.monitoring tool id the hook held

    # -- installation -----------------------------------------------------------------------

    def _patch(self, base_events):
        Monitor._patch(self, base_events)
        cls = getattr(base_events, "BaseEventLoop", None)
        if cls is not None:
            self._wrap_create_task(cls, base_events.coroutines.iscoroutine)

    def _patch_uvloop(self, uvloop):
        Monitor._patch_uvloop(self, uvloop)
        cls = getattr(uvloop, "Loop", None)
        asyncio = sys.modules.get("asyncio")  # uvloop imports it
        if cls is not None and asyncio is not None:
            self._wrap_create_task(cls, asyncio.iscoroutine)

    def _wrap_create_task(self, cls, iscoroutine):
        """Wrap ``cls.create_task`` (asyncio's BaseEventLoop, uvloop's Loop) to trace each task."""
        original = cls.create_task
        if getattr(original, "__corolint_original__", None) is not None:
            return
        native = types.CoroutineType
        tracer = self

        def create_task(self, coro, *args, **kwargs):
            if tracer._stopped or type(coro) is TracedCoroutine or not iscoroutine(coro):
                return original(self, coro, *args, **kwargs)
            if not tracer._hook_started:
                tracer._start_hook()
            rec = tracer._new_task()
            hook = tracer._hook
            if hook is not None and type(coro) is native and hook.watch(coro, rec):
                given = coro  # the Task runs the program's own coroutine
            else:
                # 3.8-3.11, or a coroutine object that is not a native one (Cython's...).
                hook = None
                given = TracedCoroutine(coro, rec, tracer)
            try:
                task = original(self, given, *args, **kwargs)
            except BaseException:
                # e.g. a closed loop: the caller gets the error with their own coroutine left as it
                # was (a never-awaited warning names it, as it would untraced).
                rec.done = True
                if hook is not None:
                    hook.unwatch(coro, rec)
                raise
            try:
                rec.ref = weakref.ref(task)
                rec.refresh_name()
            except TypeError:
                pass
            return task

        cls.create_task = mimic(create_task, original)

    def _start_hook(self):
        """With the first task: take a sys.monitoring tool id, or settle for the wrapper."""
        self._hook_started = True
        if self.steps_hook != HOOK_MONITORING:
            return
        hook = monitoring.MonitoringHook(self)
        try:
            claimed = hook.claim()
        except Exception as exc:
            claimed = False
            hook.taken_by = {}
            self.steps_hook_note = "sys.monitoring failed (%s): used the wrapper" % exc
            try:
                hook.release()  # the tool id, if it was taken before the failure
            except Exception:
                pass
        if claimed:
            self._hook = hook
            self.steps_tool_id = hook.tool_id
            return
        self.steps_hook = HOOK_WRAPPER
        if hook.taken_by:
            self.steps_hook_note = "sys.monitoring tool ids taken (%s): used the wrapper" % ", ".join(
                "%d by %s" % (tool_id, name) for tool_id, name in sorted(hook.taken_by.items())
            )

    def _release_hook(self):
        hook, self._hook = self._hook, None
        if hook is not None:
            try:
                hook.release()
            except Exception:
                pass

    def _after_fork_in_child(self):
        Monitor._after_fork_in_child(self)
        self._current.clear()  # cleared, not replaced: the sys.monitoring callbacks hold it
        self._release_hook()  # the child traces nothing

    # -- tasks and steps (in the loop's thread) -------------------------------------------

    def _new_task(self):
        now = self.clock()
        creator = self._current.get(_get_ident())
        rec = TaskRecord(len(self.tasks), now, creator)
        self.tasks.append(rec)
        if creator is not None:
            creator.spawned = True  # the creating step is kept: the arrow starts in it
            if self._take(2):
                self._flow_ids += 1
                rec.flow_id = self._flow_ids
                self.flows.append((creator, rec, now))
        return rec

    def _take(self, events):
        if self._room >= events:
            self._room -= events
            return True
        self.steps_dropped += events
        return False

    def _end(self, rec, end, done, coro):
        """The step of ``rec`` ended at ``end`` (``done``: the task ended with it).

        Called by both hooks once per step: most short steps go no further than the first test.
        ``coro`` is the task's coroutine if the hook has it at hand (else it is found if needed).
        """
        try:
            ident = rec.ident
            rec.ident = None
            prev = rec.prev
            self._current[ident] = prev
            dur = end - rec.start
            if prev is not None:
                prev.nested += dur
            steps = rec.steps = rec.steps + 1
            # Neither long nor blocked, not the task's first or last, not a spawner: one step in
            # _SAMPLE_EVERY of each task is kept.
            if dur < self._short_below and steps % _SAMPLE_EVERY and steps != 1 and not done and not rec.spawned:
                rec.nested = 0.0
                return
            self._keep(rec, ident, rec.start, end, dur, done, coro)
        except Exception:
            pass  # never let the tracer break the program's task

    def _keep(self, rec, ident, start, end, dur, done, coro):
        self._kept_or_dropped += 1
        own = dur - rec.nested  # steps nested in this one are their own tasks' time
        rec.nested = 0.0
        spawned = rec.spawned
        rec.spawned = False
        sampled = rec.sampled
        if sampled is not None:
            rec.sampled = None
            if sampled.start != start:
                sampled = None  # taken during an earlier step of the task
        if rec.loop_lane is None:
            rec.loop_lane = self._lane_here()
        if done:
            rec.done = True
        rec.refresh_name()
        if coro is None and not done and rec.coro_ref is not None:
            coro = rec.coro_ref()
        if own >= self.threshold:
            self._blocked_step(rec, start, end, ident, sampled, coro, False)
        if not rec.kept:
            if not self._take(4):  # the lane's two M events and the step's two X events
                return
            rec.kept = True
        elif not self._take(2):
            return
        where = None if done or coro is None else _suspended_at(coro, self.classifier)
        self.steps.append((rec, rec.loop_lane, start, end, where, done, spawned))

    def _blocked_step(self, rec, start, end, ident, sampled, coro, unfinished):
        with self._lock:
            self._explained[ident] = end
            samples = sampled.stacks if sampled is not None else []
            count = sampled.count if sampled is not None else 0
            if not samples:
                # Never sampled (shorter than a watchdog period past due, or one C call holding
                # the GIL): blame the line the step suspended at, or the task's own frame.
                stack = _chain_stack(coro, self.classifier)
                if stack:
                    samples = [stack]
            self._record(rec, start, end, samples, count, unfinished)

    def _lane_here(self):
        native_id = _native_id()
        with self._lock:
            lane = self.lanes.get(native_id)
            if lane is None:
                name = "event loop"
                if _get_ident() != _main_ident:
                    name = "event loop (thread %d)" % native_id
                lane = self.lanes[native_id] = Lane(native_id, name, len(self.lanes))
            return lane

    # -- light mode's spans, with blocked steps taken into account -------------------------

    def _close(self, state, now, unfinished):
        explained = self._explained.get(state.ident)
        if explained is not None and explained > state.due:
            # A blocked step already recorded this block, on its task's lane.
            state.samples = []
            state.sample_count = 0
            return
        Monitor._close(self, state, now, unfinished)

    def _sample_late_loops(self):
        Monitor._sample_late_loops(self)
        now = self.clock()
        period = self.period
        long = [(ident, rec, rec.start) for ident, rec in list(self._current.items())
                if rec is not None and now - rec.start > period]
        if not long:
            return
        frames = sys._current_frames()
        for ident, rec, start in long:
            frame = frames.get(ident)
            if frame is None:
                continue
            stack = extract_stack(frame, self.classifier)
            if self._current.get(ident) is not rec or rec.start != start:
                continue  # that step ended meanwhile
            sampled = rec.sampled
            if sampled is None or sampled.start != start:
                sampled = rec.sampled = _Samples(start)
            sampled.count += 1
            if len(sampled.stacks) < _MAX_SAMPLES:
                sampled.stacks.append(stack)
        del frames

    def stop(self):
        # Steps still running when the program ends (SIGTERM during a block): record them.
        if not self._stopped:
            now = self.clock()
            for ident, rec in list(self._current.items()):
                while rec is not None:
                    start = rec.start
                    if now - start - rec.nested >= self.threshold:
                        rec.refresh_name()
                        if not rec.kept and self._take(2):
                            rec.kept = True
                        if rec.kept and self._take(2):
                            if rec.loop_lane is None:
                                rec.loop_lane = self.lanes.get(_native_id()) or next(iter(self.lanes.values()), None)
                            self.steps.append((rec, rec.loop_lane, start, now, None, None, rec.spawned))
                        sampled = rec.sampled
                        if sampled is not None and sampled.start != start:
                            sampled = None
                        self._blocked_step(rec, start, now, ident, sampled, None, True)
                    rec = rec.prev
            self._release_hook()
        Monitor.stop(self)

    # -- the trace --------------------------------------------------------------------------

    def trace_parts(self):
        """(metadata events, other events, otherData fields); assigns the task lanes' tids."""
        pid = self.pid
        base = len(self.lanes)
        metadata = []
        # Tasks with a blocked span need a lane even if no step of theirs was kept.
        blocked_recs = set(id(span.lane) for span in self.spans if isinstance(span.lane, TaskRecord))
        for rec in self.tasks:
            if not rec.kept and id(rec) not in blocked_recs:
                continue
            if rec.tid is None:
                rec.tid = self.new_lane_tid()
            rec.sort_index = base + rec.seq
            rec.refresh_name()
            name = rec.name or "Task #%d" % (rec.seq + 1)
            metadata.extend(lane_metadata(pid, rec.tid, name, rec.sort_index))
        events = []
        t0 = self.t0
        first_step = {}
        for rec, lane, start, end, where, done, spawned in self.steps:
            first_step.setdefault(id(rec), start)
            name = rec.name or "Task #%d" % (rec.seq + 1)
            tids = (rec.tid,) if lane is None else (rec.tid, lane.tid)
            events.extend(step_events(pid, tids, t0, start, end, name, "task", where, done))
        for creator, created, ts in self.flows:
            if creator.tid is None or created.tid is None or created.steps == 0:
                continue
            first = first_step.get(id(created))
            if first is None:
                continue
            events.extend(spawn_events(pid, created.flow_id, creator.tid, created.tid, t0, ts, first))
        step_count = sum(rec.steps for rec in self.tasks)
        extra = {
            "tasks": len(self.tasks),
            "steps": step_count,
            "sampledOut": step_count - self._kept_or_dropped,
            "dropped": self.dropped + self.steps_dropped,
            "maxEvents": self.max_events,
            "stepsHook": self.steps_hook,
        }
        if self.steps_tool_id is not None:
            extra["stepsToolId"] = self.steps_tool_id
        if self.steps_hook_note:
            extra["stepsHookNote"] = self.steps_hook_note
        return metadata, events, extra


def _us(seconds):
    return round(seconds * 1e6, 3)


# -- trace events shared by the steps tracers (asyncio here, gevent_tracer, trio_tracer) ---------


def lane_metadata(pid, tid, name, sort_index):
    """The two `M` events that name a lane and place it."""
    return [
        {"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": name}},
        {"ph": "M", "pid": pid, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": sort_index}},
    ]


def step_events(pid, tids, t0, start, end, name, owner_key, where, done):
    """One `corolint.step` X event per lane in ``tids`` (the task's own, then its loop's).

    ``owner_key`` names whose step it is in the args (``task``, ``greenlet``); ``where`` is the
    (file, line) it suspended at; ``done`` True for the step that ended the task, None for a step
    still running when the program ended."""
    args = {owner_key: name, "suspendedAt": "%s:%s" % where if where else None}
    if done:
        args["done"] = True
    elif done is None:
        args["unfinished"] = True
    ts = _us(start - t0)
    dur = _us(end - start)
    return [
        {"ph": "X", "pid": pid, "tid": tid, "ts": ts, "dur": dur, "cat": STEP_CATEGORY, "name": name, "args": args}
        for tid in tids
    ]


def spawn_events(pid, flow_id, creator_tid, created_tid, t0, created_at, first_step_at):
    """The `s`/`f` pair of an arrow from where a task was created to the start of its first step."""
    return [
        {"ph": "s", "pid": pid, "tid": creator_tid, "ts": _us(created_at - t0), "id": flow_id,
         "cat": SPAWN_CATEGORY, "name": "spawn"},
        {"ph": "f", "bp": "e", "pid": pid, "tid": created_tid, "ts": _us(first_step_at - t0), "id": flow_id,
         "cat": SPAWN_CATEGORY, "name": "spawn"},
    ]


_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType


def _frames_of(coro):
    """The frames of the await chain, outermost (the task's coroutine) first."""
    frames = []
    obj = coro
    while obj is not None and len(frames) < _MAX_CHAIN:
        kind = type(obj)
        # Native coroutines and generators (types.coroutine) by their own attributes: this runs
        # for every kept step.
        if kind is _CoroutineType:
            frame = obj.cr_frame
            following = obj.cr_await
        elif kind is _GeneratorType:
            frame = obj.gi_frame
            following = obj.gi_yieldfrom
        else:
            frame = getattr(obj, "cr_frame", None)
            if frame is None:
                frame = getattr(obj, "gi_frame", None)
            following = getattr(obj, "cr_await", None)
            if following is None:
                following = getattr(obj, "gi_yieldfrom", None)
        if frame is None:
            break
        frames.append(frame)
        obj = following
    return frames


def _suspended_at(coro, classifier):
    """(file, line) of the innermost frame of the user's code in the await chain (else the task's).

    Runs for every kept step: the chain is walked by code objects, and only the chosen
    coroutine's frame is touched (reading an inner coroutine's frame would make Python 3.11+
    build a frame object for it).
    """
    kind = classifier.kind
    best = None
    obj = coro
    depth = 0
    while obj is not None and depth < _MAX_CHAIN:
        if type(obj) is _CoroutineType:
            code = obj.cr_code
            following = obj.cr_await
        elif type(obj) is _GeneratorType:
            code = obj.gi_code
            following = obj.gi_yieldfrom
        else:
            code = getattr(obj, "cr_code", None) or getattr(obj, "gi_code", None)
            if code is None:
                break
            following = getattr(obj, "cr_await", None)
            if following is None:
                following = getattr(obj, "gi_yieldfrom", None)
        if best is None or kind(code.co_filename) == "user":
            best = obj
        depth += 1
        obj = following
    if best is None:
        return None
    frame = getattr(best, "cr_frame", None) if type(best) is not _GeneratorType else best.gi_frame
    if frame is None:
        frame = getattr(best, "gi_frame", None)
        if frame is None:
            return None
    return (frame.f_code.co_filename, frame.f_lineno)


def _chain_stack(coro, classifier):
    if coro is None:
        return []
    frames = _frames_of(coro)
    frames.reverse()  # innermost first, as a sampled stack
    return [(f.f_code.co_filename, f.f_lineno, f.f_code.co_name) for f in frames
            if classifier.kind(f.f_code.co_filename) != "tracer"]
