/**
 * `corolint view`: a real program traced by `corolint trace`, its page written by `corolint view`,
 * then opened from disk in a real Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * the lane, the one red span with its line and stack, the top-blockers table, zoom, and no network;
 * then made-up traces for the lane filter, a step's details, a trace of two processes with the same
 * tids, hostile names, and a 500,000-event trace. `--open` runs a stand-in opener put first on PATH.
 * Without Chromium the browser tests are skipped (saying why); .ci/run installs it. A failing browser
 * test leaves a screenshot in test-artifacts/.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openerCommand } from "../../cli/view-command";
import { makeProject, REPO_ROOT, runCli } from "../cli/helpers";

const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.warn(`viewer browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`);
}
const ARTIFACTS = join(REPO_ROOT, "test-artifacts");

const APP = [
  "function spin(ms) {",
  "  const end = Date.now() + ms;",
  "  while (Date.now() < end) {}",
  "}",
  "async function handler() {",
  "  await new Promise((resolve) => setTimeout(resolve, 10));",
  "  spin(200);",
  "}",
  "await handler();",
  "",
].join("\n");

/** A trace with no blocked span, as the Node tracer writes it for a program that never blocks. */
function emptyTrace(): string {
  return JSON.stringify({
    traceEvents: [
      { ph: "M", name: "process_name", pid: 7, tid: 7, ts: 0, args: { name: "node quiet.mjs" } },
      { ph: "M", name: "thread_name", pid: 7, tid: 7, ts: 0, args: { name: "event loop" } },
      { ph: "M", name: "thread_sort_index", pid: 7, tid: 7, ts: 0, args: { sort_index: 0 } },
    ],
    displayTimeUnit: "ms",
    otherData: { corolint: { formatVersion: 1, runtime: "node v20", mode: "light", thresholdMs: 50, durationMs: 40, blocked: 0, topBlockers: [], dropped: 0 } },
  });
}

/** Two lanes given in reverse sort order, one task span, one spawn flow between them. */
function flowTrace(): string {
  return JSON.stringify({
    traceEvents: [
      { ph: "M", name: "thread_name", pid: 1, tid: 2, args: { name: "task worker" } },
      { ph: "M", name: "thread_sort_index", pid: 1, tid: 2, args: { sort_index: 1 } },
      { ph: "M", name: "thread_name", pid: 1, tid: 1, args: { name: "task main" } },
      { ph: "M", name: "thread_sort_index", pid: 1, tid: 1, args: { sort_index: 0 } },
      { ph: "X", pid: 1, tid: 1, ts: 0, dur: 50_000, name: "main step", cat: "corolint.step" },
      { ph: "s", pid: 1, tid: 1, ts: 10_000, id: 9, cat: "corolint.spawn", name: "spawn" },
      { ph: "f", bp: "e", pid: 1, tid: 2, ts: 20_000, id: 9, cat: "corolint.spawn", name: "spawn" },
      { ph: "X", pid: 1, tid: 2, ts: 20_000, dur: 80_000, name: "blocked work (w.py:3)", cat: "corolint.blocked", args: { file: "w.py", line: 3, function: "work", stack: ["w.py:3 work"] } },
    ],
    otherData: { corolint: { mode: "steps", thresholdMs: 50 } },
  });
}

/**
 * A steps-mode trace: the event loop lane (with a copy of every step), three task lanes and a
 * greenlet lane. Steps end suspended, done, or unfinished; Task-3 has a blocked step.
 */
function stepsTrace(): string {
  const pid = 50;
  const events: Record<string, unknown>[] = [
    { ph: "M", pid, tid: 0, name: "process_name", args: { name: "python app.py" } },
    { ph: "M", pid, tid: pid, name: "thread_name", args: { name: "event loop" } },
    { ph: "M", pid, tid: pid, name: "thread_sort_index", args: { sort_index: 0 } },
  ];
  const lanes = ["fetch-users", "fetch-orders", "Task-3", "Greenlet-4"];
  lanes.forEach((name, index) => {
    events.push({ ph: "M", pid, tid: index + 1, name: "thread_name", args: { name } });
    events.push({ ph: "M", pid, tid: index + 1, name: "thread_sort_index", args: { sort_index: index + 1 } });
  });
  const step = (tid: number, ts: number, dur: number, args: Record<string, unknown>): void => {
    const name = lanes[tid - 1]!;
    events.push({ ph: "X", pid, tid, ts, dur, cat: "corolint.step", name, args });
    events.push({ ph: "X", pid, tid: pid, ts, dur, cat: "corolint.step", name, args });
  };
  step(1, 10_000, 2_000, { task: "fetch-users", suspendedAt: "/srv/app.py:12" });
  step(2, 40_000, 3_000, { task: "fetch-orders", suspendedAt: null, done: true });
  step(3, 70_000, 60_000, { task: "Task-3", suspendedAt: "/srv/app.py:30" });
  events.push({ ph: "X", pid, tid: 3, ts: 70_000, dur: 60_000, cat: "corolint.blocked", name: "blocked slow (app.py:29)", args: { file: "/srv/app.py", line: 29, function: "slow", samples: 4, stack: ["/srv/app.py:29 slow"] } });
  step(4, 150_000, 5_000, { greenlet: "Greenlet-4", suspendedAt: "/srv/app.py:44", hub: "main" });
  step(1, 170_000, 4_000, { task: "fetch-users", suspendedAt: null, unfinished: true });
  return JSON.stringify({
    traceEvents: events,
    otherData: { corolint: { formatVersion: 1, runtime: "python 3.11.7", mode: "steps", thresholdMs: 50, durationMs: 180, blocked: 1, dropped: 0 } },
  });
}

/**
 * A trace merged from two processes whose lanes have the same tids (1 and 2 in both), given with the
 * second process's events first: process_sort_index puts python (pid 300) before node (pid 200).
 */
function multiProcessTrace(): string {
  const lanesOf = (pid: number, sortIndex: number, name: string, task: string): Record<string, unknown>[] => [
    { ph: "M", pid, tid: 0, name: "process_name", args: { name } },
    { ph: "M", pid, tid: 0, name: "process_sort_index", args: { sort_index: sortIndex } },
    { ph: "M", pid, tid: 1, name: "thread_name", args: { name: "event loop" } },
    { ph: "M", pid, tid: 1, name: "thread_sort_index", args: { sort_index: 0 } },
    { ph: "M", pid, tid: 2, name: "thread_name", args: { name: task } },
    { ph: "M", pid, tid: 2, name: "thread_sort_index", args: { sort_index: 1 } },
  ];
  return JSON.stringify({
    traceEvents: [
      ...lanesOf(200, 1, "node server.js", "main server.js"),
      { ph: "X", pid: 200, tid: 2, ts: 50_000, dur: 10_000, cat: "corolint.step", name: "main server.js", args: { task: "main server.js" } },
      { ph: "X", pid: 200, tid: 1, ts: 50_000, dur: 10_000, cat: "corolint.step", name: "main server.js", args: { task: "main server.js" } },
      ...lanesOf(300, 0, "python worker.py", "Task-1"),
      { ph: "X", pid: 300, tid: 2, ts: 20_000, dur: 10_000, cat: "corolint.step", name: "Task-1", args: { task: "Task-1", suspendedAt: "worker.py:5" } },
      { ph: "X", pid: 300, tid: 1, ts: 20_000, dur: 10_000, cat: "corolint.step", name: "Task-1", args: { task: "Task-1", suspendedAt: "worker.py:5" } },
    ],
    otherData: { corolint: { formatVersion: 1, runtime: "python 3.11.7, node v20", mode: "steps", thresholdMs: 50, durationMs: 100, blocked: 0, dropped: 0 } },
  });
}

/** Names and strings that try to run code in the page: as markup, and by closing the data's script element. */
const HOSTILE_TASK = "<img src=x onerror=\"document.title='pwned'\">";
const HOSTILE_WHERE = "</script><script>document.title='pwned2'</script>";
function hostileStepsTrace(): string {
  return JSON.stringify({
    traceEvents: [
      { ph: "M", pid: 1, tid: 1, name: "thread_name", args: { name: HOSTILE_TASK } },
      { ph: "X", pid: 1, tid: 1, ts: 0, dur: 30_000, cat: "corolint.step", name: HOSTILE_TASK, args: { task: HOSTILE_TASK, suspendedAt: HOSTILE_WHERE, "<b>": "<i>x</i>" } },
    ],
    otherData: { corolint: { mode: "steps", thresholdMs: 50, durationMs: 40 } },
  });
}

/**
 * A steps-mode trace of `steps` step events (half on 200 task lanes, half their copies on the event
 * loop lane), a blocked step of Task-1 every 25,000, spawn arrows from each task to the next: the size the
 * tracers stop at (500,000 events).
 */
function bigTrace(steps: number): string {
  const pid = 4242;
  const tasks = 200;
  const events: Record<string, unknown>[] = [
    { ph: "M", pid, tid: pid, name: "thread_name", args: { name: "event loop" } },
    { ph: "M", pid, tid: pid, name: "thread_sort_index", args: { sort_index: 0 } },
  ];
  for (let task = 1; task <= tasks; task++) {
    events.push({ ph: "M", pid, tid: task, name: "thread_name", args: { name: `Task-${task}` } });
    events.push({ ph: "M", pid, tid: task, name: "thread_sort_index", args: { sort_index: task } });
  }
  let ts = 1000;
  let blocked = 0;
  for (let i = 0; i < steps / 2; i++) {
    const task = 1 + (i % tasks);
    const dur = 20 + (i % 7) * 3;
    const args = { task: `Task-${task}`, suspendedAt: `/srv/app.py:${10 + (i % 30)}` };
    events.push({ ph: "X", pid, tid: task, ts, dur, cat: "corolint.step", name: `Task-${task}`, args });
    events.push({ ph: "X", pid, tid: pid, ts, dur, cat: "corolint.step", name: `Task-${task}`, args });
    if (i % 25_000 === 200) {
      events.push({ ph: "X", pid, tid: task, ts, dur: 80_000, cat: "corolint.blocked", name: "blocked handler (app.py:8)", args: { file: "/srv/app.py", line: 8, function: "handler", samples: 6, stack: ["/srv/app.py:8 handler"] } });
      blocked++;
      ts += 80_000;
    }
    if (i < tasks - 1) {
      events.push({ ph: "s", pid, tid: task, ts: ts + 1, id: i + 1, cat: "corolint.spawn", name: "spawn" });
      events.push({ ph: "f", bp: "e", pid, tid: task + 1, ts: ts + dur + 5, id: i + 1, cat: "corolint.spawn", name: "spawn" });
    }
    ts += dur + 10;
  }
  return JSON.stringify({
    traceEvents: events,
    otherData: { corolint: { formatVersion: 1, runtime: "python 3.11.7", mode: "steps", thresholdMs: 50, blocked, dropped: 0, durationMs: ts / 1000 } },
  });
}

describe("corolint view (CLI)", () => {
  it("writes <trace>.html beside the trace and prints its path", async () => {
    const dir = makeProject({ "traces/quiet.json": emptyTrace() });
    const { code, stdout, stderr } = await runCli(["view", "traces/quiet.json"], dir);
    expect(code).toBe(0);
    expect(stdout).toBe("traces/quiet.html\n");
    expect(stderr).toMatch(/no blocks in traces\/quiet\.json/);
    const html = readFileSync(join(dir, "traces/quiet.html"), "utf8");
    expect(html).toContain('<p class="no-blocks" id="no-blocks">No blocks: the event loop was never blocked for longer than 50 ms.</p>');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
  });

  it("writes where -o says; a folder that does not exist is an error, not a crash", async () => {
    const dir = makeProject({ "t.json": flowTrace() });
    const missing = await runCli(["view", "-o", "out/page.html", "t.json"], dir);
    expect(missing).toMatchObject({ code: 2, stdout: "" });
    expect(missing.stderr).toMatch(/^corolint: cannot write .*out\/page\.html: ENOENT/);
    mkdirSync(join(dir, "out"));
    expect(await runCli(["view", "t.json", "--output=out/page.html"], dir)).toMatchObject({ code: 0, stdout: "out/page.html\n", stderr: "" });
    expect(readFileSync(join(dir, "out/page.html"), "utf8")).toContain("corolint schedule: t.json");
  });

  it("refuses to overwrite the trace", async () => {
    const dir = makeProject({ "t.json": flowTrace() });
    const { code, stderr } = await runCli(["view", "t.json", "-o", "t.json"], dir);
    expect(code).toBe(2);
    expect(stderr).toMatch(/would overwrite the trace t\.json/);
    expect(readFileSync(join(dir, "t.json"), "utf8")).toBe(flowTrace());
  });

  it.each([
    ["bad.json", '{"traceEvents": [', /bad\.json is not a trace corolint can show: not valid JSON/],
    ["other.json", '{"hello": 1}', /other\.json is not a trace corolint can show: not a Chrome trace: expected an object with a "traceEvents" array/],
    ["events.json", '{"traceEvents": [{"ph": "X", "ts": "soon"}]}', /traceEvents\[0\] \(ph "X"\) has no numeric "ts"/],
  ])("%s exits 2 with a message and writes nothing", async (name, content, message) => {
    const dir = makeProject({ [name]: content });
    const { code, stdout, stderr } = await runCli(["view", name], dir);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(existsSync(join(dir, name.replace(".json", ".html")))).toBe(false);
  });

  it.each([
    [["view"], /missing the trace to show/],
    [["view", "a.json", "b.json"], /unexpected argument 'b\.json'/],
    [["view", "--open=yes", "a.json"], /--open takes no value/],
    [["view", "missing.json"], /cannot read the trace missing\.json: no such file/],
  ])("%j exits 2", async (args, message) => {
    const { code, stderr } = await runCli(args, makeProject({}));
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  describe.skipIf(process.platform === "win32")("--open", () => {
    const opener = process.platform === "darwin" ? "open" : "xdg-open";
    /** A project with the flow trace and a folder `bin` holding a stand-in opener with `body`. */
    function withOpener(body: string | null): { dir: string; env: Record<string, string> } {
      const dir = makeProject({ "t.json": flowTrace() });
      mkdirSync(join(dir, "bin"));
      if (body !== null) {
        writeFileSync(join(dir, "bin", opener), `#!/bin/sh\n${body}\n`);
        chmodSync(join(dir, "bin", opener), 0o755);
      }
      // The stand-in first (its shell needs /bin and /usr/bin); with none, nothing else: a real
      // opener must not be found.
      return { dir, env: { PATH: body === null ? join(dir, "bin") : `${join(dir, "bin")}:/bin:/usr/bin` } };
    }

    it("opens the page it wrote with the system's opener", async () => {
      const { dir, env } = withOpener(`printf '%s\\n' "$@" > "$(dirname "$0")/opened.txt"`);
      const result = await runCli(["view", "t.json", "--open"], dir, env);
      expect(result).toEqual({ code: 0, stdout: "t.html\n", stderr: "" });
      await expect.poll(() => (existsSync(join(dir, "bin/opened.txt")) ? readFileSync(join(dir, "bin/opened.txt"), "utf8") : "")).toBe(`${join(dir, "t.html")}\n`);
      expect(readFileSync(join(dir, "t.html"), "utf8")).toContain("corolint schedule: t.json");
    });

    it("says so when the opener is missing, and still exits 0 with the page written", async () => {
      const { dir, env } = withOpener(null);
      const result = await runCli(["view", "--open", "t.json"], dir, env);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe("t.html\n");
      expect(result.stderr).toBe(`corolint: could not open the page in a browser: ${opener} was not found; open ${join(dir, "t.html")} yourself\n`);
      expect(existsSync(join(dir, "t.html"))).toBe(true);
    });

    it("says so when the opener fails", async () => {
      const { dir, env } = withOpener("exit 3");
      const result = await runCli(["view", "--open", "t.json"], dir, env);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(`corolint: could not open the page in a browser: ${opener} failed (exit status 3); open ${join(dir, "t.html")} yourself\n`);
    });
  });

  it("names the opener of each system", () => {
    expect(openerCommand("linux", "/t/a b.html")).toEqual({ command: "xdg-open", args: ["/t/a b.html"] });
    expect(openerCommand("darwin", "/t/a b.html")).toEqual({ command: "open", args: ["/t/a b.html"] });
    expect(openerCommand("win32", "C:\\t\\a b.html")).toEqual({ command: "cmd", args: ["/c", "start", '""', '"C:\\t\\a b.html"'], windowsVerbatimArguments: true });
  });

  it("has --help", async () => {
    const { code, stdout } = await runCli(["view", "--help"], makeProject({}));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: corolint view \[options\] TRACE\.json/);
    expect((await runCli(["--help"], makeProject({}))).stdout).toMatch(/corolint view TRACE\.json/);
  });
});

describe("corolint view in Chromium", () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    if (!HAS_CHROMIUM) return;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    dir = makeProject({
      "app.mjs": APP,
      "quiet.json": emptyTrace(),
      "flows.json": flowTrace(),
      "steps.json": stepsTrace(),
      "multi.json": multiProcessTrace(),
      "hostile.json": hostileStepsTrace(),
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens the page with every request recorded; a failing `check` leaves a screenshot. */
  async function withPage(html: string, name: string, check: (page: Page, requests: string[]) => Promise<void>): Promise<void> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    context.on("request", (request) => requests.push(request.url()));
    page.on("pageerror", (error) => errors.push(error.message));
    try {
      await page.goto(pathToFileURL(html).href);
      await check(page, requests);
      expect(errors).toEqual([]);
    } catch (error) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `viewer-${name}.png`), fullPage: true }).catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  }

  it.skipIf(!HAS_CHROMIUM)("shows a traced program's block: lane, red span, line, stack, table, zoom, no network", { timeout: 90_000 }, async () => {
    const traced = await runCli(["trace", "-o", "t.json", "--", "node", "app.mjs"], dir);
    expect(traced.code).toBe(0);
    const viewed = await runCli(["view", "t.json"], dir);
    expect(viewed).toMatchObject({ code: 0, stdout: "t.html\n" });
    const html = join(dir, "t.html");
    const where = `${join(dir, "app.mjs")}:3`;

    await withPage(html, "traced", async (page, requests) => {
      await expect(page.locator(".lane-label", { hasText: "event loop" }).count()).resolves.toBe(1);
      const bars = page.locator("rect.bar.blocked");
      await expect(bars.count()).resolves.toBe(1);
      const title = await bars.first().locator("title").textContent();
      expect(title).toContain(where);
      expect(title).toMatch(/^blocked \d+(\.\d+)? ms/);
      expect(title).toContain("spin");

      await expect(page.locator("table.blockers tbody tr").count()).resolves.toBe(1);
      const row = await page.locator("table.blockers tbody tr").first().innerText();
      expect(row).toContain(where);
      expect(row).toContain("spin");
      await expect(page.locator("#summary-blocks").innerText()).resolves.toBe("1");
      await expect(page.locator("#summary-runtime").innerText()).resolves.toMatch(/^node v\d+/);

      await bars.first().click();
      await expect(page.locator("#details ol.stack").innerText()).resolves.toContain("spin");
      await expect(page.locator("#details .where").innerText()).resolves.toBe(`${where} spin`);

      const before = (await page.locator("rect.bar.blocked").boundingBox())!.width;
      await page.click("#zoom-in");
      const zoomedIn = (await page.locator("rect.bar.blocked").boundingBox())!.width;
      expect(zoomedIn).toBeGreaterThan(before * 1.1);
      await page.click("#zoom-out");
      await page.click("#zoom-out");
      const zoomedOut = (await page.locator("rect.bar.blocked").boundingBox())!.width;
      expect(zoomedOut).toBeLessThan(before * 0.9);
      // The wheel zooms too, around the pointer.
      const box = (await page.locator("#timeline").boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + 40);
      await page.mouse.wheel(0, -400);
      await expect.poll(async () => (await page.locator("rect.bar.blocked").boundingBox())!.width).toBeGreaterThan(zoomedOut * 1.5);

      expect(requests).toEqual([pathToFileURL(html).href]);
    });
  });

  it.skipIf(!HAS_CHROMIUM)("says 'no blocks' for an empty trace", { timeout: 60_000 }, async () => {
    expect((await runCli(["view", "quiet.json"], dir)).code).toBe(0);
    await withPage(join(dir, "quiet.html"), "empty", async (page) => {
      await expect(page.locator("#no-blocks").innerText()).resolves.toMatch(/^No blocks/);
      await expect(page.locator(".lane-label").allInnerTexts()).resolves.toEqual(["event loop"]);
      await expect(page.locator("rect.bar").count()).resolves.toBe(0);
    });
  });

  it.skipIf(!HAS_CHROMIUM)("orders lanes by thread_sort_index and draws spawn arrows", { timeout: 60_000 }, async () => {
    expect((await runCli(["view", "flows.json"], dir)).code).toBe(0);
    await withPage(join(dir, "flows.html"), "flows", async (page) => {
      await expect(page.locator(".lane-label").allInnerTexts()).resolves.toEqual(["task main", "task worker"]);
      await expect(page.locator("path.flow.spawn").count()).resolves.toBe(1);
      await expect(page.locator("rect.bar").count()).resolves.toBe(2);
      await expect(page.locator("rect.bar.blocked").count()).resolves.toBe(1);
      // The blocked span sits on the second lane, below the first.
      const main = (await page.locator("rect.bar:not(.blocked)").boundingBox())!;
      const worker = (await page.locator("rect.bar.blocked").boundingBox())!;
      expect(worker.y).toBeGreaterThan(main.y + main.height);
      await page.locator("table.blockers tbody tr").first().click();
      await expect(page.locator("#details ol.stack").innerText()).resolves.toContain("w.py:3 work");
    });
  });

  /** The lane labels shown, top to bottom. */
  const laneNames = (page: Page): Promise<string[]> => page.locator(".lane-label .name").allInnerTexts();

  it.skipIf(!HAS_CHROMIUM)("filters the lanes by name; the event loop lane stays; '/' focuses the filter; 'blocked only'", { timeout: 60_000 }, async () => {
    expect((await runCli(["view", "steps.json"], dir)).code).toBe(0);
    await withPage(join(dir, "steps.html"), "filter", async (page) => {
      const all = ["event loop", "fetch-users", "fetch-orders", "Task-3", "Greenlet-4"];
      await expect(laneNames(page)).resolves.toEqual(all);
      await expect(page.locator("#lane-count").innerText()).resolves.toBe("5 lanes");
      const bars = await page.locator("rect.bar").count();

      await page.locator("#lane-filter").fill("fetch");
      await expect(laneNames(page)).resolves.toEqual(["event loop", "fetch-users", "fetch-orders"]);
      await expect(page.locator("#lane-count").innerText()).resolves.toBe("3 of 5 lanes");
      // The hidden lanes' bars are gone: Task-3's step and block, the greenlet's step.
      await expect(page.locator("rect.bar").count()).resolves.toBe(bars - 3);
      await expect(page.locator("rect.bar.blocked").count()).resolves.toBe(0);

      await page.locator("#lane-filter").fill("FETCH-O");
      await expect(laneNames(page)).resolves.toEqual(["event loop", "fetch-orders"]);
      // Nothing matches: the loop lane alone.
      await page.locator("#lane-filter").fill("no such lane");
      await expect(laneNames(page)).resolves.toEqual(["event loop"]);
      await expect(page.locator("#lane-count").innerText()).resolves.toBe("1 of 5 lanes");

      await page.locator("#lane-filter").fill("");
      await expect(laneNames(page)).resolves.toEqual(all);
      await expect(page.locator("rect.bar").count()).resolves.toBe(bars);

      // "/" from anywhere on the page puts the typing in the filter; Escape there clears it.
      await page.locator("h1").click();
      await page.keyboard.press("/");
      await page.keyboard.type("green");
      await expect(page.locator("#lane-filter").inputValue()).resolves.toBe("green");
      await expect(laneNames(page)).resolves.toEqual(["event loop", "Greenlet-4"]);
      await page.keyboard.press("Escape");
      await expect(laneNames(page)).resolves.toEqual(all);

      await page.locator("#blocked-only").check();
      await expect(laneNames(page)).resolves.toEqual(["event loop", "Task-3"]);
      await expect(page.locator("#lane-count").innerText()).resolves.toBe("2 of 5 lanes");
      await page.locator("#blocked-only").uncheck();
      await expect(laneNames(page)).resolves.toEqual(all);
    });
  });

  it.skipIf(!HAS_CHROMIUM)("shows a step's details: task, times, where it suspended, finished, still running, other args", { timeout: 60_000 }, async () => {
    await withPage(join(dir, "steps.html"), "step-details", async (page) => {
      // The task lanes' steps (the loop lane has copies, muted).
      const stepOn = (lane: string, index = 0) => page.locator("rect.bar:not(.loop):not(.blocked)", { has: page.locator("title", { hasText: `${lane} step` }) }).nth(index);
      await expect(page.locator("rect.bar.loop").count()).resolves.toBe(5);
      const fill = await page.locator("rect.bar.loop").first().evaluate((bar) => (globalThis as unknown as { getComputedStyle(element: unknown): { fill: string } }).getComputedStyle(bar).fill);
      expect(fill).toBe("rgb(175, 184, 193)");

      // Hover: the tooltip.
      await expect(stepOn("fetch-users").locator("title").textContent()).resolves.toBe("fetch-users step 2.00 ms\nsuspended at /srv/app.py:12");
      // Click: the side panel.
      await stepOn("fetch-users").click();
      await expect(page.locator("#details-title").innerText()).resolves.toBe("fetch-users step, 2.00 ms");
      await expect(page.locator("#details-suspended").innerText()).resolves.toBe("suspended at /srv/app.py:12");
      await expect(page.locator("#details .meta").first().innerText()).resolves.toBe("from 10.0 ms to 12.0 ms on fetch-users");

      await stepOn("fetch-orders").click();
      await expect(page.locator("#details-suspended").innerText()).resolves.toBe("finished");
      await stepOn("fetch-users", 1).click();
      await expect(page.locator("#details-suspended").innerText()).resolves.toBe("still running at exit");
      await stepOn("Greenlet-4").click();
      await expect(page.locator("#details-title").innerText()).resolves.toBe("Greenlet-4 step, 5.00 ms");
      await expect(page.locator("#details-suspended").innerText()).resolves.toBe("suspended at /srv/app.py:44");
      await expect(page.locator("#details-args dt").allInnerTexts()).resolves.toEqual(["greenlet", "hub"]);
      await expect(page.locator("#details-args dd").allInnerTexts()).resolves.toEqual(["Greenlet-4", "main"]);

      // A blocked step is red on its task's lane and on the loop lane; its details are the block's.
      await expect(page.locator("rect.bar.blocked").count()).resolves.toBe(1);
      await expect(page.locator("rect.bar.loop-blocked").count()).resolves.toBe(1);
      await page.locator("rect.bar.loop-blocked").click();
      await expect(page.locator("#details .where").innerText()).resolves.toBe("/srv/app.py:29 slow");
      await expect(page.locator("#details ol.stack").innerText()).resolves.toBe("/srv/app.py:29 slow");
    });
  });

  it.skipIf(!HAS_CHROMIUM)("keeps two processes' lanes apart though their tids are equal, grouped under each process's name", { timeout: 60_000 }, async () => {
    expect((await runCli(["view", "multi.json"], dir)).code).toBe(0);
    await withPage(join(dir, "multi.html"), "multi", async (page) => {
      await expect(page.locator(".group-label").allInnerTexts()).resolves.toEqual(["python worker.py \u00b7 pid 300", "node server.js \u00b7 pid 200"]);
      await expect(laneNames(page)).resolves.toEqual(["event loop", "Task-1", "event loop", "main server.js"]);
      await expect(page.locator("#summary-processes").innerText()).resolves.toBe("2");
      // Each step on its own process's lanes: four bars on four different rows, in lane order.
      const task = page.locator("rect.bar", { has: page.locator("title", { hasText: "Task-1 step" }) });
      const main = page.locator("rect.bar", { has: page.locator("title", { hasText: "main server.js step" }) });
      await expect(task.count()).resolves.toBe(2);
      await expect(main.count()).resolves.toBe(2);
      const rows = [await task.nth(0).boundingBox(), await task.nth(1).boundingBox(), await main.nth(0).boundingBox(), await main.nth(1).boundingBox()].map((box) => box!.y);
      expect(new Set(rows).size).toBe(4);
      const labels = await page.locator(".lane-label").evaluateAll((nodes) => nodes.map((node) => (node as unknown as { getBoundingClientRect(): { y: number; height: number } }).getBoundingClientRect()));
      for (const y of rows) expect(labels.some((label) => y >= label.y && y < label.y + label.height)).toBe(true);

      // The filter matches process names too; the loop lane stays only for the process shown.
      await page.locator("#lane-filter").fill("node");
      await expect(page.locator(".group-label").allInnerTexts()).resolves.toEqual(["node server.js \u00b7 pid 200"]);
      await expect(laneNames(page)).resolves.toEqual(["event loop", "main server.js"]);
      await page.locator("#lane-filter").fill("300");
      await expect(laneNames(page)).resolves.toEqual(["event loop", "Task-1"]);
    });
  });

  it.skipIf(!HAS_CHROMIUM)("shows hostile task names and args as text: nothing runs", { timeout: 60_000 }, async () => {
    expect((await runCli(["view", "hostile.json"], dir)).code).toBe(0);
    const html = readFileSync(join(dir, "hostile.html"), "utf8");
    expect(html).not.toContain("</script><script>document.title");
    expect(html).toContain("\\u003c/script>\\u003cscript>document.title");
    await withPage(join(dir, "hostile.html"), "hostile", async (page) => {
      await expect(laneNames(page)).resolves.toEqual([HOSTILE_TASK]);
      await page.locator("rect.bar").first().click();
      await expect(page.locator("#details-title").innerText()).resolves.toBe(`${HOSTILE_TASK} step, 30.0 ms`);
      await expect(page.locator("#details-suspended").innerText()).resolves.toBe(`suspended at ${HOSTILE_WHERE}`);
      await expect(page.locator("#details-args dd").allInnerTexts()).resolves.toEqual(["<i>x</i>"]);
      await expect(page.locator("img, i, b").count()).resolves.toBe(0);
      await expect(page.title()).resolves.toBe("corolint schedule: hostile.json");
    });
  });

  it.skipIf(!HAS_CHROMIUM)("shows a 500,000-event trace: steps merged for size, every block and arrow kept, drawn quickly", { timeout: 60_000 }, async () => {
    const started = Date.now();
    writeFileSync(join(dir, "big.json"), bigTrace(500_000));
    const viewed = await runCli(["view", "big.json"], dir);
    expect(viewed).toMatchObject({ code: 0, stdout: "big.html\n" });
    const html = join(dir, "big.html");
    const size = statSync(html).size;
    expect(size).toBeLessThan(20e6);
    await withPage(html, "big", async (page) => {
      await expect(page.locator("#timeline svg").count()).resolves.toBe(1);
      // The timeline is drawn by the page's script, before the load event: from navigation to load.
      const drawnMs = (await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")) as number;
      console.log(`big trace: page ${(size / 1e6).toFixed(1)} MB, drawn ${Math.round(drawnMs)} ms after navigation, ${((Date.now() - started) / 1000).toFixed(1)} s for the whole test`);
      expect(drawnMs).toBeLessThan(5000);
      await expect(page.locator("#summary-steps").innerText()).resolves.toMatch(/^500,000 step events: [\d,]+ merged into [\d,]+ bars for size \(a lane's steps within the same [\d.]+ ms\)$/);
      const model = JSON.parse((await page.locator("#corolint-data").textContent())!) as { spans: { blocked: boolean; count?: number }[]; flows: unknown[]; lanes: unknown[] };
      expect(model.lanes).toHaveLength(201);
      expect(model.spans.filter((span) => span.blocked)).toHaveLength(10);
      expect(model.flows).toHaveLength(199);
      expect(model.spans.length).toBeLessThanOrEqual(100_010);
      await expect(page.locator("#lane-count").innerText()).resolves.toBe("201 lanes");
      // The blocks are drawn, on Task lanes and on the loop lane.
      await expect(page.locator("rect.bar.blocked").count()).resolves.toBeGreaterThan(0);
      await expect(page.locator("rect.bar.loop-blocked").count()).resolves.toBeGreaterThan(0);
      // Far fewer SVG elements than spans.
      expect(await page.locator("rect.bar").count()).toBeLessThan(5000);

      // A click on a group of bars zooms in to it.
      const before = await page.locator("#zoom-level").innerText();
      await page.locator("rect.bar.group.loop").first().click();
      await expect(page.locator("#zoom-level").innerText()).resolves.not.toBe(before);
      // A merged bar says what it stands for.
      await page.locator("rect.bar.merged:not(.loop)").first().click();
      await expect(page.locator("#details-title").innerText()).resolves.toMatch(/^\d+ steps merged, /);

      // The last lanes are drawn once scrolled to.
      await page.locator("#zoom-fit").click();
      const last = page.locator(".lane-label", { hasText: /^Task-200$/ });
      await last.scrollIntoViewIfNeeded();
      const row = (await last.boundingBox())!;
      await expect
        .poll(() => page.locator("rect.bar").evaluateAll((bars, y) => bars.filter((bar) => {
          const box = (bar as unknown as { getBoundingClientRect(): { y: number } }).getBoundingClientRect();
          return box.y >= (y as number) && box.y < (y as number) + 34;
        }).length, row.y))
        .toBeGreaterThan(0);
      // Filtered, the lanes left are drawn as well.
      await page.locator("#lane-filter").fill("Task-199");
      await expect(laneNames(page)).resolves.toEqual(["event loop", "Task-199"]);
      await expect(page.locator("#lane-count").innerText()).resolves.toBe("2 of 201 lanes");
    });
  });
});

// `corolint view` reads its template from dist/runtime/viewer: the build must copy it there.
it("the build ships the viewer's template", () => {
  expect(existsSync(join(REPO_ROOT, "dist/runtime/viewer/viewer.html"))).toBe(true);
  expect(existsSync(join(REPO_ROOT, "dist/runtime/viewer/viewer.js"))).toBe(true);
});
