// The TypeScript benchmark corpus: real TypeScript that nobody here wrote, already on disk after
// `npm ci`, so the benchmark needs no download.
//
// Chosen: Microsoft's MSAL for Node (`@azure/msal-node`, MIT), which ships its .ts sources in
// `src/`, together with the `@azure/msal-common` copy nested under it (the version it was built
// against; it ships `src/` too). It comes with `@vscode/vsce` -> `@azure/identity`, pinned by
// package-lock.json. Why this one:
// - about 200 .ts files and 30k lines: big enough to time, small enough for a 2-core machine;
// - server-side code full of async/await, promise chains and `new Promise`, the material of
//   no-floating-promises;
// - real Node APIs: `http`, `crypto`, and sync fs calls (`readFileSync`, `statSync`, `accessSync`
//   in the Azure Arc managed-identity source), the material of n/no-sync and of corolint's
//   blocking-call rule.
// Rejected: `@azure/msal-browser` (more files, but browser code, no fs), `ajv` (its TypeScript is in
// `lib/`, barely any async), and the rest ship fewer than 20 .ts files each.
//
// The package ships no tsconfig, so `tsconfig` below is the content of one for the caller to write
// (anywhere: every path in it is absolute).
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = path.join(path.dirname(here), "node_modules");
const msalNode = path.join(nodeModules, "@azure", "msal-node");
const msalCommon = path.join(msalNode, "node_modules", "@azure", "msal-common");

/** Absolute paths of the .ts sources (no .d.ts) under `dir`, in no particular order. */
function typescriptSources(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...typescriptSources(full));
    else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) files.push(full);
  }
  return files;
}

/**
 * The corpus: `root` (the folder holding every file), `files` (absolute, sorted) and `tsconfig`
 * (a tsconfig.json object to write to disk and hand to the type-aware linters).
 */
export function typescriptCorpus() {
  const sources = [path.join(msalNode, "src"), path.join(msalCommon, "src")];
  for (const dir of sources) {
    if (!existsSync(dir)) {
      throw new Error(`TypeScript corpus missing: ${dir} (run \`npm ci\`; did package-lock.json drop @azure/msal-node?)`);
    }
  }
  // Plain code-unit order, not localeCompare, so the order never depends on the machine's locale.
  const files = sources.flatMap(typescriptSources).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const tsconfig = {
    compilerOptions: {
      // The sources import "./x.js" for "./x.ts" and "@azure/msal-common/node" through an
      // `exports` map: Bundler resolution understands both.
      target: "ES2020",
      module: "ESNext",
      moduleResolution: "Bundler",
      // DOM: msal-common is shared with the browser build and mentions `window` and friends.
      lib: ["ES2020", "DOM"],
      // Absolute, because the caller writes this file outside the repository (a temp folder),
      // where `node_modules/@types` would not be found by walking up.
      typeRoots: [path.join(nodeModules, "@types")],
      types: ["node"],
      // strict, as the sources are written for (noImplicitAny's evolving `let x = null` types are
      // needed). Left: two dozen index-signature errors (TS7053) and the untyped `jsonwebtoken`
      // import (TS7016), harmless for linting. strictPropertyInitialization is off because it only
      // adds errors here: these classes assign their fields in helper methods.
      strict: true,
      strictPropertyInitialization: false,
      // JS files are linted too; type them from inference and JSDoc, never report their TS errors.
      allowJs: true,
      checkJs: false,
      skipLibCheck: true,
      noEmit: true,
      esModuleInterop: true,
      resolveJsonModule: true,
    },
    files,
  };
  return { root: msalNode, files, tsconfig };
}
