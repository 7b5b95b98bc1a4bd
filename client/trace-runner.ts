/**
 * The process behind "corolint: Trace This File": `corolint trace` (the bundled `dist/cli.cjs`) on one
 * file, with its output written to a terminal and the terminal's keystrokes turned into the
 * program's input. Nothing here loads `vscode`: `trace-terminal.ts` connects it to a VS Code
 * Pseudoterminal, and a test runs it against a real program.
 *
 * Why a process with pipes and not a shell in a terminal: its `exit` event says exactly when the run
 * ended and how, without relying on shell integration. The price is that the program's streams are
 * pipes, not a TTY, so this file does what a terminal's line discipline would: echo, backspace, Enter,
 * Ctrl+C (SIGINT to the process group, as a terminal sends it) and Ctrl+D (end of input).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { StringDecoder } from "node:string_decoder";

/** The tracers' runtimes, and the languages traced with each. */
export type TraceRuntime = "python" | "node";

/** The runtime that runs a document of this VS Code language; null when corolint cannot trace it. */
export function runtimeForLanguage(languageId: string): TraceRuntime | null {
  if (languageId === "python") return "python";
  // Node runs TypeScript itself from 22.18/23.6 on (type stripping); older ones say so in the terminal.
  if (languageId === "javascript" || languageId === "typescript") return "node";
  return null;
}

/** What "Trace This File" runs: everything `traceCommand` needs. */
export interface TraceRequest {
  /** The Node.js that runs the CLI: the editor's own (`process.execPath`), so no Node install is needed. */
  nodeExecutable: string;
  /** `<extension>/dist/cli.cjs`. */
  cliPath: string;
  runtime: TraceRuntime;
  /** The Python interpreter (for Python files). */
  pythonPath: string;
  /** `corolint.trace.mode`. */
  mode: "light" | "steps";
  thresholdMs: number;
  /** Where the trace goes. */
  output: string;
  /** The file to run, absolute. */
  file: string;
  /** The working folder of the run. */
  cwd: string;
  /** The environment to start from (the editor's). */
  env: NodeJS.ProcessEnv;
}

/** A process to start. */
export interface TraceCommand {
  executable: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** `node <cli.cjs> trace --mode M --threshold-ms N -o OUT -- <python|node> FILE`. */
export function traceCommand(request: TraceRequest): TraceCommand {
  const program = request.runtime === "python" ? request.pythonPath : "node";
  return {
    executable: request.nodeExecutable,
    args: [request.cliPath, "trace", "--mode", request.mode, "--threshold-ms", String(request.thresholdMs), "-o", request.output, "--", program, request.file],
    cwd: request.cwd,
    env: {
      ...request.env,
      // The editor's executable is Electron in desktop VS Code: this makes it run the CLI as plain Node.
      ELECTRON_RUN_AS_NODE: "1",
      // Python buffers stdout in blocks when it is a pipe; the user should see each print as it happens.
      PYTHONUNBUFFERED: "1",
    },
  };
}

/** The command as a shell would show it, for the terminal's first line and the log. */
export function describeCommand(command: TraceCommand): string {
  const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  return [command.executable, ...command.args].map(quote).join(" ");
}

/** How the run ended: the exit code or signal of `corolint trace`, or why it could not start. */
export type TraceEnd = { code: number | null; signal: NodeJS.Signals | null } | { error: string };

/** Where the run's output goes: a terminal, which wants `\r\n` line ends. */
export interface TerminalSink {
  write(text: string): void;
}

/** How long to wait for the output pipes to drain after the process exits (a grandchild may hold them open). */
const DRAIN_MS = 1000;

/** One run of `corolint trace`, its output going to `sink`, its input coming from `input()`. */
export class TraceProcess {
  /** Resolves once the process has exited and its output has been written. */
  readonly ended: Promise<TraceEnd>;
  private readonly child: ChildProcessWithoutNullStreams;
  private line = "";
  private exited = false;

  constructor(command: TraceCommand, private readonly sink: TerminalSink) {
    this.child = spawn(command.executable, command.args, {
      cwd: command.cwd,
      env: command.env,
      stdio: ["pipe", "pipe", "pipe"],
      // Its own process group, so that Ctrl+C can reach the CLI and the program together, as in a terminal.
      detached: process.platform !== "win32",
      windowsHide: true,
    });
    this.pipe(this.child.stdout);
    this.pipe(this.child.stderr);
    // Input typed after the program stopped reading, or after it exited, is not an error.
    this.child.stdin.on("error", () => {});
    this.ended = new Promise<TraceEnd>((resolveEnd) => {
      this.child.on("error", (error) => {
        this.exited = true;
        resolveEnd({ error: error.message });
      });
      this.child.on("exit", (code, signal) => {
        this.exited = true;
        const timer = setTimeout(() => resolveEnd({ code, signal }), DRAIN_MS);
        this.child.on("close", () => {
          clearTimeout(timer);
          resolveEnd({ code, signal });
        });
      });
    });
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return !this.exited;
  }

  /**
   * Keystrokes from the terminal (what `Pseudoterminal.handleInput` receives): printable text is
   * echoed and collected, Enter sends the line, Backspace takes a character back, Ctrl+C interrupts,
   * Ctrl+D ends the input. Escape sequences (arrow keys) are ignored: there is no line editing.
   */
  input(data: string): void {
    if (this.exited) return;
    const text = data.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1bO.|\x1b/g, "");
    for (const char of text) {
      if (char === "\r" || char === "\n") {
        this.sink.write("\r\n");
        this.child.stdin.write(`${this.line}\n`);
        this.line = "";
      } else if (char === "\x7f" || char === "\b") {
        if (this.line === "") continue;
        this.line = [...this.line].slice(0, -1).join("");
        this.sink.write("\b \b");
      } else if (char === "\x03") {
        this.sink.write("^C\r\n");
        this.line = "";
        this.interrupt();
      } else if (char === "\x04") {
        // As a terminal does: a partial line is sent as it is, an empty one means end of input.
        if (this.line === "") this.child.stdin.end();
        else this.child.stdin.write(this.line);
        this.line = "";
      } else if (char >= " " || char === "\t") {
        this.line += char;
        this.sink.write(char);
      }
    }
  }

  /** Ctrl+C: SIGINT to the CLI and the program, which then ends the way it ends on Ctrl+C and the trace is written. */
  interrupt(): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      if (process.platform === "win32") this.child.kill("SIGINT");
      else process.kill(-this.child.pid, "SIGINT");
    } catch {
      // Already gone.
    }
  }

  /** The terminal was closed: SIGTERM to the CLI, which passes it to the program, whose tracer writes the trace. */
  terminate(): void {
    if (!this.exited) this.child.kill("SIGTERM");
  }

  private pipe(stream: NodeJS.ReadableStream): void {
    const decoder = new StringDecoder("utf8");
    const write = (text: string): void => {
      if (text !== "") this.sink.write(toTerminalText(text));
    };
    stream.on("data", (chunk: Buffer) => write(decoder.write(chunk)));
    stream.on("end", () => write(decoder.end()));
  }
}

/** Program output as a terminal shows it: every line ends with `\r\n`. */
export function toTerminalText(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}
