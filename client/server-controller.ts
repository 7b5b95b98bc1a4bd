/**
 * The language server's life in the editor: start, restart, stop, the status bar, and "Fix All".
 * Written against `EditorHost` and `ServerClient` (interfaces), so it runs without VS Code in a test.
 */
import { ApplyFixAllCommand, RuntimeBlocksNotification } from "../server/protocol";
import { lintedLanguageIds } from "./commands";
import type { DisposableLike, EditorHost } from "./host";
import { statusView, type ServerState } from "./server-status";

/** The language client's states as the controller sees them (vscode-languageclient's `State`). */
export type ClientState = "starting" | "running" | "stopped";

/** One connection to one server process; `language-client.ts` implements it with vscode-languageclient. */
export interface ServerClient {
  /** Starts the server and resolves once it answered `initialize`; rejects when it cannot start. */
  start(): Promise<void>;
  /** Shuts the server down; resolves at once when it is not running. */
  stop(): Promise<void>;
  /** Reports every state change, including the client's own restarts after a crash. */
  onStateChange(listener: (state: ClientState) => void): DisposableLike;
  /** Sends `workspace/executeCommand` and resolves with the server's answer. */
  executeCommand(command: string, args: unknown[]): Promise<unknown>;
  /** Sends a notification (corolint's own, such as `corolint/runtimeBlocks`). */
  sendNotification(method: string, params: unknown): Promise<void>;
}

/** Starts and restarts the server and keeps the status bar item in step with it. */
export class ServerController {
  private client: ServerClient | undefined;
  private clientListener: DisposableLike | undefined;
  private state: ServerState = "stopped";
  // Stopping on purpose also ends in the client's "stopped" state; only an unexpected stop is an error.
  private stoppingOnPurpose = false;
  // Start, restart and stop run one after another: a restart clicked during a start waits for it.
  private queue: Promise<void> = Promise.resolve();
  // The blocks of the last trace: a server that starts (or restarts after a crash) is sent them again.
  private runtimeBlocks: RuntimeBlocksNotification.Params | undefined;

  /** `createClient` makes a fresh client for each start: a client whose start failed cannot start again. */
  constructor(
    private readonly host: EditorHost,
    private readonly createClient: () => ServerClient,
  ) {}

  /** The state the status bar shows. */
  get currentState(): ServerState {
    return this.state;
  }

  /** Starts the server unless it runs already. Never rejects: failures show in the status bar and the output. */
  start(): Promise<void> {
    return this.enqueue(() => this.startNow());
  }

  /** Stops the server (if it runs) and starts a new one, e.g. after the workspace became trusted. */
  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.stopNow();
      await this.startNow();
    });
  }

  /** Stops the server, on deactivation. */
  stop(): Promise<void> {
    return this.enqueue(() => this.stopNow());
  }

  /** Asks the server to apply every safe fix to the active Python document. */
  async fixAll(): Promise<void> {
    const document = this.host.activeDocument();
    if (!document || !lintedLanguageIds.includes(document.languageId)) {
      this.host.showInformation("corolint: Fix All works on the active Python file; open one first.");
      return;
    }
    if (!this.client || this.state !== "running") {
      this.host.showInformation(`corolint: the language server is ${this.state}; Fix All needs it running.`);
      return;
    }
    // The version makes the server refuse (ContentModified) rather than fix text the user has not seen.
    const args: ApplyFixAllCommand.Arguments = [document.uri, document.version];
    try {
      await this.client.executeCommand(ApplyFixAllCommand.id, args);
    } catch (error) {
      this.host.logError(`Fix All failed for ${document.uri}`, error);
      this.host.showError("corolint: Fix All failed; see the corolint output for details.");
    }
  }

  /**
   * Hands the blocks of a trace to the server (an empty list clears them). Kept, so that a server
   * that is not running yet, or restarts, gets them when it is.
   */
  async setRuntimeBlocks(params: RuntimeBlocksNotification.Params): Promise<void> {
    this.runtimeBlocks = params.blocks.length > 0 ? params : undefined;
    if (this.client && this.state === "running") await this.sendRuntimeBlocks(this.client, params);
  }

  private async sendRuntimeBlocks(client: ServerClient, params: RuntimeBlocksNotification.Params): Promise<void> {
    try {
      await client.sendNotification(RuntimeBlocksNotification.method, params);
    } catch (error) {
      this.host.logError("Sending the runtime results to the server failed", error);
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(step, step);
    return this.queue;
  }

  private async startNow(): Promise<void> {
    if (this.client) return;
    const client = this.createClient();
    this.client = client;
    this.clientListener = client.onStateChange((state) => this.onClientState(client, state));
    this.show("starting");
    try {
      await client.start();
      this.show("running");
    } catch (error) {
      this.host.logError("The corolint language server did not start", error);
      this.show("error", "It did not start; the output says why.");
    }
  }

  private async stopNow(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.stoppingOnPurpose = true;
    try {
      await client.stop();
    } catch (error) {
      // A server that does not shut down cleanly is still gone for us; log it and carry on.
      this.host.logError("Stopping the corolint language server failed", error);
    } finally {
      this.stoppingOnPurpose = false;
      this.clientListener?.dispose();
      this.clientListener = undefined;
      this.client = undefined;
    }
    this.show("stopped");
  }

  private onClientState(client: ServerClient, state: ClientState): void {
    if (client !== this.client) return; // a late event from a client already replaced
    if (state === "stopped") {
      if (!this.stoppingOnPurpose) this.show("error", "It stopped unexpectedly.");
      return;
    }
    this.show(state);
    // Every server that comes up (the first, a restart, the client's own restart after a crash)
    // starts without the last trace's blocks.
    if (state === "running" && this.runtimeBlocks) void this.sendRuntimeBlocks(client, this.runtimeBlocks);
  }

  private show(state: ServerState, detail?: string): void {
    this.state = state;
    this.host.showStatus(statusView(state, detail));
  }
}
