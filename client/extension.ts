/**
 * The corolint VS Code extension: starts the bundled language server (`dist/server.cjs`) over node
 * IPC, shows its state in the status bar and registers the commands. All checking happens in the
 * server, which runs the same core as the CLI. "Trace This File" runs the bundled CLI
 * (`dist/cli.cjs trace`) and hands the blocks it measured to the server.
 */
import * as vscode from "vscode";
import { commandIds } from "./commands";
import { createServerClient } from "./language-client";
import { ServerController } from "./server-controller";
import { TraceChannel } from "./trace-channel";
import { TraceController } from "./trace-controller";
import { VscodeHost } from "./vscode-host";

let controller: ServerController | undefined;

/** Called by VS Code on the first Python file (or the first corolint command). */
export function activate(context: vscode.ExtensionContext): void {
  const host = new VscodeHost();
  const traceChannel = new TraceChannel(host.outputChannel);
  const serverModule = context.asAbsolutePath("dist/server.cjs");
  const serverController = new ServerController(host, () =>
    createServerClient({
      serverModule,
      outputChannel: host.outputChannel,
      traceChannel,
      isWorkspaceTrusted: () => host.isWorkspaceTrusted(),
    }),
  );
  controller = serverController;
  const traceController = new TraceController(host, serverController, {
    cliPath: context.asAbsolutePath("dist/cli.cjs"),
    storageDir: (context.storageUri ?? context.globalStorageUri).fsPath,
  });

  context.subscriptions.push(
    host,
    traceChannel,
    host.registerCommand(commandIds.restartServer, () => serverController.restart()),
    host.registerCommand(commandIds.showOutput, () => host.showOutput()),
    host.registerCommand(commandIds.fixAll, () => serverController.fixAll()),
    host.registerCommand(commandIds.traceFile, () => traceController.traceActiveFile()),
    host.registerCommand(commandIds.clearRuntimeResults, () => traceController.clearRuntimeResults()),
    // In an untrusted workspace the server ignores the project's configuration files; once the
    // user trusts it, a new server is told so at initialize.
    host.onDidGrantWorkspaceTrust(() => {
      host.logInfo("The workspace is now trusted: restarting the server to read the project configuration.");
      void serverController.restart();
    }),
  );

  // Not awaited: activation must finish (and "Show Output" / "Restart Server" work) even when the
  // server hangs while starting. The controller reports failures in the status bar and the output.
  void serverController.start();
}

/** Called by VS Code on shutdown or when the extension is disabled: stops the server cleanly. */
export function deactivate(): Promise<void> | undefined {
  const stopping = controller?.stop();
  controller = undefined;
  return stopping;
}
