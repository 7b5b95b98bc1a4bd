/**
 * Runs the built CLI (`dist/cli.cjs`) as a real process on throw-away project folders.
 * `npm test` builds before running vitest; a missing bundle fails with a message saying so.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The bundle under test. */
export const CLI = join(REPO_ROOT, "dist/cli.cjs");

/** A coroutine that blocks the loop: one `blocking-call` (error) on line 3, column 5. */
export const BLOCKING = "import time\nasync def f():\n    time.sleep(1)\n";

/** A coroutine that drops its task: one `dangling-task` (warning) on line 3, column 5. */
export const DANGLING = "import asyncio\nasync def g():\n    asyncio.create_task(g())\n";

/** Code no rule reports. */
export const CLEAN = "import asyncio\nasync def h():\n    await asyncio.sleep(1)\n";

/** What a finished CLI process left behind. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.cjs ...args` in `cwd` with NO_COLOR and FORCE_COLOR unset unless `env` sets them. */
export function runCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does) before these tests`);
  const baseEnv: Record<string, string | undefined> = { ...process.env };
  delete baseEnv["NO_COLOR"];
  delete baseEnv["FORCE_COLOR"];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...baseEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh folder under the system temp folder holding `files` (path → content; folders are made as
 * needed). Removed after the test file finishes.
 */
export function makeProject(files: Record<string, string | Uint8Array> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "corolint-cli-"));
  made.push(dir);
  writeFiles(dir, files);
  return dir;
}

/** Writes more files into a project folder. */
export function writeFiles(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

/** The `file` of each finding in a `--format json` run, sorted, for compact assertions. */
export function jsonFiles(stdout: string): string[] {
  const document = JSON.parse(stdout) as { findings: { file: string }[] };
  return [...new Set(document.findings.map((finding) => finding.file))].sort();
}
