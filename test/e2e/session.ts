/**
 * One end-to-end session: the packaged `.vsix` installed into a fresh code-server, which serves a copy
 * of `examples/` to Debian's Chromium (playwright-core launches it; it downloads no browser).
 *
 * Everything the session writes is in one scratch folder (removed at the end): the workspace copy, the
 * code-server config, user data and extensions, Chromium's profile, and `HOME` and `XDG_*` for every
 * process started here, so nothing lands in the real home folder. code-server runs in its own process
 * group (`detached`, i.e. setsid) and is stopped by killing that group; whatever escaped the group
 * (a terminal's shell runs in a session of its own) is found by an environment variable naming the
 * scratch folder and killed too.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { findOnPath, runProcess, type CodeServerInstall } from "./code-server-install";

/** The repository root. */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Where the steps' screenshots and pages go (ignored by git). */
export const ARTIFACTS = join(REPO_ROOT, "test-artifacts", "e2e");

/** Debian's Chromium, or `COROLINT_E2E_CHROMIUM`. */
export const CHROMIUM = process.env["COROLINT_E2E_CHROMIUM"] || "/usr/bin/chromium";

/** The environment variable that marks every process of a session (its value: the scratch folder). */
const SESSION_VARIABLE = "COROLINT_E2E_SESSION";

/** Chromium's flags for a shared, offline machine (as in the recipe). */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** A running session. */
export interface Session {
  page: Page;
  context: BrowserContext;
  /** The workspace folder code-server opened: a copy of `examples/`. */
  workspace: string;
  /** The scratch folder holding everything the session writes. */
  scratch: string;
  /** The extensions folder the `.vsix` was installed into. */
  extensionsDir: string;
  /** VS Code's user-data folder (its logs are copied to the artifacts at the end). */
  userDataDir: string;
  /** The interpreter "Trace This File" runs Python with (`corolint.trace.pythonPath`). */
  python: string;
  /** The code-server process (the leader of its process group). */
  codeServerPid: number;
  /**
   * Closes Chromium, kills its process group and code-server's, kills what outlived them (returned, as
   * "pid command"), removes the scratch folder.
   */
  stop(): Promise<string[]>;
}

/** A Python 3 that exists here: `COROLINT_E2E_PYTHON`, else Debian's `/usr/bin/python3`, else `python3` on PATH. */
export function pickPython(): string {
  const candidates = [process.env["COROLINT_E2E_PYTHON"], "/usr/bin/python3", findOnPath("python3")];
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ["-c", "import asyncio, sys; assert sys.version_info >= (3, 8)"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  throw new Error("no Python 3.8+ found for Trace This File (set COROLINT_E2E_PYTHON, or apt-get install python3)");
}

/**
 * Packs the extension as a user would (`npm run package`, which builds `dist/` first), into `out`.
 * Retried once: another `npm run build` running at the same time can leave `dist/` half-written.
 */
export async function packageVsix(out: string, npmCache: string, log: (line: string) => void): Promise<void> {
  const env = { ...process.env, npm_config_cache: npmCache, npm_config_update_notifier: "false" };
  let last = "";
  for (let attempt = 1; attempt <= 2; attempt++) {
    const started = Date.now();
    rmSync(out, { force: true });
    const { code, output } = await runProcess("npm", ["run", "package", "--", "--out", out], REPO_ROOT, env);
    if (code === 0 && existsSync(out)) {
      log(`packaged ${basename(out)} (npm run package) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      return;
    }
    last = output;
    log(`npm run package failed (attempt ${attempt}), exit code ${code}`);
  }
  throw new Error(`npm run package failed twice:\n${last.slice(-4000)}`);
}

/** Options of `startSession`. */
export interface SessionOptions {
  install: CodeServerInstall;
  log: (line: string) => void;
}

/**
 * Packs and installs the extension into a fresh code-server, starts it on a free port, opens a copy
 * of `examples/` in Chromium and waits for the workbench. On failure everything started is stopped.
 */
export async function startSession({ install, log }: SessionOptions): Promise<Session> {
  const scratch = mkdtempSync(join(tmpdir(), "corolint-e2e-run-"));
  const dirs = {
    home: join(scratch, "home"),
    config: join(scratch, "xdg", "config"),
    data: join(scratch, "xdg", "data"),
    cache: join(scratch, "xdg", "cache"),
    state: join(scratch, "xdg", "state"),
    userData: join(scratch, "user-data"),
    extensions: join(scratch, "extensions"),
    profile: join(scratch, "chromium-profile"),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const workspace = join(scratch, "examples");
  cpSync(join(REPO_ROOT, "examples"), workspace, { recursive: true, filter: (source) => !/(^|\/)(__pycache__|\.pytest_cache)$/.test(source) });
  const env = sessionEnv(scratch, dirs);
  const python = pickPython();

  let codeServer: ChildProcess | undefined;
  let context: BrowserContext | undefined;
  let browserGroup: number | undefined;
  const stop = async (): Promise<string[]> => {
    // Chromium: closed through playwright (15 s at most), then its process group killed, which playwright
    // made with setsid like ours, in case the close left anything behind.
    if (context !== undefined) await Promise.race([context.close().catch(() => {}), new Promise((resolveWait) => setTimeout(resolveWait, 15_000))]);
    if (browserGroup !== undefined) await killProcessGroup(browserGroup);
    if (codeServer?.pid !== undefined) await killProcessGroup(codeServer.pid);
    const swept = await sweepStragglers(scratch);
    if (swept.length > 0) log(`stopped ${swept.length} process(es) left outside the process groups of code-server and Chromium: ${swept.join(", ")}`);
    copyLogs(dirs.userData, join(scratch, "code-server.log"));
    if (process.env["COROLINT_E2E_KEEP"] === "1") log(`kept the scratch folder ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
    return swept;
  };

  try {
    const vsix = join(scratch, "corolint.vsix");
    await packageVsix(vsix, join(scratch, "npm-cache"), log);

    const port = await freePort();
    const configFile = join(scratch, "code-server.yaml");
    writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
    const common = ["--config", configFile, "--user-data-dir", dirs.userData, "--extensions-dir", dirs.extensions];
    const installed = await runProcess(process.execPath, [install.entry, ...common, "--install-extension", vsix], scratch, env);
    if (installed.code !== 0 || !readdirSync(dirs.extensions).some((name) => name.startsWith("corolint.corolint-"))) {
      throw new Error(`code-server --install-extension failed (${installed.code}):\n${installed.output}`);
    }
    log(`installed the .vsix into ${dirs.extensions}`);
    writeUserSettings(dirs.userData, python);

    const logFd = openSync(join(scratch, "code-server.log"), "a");
    const args = [
      install.entry, ...common,
      "--bind-addr", `127.0.0.1:${port}`, "--auth", "none",
      "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override",
      "--locale", "en",
      workspace,
    ];
    // detached: setsid, so the whole tree (extension host, language server, file watcher) is one group.
    codeServer = spawn(process.execPath, args, { cwd: scratch, env, detached: true, stdio: ["ignore", logFd, logFd] });
    closeSync(logFd);
    const pid = codeServer.pid;
    if (pid === undefined) throw new Error("code-server did not start");
    let exited: string | null = null;
    codeServer.on("exit", (code, signal) => (exited = `code-server exited (${signal ?? code})`));
    await waitForHealth(port, () => exited, join(scratch, "code-server.log"));
    log(`code-server ${port} is up (pid ${pid})`);

    context = await chromium.launchPersistentContext(dirs.profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      env: env as Record<string, string>,
      viewport: { width: 1600, height: 1100 },
    });
    browserGroup = sessionProcesses(scratch).find((entry) => entry.parent === process.pid && entry.group === entry.pid)?.pid;
    if (browserGroup === undefined) throw new Error("Chromium started, but its process (a child of this one, leading its own group) is not found");
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`, { timeout: 60_000 });
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    return { page, context, workspace, scratch, extensionsDir: dirs.extensions, userDataDir: dirs.userData, python, codeServerPid: pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The environment of code-server and Chromium: scratch HOME and XDG folders, the session marker, no VS Code variables. */
function sessionEnv(scratch: string, dirs: { home: string; config: string; data: string; cache: string; state: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Run from a VS Code terminal, VSCODE_IPC_HOOK_CLI and friends would send commands to that editor.
    if (/^(VSCODE_|ELECTRON_)/.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_STATE_HOME: dirs.state,
    [SESSION_VARIABLE]: scratch,
  };
}

/** User settings: no trust prompt, no welcome page, no network, no typing aids that would mangle typed text. */
function writeUserSettings(userDataDir: string, python: string): void {
  const settings = {
    "security.workspace.trust.enabled": false,
    "workbench.startupEditor": "none",
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "workbench.editor.enablePreview": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoUpdate": false,
    "extensions.autoCheckUpdates": false,
    "extensions.ignoreRecommendations": true,
    "git.enabled": false,
    "npm.autoDetect": "off",
    "task.autoDetect": "off",
    "terminal.integrated.enablePersistentSessions": false,
    // The built-in TypeScript checker would add its own rows (the examples have no node_modules).
    "typescript.validate.enable": false,
    "javascript.validate.enable": false,
    "typescript.disableAutomaticTypeAcquisition": true,
    // Text typed by the test goes in as typed.
    "editor.autoClosingBrackets": "never",
    "editor.autoClosingQuotes": "never",
    "editor.autoSurround": "never",
    "editor.autoIndent": "none",
    "editor.formatOnType": false,
    "editor.quickSuggestions": { other: "off", comments: "off", strings: "off" },
    "editor.suggestOnTriggerCharacters": false,
    "editor.acceptSuggestionOnEnter": "off",
    "editor.parameterHints.enabled": false,
    "editor.hover.enabled": false,
    "editor.minimap.enabled": false,
    "chat.commandCenter.enabled": false,
    "corolint.trace.pythonPath": python,
  };
  mkdirSync(join(userDataDir, "User"), { recursive: true });
  writeFileSync(join(userDataDir, "User", "settings.json"), JSON.stringify(settings, null, 2));
}

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls `/healthz` until code-server answers (60 s), failing early when it exited. */
async function waitForHealth(port: number, exited: () => string | null, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone !== null) throw new Error(`${gone} before it answered:\n${readTail(logFile)}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  throw new Error(`code-server did not answer /healthz within 60 s:\n${readTail(logFile)}`);
}

function readTail(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-4000);
  } catch {
    return "(no log)";
  }
}

/** SIGTERM to the group, then SIGKILL to whatever is left after 10 s; resolves when the group is empty. */
export async function killProcessGroup(pgid: number): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(-pgid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (alive() && Date.now() < deadline) await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  if (alive()) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
    while (alive()) await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** A process of the session. */
export interface SessionProcess {
  pid: number;
  /** Its parent's pid. */
  parent: number;
  /** Its process group. */
  group: number;
  command: string;
}

/** The processes carrying this session's marker in their environment (read from /proc). */
export function sessionProcesses(scratch: string): SessionProcess[] {
  const needle = `${SESSION_VARIABLE}=${scratch}\0`;
  const found: SessionProcess[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, "latin1").includes(needle)) continue;
      const command = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [, parent, group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      found.push({ pid: Number(name), parent: Number(parent), group: Number(group), command });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Kills (SIGKILL) the session's processes that outlived their group; returns what it found. */
async function sweepStragglers(scratch: string): Promise<string[]> {
  const left = sessionProcesses(scratch).filter((entry) => entry.command !== "");
  for (const { pid } of left) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  return left.map(({ pid, command }) => `${pid} ${command.slice(0, 120)}`);
}

/** Keeps code-server's log and VS Code's logs (the extension host's, corolint's output channel) with the artifacts. */
function copyLogs(userDataDir: string, codeServerLog: string): void {
  try {
    const target = join(ARTIFACTS, "logs");
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    if (existsSync(codeServerLog)) cpSync(codeServerLog, join(target, "code-server.log"));
    if (existsSync(join(userDataDir, "logs"))) cpSync(join(userDataDir, "logs"), join(target, "vscode"), { recursive: true });
  } catch {
    // logs are a help, not a result
  }
}
