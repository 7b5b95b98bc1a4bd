"""``python -m corolint_trace [options] (script.py | -m module) [args...]``: run a program, trace its
event loops.

The program runs as ``__main__`` with ``sys.argv`` = ``[script.py, args...]`` and ``sys.path[0]`` =
the script's folder, as ``python script.py`` would run it (with ``-m``: the module's file in
``sys.argv[0]`` and the working folder in ``sys.path[0]``, as ``python -m module``). Its standard
streams, exit status, uncaught-exception traceback and ``KeyboardInterrupt`` exit are left as they would be; the trace
is written when it ends (normally, by ``sys.exit``, by an exception, or on SIGTERM).
"""

import atexit
import os
import signal
import sys

from . import chrome
from . import gevent_tracer
from . import trio_tracer
from .light import Monitor, mimic

PROG = "python -m corolint_trace"
USAGE = """usage: %s [--mode light|steps] [--threshold-ms MS] [-o FILE | --output-dir DIR] [-v]
       (script.py | -m module) [args...]

Runs script.py (or a module, as python -m does) and writes the spans during which its asyncio
event loop was blocked (as a Chrome trace: open it in https://ui.perfetto.dev or chrome://tracing).

options:
  --mode MODE         light (default): blocked spans only; steps: also one lane per task,
                      with each step of its coroutine and who created it
  --threshold-ms MS   report blocks of at least MS milliseconds (default: 50)
  -o, --output FILE   where to write the trace (default: corolint-trace.json)
  --output-dir DIR    one trace per process instead: DIR/python-PID.json; forked children
                      (os.fork, multiprocessing, pre-fork servers) write their own
  -m MODULE           run a module as python -m does (ends the options, like a script)
  -v, --verbose       say where the trace went, on stderr, when the program ends
  -h, --help          show this help and exit
""" % PROG


class UsageError(Exception):
    pass


class Options(object):
    def __init__(self):
        self.threshold_ms = 50.0
        self.mode = "light"
        self.output = "corolint-trace.json"
        self.output_dir = None
        self.verbose = False
        self.script = None  # the program: a script...
        self.module = None  # ...or a module, run as python -m runs it
        self.args = []


def parse_args(argv):
    options = Options()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        if arg.startswith("-m") and not arg.startswith("--"):
            # -m module (or -mmodule), as python takes it: the rest is the program's.
            options.module = arg[2:] or (argv[i + 1] if i + 1 < len(argv) else "")
            if not options.module:
                raise UsageError("-m needs a module name")
            options.args = argv[i + (1 if arg[2:] else 2) :]
            break
        name, eq, value = arg.partition("=")
        if name in ("-h", "--help"):
            sys.stdout.write(USAGE)
            sys.exit(0)
        if name in ("-v", "--verbose") and not eq:
            options.verbose = True
            i += 1
            continue
        if name in ("--threshold-ms", "-o", "--output", "--output-dir", "--mode"):
            if not eq:
                i += 1
                if i >= len(argv):
                    raise UsageError("%s needs a value" % name)
                value = argv[i]
            if name == "--mode":
                if value not in ("light", "steps"):
                    raise UsageError("--mode must be light or steps, not %r" % value)
                options.mode = value
            elif name == "--threshold-ms":
                try:
                    options.threshold_ms = float(value)
                except ValueError:
                    raise UsageError("--threshold-ms needs a number of milliseconds, not %r" % value)
                if not (0 < options.threshold_ms < 1e9):
                    raise UsageError("--threshold-ms must be greater than 0")
            elif name == "--output-dir":
                if not value:
                    raise UsageError("--output-dir needs a folder name")
                options.output_dir = value
            else:
                if not value:
                    raise UsageError("%s needs a file name" % name)
                options.output = value
            i += 1
            continue
        raise UsageError("unknown option %s" % arg)
    if options.module is not None:
        return options
    if i >= len(argv):
        raise UsageError("no script to run")
    options.script, options.args = argv[i], argv[i + 1 :]
    return options


class Session(object):
    """Owns the monitor and writes the trace exactly once, whichever way the program ends.

    With ``output_dir`` each process writes ``output_dir/python-PID.json``, and a forked child
    starts a trace of its own; else the trace goes to ``output`` and belongs to this process only.
    ``argv`` None: the command line as Python got it, read when the trace is written (the session
    of a sitecustomize starts before Python has found the program)."""

    def __init__(self, monitor, output, argv, verbose, output_dir=None):
        self.monitor = monitor
        self.output = output
        self.output_dir = output_dir
        self.argv = argv
        self.verbose = verbose
        self.end = None  # set when known; else read from sys when the trace is written
        self.done = False

    def output_path(self):
        if self.output_dir is not None:
            return os.path.join(self.output_dir, "python-%d.json" % os.getpid())
        return self.output

    def program_argv(self):
        if self.argv is not None:
            return list(self.argv)
        orig = getattr(sys, "orig_argv", None)  # 3.10+: the interpreter's options and -m kept
        return list(orig[1:]) if orig else list(sys.argv)

    def finish(self, end=None):
        if self.done or os.getpid() != self.monitor.pid:
            return  # written already, or a forked child of a single-file trace: it is the parent's
        self.done = True
        if end is not None:
            self.end = end
        if self.end is None:
            # An uncaught exception sets sys.last_type before atexit runs.
            last = getattr(sys, "last_type", None)
            self.end = {"reason": "exception", "exception": last.__name__} if last else {"reason": "exit"}
        if self.output_dir is not None and not os.path.isdir(self.output_dir):
            return  # `corolint trace` has merged the traces and gone: a process that outlived it
        output = self.output_path()
        try:
            self.monitor.stop()
            document = chrome.build(self.monitor, self.program_argv(), self.end)
            chrome.write_atomic(output, document)
        except Exception as exc:
            sys.stderr.write("corolint-trace: could not write the trace to %s: %s\n" % (output, exc))
            return
        if self.verbose:
            sys.stderr.write(
                "corolint-trace: %d blocked span(s) of %g ms or more; trace written to %s\n"
                % (self.monitor.blocked, self.monitor.threshold_ms, output)
            )

    def trace_forked_children(self, new_monitor):
        """A forked child gets a fresh monitor state (``new_monitor()`` makes one) and its own file."""
        self.monitor.new_state_for_child = new_monitor
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_in_child)

    def _after_fork_in_child(self):
        if self.done:
            return  # the parent had finished: the child traces nothing
        self.end = None
        # A forked child usually ends with os._exit (multiprocessing's do, so do many os.fork
        # workers), which skips atexit: write the child's trace first.
        current = os._exit
        if getattr(current, "__corolint_original__", None) is not None:
            return  # wrapped in a parent that was itself a forked child
        session = self

        def _exit(status):
            session.finish({"reason": "exit", "code": status})
            current(status)

        os._exit = mimic(_exit, current)

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
    # zipfile imports threading, which a gevent program must find unimported when it patches: ask
    # zipfile only about a file whose tail holds a zip end-of-central-directory signature.
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - 65557))  # the record (22 bytes) and its 64 KiB comment
        if b"PK\x05\x06" not in handle.read():
            return True
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


_session = None  # this process's session: started once, by main() or by corolint's sitecustomize


def make_monitor(mode, threshold_ms):
    if mode == "steps":
        from .steps import StepsMonitor

        return StepsMonitor(threshold_ms)
    return Monitor(threshold_ms)


def start_tracing(mode, threshold_ms, output=None, output_dir=None, argv=None, verbose=False):
    """Trace this process until it ends, then write its trace (see Session for the arguments).

    Used by main() and by the sitecustomize ``corolint trace`` puts on PYTHONPATH. Once per
    process: a second call returns the session already running (``corolint trace -- python
    app.py`` runs main() in a process whose sitecustomize started tracing already)."""
    global _session
    if _session is not None:
        return _session
    monitor = make_monitor(mode, threshold_ms)
    session = Session(monitor, output, argv, verbose, output_dir)
    session.install_exit_hooks()
    monitor.install()
    # The other schedulers' adapters: registered here, so main() and sitecustomize both get them.
    gevent_tracer.install(monitor, mode)
    trio_tracer.install(monitor, mode)
    if output_dir is not None:
        session.trace_forked_children(lambda: make_monitor(mode, threshold_ms))
    _session = session
    return session


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        options = parse_args(argv)
    except UsageError as exc:
        sys.stderr.write("%s\n%s: error: %s\n" % (USAGE.splitlines()[0], PROG, exc))
        return 2
    output = os.path.abspath(options.output)  # the program may chdir
    output_dir = os.path.abspath(options.output_dir) if options.output_dir else None
    if not os.path.isdir(output_dir or os.path.dirname(output)):
        sys.stderr.write("%s: error: cannot write %s: no such folder\n" % (PROG, output_dir or output))
        return 2
    script, module, args = options.script, options.module, options.args
    if script is not None and not os.path.exists(script):
        sys.stderr.write("%s: can't open file %r: [Errno 2] No such file or directory\n" % (PROG, script))
        return 2

    program = ["-m", module] if module is not None else [script]
    session = start_tracing(options.mode, options.threshold_ms, output, output_dir, program + list(args), options.verbose)
    # Started by sitecustomize already: it keeps its settings, the program is named as here.
    session.argv = program + list(args)
    session.verbose = options.verbose
    monitor = session.monitor

    if module is None:
        sys.argv[:] = [script] + list(args)
        plain = _is_plain_script(script)
        if not getattr(sys.flags, "safe_path", False) and sys.path:
            if plain:
                sys.path[0] = os.path.dirname(os.path.abspath(script))
            else:
                del sys.path[0]  # runpy.run_path puts the folder or zip file there itself
    # With -m, sys.path[0] stays the working folder, as python -m corolint_trace set it.
    try:
        if module is not None:
            _run_module(module, args)
        elif plain:
            _run_script(script)
        else:
            import runpy

            runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        session.end = {"reason": "exit", "code": _exit_code(exc)}
        raise
    except BaseException as exc:
        session.end = {"reason": "exception", "exception": type(exc).__name__}
        # Python prints it (through the program's own sys.excepthook if it set one) and exits
        # with 1, or by SIGINT for KeyboardInterrupt; atexit then writes the trace.
        sys.excepthook = _trimming_excepthook(sys.excepthook, monitor.classifier)
        raise
    return None


def _exit_code(exc):
    """The status ``SystemExit`` ends the process with: None is 0, a message is 1."""
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def _run_module(name, args):
    """Run a module as ``__main__``, as ``python -m name args`` does: the package imported first,
    ``pkg/__main__.py`` for a package, ``sys.argv[0]`` the module's file, a fresh ``__main__``.
    (``runpy.run_module`` would restore ``sys.modules["__main__"]`` and ``sys.argv`` when the
    module returns, which threads and atexit hooks of the program could still need.)"""
    import runpy
    import types

    sys.argv[:] = ["-m"] + list(args)  # what python -m shows while it looks for the module
    try:
        # runpy's own lookup, the one python -m uses (private, the same from 3.8 to 3.13).
        mod_name, spec, code = runpy._get_module_details(name, runpy._Error)
    except runpy._Error as exc:
        sys.stderr.write("%s: %s\n" % (sys.executable, exc))
        raise SystemExit(1)
    module = types.ModuleType("__main__")
    sys.modules["__main__"] = module
    if spec.origin:
        sys.argv[0] = spec.origin
    runpy._run_code(code, module.__dict__, None, "__main__", spec)
