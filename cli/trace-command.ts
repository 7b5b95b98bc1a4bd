/**
 * `corolint trace [--threshold-ms N] [-o FILE] -- <command...>`: runs a command under corolint's
 * tracers and writes where its event loops were blocked, as a Chrome trace. The program's stdin,
 * stdout, stderr and exit status are its own; corolint adds one summary line on stderr after it ends.
 *
 * Every Python and Node process of the command is traced, and writes its own trace into a scratch
 * folder; when the command ends they are merged into the one output file (cli/trace-merge.ts):
 *
 * - PYTHONPATH starts with a folder whose `sitecustomize.py` starts the Python tracer in each Python
 *   process (then runs the sitecustomize it hides), followed by the tracer's own folder. Nothing is
 *   installed into the user's environment.
 * - NODE_OPTIONS has `--import` of the Node tracer, which child processes inherit.
 * - `python [options] app.py` and `python [options] -m module` run as `python [options] -m
 *   corolint_trace ... app.py`, which also cuts the tracer's frames out of an uncaught traceback.
 *   Anything else (`uvicorn`, `gunicorn`, `./manage.py`, `npm start`, `sh -c ...`, `python -c`)
 *   runs as it is.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Io } from "./io";
import { mergeTraces, readProcessTraces } from "./trace-merge";

/** Options of `corolint trace`. */
export interface TraceArgs {
  kind: "trace";
  /** `light`: blocked spans only; `steps`: a lane per task too (Python tasks, Node async tasks). */
  mode: "light" | "steps";
  thresholdMs: number;
  /** Where the trace goes (default `corolint-trace.json`). */
  output?: string;
  /** The program and its arguments. */
  command: string[];
}

/** The tracers and the viewer: `dist/runtime` beside the bundle, or `runtime/` in a checkout run from sources. */
export function runtimeDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundled = join(here, "runtime");
  return existsSync(bundled) ? bundled : join(here, "..", "runtime");
}

type Runtime = "python" | "node";

function runtimeOf(program: string): Runtime | null {
  const name = basename(program).toLowerCase().replace(/\.exe$/, "");
  if (/^python(\d+(\.\d+)?)?$/.test(name) || name === "pypy3" || name === "pypy") return "python";
  if (name === "node" || name === "nodejs") return "node";
  return null;
}

/**
 * How `python ARGS` is run: through the tracer's cli.py (`script` or `module`, with the
 * interpreter's own options kept before `-m corolint_trace`), as it is (`asIs`: `-c`, stdin, `-i`,
 * `--version`... — the sitecustomize traces it), or not at all (`error`).
 */
type PythonLaunch =
  | { kind: "script" | "module"; interpreterOptions: string[]; target: string; args: string[] }
  | { kind: "asIs" }
  | { kind: "error"; message: string };

/** Python's one-letter options that take no value (see `python --help`). */
const PYTHON_FLAGS = new Set("bBdOqsSuvRP".split(""));

export function pythonLaunch(args: string[]): PythonLaunch {
  const interpreterOptions: string[] = [];
  let index = 0;
  for (; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === "--") {
      index += 1;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    if (arg.startsWith("--")) {
      if (arg !== "--check-hash-based-pycs" || index + 1 >= args.length) return { kind: "asIs" }; // --help, --version...
      interpreterOptions.push(arg, args[++index]!);
      continue;
    }
    // A cluster of one-letter options: `-u`, `-uB`, `-X dev`, `-Xdev`, `-m pkg`, `-um pkg`.
    for (let at = 1; at < arg.length; at += 1) {
      const letter = arg[at]!;
      if (letter === "E" || letter === "I") {
        return { kind: "error", message: `python -${letter} makes Python ignore PYTHONPATH, where corolint puts its tracer` };
      }
      if (letter === "m") {
        const target = arg.slice(at + 1) || args[++index];
        if (target === undefined) return { kind: "asIs" };
        if (at > 1) interpreterOptions.push(arg.slice(0, at));
        return { kind: "module", interpreterOptions, target, args: args.slice(index + 1) };
      }
      if (letter === "W" || letter === "X") {
        if (at + 1 === arg.length) {
          if (index + 1 >= args.length) return { kind: "asIs" };
          interpreterOptions.push(arg, args[++index]!);
        } else interpreterOptions.push(arg);
        break;
      }
      // -c, -i, -x (skip the first line: cli.py reads the script itself), -h, -V, or unknown.
      if (!PYTHON_FLAGS.has(letter)) return { kind: "asIs" };
      if (at + 1 === arg.length) interpreterOptions.push(arg);
    }
  }
  const script = args[index];
  if (script === undefined || script === "-") return { kind: "asIs" }; // the REPL, or a script on stdin
  return { kind: "script", interpreterOptions, target: script, args: args.slice(index + 1) };
}

/** The trace summary printed after the program ends. */
interface TraceFile {
  traceEvents?: { ph?: string; cat?: string; dur?: number; args?: { file?: string; line?: number; function?: string } }[];
  otherData?: { corolint?: { blocked?: number; processes?: unknown[] } };
}

function summarize(path: string, cwd: string): string {
  let trace: TraceFile;
  try {
    trace = JSON.parse(readFileSync(path, "utf8")) as TraceFile;
  } catch (error) {
    return `corolint: the tracer wrote no readable trace at ${path} (${error instanceof Error ? error.message : String(error)})`;
  }
  const blocked = (trace.traceEvents ?? []).filter((event) => event.ph === "X" && event.cat === "corolint.blocked");
  const shown = path.startsWith(cwd + "/") ? path.slice(cwd.length + 1) : path;
  const processes = trace.otherData?.corolint?.processes?.length ?? 1;
  const written = processes > 1 ? `trace of ${processes} processes written to ${shown}` : `trace written to ${shown}`;
  const loops = processes > 1 ? "the event loops were" : "the event loop was";
  if (blocked.length === 0) return `corolint: ${written}: ${loops} never blocked past the threshold`;
  const worst = blocked.reduce((a, b) => ((b.dur ?? 0) > (a.dur ?? 0) ? b : a));
  const where = worst.args?.file ? `${worst.args.file}:${worst.args.line ?? "?"} ${worst.args.function ?? ""}`.trim() : "an unknown place";
  const total = blocked.reduce((sum, event) => sum + (event.dur ?? 0), 0) / 1000;
  return (
    `corolint: ${written}: ${loops} blocked ${blocked.length} ${blocked.length === 1 ? "time" : "times"} ` +
    `(${Math.round(total)} ms in all); the longest, ${Math.round((worst.dur ?? 0) / 1000)} ms, at ${where}`
  );
}

/** Runs the program under the tracer; resolves to the exit code to use (or re-raises its signal). */
export async function runTrace(args: TraceArgs, io: Io): Promise<number> {
  const [program, ...programArgs] = args.command;
  if (program === undefined) {
    io.stderr.write("corolint: trace needs a command to run, e.g. `corolint trace -- python app.py`\n");
    return 2;
  }
  const runtime = runtimeOf(program);
  const launch = runtime === "python" ? pythonLaunch(programArgs) : null;
  if (launch?.kind === "error") {
    io.stderr.write(`corolint: cannot trace this command: ${launch.message}\n`);
    return 2;
  }
  const output = resolve(io.cwd, args.output ?? "corolint-trace.json");

  // Each traced process writes its own trace here; they are merged into `output` at the end.
  const scratch = mkdtempSync(join(tmpdir(), "corolint-trace-"));
  let ended: { code: number | null; signal: NodeJS.Signals | null } | Error;
  let written: string;
  try {
    const env: Record<string, string | undefined> = { ...io.env };
    const python = join(runtimeDir(), "python");
    env["PYTHONPATH"] = [join(python, "corolint_sitecustomize"), python, env["PYTHONPATH"]].filter(Boolean).join(delimiter);
    env["COROLINT_TRACE_OUTPUT_DIR"] = scratch;
    env["COROLINT_TRACE_MODE"] = args.mode;
    env["COROLINT_TRACE_THRESHOLD_MS"] = String(args.thresholdMs);
    const preload = pathToFileURL(join(runtimeDir(), "node", "corolint-trace.mjs")).href;
    env["NODE_OPTIONS"] = [`--import=${preload}`, env["NODE_OPTIONS"]].filter(Boolean).join(" ");
    env["COROLINT_TRACE_OUTPUT"] = join(scratch, "node.json");
    env["COROLINT_TRACE_PER_PROCESS"] = "1";
    let argv = programArgs;
    if (launch?.kind === "script" || launch?.kind === "module") {
      const tracer = ["-m", "corolint_trace", "--mode", args.mode, "--threshold-ms", String(args.thresholdMs), "--output-dir", scratch];
      const target = launch.kind === "module" ? ["-m", launch.target] : ["--", launch.target];
      argv = [...launch.interpreterOptions, ...tracer, ...target, ...launch.args];
    }
    ended = await runCommand(program, argv, env, io.cwd);
    written = ended instanceof Error ? "" : collectTraces(scratch, output, { mode: args.mode, thresholdMs: args.thresholdMs, argv: args.command }, io.cwd);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (ended instanceof Error) {
    io.stderr.write(`corolint: could not start ${program}: ${ended.message}\n`);
    return 2;
  }
  io.stderr.write(`${written}\n`);
  if (ended.signal !== null) {
    // End the way the program ended, so a caller sees the same status.
    process.kill(process.pid, ended.signal);
    return 128;
  }
  return ended.code ?? 1;
}

/** Runs the command with the terminal's stdin, stdout and stderr; resolves when it has exited. */
async function runCommand(
  program: string,
  argv: string[],
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error> {
  const child = spawn(program, argv, { cwd, env, stdio: "inherit" });
  // Ctrl+C reaches the whole process group, the program included: corolint waits for it to finish
  // (and write its trace) instead of dying first. SIGTERM sent to corolint alone is passed on.
  const ignoreInterrupt = (): void => {};
  const forwardTerminate = (): void => {
    child.kill("SIGTERM");
  };
  process.on("SIGINT", ignoreInterrupt);
  process.on("SIGTERM", forwardTerminate);
  try {
    return await new Promise((resolveEnd) => {
      child.on("error", (error) => resolveEnd(error));
      child.on("exit", (code, signal) => resolveEnd({ code, signal }));
    });
  } finally {
    process.off("SIGINT", ignoreInterrupt);
    process.off("SIGTERM", forwardTerminate);
  }
}

/**
 * Writes the processes' traces from `scratch` as the one trace at `output` (see cli/trace-merge.ts)
 * and returns the summary line to print.
 */
function collectTraces(scratch: string, output: string, run: { mode: string; thresholdMs: number; argv: string[] }, cwd: string): string {
  const { traces, unreadable } = readProcessTraces(scratch);
  const skipped = unreadable.length > 0 ? ` (${unreadable.length} unreadable process ${unreadable.length === 1 ? "trace" : "traces"} left out)` : "";
  if (traces.length === 0) {
    return `corolint: no trace written: no Python or Node process of the command wrote one (none ran, or they were killed)${skipped}`;
  }
  // One process: its trace as the tracer wrote it. Several: one trace with a pid each.
  const text = traces.length === 1 ? traces[0]!.text : JSON.stringify(mergeTraces(traces.map((trace) => trace.document), run));
  try {
    mkdirSync(dirname(output), { recursive: true });
    const temporary = `${output}.${process.pid}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, output);
  } catch (error) {
    return `corolint: could not write the trace to ${output}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return summarize(output, cwd) + skipped;
}
