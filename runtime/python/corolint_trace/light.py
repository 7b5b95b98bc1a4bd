"""Light mode: find the spans during which an asyncio event loop was blocked.

How it works (no per-task hook, nothing runs per callback):

* ``asyncio.BaseEventLoop.run_forever`` — which ``asyncio.run``, ``run_until_complete`` and
  ``run_forever`` all go through on every Python from 3.8 to 3.13 — is wrapped when
  ``asyncio.base_events`` is first imported (a one-shot import hook, so the tracer never imports
  asyncio itself: a gevent program that patches first still finds ``ssl`` unimported).
* While a loop runs, a *heartbeat* callback re-schedules itself with ``loop.call_later`` every
  ``threshold / 4``. Each beat stores the time the next one is due.
* A watchdog thread wakes at the same period. When a loop's beat is overdue by more than one
  period, it samples the loop thread's stack with ``sys._current_frames()`` (as gevent's monitor
  thread does) and keeps sampling while the beat stays overdue.
* When the beat finally runs more than ``threshold`` late, the loop was blocked from the time the
  beat was due until now: one blocked span is recorded, blamed on the user frame seen most often in
  the samples. A lateness under the threshold discards the samples.

The span's duration is therefore a lower bound: the block may have begun up to one period
(threshold / 4) before the beat was due.
"""

import _thread
import os
import sys
import time

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Captured now, before the program runs: gevent's monkey.patch_all() replaces these in ``_thread``
# with greenlet versions, and the watchdog must stay a real OS thread.
_real_start_new_thread = _thread.start_new_thread
_real_allocate_lock = _thread.allocate_lock
_real_get_ident = _thread.get_ident
_real_sleep = time.sleep
_MAX_STACK = 64  # frames kept per sample
_MAX_SAMPLES = 64  # samples kept per span (later samples are counted, not kept)
_MAX_SITES = 10000  # distinct blocking sites aggregated for topBlockers


def mimic(wrapper, original):
    """Gives a wrapping method the name, docs and `__wrapped__` of the method it replaces."""
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(wrapper, attr, getattr(original, attr))
        except (AttributeError, TypeError):
            pass
    wrapper.__wrapped__ = original
    wrapper.__corolint_original__ = original
    return wrapper

class Span(object):
    __slots__ = ("lane", "start", "end", "file", "line", "function", "stack", "samples", "unfinished")

    def __init__(self, lane, start, end, file, line, function, stack, samples, unfinished):
        self.lane = lane
        self.start = start
        self.end = end
        self.file = file
        self.line = line
        self.function = function
        self.stack = stack
        self.samples = samples
        self.unfinished = unfinished


class Lane(object):
    """One timeline row of the trace: an OS thread that ran an event loop."""

    __slots__ = ("tid", "name", "sort_index")

    def __init__(self, tid, name, sort_index):
        self.tid = tid
        self.name = name
        self.sort_index = sort_index


class _LoopState(object):
    __slots__ = ("loop", "ident", "lane", "due", "handle", "depth", "samples", "sample_count", "active")

    def __init__(self, loop, ident, lane):
        self.loop = loop
        self.ident = ident
        self.lane = lane
        self.due = 0.0
        self.handle = None
        self.depth = 0
        self.samples = []
        self.sample_count = 0
        self.active = True


class FrameClassifier(object):
    """Tells the user's code from the standard library, installed packages and the tracer."""

    def __init__(self):
        import sysconfig

        paths = sysconfig.get_paths()
        stdlib = set()
        for key in ("stdlib", "platstdlib"):
            if paths.get(key):
                stdlib.add(paths[key])
        packages = set()
        for key in ("purelib", "platlib"):
            if paths.get(key):
                packages.add(paths[key])
        try:
            import site

            packages.update(site.getsitepackages())
            packages.add(site.getusersitepackages())
        except Exception:  # site may be absent (-S) or partial (old virtualenv)
            pass
        self._stdlib = tuple(_dir_prefixes(stdlib))
        self._packages = tuple(_dir_prefixes(packages))
        self._tracer = tuple(_dir_prefixes([_PACKAGE_DIR]))
        self._cache = {}

    def kind(self, filename):
        """'tracer', 'stdlib', 'package' or 'user'."""
        kind = self._cache.get(filename)
        if kind is None:
            kind = self._classify(filename)
            if len(self._cache) < 100000:
                self._cache[filename] = kind
        return kind

    def _classify(self, filename):
        if filename.startswith("<frozen "):
            return "stdlib"
        if filename.startswith("<"):
            return "user"  # <string>, <stdin>, exec'd code
        path = os.path.normcase(os.path.abspath(filename))
        if path.startswith(self._tracer):
            return "tracer"
        # Site-packages usually sits inside the stdlib folder: test it first.
        if path.startswith(self._packages):
            return "package"
        if path.startswith(self._stdlib):
            return "stdlib"
        return "user"


def _dir_prefixes(paths):
    prefixes = set()
    for path in paths:
        for variant in (os.path.abspath(path), os.path.realpath(path)):
            prefixes.add(os.path.join(os.path.normcase(variant), ""))
    return sorted(prefixes)


def extract_stack(frame, classifier):
    """The frames from innermost outwards as (file, line, function), the tracer's own left out."""
    stack = []
    while frame is not None and len(stack) < _MAX_STACK:
        code = frame.f_code
        if classifier.kind(code.co_filename) != "tracer":
            stack.append((code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    # Leave out the frames of ``python -m`` itself, outside the program.
    while stack and (stack[-1][0] == "<frozen runpy>" or os.path.basename(stack[-1][0]) == "runpy.py"):
        stack.pop()
    return stack


def blame(stack, classifier):
    """The innermost frame of the user's code; else outside the stdlib; else the innermost."""
    for wanted in (("user",), ("user", "package")):
        for entry in stack:
            if classifier.kind(entry[0]) in wanted:
                return entry
    return stack[0] if stack else None


class Monitor(object):
    def __init__(self, threshold_ms, max_spans=100000, clock=time.monotonic):
        self.threshold_ms = float(threshold_ms)
        self.threshold = self.threshold_ms / 1000.0
        self.period = self.threshold / 4.0
        self.max_spans = max_spans
        self.clock = clock
        self.t0 = clock()
        self.pid = os.getpid()
        self.classifier = FrameClassifier()
        self.spans = []
        self.blocked = 0
        self.dropped = 0
        self.sites = {}  # (file, line, function) -> [total seconds, count]
        self.lanes = {}  # native thread id -> Lane
        self._states = {}  # id(loop) -> _LoopState
        self._lock = _thread.RLock()
        self._watchdog = None  # [thread ident, ended lock] of the watchdog thread, started with the first loop
        self._wake = None  # released to wake the watchdog and end it
        self._stopped = False
        self._patched = False
        self._finder = None
        self._finders = []  # one-shot import hooks of when_imported()
        self.extensions = []  # adapters for other schedulers (gevent, trio): see add_extension()
        self._lane_tids = set()  # tids handed out by new_lane_tid()

    # -- extensions --------------------------------------------------------------------------
    #
    # An extension watches another scheduler (gevent's hub, trio's run loop) and adds to the same
    # trace. It may define any of: ``sample(now)`` (called by the watchdog thread every period),
    # ``stop()`` (the program is ending: close what is open), ``after_fork_in_child()``, and
    # ``trace_parts()`` returning ``(metadata events, other events, otherData fields)``, as
    # StepsMonitor.trace_parts does. Blocked spans go through ``monitor._record`` like the
    # asyncio ones, so topBlockers and the caps cover them.

    def add_extension(self, extension):
        self.extensions.append(extension)

    def when_imported(self, name, callback):
        """Run ``callback(module)`` now if ``name`` is imported, else right after it is."""
        if name in sys.modules:
            callback(sys.modules[name])
            return
        finder = None

        def once(module):
            try:
                sys.meta_path.remove(finder)
            except ValueError:
                pass
            callback(module)

        finder = _PostImportFinder(name, once)
        self._finders.append(finder)
        sys.meta_path.insert(0, finder)

    def new_lane_tid(self):
        """A small integer tid for a lane of its own (a task, a greenlet), never a loop lane's."""
        taken = set(lane.tid for lane in self.lanes.values())
        tid = 1
        while tid in taken or tid in self._lane_tids:
            tid += 1
        self._lane_tids.add(tid)
        return tid

    def _extensions_call(self, method, *args):
        for extension in list(self.extensions):
            function = getattr(extension, method, None)
            if function is None:
                continue
            try:
                function(*args)
            except Exception:
                pass  # never let the tracer break the program

    # -- installation -----------------------------------------------------------------------

    def install(self):
        """Wrap BaseEventLoop.run_forever now if asyncio is loaded, else when it gets imported."""
        if "asyncio.base_events" in sys.modules:
            self._patch(sys.modules["asyncio.base_events"])
        else:
            self._finder = _PostImportFinder("asyncio.base_events", self._patch)
            sys.meta_path.insert(0, self._finder)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(
                before=self._before_fork,
                after_in_parent=self._after_fork_in_parent,
                after_in_child=self._after_fork_in_child,
            )
        # uvloop's Loop does not derive from BaseEventLoop: its own class is wrapped the same way.
        self.when_imported("uvloop", self._patch_uvloop)

    def _patch_uvloop(self, uvloop):
        cls = getattr(uvloop, "Loop", None)
        if cls is not None:
            self._wrap_loop_class(cls)

    def _patch(self, base_events):
        if self._finder is not None:
            try:
                sys.meta_path.remove(self._finder)
            except ValueError:
                pass
            self._finder = None
        cls = getattr(base_events, "BaseEventLoop", None)
        if self._patched or cls is None:
            return
        if self._wrap_loop_class(cls):
            self._patched = True

    def _wrap_loop_class(self, cls):
        """Wrap ``cls.run_forever`` (asyncio's BaseEventLoop, uvloop's Loop); False if it already is."""
        original = cls.run_forever
        if getattr(original, "__corolint_original__", None) is not None:
            return False
        monitor = self

        def run_forever(self, *args, **kwargs):
            state = monitor._enter(self)
            try:
                return original(self, *args, **kwargs)
            finally:
                if state is not None:
                    monitor._leave(state)

        cls.run_forever = mimic(run_forever, original)
        return True

    # The watchdog is stopped across a fork: Python 3.12+ warns when a process with more than one
    # thread forks, and a program that forks should not see a warning it would not see untraced.

    def _before_fork(self):
        watchdog = self._watchdog
        if self._stop_watchdog():
            _wait_until_thread_gone(watchdog[2])

    def _after_fork_in_parent(self):
        # Not restarted here: Python 3.13 counts the process's threads for its fork warning after
        # these hooks have run. The next heartbeat (asyncio's, gevent's, trio's) restarts it; a
        # block in between is still measured by the heartbeat, only without stack samples.
        pass

    def ensure_watchdog(self):
        """Called by every heartbeat: starts the watchdog again after a fork stopped it."""
        if self._watchdog is None and not self._stopped:
            self._start_watchdog()

    # Set by a session that writes one trace file per process (see cli.start_tracing): makes a new
    # monitor of the same kind, whose empty state a forked child takes so it traces itself.
    # None (a single trace file): the trace belongs to the parent and a forked child traces nothing.
    new_state_for_child = None

    # What a forked child keeps of the parent's monitor: the wiring made by install() (the patched
    # methods' closures point at this object, the import hooks, the extensions) and the classifier.
    _KEPT_IN_CHILD = ("_patched", "_finder", "_finders", "extensions", "classifier", "new_state_for_child")

    def _after_fork_in_child(self):
        parent_pid = self.pid
        if self.new_state_for_child is None or self._stopped:
            self._stopped = True
            self._states = {}
            self._watchdog = None
            self._extensions_call("after_fork_in_child")
            return
        # A loop running in the parent does not run on in the child (asyncio forgets the running
        # loop in a forked child): the child's trace starts empty, with the loops it runs itself.
        for state in self._states.values():
            state.active = False
        fresh = self.new_state_for_child()
        kept = dict((name, self.__dict__[name]) for name in self._KEPT_IN_CHILD if name in self.__dict__)
        self.__dict__.update(fresh.__dict__)
        self.__dict__.update(kept)
        self.forked_from = parent_pid  # chrome.py records it in otherData
        self._extensions_call("after_fork_in_child")

    # -- loop lifecycle (runs in the loop's thread) ------------------------------------------

    def _enter(self, loop):
        if self._stopped or os.getpid() != self.pid:
            return None
        try:
            with self._lock:
                state = self._states.get(id(loop))
                if state is not None and state.loop is loop:
                    state.depth += 1  # a nested run_forever (nest_asyncio): already watched
                    return state
                native_id = _native_id()
                lane = self.lanes.get(native_id)
                if lane is None:
                    name = "event loop"
                    if _thread.get_ident() != _main_ident:
                        name = "event loop (thread %d)" % native_id
                    lane = self.lanes[native_id] = Lane(native_id, name, len(self.lanes))
                state = _LoopState(loop, _thread.get_ident(), lane)
                state.depth = 1
                state.due = self.clock() + self.period
                state.handle = loop.call_later(self.period, self._beat, state)
                self._states[id(loop)] = state
                self._start_watchdog()
                return state
        except Exception:
            return None  # never let the tracer break the program's loop

    def _leave(self, state):
        with self._lock:
            state.depth -= 1
            if state.depth > 0:
                return
            # A block that ended the run (the loop stopped while late) still counts.
            self._close(state, self.clock(), unfinished=False)
            state.active = False
            if self._states.get(id(state.loop)) is state:
                del self._states[id(state.loop)]
            handle, state.handle = state.handle, None
        if handle is not None:
            handle.cancel()

    def _beat(self, state):
        try:
            now = self.clock()
            with self._lock:
                if not state.active:
                    return
                self._close(state, now, unfinished=False)
                state.due = now + self.period
                state.handle = state.loop.call_later(self.period, self._beat, state)
            if self._watchdog is None:
                self.ensure_watchdog()
        except Exception:
            pass

    # -- spans -------------------------------------------------------------------------------

    def _close(self, state, now, unfinished):
        """Record a span if the beat is overdue by more than the threshold; reset the samples."""
        due = state.due
        samples, count = state.samples, state.sample_count
        state.samples = []
        state.sample_count = 0
        if now - due < self.threshold:
            return
        if unfinished and not samples:
            # Called from the loop's own thread (a signal handler, atexit): sample it here.
            frame = sys._current_frames().get(state.ident)
            if frame is not None:
                samples = [extract_stack(frame, self.classifier)]
                count = 1
        self._record(state.lane, due, now, samples, count, unfinished)

    def _record(self, lane, start, end, samples, count, unfinished):
        culprit, stack = None, []
        if samples:
            votes = {}
            first = {}
            for sample in samples:
                site = blame(sample, self.classifier)
                if site is None:
                    continue
                votes[site] = votes.get(site, 0) + 1
                first.setdefault(site, sample)
            if votes:
                # Most samples wins; a tie goes to the site seen first.
                order = list(first)
                culprit = max(order, key=lambda site: (votes[site], -order.index(site)))
                stack = first[culprit]
        if culprit is None:
            # No sample: the loop thread held the GIL throughout (a long C call), or the block
            # was shorter than one watchdog period past the threshold.
            culprit = (None, None, "<unknown>")
        self.blocked += 1
        key = culprit
        site = self.sites.get(key)
        if site is None and len(self.sites) < _MAX_SITES:
            site = self.sites[key] = [0.0, 0]
        if site is not None:
            site[0] += end - start
            site[1] += 1
        if len(self.spans) >= self.max_spans:
            self.dropped += 1
            return
        self.spans.append(
            Span(lane, start, end, culprit[0], culprit[1], culprit[2], stack, count, unfinished)
        )

    # -- watchdog thread ---------------------------------------------------------------------

    def _start_watchdog(self):
        if self._watchdog is not None or self._stopped:
            return
        # A bare thread from the original _thread functions, not threading.Thread: after gevent's
        # monkey-patching, threading.Thread would be a greenlet on the very thread it must watch.
        wake = _real_allocate_lock()
        wake.acquire()
        ended = _real_allocate_lock()
        ended.acquire()
        watchdog = [None, ended, None]  # [its thread ident, released when it ends, its native id]
        self._wake, self._watchdog = wake, watchdog
        _real_start_new_thread(self._watch, (wake, watchdog))

    def _stop_watchdog(self, wait=True):
        """End the watchdog thread (and wait for it to end); True if it was running."""
        watchdog, wake = self._watchdog, self._wake
        self._watchdog = self._wake = None
        if watchdog is None:
            return False
        wake.release()
        if wait and watchdog[0] != _real_get_ident():
            watchdog[1].acquire()
        return True

    def _watch(self, wake, watchdog):
        watchdog[0] = _real_get_ident()
        watchdog[2] = _native_id()
        try:
            while True:
                # An interruptible sleep: _stop_watchdog() releases the lock to end the thread.
                if wake.acquire(True, self.period):
                    break
                try:
                    self._sample_late_loops()
                except Exception:
                    pass
                if self.extensions:
                    self._extensions_call("sample", self.clock())
        finally:
            watchdog[1].release()

    def _sample_late_loops(self):
        now = self.clock()
        late = [s for s in list(self._states.values()) if s.active and now - s.due > self.period]
        if not late:
            return
        frames = sys._current_frames()
        self.sample_overdue(late, frames)
        del frames

    def sample_overdue(self, states, frames):
        """Adds a stack sample to each overdue heartbeat state (asyncio's loops, gevent's hubs)
        whose beat is still overdue; ``frames`` is ``sys._current_frames()``."""
        for state in states:
            due = state.due
            frame = frames.get(state.ident)
            if frame is None:
                continue
            stack = extract_stack(frame, self.classifier)
            with self._lock:
                if state.due != due or not state.active:
                    continue  # the beat ran meanwhile: this sample belongs to no block
                state.sample_count += 1
                if len(state.samples) < _MAX_SAMPLES:
                    state.samples.append(stack)

    # -- end of run --------------------------------------------------------------------------

    def stop(self):
        """Stop watching; close the spans still in progress (a loop blocked at exit)."""
        if not self._stopped:
            self._stopped = True
            # Not waited for: stop() may run in a signal handler that interrupted the loop
            # thread while it held self._lock, which the watchdog may be waiting for.
            self._stop_watchdog(wait=False)
            self._extensions_call("stop")
        with self._lock:
            now = self.clock()
            for state in list(self._states.values()):
                if state.active:
                    self._close(state, now, unfinished=True)
                    state.due = now  # a second stop() does not record it again

    def top_blockers(self, limit=20):
        rows = [
            {
                "file": site[0],
                "line": site[1],
                "function": site[2],
                "totalMs": round(total * 1000.0, 3),
                "count": count,
            }
            for site, (total, count) in self.sites.items()
        ]
        rows.sort(key=lambda row: (-row["totalMs"], -row["count"], str(row["file"]), row["line"] or 0))
        return rows[:limit]


def _wait_until_thread_gone(native_id, timeout=0.2):
    """Wait (briefly) until the OS thread ``native_id`` has really exited. The watchdog releases its
    "ended" lock just before its thread ends; forking in between would still count two threads,
    and Python 3.12+ then warns about forking a multi-threaded process. Linux only (/proc)."""
    if native_id is None:
        return
    path = "/proc/self/task/%d" % native_id
    if not os.path.isdir("/proc/self/task"):
        return
    deadline = time.monotonic() + timeout
    while os.path.exists(path) and time.monotonic() < deadline:
        _real_sleep(0.0002)


def _native_id():
    get = getattr(_thread, "get_native_id", None)
    return get() if get is not None else _thread.get_ident()


_main_ident = _thread.get_ident()  # this module is imported on the main thread


class _PostImportFinder(object):
    """A one-shot meta path finder: runs ``callback(module)`` right after ``name`` is executed."""

    def __init__(self, name, callback):
        self.name = name
        self.callback = callback
        self._busy = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name or self._busy:
            return None
        self._busy = True
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy = False
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        spec.loader = _ChainedLoader(loader, self.callback)
        return spec


class _ChainedLoader(object):
    def __init__(self, loader, callback):
        self._loader = loader
        self._callback = callback

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        # Leave no trace of the wrapper on the module.
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        try:
            self._callback(module)
        except Exception:
            pass
