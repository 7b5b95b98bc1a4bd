"""The trace as Chrome's Trace Event Format (object form), written atomically."""

import json
import os
import platform
import sys
import time

from . import FORMAT_VERSION, __version__

CATEGORY = "corolint.blocked"


def _us(seconds):
    return round(seconds * 1e6, 3)


def build(monitor, argv, end_reason):
    pid = monitor.pid
    t0 = monitor.t0
    # Steps mode: the task lanes (their tids are assigned here, before the spans use them).
    parts = monitor.trace_parts() if hasattr(monitor, "trace_parts") else None
    # Extensions (gevent, trio) add their lanes and events the same way.
    for extension in getattr(monitor, "extensions", []):
        more = extension.trace_parts() if hasattr(extension, "trace_parts") else None
        if more is None:
            continue
        if parts is None:
            parts = ([], [], {})
        parts = (parts[0] + list(more[0]), parts[1] + list(more[1]), dict(parts[2], **more[2]))
    events = [
        {
            "ph": "M",
            "pid": pid,
            "tid": 0,
            "name": "process_name",
            "args": {"name": "python " + " ".join(argv)[:200]},
        }
    ]
    for lane in sorted(monitor.lanes.values(), key=lambda lane: lane.sort_index):
        events.append({"ph": "M", "pid": pid, "tid": lane.tid, "name": "thread_name", "args": {"name": lane.name}})
        events.append(
            {"ph": "M", "pid": pid, "tid": lane.tid, "name": "thread_sort_index", "args": {"sort_index": lane.sort_index}}
        )
    if parts is not None:
        events.extend(parts[0])
    for span in monitor.spans:
        where = "%s:%s" % (os.path.basename(span.file), span.line) if span.file else "no sample"
        args = {
            "file": span.file,
            "line": span.line,
            "function": span.function,
            "stack": ["%s:%s %s" % frame for frame in span.stack],
            "samples": span.samples,
        }
        if span.unfinished:
            args["unfinished"] = True
        events.append(
            {
                "ph": "X",
                "pid": pid,
                "tid": span.lane.tid,
                "ts": _us(span.start - t0),
                "dur": _us(span.end - span.start),
                "cat": CATEGORY,
                "name": "blocked %s (%s)" % (span.function, where),
                "args": args,
            }
        )
    if parts is not None:
        events.extend(parts[1])
    corolint = {
        "formatVersion": FORMAT_VERSION,
        "tracer": "corolint_trace " + __version__,
        "runtime": "python %d.%d.%d" % sys.version_info[:3],
        "implementation": platform.python_implementation().lower(),
        "mode": getattr(monitor, "mode", "light"),
        "thresholdMs": monitor.threshold_ms,
        "heartbeatMs": round(monitor.period * 1000.0, 3),
        "blocked": monitor.blocked,
        "dropped": monitor.dropped,
        "topBlockers": monitor.top_blockers(),
        "argv": list(argv),
        "end": end_reason,
        # When ts 0 was, as wall-clock milliseconds since the epoch: `corolint trace` lines up the
        # traces of several processes with it. (The monotonic clock has no epoch: now minus elapsed.)
        "startEpochMs": round((time.time() - (monitor.clock() - t0)) * 1000.0, 3),
        "pid": pid,
    }
    if getattr(monitor, "forked_from", None) is not None:
        corolint["forkedFrom"] = monitor.forked_from  # the pid of the process that forked this one
    if parts is not None:
        corolint.update(parts[2])
    return {"traceEvents": events, "displayTimeUnit": "ms", "otherData": {"corolint": corolint}}


def write_atomic(path, document):
    """Write JSON to a temporary file beside ``path``, then rename it over ``path``."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            # json.dumps, not json.dump: only the one-shot encoder runs in C (dump's is pure Python,
            # several times slower on a trace of 500,000 events).
            handle.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")
            handle.flush()
            try:
                os.fsync(handle.fileno())
            except OSError:
                pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise

