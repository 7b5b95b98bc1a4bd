/**
 * Blocks measured at run time, over a real server process: `corolint/runtimeBlocks` (what the VS Code
 * extension sends after "Trace This File") turns into `loop-blocked` diagnostics at the blocked lines,
 * confirms a static `blocking-call` on the same line, reaches documents opened later, follows a line
 * moved by an edit, disappears with a changed line, and is cleared by an empty list. Push and pull.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CodeActionRequest, DocumentDiagnosticRequest, type Diagnostic } from "vscode-languageserver-protocol/node";
import { RuntimeBlocksNotification, type RuntimeBlock } from "../../server/protocol";
import { BLOCKING, fileUri, LspClient, makeWorkspace, PULL_CAPABILITIES, waitFor } from "./lsp-client";

/** Line 5 (1-based) does CPU work no rule reports. */
const CPU = "import asyncio\n\nasync def crunch(n):\n    await asyncio.sleep(0)\n    total = sum(i * i for i in range(n))\n    return total\n";

const keys = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character}-${d.range.end.character}:${d.code}`);

function block(file: string, line: number, extra: Partial<RuntimeBlock> = {}): RuntimeBlock {
  return { file, line, function: "f", count: 1, maxMs: 845.2, totalMs: 845.2, ...extra };
}

describe("runtime blocks (push)", () => {
  let client: LspClient;
  let dir: string;
  beforeAll(async () => {
    client = await LspClient.start();
    dir = makeWorkspace({ "app.py": BLOCKING, "cpu.py": CPU, "later.py": BLOCKING, "moved.py": BLOCKING, "edited.py": BLOCKING });
  });
  afterAll(async () => {
    expect(await client.shutdown()).toBe(0);
  });

  /** Sends the blocks and waits for the next publish for `uri`. */
  async function sendBlocks(blocks: RuntimeBlock[], uri: string) {
    const before = client.published.length;
    const params: RuntimeBlocksNotification.Params = { traceFile: "/tmp/trace.json", blocks };
    await client.connection.sendNotification(RuntimeBlocksNotification.method, params);
    return client.diagnostics(uri, undefined, before);
  }

  it("reports loop-blocked at the blocked line and confirms the blocking-call there", async () => {
    const uri = fileUri(dir, "app.py");
    await client.open(uri, BLOCKING);
    expect(keys((await client.diagnostics(uri, 1)).diagnostics)).toEqual(["2:4-17:blocking-call"]);

    const { diagnostics } = await sendBlocks([block(join(dir, "app.py"), 3)], uri);
    expect(keys(diagnostics)).toEqual(["2:4-17:blocking-call", "2:4-17:loop-blocked"]);
    const [blocking, measured] = diagnostics;
    expect(blocking!.message).toMatch(/^`time\.sleep\(\)` blocks the event loop.* — confirmed at run time: blocked the loop for 845 ms$/);
    // The rule's finding keeps its severity and its quick fix.
    expect(blocking!.severity).toBe(1);
    expect(blocking!.data).toMatchObject({ version: 1, fixes: [{ title: expect.stringContaining("asyncio.sleep"), safe: true }] });
    expect(measured).toMatchObject({
      severity: 2,
      source: "corolint",
      code: "loop-blocked",
      message: "blocked the event loop for 845 ms at run time in f",
      codeDescription: { href: expect.stringMatching(/runtime\/README\.md#runtime-in-vs-code$/) },
    });
  });

  it("reports a line no rule knows, with the count and the total when it blocked more than once", async () => {
    const uri = fileUri(dir, "cpu.py");
    await client.open(uri, CPU);
    expect((await client.diagnostics(uri, 1)).diagnostics).toEqual([]);
    const { diagnostics } = await sendBlocks([block(join(dir, "cpu.py"), 5, { function: "crunch", count: 3, maxMs: 120.4, totalMs: 301 })], uri);
    expect(keys(diagnostics)).toEqual(["4:4-40:loop-blocked"]);
    expect(diagnostics[0]!.message).toBe("blocked the event loop for up to 120 ms at run time (3 times, 301 ms in all) in crunch");
  });

  it("offers no 'ignore' comment for a measurement", async () => {
    const uri = fileUri(dir, "cpu.py");
    const diagnostics = client.published.filter((params) => params.uri === uri).pop()!.diagnostics;
    expect(keys(diagnostics)).toEqual(["4:4-40:loop-blocked"]);
    const actions = await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: diagnostics[0]!.range,
      context: { diagnostics },
    });
    expect(actions ?? []).toEqual([]);
  });

  it("replaces the last trace's blocks with the new ones, and clears them with an empty list", async () => {
    const app = fileUri(dir, "app.py");
    const cpu = fileUri(dir, "cpu.py");
    // A new trace that found only app.py's block: cpu.py's goes away.
    let before = client.published.length;
    await client.connection.sendNotification(RuntimeBlocksNotification.method, { traceFile: "/tmp/t2.json", blocks: [block(join(dir, "app.py"), 3)] });
    expect(keys((await client.diagnostics(cpu, undefined, before)).diagnostics)).toEqual([]);
    expect(keys((await client.diagnostics(app, undefined, before)).diagnostics)).toEqual(["2:4-17:blocking-call", "2:4-17:loop-blocked"]);

    before = client.published.length;
    await client.connection.sendNotification(RuntimeBlocksNotification.method, { traceFile: null, blocks: [] });
    const cleared = (await client.diagnostics(app, undefined, before)).diagnostics;
    expect(keys(cleared)).toEqual(["2:4-17:blocking-call"]);
    expect(cleared[0]!.message).not.toContain("confirmed at run time");
  });

  it("shows a block in a file that was not open when it arrived once the file is opened", async () => {
    const uri = fileUri(dir, "later.py");
    const app = fileUri(dir, "app.py");
    await sendBlocks([block(join(dir, "later.py"), 3, { maxMs: 51 })], app);
    await client.open(uri, BLOCKING);
    const { diagnostics } = await client.diagnostics(uri, 1);
    expect(keys(diagnostics)).toEqual(["2:4-17:blocking-call", "2:4-17:loop-blocked"]);
    expect(diagnostics[1]!.message).toBe("blocked the event loop for 51 ms at run time in f");
  });

  it("follows the blocked line when lines are inserted above it, and drops it when the line changes", async () => {
    const moved = fileUri(dir, "moved.py");
    const edited = fileUri(dir, "edited.py");
    await client.open(moved, BLOCKING);
    await client.open(edited, BLOCKING);
    await client.diagnostics(moved, 1);
    await client.diagnostics(edited, 1);
    await sendBlocks([block(join(dir, "moved.py"), 3), block(join(dir, "edited.py"), 3)], moved);

    await client.change(moved, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "# one\n# two\n" }]);
    expect(keys((await client.diagnostics(moved, 2)).diagnostics)).toEqual(["4:4-17:blocking-call", "4:4-17:loop-blocked"]);

    // `time.sleep(1)` → `time.sleep(2)`: what ran is no longer there.
    await client.change(edited, 2, [{ range: { start: { line: 2, character: 15 }, end: { line: 2, character: 16 } }, text: "2" }]);
    const changed = (await client.diagnostics(edited, 2)).diagnostics;
    expect(keys(changed)).toEqual(["2:4-17:blocking-call"]);
    expect(changed[0]!.message).not.toContain("confirmed at run time");
  });

  it("drops blocks in files it cannot read and ignores a malformed notification", async () => {
    const app = fileUri(dir, "app.py");
    const { diagnostics } = await sendBlocks(
      [block(join(dir, "missing.py"), 1), block("relative.py", 1), block(join(dir, "app.py"), 99), block(join(dir, "app.py"), 3, { maxMs: 60 })],
      app,
    );
    expect(keys(diagnostics)).toEqual(["2:4-17:blocking-call", "2:4-17:loop-blocked"]);
    expect(diagnostics[1]!.message).toBe("blocked the event loop for 60 ms at run time in f");

    const logged = client.logs.length;
    await client.connection.sendNotification(RuntimeBlocksNotification.method, { blocks: "nope" });
    await waitFor("a warning in the log", () => client.logs.slice(logged).find((log) => log.message.includes("without a blocks array")));
    // The server still answers, and the last blocks are still there.
    const before = client.published.length;
    await client.change(app, 2, [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: "\n" }]);
    expect(keys((await client.diagnostics(app, 2, before)).diagnostics)).toEqual(["2:4-17:blocking-call", "2:4-17:loop-blocked"]);
  });
});

describe("runtime blocks (pull)", () => {
  it("asks the client to pull again and includes the blocks in the report", async () => {
    const client = await LspClient.start({ capabilities: PULL_CAPABILITIES });
    const dir = makeWorkspace({ "pulled.py": BLOCKING });
    const uri = fileUri(dir, "pulled.py");
    await client.open(uri, BLOCKING);
    const first = await client.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } });
    expect(first.kind === "full" ? keys(first.items) : first.kind).toEqual(["2:4-17:blocking-call"]);

    const refreshes = client.refreshes;
    await client.connection.sendNotification(RuntimeBlocksNotification.method, { traceFile: "/tmp/t.json", blocks: [block(join(dir, "pulled.py"), 3)] });
    await waitFor("a diagnostic refresh", () => client.refreshes > refreshes);
    const second = await client.connection.sendRequest(DocumentDiagnosticRequest.type, {
      textDocument: { uri },
      previousResultId: first.kind === "full" ? first.resultId : undefined,
    });
    expect(second.kind === "full" ? keys(second.items) : second.kind).toEqual(["2:4-17:blocking-call", "2:4-17:loop-blocked"]);
    expect(await client.shutdown()).toBe(0);
  });
});
