import { createRequire } from "node:module";
import path from "node:path";
import { analyzeSource, initCore } from "../../rules/index";
import type { AnalysisResult, AnalyzeRequest } from "../../rules/types";

const require = createRequire(import.meta.url);

/** The grammar files straight from node_modules, for tests that import the TypeScript sources. */
export const grammarFiles = {
  treeSitterWasm: path.join(path.dirname(require.resolve("web-tree-sitter")), "web-tree-sitter.wasm"),
  pythonWasm: path.join(path.dirname(require.resolve("tree-sitter-python/package.json")), "tree-sitter-python.wasm"),
};

/** Loads the parser once; every test file awaits it in `beforeAll`. */
export function loadCore(): Promise<void> {
  return initCore(grammarFiles);
}

/** Analyses a snippet as `path` (default `app.py`). */
export function analyze(source: string, request: Partial<AnalyzeRequest> = {}): AnalysisResult {
  return analyzeSource({ path: "app.py", ...request, source });
}

/** `line:rule` strings (1-based lines) of the findings for a snippet, for compact assertions. */
export function findingKeys(source: string, request: Partial<AnalyzeRequest> = {}): string[] {
  return analyze(source, request).findings.map((f) => `${f.range.start.line + 1}:${f.rule}`);
}

/**
 * Expected findings of a fixture: a line ending in `# expect[rule-a, rule-b]` must get exactly those
 * findings; every other line none.
 */
export function expectedKeys(source: string): string[] {
  const keys: string[] = [];
  source.split("\n").forEach((text, index) => {
    const match = /#\s*expect\[([^\]]+)\]/.exec(text);
    if (!match) return;
    for (const rule of match[1].split(",")) keys.push(`${index + 1}:${rule.trim()}`);
  });
  return keys.sort();
}
