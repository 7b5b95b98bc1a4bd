import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** One Python interpreter the runtime tests run; `command` is null when it is not on this machine. */
export interface Interpreter {
  label: string;
  command: string | null;
}

function works(command: string): boolean {
  const result = spawnSync(command, ["-c", "import sys; assert sys.version_info >= (3, 8)"], { encoding: "utf8" });
  return result.status === 0;
}

/** The newest pyenv interpreter of a version prefix (`3.12`), if pyenv has one. */
function pyenvVersion(prefix: string): string | null {
  const root = spawnSync("pyenv", ["root"], { encoding: "utf8" });
  if (root.status !== 0) return null;
  const versions = join(root.stdout.trim(), "versions");
  if (!existsSync(versions)) return null;
  const match = readdirSync(versions)
    .filter((name) => name === prefix || name.startsWith(prefix + "."))
    .sort()
    .pop();
  const command = match ? join(versions, match, "bin", "python3") : null;
  return command && existsSync(command) && works(command) ? command : null;
}

/**
 * The interpreters the tracer must work on: the one on PATH (pyenv 3.11), Debian's, and pyenv's 3.8,
 * 3.12 (sys.monitoring era) and 3.13. Tests skip, by name, the ones that are missing.
 */
export const interpreters: Interpreter[] = [
  { label: "python3 on PATH", command: works("python3") ? "python3" : null },
  { label: "/usr/bin/python3", command: existsSync("/usr/bin/python3") && works("/usr/bin/python3") ? "/usr/bin/python3" : null },
  { label: "pyenv 3.8", command: pyenvVersion("3.8") },
  { label: "pyenv 3.12", command: pyenvVersion("3.12") },
  { label: "pyenv 3.13", command: pyenvVersion("3.13") },
];

/** The tracer package, put on PYTHONPATH as `corolint trace` does. */
export const RUNTIME_PYTHON = fileURLToPath(new URL("../../runtime/python", import.meta.url));

let scriptCounter = 0;

/** Writes `app.py` into a fresh folder under `workDir`; returns its folder, name and the line holding `# HERE`. */
export function writeScript(workDir: string, source: string): { dir: string; name: string; line: number } {
  const dir = join(workDir, `case-${++scriptCounter}`);
  const name = "app.py";
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), source);
  const line = source.split("\n").findIndex((text) => text.includes("# HERE")) + 1;
  return { dir, name, line };
}

/** How a Python process ended, and what it printed. */
export interface PythonRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `python [-m corolint_trace TRACER_ARGS] ARGS` in `cwd`. With `signal`, sends it once the
 * program has printed "ready" (it blocks right after).
 */
export function runPython(
  python: string,
  cwd: string,
  args: string[],
  options: { traced: boolean; signal?: NodeJS.Signals; tracerArgs?: string[] },
): Promise<PythonRun> {
  const argv = options.traced ? ["-m", "corolint_trace", ...(options.tracerArgs ?? []), ...args] : args;
  const child = spawn(python, argv, {
    cwd,
    env: { ...process.env, PYTHONPATH: RUNTIME_PYTHON, PYTHONDONTWRITEBYTECODE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let signalled = false;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (options.signal && !signalled && stdout.includes("ready")) {
      signalled = true;
      // The program is now inside its blocking call (it blocks for seconds): let the watchdog see
      // the block, then signal.
      setTimeout(() => child.kill(options.signal), 400);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/**
 * Why `python` cannot run a test that imports `module` (from a Debian package, PyPI being out of
 * reach here), or null when it can.
 */
export function missingModule(python: string, module: string, debianPackage: string): string | null {
  if (!existsSync(python)) return `${python} is missing`;
  const probe = spawnSync(python, ["-c", `import ${module}`], { cwd: tmpdir(), encoding: "utf8" });
  if (probe.status === 0) return null;
  return `${python} cannot import ${module} (apt install ${debianPackage}): ${(probe.error?.message ?? probe.stderr).trim()}`;
}
