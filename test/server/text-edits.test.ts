import { describe, expect, it } from "vitest";
import { TextDocument } from "vscode-languageserver-textdocument";
import { diffEdits, minimalEdit } from "../../server/text-edits";
import { applyTextEdits } from "./lsp-client";

const document = (text: string) => TextDocument.create("file:///x.py", "python", 1, text);

describe("edits between two texts", () => {
  it("touch only the changed lines, one edit per run of changes", () => {
    const before = "import time\n\nasync def f():\n    time.sleep(1)\n    return 1\n\nasync def g():\n    time.sleep(2)\n";
    const after = "import time\nimport asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n    return 1\n\nasync def g():\n    await asyncio.sleep(2)\n";
    const edits = diffEdits(document(before), after);
    expect(edits).toHaveLength(3);
    expect(edits.map((edit) => edit.range.start.line)).toEqual([1, 3, 7]);
    expect(applyTextEdits(before, edits)).toBe(after);
  });

  it("handle equal texts, texts without a final newline, CRLF and surrogate pairs", () => {
    expect(diffEdits(document("a\nb\n"), "a\nb\n")).toEqual([]);
    for (const [before, after] of [
      ["a\nb", "a\nc"],
      ["a\r\nb\r\n", "a\r\nx\r\nb\r\n"],
      ["x = '😀'\n", "x = '😁'\n"],
      ["", "import asyncio\n"],
      ["only\n", ""],
    ] as const) {
      expect(applyTextEdits(before, diffEdits(document(before), after))).toBe(after);
      const single = minimalEdit(document(before), after);
      expect(applyTextEdits(before, single ? [single] : [])).toBe(after);
    }
  });

  it("agree with the texts on random line edits", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const lines = Array.from({ length: random(30) }, () => `line ${random(6)}\n`);
      const changed = [...lines];
      for (let edit = random(6); edit > 0; edit--) {
        const at = random(changed.length + 1);
        if (random(2) === 0) changed.splice(at, 1);
        else changed.splice(at, 0, `new ${random(4)}\n`);
      }
      const before = lines.join("");
      const after = changed.join("");
      expect(applyTextEdits(before, diffEdits(document(before), after))).toBe(after);
    }
  });
});
