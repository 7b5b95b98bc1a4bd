/**
 * TypeScript and JavaScript documents over a real server process: diagnostics from the type-aware
 * rule across files of one project, incremental edits, the quick fix and the `// corolint-ignore-next-line`
 * action, and the one warning for a broken tsconfig.json.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CodeActionRequest, type CodeAction, type Diagnostic } from "vscode-languageserver-protocol/node";
import { applyTextEdits, editsFor, fileUri, LspClient, makeWorkspace, waitFor } from "./lsp-client";

const REPOSITORY = [
  "export async function saveUser(name: string): Promise<void> {",
  "  console.log(name);",
  "}",
  "",
].join("\n");

const HANDLER = [
  'import { readFileSync } from "node:fs";',
  'import { saveUser } from "./repository";',
  "",
  "export async function handle(path: string) {",
  '  const name = readFileSync(path, "utf8");',
  "  saveUser(name);",
  "}",
  "",
].join("\n");

const TSCONFIG = JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true } });

describe("TypeScript documents", () => {
  let client: LspClient;
  let dir: string;
  beforeAll(async () => {
    client = await LspClient.start();
    dir = makeWorkspace({ "tsconfig.json": TSCONFIG, "repository.ts": REPOSITORY, "handler.ts": HANDLER });
  });
  afterAll(async () => expect(await client.shutdown()).toBe(0));

  const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => [d.code, d.range.start.line]);

  it("reports a blocking call and a floating promise of a function imported from another file", async () => {
    const uri = fileUri(dir, "handler.ts");
    await client.open(uri, HANDLER, 1, "typescript");
    const { diagnostics } = await client.diagnostics(uri, 1);
    expect(codes(diagnostics)).toEqual([
      ["blocking-call", 4],
      ["unawaited-coroutine", 5],
    ]);
    expect(diagnostics.every((d) => d.source === "corolint")).toBe(true);
  });

  it("updates on an incremental change, and offers the await fix and the ignore comment", async () => {
    const uri = fileUri(dir, "handler2.ts");
    let text = HANDLER;
    await client.open(uri, text, 1, "typescript");
    let diagnostics = (await client.diagnostics(uri, 1)).diagnostics;
    const floating = diagnostics.find((d) => d.code === "unawaited-coroutine")!;
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: floating.range,
      context: { diagnostics: [floating] },
    })) as CodeAction[];
    const fix = actions.find((action) => action.isPreferred);
    expect(fix?.title).toBe("Add `await`");
    const ignore = actions.find((action) => action.title === "Ignore unawaited-coroutine on this line");
    expect(ignore).toBeDefined();

    const fixed = applyTextEdits(text, editsFor(fix!.edit, uri));
    expect(fixed.split("\n")[5]).toBe("  await saveUser(name);");
    text = fixed;
    await client.change(uri, 2, [{ text }]);
    diagnostics = (await client.diagnostics(uri, 2)).diagnostics;
    expect(codes(diagnostics)).toEqual([["blocking-call", 4]]);

    // The ignore action on the blocking call: a comment line above it.
    const blocking = diagnostics[0]!;
    const ignoreActions = (await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: blocking.range,
      context: { diagnostics: [blocking] },
    })) as CodeAction[];
    const ignoreBlocking = ignoreActions.find((action) => action.title === "Ignore blocking-call on this line")!;
    text = applyTextEdits(text, editsFor(ignoreBlocking.edit, uri));
    expect(text.split("\n")[4]).toBe("  // corolint-ignore-next-line blocking-call");
    await client.change(uri, 3, [{ text }]);
    expect((await client.diagnostics(uri, 3)).diagnostics).toEqual([]);
  });

  it("analyses JavaScript documents too", async () => {
    const uri = fileUri(dir, "tool.cjs");
    const text = 'const { execSync } = require("child_process");\nmodule.exports = async function build() {\n  return execSync("make");\n};\n';
    await client.open(uri, text, 1, "javascript");
    expect(codes((await client.diagnostics(uri, 1)).diagnostics)).toEqual([["blocking-call", 2]]);
  });
});

describe("a broken tsconfig.json", () => {
  it("is reported once, and its files are still analysed with default options", async () => {
    const client = await LspClient.start();
    const dir = makeWorkspace({ "tsconfig.json": "{ \"compilerOptions\": { ", "a.ts": HANDLER, "b.ts": HANDLER });
    for (const name of ["a.ts", "b.ts"]) {
      const uri = fileUri(dir, name);
      await client.open(uri, HANDLER, 1, "typescript");
      const { diagnostics } = await client.diagnostics(uri, 1);
      expect(diagnostics.map((d) => d.code)).toContain("blocking-call");
    }
    const warnings = await waitFor("the tsconfig warning", () => {
      const found = client.messages.filter((m) => m.message.includes("tsconfig.json could not be read"));
      return found.length > 0 ? found : null;
    });
    expect(warnings).toHaveLength(1);
    expect(await client.shutdown()).toBe(0);
  });
});
