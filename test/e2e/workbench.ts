/**
 * What the end-to-end steps do and read in the VS Code workbench, the way a user would: the Explorer,
 * the command palette, Go to Line, Ctrl+. , the Problems panel, the status bar, the webview. Every
 * wait is for a condition on the page, with a generous timeout: the machine may be shared and slow.
 * The selectors are Monaco's and the workbench's (code-server 4.100 / VS Code 1.100).
 */
import type { FrameLocator, Locator, Page } from "playwright-core";

/** How long a wait may take before the step fails. */
export const TIMEOUT = 60_000;

/** One row of the Problems panel that belongs to a file's marker (not a file header). */
export interface ProblemRow {
  /** The diagnostic's message (the row's text before its source, code and position). */
  message: string;
  /** `corolint` for corolint's rows. */
  source: string;
  /** The rule id (the diagnostic's code). */
  code: string;
  line: number;
  column: number;
  /** The accessibility label: "Error: ...", "Warning: ...". */
  label: string;
}

/** The status bar item's states, as its codicon shows them (client/server-status.ts). */
export type StatusState = "starting" | "running" | "stopped" | "error" | "unknown";

/** The status bar item the extension creates with id `corolint.status` (VS Code prefixes the extension id). */
export const STATUS_ITEM = '[id="corolint.corolint.corolint.status"]';

/** Polls `probe` until it returns a value other than undefined/false; fails with `what` after `timeout`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeout = TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${cause}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}

/** The workbench of one page. */
export class Workbench {
  constructor(readonly page: Page) {}

  /** The editor of the active editor group. */
  get editor(): Locator {
    return this.page.locator(".editor-group-container.active .editor-container .monaco-editor").first();
  }

  /**
   * Opens `relativePath` of the workspace from the Explorer: expands its folders and clicks the file,
   * then checks (in the breadcrumbs) that this file opened. (Not Quick Open: its results are re-sorted
   * while the file search runs, and a click then lands on a neighbour such as profile_handlers.py.)
   */
  async openFile(relativePath: string): Promise<void> {
    const parts = relativePath.split("/");
    const tree = this.page.locator(".explorer-folders-view");
    await waitFor(`${relativePath} opened from the Explorer`, async () => {
      if (await this.isActiveFile(relativePath)) return true;
      if (!(await tree.isVisible())) {
        await this.page.keyboard.press("Escape");
        await this.page.keyboard.press("Control+Shift+E");
        await tree.waitFor({ state: "visible", timeout: 10_000 });
      }
      const rows = await tree.locator(".monaco-list-row").evaluateAll((elements: ElementLike[]) =>
        elements.map((row) => ({
          id: row.getAttribute("id") ?? "",
          label: row.getAttribute("aria-label") ?? "",
          level: Number(row.getAttribute("aria-level")),
          expanded: row.getAttribute("aria-expanded"),
          index: Number(row.getAttribute("data-index")),
        })),
      );
      rows.sort((a, b) => a.index - b.index);
      // Walk down the path: each part is a row one level deeper, below its folder's row.
      let at = 0;
      for (let depth = 0; depth < parts.length; depth++) {
        let found = -1;
        for (let i = at; i < rows.length && (depth === 0 || rows[i]!.level > depth); i++) {
          if (rows[i]!.level === depth + 1 && rows[i]!.label === parts[depth]) {
            found = i;
            break;
          }
        }
        if (found < 0) return false; // not rendered yet
        const row = rows[found]!;
        if (depth < parts.length - 1) {
          if (row.expanded === "false") {
            await tree.locator(`[id="${row.id}"]`).click();
            return false; // walk again once its children are shown
          }
          at = found + 1;
        } else {
          await tree.locator(`[id="${row.id}"]`).click();
        }
      }
      return waitFor(`${relativePath} in the editor`, () => this.isActiveFile(relativePath), 10_000).catch(() => false);
    });
  }

  /** Whether the active editor shows `relativePath` (its breadcrumbs start with the path's parts). */
  async isActiveFile(relativePath: string): Promise<boolean> {
    const parts = relativePath.split("/");
    const crumbs = await this.page.locator(".editor-group-container.active .breadcrumbs-control .monaco-breadcrumb-item").allInnerTexts();
    if (crumbs.slice(0, parts.length).map((crumb) => crumb.trim()).join("/") !== relativePath) return false;
    return this.editor.isVisible();
  }

  /**
   * Runs a command from the command palette (F1) by its full title, e.g. "corolint: Restart Server":
   * moves the palette's focus onto that entry with the arrow keys and presses Enter (a click could
   * land on a neighbour when the list is re-sorted under the pointer, as Quick Open's is).
   */
  async runCommand(title: string): Promise<void> {
    const isTitle = (label: string | null): boolean => label === title || (label ?? "").startsWith(`${title},`);
    await waitFor(`"${title}" in the command palette`, async () => {
      await this.page.keyboard.press("Escape");
      await this.page.keyboard.press("F1");
      const input = this.page.locator(".quick-input-widget input.input");
      await input.waitFor({ timeout: 10_000 });
      await input.fill(`>${title}`);
      const rows = this.page.locator(".quick-input-widget .monaco-list-row");
      const focused = this.page.locator(".quick-input-widget .monaco-list-row.focused");
      return waitFor(
        `the focus on "${title}"`,
        async () => {
          const labels = await rows.evaluateAll((elements: ElementLike[]) => elements.map((row) => row.getAttribute("aria-label")));
          if (!labels.some(isTitle)) return false; // not listed yet
          if (isTitle(await focused.first().getAttribute("aria-label", { timeout: 1_000 }))) {
            await this.page.keyboard.press("Enter");
            return true;
          }
          await this.page.keyboard.press("ArrowDown");
          return false;
        },
        10_000,
      ).catch(() => false);
    });
  }

  /** Moves the cursor of the active editor to `line`:`column` (1-based) with Go to Line (Ctrl+G). */
  async goTo(line: number, column = 1): Promise<void> {
    await this.editor.locator(".view-lines").click();
    await this.page.keyboard.press("Control+G");
    const input = this.page.locator(".quick-input-widget input.input");
    await input.waitFor({ timeout: TIMEOUT });
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press("Enter");
    await waitFor(`the cursor at ${line}:${column}`, async () =>
      (await this.page.locator('[id="status.editor.selection"]').innerText()).startsWith(`Ln ${line}, Col ${column}`),
    );
  }

  /** The text of line `line` (1-based) of the active editor, if it is rendered (Monaco renders the visible lines). */
  async lineText(line: number): Promise<string | null> {
    return this.editor.evaluate((editor: ElementLike, wanted: number) => {
      const number = [...editor.querySelectorAll(".margin-view-overlays .line-numbers")].find((element) => element.textContent?.trim() === String(wanted));
      const top = number?.closest("div[style*='top']")?.style.top;
      if (top === undefined) return null;
      const text = [...editor.querySelectorAll(".view-lines .view-line")].find((element) => element.style.top === top);
      return text?.textContent?.replace(/\u00a0/g, " ") ?? null;
    }, line);
  }

  /** The rendered lines of the active editor that carry a squiggle of `kind`. */
  async squiggleLines(kind: "error" | "warning"): Promise<number[]> {
    return this.editor.evaluate((editor: ElementLike, squiggle: string) => {
      const lineAt = new Map<string, number>();
      for (const element of editor.querySelectorAll(".margin-view-overlays .line-numbers")) {
        const top = element.closest("div[style*='top']")?.style.top;
        if (top !== undefined) lineAt.set(top, Number(element.textContent?.trim()));
      }
      const lines = [...editor.querySelectorAll(`.view-overlays .${squiggle}`)].map((element) => lineAt.get(element.parentElement?.style.top ?? "") ?? -1);
      return [...new Set(lines)].sort((a, b) => a - b);
    }, `squiggly-${kind}`);
  }

  /** Opens (or reveals) the Problems panel. Ctrl+Shift+M toggles it, so it is pressed only when the panel is hidden. */
  async showProblems(): Promise<void> {
    const panel = this.page.locator(".markers-panel");
    if (!(await panel.isVisible())) await this.page.keyboard.press("Control+Shift+M");
    await panel.waitFor({ state: "visible", timeout: TIMEOUT });
  }

  /** The marker rows the Problems panel shows now (file headers left out). */
  async problemRows(): Promise<ProblemRow[]> {
    const raw = await this.page
      .locator(".markers-panel .monaco-list-row")
      .evaluateAll((rows: ElementLike[]) => rows.map((row) => ({ text: row.innerText ?? "", label: row.getAttribute("aria-label") ?? "" })));
    const rows: ProblemRow[] = [];
    for (const { text, label } of raw) {
      // "message \n source \n code \n [Ln L, Col C]"; the message may itself hold line breaks.
      const lines = text.split("\n").map((line) => line.trim()).filter((line) => line !== "");
      const position = /^\[Ln (\d+), Col (\d+)\]$/.exec(lines[lines.length - 1] ?? "");
      if (position === null || lines.length < 4) continue;
      rows.push({
        message: lines.slice(0, -3).join("\n"),
        source: lines[lines.length - 3]!,
        code: lines[lines.length - 2]!,
        line: Number(position[1]),
        column: Number(position[2]),
        label,
      });
    }
    return rows;
  }

  /** Waits until the Problems panel has a row matching `match`; returns it. */
  async waitForProblem(what: string, match: (row: ProblemRow) => boolean): Promise<ProblemRow> {
    await this.showProblems();
    return waitFor(`a Problems row: ${what}`, async () => (await this.problemRows()).find(match));
  }

  /** Waits until the Problems panel has no row matching `match`. */
  async waitForNoProblem(what: string, match: (row: ProblemRow) => boolean): Promise<void> {
    await this.showProblems();
    await waitFor(`no Problems row: ${what}`, async () => !(await this.problemRows()).some(match));
  }

  /**
   * Opens the quick-fix menu (Ctrl+.) at `line`:`column`, waits for an action whose title contains
   * `title`, moves the menu's focus onto it with the arrow keys and applies it with Enter (the menu
   * takes keys; a pointer block covers it for clicks). Returns every title the menu offered.
   */
  async applyQuickFix(line: number, column: number, title: string): Promise<string[]> {
    await this.goTo(line, column);
    const actions = this.page.locator(".action-widget .monaco-list-row.action");
    const titles = await waitFor(`a quick fix "${title}" at ${line}:${column}`, async () => {
      if (!(await actions.first().isVisible())) {
        await this.page.keyboard.press("Escape");
        await this.page.keyboard.press("Control+.");
        await actions.first().waitFor({ timeout: 10_000 }).catch(() => {});
      }
      const offered = await actions.evaluateAll((rows: ElementLike[]) => rows.map((row) => row.getAttribute("aria-label") ?? ""));
      return offered.some((offer) => offer.includes(title)) ? offered : undefined;
    });
    await waitFor(`the focus on "${title}" in the quick-fix menu`, async () => {
      const focused = (await this.page.locator(".action-widget .monaco-list-row.action.focused").getAttribute("aria-label")) ?? "";
      if (focused.includes(title)) return true;
      await this.page.keyboard.press("ArrowDown");
      return false;
    });
    await this.page.keyboard.press("Enter");
    await actions.first().waitFor({ state: "hidden", timeout: TIMEOUT });
    return titles;
  }

  /**
   * Saves the active editor (Ctrl+S) and waits until its tab shows no unsaved change. A no-op for a
   * saved file: VS Code saves files changed by a code action itself (`files.refactoring.autoSave`).
   * The write to disk may still be under way when the mark goes: callers that read the file poll it.
   */
  async save(): Promise<void> {
    await this.page.keyboard.press("Control+S");
    await waitFor("the active tab to be saved", async () => {
      const classes = (await this.page.locator(".editor-group-container.active .tab.active").first().getAttribute("class")) ?? "";
      return !classes.split(/\s+/).includes("dirty");
    });
  }

  /** The status bar item's state, read from its codicon (`$(check)` running, `$(error)` failed...). */
  async statusState(): Promise<StatusState> {
    const item = this.page.locator(STATUS_ITEM);
    if (!(await item.isVisible())) return "unknown";
    const icons = await item.locator(".codicon").evaluateAll((elements: ElementLike[]) => elements.map((element) => element.getAttribute("class") ?? ""));
    const icon = icons.join(" ");
    if (/\bcodicon-check\b/.test(icon)) return "running";
    if (/\bcodicon-sync\b/.test(icon)) return "starting";
    if (/\bcodicon-error\b/.test(icon)) return "error";
    if (/\bcodicon-circle-slash\b/.test(icon)) return "stopped";
    return "unknown";
  }

  /** Waits for the status bar item to show `state`. */
  async waitForStatus(state: StatusState): Promise<void> {
    await waitFor(`the corolint status bar item to show "${state}"`, async () => (await this.statusState()) === state);
  }

  /** The page inside the webview panel (VS Code nests it: the webview's iframe, then its active frame). */
  webview(): FrameLocator {
    return this.page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
  }
}

/** The few DOM members the page-side callbacks use (the tests are type-checked without the DOM's types). */
interface ElementLike {
  querySelector(selector: string): ElementLike | null;
  querySelectorAll(selector: string): Iterable<ElementLike>;
  closest(selector: string): ElementLike | null;
  getAttribute(name: string): string | null;
  readonly parentElement: ElementLike | null;
  readonly textContent: string | null;
  readonly innerText?: string;
  readonly style: { top: string };
}
