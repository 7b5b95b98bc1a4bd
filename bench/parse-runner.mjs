// One benchmark process: a bare tree-sitter parse of every corpus file on one thread, no analysis.
// The floor that parsing everything costs; prints `files` on stdout.
import { createRequire } from "node:module";
import path from "node:path";
import { Language, Parser } from "web-tree-sitter";
import { pythonSources } from "./python-files.mjs";

const require = createRequire(import.meta.url);
const root = process.argv[2];
await Parser.init();
const grammar = path.join(path.dirname(require.resolve("tree-sitter-python/package.json")), "tree-sitter-python.wasm");
const parser = new Parser();
parser.setLanguage(await Language.load(grammar));
let files = 0;
for (const source of pythonSources(root)) {
  parser.parse(source)?.delete();
  files += 1;
}
console.log(`${files}`);
