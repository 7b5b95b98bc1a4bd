"""gevent: blocked spans on the hub (light mode) and one lane per greenlet (steps mode).

How it hooks in (the tracer never imports gevent or greenlet itself, so a program that calls
``gevent.monkey.patch_all()`` first still finds ``ssl`` and ``threading`` unimported):

* When ``gevent.hub`` is imported (``monitor.when_imported``), ``Hub.run`` and ``Hub.destroy`` are
  wrapped. ``Hub.run`` is the hub greenlet's body: it starts the first time a greenlet of its thread
  switches to the hub (``joinall``, ``sleep``, any wait).
* Light mode: when a hub starts, a repeating ``hub.loop.timer(period, period, ref=False)`` (an
  unreferenced watcher: it never keeps the loop alive) is the heartbeat; each beat notes when the
  next is due. Greenlets run on the hub's OS thread, so a greenlet that does not yield (an
  unpatched ``time.sleep``, CPU work) keeps the beat from running. The watchdog thread (a real OS
  thread even after monkey-patching, see light.py) samples that thread's stack while the beat is
  overdue, and a beat that runs the threshold late or more records a blocked span on the lane
  "gevent hub", blamed on the user line seen most. Nothing runs per greenlet switch.
* Steps mode adds ``greenlet.settrace`` (chained to the tracer already set, restored when the
  program ends): each switch into a greenlet starts a step, each switch out of it ends it. The
  hub's own time (polling, callbacks) is not a step: the heartbeat still covers it.
* Spawn arrows: gevent records in each ``Greenlet`` (and ``spawn_raw`` greenlet) the greenlet that
  created it (``spawning_greenlet``, unless ``GEVENT_TRACK_GREENLET_TREE`` is off). The moment of
  creation is seen through the one Python-level call gevent makes while creating one: it reads the
  ``track_greenlet_tree`` setting (``Greenlet`` itself is compiled and cannot be wrapped). That read
  notes the time in the creator's running step; the new greenlet's first step takes the creator's
  oldest noted time.
"""

import collections
import os
import sys
import weakref

from .light import Lane, _main_ident, _native_id, _real_get_ident, extract_stack, mimic
from .steps import _LONG_STEP, _SAMPLE_EVERY, lane_metadata, spawn_events, step_events

HUB_LANE = "gevent hub"
_MAX_SAMPLES = 64  # samples kept per span or step (later ones are counted, not kept)
_MAX_PENDING_SPAWNS = 10000  # creation times kept per creator until its greenlets first run
_MAX_FRAMES = 64  # frames walked to find where a greenlet suspended


def install(monitor, mode):
    """Trace gevent hubs in ``monitor``'s trace (``mode`` "light" or "steps") once gevent is imported."""
    tracer = GeventTracer(monitor, steps=(mode == "steps"))
    monitor.add_extension(tracer)
    monitor.when_imported("gevent.hub", tracer.patch)
    return tracer


class _Hub(object):
    """One running hub: its heartbeat and the samples taken while the beat is overdue."""

    __slots__ = ("hub", "ident", "lane", "due", "timer", "samples", "sample_count", "active", "explained")

    def __init__(self, hub, ident, lane):
        self.hub = hub
        self.ident = ident  # the OS thread's ident (sys._current_frames key)
        self.lane = lane
        self.due = 0.0
        self.timer = None
        self.samples = []
        self.sample_count = 0
        self.active = True
        self.explained = 0.0  # end of the last blocked step recorded on a greenlet's lane


class _Step(object):
    """A greenlet's run between a switch into it and the switch out (sampled when it runs long)."""

    __slots__ = ("start", "rec", "samples", "count", "spawned")

    def __init__(self, start, rec):
        self.start = start
        self.rec = rec
        self.samples = []
        self.count = 0
        self.spawned = False


class _Thread(object):
    """Steps mode, per OS thread that runs greenlets: the step running now."""

    __slots__ = ("ident", "lane", "step", "hub_started", "previous", "trace")

    def __init__(self, ident):
        self.ident = ident
        self.lane = None  # the thread's hub lane, made with its first step: steps are also drawn there
        self.step = None  # _Step of the greenlet running now (None while the hub runs)
        self.hub_started = None  # when this thread's hub first ran: nothing is blocked before
        self.previous = None  # the greenlet trace function that was set before ours
        self.trace = None  # ours


class GreenletRecord(object):
    """What the tracer knows of one greenlet; its lane once a step of it is kept."""

    __slots__ = ("seq", "name", "ref", "spawns", "steps", "kept", "tid", "sort_index", "done")

    def __init__(self, seq, name, ref):
        self.seq = seq
        self.name = name
        self.ref = ref  # weakref to the greenlet
        self.spawns = None  # deque of creation times of greenlets it made that have not run yet
        self.steps = 0
        self.kept = False
        self.tid = None  # assigned when the trace is built
        self.sort_index = None
        self.done = False


class GeventTracer(object):
    def __init__(self, monitor, steps=False, max_events=500000):
        self.monitor = monitor
        self.steps_mode = steps
        self.max_events = max_events
        self._room = max_events
        self._hubs = {}  # thread ident -> _Hub running there
        self._threads = {}  # thread ident -> _Thread (steps mode)
        self._hub_lanes = {}  # native thread id -> Lane
        self._hub_class = None
        self._dead = None
        self._settrace = None
        self._gettrace = None
        self.hub_runs = 0
        # Steps mode.
        self._records = {}  # id(greenlet) -> GreenletRecord, while the greenlet lives
        self.kept = []  # GreenletRecord with a kept event, in order of first kept step
        self.greenlet_count = 0
        self.steps = []  # (rec, lane, start, end, suspended_at or None, done, spawned)
        self.flows = []  # (creator rec, created rec, creation time, flow id)
        self._flow_ids = 0
        self.step_count = 0
        self.sampled_out = 0
        self.events_dropped = 0
        self._short = 0

    # -- installation (when gevent.hub is imported) ------------------------------------------

    def patch(self, hub_module):
        monitor = self.monitor
        if monitor._stopped or os.getpid() != monitor.pid:
            return
        hub_class = getattr(hub_module, "Hub", None)
        greenlet_module = sys.modules.get("greenlet")
        if hub_class is None or greenlet_module is None:
            return
        original_run = hub_class.run
        if getattr(original_run, "__corolint_original__", None) is not None:
            return
        self._hub_class = hub_class
        # greenlet's own "finished" flag (gevent's Greenlet.dead adds its start/kill states).
        self._dead = greenlet_module.greenlet.dead.__get__
        tracer = self

        def run(self):
            try:
                tracer._hub_started(self)
            except Exception:
                pass  # never let the tracer break the hub
            return original_run(self)

        hub_class.run = mimic(run, original_run)

        original_destroy = getattr(hub_class, "destroy", None)
        if original_destroy is not None:

            def destroy(self, *args, **kwargs):
                try:
                    tracer._hub_destroyed(self)
                except Exception:
                    pass
                return original_destroy(self, *args, **kwargs)

            hub_class.destroy = mimic(destroy, original_destroy)

        if self.steps_mode:
            self._settrace = getattr(greenlet_module, "settrace", None)
            self._gettrace = getattr(greenlet_module, "gettrace", None)
            self._watch_creations()
            # The importing thread's greenlet (the main one) runs from now on: its step begins.
            self._trace_thread()

    def _watch_creations(self):
        """Note when a greenlet is created: gevent reads this setting while making one."""
        config = getattr(sys.modules.get("gevent._config"), "config", None)
        setting = getattr(config, "settings", {}).get("track_greenlet_tree")
        original_get = getattr(setting, "get", None)
        if original_get is None or "get" in getattr(setting, "__dict__", {"get": None}):
            return
        tracer = self

        def get():
            try:
                tracer._created()
            except Exception:
                pass
            return original_get()

        setting.get = mimic(get, original_get)

    # -- hubs (in the hub's thread) ------------------------------------------------------------

    def _hub_lane(self):
        monitor = self.monitor
        native_id = _native_id()
        with monitor._lock:
            lane = self._hub_lanes.get(native_id)
            if lane is None:
                name = HUB_LANE
                if _real_get_ident() != _main_ident:
                    name = "%s (thread %d)" % (HUB_LANE, native_id)
                tid = native_id
                if any(other.tid == tid for other in monitor.lanes.values()):
                    tid = monitor.new_lane_tid()  # an asyncio loop on this thread has that tid
                lane = self._hub_lanes[native_id] = Lane(tid, name, len(monitor.lanes))
                monitor.lanes[("gevent hub", native_id)] = lane
            return lane

    def _hub_started(self, hub):
        monitor = self.monitor
        if monitor._stopped or os.getpid() != monitor.pid:
            return
        ident = _real_get_ident()
        state = _Hub(hub, ident, self._hub_lane())
        period = monitor.period
        timer = hub.loop.timer(period, period, False)  # ref=False: never keeps the loop alive
        with monitor._lock:
            self.hub_runs += 1
            old = self._hubs.get(ident)
            if old is not None:
                old.active = False
            state.due = monitor.clock() + period
            self._hubs[ident] = state
        timer.start(self._beat, state)
        state.timer = timer
        if self.steps_mode:
            thread = self._trace_thread()
            if thread is not None and thread.hub_started is None:
                thread.hub_started = monitor.clock()
        monitor._start_watchdog()

    def _hub_destroyed(self, hub):
        with self.monitor._lock:
            for ident, state in list(self._hubs.items()):
                if state.hub is hub:
                    state.active = False
                    del self._hubs[ident]
                    timer, state.timer = state.timer, None
                    if timer is not None:
                        timer.stop()

    def _beat(self, state):
        try:
            monitor = self.monitor
            now = monitor.clock()
            with monitor._lock:
                if not state.active:
                    return
                self._close(state, now, unfinished=False)
                state.due = now + monitor.period
            if monitor._watchdog is None:
                monitor._start_watchdog()  # in a forked child that goes on tracing
        except Exception:
            pass

    def _close(self, state, now, unfinished):
        """Record a span if the beat is the threshold late or more; reset the samples."""
        monitor = self.monitor
        due = state.due
        samples, count = state.samples, state.sample_count
        state.samples = []
        state.sample_count = 0
        if now - due < monitor.threshold:
            return
        if state.explained > due:
            return  # a blocked step already recorded this block, on its greenlet's lane
        if unfinished and not samples and _real_get_ident() == state.ident:
            # The program is ending in the hub's own thread (a signal handler, atexit): sample here.
            frame = sys._current_frames().get(state.ident)
            if frame is not None:
                samples = [extract_stack(frame, monitor.classifier)]
                count = 1
        monitor._record(state.lane, due, now, samples, count, unfinished)

    # -- the watchdog thread -------------------------------------------------------------------

    def sample(self, now):
        monitor = self.monitor
        period = monitor.period
        late = [state for state in list(self._hubs.values()) if state.active and now - state.due > period]
        long = [
            (thread, thread.step)
            for thread in list(self._threads.values())
            if thread.step is not None and now - thread.step.start > period
        ]
        if not late and not long:
            return
        frames = sys._current_frames()
        monitor.sample_overdue(late, frames)
        for thread, step in long:
            frame = frames.get(thread.ident)
            if frame is None or thread.step is not step:
                continue
            stack = extract_stack(frame, monitor.classifier)
            step.count += 1
            if len(step.samples) < _MAX_SAMPLES:
                step.samples.append(stack)
        del frames

    # -- steps mode: greenlet switches ---------------------------------------------------------

    def _trace_thread(self):
        """Install our greenlet trace function in this thread (once); its _Thread."""
        ident = _real_get_ident()
        thread = self._threads.get(ident)
        if thread is not None or self._settrace is None:
            return thread
        thread = _Thread(ident)
        # Runs at every switch: what it needs is bound here, and a switch out of a greenlet ends its
        # step, a switch into one (not the hub) begins the next.
        monitor = self.monitor
        clock = monitor.clock
        hub_class = self._hub_class
        records = self._records
        record_of = self._record_of
        end_step = self._end_step

        def trace(event, args):
            if (event == "switch" or event == "throw") and not monitor._stopped:
                try:
                    now = clock()
                    step = thread.step
                    if step is not None:
                        thread.step = None
                        end_step(thread, step, args[0], now)
                    target = args[1]
                    if not isinstance(target, hub_class):
                        rec = records.get(id(target))
                        if rec is None or rec.ref() is not target:
                            rec = record_of(target, thread)
                        thread.step = _Step(now, rec)
                except Exception:
                    pass  # never let the tracer break a switch
            previous = thread.previous
            if previous is not None:
                previous(event, args)

        thread.trace = trace
        self._threads[ident] = thread
        # The greenlet running now (the one importing gevent) gets its first step now.
        current = sys.modules["greenlet"].getcurrent()
        if not isinstance(current, self._hub_class):
            thread.step = _Step(self.monitor.clock(), self._record_of(current, thread))
        thread.previous = self._settrace(trace)
        return thread

    def _record_of(self, greenlet, thread):
        rec = self._records.get(id(greenlet))
        if rec is not None and rec.ref() is greenlet:
            return rec
        self.greenlet_count += 1
        rec = GreenletRecord(self.greenlet_count, _greenlet_name(greenlet, self.greenlet_count), weakref.ref(greenlet))
        self._records[id(greenlet)] = rec
        # Its first run: an arrow from the greenlet that created it, if that one was seen.
        spawning = getattr(greenlet, "spawning_greenlet", None)
        creator = spawning() if callable(spawning) else None
        creator_rec = self._records.get(id(creator)) if creator is not None else None
        if creator_rec is not None and creator_rec.ref() is creator and creator_rec.spawns:
            created_at = creator_rec.spawns.popleft()
            if self._take(2):
                self._flow_ids += 1
                self.flows.append((creator_rec, rec, created_at, self._flow_ids))
        return rec

    def _created(self):
        """A greenlet is being created by the one running now: note when, in its step."""
        if self.monitor._stopped:
            return
        thread = self._threads.get(_real_get_ident())
        step = thread.step if thread is not None else None
        if step is None:
            return  # made by the hub (a server's accept, a timer): no arrow
        step.spawned = True  # the creating step is kept: the arrow starts in it
        rec = step.rec
        if rec.spawns is None:
            rec.spawns = collections.deque()
        if len(rec.spawns) < _MAX_PENDING_SPAWNS:
            rec.spawns.append(self.monitor.clock())

    def _take(self, events):
        if self._room >= events:
            self._room -= events
            return True
        self.events_dropped += events
        return False

    def _end_step(self, thread, step, greenlet, end):
        rec = step.rec
        first = rec.steps == 0
        rec.steps += 1
        self.step_count += 1
        done = self._dead(greenlet)
        dur = end - step.start
        if not (first or done or step.spawned or dur >= _LONG_STEP or dur >= self.monitor.threshold):
            # The common case, a short step in the middle of a greenlet's life: one in ten is kept.
            self._short += 1
            if self._short % _SAMPLE_EVERY:
                self.sampled_out += 1
                return
        if done:
            rec.done = True
            if self._records.get(id(greenlet)) is rec and not rec.spawns:
                del self._records[id(greenlet)]  # its id may be reused by a new greenlet
        # Before the hub first ran, nothing waited for this thread's greenlets: not a block.
        hub_started = thread.hub_started
        blocked_from = max(step.start, hub_started) if hub_started is not None else end
        blocked = end - blocked_from >= self.monitor.threshold
        if blocked:
            self._blocked_step(thread, step, greenlet, blocked_from, end, False)
        if not rec.kept:
            if not self._take(4):  # the lane's two M events and the step's two X events
                return
            rec.kept = True
            self.kept.append(rec)
        elif not self._take(2):
            return
        if thread.lane is None:
            thread.lane = self._hub_lane()
        where = None if done else _suspended_at(greenlet, self.monitor.classifier)
        self.steps.append((rec, thread.lane, step.start, end, where, done, step.spawned))

    def _blocked_step(self, thread, step, greenlet, start, end, unfinished):
        monitor = self.monitor
        with monitor._lock:
            state = self._hubs.get(thread.ident)
            if state is not None:
                state.explained = end
            samples = step.samples
            if not samples and greenlet is not None:
                # Never sampled (one C call holding the GIL, or just over the threshold): blame
                # where the greenlet suspended.
                stack = _greenlet_stack(greenlet, monitor.classifier)
                if stack:
                    samples = [stack]
            monitor._record(step.rec, start, end, samples, step.count, unfinished)

    # -- end of run ----------------------------------------------------------------------------

    def stop(self):
        monitor = self.monitor
        now = monitor.clock()
        # Steps still running (the main greenlet at exit, a block ended by SIGTERM).
        for thread in list(self._threads.values()):
            step = thread.step
            if step is None or thread.hub_started is None:
                continue
            start = max(step.start, thread.hub_started)
            if now - start < monitor.threshold:
                continue
            thread.step = None
            rec = step.rec
            if not rec.kept and self._take(2):
                rec.kept = True
                self.kept.append(rec)
            if rec.kept and self._take(2):
                if thread.lane is None:
                    thread.lane = self._hub_lane()
                self.steps.append((rec, thread.lane, step.start, now, None, None, step.spawned))
            if not step.samples and thread.ident == _real_get_ident():
                frame = sys._current_frames().get(thread.ident)
                if frame is not None:
                    step.samples.append(extract_stack(frame, monitor.classifier))
                    step.count += 1
            self._blocked_step(thread, step, None, start, now, True)
        with monitor._lock:
            for state in list(self._hubs.values()):
                if state.active:
                    self._close(state, now, unfinished=True)
                    state.active = False
        # Give the program back its greenlet trace function (in this thread; ours in other
        # threads only passes calls on from now on).
        thread = self._threads.get(_real_get_ident())
        if thread is not None and self._gettrace is not None:
            try:
                if self._gettrace() is thread.trace:
                    self._settrace(thread.previous)
            except Exception:
                pass

    def after_fork_in_child(self):
        """A forked child starts a trace of its own (the monitor is fresh), or traces nothing."""
        me = _real_get_ident()
        hub, thread = self._hubs.get(me), self._threads.get(me)  # only this thread goes on
        for state in self._hubs.values():
            state.active = False
        fresh = GeventTracer(self.monitor, self.steps_mode, self.max_events)
        for name in ("_hub_class", "_dead", "_settrace", "_gettrace"):
            setattr(fresh, name, getattr(self, name))
        records = self._records  # the greenlet trace function holds this dict: keep it, emptied
        self.__dict__.update(fresh.__dict__)
        records.clear()
        self._records = records
        if self.monitor._stopped:
            return  # a single trace file: it is the parent's; the hooks now do nothing
        now = self.monitor.clock()
        if hub is not None:
            # gevent's fork keeps the hub and its timers in the child: the beat goes on, on a lane
            # of the child's trace.
            state = _Hub(hub.hub, me, self._hub_lane())
            state.due = now + self.monitor.period
            state.timer = hub.timer
            self._hubs[me] = state
            self.hub_runs = 1
            if hub.timer is not None:
                hub.timer.stop()
                hub.timer.start(self._beat, state)
        if thread is not None:
            # The greenlet trace function is still set: its steps go on, from the next switch.
            thread.lane = None
            thread.step = None
            thread.hub_started = now if thread.hub_started is not None else None
            self._threads[me] = thread

    # -- the trace -----------------------------------------------------------------------------

    def trace_parts(self):
        """(metadata events, other events, otherData fields); None when no hub ever ran."""
        if not self.hub_runs and not self.steps:
            return None
        monitor = self.monitor
        pid = monitor.pid
        base = len(monitor.lanes) + len(getattr(monitor, "tasks", ()))
        metadata = []
        with_spans = set(id(span.lane) for span in monitor.spans if isinstance(span.lane, GreenletRecord))
        lanes = list(self.kept)
        for span in monitor.spans:
            if isinstance(span.lane, GreenletRecord) and not span.lane.kept and span.lane not in lanes:
                lanes.append(span.lane)
        for rec in lanes:
            if not rec.kept and id(rec) not in with_spans:
                continue
            if rec.tid is None:
                rec.tid = monitor.new_lane_tid()
            rec.sort_index = base + rec.seq
            metadata.extend(lane_metadata(pid, rec.tid, rec.name, rec.sort_index))
        events = []
        t0 = monitor.t0
        first_step = {}
        for rec, lane, start, end, where, done, spawned in self.steps:
            first_step.setdefault(id(rec), start)
            events.extend(step_events(pid, (rec.tid, lane.tid), t0, start, end, rec.name, "greenlet", where, done))
        for creator, created, ts, fid in self.flows:
            first = first_step.get(id(created))
            if creator.tid is None or created.tid is None or first is None:
                continue
            events.extend(spawn_events(pid, fid, creator.tid, created.tid, t0, ts, first))
        extra = {"scheduler": "gevent", "geventHubs": self.hub_runs}
        if self.steps_mode:
            # Counted with asyncio's (steps.py) when a program runs both.
            extra["greenlets"] = self.greenlet_count
            extra["steps"] = getattr(monitor, "step_count", 0) + self.step_count
            extra["sampledOut"] = getattr(monitor, "sampled_out", 0) + self.sampled_out
            extra["maxEvents"] = self.max_events
            extra["dropped"] = monitor.dropped + getattr(monitor, "steps_dropped", 0) + self.events_dropped
        return metadata, events, extra


def _greenlet_name(greenlet, seq):
    """A name set by the program (``g.name = ...``), else the function it runs and a number."""
    if getattr(greenlet, "parent", None) is None:
        return "main greenlet"
    attrs = getattr(greenlet, "__dict__", None) or {}
    # Not ``greenlet.name``: reading gevent's default name gives the greenlet a minimal_ident,
    # which then shows in the program's repr() of it.
    name = attrs.get("name")
    if isinstance(name, str) and name:
        return name
    function = attrs.get("_run")
    while hasattr(function, "func"):  # functools.partial
        function = function.func
    thread = getattr(function, "__self__", None)
    if getattr(function, "__name__", None) == "_bootstrap" and isinstance(getattr(thread, "name", None), str):
        return thread.name  # a threading.Thread that monkey-patching made a greenlet
    qualname = getattr(function, "__qualname__", None)
    if not isinstance(qualname, str):
        qualname = type(greenlet).__name__
    return "%s #%d" % (qualname, seq)


def _frames(greenlet):
    """The suspended greenlet's frames, innermost first."""
    frames = []
    frame = getattr(greenlet, "gr_frame", None)
    while frame is not None and len(frames) < _MAX_FRAMES:
        frames.append(frame)
        frame = frame.f_back
    return frames


def _suspended_at(greenlet, classifier):
    """"file:line" of the innermost frame of the user's code (else the outermost frame)."""
    frames = [frame for frame in _frames(greenlet) if classifier.kind(frame.f_code.co_filename) != "tracer"]
    for frame in frames:
        if classifier.kind(frame.f_code.co_filename) == "user":
            return (frame.f_code.co_filename, frame.f_lineno)
    if frames:
        return (frames[-1].f_code.co_filename, frames[-1].f_lineno)
    return None


def _greenlet_stack(greenlet, classifier):
    return [(f.f_code.co_filename, f.f_lineno, f.f_code.co_name) for f in _frames(greenlet)
            if classifier.kind(f.f_code.co_filename) != "tracer"]
