"""``python -m corolint_trace``: see cli.py (kept apart: the program replaces ``__main__``)."""

import sys

from corolint_trace.cli import main

if __name__ == "__main__":
    code = main()
    if code is not None:
        sys.exit(code)
