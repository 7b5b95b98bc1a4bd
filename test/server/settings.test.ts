/**
 * Settings over a real server process: editor settings pulled with `workspace/configuration`, the
 * project's pyproject.toml / corolint.json (honoured only in a trusted workspace), broken files,
 * `exclude`, `run: onSave`, and the changes that make open documents be analysed again.
 */
import { describe, expect, it } from "vitest";
import { DidChangeConfigurationNotification, DidChangeWatchedFilesNotification, FileChangeType, type Diagnostic } from "vscode-languageserver-protocol/node";
import { BLOCKING, fileUri, LspClient, makeWorkspace, PULL_CAPABILITIES, sleep, waitFor, writeWorkspaceFiles } from "./lsp-client";

/** `time.sleep` (blocking-call, error) and a dropped task (dangling-task, warning). */
const TWO_RULES = "import asyncio\nimport time\nasync def f():\n    time.sleep(1)\n    asyncio.create_task(f())\n";

const rulesOf = (diagnostics: Diagnostic[]) => diagnostics.map((d) => d.code);

describe("editor settings", () => {
  it("are pulled per document, and a configuration change re-analyses open documents", async () => {
    const dir = makeWorkspace();
    const client = await LspClient.start({ workspaceFolders: [dir] });
    const uri = fileUri(dir, "app.py");
    await client.open(uri, TWO_RULES);
    expect(rulesOf((await client.diagnostics(uri, 1)).diagnostics)).toEqual(["blocking-call", "dangling-task"]);
    expect(client.configurationRequests).toContainEqual({ scopeUri: uri, section: "corolint" });

    client.settings = () => ({ rules: { "blocking-call": "off", "dangling-task": "error" } });
    const before = client.published.length;
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    const after = await client.diagnostics(uri, 1, before);
    expect(after.diagnostics.map((d) => [d.code, d.severity])).toEqual([["dangling-task", 1]]);

    client.settings = () => ({ enable: false });
    const beforeDisable = client.published.length;
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    expect((await client.diagnostics(uri, 1, beforeDisable)).diagnostics).toEqual([]);
    expect(await client.shutdown()).toBe(0);
  });

  it("ask a pulling client to pull again when they change", async () => {
    const client = await LspClient.start({ capabilities: PULL_CAPABILITIES });
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    await waitFor("a diagnostic refresh", () => client.refreshes > 0);
    expect(await client.shutdown()).toBe(0);
  });

  it("warn about a setting of the wrong shape and keep the others", async () => {
    const dir = makeWorkspace();
    const client = await LspClient.start({ settings: () => ({ run: "sometimes", rules: { "blocking-cal": "off", "dangling-task": "loud" } }) });
    const uri = fileUri(dir, "app.py");
    await client.open(uri, TWO_RULES);
    expect(rulesOf((await client.diagnostics(uri, 1)).diagnostics)).toEqual(["blocking-call", "dangling-task"]);
    const warnings = client.messages.map((message) => message.message);
    expect(warnings).toEqual([
      expect.stringContaining('corolint.run: expected "onType" or "onSave"'),
      expect.stringContaining('unknown rule id "blocking-cal"'),
      expect.stringContaining("corolint.rules.dangling-task"),
    ]);
    expect(await client.shutdown()).toBe(0);
  });

  it("with run: onSave, analyse on open and save but not while typing", async () => {
    const dir = makeWorkspace();
    const client = await LspClient.start({ settings: () => ({ run: "onSave" }) });
    const uri = fileUri(dir, "app.py");
    await client.open(uri, BLOCKING);
    expect(rulesOf((await client.diagnostics(uri, 1)).diagnostics)).toEqual(["blocking-call"]);
    await client.change(uri, 2, [{ range: { start: { line: 2, character: 4 }, end: { line: 2, character: 4 } }, text: "# " }]);
    await sleep(300);
    expect(client.published.filter((params) => params.uri === uri).map((params) => params.version)).toEqual([1]);
    await client.save(uri);
    expect((await client.diagnostics(uri, 2)).diagnostics).toEqual([]);
    expect(await client.shutdown()).toBe(0);
  });
});

describe("project configuration", () => {
  const PYPROJECT_IGNORE = '[project]\nname = "shop"\n\n[tool.corolint]\nignore = ["blocking-call"]\nexclude = ["generated/"]\n';

  it("honours pyproject.toml [tool.corolint]: ignore and exclude", async () => {
    const dir = makeWorkspace({ "pyproject.toml": PYPROJECT_IGNORE });
    const client = await LspClient.start({ workspaceFolders: [dir] });
    const app = fileUri(dir, "src/app.py");
    await client.open(app, TWO_RULES);
    expect(rulesOf((await client.diagnostics(app, 1)).diagnostics)).toEqual(["dangling-task"]);
    const generated = fileUri(dir, "generated/models.py");
    await client.open(generated, TWO_RULES);
    expect((await client.diagnostics(generated, 1)).diagnostics).toEqual([]);
    // The editor's severities go on top of the project's.
    client.settings = () => ({ rules: { "dangling-task": "info" } });
    const before = client.published.length;
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    const after = await client.diagnostics(app, 1, before);
    expect(after.diagnostics.map((d) => [d.code, d.severity])).toEqual([["dangling-task", 3]]);
    expect(await client.shutdown()).toBe(0);
  });

  it("is not read at all in an untrusted workspace", async () => {
    const dir = makeWorkspace({ "pyproject.toml": PYPROJECT_IGNORE, "corolint.json": "{ not even json" });
    const client = await LspClient.start({ workspaceFolders: [dir], initializationOptions: { debounceMs: 0, workspaceTrusted: false } });
    const app = fileUri(dir, "src/app.py");
    await client.open(app, TWO_RULES);
    expect(rulesOf((await client.diagnostics(app, 1)).diagnostics)).toEqual(["blocking-call", "dangling-task"]);
    expect(client.messages).toEqual([]);
    // Source files are still watched (for the workspace index), configuration files are not.
    const watched = client.registrations
      .filter((registration) => registration.method === "workspace/didChangeWatchedFiles")
      .flatMap((registration) => (registration.registerOptions as { watchers: { globPattern: string }[] }).watchers.map((w) => w.globPattern));
    expect(watched).toEqual(["**/*.{py,pyi,ts,tsx,mts,cts,js,jsx,mjs,cjs}"]);
    expect(await client.shutdown()).toBe(0);
  });

  it("shows a broken file once, naming the file and key, and analyses with defaults meanwhile", async () => {
    const dir = makeWorkspace({ "pyproject.toml": '[tool.corolint]\nseverity = { "blocking-cal" = "error" }\n' });
    const client = await LspClient.start({ workspaceFolders: [dir] });
    const first = fileUri(dir, "a.py");
    const second = fileUri(dir, "b.py");
    await client.open(first, TWO_RULES);
    await client.open(second, TWO_RULES);
    expect(rulesOf((await client.diagnostics(first, 1)).diagnostics)).toEqual(["blocking-call", "dangling-task"]);
    expect(rulesOf((await client.diagnostics(second, 1)).diagnostics)).toEqual(["blocking-call", "dangling-task"]);
    expect(client.messages).toEqual([
      {
        type: 2,
        message: expect.stringMatching(/^corolint: pyproject\.toml: \[tool\.corolint\] severity\.blocking-cal: unknown rule id "blocking-cal" \(did you mean "blocking-call"\?\)/),
      },
    ]);

    // Fixing the file (the client's watcher reports it) re-analyses the open documents with it.
    writeWorkspaceFiles(dir, { "pyproject.toml": '[tool.corolint]\nseverity = { "blocking-call" = "off" }\n' });
    const before = client.published.length;
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri: fileUri(dir, "pyproject.toml"), type: FileChangeType.Changed }],
    });
    expect(rulesOf((await client.diagnostics(first, 1, before)).diagnostics)).toEqual(["dangling-task"]);
    expect(rulesOf((await client.diagnostics(second, 1, before)).diagnostics)).toEqual(["dangling-task"]);
    expect(client.messages).toHaveLength(1);
    expect(await client.shutdown()).toBe(0);
  });

  it("applies each workspace folder's own configuration", async () => {
    const shop = makeWorkspace({ "corolint.json": JSON.stringify({ ignore: ["dangling-task"] }) });
    const worker = makeWorkspace({ "pyproject.toml": '[tool.corolint]\nselect = ["dangling-task"]\n' });
    const client = await LspClient.start({ workspaceFolders: [shop, worker] });
    const inShop = fileUri(shop, "app.py");
    const inWorker = fileUri(worker, "app.py");
    await client.open(inShop, TWO_RULES);
    await client.open(inWorker, TWO_RULES);
    expect(rulesOf((await client.diagnostics(inShop, 1)).diagnostics)).toEqual(["blocking-call"]);
    expect(rulesOf((await client.diagnostics(inWorker, 1)).diagnostics)).toEqual(["dangling-task"]);
    expect(await client.shutdown()).toBe(0);
  });
});
