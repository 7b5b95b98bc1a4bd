import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeSource, languageForPath, rules, TypeScriptWorkspace } from "../rules/index";

/**
 * TypeScript and JavaScript fixtures: `test/fixtures/typescript/<folder>/**`. A line ending in
 * `// expect[rule-id]` must get that finding and every other line none, from any rule. The folder's
 * tsconfig.json makes the type-aware rule see types across files, as in a real project.
 */
const fixtureRoot = path.join(__dirname, "fixtures", "typescript");
const workspace = new TypeScriptWorkspace();

function expectedKeys(source: string): string[] {
  const keys: string[] = [];
  source.split("\n").forEach((text, index) => {
    const match = /\/\/\s*expect\[([^\]]+)\]/.exec(text);
    if (!match) return;
    for (const rule of match[1].split(",")) keys.push(`${index + 1}:${rule.trim()}`);
  });
  return keys.sort();
}

function sourceFilesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && languageForPath(entry.name) === "typescript")
    .map((entry) => path.relative(fixtureRoot, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

const folders = [...rules.filter((rule) => rule.languages.includes("typescript")).map((rule) => rule.id), "suppression"];

describe.each(folders)("%s TypeScript/JavaScript fixtures", (folder) => {
  const files = sourceFilesUnder(path.join(fixtureRoot, folder));

  it("covers TypeScript, ESM JavaScript and CommonJS, with expected findings", () => {
    expect(files.some((f) => /\.(ts|mts|tsx)$/.test(f))).toBe(true);
    expect(files.some((f) => /\.(js|mjs)$/.test(f))).toBe(true);
    expect(files.some((f) => f.endsWith(".cjs"))).toBe(true);
    const all = files.map((f) => readFileSync(path.join(fixtureRoot, f), "utf8")).join("\n");
    expect(expectedKeys(all).length).toBeGreaterThan(0);
  });

  it.each(files)("%s", (file) => {
    const absolutePath = path.join(fixtureRoot, file);
    const source = readFileSync(absolutePath, "utf8");
    const result = analyzeSource({ path: file, source, absolutePath }, undefined, workspace);
    expect(result.ruleErrors).toEqual([]);
    const keys = result.findings.map((f) => `${f.range.start.line + 1}:${f.rule}`).sort();
    expect(keys).toEqual(expectedKeys(source));
  });
});
