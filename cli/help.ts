/** The texts of `corolint --help` and of each command's `--help`. */
import { VERSION } from "./package-info";

/** `corolint --help`. */
export const MAIN_HELP = `corolint ${VERSION} - finds coroutine pitfalls in Python, TypeScript and JavaScript:
blocking calls in async code, monkey-patching, loops that never yield, floating promises.

Usage:
  corolint check [options] [PATH...]   check files and folders (default: the current folder)
  corolint rules [ID]                  list the rules, or show one rule's documentation
  corolint server --stdio              run the language server (for Neovim, Helix, Zed...)
  corolint trace -- COMMAND...         run a command and record where the event loops of its
                                       Python and Node processes were blocked
  corolint view TRACE.json [-o FILE]   write the trace as a self-contained HTML schedule viewer
  corolint help [check|rules|server|trace|view]   show help for a command

Options:
  -h, --help      show this help
  -V, --version   show the version

Exit codes: 0 no error-severity findings, 1 at least one, 2 usage, configuration or internal error.
`;

/** `corolint check --help`. */
export const CHECK_HELP = `Usage: corolint check [options] [PATH...]

Checks the Python (.py, .pyi), TypeScript (.ts, .tsx, .mts, .cts) and JavaScript (.js, .jsx, .mjs,
.cjs) files under each PATH (default: "."). Folders are walked, leaving out .git, node_modules,
site-packages, __pycache__, virtual environments (folders holding pyvenv.cfg), .d.ts files, *.min.js
bundles, what .gitignore files ignore and the configuration's "exclude" globs. Files named on the
command line are always checked. TypeScript and JavaScript files are checked in the project of the
nearest tsconfig.json or jsconfig.json.

Options:
  --select IDS        run only these rules (comma-separated; replaces the configured "select")
  --ignore IDS        do not run these rules (comma-separated; added to the configured "ignore")
  --format FORMAT     output format: text (default), json, sarif, github
  --config FILE       use this configuration file (pyproject.toml, corolint.json or *.toml)
                      instead of searching from the current folder upward
  --jobs N            worker threads (default: one per 16 files, at most one per core;
                      0 or 1 analyses in the main thread)
  --fix               apply the safe fixes, then report what is left
  --unsafe-fixes      apply unsafe fixes too (they can change behaviour: read the diff)
  --diff              print the fixes as a unified diff instead of writing them
                      (with --unsafe-fixes: the unsafe ones too); exit 1 when there is one
  --exit-zero         exit 0 even when there are error-severity findings
  --no-prefilter      parse every file (slower; for checking the prefilter)
  -h, --help          show this help

Configuration: the nearest corolint.json, or pyproject.toml with a [tool.corolint] table, from the
current folder upward (corolint.json wins in the same folder). Keys: select, ignore, severity,
extra-blocking-calls, extra-async-decorators, monkey-patch-in-tests, transitive-max-depth, exclude.

Fixes are written atomically and never leave a file that parses worse than before; a fix that
would is skipped and reported. A second --fix changes nothing.

Exit codes: 0 no error-severity findings (warnings do not fail), 1 at least one (after --fix: one
left), 2 usage, configuration or internal error.
`;

/** `corolint rules --help`. */
export const RULES_HELP = `Usage: corolint rules [ID]

Without ID, lists every rule with its default severity and summary.
With ID, prints that rule's documentation: what it finds, why it matters, an example and the fix.

Options:
  -h, --help   show this help
`;

/** `corolint server --help`. */
export const SERVER_HELP = `Usage: corolint server --stdio | --node-ipc | --socket=PORT | --pipe=NAME

Runs corolint's language server (LSP): diagnostics as you type, quick fixes (\`time.sleep\` ->
\`await asyncio.sleep\`, adding \`await\`), "Ignore <rule> on this line" and source.fixAll.corolint.
It reads the project's corolint.json or pyproject.toml [tool.corolint] like \`corolint check\`, and
the editor's settings under "corolint": enable (true), rules ({"rule-id": "error"|"warning"|"info"|"off"}),
run ("onType" or "onSave").

Options:
  --stdio                talk LSP over stdin/stdout (what editors use)
  --node-ipc             talk over the node IPC channel of the parent process (VS Code)
  --socket=PORT          connect to a socket the editor listens on
  --pipe=NAME            connect to a named pipe or Unix socket
  --clientProcessId=N    exit when the editor process N is gone
  -h, --help             show this help

Neovim 0.11+ (init.lua):
  vim.lsp.config('corolint', {
    cmd = { 'corolint', 'server', '--stdio' },
    filetypes = { 'python' },
    root_markers = { 'pyproject.toml', 'corolint.json', '.git' },
    settings = { corolint = { run = 'onType' } },
  })
  vim.lsp.enable('corolint')

Helix (languages.toml):
  [language-server.corolint]
  command = "corolint"
  args = ["server", "--stdio"]

  [[language]]
  name = "python"
  language-servers = ["pylsp", "corolint"]   # keep your other servers in the list
`;

/** `corolint trace --help`. */
export const TRACE_HELP = `Usage: corolint trace [options] [--] COMMAND [ARGS...]

Runs a command (python app.py, python -m pkg, node app.js, uvicorn app:app, gunicorn app:app,
./manage.py runserver, npm start, a shell script...) and records every time the event loop of one
of its Python or Node processes was blocked for longer than the threshold: when, for how long, and
the source line that was running (Python: the loop thread's stack, sampled by a watchdog thread;
Node: V8's sampling profiler). The program's input, output and exit status are its own; the trace
is written when it ends, also after a crash, Ctrl+C or SIGTERM. Nothing is installed into the
program's environment.

The trace is a Chrome trace (object form): open it in https://ui.perfetto.dev or chrome://tracing.

Options:
  --mode MODE         light (default): blocked spans only, cheap enough for real workloads;
                      steps: also one lane per task (an asyncio task, a gevent greenlet, a trio
                      task; in Node, the async work a timer, a server connection or the main
                      module started) with every step, where it suspended and spawn arrows
                      (Python: about 2-3x slower on tight await loops, 1.1-1.4x on I/O)
  --threshold-ms N    report blocks longer than N milliseconds (default: 50)
  --threshold TIME    the same as a duration: 50ms, 0.2s
  -o, --output FILE   where to write the trace (default: corolint-trace.json)
  -h, --help          show this help

Node: the tracer is loaded with --import through NODE_OPTIONS, so child processes inherit it. Its
sampling profiler costs a few percent on busy programs; that is the price of knowing the line.
Node --mode steps uses async_hooks (before/after of every callback and promise reaction), which is
expensive on promise-heavy code: 4-11x slower on tight await loops (an empty async_hooks hook alone
costs 3x there), about 1.2-1.5x on I/O-bound programs. To see the schedule, not for production.

Every process is traced: child processes, forked workers (os.fork, multiprocessing, gunicorn's
pre-fork) and whatever a launcher starts, through PYTHONPATH (a sitecustomize that starts the
tracer, then runs the one it hides) and NODE_OPTIONS. Each writes its own trace; when the command
ends they are merged into the one file, a pid per process. \`python -I\` and \`-E\` ignore
PYTHONPATH and are refused; processes still running after the command ends are left out.

Exit status: the program's own (a program killed by a signal makes corolint end by the same signal);
2 when corolint cannot start it.
`;

/** `corolint view --help`. */
export const VIEW_HELP = `Usage: corolint view [options] TRACE.json

Writes a corolint trace (from \`corolint trace\`) as one self-contained HTML page and prints the
page's path. The page shows the run (runtime, mode, threshold, number of blocks), the top blockers
(file:line, function, total ms, count), and a timeline: the event loop's lane on top (in steps mode
it holds every task's steps, muted, and the blocks in red: the loop's occupancy), then one lane per
task, greenlet or thread, grouped by process when the trace has several. Blocked spans are red,
spawn arrows purple. Hover a span for a summary, click it for its details in a side panel: a block's
line and stack; a step's task, start, duration and where it suspended ("suspended at app.py:12",
"finished", "still running at exit") with its other args.

In the page: the wheel or +/- zoom, dragging or shift+wheel pans, 0 fits; the filter box (or "/")
keeps the lanes whose name, pid or process name contains the text, and "blocked only" the lanes with
a block (the loop lanes stay). A trace with more than 100,000 steps has the steps of each lane that
fall in the same small slice of time merged into one bar with a count (the header says how many);
blocks and arrows are all kept.

The page loads nothing from the network: its script and styles are inlined, so it can be opened
offline, attached to an issue or kept as a CI artifact.

Options:
  -o, --output FILE   where to write the page (default: the trace's name with .html instead of
                      .json, beside the trace)
  --open              then open the page in the browser (xdg-open, open, or start on Windows);
                      when that fails corolint says so and still exits 0
  -h, --help          show this help

Exit status: 0 when the page was written, 2 when the trace cannot be read or is not a Chrome trace.
`;
