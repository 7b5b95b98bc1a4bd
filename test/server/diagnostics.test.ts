/**
 * Diagnostics over a real server process: pushed on open and on incremental changes (debounced, the
 * stale ones never published), pulled by clients that support `textDocument/diagnostic`, and what
 * each diagnostic carries.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocumentDiagnosticRequest, type Diagnostic } from "vscode-languageserver-protocol/node";
import { BLOCKING, CLEAN, fileUri, LspClient, makeWorkspace, PULL_CAPABILITIES, sleep } from "./lsp-client";

const LATE_PATCH = "import ssl\nimport requests\nfrom gevent import monkey\nmonkey.patch_all()\n";

const keys = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character}:${d.code}`);

describe("push diagnostics", () => {
  let client: LspClient;
  let dir: string;
  beforeAll(async () => {
    client = await LspClient.start();
    dir = makeWorkspace();
  });
  afterAll(async () => {
    expect(await client.shutdown()).toBe(0);
  });

  it("publishes the findings of an opened document, with the rule, its docs and fixes", async () => {
    const uri = fileUri(dir, "handlers.py");
    await client.open(uri, BLOCKING);
    const { version, diagnostics } = await client.diagnostics(uri, 1);
    expect(version).toBe(1);
    expect(diagnostics).toHaveLength(1);
    const [diagnostic] = diagnostics;
    expect(diagnostic).toMatchObject({
      range: { start: { line: 2, character: 4 }, end: { line: 2, character: 17 } },
      severity: 1,
      source: "corolint",
      code: "blocking-call",
      message: expect.stringContaining("`time.sleep()` blocks the event loop"),
    });
    expect(diagnostic!.codeDescription?.href).toMatch(/\/docs\/rules\/blocking-call\.md$/);
    expect(diagnostic!.data).toMatchObject({ version: 1, fixes: [{ title: expect.stringContaining("asyncio.sleep"), safe: true }] });
  });

  it("maps related locations in the same document and warning severity", async () => {
    const uri = fileUri(dir, "worker.py");
    await client.open(uri, `${LATE_PATCH}import asyncio\nasync def g():\n    asyncio.create_task(g())\n`);
    const { diagnostics } = await client.diagnostics(uri, 1);
    expect(keys(diagnostics)).toEqual(["3:0:late-monkey-patch", "3:0:monkey-patch", "6:4:dangling-task"]);
    expect(diagnostics[0]!.relatedInformation).toEqual([
      { location: { uri, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 10 } } }, message: "imported before the patch: ssl" },
      { location: { uri, range: { start: { line: 1, character: 0 }, end: { line: 1, character: 15 } } }, message: "imported before the patch: requests" },
    ]);
    expect(diagnostics[2]!.severity).toBe(2);
  });

  it("follows incremental changes", async () => {
    const uri = fileUri(dir, "service.py");
    await client.open(uri, BLOCKING);
    expect(keys((await client.diagnostics(uri, 1)).diagnostics)).toEqual(["2:4:blocking-call"]);
    // Comment the call out: nothing to report.
    await client.change(uri, 2, [{ range: { start: { line: 2, character: 4 }, end: { line: 2, character: 4 } }, text: "# " }]);
    expect((await client.diagnostics(uri, 2)).diagnostics).toEqual([]);
    // Two more lines that block, typed in one change after the last line.
    await client.change(uri, 3, [
      { range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: "    time.sleep(2)\n    time.sleep(3)\n" },
    ]);
    expect(keys((await client.diagnostics(uri, 3)).diagnostics)).toEqual(["3:4:blocking-call", "4:4:blocking-call"]);
    // A change that moves the findings down by one line.
    await client.change(uri, 4, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "# header\n" }]);
    expect(keys((await client.diagnostics(uri, 4)).diagnostics)).toEqual(["4:4:blocking-call", "5:4:blocking-call"]);
  });

  it("clears a closed document's diagnostics", async () => {
    const uri = fileUri(dir, "closed.py");
    await client.open(uri, BLOCKING);
    await client.diagnostics(uri, 1);
    const before = client.published.length;
    await client.close(uri);
    const cleared = await client.diagnostics(uri, undefined, before);
    expect(cleared.diagnostics).toEqual([]);
  });

  it("tells once that a document over 10 MB is not analysed", async () => {
    const uri = fileUri(dir, "huge.py");
    const huge = `${BLOCKING}${"x = 1\n".repeat(1_800_000)}`;
    await client.open(uri, huge);
    expect((await client.diagnostics(uri, 1)).diagnostics).toEqual([]);
    await client.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "# more\n" }]);
    await client.diagnostics(uri, 2);
    const notes = client.messages.filter((message) => message.message.includes("huge.py"));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ type: 3, message: expect.stringContaining("larger than 10 MB") });
    await client.close(uri);
  });
});

describe("debounced push", () => {
  it("publishes only the last version of a quick series of changes", async () => {
    const client = await LspClient.start({ initializationOptions: { debounceMs: 150 } });
    const uri = fileUri(makeWorkspace(), "typing.py");
    await client.open(uri, CLEAN);
    expect((await client.diagnostics(uri, 1)).diagnostics).toEqual([]);
    // Five keystrokes' worth of changes in a burst: `time.sleep(1)` typed over `await asyncio.sleep(1)`.
    const texts = ["import time\n", "import time\nasync def h():\n", "import time\nasync def h():\n    time", "import time\nasync def h():\n    time.sleep(", BLOCKING];
    for (const [index, text] of texts.entries()) await client.change(uri, index + 2, [{ text }]);
    const last = await client.diagnostics(uri, 6);
    expect(keys(last.diagnostics)).toEqual(["2:4:blocking-call"]);
    await sleep(400);
    const versions = client.published.filter((params) => params.uri === uri).map((params) => params.version);
    expect(versions).toEqual([1, 6]);
    expect(await client.shutdown()).toBe(0);
  });
});

describe("pull diagnostics", () => {
  it("answers textDocument/diagnostic, 'unchanged' for a known result, and pushes nothing", async () => {
    const client = await LspClient.start({ capabilities: PULL_CAPABILITIES });
    const uri = fileUri(makeWorkspace(), "pulled.py");
    await client.open(uri, BLOCKING);
    const first = await client.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } });
    expect(first.kind).toBe("full");
    if (first.kind !== "full") return;
    expect(keys(first.items)).toEqual(["2:4:blocking-call"]);
    expect(first.items[0]!.data).toMatchObject({ version: 1 });
    expect(first.resultId).toBeTruthy();

    const again = await client.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri }, previousResultId: first.resultId });
    expect(again).toEqual({ kind: "unchanged", resultId: first.resultId });

    await client.change(uri, 2, [{ range: { start: { line: 2, character: 4 }, end: { line: 2, character: 4 } }, text: "# " }]);
    const afterChange = await client.connection.sendRequest(DocumentDiagnosticRequest.type, {
      textDocument: { uri },
      previousResultId: first.resultId,
    });
    expect(afterChange).toMatchObject({ kind: "full", items: [] });
    expect(client.published).toEqual([]);
    expect(await client.shutdown()).toBe(0);
  });
});
