"""Steps mode on Python 3.12+: time the steps of asyncio tasks with ``sys.monitoring`` (PEP 669).

The tracer takes a tool id of its own (4, else 3: never the ids ``sys.monitoring`` names for
debuggers, coverage, profilers and optimizers), so a debugger or coverage tool keeps its own. For
each task, the ``create_task`` wrapper calls :meth:`MonitoringHook.watch` with the task's
coroutine: its code object gets **local** events, and its frame is remembered. A step begins at
``PY_START`` (first step), ``PY_RESUME`` or ``PY_THROW`` (the Task threw an exception in: a
cancellation, a failed future) of that frame, and ends at its ``PY_YIELD``, ``PY_RETURN`` or
``PY_UNWIND``. The same code run as a plain awaited coroutine has another frame and is not counted.

``PY_THROW`` and ``PY_UNWIND`` cannot be local events (CPython accepts them only for a whole
interpreter), so they are on for every code object, for this tool only: their callbacks return at
once unless the code is a task coroutine's. They only run when an exception is thrown into a
generator or leaves a Python frame.

Nothing here runs when the tool is released (:meth:`MonitoringHook.release`, at the end of the run
and in a forked child): callbacks, global and local events are all taken back.
"""

import _thread
import sys
import weakref

# Never DEBUGGER_ID (0), COVERAGE_ID (1), PROFILER_ID (2) or OPTIMIZER_ID (5): tools that follow
# the documented convention take those, and a debugger must find its id free.
CANDIDATE_TOOL_IDS = (4, 3)
TOOL_NAME = "corolint_trace"


def available():
    """True when this Python has sys.monitoring (CPython 3.12+)."""
    return getattr(sys, "monitoring", None) is not None


class MonitoringHook(object):
    """The ``sys.monitoring`` side of steps mode: begins and ends the steps of watched tasks.

    ``tracer`` is the StepsMonitor: the callbacks use its ``_current`` (thread ident -> the
    TaskRecord whose step runs there), its clock, and ``tracer._end(rec, end, done, coro)``.
    """

    def __init__(self, tracer):
        self.tracer = tracer
        self.tool_id = None
        self.taken_by = {}  # tool id -> the name of the tool that had it, when it was not free
        self._frames = {}  # a task coroutine's frame -> its TaskRecord (while the task runs)
        self._code_ids = set()  # id() of the code objects with local events
        self._codes = []  # those code objects, kept alive so that their ids stay theirs
        self._local_events = 0  # set by claim()

    def claim(self):
        """Take a free tool id and register the callbacks; False if every candidate id is taken."""
        monitoring = sys.monitoring
        for tool_id in CANDIDATE_TOOL_IDS:
            owner = monitoring.get_tool(tool_id)
            if owner is not None:
                self.taken_by[tool_id] = owner
                continue
            try:
                monitoring.use_tool_id(tool_id, TOOL_NAME)
            except ValueError:  # taken meanwhile by another thread
                self.taken_by[tool_id] = monitoring.get_tool(tool_id)
                continue
            self.tool_id = tool_id
            break
        else:
            return False
        events = monitoring.events
        callbacks = self._callbacks()
        for event, callback in callbacks.items():
            monitoring.register_callback(self.tool_id, event, callback)
        monitoring.set_events(self.tool_id, events.PY_THROW | events.PY_UNWIND)
        self._local_events = events.PY_START | events.PY_RESUME | events.PY_YIELD | events.PY_RETURN
        return True

    def watch(self, coro, rec):
        """Time the steps of the task whose top coroutine is ``coro``; False if it cannot be."""
        if self.tool_id is None:
            return False
        frame = coro.cr_frame
        if frame is None:  # already finished: the Task will fail at once; the wrapper times that
            return False
        code = coro.cr_code
        if id(code) not in self._code_ids:
            try:
                sys.monitoring.set_local_events(self.tool_id, code, self._local_events)
            except Exception:
                return False  # the wrapper times this task
            self._code_ids.add(id(code))
            self._codes.append(code)
        frames = self._frames
        frames[frame] = rec

        def forget(_ref):
            # The coroutine died without ending (closed before its first step): drop its frame.
            frames.pop(frame, None)

        rec.coro_ref = weakref.ref(coro, forget)
        return True

    def unwatch(self, coro, rec):
        """``create_task`` failed after :meth:`watch`: the coroutine is the caller's again."""
        self._frames.pop(coro.cr_frame, None)
        rec.coro_ref = None

    def release(self):
        """Take back every callback and event and free the tool id (idempotent)."""
        tool_id, self.tool_id = self.tool_id, None
        if tool_id is None:
            return
        monitoring = sys.monitoring
        events = monitoring.events
        for code in self._codes:
            try:
                monitoring.set_local_events(tool_id, code, 0)
            except Exception:
                pass
        self._codes = []
        self._code_ids = set()
        self._frames.clear()
        try:
            monitoring.set_events(tool_id, 0)
            for event in (events.PY_START, events.PY_RESUME, events.PY_THROW,
                          events.PY_YIELD, events.PY_RETURN, events.PY_UNWIND):
                monitoring.register_callback(tool_id, event, None)
        finally:
            # free_tool_id does not clear events or callbacks on 3.12/3.13: done above.
            if monitoring.get_tool(tool_id) == TOOL_NAME:
                monitoring.free_tool_id(tool_id)

    def _callbacks(self):
        """The callbacks, as closures over what they use (each runs twice per step)."""
        events = sys.monitoring.events
        tracer = self.tracer
        frames = self._frames
        frame_of_task = frames.get
        forget_frame = frames.pop
        code_ids = self._code_ids
        current = tracer._current
        running_here = current.get
        end_step = tracer._end
        clock = tracer.clock
        get_ident = _thread.get_ident
        caller = sys._getframe  # caller(1): the monitored frame (the callback's is 0)

        def begin(code, offset):  # PY_START, PY_RESUME
            rec = frame_of_task(caller(1))
            if rec is not None:
                ident = get_ident()
                rec.prev = running_here(ident)
                current[ident] = rec
                rec.ident = ident
                rec.start = clock()

        def begin_thrown(code, offset, exception):  # PY_THROW, for every code object
            if id(code) not in code_ids or isinstance(exception, GeneratorExit):
                return  # not a task's coroutine; or close(), which a Task never calls
            rec = frame_of_task(caller(1))
            if rec is not None:
                ident = get_ident()
                rec.prev = running_here(ident)
                current[ident] = rec
                rec.ident = ident
                rec.start = clock()

        # A step ends only if it began (rec.ident is set): not after a close() (see above).

        def suspend(code, offset, value):  # PY_YIELD
            rec = frame_of_task(caller(1))
            if rec is not None and rec.ident is not None:
                end_step(rec, clock(), False, None)

        def finish(code, offset, value):  # PY_RETURN
            rec = forget_frame(caller(1), None)
            if rec is not None:
                rec.coro_ref = None
                if rec.ident is not None:
                    end_step(rec, clock(), True, None)

        def unwind(code, offset, exception):  # PY_UNWIND, for every code object
            if id(code) not in code_ids:
                return
            rec = forget_frame(caller(1), None)
            if rec is not None:
                rec.coro_ref = None
                if rec.ident is not None:
                    end_step(rec, clock(), True, None)

        return {
            events.PY_START: begin,
            events.PY_RESUME: begin,
            events.PY_THROW: begin_thrown,
            events.PY_YIELD: suspend,
            events.PY_RETURN: finish,
            events.PY_UNWIND: unwind,
        }
