// One benchmark process: a bare tree-sitter parse of every corpus file on one thread, no analysis.
// The floor that parsing everything costs; prints `files` on stdout.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Language, Parser } from "web-tree-sitter";
import { pythonFiles } from "./python-files.mjs";

const require = createRequire(import.meta.url);
const root = process.argv[2];
await Parser.init();
const grammar = path.join(path.dirname(require.resolve("tree-sitter-python/package.json")), "tree-sitter-python.wasm");
const parser = new Parser();
parser.setLanguage(await Language.load(grammar));
let files = 0;
for (const file of pythonFiles(root)) {
  let source;
  try {
    source = readFileSync(file, "utf8");
  } catch {
    continue;
  }
  parser.parse(source)?.delete();
  files += 1;
}
console.log(`${files}`);
