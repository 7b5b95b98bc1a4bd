#!/usr/bin/env node
/**
 * `npm run docs`: regenerates docs/rules/<id>.md, docs/rules/README.md and the rule table between
 * the markers in README.md from the rule catalogue. test/docs.test.ts fails when they drift.
 *
 * The rules are TypeScript and Node 20 cannot run TypeScript by itself. Rather than add a loader,
 * this script asks esbuild (already used by the build) to bundle a two-line entry that re-exports
 * the registry and the renderers, writes the bundle under node_modules/.cache/ (ignored by git, and
 * inside node_modules so the bundle's external imports such as web-tree-sitter still resolve), and
 * imports it. All rendering lives in rules/render-docs.ts; this file only reads and writes files.
 */
import { build } from "esbuild";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bundlePath = join(root, "node_modules", ".cache", "corolint", "generate-docs.mjs");

await build({
  stdin: {
    contents: 'export { rules } from "./rules/index";\nexport * from "./rules/render-docs";\n',
    resolveDir: root,
    sourcefile: "generate-docs-entry.ts",
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Dependencies are loaded from node_modules at run time rather than copied into the bundle.
  packages: "external",
  outfile: bundlePath,
  logLevel: "warning",
});
// The query string defeats Node's module cache should this ever run twice in one process.
const docs = await import(`${pathToFileURL(bundlePath).href}?t=${Date.now()}`);

const written = [];
for (const file of docs.renderDocFiles(docs.rules)) {
  await mkdir(dirname(join(root, file.path)), { recursive: true });
  await writeFile(join(root, file.path), file.content);
  written.push(file.path);
}

// Pages of rules that were removed or renamed would otherwise linger and still be linked from search
// results. Only files carrying the generated notice are removed, never a hand-written one.
const docsDir = join(root, docs.RULE_DOCS_DIR);
for (const name of await readdir(docsDir)) {
  const path = `${docs.RULE_DOCS_DIR}/${name}`;
  if (!name.endsWith(".md") || written.includes(path)) continue;
  const content = await readFile(join(root, path), "utf8");
  if (content.startsWith(docs.GENERATED_NOTICE)) {
    await rm(join(root, path));
    console.log(`removed ${path}`);
  }
}

const readmePath = join(root, "README.md");
const readme = await readFile(readmePath, "utf8").catch((error) => {
  if (error.code === "ENOENT") return "";
  throw error;
});
await writeFile(readmePath, docs.replaceRuleTable(readme, docs.rules));

console.log(`wrote ${written.length} files under ${docs.RULE_DOCS_DIR}/ and the rule table in README.md`);
