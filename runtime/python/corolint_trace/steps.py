"""Steps mode: one lane per asyncio task, one slice per step of its coroutine.

A *step* is one run of a task's coroutine between two suspensions: one ``send``/``throw`` the Task
makes into it. How they are seen (the same on every Python from 3.8 to 3.13; sys.monitoring is not
used):

* ``asyncio.BaseEventLoop.create_task`` is wrapped (when ``asyncio.base_events`` is imported, like
  light mode's ``run_forever``). Every task goes through it: ``asyncio.run``'s main task,
  ``asyncio.create_task``, ``ensure_future``, ``gather``, ``TaskGroup``. The wrapper puts the
  coroutine inside a thin :class:`TracedCoroutine` whose ``send``/``throw`` time each step, then
  calls the original ``create_task`` — so a task factory the program set (``set_task_factory``)
  is still called, with the traced coroutine. No task factory of the tracer's is installed: on
  3.13.0 having one renames every unnamed task ``"None"`` (a CPython bug), and
  ``loop.get_task_factory()`` keeps returning what the program set.
* The light mode's heartbeat and watchdog still run: the watchdog also samples the stack of a step
  that has run longer than one period, so a blocked step is blamed on the line that blocked
  (``time.sleep``), not the line where it later suspended. A blocked span the heartbeat finds that a
  blocked step already explains is not recorded twice.
* Memory stays bounded: every step of the threshold or more, every step of 0.5 ms or more, every
  task's first and last step and every step that created a task are kept; of the other steps one
  in ten is kept (``sampledOut`` counts the rest). At most ``max_events`` events are kept in all
  (``dropped`` counts the rest).
"""

import _thread
import collections.abc
import sys
import weakref

from .light import Lane, Monitor, _main_ident, _native_id, extract_stack, mimic

STEP_CATEGORY = "corolint.step"
SPAWN_CATEGORY = "corolint.spawn"
_LONG_STEP = 0.0005  # steps of 0.5 ms or more are always kept
_SAMPLE_EVERY = 10  # of shorter steps, one in this many is kept
_MAX_CHAIN = 32


class TaskRecord(object):
    """What the tracer knows of one task."""

    __slots__ = (
        "seq", "name", "ref", "created", "creator", "flow_id", "steps", "kept", "loop_lane",
        "tid", "sort_index", "done",
    )

    def __init__(self, seq, created, creator):
        self.seq = seq  # creation order, from 0
        self.name = None
        self.ref = None  # weakref to the Task
        self.created = created
        self.creator = creator  # TaskRecord of the task whose step created it, or None
        self.flow_id = None
        self.steps = 0
        self.kept = False  # has a kept event: gets a lane
        self.loop_lane = None
        self.tid = None  # assigned when the trace is built
        self.sort_index = None
        self.done = False

    def refresh_name(self):
        task = self.ref() if self.ref is not None else None
        if task is not None:
            try:
                self.name = task.get_name()
            except Exception:
                pass


class _Step(object):
    """The step running now on a thread (the watchdog samples it when it runs long)."""

    __slots__ = ("start", "rec", "samples", "count", "nested", "prev", "spawned")

    def __init__(self, start, rec, prev):
        self.start = start
        self.rec = rec
        self.samples = []
        self.count = 0
        self.nested = 0.0  # time spent in steps nested in this one (eager tasks)
        self.prev = prev
        self.spawned = False


class TracedCoroutine(collections.abc.Coroutine):
    """The coroutine a Task is given: forwards everything to the program's, timing each step."""

    __slots__ = ("_coro", "_rec", "_tracer", "__weakref__")

    def __init__(self, coro, rec, tracer):
        self._coro = coro
        self._rec = rec
        self._tracer = tracer

    def send(self, value):
        tracer = self._tracer
        if tracer._stopped:
            return self._coro.send(value)
        step = tracer._begin(self._rec)
        done = True
        try:
            result = self._coro.send(value)
            done = False
            return result
        finally:
            tracer._end(step, self._coro, done)

    def throw(self, *args):
        tracer = self._tracer
        if tracer._stopped:
            return self._coro.throw(*args)
        step = tracer._begin(self._rec)
        done = True
        try:
            result = self._coro.throw(*args)
            done = False
            return result
        finally:
            tracer._end(step, self._coro, done)

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


class StepsMonitor(Monitor):
    mode = "steps"

    def __init__(self, threshold_ms, max_events=500000, **kwargs):
        Monitor.__init__(self, threshold_ms, **kwargs)
        self.max_events = max_events
        self._room = max_events  # events that may still be kept
        self.tasks = []  # TaskRecord, in creation order
        self.steps = []  # (rec, lane, start, end, suspended_at or None, done, spawned)
        self.flows = []  # (creator rec, created rec, ts)
        self.step_count = 0
        self.sampled_out = 0
        self.steps_dropped = 0
        self._short = 0
        self._current = {}  # thread ident -> _Step
        self._explained = {}  # thread ident -> end of the last blocked step there
        self._flow_ids = 0

    # -- installation -----------------------------------------------------------------------

    def _patch(self, base_events):
        Monitor._patch(self, base_events)
        cls = getattr(base_events, "BaseEventLoop", None)
        if cls is None:
            return
        original = cls.create_task
        if getattr(original, "__corolint_original__", None) is not None:
            return
        iscoroutine = base_events.coroutines.iscoroutine
        tracer = self

        def create_task(self, coro, *args, **kwargs):
            if tracer._stopped or type(coro) is TracedCoroutine or not iscoroutine(coro):
                return original(self, coro, *args, **kwargs)
            rec = tracer._new_task()
            wrapped = TracedCoroutine(coro, rec, tracer)
            try:
                task = original(self, wrapped, *args, **kwargs)
            except BaseException:
                # e.g. a closed loop: the caller gets the error with their own coroutine left as it
                # was (a never-awaited warning names it, as it would untraced).
                rec.done = True
                raise
            try:
                rec.ref = weakref.ref(task)
                rec.refresh_name()
            except TypeError:
                pass
            return task

        cls.create_task = mimic(create_task, original)

    def _after_fork_in_child(self):
        Monitor._after_fork_in_child(self)
        self._current = {}

    # -- tasks and steps (in the loop's thread) -------------------------------------------

    def _new_task(self):
        now = self.clock()
        creator = self._current.get(_thread.get_ident())
        rec = TaskRecord(len(self.tasks), now, creator.rec if creator is not None else None)
        self.tasks.append(rec)
        if creator is not None:
            creator.spawned = True  # the creating step is kept: the arrow starts in it
            if self._take(2):
                self._flow_ids += 1
                rec.flow_id = self._flow_ids
                self.flows.append((creator.rec, rec, now))
        return rec

    def _take(self, events):
        if self._room >= events:
            self._room -= events
            return True
        self.steps_dropped += events
        return False

    def _begin(self, rec):
        ident = _thread.get_ident()
        step = _Step(0.0, rec, self._current.get(ident))
        self._current[ident] = step
        step.start = self.clock()
        return step

    def _end(self, step, coro, done):
        end = self.clock()
        ident = _thread.get_ident()
        prev = step.prev
        self._current[ident] = prev
        try:
            dur = end - step.start
            if prev is not None:
                prev.nested += dur
            rec = step.rec
            first = rec.steps == 0
            rec.steps += 1
            self.step_count += 1
            if first and rec.loop_lane is None:
                rec.loop_lane = self._lane_here()
            own = dur - step.nested
            blocked = own >= self.threshold
            if not (blocked or first or done or step.spawned or dur >= _LONG_STEP):
                self._short += 1
                if self._short % _SAMPLE_EVERY:
                    self.sampled_out += 1
                    return
            if done:
                rec.done = True
            rec.refresh_name()
            if blocked:
                self._blocked_step(step, end, ident, coro, False)
            if not rec.kept:
                if not self._take(4):  # the lane's two M events and the step's two X events
                    return
                rec.kept = True
            elif not self._take(2):
                return
            where = None if done else _suspended_at(coro, self.classifier)
            self.steps.append((rec, rec.loop_lane, step.start, end, where, done, step.spawned))
        except Exception:
            pass  # never let the tracer break the program's task

    def _blocked_step(self, step, end, ident, coro, unfinished):
        with self._lock:
            self._explained[ident] = end
            samples = step.samples
            count = step.count
            if not samples:
                # Never sampled (shorter than a watchdog period past due, or one C call holding
                # the GIL): blame the line the step suspended at, or the task's own frame.
                stack = _chain_stack(coro, self.classifier)
                if stack:
                    samples = [stack]
            self._record(step.rec, step.start, end, samples, count, unfinished)

    def _lane_here(self):
        native_id = _native_id()
        with self._lock:
            lane = self.lanes.get(native_id)
            if lane is None:
                name = "event loop"
                if _thread.get_ident() != _main_ident:
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
        long = [(ident, step) for ident, step in list(self._current.items())
                if step is not None and now - step.start > self.period]
        if not long:
            return
        frames = sys._current_frames()
        for ident, step in long:
            frame = frames.get(ident)
            if frame is None or self._current.get(ident) is not step:
                continue
            stack = extract_stack(frame, self.classifier)
            step.count += 1
            if len(step.samples) < 64:
                step.samples.append(stack)
        del frames

    def stop(self):
        # Steps still running when the program ends (SIGTERM during a block): record them.
        if not self._stopped:
            now = self.clock()
            for ident, step in list(self._current.items()):
                while step is not None:
                    if now - step.start - step.nested >= self.threshold:
                        rec = step.rec
                        rec.refresh_name()
                        if not rec.kept and self._take(2):
                            rec.kept = True
                        if rec.kept and self._take(2):
                            if rec.loop_lane is None:
                                rec.loop_lane = self.lanes.get(_native_id()) or next(iter(self.lanes.values()), None)
                            self.steps.append((rec, rec.loop_lane, step.start, now, None, None, step.spawned))
                        self._blocked_step(step, now, ident, None, True)
                    step = step.prev
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
            metadata.append({"ph": "M", "pid": pid, "tid": rec.tid, "name": "thread_name", "args": {"name": name}})
            metadata.append(
                {"ph": "M", "pid": pid, "tid": rec.tid, "name": "thread_sort_index", "args": {"sort_index": rec.sort_index}}
            )
        events = []
        t0 = self.t0
        first_step = {}
        for rec, lane, start, end, where, done, spawned in self.steps:
            first_step.setdefault(id(rec), start)
            name = rec.name or "Task #%d" % (rec.seq + 1)
            args = {"task": name, "suspendedAt": "%s:%s" % where if where else None}
            if done:
                args["done"] = True
            elif done is None:
                args["unfinished"] = True  # still running when the program ended
            ts = _us(start - t0)
            dur = _us(end - start)
            events.append({"ph": "X", "pid": pid, "tid": rec.tid, "ts": ts, "dur": dur,
                           "cat": STEP_CATEGORY, "name": name, "args": args})
            if lane is not None:
                events.append({"ph": "X", "pid": pid, "tid": lane.tid, "ts": ts, "dur": dur,
                               "cat": STEP_CATEGORY, "name": name, "args": args})
        for creator, created, ts in self.flows:
            if creator.tid is None or created.tid is None or created.steps == 0:
                continue
            first = first_step.get(id(created))
            if first is None:
                continue
            fid = created.flow_id
            events.append({"ph": "s", "pid": pid, "tid": creator.tid, "ts": _us(ts - t0), "id": fid,
                           "cat": SPAWN_CATEGORY, "name": "spawn"})
            events.append({"ph": "f", "bp": "e", "pid": pid, "tid": created.tid, "ts": _us(first - t0),
                           "id": fid, "cat": SPAWN_CATEGORY, "name": "spawn"})
        extra = {
            "tasks": len(self.tasks),
            "steps": self.step_count,
            "sampledOut": self.sampled_out,
            "dropped": self.dropped + self.steps_dropped,
            "maxEvents": self.max_events,
        }
        return metadata, events, extra


def _us(seconds):
    return round(seconds * 1e6, 3)


def _frames_of(coro):
    """The frames of the await chain, outermost (the task's coroutine) first."""
    frames = []
    obj = coro
    while obj is not None and len(frames) < _MAX_CHAIN:
        frame = getattr(obj, "cr_frame", None)
        if frame is None:
            frame = getattr(obj, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        nxt = getattr(obj, "cr_await", None)
        if nxt is None:
            nxt = getattr(obj, "gi_yieldfrom", None)
        obj = nxt
    return frames


def _suspended_at(coro, classifier):
    """"file:line" of the innermost frame of the user's code in the await chain (else the task's)."""
    frames = _frames_of(coro)
    if not frames:
        return None
    best = frames[0]
    for frame in frames[1:]:
        if classifier.kind(frame.f_code.co_filename) == "user":
            best = frame
    return (best.f_code.co_filename, best.f_lineno)


def _chain_stack(coro, classifier):
    if coro is None:
        return []
    frames = _frames_of(coro)
    frames.reverse()  # innermost first, as a sampled stack
    return [(f.f_code.co_filename, f.f_lineno, f.f_code.co_name) for f in frames
            if classifier.kind(f.f_code.co_filename) != "tracer"]
