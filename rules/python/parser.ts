import { Language, Parser, type Tree } from "web-tree-sitter";

/** Absolute paths of the two WASM files the Python front end needs. */
export interface GrammarFiles {
  /** `web-tree-sitter.wasm`, the parser runtime. */
  treeSitterWasm: string;
  /** `tree-sitter-python.wasm`, the grammar. */
  pythonWasm: string;
}

let pythonParser: Parser | null = null;
let loading: Promise<void> | null = null;

/**
 * Loads the parser runtime and the Python grammar once per thread.
 * The adapters pass the paths because only they know where their bundle keeps the files.
 */
export function initPythonParser(grammar: GrammarFiles): Promise<void> {
  loading ??= (async () => {
    await Parser.init({ locateFile: () => grammar.treeSitterWasm });
    const language = await Language.load(grammar.pythonWasm);
    const parser = new Parser();
    parser.setLanguage(language);
    pythonParser = parser;
  })();
  return loading;
}

/**
 * Parses Python source; the caller must `delete()` the tree when done (it lives in WASM memory).
 * With `oldTree` (already `edit()`ed to match `source`), tree-sitter reuses its unchanged parts.
 */
export function parsePython(source: string, oldTree?: Tree): Tree {
  if (!pythonParser) throw new Error("corolint: initCore() must be awaited before analysing Python");
  const tree = pythonParser.parse(source, oldTree);
  if (!tree) throw new Error("corolint: the Python parser returned no tree");
  return tree;
}
