import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runEslint, type EslintFinding } from "../bench/eslint-runner.mjs";
import { analyzeSource, languageForPath, TypeScriptWorkspace, type Finding } from "../rules/index";

/**
 * corolint's TypeScript rules against the ESLint rules they are modelled on, on the rule fixtures
 * (test/fixtures/typescript), both given the fixtures' tsconfig.json:
 * - `unawaited-coroutine` must report the same lines as `@typescript-eslint/no-floating-promises`;
 * - `blocking-call` must report a subset of `n/no-sync`'s lines (n/no-sync reports every `*Sync`
 *   call, also in sync code), apart from what n/no-sync cannot know.
 * Both sides are computed here, never written down: only the differences are, each with its reason,
 * and a listed difference that stops happening fails too (so the lists cannot go stale).
 * Lines are one-based, keyed as `folder/file:line`; failures show the line's code.
 */
const fixtureRoot = path.join(__dirname, "fixtures", "typescript");
const project = path.join(fixtureRoot, "tsconfig.json");
const workspace = new TypeScriptWorkspace();

// ESLint builds a TypeScript program and corolint one per project: generous, for slow machines.
const timeout = 120_000;

/** The TypeScript/JavaScript files of a fixture folder, relative to the fixture root, `/`-separated. */
function fixtureFiles(folder: string): string[] {
  return readdirSync(path.join(fixtureRoot, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && languageForPath(entry.name) === "typescript")
    .map((entry) => path.relative(fixtureRoot, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

const key = (file: string, line: number): string => `${file}:${line}`;

/** `folder/file:line  <code of that line>`, what the assertions compare and show. */
function shown(lineKey: string): string {
  const at = lineKey.lastIndexOf(":");
  const text = readFileSync(path.join(fixtureRoot, lineKey.slice(0, at)), "utf8").split("\n")[Number(lineKey.slice(at + 1)) - 1] ?? "";
  return `${lineKey}  ${text.trim()}`;
}

const sorted = (keys: Iterable<string>): string[] => [...keys].sort();
const minus = (a: Set<string>, b: Set<string>): string[] => sorted([...a].filter((k) => !b.has(k)));

/** corolint's findings of `rule` in the folder, by line key (messages kept to tell kinds apart). */
function corolintFindings(folder: string, rule: string): Map<string, Finding[]> {
  const byLine = new Map<string, Finding[]>();
  for (const file of fixtureFiles(folder)) {
    const absolutePath = path.join(fixtureRoot, file);
    const result = analyzeSource({ path: file, source: readFileSync(absolutePath, "utf8"), absolutePath }, undefined, workspace);
    expect(result.ruleErrors).toEqual([]);
    for (const finding of result.findings) {
      if (finding.rule !== rule) continue;
      const lineKey = key(file, finding.range.start.line + 1);
      byLine.set(lineKey, [...(byLine.get(lineKey) ?? []), finding]);
    }
  }
  return byLine;
}

/** The line keys ESLint reports `rule` on in the folder (one line may hold several findings). */
async function eslintLines(folder: string, rule: string): Promise<Set<string>> {
  const files = fixtureFiles(folder).map((file) => path.join(fixtureRoot, file));
  const { findings } = await runEslint(files, { tsconfigRootDir: fixtureRoot, project });
  const parseErrors = findings.filter((f: EslintFinding) => f.rule === "parse-error");
  expect(parseErrors).toEqual([]);
  return new Set(findings.filter((f) => f.rule === rule).map((f) => key(path.relative(fixtureRoot, f.file).split(path.sep).join("/"), f.line)));
}

describe("TypeScript rules against the ESLint rules they follow", () => {
  it(
    "unawaited-coroutine reports the lines @typescript-eslint/no-floating-promises reports",
    async () => {
      /**
       * Known, justified differences. `eslintOnly`: no-floating-promises reports the line, corolint
       * does not; `corolintOnly`: the other way round.
       */
      const eslintOnly = [
        // `writeAudit(...).catch(next);` in a CommonJS file (no checkJs): `next` is an untyped
        // parameter, so its type is `any`. no-floating-promises accepts a rejection handler only if
        // its type has call signatures, and `any` has none; corolint takes `any` as a handler (it
        // may well be a function: Express's `next` is). corolint's side is the useful one for JS,
        // where every parameter is `any` and `.catch(next)` is the idiom; with types, a
        // non-function handler has a non-`any` type and both report it.
        "unawaited-coroutine/audit.cjs:30",
      ];
      const corolintOnly: string[] = [];

      const corolint = new Set(corolintFindings("unawaited-coroutine", "unawaited-coroutine").keys());
      const eslint = await eslintLines("unawaited-coroutine", "@typescript-eslint/no-floating-promises");
      // Both must find something, or an agreement on nothing (a broken set-up) would pass.
      expect([...corolint].filter((k) => eslint.has(k)).length).toBeGreaterThan(0);
      expect(minus(eslint, corolint).map(shown)).toEqual(sorted(eslintOnly).map(shown));
      expect(minus(corolint, eslint).map(shown)).toEqual(sorted(corolintOnly).map(shown));
    },
    timeout,
  );

  it(
    "blocking-call reports only lines n/no-sync reports, besides sync XHR, Atomics.wait and renamed imports",
    async () => {
      /**
       * n/no-sync matches the name at the call site (`/.*Sync$/`), so a `*Sync` function reached
       * through a renamed binding escapes it. corolint resolves the binding to the module member, and
       * is right: these calls block like any other. Each line must not spell `...Sync(` (checked below).
       */
      const renamedImports = [
        "blocking-call/cli.js:14", // sh(...): import { execSync as sh } from "node:child_process"
        "blocking-call/handlers.ts:28", // readText(...): import { readFileSync as readText } from "fs"
        "blocking-call/server.cjs:20", // run(...): const { execFileSync: run } = require("node:child_process")
      ];

      const corolint = corolintFindings("blocking-call", "blocking-call");
      const noSync = await eslintLines("blocking-call", "n/no-sync");
      const corolintKeys = new Set(corolint.keys());
      expect([...corolintKeys].filter((k) => noSync.has(k)).length).toBeGreaterThan(0);

      // Sync XHR (`xhr.open(method, url, false)`) and `Atomics.wait` block without a `Sync` in their
      // name: n/no-sync does not know them. Told apart by corolint's message, checked against the code.
      const isXhr = (lineKey: string): boolean =>
        corolint.get(lineKey)!.some((f) => f.message.includes("synchronous `XMLHttpRequest`")) && /\.open\s*\(/.test(shown(lineKey));
      const isAtomicsWait = (lineKey: string): boolean =>
        corolint.get(lineKey)!.some((f) => f.message.startsWith("`Atomics.wait()`")) && /\bAtomics\.wait\s*\(/.test(shown(lineKey));
      const xhrLines = sorted([...corolintKeys].filter(isXhr));
      const atomicsLines = sorted([...corolintKeys].filter(isAtomicsWait));
      // The fixtures hold both kinds, so the exception below is exercised, not just allowed.
      expect(xhrLines.length).toBeGreaterThan(0);
      expect(atomicsLines.length).toBeGreaterThan(0);
      for (const lineKey of [...xhrLines, ...atomicsLines]) expect(noSync.has(lineKey), shown(lineKey)).toBe(false);

      for (const lineKey of renamedImports) expect(shown(lineKey)).not.toMatch(/Sync\s*\(/);
      const explained = new Set([...xhrLines, ...atomicsLines, ...renamedImports]);
      expect(minus(corolintKeys, noSync).map(shown)).toEqual(sorted(explained).map(shown));
    },
    timeout,
  );
});
