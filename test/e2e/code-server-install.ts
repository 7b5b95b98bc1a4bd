/**
 * Installs code-server (VS Code for the browser, from the npm registry) for the end-to-end tests, into
 * a cache folder outside the repository, and reuses it while it is complete.
 *
 * Why code-server and not `@vscode/test-electron`: the latter downloads VS Code from a host CI cannot
 * reach; code-server comes from the npm registry. Its install needs a few detours, each because a
 * step would otherwise download from GitHub or fail as root (see /work/shared/E2E-RECIPE.md):
 * - `npm install --ignore-scripts`, then `npm rebuild argon2` (its prebuilt download fails; the
 *   fallback source build works);
 * - VS Code's own dependencies (`lib/vscode`) are installed without scripts first, Debian's `rg` is
 *   linked where `@vscode/ripgrep` keeps its binary (its postinstall skips the download when that
 *   folder exists), then `npm rebuild` compiles the native modules (node-pty, spdlog, kerberos...);
 * - code-server's own `postinstall.sh` then finds `lib/vscode` complete and does the rest (the
 *   built-in extensions, a few symlinks); it wants `unsafe_perm` under root.
 * A marker file is written last: a folder without it is a half-finished install and is redone.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";

/** The code-server release the tests drive (VS Code 1.100.3; runs on Node 20). */
export const CODE_SERVER_VERSION = "4.100.3";

/** The marker's name, written once the install is complete. */
const MARKER = ".corolint-e2e-complete";

/**
 * The cache folder: `COROLINT_E2E_CACHE`, else `corolint-e2e-cache-<uid>` in the system temp folder
 * (one per user: another user's install is not writable).
 */
export function e2eCacheDir(): string {
  return process.env["COROLINT_E2E_CACHE"] || join(tmpdir(), `corolint-e2e-cache-${process.getuid?.() ?? "user"}`);
}

/** A code-server ready to run. */
export interface CodeServerInstall {
  /** Its entry script, run with this Node: `node <entry> [options]`. */
  entry: string;
  /** The folder it is installed in (`<cache>/code-server-<version>`). */
  dir: string;
  /** Whether this call installed it (false: the cache was complete). */
  installedNow: boolean;
  /** How long this call took, in seconds. */
  seconds: number;
}

/** Where the executable `name` is on PATH, or null. */
export function findOnPath(name: string): string | null {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir !== "" && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/**
 * What the install needs from the system and does not download itself, as apt package names;
 * empty when all is there.
 */
export function missingSystemPackages(): string[] {
  const missing: string[] = [];
  if (findOnPath("rg") === null) missing.push("ripgrep");
  if (!existsSync("/usr/include/gssapi/gssapi.h")) missing.push("libkrb5-dev");
  if (findOnPath("make") === null || findOnPath("g++") === null) missing.push("build-essential");
  if (findOnPath("python3") === null) missing.push("python3");
  return missing;
}

/**
 * Returns the cached code-server, installing it first when the cache has no complete install.
 * `log` receives one line per step (the install takes one to three minutes).
 */
export async function ensureCodeServer(log: (line: string) => void = () => {}): Promise<CodeServerInstall> {
  const started = Date.now();
  const cache = e2eCacheDir();
  const dir = join(cache, `code-server-${CODE_SERVER_VERSION}`);
  const pkg = join(dir, "node_modules", "code-server");
  const entry = join(pkg, "out", "node", "entry.js");
  const expected = markerText();
  const marker = join(dir, MARKER);
  if (existsSync(marker) && readFileSync(marker, "utf8") === expected && existsSync(entry)) {
    return { entry, dir, installedNow: false, seconds: (Date.now() - started) / 1000 };
  }

  const missing = missingSystemPackages();
  if (missing.length > 0) {
    throw new Error(`the code-server install needs: apt-get install -y ${missing.join(" ")} (.ci/run installs them)`);
  }
  mkdirSync(cache, { recursive: true });
  const unlock = await lock(join(cache, `code-server-${CODE_SERVER_VERSION}.lock`), log);
  try {
    // Another run may have installed it while this one waited for the lock.
    if (existsSync(marker) && readFileSync(marker, "utf8") === expected && existsSync(entry)) {
      return { entry, dir, installedNow: false, seconds: (Date.now() - started) / 1000 };
    }
    await install(dir, pkg, cache, log);
    if (!existsSync(entry)) throw new Error(`code-server installed, but ${entry} is missing`);
    writeFileSync(marker, expected);
  } finally {
    unlock();
  }
  const seconds = (Date.now() - started) / 1000;
  log(`code-server ${CODE_SERVER_VERSION} installed in ${seconds.toFixed(0)} s`);
  return { entry, dir, installedNow: true, seconds };
}

/** The install itself, into an emptied `dir`. */
async function install(dir: string, pkg: string, cache: string, log: (line: string) => void): Promise<void> {
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (no complete install there)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "corolint-e2e-code-server", private: true }, null, 2));
  const env = installEnv(cache);

  await step(log, "npm install code-server (no scripts)", dir, env, "npm", [
    "install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock", `code-server@${CODE_SERVER_VERSION}`,
  ]);
  // argon2's install script downloads a prebuilt binary from GitHub and falls back to a source build.
  await step(log, "npm rebuild argon2", dir, env, "npm", ["rebuild", "argon2"]);

  const vscodeDir = join(pkg, "lib", "vscode");
  await step(log, "npm install lib/vscode (no scripts)", vscodeDir, env, "npm", ["install", "--no-audit", "--no-fund", "--omit=dev", "--ignore-scripts"]);
  // @vscode/ripgrep's postinstall downloads rg from GitHub unless its bin/ folder exists.
  const rgBin = join(vscodeDir, "node_modules", "@vscode", "ripgrep", "bin");
  mkdirSync(rgBin, { recursive: true });
  rmSync(join(rgBin, "rg"), { force: true });
  symlinkSync(findOnPath("rg")!, join(rgBin, "rg"));
  await step(log, "npm rebuild lib/vscode (native modules)", vscodeDir, env, "npm", ["rebuild"]);
  await step(log, "code-server postinstall.sh", pkg, env, "sh", ["./postinstall.sh"]);
}

/**
 * Takes the install lock (a folder holding the owner's pid): two runs on a cold cache would otherwise
 * install into the same folder at once. A lock whose owner is gone is taken over. Returns the release.
 */
async function lock(path: string, log: (line: string) => void): Promise<() => void> {
  const deadline = Date.now() + 10 * 60_000;
  let told = false;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, "pid"), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(path, "pid"), "utf8"));
    } catch {
      // just made, pid not written yet
    }
    // An owner that is gone, or a lock that never got its pid (a run killed right after taking it).
    const stale = Number.isInteger(owner) ? !isAlive(owner) : Date.now() - mtimeMs(path) > 10_000;
    if (stale) {
      rmSync(path, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another run (pid ${owner}) has been installing code-server for 10 minutes: ${path}`);
    if (!told) log(`waiting for another run (pid ${owner}) to finish installing code-server`);
    told = true;
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** What a complete install was made with: another Node major means native modules must be rebuilt. */
function markerText(): string {
  return `code-server ${CODE_SERVER_VERSION}\nnode ${process.versions.modules}\n`;
}

/**
 * The environment of the install's npm and node-gyp: their caches in the cache folder (nothing in
 * the home folder), Node's own headers when this Node ships them (node-gyp would otherwise download
 * them), and what code-server's postinstall.sh asks for.
 */
function installEnv(cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_cache: join(cache, "npm-cache"),
    npm_config_devdir: join(cache, "node-gyp"),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    // postinstall.sh runs `npm install`, which would otherwise ask before running npx-style steps.
    npm_config_yes: "true",
    // postinstall.sh refuses to run as root without it.
    npm_config_unsafe_perm: "true",
    XDG_CACHE_HOME: join(cache, "xdg-cache"),
    XDG_CONFIG_HOME: join(cache, "xdg-config"),
    XDG_DATA_HOME: join(cache, "xdg-data"),
  };
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, "include", "node", "node_api.h"))) env["npm_config_nodedir"] = prefix;
  // The scripts of `npm install` see this; postinstall.sh reads the package manager and Node major from it.
  delete env["npm_config_user_agent"];
  return env;
}

/** Runs one install command, logging its name and time; its output is kept and shown only on failure. */
async function step(log: (line: string) => void, name: string, cwd: string, env: NodeJS.ProcessEnv, command: string, args: string[]): Promise<void> {
  const started = Date.now();
  const stepEnv = command === "sh" ? { ...env, npm_config_user_agent: await npmUserAgent(env) } : env;
  const { code, output } = await runProcess(command, args, cwd, stepEnv);
  if (code !== 0) {
    throw new Error(`code-server install: \`${command} ${args.join(" ")}\` (in ${cwd}) failed with exit code ${code}:\n${output.slice(-6000)}`);
  }
  log(`  ${name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** `npm/<version> node/<version> linux x64`, as npm sets it for install scripts. */
async function npmUserAgent(env: NodeJS.ProcessEnv): Promise<string> {
  const { output } = await runProcess("npm", ["--version"], tmpdir(), env);
  return `npm/${output.trim().split("\n").pop()} node/${process.version} ${process.platform} ${process.arch}`;
}

/** Runs a command to its end; its output (stdout and stderr together) is returned, not printed. */
export function runProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, output }));
  });
}
