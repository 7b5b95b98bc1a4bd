/**
 * Behaviour that depends on a terminal: colour and the progress line. The CLI runs under a real
 * pseudo-terminal made by util-linux `script`; these tests are skipped where it is missing.
 */
import { spawn, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BLOCKING, CLI, CLEAN, makeProject, runCli } from "./helpers";

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

/** Runs the CLI with stdout and stderr on a pseudo-terminal; returns what the terminal received. */
function runInTerminal(args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const command = [process.execPath, CLI, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(" ");
  const baseEnv: Record<string, string | undefined> = { ...process.env };
  delete baseEnv["NO_COLOR"];
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], { cwd, env: { ...baseEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", reject);
    child.on("close", () => resolve(output));
  });
}

describe.skipIf(!hasScript)("on a terminal", () => {
  it("colours the text format, unless NO_COLOR is set", async () => {
    const dir = makeProject({ "a.py": BLOCKING });
    const coloured = await runInTerminal(["check"], dir);
    expect(coloured).toContain("\x1b[31m[error]\x1b[0m");
    const plain = await runInTerminal(["check"], dir, { NO_COLOR: "1" });
    expect(plain).toContain("a.py:3:5: blocking-call [error] ");
    expect(plain).not.toContain("\x1b[");
  });

  it("shows a self-overwriting progress line for many files and clears it before the report", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 250; i++) files[`m${i}.py`] = CLEAN;
    const dir = makeProject(files);
    const output = await runInTerminal(["check", "--jobs", "0"], dir);
    expect(output).toMatch(/\r\x1b\[2Kcorolint: \d+\/250 files/);
    expect(output).toContain("\r\x1b[2Kcorolint: 250/250 files\r\x1b[2K");
    expect(output).toMatch(/\r\x1b\[2KNo problems found; checked 250 files\.\r?\n$/);
  });
});

describe("in a pipe", () => {
  it("never shows the progress line", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 250; i++) files[`m${i}.py`] = CLEAN;
    const { stdout, stderr } = await runCli(["check"], makeProject(files));
    expect(stderr).toBe("");
    expect(stdout).toBe("No problems found; checked 250 files.\n");
  });
});
