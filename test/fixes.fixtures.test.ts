import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeSource, fixAll, languageForPath, TypeScriptWorkspace } from "../rules/index";
import { loadCore } from "./helpers/core";

/**
 * Before/after pairs for every fix: `test/fixtures/fixes/<rule-id>/<case>.before.<ext>` becomes
 * `<case>.after.<ext>` under `fixAll`. A first line holding `fix: unsafe` (in a `#` or `//` comment)
 * applies unsafe fixes too. The fixed text must parse, and fixing it again must change nothing.
 */
const fixtureRoot = path.join(__dirname, "fixtures", "fixes");
const workspace = new TypeScriptWorkspace();

beforeAll(loadCore);

interface FixCase {
  name: string;
  before: string;
  after: string;
}

function fixCases(): FixCase[] {
  const cases: FixCase[] = [];
  for (const entry of readdirSync(fixtureRoot, { recursive: true, withFileTypes: true })) {
    const match = /^(.*)\.before(\.\w+)$/.exec(entry.name);
    if (!entry.isFile() || !match) continue;
    const dir = path.relative(fixtureRoot, entry.parentPath).split(path.sep).join("/");
    cases.push({ name: `${dir}/${entry.name}`, before: path.join(entry.parentPath, entry.name), after: path.join(entry.parentPath, `${match[1]}.after${match[2]}`) });
  }
  return cases.sort((a, b) => a.name.localeCompare(b.name));
}

function fix(file: string, source: string) {
  const unsafe = /^(?:#|\/\/).*\bfix:\s*unsafe\b/.test(source);
  // Analysed as a plain module beside the fixture, so the type-aware rule sees Node's types.
  const request = { path: path.basename(file).replace(".before", "").replace(".after", ""), source, absolutePath: file };
  return fixAll(request, { unsafe }, workspace);
}

describe("fix fixtures", () => {
  const cases = fixCases();

  it("cover every rule that has a fix, in Python and in TypeScript/JavaScript", () => {
    const byRule = new Map<string, Set<string>>();
    for (const { name } of cases) {
      const rule = name.split("/")[0]!;
      const language = languageForPath(name.replace(".before", ""))!;
      byRule.set(rule, (byRule.get(rule) ?? new Set()).add(language));
    }
    expect([...byRule.keys()].sort()).toEqual(["blocking-call", "blocking-call-transitive", "dangling-task", "late-monkey-patch", "non-yielding-loop", "unawaited-coroutine"]);
    for (const rule of ["blocking-call", "non-yielding-loop", "unawaited-coroutine"]) {
      expect([...byRule.get(rule)!].sort(), rule).toEqual(["python", "typescript"]);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, { before, after }) => {
    const source = readFileSync(before, "utf8");
    const expected = readFileSync(after, "utf8");
    const result = fix(before, source);
    expect(result.rejected).toEqual([]);
    expect(result.text).toBe(expected);
    expect(result.fixed).toBeGreaterThan(0);
    // Idempotent, and the fixed file parses.
    const again = fix(after, result.text);
    expect(again.text).toBe(result.text);
    const findings = analyzeSource({ path: path.basename(after), source: result.text, absolutePath: after }, undefined, workspace).findings;
    expect(findings.filter((f) => f.rule === "syntax-error")).toEqual([]);
  });
});
