"""trio: blocked spans (light mode) and one lane per task (steps mode), from a trio.abc.Instrument.

How it hooks in (the tracer never imports trio itself):

* When ``trio`` is imported (``monitor.when_imported``), ``trio._core._run.setup_runner`` is
  wrapped. ``trio.run``, ``trio.lowlevel.start_guest_run`` and anyio's trio backend (which calls
  ``trio.run``) all create their runner there, so one wrapper sees every run, keeps the program's
  own ``instruments=``, and adds no frame to the program's tracebacks. The tracer's instrument is
  added to the new runner with ``runner.instruments.add_instrument``. (Should a trio release drop
  ``setup_runner``, ``trio.run`` is wrapped instead.)
* trio calls only the hooks an instrument defines (trio/_core/_instrumentation.py compares each
  method with ``trio.abc.Instrument``'s). Light mode's instrument defines ``before_io_wait`` and
  ``after_io_wait`` only, so it runs twice per scheduler *batch* (the tasks runnable when trio
  came back from its I/O wait), never per task step. Steps mode's adds ``task_spawned``,
  ``before_task_step``, ``after_task_step`` and ``task_exited``.
* A batch is the trio counterpart of asyncio's heartbeat: from ``after_io_wait`` to the next
  ``before_io_wait`` trio checks no I/O, so a batch that lasts the threshold or more is a block,
  whether one step blocked or many short steps added up. The time spent waiting for I/O (idle) is
  never a block. The watchdog thread samples the run's thread while a batch (or, in steps mode, a
  step) has run longer than one period, and the block is blamed on the user line seen most.
* A hook never raises: trio would log the error on stderr and drop the instrument.
"""

import _thread
import sys

from .light import Lane, _main_ident, _native_id, extract_stack, mimic
from .steps import _LONG_STEP, _SAMPLE_EVERY, _chain_stack, _suspended_at, lane_metadata, spawn_events, step_events

_MAX_SAMPLES = 64  # samples kept per batch or step (later ones are counted, not kept)


def install(monitor, mode):
    """Trace trio runs in ``monitor``'s trace (``mode`` "light" or "steps") once trio is imported."""
    tracer = TrioTracer(monitor, steps=(mode == "steps"))
    monitor.add_extension(tracer)
    monitor.when_imported("trio", tracer.patch)
    return tracer


class _Sampled(object):
    """What the watchdog saw of a long batch or step (``start`` tells which one it was)."""

    __slots__ = ("start", "samples", "count")

    def __init__(self, start):
        self.start = start
        self.samples = []
        self.count = 0


class TrioTask(object):
    """What the tracer knows of one trio task, and its step in progress (a task runs one step at
    a time, so a step needs no object of its own); its lane once a step of it is kept."""

    __slots__ = (
        "seq", "name", "creator", "flow_id", "steps", "kept", "tid", "sort_index",
        # The step in progress (or the last one):
        "start", "spawned", "done", "sampled",
    )

    def __init__(self, seq, name, creator):
        self.seq = seq  # spawn order, from 0
        self.name = name
        self.creator = creator  # the TrioTask whose step spawned it, or None
        self.flow_id = None
        self.steps = 0  # steps ended
        self.kept = False
        self.tid = None  # assigned when the trace is built
        self.sort_index = None
        self.start = 0.0
        self.spawned = False  # this step spawned a task (it is kept: the arrow starts there)
        self.done = False  # the task exited in this step
        self.sampled = None  # _Sampled of a long step, made by the watchdog


class _LightHooks(object):
    """One trio run, seen once per batch; made a trio.abc.Instrument in ``TrioTracer.patch``.

    A hook never raises, and records nothing once the trace is written."""

    def __init__(self, tracer, lane):
        self.tracer = tracer
        self.monitor = tracer.monitor
        self.clock = tracer.clock
        self.threshold = tracer.threshold
        self.ident = _thread.get_ident()
        self.lane = lane
        self.batch_start = None  # when the batch running now began; None while trio waits for I/O
        self.batch_sampled = None  # _Sampled of a long batch, made by the watchdog
        self.explained_batch = None  # the batch_start of a batch with a blocked step recorded
        self.step = None  # steps mode: the TrioTask whose step runs now

    def after_io_wait(self, timeout):
        self.batch_start = self.clock()

    def before_io_wait(self, timeout):
        if self.monitor._watchdog is None:
            self.monitor.ensure_watchdog()  # stopped around a fork in this process
        start, self.batch_start = self.batch_start, None
        if start is not None:
            end = self.clock()
            if end - start >= self.threshold and not self.monitor._stopped:
                try:
                    self.tracer.batch_blocked(self, start, end, False)
                except Exception:
                    pass

    def after_run(self):
        self.before_io_wait(None)  # the last batch ends the run without another I/O wait
        self.tracer.run_ended(self)


class _StepsHooks(_LightHooks):
    """One trio run, seen at every task step, spawn and exit."""

    def __init__(self, tracer, lane):
        _LightHooks.__init__(self, tracer, lane)
        self.records = {}  # trio Task -> TrioTask, while the task lives
        self.short_step = min(_LONG_STEP, tracer.threshold)

    def task_spawned(self, task):
        if not self.monitor._stopped:
            try:
                self.tracer.task_spawned(self, task)
            except Exception:
                pass

    def before_task_step(self, task):
        if self.monitor._stopped:
            return
        rec = self.records.get(task)
        if rec is None:
            # Spawned before this instrument was added: seen from its next step on.
            try:
                rec = self.tracer.task_spawned(self, task)
            except Exception:
                return
        rec.spawned = False
        rec.start = self.clock()
        self.step = rec

    def task_exited(self, task):
        # trio calls it inside the task's last step, before after_task_step.
        rec = self.step
        if rec is not None:
            rec.done = True

    def after_task_step(self, task):
        end = self.clock()
        rec, self.step = self.step, None
        if rec is None or self.monitor._stopped:
            return
        # Inline, as it runs for every step: most short steps are only counted.
        rec.steps += 1
        if end - rec.start < self.short_step and rec.steps > 1 and not (rec.spawned or rec.done):
            tracer = self.tracer
            tracer.short_steps += 1
            if tracer.short_steps % _SAMPLE_EVERY:
                return
        try:
            if rec.done:
                del self.records[task]
            self.tracer.step_ended(self, rec, end, task)
        except Exception:
            pass

    def after_run(self):
        _LightHooks.after_run(self)
        self.records = {}


class TrioTracer(object):
    """The monitor's extension for trio: patches trio, keeps the task lanes, steps and flows."""

    def __init__(self, monitor, steps, max_events=500000):
        self.monitor = monitor
        self.steps_mode = steps
        self.clock = monitor.clock
        self.threshold = monitor.threshold
        self.period = monitor.period
        self.classifier = monitor.classifier
        self.max_events = max_events
        self._room = max_events
        self._instrument_class = None
        self.runs = []  # runs going on now (their hooks objects)
        self.run_count = 0
        self.kept_tasks = []  # TrioTask with a lane, in spawn order
        self.task_count = 0
        self.steps = []  # (rec, run lane, start, end, suspended at or None, done: True/False/None)
        self.flows = []  # (creator rec, created rec, ts)
        self.step_count = 0  # steps that went past the short-step filter
        self.short_steps = 0  # short steps of which one in _SAMPLE_EVERY is kept
        self.events_dropped = 0
        self._flow_ids = 0

    # -- installation (when trio is imported) -------------------------------------------------

    def patch(self, trio):
        hooks = _StepsHooks if self.steps_mode else _LightHooks
        # A real trio.abc.Instrument, made only now that the program has imported trio.
        self._instrument_class = type("CorolintTraceInstrument", (hooks, trio.abc.Instrument), {})
        run_module = sys.modules.get("trio._core._run")
        original = getattr(run_module, "setup_runner", None)
        if original is not None:
            if getattr(original, "__corolint_original__", None) is None:
                run_module.setup_runner = self._wrap_setup_runner(original)
        else:
            self._wrap_run(trio)

    def _wrap_setup_runner(self, original):
        tracer = self

        def setup_runner(*args, **kwargs):
            runner = original(*args, **kwargs)
            tracer.attach(runner)
            return runner

        return mimic(setup_runner, original)

    def _wrap_run(self, trio):
        original = getattr(trio, "run", None)
        if original is None or getattr(original, "__corolint_original__", None) is not None:
            return
        tracer = self

        def run(*args, **kwargs):
            instrument = tracer.new_instrument()
            if instrument is not None:
                kwargs["instruments"] = list(kwargs.get("instruments", ())) + [instrument]
            return original(*args, **kwargs)

        trio.run = mimic(run, original)

    def attach(self, runner):
        """Add an instrument to a new runner, after the program's own ones."""
        instrument = self.new_instrument()
        if instrument is not None:
            try:
                runner.instruments.add_instrument(instrument)
            except Exception:
                self.run_ended(instrument)

    def new_instrument(self):
        """The instrument of a run starting now in this thread, or None (never raises)."""
        monitor = self.monitor
        if monitor._stopped or self._instrument_class is None:
            return None
        try:
            with monitor._lock:
                instrument = self._instrument_class(self, self._run_lane())
                self.runs.append(instrument)
                self.run_count += 1
            monitor._start_watchdog()
            return instrument
        except Exception:
            return None

    def _run_lane(self):
        """The lane of this thread (call with the monitor's lock held); an asyncio loop that ran
        here first named it already."""
        lanes = self.monitor.lanes
        native_id = _native_id()
        lane = lanes.get(native_id)
        if lane is None:
            name = "trio run"
            if _thread.get_ident() != _main_ident:
                name = "trio run (thread %d)" % native_id
            lane = lanes[native_id] = Lane(native_id, name, len(lanes))
        return lane

    def run_ended(self, run):
        with self.monitor._lock:
            if run in self.runs:
                self.runs.remove(run)

    # -- blocks (in the run's thread) ------------------------------------------------------

    def batch_blocked(self, run, start, end, at_exit):
        if run.explained_batch == start:
            return  # a blocked step of this batch is recorded on its task's lane
        if self._host_loop_watched(run):
            return  # a guest run: the host asyncio loop's heartbeat records the same block
        samples, count = [], 0
        sampled = run.batch_sampled
        if sampled is not None and sampled.start == start:
            samples, count = sampled.samples, sampled.count
        run.batch_sampled = None
        if not samples and at_exit:
            samples, count = self._sample_here(run)
        with self.monitor._lock:
            self.monitor._record(run.lane, start, end, samples, count, at_exit)

    def _host_loop_watched(self, run):
        """True when an asyncio loop the monitor watches runs in this run's thread (guest mode)."""
        states = getattr(self.monitor, "_states", {})
        return any(state.ident == run.ident and state.active for state in list(states.values()))

    def _sample_here(self, run):
        """A stack of the run's thread when the program ends there (a signal handler, atexit)."""
        frame = sys._current_frames().get(run.ident)
        if frame is None:
            return [], 0
        return [extract_stack(frame, self.classifier)], 1

    # -- tasks and steps (steps mode, in the run's thread) ---------------------------------

    def task_spawned(self, run, task):
        now = self.clock()
        creator = run.step  # the task whose step spawned it; None for trio's <init> task
        rec = TrioTask(self.task_count, task.name, creator)
        self.task_count += 1
        run.records[task] = rec
        if creator is not None:
            creator.spawned = True
            if self._take(2):
                self._flow_ids += 1
                rec.flow_id = self._flow_ids
                self.flows.append((creator, rec, now))
        return rec

    def _take(self, events):
        if self._room >= events:
            self._room -= events
            return True
        self.events_dropped += events
        return False

    def step_ended(self, run, rec, end, task):
        """A step that is kept: the first and last of a task, a long one, one that spawned, or
        one in ten of the short ones."""
        self.step_count += 1
        start = rec.start
        rec.name = task.name
        kept = self._keep(rec)
        if end - start >= self.threshold:
            self._step_blocked(run, rec, start, end, task.coro, False)
        rec.sampled = None
        if kept:
            where = None if rec.done else _suspended_at(task.coro, self.classifier)
            self.steps.append((rec, run.lane, start, end, where, rec.done))

    def _keep(self, rec):
        """Room for one more step of ``rec`` (and for its lane's metadata the first time)."""
        if not rec.kept:
            if not self._take(4):  # the lane's two M events and the step's two X events
                return False
            rec.kept = True
            self.kept_tasks.append(rec)
            return True
        return self._take(2)

    def _step_blocked(self, run, rec, start, end, coro, at_exit):
        """Record a blocked step on its task's lane; ``at_exit`` when the program ends in it."""
        run.explained_batch = run.batch_start
        samples, count = [], 0
        sampled = rec.sampled
        if sampled is not None and sampled.start == start:
            samples, count = sampled.samples, sampled.count
        if not samples:
            # Never sampled (shorter than a watchdog period past due, or one C call holding the
            # GIL): blame the line the task suspended at, or its own frame; at the end of the
            # program, what runs now.
            if at_exit:
                samples, count = self._sample_here(run)
            else:
                stack = _chain_stack(coro, self.classifier)
                if stack:
                    samples = [stack]
        if not rec.kept:
            rec.kept = True  # a lane for the blocked span even past the event cap
            self.kept_tasks.append(rec)
        with self.monitor._lock:
            self.monitor._record(rec, start, end, samples, count, at_exit)
            # A guest run on an asyncio loop in steps mode: the loop's heartbeat then does not
            # record this block again (steps.py skips what a blocked step explains).
            explained = getattr(self.monitor, "_explained", None)
            if isinstance(explained, dict):
                explained[run.ident] = end

    # -- the monitor's extension API -------------------------------------------------------

    def sample(self, now):
        """Watchdog thread: sample the runs whose batch (or step) has run longer than a period."""
        late = []
        for run in list(self.runs):
            start, rec = run.batch_start, run.step
            if start is None:
                continue  # waiting for I/O
            step = None
            if rec is not None:
                step_start = rec.start
                if now - step_start > self.period:
                    step = rec.sampled
                    if step is None or step.start != step_start:
                        step = rec.sampled = _Sampled(step_start)
            if step is not None or now - start > self.period:
                batch = run.batch_sampled
                if batch is None or batch.start != start:
                    batch = run.batch_sampled = _Sampled(start)
                late.append((run, batch, step))
        if not late:
            return
        frames = sys._current_frames()
        for run, batch, step in late:
            frame = frames.get(run.ident)
            if frame is None:
                continue
            stack = extract_stack(frame, self.classifier)
            # A batch or step that ended meanwhile already used its samples: this one is lost,
            # never given to the next one (each _Sampled knows the start of its own).
            for sampled in (batch, step):
                if sampled is not None:
                    sampled.count += 1
                    if len(sampled.samples) < _MAX_SAMPLES:
                        sampled.samples.append(stack)
        del frames

    def stop(self):
        """The program is ending: record the step and batch still running if they are blocked."""
        now = self.clock()
        for run in list(self.runs):
            rec, start = run.step, run.batch_start
            run.step = None  # a second stop() records nothing again
            if rec is not None and now - rec.start >= self.threshold:
                if self._keep(rec):
                    self.steps.append((rec, run.lane, rec.start, now, None, None))
                self._step_blocked(run, rec, rec.start, now, None, True)
            run.batch_start = None
            if start is not None and now - start >= self.threshold:
                self.batch_blocked(run, start, now, True)

    def after_fork_in_child(self):
        """A forked child starts a trace of its own (the monitor is fresh), or traces nothing."""
        me = _thread.get_ident()
        survivors = [run for run in self.runs if run.ident == me]  # only this thread goes on
        tracer = TrioTracer(self.monitor, self.steps_mode, self.max_events)
        tracer._instrument_class = self._instrument_class
        self.__dict__.update(tracer.__dict__)
        if self.monitor._stopped:
            return  # a single trace file: it is the parent's; the hooks now do nothing
        # A trio run that forked goes on in the child, in a thread with a new native id: it gets a
        # lane in the child's trace, and its tasks get lanes there again.
        t0 = self.monitor.t0
        for run in survivors:
            # The child's trace begins at the fork: so do the batch and step in progress there.
            if run.batch_start is not None:
                run.batch_start = max(run.batch_start, t0)
            if run.step is not None:
                run.step.start = max(run.step.start, t0)
            with self.monitor._lock:
                run.lane = self._run_lane()
                self.runs.append(run)
                self.run_count += 1
            for rec in getattr(run, "records", {}).values():
                rec.kept, rec.tid, rec.flow_id, rec.creator = False, None, None, None
        if survivors:
            self.monitor._start_watchdog()  # the parent's watchdog thread is not in the child

    def trace_parts(self):
        """(metadata events, other events, otherData fields); None when trio never ran."""
        if self.run_count == 0:
            return None
        monitor = self.monitor
        pid = monitor.pid
        t0 = monitor.t0
        # Task lanes sort after the loop lanes and after asyncio's task lanes (steps.py).
        base = len(monitor.lanes) + len(getattr(monitor, "tasks", ()))
        metadata = []
        self.kept_tasks.sort(key=lambda rec: rec.seq)
        for rec in self.kept_tasks:
            if rec.tid is None:
                rec.tid = monitor.new_lane_tid()
            rec.sort_index = base + rec.seq
            metadata.extend(lane_metadata(pid, rec.tid, rec.name, rec.sort_index))
        events = []
        first_step = {}
        for rec, lane, start, end, where, done in self.steps:
            first_step.setdefault(id(rec), start)
            events.extend(step_events(pid, (rec.tid, lane.tid), t0, start, end, rec.name, "task", where, done))
        for creator, created, ts in self.flows:
            first = first_step.get(id(created))
            if creator.tid is None or created.tid is None or first is None:
                continue
            fid = created.flow_id
            events.extend(spawn_events(pid, fid, creator.tid, created.tid, t0, ts, first))
        extra = {"scheduler": "trio", "trioRuns": self.run_count}
        if self.steps_mode:
            # Counted with asyncio's (steps.py) when a program runs both.
            extra["tasks"] = len(getattr(monitor, "tasks", ())) + self.task_count
            sampled_out = self.short_steps - self.short_steps // _SAMPLE_EVERY
            extra["steps"] = getattr(monitor, "step_count", 0) + self.step_count + sampled_out
            extra["sampledOut"] = getattr(monitor, "sampled_out", 0) + sampled_out
            extra["maxEvents"] = self.max_events
            extra["dropped"] = monitor.dropped + getattr(monitor, "steps_dropped", 0) + self.events_dropped
        return metadata, events, extra

