/**
 * Hand-written command-line parsing. There are few flags, and owning the parser keeps the error
 * messages specific ("--jobs expects a number") and the bundle free of dependencies.
 */

/** The output formats of `corolint check`. */
export const FORMATS = ["text", "json", "sarif", "github"] as const;

/** One output format. */
export type Format = (typeof FORMATS)[number];

/** Options of `corolint check`. */
export interface CheckArgs {
  kind: "check";
  /** Files and folders to check, as typed; `.` when none are given. */
  paths: string[];
  select?: string[];
  ignore?: string[];
  exitZero: boolean;
  format: Format;
  prefilter: boolean;
  /** Absent: choose from the number of files. */
  jobs?: number;
  config?: string;
  /** Apply fixes (`--fix`; `--unsafe-fixes` implies it unless `--diff`). */
  fix: boolean;
  /** Unsafe fixes too. */
  unsafeFixes: boolean;
  /** Print the fixes as a unified diff instead of writing them. */
  diff: boolean;
}

import type { TraceArgs } from "./trace-command";
import type { ViewArgs } from "./view-command";

/** How `corolint server` talks to its editor; vscode-languageserver reads the details from argv itself. */
export type ServerTransport = "stdio" | "node-ipc" | "socket" | "pipe";

/** What the command line asks for. */
export type ParsedArgs =
  | { kind: "help"; topic: "main" | "check" | "rules" | "server" | "trace" | "view" }
  | { kind: "version" }
  | CheckArgs
  | TraceArgs
  | ViewArgs
  | { kind: "rules"; id?: string }
  | { kind: "server"; transport: ServerTransport };

/** A command line corolint cannot make sense of; reported with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    /** The command whose `--help` to point at, if any. */
    readonly command?: "check" | "rules" | "server" | "trace" | "view",
  ) {
    super(message);
  }
}

/** Parses `process.argv.slice(2)`. Throws `UsageError`. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [first, ...rest] = argv;
  switch (first) {
    case undefined:
      throw new UsageError("missing command (check, rules or server)");
    case "-h":
    case "--help":
      return { kind: "help", topic: "main" };
    case "-V":
    case "--version":
      return { kind: "version" };
    case "help":
      return parseHelp(rest);
    case "check":
      return parseCheck(rest);
    case "rules":
      return parseRules(rest);
    case "server":
      return parseServer(rest);
    case "trace":
      return parseTrace(rest);
    case "view":
      return parseView(rest);
    default:
      if (first.startsWith("-")) throw new UsageError(`unknown option '${first}'`);
      throw new UsageError(`unknown command '${first}' (expected check, rules, server, trace or view)`);
  }
}

function parseHelp(rest: string[]): ParsedArgs {
  const [topic, extra] = rest;
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  if (topic === undefined) return { kind: "help", topic: "main" };
  if (topic === "check" || topic === "rules" || topic === "server" || topic === "trace" || topic === "view") return { kind: "help", topic };
  throw new UsageError(`no help for '${topic}' (try check, rules, server, trace or view)`);
}

function parseCheck(rest: string[]): ParsedArgs {
  const args: CheckArgs = { kind: "check", paths: [], exitZero: false, format: "text", prefilter: true, fix: false, unsafeFixes: false, diff: false };
  const reader = new OptionReader(rest, "check");
  for (let option = reader.next(); option !== null; option = reader.next()) {
    if (option.positional !== undefined) {
      args.paths.push(option.positional);
      continue;
    }
    switch (option.name) {
      case "-h":
      case "--help":
        reader.noValue(option);
        return { kind: "help", topic: "check" };
      case "--select":
        args.select = [...(args.select ?? []), ...ruleList(reader.value(option), option.name)];
        break;
      case "--ignore":
        args.ignore = [...(args.ignore ?? []), ...ruleList(reader.value(option), option.name)];
        break;
      case "--exit-zero":
        reader.noValue(option);
        args.exitZero = true;
        break;
      case "--no-prefilter":
        reader.noValue(option);
        args.prefilter = false;
        break;
      case "--fix":
        reader.noValue(option);
        args.fix = true;
        break;
      case "--unsafe-fixes":
        reader.noValue(option);
        args.unsafeFixes = true;
        break;
      case "--diff":
        reader.noValue(option);
        args.diff = true;
        break;
      case "--format": {
        const value = reader.value(option);
        if (!(FORMATS as readonly string[]).includes(value)) {
          throw new UsageError(`unknown format '${value}' (expected ${FORMATS.join(", ")})`, "check");
        }
        args.format = value as Format;
        break;
      }
      case "--jobs": {
        const value = reader.value(option);
        if (!/^\d+$/.test(value)) throw new UsageError(`--jobs expects a whole number, got '${value}'`, "check");
        args.jobs = Number(value);
        break;
      }
      case "--config":
        args.config = reader.value(option);
        if (args.config === "") throw new UsageError("--config expects a file name", "check");
        break;
      default:
        throw new UsageError(`unknown option '${option.name}'`, "check");
    }
  }
  if (args.paths.length === 0) args.paths.push(".");
  // `--unsafe-fixes` alone means "fix, unsafe fixes included"; with `--diff` it shows them instead.
  if (args.unsafeFixes && !args.diff) args.fix = true;
  if (args.diff && args.fix && !args.unsafeFixes) throw new UsageError("--diff shows the fixes instead of applying them: use --fix or --diff, not both", "check");
  if (args.diff && args.format !== "text") throw new UsageError("--diff prints a unified diff: it takes no --format", "check");
  return args;
}

/** `50ms`, `0.2s`, `50` (milliseconds) as whole milliseconds of at least 1; null for anything else. */
function durationMs(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!match) return null;
  const ms = Math.round(Number(match[1]) * (match[2] === "s" ? 1000 : 1));
  return ms >= 1 ? ms : null;
}

/**
 * `corolint trace [--threshold-ms N | --threshold 50ms] [-o FILE] [--] <command...>`: options come first; the command
 * starts at `--` or at the first argument that is not an option, and keeps its own options.
 */
function parseTrace(rest: string[]): ParsedArgs {
  const args: TraceArgs = { kind: "trace", mode: "light", thresholdMs: 50, command: [] };
  for (let index = 0; index < rest.length; index += 1) {
    const arg = rest[index]!;
    if (arg === "--") {
      args.command = rest.slice(index + 1);
      break;
    }
    if (!arg.startsWith("-")) {
      args.command = rest.slice(index);
      break;
    }
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      const next = inline ?? rest[++index];
      if (next === undefined) throw new UsageError(`${name} expects a value`, "trace");
      return next;
    };
    switch (name) {
      case "-h":
      case "--help":
        return { kind: "help", topic: "trace" };
      case "--threshold-ms": {
        const text = value();
        if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--threshold-ms expects a whole number of milliseconds, got '${text}'`, "trace");
        args.thresholdMs = Number(text);
        break;
      }
      case "--threshold": {
        const text = value();
        const thresholdMs = durationMs(text);
        if (thresholdMs === null) throw new UsageError(`--threshold expects a duration such as 50ms or 0.2s, got '${text}'`, "trace");
        args.thresholdMs = thresholdMs;
        break;
      }
      case "-o":
      case "--output":
        args.output = value();
        break;
      case "--mode": {
        const mode = value();
        if (mode !== "light" && mode !== "steps") throw new UsageError(`--mode expects light or steps, got '${mode}'`, "trace");
        args.mode = mode;
        break;
      }
      default:
        throw new UsageError(`unknown option '${name}'`, "trace");
    }
  }
  if (args.command.length === 0) throw new UsageError("missing the command to trace, e.g. `corolint trace -- python app.py`", "trace");
  return args;
}

/** `corolint view [-o FILE] [--open] TRACE`: one trace, options before or after it. */
function parseView(rest: string[]): ParsedArgs {
  const reader = new OptionReader(rest, "view");
  let trace: string | undefined;
  let output: string | undefined;
  let open = false;
  for (let option = reader.next(); option !== null; option = reader.next()) {
    if (option.positional !== undefined) {
      if (trace !== undefined) throw new UsageError(`unexpected argument '${option.positional}' (give one trace file)`, "view");
      trace = option.positional;
      continue;
    }
    switch (option.name) {
      case "-h":
      case "--help":
        reader.noValue(option);
        return { kind: "help", topic: "view" };
      case "-o":
      case "--output":
        output = reader.value(option);
        if (output === "") throw new UsageError(`${option.name} expects a file name`, "view");
        break;
      case "--open":
        reader.noValue(option);
        open = true;
        break;
      default:
        throw new UsageError(`unknown option '${option.name}'`, "view");
    }
  }
  if (trace === undefined) throw new UsageError("missing the trace to show, e.g. `corolint view corolint-trace.json`", "view");
  return { kind: "view", trace, ...(output !== undefined && { output }), ...(open && { open }) };
}

function parseRules(rest: string[]): ParsedArgs {
  const reader = new OptionReader(rest, "rules");
  let id: string | undefined;
  for (let option = reader.next(); option !== null; option = reader.next()) {
    if (option.positional !== undefined) {
      if (id !== undefined) throw new UsageError(`unexpected argument '${option.positional}' (give one rule id)`, "rules");
      id = option.positional;
      continue;
    }
    if (option.name === "-h" || option.name === "--help") {
      reader.noValue(option);
      return { kind: "help", topic: "rules" };
    }
    throw new UsageError(`unknown option '${option.name}'`, "rules");
  }
  return id === undefined ? { kind: "rules" } : { kind: "rules", id };
}

/**
 * `corolint server --stdio | --node-ipc | --socket=N | --pipe=NAME [--clientProcessId=N]`. Exactly one
 * transport; the values are checked here so that mistakes get a usage message, and read again by
 * vscode-languageserver from argv when the server starts.
 */
function parseServer(rest: string[]): ParsedArgs {
  const reader = new OptionReader(rest, "server");
  let transport: ServerTransport | undefined;
  const setTransport = (value: ServerTransport): void => {
    if (transport !== undefined) throw new UsageError(`choose one transport, not both --${transport} and --${value}`, "server");
    transport = value;
  };
  for (let option = reader.next(); option !== null; option = reader.next()) {
    if (option.positional !== undefined) throw new UsageError(`unexpected argument '${option.positional}'`, "server");
    switch (option.name) {
      case "-h":
      case "--help":
        reader.noValue(option);
        return { kind: "help", topic: "server" };
      case "--stdio":
        reader.noValue(option);
        setTransport("stdio");
        break;
      case "--node-ipc":
        reader.noValue(option);
        setTransport("node-ipc");
        break;
      case "--socket": {
        const value = reader.value(option);
        if (!/^\d+$/.test(value) || Number(value) === 0 || Number(value) > 65535) {
          throw new UsageError(`--socket expects a port number, got '${value}'`, "server");
        }
        setTransport("socket");
        break;
      }
      case "--pipe":
        if (reader.value(option) === "") throw new UsageError("--pipe expects a pipe name", "server");
        setTransport("pipe");
        break;
      case "--clientProcessId": {
        const value = reader.value(option);
        if (!/^\d+$/.test(value)) throw new UsageError(`--clientProcessId expects a process id, got '${value}'`, "server");
        break;
      }
      default:
        throw new UsageError(`unknown option '${option.name}'`, "server");
    }
  }
  if (transport === undefined) throw new UsageError("missing transport: --stdio, --node-ipc, --socket=PORT or --pipe=NAME", "server");
  return { kind: "server", transport };
}

/** `a,b , c` → `["a", "b", "c"]`; an empty list is a mistake worth reporting. */
function ruleList(value: string, flag: string): string[] {
  const ids = value
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  if (ids.length === 0) throw new UsageError(`${flag} expects a comma-separated list of rule ids`, "check");
  return ids;
}

interface Option {
  /** The flag as typed before any `=`, e.g. `--format`. */
  name: string;
  /** The part after `=` in `--format=json`. */
  inlineValue?: string;
  /** Set for a non-option argument instead of `name`. */
  positional?: string;
}

/** Walks argv: `--flag value`, `--flag=value`, and `--` before paths that start with `-`. */
class OptionReader {
  private index = 0;
  private onlyPositionals = false;

  constructor(
    private readonly argv: readonly string[],
    private readonly command: "check" | "rules" | "server" | "view",
  ) {}

  next(): Option | null {
    const arg = this.argv[this.index++];
    if (arg === undefined) return null;
    if (this.onlyPositionals) return { name: "", positional: arg };
    if (arg === "--") {
      this.onlyPositionals = true;
      return this.next();
    }
    if (arg.startsWith("-") && arg !== "-") {
      const equals = arg.indexOf("=");
      if (arg.startsWith("--") && equals !== -1) return { name: arg.slice(0, equals), inlineValue: arg.slice(equals + 1) };
      return { name: arg };
    }
    return { name: "", positional: arg };
  }

  /** The option's value: after `=`, or the next argument. */
  value(option: Option): string {
    if (option.inlineValue !== undefined) return option.inlineValue;
    const value = this.argv[this.index];
    if (value === undefined || (value.startsWith("--") && value.length > 2)) {
      throw new UsageError(`${option.name} expects a value`, this.command);
    }
    this.index++;
    return value;
  }

  /** Rejects `--exit-zero=yes`: a flag that takes no value should not silently accept one. */
  noValue(option: Option): void {
    if (option.inlineValue !== undefined) throw new UsageError(`${option.name} takes no value`, this.command);
  }
}
