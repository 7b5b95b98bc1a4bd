/**
 * Finds the files the analysis core needs at run time: the two WASM files and the worker script.
 * The built CLI keeps them next to its bundle in `dist/`; sources run by vitest or tsx find the WASM
 * files in node_modules and have no worker bundle, so they analyse in-process.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GrammarFiles } from "../rules/index";

/** The folder of the running module: `dist/` for the bundle (esbuild defines `import.meta.url` there), `cli/` for sources. */
export function moduleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/** Absolute paths of `web-tree-sitter.wasm` and `tree-sitter-python.wasm` for `initCore`. */
export function grammarFiles(): GrammarFiles {
  const here = moduleDir();
  const bundled: GrammarFiles = {
    treeSitterWasm: join(here, "web-tree-sitter.wasm"),
    pythonWasm: join(here, "tree-sitter-python.wasm"),
  };
  if (existsSync(bundled.treeSitterWasm) && existsSync(bundled.pythonWasm)) return bundled;
  const require = createRequire(import.meta.url);
  return {
    treeSitterWasm: require.resolve("web-tree-sitter/web-tree-sitter.wasm"),
    pythonWasm: require.resolve("tree-sitter-python/tree-sitter-python.wasm"),
  };
}

/** The worker bundle `dist/worker.cjs`, or null when running from sources (no bundle to start). */
export function workerScript(): string | null {
  const script = join(moduleDir(), "worker.cjs");
  return existsSync(script) ? script : null;
}
