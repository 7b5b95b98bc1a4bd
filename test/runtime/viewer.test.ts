/**
 * `corolint view`: a real program traced by `corolint trace`, its page written by `corolint view`,
 * then opened from disk in a real Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * the lane, the one red span with its line and stack, the top-blockers table, zoom, and no network.
 * Without Chromium the browser tests are skipped (saying why); .ci/run installs it. A failing browser
 * test leaves a screenshot in test-artifacts/.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
    [["view", "--open", "a.json"], /unknown option '--open'/],
    [["view", "missing.json"], /cannot read the trace missing\.json: no such file/],
  ])("%j exits 2", async (args, message) => {
    const { code, stderr } = await runCli(args, makeProject({}));
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
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
    dir = makeProject({ "app.mjs": APP, "quiet.json": emptyTrace(), "flows.json": flowTrace() });
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
});

// `corolint view` reads its template from dist/runtime/viewer: the build must copy it there.
it("the build ships the viewer's template", () => {
  expect(existsSync(join(REPO_ROOT, "dist/runtime/viewer/viewer.html"))).toBe(true);
  expect(existsSync(join(REPO_ROOT, "dist/runtime/viewer/viewer.js"))).toBe(true);
});
