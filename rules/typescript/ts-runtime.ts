import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as TsMorph from "ts-morph";

/**
 * ts-morph (with the TypeScript compiler inside) takes about half a second to load, so it is loaded on
 * the first TypeScript or JavaScript file, never for Python-only work. The built bundles find it as
 * `ts-morph.cjs` beside them (the .vsix has no node_modules); sources run by vitest use node_modules.
 *
 * `ts` is a live binding: modules import it and use it once `loadTypeScript()` has run, which every
 * TypeScript entry point (`TypeScriptWorkspace`, `analyzeTypeScript`) does first.
 */
export let ts: typeof TsMorph.ts = undefined as unknown as typeof TsMorph.ts;

let loaded: typeof TsMorph | null = null;

/** Defined as `true` by esbuild.config.mjs in the bundles, which then drop the node_modules branch. */
declare const __COROLINT_BUNDLE__: boolean | undefined;

export function loadTypeScript(): typeof TsMorph {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    if (typeof __COROLINT_BUNDLE__ !== "undefined" && __COROLINT_BUNDLE__) {
      loaded = require(join(dirname(fileURLToPath(import.meta.url)), "ts-morph.cjs")) as typeof TsMorph;
    } else {
      loaded = require("ts-morph") as typeof TsMorph;
    }
    ts = loaded.ts;
  }
  return loaded;
}
