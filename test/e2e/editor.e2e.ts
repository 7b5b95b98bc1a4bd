/**
 * The packaged extension in a real VS Code: `npm run package` makes the `.vsix`, code-server installs
 * it into a fresh user-data and extensions folder and opens a copy of `examples/`, and Chromium shows
 * what a user sees. The steps run in order in that one session:
 *
 * 1. a Python file and a TypeScript file with a blocking call get the squiggle and a Problems row
 *    with corolint's message and rule id (the messages are the CLI's, from the same `.vsix`);
 * 2. Ctrl+. on `time.sleep` offers the rule's fix; applied, the line reads `await asyncio.sleep(...)`
 *    and the row goes;
 * 3. "Ignore blocking-call on this line" adds the suppression comment and the row goes;
 * 4. `corolint.rules` (typed into the workspace settings) and a pyproject `[tool.corolint]` table each
 *    turn a rule off: its row goes, and comes back when the setting is removed;
 * 5. "corolint: Trace This File" on the asyncio demo opens the schedule panel with the lanes and the
 *    red block, and a `loop-blocked` row appears at the blocking line;
 * 6. the status bar item shows the server running; killed until the client gives up, it shows the
 *    failure; "corolint: Restart Server" brings a new server that lints again.
 *
 * Each step leaves a screenshot in test-artifacts/e2e/; a failing one also the page's HTML (and the
 * webview's). Run with `npm run test:e2e` (vitest.e2e.config.ts); `npm test` does not pick it up.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureCodeServer } from "./code-server-install";
import { ARTIFACTS, CHROMIUM, sessionProcesses, startSession, type Session } from "./session";
import { STATUS_ITEM, waitFor, Workbench, type ProblemRow } from "./workbench";

/** A finding as `corolint check --format json` prints it. */
interface CliFinding {
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
}

/** The files the steps open, relative to the workspace (a copy of examples/). */
const HANDLERS = "aiohttp_app/handlers.py";
const ORDERS = "node_service/orders.ts";
const TRACE_DEMO = "trace_demo/app.py";
const TORNADO = "tornado_handler.py";

/** What code-server, VS Code and Chromium would write in a home folder; none may change during the run. */
/**
 * What code-server writes in a home folder unless told otherwise (checked unchanged after the run).
 * Chromium's folders are not checked here: the viewer's browser tests may run Chromium with the real
 * home folder at the same time; the session gives Chromium a scratch HOME like everything else.
 */
const HOME_PATHS = [".config/code-server", ".local/share/code-server", ".cache/code-server", ".vscode-server", ".vscode-oss"];

function log(line: string): void {
  console.log(`[e2e] ${line}`);
}

describe("the .vsix in a real VS Code (code-server + Chromium)", () => {
  let session: Session | undefined;
  let bench: Workbench;
  let findings: CliFinding[] = [];
  let stepNumber = 0;
  const homeBefore = new Map<string, number | null>();

  /** The CLI's finding of `rule` in `file` whose message starts with `start`. */
  function finding(file: string, rule: string, start: string): CliFinding {
    const found = findings.find((entry) => entry.file === file && entry.rule === rule && entry.message.startsWith(start));
    if (found === undefined) throw new Error(`corolint check reports no ${rule} "${start}..." in ${file}: ${JSON.stringify(findings, null, 1)}`);
    return found;
  }

  /** Line `line` (1-based) of a workspace file as saved. */
  function lineOnDisk(file: string, line: number): string | undefined {
    return readFileSync(join(session!.workspace, file), "utf8").split("\n")[line - 1];
  }

  /** Whether a Problems row is corolint's row for this finding. */
  const rowOf =
    (expected: CliFinding) =>
    (row: ProblemRow): boolean =>
      row.source === "corolint" && row.code === expected.rule && row.line === expected.line && row.column === expected.column && row.message === expected.message;

  /**
   * Runs one step: a screenshot `NN-name.png` when it passes; when it fails, `NN-name.failed.png`, the
   * page's HTML and each frame's (the webview) beside it.
   */
  async function step(name: string, body: (ui: Workbench) => Promise<void>): Promise<void> {
    const prefix = join(ARTIFACTS, `${String(++stepNumber).padStart(2, "0")}-${name}`);
    if (session === undefined) throw new Error("no editor session (the setup failed; see above)");
    try {
      await body(bench);
      await bench.page.screenshot({ path: `${prefix}.png` });
    } catch (error) {
      await saveFailure(prefix);
      throw error;
    }
  }

  async function saveFailure(prefix: string): Promise<void> {
    const page = bench.page;
    await page.screenshot({ path: `${prefix}.failed.png` }).catch(() => {});
    try {
      writeFileSync(`${prefix}.failed.html`, await page.content());
      let index = 0;
      for (const frame of page.frames()) {
        if (frame === page.mainFrame()) continue;
        index++;
        const html = await frame.content().catch(() => "");
        if (html !== "") writeFileSync(`${prefix}.failed.frame-${index}.html`, `<!-- ${frame.url()} -->\n${html}`);
      }
    } catch {
      // the page may be gone; the screenshot is what there is
    }
  }

  /** An intermediate screenshot of the current step. */
  async function snapshot(name: string): Promise<void> {
    await bench.page.screenshot({ path: join(ARTIFACTS, `${String(stepNumber).padStart(2, "0")}-${name}.png`) });
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set COROLINT_E2E_CHROMIUM`);
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const path of HOME_PATHS) homeBefore.set(path, mtime(join(homedir(), path)));
    const install = await ensureCodeServer(log);
    log(install.installedNow ? `code-server installed in ${install.seconds.toFixed(0)} s` : `code-server from the cache (${install.dir})`);
    const started = Date.now();
    session = await startSession({ install, log });
    bench = new Workbench(session.page);
    log(`session ready in ${((Date.now() - started) / 1000).toFixed(0)} s; Trace This File runs ${session.python}`);

    // The oracle: the CLI of the installed .vsix on the same files. The editor must say the same.
    const extension = readdirSync(session.extensionsDir).find((name) => name.startsWith("corolint.corolint-"))!;
    const cli = join(session.extensionsDir, extension, "dist", "cli.cjs");
    const checked = spawnSync(process.execPath, [cli, "check", "--format", "json", "--exit-zero", HANDLERS, ORDERS, TRACE_DEMO, TORNADO], {
      cwd: session.workspace,
      encoding: "utf8",
    });
    if (checked.status !== 0) throw new Error(`corolint check failed (${checked.status}):\n${checked.stdout}${checked.stderr}`);
    findings = (JSON.parse(checked.stdout) as { findings: CliFinding[] }).findings;
  });

  afterAll(async () => {
    if (session === undefined) return;
    const { scratch } = session;
    const outlived = await session.stop();
    expect(outlived, "processes of the session that outlived the process-group kills").toEqual([]);
    expect(sessionProcesses(scratch), "processes of the session still running").toEqual([]);
    for (const path of HOME_PATHS) expect(mtime(join(homedir(), path)), `~/${path} was written`).toBe(homeBefore.get(path));
  });

  it("1. a Python file and a TypeScript file with a blocking call: squiggle and Problems row", async () => {
    await step("python-and-typescript-diagnostics", async (ui) => {
      const sleep = finding(HANDLERS, "blocking-call", "`time.sleep()`");
      await ui.openFile(HANDLERS);
      await ui.goTo(sleep.line, sleep.column);
      await waitFor(`a squiggle on ${HANDLERS}:${sleep.line}`, async () => (await ui.squiggleLines("error")).includes(sleep.line));
      const row = await ui.waitForProblem(`${HANDLERS}:${sleep.line} ${sleep.rule}`, rowOf(sleep));
      expect(row.label).toMatch(/^Error: /);
      await snapshot("python");

      // One file at a time, so that the Problems panel (a virtual list) shows all its rows.
      await ui.runCommand("View: Close All Editors");
      const readFile = finding(ORDERS, "blocking-call", "`fs.readFileSync()`");
      await ui.openFile(ORDERS);
      await ui.goTo(readFile.line, readFile.column);
      await waitFor(`a squiggle on ${ORDERS}:${readFile.line}`, async () => (await ui.squiggleLines("error")).includes(readFile.line));
      await ui.waitForProblem(`${ORDERS}:${readFile.line} ${readFile.rule}`, rowOf(readFile));
    });
  });

  it("2. the quick fix for time.sleep makes it `await asyncio.sleep(...)`; the row goes", async () => {
    await step("quick-fix-time-sleep", async (ui) => {
      await ui.runCommand("View: Close All Editors");
      const sleep = finding(HANDLERS, "blocking-call", "`time.sleep()`");
      const requestsGet = finding(HANDLERS, "blocking-call", "`requests.get()`");
      await ui.openFile(HANDLERS);
      await ui.waitForProblem("the time.sleep row", rowOf(sleep));
      const offered = await ui.applyQuickFix(sleep.line, sleep.column, "await asyncio.sleep");
      expect(offered).toContain("Ignore blocking-call on this line");
      await waitFor(`line ${sleep.line} to read \`await asyncio.sleep(...)\``, async () => (await ui.lineText(sleep.line))?.trim() === "await asyncio.sleep(2**attempt)");
      await ui.waitForNoProblem("the time.sleep row", (row) => row.code === "blocking-call" && row.line === sleep.line);
      // Only that row: the other blocking calls of the file are still reported.
      await ui.waitForProblem("the requests.get row", rowOf(requestsGet));
      await ui.save();
      await waitFor(`the fixed line ${sleep.line} in ${HANDLERS} on disk`, async () => lineOnDisk(HANDLERS, sleep.line) === "            await asyncio.sleep(2**attempt)");
    });
  });

  it('3. "Ignore blocking-call on this line" inserts the suppression comment; the row goes', async () => {
    await step("ignore-on-this-line", async (ui) => {
      const requestsGet = finding(HANDLERS, "blocking-call", "`requests.get()`");
      const open = finding(HANDLERS, "blocking-call", "`open()`");
      await ui.openFile(HANDLERS);
      await ui.applyQuickFix(requestsGet.line, requestsGet.column, "Ignore blocking-call on this line");
      await waitFor(`the suppression comment on line ${requestsGet.line}`, async () =>
        (await ui.lineText(requestsGet.line))?.trimEnd().endsWith("  # corolint: ignore[blocking-call]"),
      );
      await ui.waitForNoProblem("the requests.get row", (row) => row.code === "blocking-call" && row.line === requestsGet.line);
      await ui.waitForProblem("the open() row", rowOf(open));
      await ui.save();
      await waitFor(`the suppression comment in ${HANDLERS} on disk`, async () =>
        /requests\.get\(.*\)  # corolint: ignore\[blocking-call\]$/.test(lineOnDisk(HANDLERS, requestsGet.line) ?? ""),
      );
    });
  });

  it("4. `corolint.rules` and pyproject [tool.corolint] turn a rule off: its rows go (and come back)", async () => {
    await step("rules-setting-and-pyproject", async (ui) => {
      const dangling = finding(HANDLERS, "dangling-task", "");
      const unawaited = finding(HANDLERS, "unawaited-coroutine", "");
      const open = finding(HANDLERS, "blocking-call", "`open()`");
      await ui.openFile(HANDLERS);
      await ui.waitForProblem("the dangling-task row", rowOf(dangling));

      // The setting, typed into the workspace settings as a user would.
      await ui.runCommand("Preferences: Open Workspace Settings (JSON)");
      await waitFor("the settings.json editor", () => ui.isActiveFile(".vscode/settings.json"));
      await writeSettings(ui, { "corolint.rules": { "dangling-task": "off" } });
      await ui.waitForNoProblem("the dangling-task row", (row) => row.code === "dangling-task");
      await ui.waitForProblem("the open() row", rowOf(open));
      await snapshot("setting-off");

      // The project's configuration, written by another tool: the server watches pyproject.toml.
      const pyproject = join(session!.workspace, "pyproject.toml");
      writeFileSync(pyproject, '[tool.corolint]\nseverity = { "unawaited-coroutine" = "off" }\n');
      await ui.waitForNoProblem("the unawaited-coroutine row", (row) => row.code === "unawaited-coroutine");
      await ui.waitForProblem("the open() row", rowOf(open));
      await snapshot("pyproject-off");

      // Both undone: the rows come back, so it was the configuration that removed them.
      await writeSettings(ui, {});
      rmSync(pyproject);
      await ui.waitForProblem("the dangling-task row back", rowOf(dangling));
      await ui.waitForProblem("the unawaited-coroutine row back", rowOf(unawaited));
    });
  });

  it('5. "corolint: Trace This File" draws the lanes and the red block; `loop-blocked` at the blocking line', async () => {
    await step("trace-this-file", async (ui) => {
      const blocking = finding(TRACE_DEMO, "blocking-call", "`time.sleep()`");
      await ui.runCommand("View: Close All Editors");
      await ui.openFile(TRACE_DEMO);
      await ui.waitForProblem("the time.sleep row of the demo", rowOf(blocking));
      await ui.runCommand("corolint: Trace This File");

      const view = ui.webview();
      await view.locator("#timeline svg").waitFor({ timeout: 90_000 });
      const lanes = await view.locator(".lane-label .name").allInnerTexts();
      expect(lanes[0]).toBe("event loop");
      expect(lanes.filter((lane) => /^Task-\d+$/.test(lane)).length).toBeGreaterThanOrEqual(3);
      const block = view.locator("rect.bar.blocked", { has: view.locator("title", { hasText: `${TRACE_DEMO}:${blocking.line} render_report` }) });
      await block.first().waitFor({ timeout: 30_000 });
      const fill = await block.first().evaluate((bar) => (globalThis as unknown as { getComputedStyle(element: unknown): { fill: string } }).getComputedStyle(bar).fill);
      const [red, green, blue] = (fill.match(/\d+/g) ?? []).map(Number);
      expect({ fill, red: red! > 150 && green! < 100 && blue! < 100 }).toEqual({ fill, red: true });
      await waitFor('the "corolint: Schedule" tab', async () => (await ui.page.locator('.tab[aria-label^="corolint: Schedule"]').count()) === 1);

      const loopBlocked = await ui.waitForProblem(`loop-blocked at ${TRACE_DEMO}:${blocking.line}`, (row) => row.source === "corolint" && row.code === "loop-blocked" && row.line === blocking.line);
      expect(loopBlocked.message).toMatch(/^blocked the event loop for \d+(\.\d)? ms at run time in render_report$/);
      expect(loopBlocked.label).toMatch(/^Warning: /);
      // In the editor (the panel opened beside it without taking the focus): a warning squiggle on that line.
      await waitFor(`a warning squiggle on ${TRACE_DEMO}:${blocking.line}`, async () =>
        (await ui.isActiveFile(TRACE_DEMO)) && (await ui.squiggleLines("warning")).includes(blocking.line),
      );
      // The rule's finding on that line says the trace confirmed it.
      await ui.waitForProblem("the confirmed blocking-call", (row) => row.code === "blocking-call" && row.line === blocking.line && row.message.includes("confirmed at run time"));
    });
  });

  it('6. the status bar shows the server state; "corolint: Restart Server" brings a killed server back', async () => {
    await step("status-and-restart", async (ui) => {
      const tornado = findings.filter((entry) => entry.file === TORNADO);
      expect(tornado.length).toBeGreaterThan(0);
      await ui.waitForStatus("running");
      const extensions = session!.extensionsDir;
      const first = serverPids(session!.scratch, extensions);
      expect(first.length).toBe(1);

      // vscode-languageclient restarts a crashed server by itself, four times in three minutes, and
      // says so when it gives up after the fifth crash; then the item must show the failure.
      const gaveUp = ui.page.locator(".notification-toast", { hasText: "will not be restarted" });
      const killed: number[] = [];
      await waitFor("the client to give up on the killed server", async () => {
        const pids = serverPids(session!.scratch, extensions);
        if (pids.length === 0) return (await gaveUp.count()) > 0;
        if (killed.includes(pids[0]!) || (await ui.statusState()) !== "running") return false; // not back yet
        killed.push(pids[0]!);
        process.kill(pids[0]!, "SIGKILL");
        return false;
      }, 120_000);
      await ui.waitForStatus("error");
      log(`killed the server ${killed.length} times (pids ${killed.join(", ")})`);
      const item = ui.page.locator(STATUS_ITEM);
      expect(await item.getAttribute("class")).toMatch(/\berror-kind\b/);
      expect(await item.getAttribute("aria-label")).toContain("the language server failed");
      // The client drops a dead server's diagnostics: the rows that come back below are the new server's.
      await ui.waitForNoProblem("corolint rows while the server is dead", (row) => row.source === "corolint");
      await snapshot("server-dead");

      await ui.runCommand("corolint: Restart Server");
      await ui.waitForStatus("running");
      const restarted = serverPids(session!.scratch, extensions);
      expect(restarted.length).toBe(1);
      expect(killed).not.toContain(restarted[0]);
      // The new server lints: a file never opened before gets its rows...
      await ui.openFile(TORNADO);
      for (const expected of tornado) await ui.waitForProblem(`${TORNADO}:${expected.line} ${expected.rule}`, rowOf(expected));
      // ...and it was handed the last trace's blocks again.
      await ui.waitForProblem(`loop-blocked at ${TRACE_DEMO} after the restart`, (row) => row.code === "loop-blocked");
    });
  });
});

/** Replaces the whole text of the active settings.json editor with `settings` and saves it. */
async function writeSettings(ui: Workbench, settings: object): Promise<void> {
  await ui.editor.locator(".view-lines").click();
  await ui.page.keyboard.press("Control+A");
  await ui.page.keyboard.insertText(`${JSON.stringify(settings, null, 2)}\n`);
  await ui.save();
}

/** The pids of the session's corolint language servers (`<extensions>/corolint.corolint-*\/dist/server.cjs`). */
function serverPids(scratch: string, extensionsDir: string): number[] {
  return sessionProcesses(scratch)
    .filter(({ command }) => command.includes(`${extensionsDir}/corolint.corolint-`) && command.includes("/dist/server.cjs"))
    .map(({ pid }) => pid);
}

function mtime(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}
