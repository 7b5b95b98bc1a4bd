"""corolint's runtime tracer for Python (issue #6).

Run a program under it with ``python -m corolint_trace [options] app.py [args...]`` (with this
folder's parent on ``PYTHONPATH``). The light mode finds the spans during which an asyncio event
loop could not run anything — a blocking call, a long computation — and writes them as a Chrome
trace. See runtime/README.md.
"""

__all__ = ["FORMAT_VERSION", "__version__"]

__version__ = "0.1.0"

#: Bumped when otherData.corolint or the shape of the events changes incompatibly.
FORMAT_VERSION = 1
