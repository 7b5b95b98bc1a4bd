/**
 * Code actions over a real server process: each returned edit is applied to the text as an editor
 * would, sent back as an incremental change, and the server's new diagnostics show what it did.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CodeActionRequest,
  CodeActionResolveRequest,
  ExecuteCommandRequest,
  LSPErrorCodes,
  ResponseError,
  type CodeAction,
  type Diagnostic,
} from "vscode-languageserver-protocol/node";
import { applyTextEdits, BLOCKING, editsFor, fileUri, LspClient, makeWorkspace, PUSH_CAPABILITIES, type StartOptions } from "./lsp-client";

const FIXED = "import time\nimport asyncio\nasync def f():\n    await asyncio.sleep(1)\n";
const UNAWAITED = "import asyncio\nasync def f():\n    asyncio.sleep(1)\n";

/** One open document with the text the client believes it has, kept in step with the server. */
class Editor {
  version = 1;
  constructor(
    readonly client: LspClient,
    readonly uri: string,
    public text: string,
  ) {}

  static async open(client: LspClient, dir: string, name: string, text: string): Promise<Editor> {
    const editor = new Editor(client, fileUri(dir, name), text);
    await client.open(editor.uri, text);
    return editor;
  }

  /** The diagnostics the server published for the current version. */
  async diagnostics(): Promise<Diagnostic[]> {
    return (await this.client.diagnostics(this.uri, this.version)).diagnostics;
  }

  /** Code actions for a range (default: the first diagnostic's), with the diagnostics the client shows there. */
  async actions(diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
    const range = diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const result = await this.client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: this.uri },
      range,
      context: { diagnostics, ...(only ? { only } : {}) },
    });
    return (result ?? []) as CodeAction[];
  }

  /** Applies an action's edit locally and sends it to the server as one incremental change per edit. */
  async apply(action: CodeAction): Promise<void> {
    const edits = editsFor(action.edit, this.uri);
    expect(edits.length).toBeGreaterThan(0);
    this.text = applyTextEdits(this.text, edits);
    this.version++;
    // Edits are against the old text: sending them back to front keeps every range valid.
    const backToFront = [...edits].reverse().sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
    await this.client.change(this.uri, this.version, backToFront.map((edit) => ({ range: edit.range, text: edit.newText })));
  }
}

async function startWith(options: StartOptions = {}): Promise<{ client: LspClient; dir: string }> {
  return { client: await LspClient.start(options), dir: makeWorkspace() };
}

describe("quick fixes", () => {
  let client: LspClient;
  let dir: string;
  beforeAll(async () => ({ client, dir } = await startWith()));
  afterAll(async () => expect(await client.shutdown()).toBe(0));

  it("replaces time.sleep with await asyncio.sleep, importing asyncio, and the result is clean", async () => {
    const editor = await Editor.open(client, dir, "sleepy.py", BLOCKING);
    const diagnostics = await editor.diagnostics();
    const actions = await editor.actions(diagnostics);
    const fix = actions.find((action) => action.title.includes("asyncio.sleep"));
    expect(fix).toMatchObject({ kind: "quickfix", isPreferred: true, diagnostics });
    // Versioned, so that an editor refuses it for a document that changed meanwhile.
    expect(fix!.edit?.documentChanges?.[0]).toMatchObject({ textDocument: { uri: editor.uri, version: 1 } });
    expect(actions.filter((action) => action.isPreferred)).toHaveLength(1);
    await editor.apply(fix!);
    expect(editor.text).toBe(FIXED);
    expect(await editor.diagnostics()).toEqual([]);
  });

  it("adds await to an unawaited coroutine call", async () => {
    const editor = await Editor.open(client, dir, "unawaited.py", UNAWAITED);
    const diagnostics = await editor.diagnostics();
    expect(diagnostics.map((d) => d.code)).toEqual(["unawaited-coroutine"]);
    const fix = (await editor.actions(diagnostics)).find((action) => action.isPreferred);
    expect(fix?.title).toMatch(/await/);
    await editor.apply(fix!);
    expect(editor.text).toBe("import asyncio\nasync def f():\n    await asyncio.sleep(1)\n");
    expect(await editor.diagnostics()).toEqual([]);
  });

  it("silences the line with 'Ignore <rule> on this line'", async () => {
    const editor = await Editor.open(client, dir, "ignored.py", BLOCKING);
    const diagnostics = await editor.diagnostics();
    const ignore = (await editor.actions(diagnostics)).find((action) => action.title === "Ignore blocking-call on this line");
    expect(ignore).toMatchObject({ kind: "quickfix", diagnostics });
    expect(ignore!.isPreferred).toBeUndefined();
    await editor.apply(ignore!);
    expect(editor.text).toBe("import time\nasync def f():\n    time.sleep(1)  # corolint: ignore[blocking-call]\n");
    expect(await editor.diagnostics()).toEqual([]);
  });

  it("recomputes fixes when the client's diagnostics are older than the text", async () => {
    const editor = await Editor.open(client, dir, "moved.py", BLOCKING);
    const stale = await editor.diagnostics();
    // The user types a line above before the new diagnostics are shown; the editor still shows the old ones.
    editor.text = `# note\n${editor.text}`;
    editor.version++;
    await client.change(editor.uri, editor.version, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "# note\n" }]);
    const range = { start: { line: 3, character: 4 }, end: { line: 3, character: 4 } };
    const result = await client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri: editor.uri }, range, context: { diagnostics: stale } });
    const fix = (result as CodeAction[]).find((action) => action.isPreferred);
    expect(fix?.edit?.documentChanges?.[0]).toMatchObject({ textDocument: { version: 2 } });
    await editor.apply(fix!);
    expect(editor.text).toBe(`# note\n${FIXED}`);
  });

  it("returns no quick fixes where there are no corolint diagnostics", async () => {
    const editor = await Editor.open(client, dir, "quiet.py", BLOCKING);
    await editor.diagnostics();
    expect(await editor.actions([])).toEqual([]);
  });
});

describe("fix all", () => {
  let client: LspClient;
  let dir: string;
  beforeAll(async () => ({ client, dir } = await startWith()));
  afterAll(async () => expect(await client.shutdown()).toBe(0));

  const TWO_PROBLEMS = "import time\nasync def f():\n    time.sleep(1)\n    f()\n";
  const BOTH_FIXED = "import time\nimport asyncio\nasync def f():\n    await asyncio.sleep(1)\n    await f()\n";

  it.each([["source.fixAll"], ["source.fixAll.corolint"], ["source"]])("answers only=[%s] with source.fixAll.corolint", async (kind) => {
    const editor = await Editor.open(client, dir, `all-${kind}.py`, TWO_PROBLEMS);
    expect(await editor.diagnostics()).toHaveLength(2);
    const actions = await editor.actions([], [kind]);
    expect(actions.map((action) => action.kind)).toEqual(["source.fixAll.corolint"]);
    await editor.apply(actions[0]!);
    expect(editor.text).toBe(BOTH_FIXED);
    expect(await editor.diagnostics()).toEqual([]);
  });

  it("offers nothing on save when there is nothing to fix", async () => {
    const editor = await Editor.open(client, dir, "clean.py", BOTH_FIXED);
    await editor.diagnostics();
    expect(await editor.actions([], ["source.fixAll"])).toEqual([]);
  });

  it("corolint.applyFixAll sends workspace/applyEdit, refusing a stale version", async () => {
    const editor = await Editor.open(client, dir, "command.py", TWO_PROBLEMS);
    await editor.diagnostics();
    const stale = client.connection.sendRequest(ExecuteCommandRequest.type, { command: "corolint.applyFixAll", arguments: [editor.uri, 7] });
    await expect(stale).rejects.toMatchObject({ code: LSPErrorCodes.ContentModified });

    const result = await client.connection.sendRequest(ExecuteCommandRequest.type, { command: "corolint.applyFixAll", arguments: [editor.uri, 1] });
    expect(result).toEqual({ applied: true });
    const request = client.appliedEdits.at(-1)!;
    expect(request.label).toBe("corolint: Fix all");
    expect(request.edit.documentChanges?.[0]).toMatchObject({ textDocument: { uri: editor.uri, version: 1 } });
    await editor.apply({ title: "applied", edit: request.edit });
    expect(editor.text).toBe(BOTH_FIXED);
    expect(await editor.diagnostics()).toEqual([]);
  });
});

describe("lazily resolved actions", () => {
  it("leaves the ignore and fix-all edits to codeAction/resolve, and refuses to resolve for a changed document", async () => {
    const capabilities = {
      ...PUSH_CAPABILITIES,
      textDocument: { ...PUSH_CAPABILITIES.textDocument, codeAction: { dataSupport: true, resolveSupport: { properties: ["edit"] } } },
    };
    const { client, dir } = await startWith({ capabilities });
    const editor = await Editor.open(client, dir, "lazy.py", BLOCKING);
    const diagnostics = await editor.diagnostics();
    const actions = await editor.actions(diagnostics);
    expect(actions.map((action) => [action.title, action.edit === undefined])).toEqual([
      [expect.stringContaining("asyncio.sleep"), false],
      ["Ignore blocking-call on this line", true],
      ["Fix all auto-fixable corolint problems", true],
    ]);

    const ignore = await client.connection.sendRequest(CodeActionResolveRequest.type, actions[1]!);
    expect(editsFor(ignore.edit, editor.uri)).toHaveLength(1);

    await editor.apply(ignore);
    const stale = await client.connection.sendRequest(CodeActionResolveRequest.type, actions[2]!).catch((error: unknown) => error);
    expect(stale).toBeInstanceOf(ResponseError);
    expect((stale as ResponseError<unknown>).code).toBe(LSPErrorCodes.ContentModified);
    expect(await editor.diagnostics()).toEqual([]);
    expect(await client.shutdown()).toBe(0);
  });
});
