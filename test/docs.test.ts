/**
 * The docs are generated from the rules, so this file checks three promises:
 * the committed docs match the rules (else "run npm run docs"), every rule's example triggers it and
 * its "use instead" does not, and the registry is complete, unique and sorted.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeSource, initCore, languageForPath, ruleById, rules, type Rule } from "../rules/index";
import { createWorkspaceIndex } from "../rules/workspace/index";
import { summarizeFile } from "../rules/workspace/summarize-file";
import type { WorkspaceIndex } from "../rules/workspace/summary";
import {
  exampleCode,
  extractRuleTable,
  normalizeBlock,
  renderDocFiles,
  renderRuleMarkdown,
  renderRuleTable,
  renderRuleText,
  replaceRuleTable,
  RULE_TABLE_END,
  RULE_TABLE_START,
  typeScriptExampleCode,
  useInsteadCode,
} from "../rules/render-docs";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const DRIFT = "is out of date: run npm run docs";

/** A committed file's text, or null when it does not exist (the comparison then fails with the hint). */
function readCommitted(relativePath: string): string | null {
  const path = join(root, relativePath);
  // A checkout with CRLF line endings holds the same docs; only the content is compared.
  return existsSync(path) ? readFileSync(path, "utf8").replace(/\r\n/g, "\n") : null;
}

beforeAll(async () => {
  await initCore({
    treeSitterWasm: require.resolve("web-tree-sitter/web-tree-sitter.wasm"),
    pythonWasm: require.resolve("tree-sitter-python/tree-sitter-python.wasm"),
  });
});

describe("generated docs match the rules", () => {
  it.each(renderDocFiles(rules).map((file) => [file.path, file.content]))("%s", (path, expected) => {
    expect(readCommitted(path), `${path} ${DRIFT}`).toBe(expected);
  });

  it("docs/rules/ holds no page of a rule that no longer exists", () => {
    const expected = new Set(renderDocFiles(rules).map((file) => file.path));
    const dir = join(root, "docs/rules");
    const stale = (existsSync(dir) ? readdirSync(dir) : [])
      .map((name) => `docs/rules/${name}`)
      .filter((path) => path.endsWith(".md") && !expected.has(path));
    expect(stale, `stale rule pages: ${DRIFT}`).toEqual([]);
  });

  it("README.md's rule table", () => {
    const readme = readCommitted("README.md");
    const table = readme === null ? null : extractRuleTable(readme);
    expect(table, `the rule table in README.md ${DRIFT}`).toBe(renderRuleTable(rules));
  });
});

describe("each rule's docs tell the truth", () => {
  /** Analyses a docs snippet as a plain (non-test) module, returning only this rule's findings. */
  function analyzeSnippet(rule: Rule, source: string) {
    const result = analyzeSource({ path: "example.py", source });
    return {
      findings: result.findings.filter((finding) => finding.rule === rule.id),
      ruleErrors: result.ruleErrors,
    };
  }

  describe.each(rules.map((rule) => [rule.id, rule] as const))("%s", (_id, rule) => {
    it("its example triggers it", () => {
      const { findings, ruleErrors } = analyzeSnippet(rule, exampleCode(rule));
      expect(ruleErrors).toEqual([]);
      expect(findings.length, `docs.example of ${rule.id} raised no ${rule.id} finding`).toBeGreaterThan(0);
    });

    it("its 'use instead' does not", () => {
      const { findings, ruleErrors } = analyzeSnippet(rule, useInsteadCode(rule));
      expect(ruleErrors).toEqual([]);
      expect(findings, `docs.useInstead of ${rule.id} still raises ${rule.id}`).toEqual([]);
    });

    const typescript = typeScriptExampleCode(rule);
    it.runIf(rule.languages.includes("typescript"))("has a TypeScript example that triggers it, and a 'use instead' that does not", () => {
      expect(typescript, `${rule.id} checks TypeScript but its docs have no TypeScript example`).not.toBeNull();
      // In the repository, so that the type-aware rule sees Node's types.
      const absolutePath = join(root, "docs", "example.ts");
      const run = (source: string) => analyzeSource({ path: "example.ts", source, absolutePath });
      const example = run(typescript!.example);
      expect(example.ruleErrors).toEqual([]);
      expect(example.findings.filter((f) => f.rule === rule.id).length).toBeGreaterThan(0);
      const instead = run(typescript!.useInstead);
      expect(instead.ruleErrors).toEqual([]);
      expect(instead.findings).toEqual([]);
    });
  });
});

describe("the registry", () => {
  const ids = rules.map((rule) => rule.id);

  it("has no duplicate ids", () => {
    const duplicates = ids.filter((id, index) => ids.indexOf(id) !== index);
    expect(duplicates).toEqual([]);
  });

  it("uses kebab-case ids", () => {
    expect(ids.filter((id) => !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(id))).toEqual([]);
  });

  it("is sorted by id", () => {
    expect(ids).toEqual([...ids].sort());
  });

  it("finds every rule by id", () => {
    for (const rule of rules) expect(ruleById(rule.id)).toBe(rule);
  });

  it("registers the rule of every file in rules/catalogue/, each named after its id", async () => {
    const catalogue = join(root, "rules/catalogue");
    const files = readdirSync(catalogue).filter(
      (name) => name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts"),
    );
    const found: string[] = [];
    for (const name of files) {
      const module: Record<string, unknown> = await import(pathToFileURL(join(catalogue, name)).href);
      const exported = Object.values(module).filter(isRule);
      // One rule, one file: the file name is how people find a rule's code.
      expect(exported.map((rule) => `${rule.id}.ts`), `rules/catalogue/${name}`).toEqual([name]);
      expect(ruleById(exported[0]!.id), `rules/catalogue/${name} is not registered`).toBe(exported[0]);
      found.push(exported[0]!.id);
    }
    expect(found.sort()).toEqual(ids);
  });
});

describe("examples/ (what `npm start` lints) reports what its comments promise", () => {
  /** Every file corolint analyses under a folder, relative to the repository root, sorted. */
  function sourceFiles(relativeDir: string): string[] {
    return readdirSync(join(root, relativeDir), { withFileTypes: true })
      .flatMap((entry) => {
        const path = `${relativeDir}/${entry.name}`;
        if (entry.isDirectory()) return sourceFiles(path);
        return languageForPath(entry.name) !== null ? [path] : [];
      })
      .sort();
  }

  /**
   * `line:rule` keys (1-based) an example promises with `# rule-id: why` (or `# rule-a, rule-b: why`;
   * `//` in TypeScript and JavaScript) comments, at the end of the reported line or on comment lines
   * right above it.
   */
  function promisedKeys(source: string): string[] {
    const known = new Set(rules.map((rule) => rule.id));
    const keys: string[] = [];
    let pending: string[] = [];
    source.split("\n").forEach((text, index) => {
      const match = /(?:#|\/\/)\s*([a-z][a-z0-9-]*(?:\s*,\s*[a-z][a-z0-9-]*)*)\s*:/.exec(text);
      const ids = match ? match[1]!.split(",").map((id) => id.trim()).filter((id) => known.has(id)) : [];
      if (text.trim() === "") {
        pending = [];
      } else if (/^\s*(?:#|\/\/)/.test(text)) {
        pending.push(...ids);
      } else {
        for (const id of [...pending, ...ids]) keys.push(`${index + 1}:${id}`);
        pending = [];
      }
    });
    return keys.sort();
  }

  it("has Python and TypeScript/JavaScript examples", () => {
    const languages = new Set(sourceFiles("examples").map((path) => languageForPath(path)));
    expect([...languages].sort()).toEqual(["python", "typescript"]);
  });

  // The examples are one workspace, as `corolint check examples` sees them: a handler's call into a
  // helper module is followed (blocking-call-transitive).
  let examplesIndex: WorkspaceIndex;
  beforeAll(() => {
    examplesIndex = createWorkspaceIndex();
    for (const path of sourceFiles("examples")) {
      const summary = summarizeFile({ path, source: readFileSync(join(root, path), "utf8"), absolutePath: join(root, path) });
      if (summary) examplesIndex.update(summary);
    }
  });

  it.each(sourceFiles("examples"))("%s", (path) => {
    const source = readFileSync(join(root, path), "utf8");
    const result = analyzeSource({ path, source, absolutePath: join(root, path), workspace: examplesIndex });
    const actual = result.findings.map((finding) => `${finding.range.start.line + 1}:${finding.rule}`).sort();
    expect(result.ruleErrors).toEqual([]);
    expect(actual, `${path}: findings differ from its "# rule-id:" comments`).toEqual(promisedKeys(source));
  });
});

/** Tells a rule object from the helpers a catalogue module may also export. */
function isRule(value: unknown): value is Rule {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Rule).id === "string" &&
    typeof (value as Rule).checkPython === "function"
  );
}

describe("renderers", () => {
  const fake: Rule = {
    id: "fake-rule",
    summary: "Finds a | in a summary",
    languages: ["python"],
    defaultSeverity: "warning",
    docs: {
      what: `
        Reports the thing.
      `,
      why: "It hurts.",
      example: `
        async def handler():
            time.sleep(1)
      `,
      useInstead: "async def handler():\n    await asyncio.sleep(1)\n",
    },
    equivalents: { flake8Async: ["ASYNC251"], ruff: ["ASYNC251"] },
    mightApply: () => true,
    checkPython: () => {},
  };

  it("dedents docs written as indented template literals", () => {
    expect(normalizeBlock(fake.docs.example)).toBe("async def handler():\n    time.sleep(1)");
    expect(exampleCode(fake)).toBe("async def handler():\n    time.sleep(1)\n");
  });

  it("renders the Markdown page with Ruff's sections, and Fix safety only when present", () => {
    const page = renderRuleMarkdown(fake);
    expect(page.startsWith("<!--")).toBe(true);
    expect(page).toContain("# fake-rule\n");
    expect(page).toContain("`# corolint: ignore[fake-rule]`");
    expect(page).toContain("flake8-async `ASYNC251`; Ruff `ASYNC251`");
    expect(page).toContain("## Example\n\n```python\nasync def handler():\n    time.sleep(1)\n```");
    expect(page).not.toContain("## Fix safety");
    expect(renderRuleMarkdown({ ...fake, docs: { ...fake.docs, fixSafety: "Unsafe." } })).toContain("## Fix safety\n\nUnsafe.\n");
  });

  it("renders terminal text without Markdown fences", () => {
    const text = renderRuleText(fake);
    expect(text).not.toContain("```");
    expect(text).toContain("\n    async def handler():\n        time.sleep(1)\n");
  });

  it("wraps terminal prose to 80 columns but never code", () => {
    const why = "word ".repeat(60).trim();
    const longCode = `x = "${"a".repeat(100)}"`;
    const text = renderRuleText({ ...fake, docs: { ...fake.docs, why, example: longCode } });
    const whyLines = text.split("\n").filter((line) => line.startsWith("  word"));
    expect(whyLines.length).toBeGreaterThan(1);
    for (const line of whyLines) expect(line.length).toBeLessThanOrEqual(80);
    expect(text).toContain(`\n    ${longCode}\n`);
  });

  it("escapes pipes in table cells and links each id", () => {
    const table = renderRuleTable([fake]);
    expect(table).toContain("| [`fake-rule`](docs/rules/fake-rule.md) | Python | warning | Finds a \\| in a summary |");
    expect(renderRuleTable([{ ...fake, equivalents: {} }])).toContain("| — / — |");
  });

  it("replaces only the block between the README markers", () => {
    const readme = `# corolint\n\nIntro.\n\n${RULE_TABLE_START}\nold\n${RULE_TABLE_END}\n\nMore prose.\n`;
    const updated = replaceRuleTable(readme, [fake]);
    expect(updated.startsWith("# corolint\n\nIntro.\n\n")).toBe(true);
    expect(updated.endsWith(`${RULE_TABLE_END}\n\nMore prose.\n`)).toBe(true);
    expect(extractRuleTable(updated)).toBe(renderRuleTable([fake]));
    expect(replaceRuleTable(updated, [fake])).toBe(updated);
  });

  it("creates the block when the README has none", () => {
    expect(replaceRuleTable("", [fake])).toBe(`${RULE_TABLE_START}\n${renderRuleTable([fake])}${RULE_TABLE_END}\n`);
    expect(extractRuleTable("# corolint\n")).toBeNull();
  });
});
