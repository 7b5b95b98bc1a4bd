import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

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
