/**
 * `corolint trace [--threshold-ms N] [-o FILE] -- <command...>`: runs a Python script or a Node
 * program under corolint's tracer and writes where its event loop was blocked, as a Chrome trace.
 * The program's stdin, stdout, stderr and exit status are its own; corolint adds one summary line
 * on stderr after it ends.
 *
 * Python: `python app.py args` runs as `python -m corolint_trace ... app.py args` with the tracer's
 * folder on PYTHONPATH (nothing is installed into the user's environment). Node: `node app.js` runs
 * with `--import` of the tracer in NODE_OPTIONS, so child processes inherit it.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Io } from "./io";

/** Options of `corolint trace`. */
export interface TraceArgs {
  kind: "trace";
  /** `light`: blocked spans only; `steps`: a lane per task too (Python only, for now). */
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

/** The trace summary printed after the program ends. */
interface TraceFile {
  traceEvents?: { ph?: string; cat?: string; dur?: number; args?: { file?: string; line?: number; function?: string } }[];
  otherData?: { corolint?: { blocked?: number } };
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
  if (blocked.length === 0) return `corolint: trace written to ${shown}: the event loop was never blocked past the threshold`;
  const worst = blocked.reduce((a, b) => ((b.dur ?? 0) > (a.dur ?? 0) ? b : a));
  const where = worst.args?.file ? `${worst.args.file}:${worst.args.line ?? "?"} ${worst.args.function ?? ""}`.trim() : "an unknown place";
  const total = blocked.reduce((sum, event) => sum + (event.dur ?? 0), 0) / 1000;
  return (
    `corolint: trace written to ${shown}: the event loop was blocked ${blocked.length} ${blocked.length === 1 ? "time" : "times"} ` +
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
  if (runtime === null) {
    io.stderr.write(`corolint: trace runs Python (python, python3...) or Node (node) programs, not '${program}'\n`);
    return 2;
  }
  const output = resolve(io.cwd, args.output ?? "corolint-trace.json");
  const env: Record<string, string | undefined> = { ...io.env };
  let argv: string[];
  if (runtime === "python") {
    if (programArgs.length === 0 || programArgs[0]!.startsWith("-")) {
      io.stderr.write("corolint: trace runs a Python script (`python app.py ...`); interpreter options and `-m`/`-c` are not supported yet\n");
      return 2;
    }
    const tracerPath = join(runtimeDir(), "python");
    env["PYTHONPATH"] = [tracerPath, env["PYTHONPATH"]].filter(Boolean).join(delimiter);
    argv = ["-m", "corolint_trace", "--mode", args.mode, "--threshold-ms", String(args.thresholdMs), "-o", output, ...programArgs];
  } else {
    if (args.mode === "steps") {
      io.stderr.write("corolint: --mode steps traces Python programs; for Node only light mode exists so far\n");
      return 2;
    }
    const preload = pathToFileURL(join(runtimeDir(), "node", "corolint-trace.mjs")).href;
    env["NODE_OPTIONS"] = [`--import=${preload}`, env["NODE_OPTIONS"]].filter(Boolean).join(" ");
    env["COROLINT_TRACE_OUTPUT"] = output;
    env["COROLINT_TRACE_THRESHOLD_MS"] = String(args.thresholdMs);
    argv = programArgs;
  }

  const child = spawn(program, argv, { cwd: io.cwd, env, stdio: "inherit" });
  // Ctrl+C reaches the whole process group, the program included: corolint waits for it to finish
  // (and write its trace) instead of dying first. SIGTERM sent to corolint alone is passed on.
  const ignoreInterrupt = (): void => {};
  const forwardTerminate = (): void => {
    child.kill("SIGTERM");
  };
  process.on("SIGINT", ignoreInterrupt);
  process.on("SIGTERM", forwardTerminate);
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>((resolveEnd) => {
    child.on("error", (error) => resolveEnd(error));
    child.on("exit", (code, signal) => resolveEnd({ code, signal }));
  });
  process.off("SIGINT", ignoreInterrupt);
  process.off("SIGTERM", forwardTerminate);
  if (ended instanceof Error) {
    io.stderr.write(`corolint: could not start ${program}: ${ended.message}\n`);
    return 2;
  }
  io.stderr.write(`${summarize(output, io.cwd)}\n`);
  if (ended.signal !== null) {
    // End the way the program ended, so a caller sees the same status.
    process.kill(process.pid, ended.signal);
    return 128;
  }
  return ended.code ?? 1;
}
