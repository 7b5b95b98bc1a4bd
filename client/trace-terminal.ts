/**
 * A VS Code terminal for one run of `corolint trace`: an extension terminal (`Pseudoterminal`) whose
 * output is the process's and whose keystrokes go to it (`trace-runner.ts`). The process starts when
 * the terminal opens and the promise resolves when it has exited, so the extension knows exactly when
 * the trace is written. The terminal stays open afterwards for its output to be read; any key closes it.
 */
import * as vscode from "vscode";
import { describeCommand, TraceProcess, type TraceCommand, type TraceEnd } from "./trace-runner";

const DIM = "\x1b[2m";
const BOLD = "\x1b[1m";
const RESET = "\x1b[0m";

/** Opens a terminal named `name`, runs `command` in it, and resolves with how it ended. */
export function runInTraceTerminal(name: string, command: TraceCommand): Promise<TraceEnd> {
  return new Promise<TraceEnd>((resolveRun) => {
    const output = new vscode.EventEmitter<string>();
    const closed = new vscode.EventEmitter<number | void>();
    let run: TraceProcess | undefined;
    let finished = false;
    const finish = (end: TraceEnd): void => {
      if (finished) return;
      finished = true;
      resolveRun(end);
    };

    const pty: vscode.Pseudoterminal = {
      onDidWrite: output.event,
      onDidClose: closed.event,
      open: () => {
        output.fire(`${DIM}$ ${describeCommand(command)}${RESET}\r\n`);
        const started = new TraceProcess(command, { write: (text) => output.fire(text) });
        run = started;
        void started.ended.then((end) => {
          output.fire(`\r\n${BOLD}${endLine(end)}${RESET} ${DIM}Press any key to close this terminal.${RESET}\r\n`);
          finish(end);
        });
      },
      close: () => {
        // The user closed the terminal: a program still running is stopped, and its trace still written.
        if (run?.running) run.terminate();
        else if (run === undefined) finish({ error: "the terminal was closed before the program started" });
        output.dispose();
        closed.dispose();
      },
      handleInput: (data) => {
        if (run?.running) run.input(data);
        else if (finished) closed.fire();
      },
    };
    const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon("pulse") });
    // Focused, so that a program that reads input can be answered (and Ctrl+C works) right away.
    terminal.show(false);
  });
}

function endLine(end: TraceEnd): string {
  if ("error" in end) return `corolint: could not start the tracer: ${end.error}.`;
  if (end.signal !== null) return `corolint: the run ended by ${end.signal}.`;
  return `corolint: the run ended with exit code ${end.code ?? "?"}.`;
}
