/**
 * The `corolint` command (bundled as `dist/cli.cjs`): parses the command line and hands over to a
 * command. Owns the process: exit code, broken pipes, crashes.
 */
import { parseArgs, UsageError } from "./args";
import { runCheck } from "./check-command";
import { CHECK_HELP, MAIN_HELP, RULES_HELP, SERVER_HELP, TRACE_HELP, VIEW_HELP } from "./help";
import type { Io } from "./io";
import { VERSION } from "./package-info";
import { runRules } from "./rules-command";

/** Runs corolint with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const helpCommand = error.command === undefined ? "corolint --help" : `corolint ${error.command} --help`;
    io.stderr.write(`corolint: ${error.message}\nRun '${helpCommand}' for usage.\n`);
    return 2;
  }
  switch (args.kind) {
    case "help":
      io.stdout.write({ main: MAIN_HELP, check: CHECK_HELP, rules: RULES_HELP, server: SERVER_HELP, trace: TRACE_HELP, view: VIEW_HELP }[args.topic]);
      return 0;
    case "version":
      io.stdout.write(`corolint ${VERSION}\n`);
      return 0;
    case "rules":
      return runRules(args.id, io);
    case "check":
      return runCheck(args, io);
    case "trace": {
      const { runTrace } = await import("./trace-command");
      return runTrace(args, io);
    }
    case "view": {
      const { runView } = await import("./view-command");
      return runView(args, io);
    }
    case "server": {
      if (args.transport === "node-ipc" && process.send === undefined) {
        io.stderr.write("corolint: --node-ipc needs a parent process with an IPC channel (an editor starting the server)\n");
        return 2;
      }
      // Loaded on demand: `corolint check` should not pay for the LSP library at start-up.
      const { startServer } = await import("../server/start-server");
      startServer();
      // The connection keeps the process alive; the `exit` notification ends it with its own code.
      return 0;
    }
  }
}

// `| head` closing the pipe early is the reader's choice, not a crash worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`corolint: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
