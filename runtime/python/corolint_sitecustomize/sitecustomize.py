"""corolint trace's ``sitecustomize``: trace every Python process of a command, whatever started it.

``corolint trace -- uvicorn app:app`` (gunicorn, ``./manage.py``, ``npm start``, a shell script...)
puts this folder first on ``PYTHONPATH``, with the folder of ``corolint_trace`` after it, so every
Python process of the command, and each process those start, runs this file when Python starts
(``site`` imports ``sitecustomize``). Nothing is installed and the program is not changed.

Configured by the environment ``corolint trace`` sets:

* ``COROLINT_TRACE_OUTPUT_DIR``: each process writes ``python-PID.json`` there when it ends; a
  forked child (os.fork, multiprocessing, gunicorn's workers) writes its own. Unset: nothing is
  traced (this file then only runs the sitecustomize it hides).
* ``COROLINT_TRACE_MODE``: ``light`` (default) or ``steps``.
* ``COROLINT_TRACE_THRESHOLD_MS``: blocks of at least this many milliseconds (default 50).

Then it runs the ``sitecustomize`` Python would have run without this one: the next one on
``sys.path`` (another folder of ``PYTHONPATH``, a virtualenv's, Debian's in /usr/lib/python3.X).
"""

import os
import sys


def _start_tracing():
    output_dir = os.environ.get("COROLINT_TRACE_OUTPUT_DIR")
    if not output_dir:
        return
    mode = os.environ.get("COROLINT_TRACE_MODE") or "light"
    if mode not in ("light", "steps"):
        mode = "light"
    try:
        threshold_ms = float(os.environ.get("COROLINT_TRACE_THRESHOLD_MS") or 50)
    except ValueError:
        threshold_ms = 50.0
    if not (0 < threshold_ms < 1e9):
        threshold_ms = 50.0
    try:
        from corolint_trace.cli import start_tracing

        start_tracing(mode, threshold_ms, output_dir=os.path.abspath(output_dir))
    except Exception as exc:  # never keep the program from starting
        sys.stderr.write("corolint-trace: could not start tracing this process: %s\n" % exc)


def _run_hidden_sitecustomize():
    """Find the ``sitecustomize`` after this folder on sys.path and run it as ``sitecustomize``."""
    here = os.path.normcase(os.path.dirname(os.path.abspath(__file__)))
    entries = list(sys.path)
    later = None
    for index, entry in enumerate(entries):
        if os.path.normcase(os.path.abspath(entry or os.curdir)) == here:
            later = entries[index + 1 :]
            break
    if not later:
        return
    from importlib.machinery import PathFinder
    from importlib.util import module_from_spec

    spec = PathFinder.find_spec("sitecustomize", later)
    if spec is None or spec.loader is None:
        return
    module = module_from_spec(spec)
    # `import sitecustomize` in the program finds the one it would have found untraced. An error
    # in it propagates to `site`, which reports it as it would have.
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_start_tracing()
_run_hidden_sitecustomize()
