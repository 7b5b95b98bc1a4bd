/**
 * Running Node programs under the Node tracer (runtime/node/corolint-trace.mjs) for the runtime
 * tests: a scratch project per test, and `node [--import tracer] file` with its output collected.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

/** The preload, from the sources (not dist/). */
export const NODE_TRACER = fileURLToPath(new URL("../../runtime/node/corolint-trace.mjs", import.meta.url));

/** How a Node process ended, and what it printed. */
export interface NodeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A function that writes `files` into a fresh scratch folder; the folders go when the test file ends. */
export function scratchProjects(prefix: string): (files: Record<string, string>) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (files) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
}

/**
 * Runs `node [--import tracer] file` in `cwd` with the environment's NODE_OPTIONS removed (unless
 * `env` sets one); `onStdout` sees stdout as it comes (to time a signal).
 */
export function runNode(
  cwd: string,
  file: string,
  options: { traced?: boolean; env?: Record<string, string>; onStdout?: (text: string, kill: (s: NodeJS.Signals) => void) => void } = {},
): Promise<NodeRun> {
  const args = options.traced === false ? [file] : ["--import", NODE_TRACER, file];
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  delete env["NODE_OPTIONS"];
  if (options.env?.["NODE_OPTIONS"]) env["NODE_OPTIONS"] = options.env["NODE_OPTIONS"];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, (signal) => child.kill(signal));
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}
