/**
 * How the status bar item presents the language server's state. Pure, so it can be tested without VS Code.
 */

/** Where the language server is in its life. "error" means it failed to start or stopped on its own. */
export type ServerState = "starting" | "running" | "stopped" | "error";

/** What the status bar item shows for one state. */
export interface StatusView {
  /** Label with a codicon (`$(name)`), as `StatusBarItem.text` takes it. */
  text: string;
  /** Hover text: the state in words, and what clicking does. */
  tooltip: string;
  /** Whether the item gets the error background, so a dead server is noticed. */
  isError: boolean;
}

const clickHint = "Click to show the corolint output.";

/** The status bar view for `state`; `detail` (e.g. why the server failed) is added to the tooltip. */
export function statusView(state: ServerState, detail?: string): StatusView {
  const extra = detail ? `\n${detail}` : "";
  switch (state) {
    case "starting":
      return { text: "$(sync~spin) corolint", tooltip: `corolint: the language server is starting.${extra}\n${clickHint}`, isError: false };
    case "running":
      return { text: "$(check) corolint", tooltip: `corolint: the language server is running.${extra}\n${clickHint}`, isError: false };
    case "stopped":
      return { text: "$(circle-slash) corolint", tooltip: `corolint: the language server is stopped.${extra}\n${clickHint}`, isError: false };
    case "error":
      return {
        text: "$(error) corolint",
        tooltip: `corolint: the language server failed.${extra}\nRun "corolint: Restart Server" to try again. ${clickHint}`,
        isError: true,
      };
  }
}
