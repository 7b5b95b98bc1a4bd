/**
 * blocking-call-transitive over a real server process: the workspace is indexed in the background,
 * the chain's hops reach the client as relatedInformation in other files, and the index follows
 * edits of an open helper (didChange) and changes on disk of a helper that is not open
 * (didChangeWatchedFiles), re-publishing only the open documents that call into it.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DidChangeWatchedFilesNotification,
  DocumentDiagnosticRequest,
  FileChangeType,
  type Diagnostic,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";
import { BLOCKING, fileUri, LspClient, makeWorkspace, PULL_CAPABILITIES, waitFor } from "./lsp-client";

const HANDLER = ["from helpers import load_user", "", "", "async def handle(user_id):", "    return load_user(user_id)", ""].join("\n");
const HELPERS = [
  "import requests",
  "",
  "",
  "def fetch_row(user_id):",
  '    return requests.get("https://db/" + user_id)',
  "",
  "",
  "def load_user(user_id):",
  "    return fetch_row(user_id)",
  "",
].join("\n");
/** Line 4 of HELPERS without the blocking call. */
const FETCH_LINE = '    return requests.get("https://db/" + user_id)';
const CLEAN_FETCH_LINE = '    return {"id": user_id}';

const STORE_CLEAN = ["def save(row):", "    return row", ""].join("\n");
const STORE_BLOCKING = ["import time", "", "", "def save(row):", "    time.sleep(1)", "    return row", ""].join("\n");
const SAVER = ["from store import save", "", "", "async def persist(row):", "    save(row)", ""].join("\n");

const transitive = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => d.code === "blocking-call-transitive");

describe("blocking-call-transitive in the editor", () => {
  let client: LspClient;
  let dir: string;
  beforeAll(async () => {
    dir = makeWorkspace({ "handler.py": HANDLER, "helpers.py": HELPERS, "store.py": STORE_CLEAN, "saver.py": SAVER, "other.py": BLOCKING });
    client = await LspClient.start({ workspaceFolders: [dir] });
    // The folders are indexed in the background; the server says when it is done.
    await waitFor("the workspace index", () => client.logs.find((log) => /indexed \d+ file/.test(log.message)));
  });
  afterAll(async () => {
    expect(await client.shutdown()).toBe(0);
  });

  /** The first publish for `uri` after the first `after` publishes that satisfies `test`. */
  const publishFor = (uri: string, after: number, test: (params: PublishDiagnosticsParams) => boolean) =>
    waitFor(`diagnostics for ${uri}`, () => client.published.slice(after).find((params) => params.uri === uri && test(params)));

  it("registers a watcher for source files", () => {
    const watchers = client.registrations
      .filter((registration) => registration.method === DidChangeWatchedFilesNotification.method)
      .flatMap((registration) => (registration.registerOptions as { watchers: { globPattern: string }[] }).watchers.map((w) => w.globPattern));
    expect(watchers).toContain("**/*.{py,pyi,ts,tsx,mts,cts,js,jsx,mjs,cjs}");
  });

  it("reports the call into a helper module, with every hop as related information", async () => {
    const uri = fileUri(dir, "handler.py");
    await client.open(uri, HANDLER);
    const { diagnostics } = await client.diagnostics(uri, 1);
    const [finding] = transitive(diagnostics);
    expect(finding).toMatchObject({
      range: { start: { line: 4, character: 11 }, end: { line: 4, character: 29 } },
      source: "corolint",
      message: expect.stringContaining("requests.get()"),
    });
    const helpers = fileUri(dir, "helpers.py");
    expect(finding!.relatedInformation?.map((info) => [info.location.uri, info.location.range.start.line, info.location.range.start.character])).toEqual([
      [helpers, 8, 11],
      [helpers, 4, 11],
    ]);
  });

  it("re-publishes the caller when an open helper is edited, and only the callers", async () => {
    const handler = fileUri(dir, "handler.py");
    const helpers = fileUri(dir, "helpers.py");
    const other = fileUri(dir, "other.py");
    await client.open(other, BLOCKING);
    await client.diagnostics(other, 1);
    await client.open(helpers, HELPERS);
    await client.diagnostics(helpers, 1);
    const otherPublishes = () => client.published.filter((params) => params.uri === other).length;
    const otherBefore = otherPublishes();

    // Remove the blocking call at the end of the chain.
    let after = client.published.length;
    const line4 = { start: { line: 4, character: 0 }, end: { line: 4, character: FETCH_LINE.length } };
    await client.change(helpers, 2, [{ range: line4, text: CLEAN_FETCH_LINE }]);
    const cleared = await publishFor(handler, after, (params) => transitive(params.diagnostics).length === 0);
    expect(cleared.version).toBe(1);

    // And put it back: the finding returns.
    after = client.published.length;
    const cleanLine4 = { start: { line: 4, character: 0 }, end: { line: 4, character: CLEAN_FETCH_LINE.length } };
    await client.change(helpers, 3, [{ range: cleanLine4, text: FETCH_LINE }]);
    const back = await publishFor(handler, after, (params) => transitive(params.diagnostics).length === 1);
    expect(transitive(back.diagnostics)[0]!.relatedInformation).toHaveLength(2);

    // A line typed above the blocking call, inside `fetch_row` (the helper's analysis re-summarizes
    // that function and moves `load_user`): both hops move down a line in the caller's finding.
    after = client.published.length;
    const start4 = { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } };
    await client.change(helpers, 4, [{ range: start4, text: "    user_id = str(user_id)\n" }]);
    const hopLines = (params: PublishDiagnosticsParams) =>
      transitive(params.diagnostics)[0]?.relatedInformation?.map((info) => info.location.range.start.line).join(",");
    const moved = await publishFor(handler, after, (params) => hopLines(params) === "9,5");
    expect(moved.version).toBe(1);

    // other.py calls nothing of helpers.py: it was not analysed again.
    expect(otherPublishes()).toBe(otherBefore);
  });

  it("follows a helper that is not open when it changes on disk", async () => {
    const saver = fileUri(dir, "saver.py");
    await client.open(saver, SAVER);
    expect(transitive((await client.diagnostics(saver, 1)).diagnostics)).toEqual([]);

    const after = client.published.length;
    writeFileSync(join(dir, "store.py"), STORE_BLOCKING);
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri: fileUri(dir, "store.py"), type: FileChangeType.Changed }],
    });
    const updated = await publishFor(saver, after, (params) => transitive(params.diagnostics).length === 1);
    const [finding] = transitive(updated.diagnostics);
    expect(finding!.message).toContain("time.sleep()");
    expect(finding!.relatedInformation?.[0]?.location).toMatchObject({ uri: fileUri(dir, "store.py"), range: { start: { line: 4, character: 4 } } });

    // Deleted on disk: the chain is gone.
    const later = client.published.length;
    rmSync(join(dir, "store.py"));
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri: fileUri(dir, "store.py"), type: FileChangeType.Deleted }],
    });
    await publishFor(saver, later, (params) => transitive(params.diagnostics).length === 0);
  });
});

describe("blocking-call-transitive in the editor, after a configuration change", () => {
  const CACHE = ["import mylib", "", "", "def warm():", "    return mylib.fill()", ""].join("\n");
  const STARTUP = ["from cache import warm", "", "", "async def startup():", "    warm()", ""].join("\n");

  it("indexes the workspace again: a helper's call named in extra-blocking-calls now blocks", async () => {
    const dir = makeWorkspace({ "cache.py": CACHE, "startup.py": STARTUP, "pyproject.toml": "[tool.corolint]\n" });
    const client = await LspClient.start({ workspaceFolders: [dir], initializationOptions: { debounceMs: 0, workspaceTrusted: true } });
    try {
      await waitFor("the workspace index", () => client.logs.find((log) => /indexed \d+ file/.test(log.message)));
      const uri = fileUri(dir, "startup.py");
      await client.open(uri, STARTUP);
      expect(transitive((await client.diagnostics(uri, 1)).diagnostics)).toEqual([]);
      const after = client.published.length;
      writeFileSync(join(dir, "pyproject.toml"), '[tool.corolint]\nextra-blocking-calls = ["mylib.fill"]\n');
      await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
        changes: [{ uri: fileUri(dir, "pyproject.toml"), type: FileChangeType.Changed }],
      });
      const updated = await waitFor("the finding after the change", () =>
        client.published.slice(after).find((params) => params.uri === uri && transitive(params.diagnostics).length === 1),
      );
      expect(transitive(updated.diagnostics)[0]!.message).toContain("mylib.fill()");
    } finally {
      expect(await client.shutdown()).toBe(0);
    }
  });
});

describe("blocking-call-transitive in the editor, pull diagnostics", () => {
  it("asks the client to pull again when an open helper changes, and the caller's report is new", async () => {
    const dir = makeWorkspace({ "handler.py": HANDLER, "helpers.py": HELPERS });
    const client = await LspClient.start({ workspaceFolders: [dir], capabilities: PULL_CAPABILITIES });
    try {
      await waitFor("the workspace index", () => client.logs.find((log) => /indexed \d+ file/.test(log.message)));
      const handler = fileUri(dir, "handler.py");
      const helpers = fileUri(dir, "helpers.py");
      await client.open(handler, HANDLER);
      await client.open(helpers, HELPERS);
      const first = await client.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri: handler } });
      expect(first.kind === "full" ? transitive(first.items).length : -1).toBe(1);

      const refreshes = client.refreshes;
      const line4 = { start: { line: 4, character: 0 }, end: { line: 4, character: FETCH_LINE.length } };
      await client.change(helpers, 2, [{ range: line4, text: CLEAN_FETCH_LINE }]);
      // The helper is analysed when pulled; its new summary makes the server ask for a refresh.
      await client.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri: helpers } });
      await waitFor("a diagnostic refresh", () => client.refreshes > refreshes || undefined);
      const again = await client.connection.sendRequest(DocumentDiagnosticRequest.type, {
        textDocument: { uri: handler },
        previousResultId: first.resultId,
      });
      expect(again.kind).toBe("full");
      expect(again.kind === "full" ? transitive(again.items) : null).toEqual([]);
    } finally {
      expect(await client.shutdown()).toBe(0);
    }
  });
});

describe("blocking-call-transitive in the editor, TypeScript", () => {
  it("reports a call into a helper module that reads a file synchronously", async () => {
    const dir = makeWorkspace({
      "config.ts": ['import { readFileSync } from "node:fs";', "", "export function readConfig(path: string) {", '  return JSON.parse(readFileSync(path, "utf8"));', "}", ""].join("\n"),
    });
    const client = await LspClient.start({ workspaceFolders: [dir] });
    try {
      await waitFor("the workspace index", () => client.logs.find((log) => /indexed \d+ file/.test(log.message)));
      const uri = fileUri(dir, "start.ts");
      const text = ['import { readConfig } from "./config";', "", "export async function start(path: string) {", "  return readConfig(path).port;", "}", ""].join("\n");
      writeFileSync(join(dir, "start.ts"), text);
      await client.open(uri, text, 1, "typescript");
      const [finding] = transitive((await client.diagnostics(uri, 1)).diagnostics);
      expect(finding).toMatchObject({ range: { start: { line: 3, character: 9 } }, message: expect.stringContaining("readFileSync") });
      expect(finding!.relatedInformation?.[0]?.location).toMatchObject({ uri: fileUri(dir, "config.ts"), range: { start: { line: 3 } } });
    } finally {
      expect(await client.shutdown()).toBe(0);
    }
  });

  it("follows tsconfig `paths` in files indexed from disk", async () => {
    const dir = makeWorkspace({
      "tsconfig.json": JSON.stringify({ compilerOptions: { module: "ESNext", moduleResolution: "Bundler", baseUrl: ".", paths: { "@lib/*": ["lib/*"] } } }),
      "lib/clock.ts": ['import { execSync } from "node:child_process";', "", "export function now() {", '  return execSync("date").toString();', "}", ""].join("\n"),
      // Not open: its summary comes from disk, and its alias must resolve there too.
      "report.ts": ['import { now } from "@lib/clock";', "", "export function stamp() {", "  return now();", "}", ""].join("\n"),
    });
    const client = await LspClient.start({ workspaceFolders: [dir] });
    try {
      await waitFor("the workspace index", () => client.logs.find((log) => /indexed \d+ file/.test(log.message)));
      const uri = fileUri(dir, "start.ts");
      const text = ['import { stamp } from "./report";', "", "export async function start() {", "  return stamp();", "}", ""].join("\n");
      writeFileSync(join(dir, "start.ts"), text);
      await client.open(uri, text, 1, "typescript");
      const [finding] = transitive((await client.diagnostics(uri, 1)).diagnostics);
      expect(finding?.message).toContain("child_process.execSync()");
      expect(finding!.relatedInformation?.map((info) => [info.location.uri, info.location.range.start.line])).toEqual([
        [fileUri(dir, "report.ts"), 3],
        [fileUri(dir, "lib/clock.ts"), 3],
      ]);
    } finally {
      expect(await client.shutdown()).toBe(0);
    }
  });
});
