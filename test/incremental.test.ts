import { beforeAll, describe, expect, it } from "vitest";
import { IncrementalParser, analyzeSource } from "../rules/index";
import { parsePython } from "../rules/python/parser";
import { loadCore } from "./helpers/core";
import { random } from "./helpers/random";

beforeAll(loadCore);


const base = [
  '"""Service módule — ünïcode and emoji 🚀 in a docstring."""',
  "import asyncio",
  "import time",
  "",
  "async def handler(request):",
  "    time.sleep(1)",
  "    name = 'Zoë 🚀'",
  "    await asyncio.sleep(0)",
  "    return name",
  "",
  "class Worker:",
  "    async def run(self):",
  "        while True:",
  "            pass",
].join("\n");

const snippets = ["x", "\n", "    time.sleep(2)\n", "async ", "(", ")", "🚀", "é", "def f():\n    pass\n", ""];

describe("IncrementalParser", () => {
  it("gives the same tree and findings as a fresh parse after random edits", () => {
    const next = random(42);
    const parser = new IncrementalParser();
    let text = base;
    try {
      for (let step = 0; step < 300; step += 1) {
        const start = Math.floor(next() * (text.length + 1));
        const end = Math.min(text.length, start + Math.floor(next() * 12));
        let insert = snippets[Math.floor(next() * snippets.length)];
        // Never split a surrogate pair: editors do not either.
        const cut = (i: number) => i > 0 && i < text.length && /[\uDC00-\uDFFF]/.test(text[i]);
        if (cut(start) || cut(end)) insert = "";
        text = cut(start) || cut(end) ? text : text.slice(0, start) + insert + text.slice(end);
        const incremental = parser.parse(text).rootNode.toString();
        const fresh = parsePython(text);
        try {
          expect(incremental, `step ${step}`).toBe(fresh.rootNode.toString());
        } finally {
          fresh.delete();
        }
        const request = { path: "app.py", source: text };
        expect(analyzeSource(request, parser).findings).toEqual(analyzeSource(request).findings);
      }
    } finally {
      parser.dispose();
    }
  });

  it("can be used again after dispose", () => {
    const parser = new IncrementalParser();
    parser.parse(base);
    parser.dispose();
    expect(parser.parse("x = 1").rootNode.toString()).toBe("(module (expression_statement (assignment left: (identifier) right: (integer))))");
    parser.dispose();
  });
});
