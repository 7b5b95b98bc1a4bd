"""``python -m corolint_trace [options] script.py [args...]``: run a program, trace its event loops.

The program runs as ``__main__`` with ``sys.argv`` = ``[script.py, args...]`` and ``sys.path[0]`` =
the script's folder, as ``python script.py`` would run it. Its standard streams, exit status,
uncaught-exception traceback and ``KeyboardInterrupt`` exit are left as they would be; the trace
is written when it ends (normally, by ``sys.exit``, by an exception, or on SIGTERM).
"""

import atexit
import os
import signal
import sys

from . import chrome
from .light import Monitor

PROG = "python -m corolint_trace"
USAGE = """usage: %s [--mode light|steps] [--threshold-ms MS] [-o FILE] [-v] script.py [args...]

Runs script.py and writes the spans during which its asyncio event loop was blocked
(as a Chrome trace: open it in https://ui.perfetto.dev or chrome://tracing).

options:
  --mode MODE         light (default): blocked spans only; steps: also one lane per task,
                      with each step of its coroutine and who created it
  --threshold-ms MS   report blocks of at least MS milliseconds (default: 50)
  -o, --output FILE   where to write the trace (default: corolint-trace.json)
  -v, --verbose       say where the trace went, on stderr, when the program ends
  -h, --help          show this help and exit
""" % PROG


class UsageError(Exception):
    pass


def parse_args(argv):
    threshold_ms = 50.0
    mode = "light"
    output = "corolint-trace.json"
    verbose = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        name, eq, value = arg.partition("=")
        if name in ("-h", "--help"):
            sys.stdout.write(USAGE)
            sys.exit(0)
        if name in ("-v", "--verbose") and not eq:
            verbose = True
            i += 1
            continue
        if name in ("--threshold-ms", "-o", "--output", "--mode"):
            if not eq:
                i += 1
                if i >= len(argv):
                    raise UsageError("%s needs a value" % name)
                value = argv[i]
            if name == "--mode":
                if value not in ("light", "steps"):
                    raise UsageError("--mode must be light or steps, not %r" % value)
                mode = value
            elif name == "--threshold-ms":
                try:
                    threshold_ms = float(value)
                except ValueError:
                    raise UsageError("--threshold-ms needs a number of milliseconds, not %r" % value)
                if not (0 < threshold_ms < 1e9):
                    raise UsageError("--threshold-ms must be greater than 0")
            else:
                if not value:
                    raise UsageError("%s needs a file name" % name)
                output = value
            i += 1
            continue
        raise UsageError("unknown option %s" % arg)
    if i >= len(argv):
        raise UsageError("no script to run")
    return threshold_ms, output, verbose, argv[i], argv[i + 1 :], mode


class Session(object):
    """Owns the monitor and writes the trace exactly once, whichever way the program ends."""

    def __init__(self, monitor, output, argv, verbose):
        self.monitor = monitor
        self.output = output
        self.argv = argv
        self.verbose = verbose
        self.end = {"reason": "exit"}
        self.done = False

    def finish(self, end=None):
        if self.done or os.getpid() != self.monitor.pid:
            return  # written already, or a forked child: the trace is the parent's
        self.done = True
        if end is not None:
            self.end = end
        try:
            self.monitor.stop()
            document = chrome.build(self.monitor, self.argv, self.end)
            chrome.write_atomic(self.output, document)
        except Exception as exc:
            sys.stderr.write("corolint-trace: could not write the trace to %s: %s\n" % (self.output, exc))
            return
        if self.verbose:
            sys.stderr.write(
                "corolint-trace: %d blocked span(s) of %g ms or more; trace written to %s\n"
                % (self.monitor.blocked, self.monitor.threshold_ms, self.output)
            )

    def install_exit_hooks(self):
        atexit.register(self.finish)
        # SIGTERM's default action ends the process without atexit: write, then take the
        # previous action. SIGINT is left alone: its default handler raises KeyboardInterrupt,
        # which ends the program through atexit, and asyncio.run only installs its own
        # cancel-the-main-task handler when SIGINT still has the default one.
        for name in ("SIGTERM",):
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            previous = signal.getsignal(signum)
            if previous is signal.SIG_IGN or previous is None:
                continue  # ignored (inherited), or set outside Python: keep it
            signal.signal(signum, self._signal_handler(name, previous))

    def _signal_handler(self, name, previous):
        def handler(signum, frame):
            self.finish({"reason": "signal", "signal": name})
            if callable(previous):
                return previous(signum, frame)
            # SIG_DFL: die of the signal, so the exit status is the signal's.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            os._exit(128 + signum)  # not reached: the default action ends the process

        return handler


def _run_script(path):
    """Execute a .py file as ``__main__``, as ``python path`` does (not through runpy, so that
    ``sys.argv[0]`` keeps the spelling it was given)."""
    import builtins
    import io
    import types
    from importlib.machinery import SourceFileLoader

    abspath = os.path.abspath(path)
    # Python 3.9+ names the script by its absolute path; 3.8 as it was typed.
    filename = abspath if sys.version_info >= (3, 9) else path
    with io.open_code(abspath) as handle:
        source = handle.read()
    code = compile(source, filename, "exec", dont_inherit=True)
    module = types.ModuleType("__main__")
    module.__dict__.update(
        {
            "__file__": filename,
            "__builtins__": builtins,
            "__cached__": None,
            "__spec__": None,
            "__package__": None,
            "__loader__": SourceFileLoader("__main__", abspath),
        }
    )
    sys.modules["__main__"] = module
    exec(code, module.__dict__)


def _is_plain_script(path):
    if not os.path.isfile(path) or path.endswith((".pyc", ".pyo")):
        return False
    import zipfile

    return not zipfile.is_zipfile(path)


def _trimming_excepthook(previous, classifier):
    """Show an uncaught exception as ``python script.py`` would: without the tracer's frames."""

    def trim(tb):
        entries = []
        while tb is not None:
            entries.append(tb)
            tb = tb.tb_next
        kept = []
        for entry in entries:
            filename = entry.tb_frame.f_code.co_filename
            if classifier.kind(filename) == "tracer":
                continue
            if not kept and (filename == "<frozen runpy>" or os.path.basename(filename) == "runpy.py"):
                continue  # python -m's own frames above the program
            kept.append(entry)
        for here, after in zip(kept, kept[1:] + [None]):
            here.tb_next = after
        return kept[0] if kept else None

    def hook(exc_type, exc, tb):
        seen = set()
        chained = exc
        while chained is not None and id(chained) not in seen:
            seen.add(id(chained))
            if chained is not exc and chained.__traceback__ is not None:
                chained.__traceback__ = trim(chained.__traceback__)
            chained = chained.__cause__ or chained.__context__
        tb = trim(tb)
        if exc is not None:
            exc.__traceback__ = tb
        previous(exc_type, exc, tb)

    return hook


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        threshold_ms, output, verbose, script, args, mode = parse_args(argv)
    except UsageError as exc:
        sys.stderr.write("%s\n%s: error: %s\n" % (USAGE.splitlines()[0], PROG, exc))
        return 2
    output = os.path.abspath(output)  # the program may chdir
    if not os.path.isdir(os.path.dirname(output)):
        sys.stderr.write("%s: error: cannot write %s: no such folder\n" % (PROG, output))
        return 2
    if not os.path.exists(script):
        sys.stderr.write("%s: can't open file %r: [Errno 2] No such file or directory\n" % (PROG, script))
        return 2

    if mode == "steps":
        from .steps import StepsMonitor

        monitor = StepsMonitor(threshold_ms)
    else:
        monitor = Monitor(threshold_ms)
    session = Session(monitor, output, [script] + list(args), verbose)
    session.install_exit_hooks()
    monitor.install()

    sys.argv[:] = [script] + list(args)
    plain = _is_plain_script(script)
    if not getattr(sys.flags, "safe_path", False) and sys.path:
        if plain:
            sys.path[0] = os.path.dirname(os.path.abspath(script))
        else:
            del sys.path[0]  # runpy.run_path puts the folder or zip file there itself
    try:
        if plain:
            _run_script(script)
        else:
            import runpy

            runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        session.end = {"reason": "exit", "code": exc.code if isinstance(exc.code, int) else 1}
        raise
    except BaseException as exc:
        session.end = {"reason": "exception", "exception": type(exc).__name__}
        # Python prints it (through the program's own sys.excepthook if it set one) and exits
        # with 1, or by SIGINT for KeyboardInterrupt; atexit then writes the trace.
        sys.excepthook = _trimming_excepthook(sys.excepthook, monitor.classifier)
        raise
    return None
