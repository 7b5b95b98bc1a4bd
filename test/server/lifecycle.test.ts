/**
 * The server as a process: what it advertises, how it answers requests it cannot serve, and how it
 * ends. Each test talks to `node dist/cli.cjs server --stdio` over real pipes.
 */
import { describe, expect, it } from "vitest";
import {
  CodeActionRequest,
  CodeActionResolveRequest,
  DocumentDiagnosticRequest,
  ErrorCodes,
  ExecuteCommandRequest,
  ResponseError,
} from "vscode-languageserver-protocol/node";
import { BLOCKING, CLEAN, fileUri, LspClient, makeWorkspace, PULL_CAPABILITIES, sleep } from "./lsp-client";

const CODE_ACTION_RANGE = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** The error a request failed with (the test fails if it succeeded). */
async function errorOf(promise: Promise<unknown>): Promise<ResponseError<unknown>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ResponseError) return error;
    throw error;
  }
  throw new Error("the request succeeded");
}

describe("initialize", () => {
  it("advertises incremental sync, code actions, the fix-all command, and push diagnostics to a client without pull", async () => {
    const client = await LspClient.start();
    const { capabilities, serverInfo } = client.initializeResult;
    expect(serverInfo?.name).toBe("corolint");
    expect(capabilities.textDocumentSync).toMatchObject({ openClose: true, change: 2, save: { includeText: false } });
    expect(capabilities.codeActionProvider).toEqual({
      codeActionKinds: ["quickfix", "source.fixAll", "source.fixAll.corolint"],
      resolveProvider: true,
    });
    expect(capabilities.executeCommandProvider).toEqual({ commands: ["corolint.applyFixAll"] });
    expect(capabilities.diagnosticProvider).toBeUndefined();
    expect(capabilities.workspace?.workspaceFolders).toEqual({ supported: true, changeNotifications: true });
    // Source files (the workspace index) and the configuration files are watched through a dynamic registration.
    await sleep(100);
    const watcher = client.registrations.find((registration) => registration.method === "workspace/didChangeWatchedFiles");
    expect(watcher?.registerOptions).toEqual({
      watchers: [{ globPattern: "**/*.{py,pyi,ts,tsx,mts,cts,js,jsx,mjs,cjs}" }, { globPattern: "**/pyproject.toml" }, { globPattern: "**/corolint.json" }],
    });
    expect(await client.shutdown()).toBe(0);
  });

  it("offers pull diagnostics to a client that has them", async () => {
    const client = await LspClient.start({ capabilities: PULL_CAPABILITIES });
    expect(client.initializeResult.capabilities.diagnosticProvider).toEqual({
      identifier: "corolint",
      interFileDependencies: false,
      workspaceDiagnostics: false,
    });
    expect(await client.shutdown()).toBe(0);
  });
});

describe("requests it cannot serve", () => {
  it("answers malformed requests with errors, ignores garbage, and keeps serving", async () => {
    const client = await LspClient.start({ capabilities: PULL_CAPABILITIES });
    const { connection } = client;
    const dir = makeWorkspace();
    const uri = fileUri(dir, "app.py");
    await client.open(uri, BLOCKING);

    expect((await errorOf(connection.sendRequest("corolint/noSuchMethod", {}))).code).toBe(ErrorCodes.MethodNotFound);
    expect((await errorOf(connection.sendRequest(CodeActionRequest.method, {}))).code).toBe(ErrorCodes.InvalidParams);
    expect(
      (await errorOf(connection.sendRequest(CodeActionRequest.method, { textDocument: { uri }, range: "everything", context: { diagnostics: [] } })))
        .code,
    ).toBe(ErrorCodes.InvalidParams);
    expect((await errorOf(connection.sendRequest(DocumentDiagnosticRequest.method, { textDocument: 42 }))).code).toBe(ErrorCodes.InvalidParams);
    expect((await errorOf(connection.sendRequest(ExecuteCommandRequest.method, { command: "corolint.nope" }))).code).toBe(ErrorCodes.InvalidParams);
    expect(
      (await errorOf(connection.sendRequest(ExecuteCommandRequest.method, { command: "corolint.applyFixAll", arguments: [42] }))).code,
    ).toBe(ErrorCodes.InvalidParams);
    expect((await errorOf(connection.sendRequest(CodeActionResolveRequest.method, { notTitle: true }))).code).toBe(ErrorCodes.InvalidParams);
    // A notification with nonsense parameters has no one to answer to; it must not take the server down.
    await connection.sendNotification("textDocument/didChange", { textDocument: { uri } });
    await connection.sendNotification("textDocument/didOpen", {});

    // A framed message whose body is not JSON, then one that is JSON but not JSON-RPC. (Bytes that are
    // not even framed are vscode-jsonrpc's to resynchronise: it drops the bad header block, but reads
    // what came in the same chunk after it only when more input arrives.)
    const garbage = "{this is not json";
    client.writeRaw(`Content-Length: ${Buffer.byteLength(garbage)}\r\n\r\n${garbage}`);
    const notRpc = JSON.stringify({ hello: "world" });
    client.writeRaw(`Content-Length: ${Buffer.byteLength(notRpc)}\r\n\r\n${notRpc}`);

    // Still serving, with the document it had before.
    const report = await connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } });
    expect(report.kind === "full" && report.items.map((item) => item.code)).toEqual(["blocking-call"]);
    expect(client.child.exitCode).toBeNull();
    expect(await client.shutdown()).toBe(0);
  });

  it("returns empty results for documents it does not have", async () => {
    const client = await LspClient.start({ capabilities: PULL_CAPABILITIES });
    const { connection } = client;
    const uri = fileUri(makeWorkspace(), "never-opened.py");
    expect(await connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: CODE_ACTION_RANGE, context: { diagnostics: [] } })).toEqual(
      [],
    );
    expect(await connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } })).toEqual({ kind: "full", items: [] });
    expect(await connection.sendRequest(ExecuteCommandRequest.type, { command: "corolint.applyFixAll", arguments: [uri] })).toBeNull();
    const action = { title: "Ignore blocking-call on this line", data: { kind: "ignore", uri, version: 1, rule: "blocking-call", range: CODE_ACTION_RANGE } };
    expect(await connection.sendRequest(CodeActionResolveRequest.type, action)).toEqual(action);
    expect(await client.shutdown()).toBe(0);
  });

  it("ignores documents that are not Python", async () => {
    const client = await LspClient.start({ capabilities: PULL_CAPABILITIES });
    const dir = makeWorkspace();
    const notes = fileUri(dir, "notes.txt");
    await client.open(notes, BLOCKING, 1, "plaintext");
    const report = await client.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri: notes } });
    expect(report).toMatchObject({ kind: "full", items: [] });
    // A .py file is Python whatever language id the client gives it.
    const script = fileUri(dir, "script.py");
    await client.open(script, BLOCKING, 1, "plaintext");
    const scriptReport = await client.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri: script } });
    expect(scriptReport.kind === "full" && scriptReport.items).toHaveLength(1);
    expect(await client.shutdown()).toBe(0);
  });
});

describe("shutdown", () => {
  it("exits with 0 after shutdown and exit, with documents open and analyses pending", async () => {
    const client = await LspClient.start({ initializationOptions: { debounceMs: 5_000 } });
    const uri = fileUri(makeWorkspace(), "app.py");
    await client.open(uri, CLEAN);
    await client.change(uri, 2, [{ text: BLOCKING }]);
    expect(await client.shutdown()).toBe(0);
    expect(client.stderr).toBe("");
  });

  it("exits with 1 when the client exits without shutting down", async () => {
    const client = await LspClient.start();
    const exited = new Promise<number | null>((resolve) => client.child.once("exit", resolve));
    await client.connection.sendNotification("exit");
    expect(await exited).toBe(1);
    client.kill();
  });
});
