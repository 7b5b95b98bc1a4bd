import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeSource, TypeScriptWorkspace } from "../rules/index";

/**
 * The TypeScript workspace: one program per project kept across edits, the type-check budget and its
 * syntactic fallback, broken and missing tsconfig files, and syntax errors.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "corolint-ts-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const TSCONFIG = JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true } });
const REPOSITORY = "export async function saveUser(name: string): Promise<void> {\n  console.log(name);\n}\n";
const HANDLER = [
  'import { saveUser } from "./repository.js";',
  "",
  "async function audit(): Promise<void> {}",
  "",
  "export function handle(name: string) {",
  "  saveUser(name);",
  "  audit();",
  "}",
  "",
].join("\n");

function analyzeIn(workspace: TypeScriptWorkspace, dir: string, name: string, source: string) {
  return analyzeSource({ path: name, source, absolutePath: path.join(dir, name) }, undefined, workspace);
}

const keys = (result: ReturnType<typeof analyzeSource>) => result.findings.map((f) => `${f.range.start.line + 1}:${f.rule}`);

describe("TypeScriptWorkspace", () => {
  it("keeps one program per project and re-checks an edited file reusing the others", () => {
    const dir = project({ "tsconfig.json": TSCONFIG, "repository.ts": REPOSITORY, "handler.ts": HANDLER });
    const workspace = new TypeScriptWorkspace();
    expect(keys(analyzeIn(workspace, dir, "handler.ts", HANDLER))).toEqual(["6:unawaited-coroutine", "7:unawaited-coroutine"]);
    const { project: first } = workspace.sourceFile(path.join(dir, "handler.ts"), "handler.ts", HANDLER);
    const repositoryBefore = first.project.getProgram().compilerObject.getSourceFile(path.join(dir, "repository.ts"));
    expect(repositoryBefore).toBeDefined();

    const edited = HANDLER.replace("  saveUser(name);", "  await saveUser(name);").replace("export function", "export async function");
    expect(keys(analyzeIn(workspace, dir, "handler.ts", edited))).toEqual(["7:unawaited-coroutine"]);
    const { project: second } = workspace.sourceFile(path.join(dir, "handler.ts"), "handler.ts", edited);
    expect(second).toBe(first);
    // The unchanged file's syntax tree is reused by the new program, not parsed again.
    expect(second.project.getProgram().compilerObject.getSourceFile(path.join(dir, "repository.ts"))).toBe(repositoryBefore);
  });

  it("falls back to the syntax over its budget: local async functions only, and says so once", () => {
    const dir = project({ "tsconfig.json": TSCONFIG, "repository.ts": REPOSITORY, "handler.ts": HANDLER });
    const warnings: string[] = [];
    const workspace = new TypeScriptWorkspace({ budget: { maxProgramFiles: 1 }, onWarning: (message) => warnings.push(message) });
    // `saveUser` comes from another file: only its type says it returns a promise.
    expect(keys(analyzeIn(workspace, dir, "handler.ts", HANDLER))).toEqual(["7:unawaited-coroutine"]);
    expect(keys(analyzeIn(workspace, dir, "handler.ts", HANDLER))).toEqual(["7:unawaited-coroutine"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/tsconfig\.json: its program has \d+ files \(more than 1\); type-aware rules/);
  });

  it("does not even build a program for more files than the budget allows", () => {
    const dir = project({ "tsconfig.json": TSCONFIG, "repository.ts": REPOSITORY, "handler.ts": HANDLER, "other.ts": HANDLER });
    const warnings: string[] = [];
    const workspace = new TypeScriptWorkspace({ budget: { maxProgramFiles: 2 }, onWarning: (message) => warnings.push(message) });
    workspace.addFiles(["repository.ts", "handler.ts", "other.ts"].map((name) => path.join(dir, name)));
    expect(keys(analyzeIn(workspace, dir, "handler.ts", HANDLER))).toEqual(["7:unawaited-coroutine"]);
    expect(warnings).toEqual([expect.stringContaining("it has 3 files to check (more than 2)")]);
  });

  it("also falls back when the program holds more source text than the budget allows", () => {
    const dir = project({ "tsconfig.json": TSCONFIG, "repository.ts": REPOSITORY, "handler.ts": HANDLER });
    const warnings: string[] = [];
    const workspace = new TypeScriptWorkspace({ budget: { maxProgramSourceLength: 1000 }, onWarning: (message) => warnings.push(message) });
    expect(keys(analyzeIn(workspace, dir, "handler.ts", HANDLER))).toEqual(["7:unawaited-coroutine"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/its program holds \d+ MB of source \(more than 0 MB\)/);
  });

  it("uses default options, with one warning, for a broken tsconfig.json", () => {
    const dir = project({ "tsconfig.json": '{ "compilerOptions": ', "repository.ts": REPOSITORY, "handler.ts": HANDLER });
    const warnings: string[] = [];
    const workspace = new TypeScriptWorkspace({ onWarning: (message) => warnings.push(message) });
    expect(keys(analyzeIn(workspace, dir, "handler.ts", HANDLER))).toEqual(["6:unawaited-coroutine", "7:unawaited-coroutine"]);
    analyzeIn(workspace, dir, "repository.ts", REPOSITORY);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${path.join(dir, "tsconfig.json")} could not be read`);
  });

  it("does not read tsconfig.json when told not to (an untrusted workspace)", () => {
    const dir = project({ "tsconfig.json": "not json at all", "handler.ts": HANDLER, "repository.ts": REPOSITORY });
    const warnings: string[] = [];
    const workspace = new TypeScriptWorkspace({ readConfigFiles: false, onWarning: (message) => warnings.push(message) });
    expect(keys(analyzeIn(workspace, dir, "handler.ts", HANDLER))).toEqual(["6:unawaited-coroutine", "7:unawaited-coroutine"]);
    expect(warnings).toEqual([]);
  });

  it("works without any tsconfig.json (saying so once), and for unsaved files with no path", () => {
    const dir = project({ "repository.ts": REPOSITORY, "handler.ts": HANDLER });
    const warnings: string[] = [];
    const workspace = new TypeScriptWorkspace({ onWarning: (message) => warnings.push(message) });
    expect(keys(analyzeIn(workspace, dir, "handler.ts", HANDLER))).toEqual(["6:unawaited-coroutine", "7:unawaited-coroutine"]);
    analyzeIn(workspace, dir, "repository.ts", REPOSITORY);
    expect(warnings).toEqual([expect.stringContaining(`no tsconfig.json or jsconfig.json above ${dir}`)]);
    const unsaved = analyzeSource({ path: "untitled.ts", source: HANDLER }, undefined, workspace);
    // The import cannot be resolved without a place on disk; the local async function still is.
    expect(keys(unsaved)).toEqual(["7:unawaited-coroutine"]);
  });
});

describe("a TypeScript file with a syntax error", () => {
  it("still gets the findings of the rest of the file, and a syntax-error finding", () => {
    const source = [
      'import { readFileSync } from "node:fs";',
      "",
      "export async function load(path: string) {",
      '  return readFileSync(path, "utf8");',
      "}",
      "",
      "export function broken( {",
      "  return 1;",
      "}",
      "",
    ].join("\n");
    const dir = project({ "broken.ts": source });
    const result = analyzeIn(new TypeScriptWorkspace(), dir, "broken.ts", source);
    expect(result.ruleErrors).toEqual([]);
    expect(keys(result)).toContain("4:blocking-call");
    expect(result.findings.some((f) => f.rule === "syntax-error" && f.range.start.line >= 6)).toBe(true);
  });
});
