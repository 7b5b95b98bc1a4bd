/**
 * Builds the CLI: `cli/main.ts` → `dist/cli.cjs` (executable) and `cli/worker.ts` → `dist/worker.cjs`,
 * the language server `server/main.ts` → `dist/server.cjs` and the VS Code extension
 * `client/extension.ts` → `dist/extension.cjs`, CommonJS for Node 20, with the two WASM files copied
 * beside them (`cli/grammar.ts` looks there), and ts-morph with the TypeScript compiler in
 * `dist/ts-morph.cjs`, which the others load only for TypeScript and JavaScript files.
 * Run with `node esbuild.config.mjs` (`npm run build`).
 */
import { build } from "esbuild";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
const require = createRequire(import.meta.url);

// CommonJS output has no `import.meta`; the sources use `import.meta.url` to find files next to
// themselves, so every bundle starts by defining it from `__filename`.
const importMetaUrlBanner = 'var __corolint_import_meta_url = require("url").pathToFileURL(__filename).href;';

/** @type {import("esbuild").BuildOptions} */
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: true,
  logLevel: "warning",
  define: { "import.meta.url": "__corolint_import_meta_url", __COROLINT_BUNDLE__: "true" },
  // Folds constants such as `__COROLINT_BUNDLE__`, so branches for unbundled sources disappear.
  minifySyntax: true,
  // The ESM build of web-tree-sitter crashes when bundled to CommonJS ("The argument 'filename'
  // must be a file URL"); its own CommonJS build works. `require.resolve` picks that build.
  alias: { "web-tree-sitter": require.resolve("web-tree-sitter") },
  // Loaded on the first TypeScript file from its own bundle (rules/typescript/ts-runtime.ts).
  external: ["ts-morph"],
};

mkdirSync(dist, { recursive: true });

await Promise.all([
  build({
    ...common,
    entryPoints: [join(root, "cli/main.ts")],
    outfile: join(dist, "cli.cjs"),
    banner: { js: `#!/usr/bin/env node\n${importMetaUrlBanner}` },
  }),
  build({
    ...common,
    entryPoints: [join(root, "cli/worker.ts")],
    outfile: join(dist, "worker.cjs"),
    banner: { js: importMetaUrlBanner },
  }),
  // ts-morph and the TypeScript compiler, loaded only when a TypeScript or JavaScript file is analysed.
  build({
    ...common,
    entryPoints: [require.resolve("ts-morph")],
    outfile: join(dist, "ts-morph.cjs"),
    external: [],
    sourcemap: false,
  }),
  // The language server on its own, for the VS Code extension (node IPC) and `corolint server`.
  existsSync(join(root, "server/main.ts")) &&
    build({
      ...common,
      entryPoints: [join(root, "server/main.ts")],
      outfile: join(dist, "server.cjs"),
      banner: { js: importMetaUrlBanner },
    }),
  // The VS Code extension: `vscode` is provided by the editor at run time.
  existsSync(join(root, "client/extension.ts")) &&
    build({
      ...common,
      entryPoints: [join(root, "client/extension.ts")],
      outfile: join(dist, "extension.cjs"),
      external: ["vscode", "ts-morph"],
      banner: { js: importMetaUrlBanner },
    }),
]);

chmodSync(join(dist, "cli.cjs"), 0o755);
copyFileSync(require.resolve("web-tree-sitter/web-tree-sitter.wasm"), join(dist, "web-tree-sitter.wasm"));
copyFileSync(require.resolve("tree-sitter-python/tree-sitter-python.wasm"), join(dist, "tree-sitter-python.wasm"));

// The tracers run inside the traced program, as plain Python and JavaScript, and the viewer's
// template is inlined into each page `corolint view` writes: copied, not bundled.
// `corolint trace` and `corolint view` find them in dist/runtime.
rmSync(join(dist, "runtime"), { recursive: true, force: true });
for (const folder of ["python/corolint_trace", "python/corolint_sitecustomize", "node", "viewer"]) {
  const source = join(root, "runtime", folder);
  if (!existsSync(source)) continue;
  cpSync(source, join(dist, "runtime", folder), {
    recursive: true,
    filter: (path) => !/__pycache__|\.pyc$|bench[-_]overhead/.test(path),
  });
}
