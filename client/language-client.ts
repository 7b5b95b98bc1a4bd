/**
 * Builds the vscode-languageclient `LanguageClient` for the bundled server (`dist/server.cjs`, over
 * node IPC) and adapts it to the controller's `ServerClient` interface.
 */
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { SETTINGS_SECTION, type InitializationOptions } from "../server/protocol";
import { lintedLanguageIds } from "./commands";
import type { ClientState, ServerClient } from "./server-controller";
import type { TraceChannel } from "./trace-channel";

/** What the client needs from the extension. */
export interface LanguageClientSetup {
  /** Absolute path of the server bundle, `<extension>/dist/server.cjs`. */
  serverModule: string;
  /** The "corolint" output channel. */
  outputChannel: vscode.LogOutputChannel;
  /** The same channel for the JSON-RPC trace, following `corolint.trace.server`. */
  traceChannel: TraceChannel;
  /**
   * Watchers for the project configuration files (`pyproject.toml`, `corolint.json`); the server
   * re-lints when one changes. Owned by the extension: the client does not dispose them, and every
   * restart reuses them.
   */
  /** Asked at every start, so a restart after the user grants trust tells the server. */
  isWorkspaceTrusted: () => boolean;
}

/** The port "Attach to Server" in `.vscode/launch.json` attaches to. */
export const serverDebugPort = 6009;

/** A `ServerClient` over a new `LanguageClient` for the bundled server. */
export function createServerClient(setup: LanguageClientSetup): ServerClient {
  const serverOptions: ServerOptions = {
    run: { module: setup.serverModule, transport: TransportKind.ipc },
    // Used when the extension host itself runs under a debugger ("Run Extension"): the server then
    // listens for "Attach to Server" without waiting for it; --nolazy keeps early breakpoints exact.
    debug: {
      module: setup.serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: ["--nolazy", `--inspect=${serverDebugPort}`] },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      ...lintedLanguageIds.map((language) => ({ scheme: "file", language })),
      ...lintedLanguageIds.map((language) => ({ scheme: "untitled", language })),
    ],
    // No `configurationSection`: the server registers for `corolint` setting changes itself and
    // pulls settings per document (workspace/configuration); a static section would notify twice.
    // No `synchronize.fileEvents` either: the server registers its own watchers, for the source files
    // its workspace index reads (blocking-call-transitive) and, only in a trusted workspace, where it
    // reads them, for pyproject.toml and corolint.json.
    // A function, so each start (and each restart) reports the trust of that moment.
    initializationOptions: (): InitializationOptions => ({ workspaceTrusted: setup.isWorkspaceTrusted() }),
    outputChannel: setup.outputChannel,
    traceOutputChannel: setup.traceChannel,
  };
  // The id is the settings prefix: the client reads `corolint.trace.server` from it.
  const client = new LanguageClient(SETTINGS_SECTION, "corolint", serverOptions, clientOptions);
  return {
    start: () => client.start(),
    async stop() {
      // LanguageClient.stop throws unless the client is running: wait for a start in progress
      // (e.g. its own restart after a crash), and there is nothing to stop after a failed start.
      if (client.state === State.Starting) await client.start().catch(() => undefined);
      if (client.isRunning()) await client.stop();
    },
    onStateChange: (listener) => client.onDidChangeState((event) => listener(clientState(event.newState))),
    executeCommand: (command, args) => client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }),
    sendNotification: (method, params) => client.sendNotification(method, params),
  };
}

function clientState(state: State): ClientState {
  switch (state) {
    case State.Starting:
      return "starting";
    case State.Running:
      return "running";
    case State.Stopped:
    case State.StartFailed:
      return "stopped";
  }
}
