/**
 * The page of the "corolint: Schedule" panel: the viewer rendered with the webview policy. Checked as
 * text (a strict Content-Security-Policy, the nonce on every script and style element, no inline
 * event handler, no style attribute, nothing loaded, hostile trace strings inert), then run in
 * Debian's Chromium with VS Code's `acquireVsCodeApi` stood in by a recorder: the lanes and the red
 * block of the demo program's trace are drawn with no policy violation, and a click on the block or
 * on the table's row posts `{type: "open", file, line}`. Chromium tests are skipped without it.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildViewModel, FILE_PAGE_POLICY, loadViewerAssets, renderViewerHtml, webviewPagePolicy, type ViewModel } from "../../cli/view-command";
import { readTraceResults } from "../../client/trace-results";
import { makeProject, REPO_ROOT, runCli } from "../cli/helpers";

const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = join(REPO_ROOT, "test-artifacts");
const DEMO = join(REPO_ROOT, "examples/trace_demo/app.py");
const NONCE = "dGhpcyBpcyBhIHRlc3Qgbm9uY2U=";

/** A trace whose strings try to break out of the page: a file name and a lane name with markup. */
function hostileModel(): ViewModel {
  return buildViewModel({
    traceEvents: [
      { ph: "M", name: "thread_name", pid: 1, tid: 1, args: { name: '<img src=x onerror="alert(1)">' } },
      {
        ph: "X", pid: 1, tid: 1, ts: 0, dur: 80_000, cat: "corolint.blocked", name: "blocked",
        args: { file: '/w/"><script>alert(1)</script>.py', line: 3, function: "<svg onload=alert(1)>", stack: ["</script><script>alert(2)</script>"] },
      },
    ],
    otherData: { corolint: { mode: "light", thresholdMs: 50, argv: ["x.py", "' onclick='alert(3)"] } },
  });
}

function render(model: ViewModel, policy = webviewPagePolicy(NONCE)): string {
  const assets = loadViewerAssets();
  if (assets === null) throw new Error("the viewer's files are missing: run `npm run build`");
  return renderViewerHtml(model, "app.py", assets.template, assets.script, policy);
}

/** Every start tag of the page outside script elements' content, as `{name, attributes}`. */
function startTags(html: string): { name: string; attributes: string[] }[] {
  const outsideScripts = html.replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, "$1</script>");
  return [...outsideScripts.matchAll(/<([a-zA-Z][\w-]*)((?:\s+[^\s=>]+(?:=(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*\/?>/g)].map((match) => ({
    name: match[1]!.toLowerCase(),
    attributes: [...match[2]!.matchAll(/\s+([^\s=>]+)/g)].map((attribute) => attribute[1]!.toLowerCase()),
  }));
}

describe("the webview page", () => {
  it("has a strict policy: nonce-only script and style, nothing else loaded", () => {
    const html = render(hostileModel());
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
    expect(csp).toBe(`default-src 'none'; img-src data:; style-src 'nonce-${NONCE}'; script-src 'nonce-${NONCE}'`);
    expect(html).not.toContain("unsafe-inline");
    expect(html).not.toContain("unsafe-eval");
  });

  it("puts the nonce on every script and style element, and has no inline handler, style attribute or URL", () => {
    const html = render(hostileModel());
    const tags = startTags(html);
    const scriptsAndStyles = tags.filter((tag) => tag.name === "script" || tag.name === "style");
    expect(scriptsAndStyles.map((tag) => tag.name)).toEqual(["style", "script", "script"]);
    for (const tag of scriptsAndStyles) expect(tag.attributes).toContain("nonce");
    expect((html.match(new RegExp(`nonce="${NONCE}"`, "g")) ?? []).length).toBe(3);
    const forbidden = tags.flatMap((tag) => tag.attributes.filter((name) => /^on/.test(name) || name === "style" || name === "src" || name === "href").map((name) => `${tag.name} ${name}`));
    expect(forbidden).toEqual([]);
    // The hostile strings are text, not markup.
    expect(tags.map((tag) => tag.name)).not.toContain("img");
    expect(tags.filter((tag) => tag.name === "svg")).toEqual([]);
  });

  it("refuses a nonce that could break out of its attribute", () => {
    expect(() => webviewPagePolicy('abc"><script>')).toThrow(/base64/);
    expect(() => webviewPagePolicy("short")).toThrow(/base64/);
  });

  it("keeps the page `corolint view` writes as it was: inline content allowed, no nonce", () => {
    const html = render(hostileModel(), FILE_PAGE_POLICY);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`);
    const scriptsAndStyles = startTags(html).filter((tag) => tag.name === "script" || tag.name === "style");
    expect(scriptsAndStyles).toHaveLength(3);
    for (const tag of scriptsAndStyles) expect(tag.attributes).not.toContain("nonce");
  });
});

describe("the webview page in Chromium", () => {
  let browser: Browser;
  let dir: string;
  let model: ViewModel;
  beforeAll(async () => {
    if (!HAS_CHROMIUM) return;
    dir = makeProject({});
    const traced = await runCli(["trace", "--mode", "steps", "-o", "t.json", "--", "python3", DEMO], dir);
    expect(traced.code, traced.stderr).toBe(0);
    model = readTraceResults(join(dir, "t.json"), dir).model;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it.skipIf(!HAS_CHROMIUM)("draws the lanes and the red block with no policy violation; clicks post 'open' messages", { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    // The page is served from a made-up origin, as VS Code serves webviews from its own.
    const origin = "https://webview.invalid/";
    await page.route(origin, (route) => route.fulfill({ body: render(model), contentType: "text/html" }));
    context.on("request", (request) => {
      if (request.url() !== origin && !request.url().startsWith("data:")) problems.push(`request: ${request.url()}`);
    });
    // VS Code defines acquireVsCodeApi in the webview before the page's scripts run; so does this
    // (browser code, as a string: the tests are type-checked without the DOM's types).
    await page.addInitScript(`
      window.posted = [];
      window.violations = [];
      window.acquireVsCodeApi = () => ({ postMessage: (message) => window.posted.push(message), getState: () => undefined, setState: () => {} });
      document.addEventListener("securitypolicyviolation", (event) => window.violations.push(event.violatedDirective + ": " + event.blockedURI));
    `);
    try {
      await page.goto(origin, { waitUntil: "load" });
      await expect(page.locator("#timeline svg").count()).resolves.toBe(1);
      const laneNames = await page.locator(".lane-label .name").allInnerTexts();
      expect(laneNames[0]).toBe("event loop");
      expect(laneNames).toEqual(expect.arrayContaining(["Task-1", "Task-2"]));
      // The time.sleep block (a loaded machine may add short ones elsewhere, such as start-up).
      const line = model.spans.find((span) => span.blocked && span.function === "render_report")!.line;
      const blocked = page.locator("rect.bar.blocked", { has: page.locator("title", { hasText: `${DEMO}:${line} render_report` }) });
      await expect(blocked.count()).resolves.toBe(1);
      // Styled by the nonce'd style element: red.
      const fill = await blocked.evaluate((bar) => (globalThis as unknown as { getComputedStyle(element: unknown): { fill: string } }).getComputedStyle(bar).fill);
      expect(fill).toBe("rgb(209, 36, 47)");

      await blocked.click();
      await expect(page.locator("#details .where").innerText()).resolves.toBe(`${DEMO}:${line} render_report`);
      await page.locator(`table.blockers tbody tr[data-line="${line}"]`).click();
      const posted = await page.evaluate("window.posted");
      expect(posted).toEqual([
        { type: "open", file: DEMO, line },
        { type: "open", file: DEMO, line },
      ]);
      await expect(page.evaluate("window.violations")).resolves.toEqual([]);
      expect(problems).toEqual([]);
    } catch (error) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "schedule-webview.png"), fullPage: true }).catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });

  it.skipIf(!HAS_CHROMIUM)("is shown able to fail: a script without the nonce runs in the CLI's page, not in the panel's", { timeout: 60_000 }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const injected = `<script>document.title = "ran";</script></body>`;
    for (const [policy, title] of [[FILE_PAGE_POLICY, "ran"], [webviewPagePolicy(NONCE), "corolint schedule: app.py"]] as const) {
      const html = render(model, policy).replace("</body>", injected);
      await page.route("https://webview.invalid/", (route) => route.fulfill({ body: html, contentType: "text/html" }));
      await page.goto("https://webview.invalid/", { waitUntil: "load" });
      await expect(page.title()).resolves.toBe(title);
      await page.unroute("https://webview.invalid/");
    }
    await context.close();
  });
});
