/**
 * `corolint server`'s command line: the transports it accepts, the usage errors, and the help that
 * shows editor set-ups. (The server it starts is what the other files in this folder test.)
 */
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../cli/args";
import { makeProject, runCli } from "../cli/helpers";

describe("corolint server", () => {
  it("parses one transport and the client's process id", () => {
    expect(parseArgs(["server", "--stdio"])).toEqual({ kind: "server", transport: "stdio" });
    expect(parseArgs(["server", "--node-ipc", "--clientProcessId=42"])).toEqual({ kind: "server", transport: "node-ipc" });
    expect(parseArgs(["server", "--socket=5007"])).toEqual({ kind: "server", transport: "socket" });
    expect(parseArgs(["server", "--socket", "5007"])).toEqual({ kind: "server", transport: "socket" });
    expect(parseArgs(["server", "--pipe=/tmp/corolint.sock"])).toEqual({ kind: "server", transport: "pipe" });
    expect(parseArgs(["server", "--help"])).toEqual({ kind: "help", topic: "server" });
    expect(parseArgs(["help", "server"])).toEqual({ kind: "help", topic: "server" });
  });

  it.each([
    [[], "missing transport: --stdio, --node-ipc, --socket=PORT or --pipe=NAME"],
    [["--stdio", "--node-ipc"], "choose one transport, not both --stdio and --node-ipc"],
    [["--socket=http"], "--socket expects a port number, got 'http'"],
    [["--stdio", "extra"], "unexpected argument 'extra'"],
    [["--stdio=yes"], "--stdio takes no value"],
    [["--tcp"], "unknown option '--tcp'"],
  ])("rejects %j with a usage error", async (args, message) => {
    const { code, stdout, stderr } = await runCli(["server", ...args], makeProject());
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`corolint: ${message}\nRun 'corolint server --help' for usage.\n`);
  });

  it("refuses --node-ipc without an IPC channel instead of waiting forever", async () => {
    const { code, stderr } = await runCli(["server", "--node-ipc"], makeProject());
    expect(code).toBe(2);
    expect(stderr).toContain("--node-ipc needs a parent process with an IPC channel");
  });

  it("--help shows the transports and the Neovim and Helix set-ups; the main help lists the command", async () => {
    const dir = makeProject();
    const help = await runCli(["server", "--help"], dir);
    expect(help.code).toBe(0);
    for (const text of ["--stdio", "--node-ipc", "--socket=PORT", "vim.lsp.config('corolint'", "vim.lsp.enable('corolint')", "[language-server.corolint]", 'args = ["server", "--stdio"]']) {
      expect(help.stdout).toContain(text);
    }
    expect((await runCli(["help", "server"], dir)).stdout).toBe(help.stdout);
    expect((await runCli(["--help"], dir)).stdout).toContain("corolint server --stdio");
  });
});
