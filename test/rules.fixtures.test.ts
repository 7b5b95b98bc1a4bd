import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { rules } from "../rules/index";
import { expectedKeys, findingKeys, loadCore } from "./helpers/core";

/**
 * Fixture tests: `test/fixtures/python/<rule-id>/*.py`. A line ending in `# expect[rule-id]` must get
 * that finding and every other line must get none, from any rule — so clean look-alikes are checked too.
 */
const fixtureRoot = path.join(__dirname, "fixtures", "python");

beforeAll(loadCore);

describe.each(rules.map((rule) => rule.id))("%s fixtures", (ruleId) => {
  const folder = path.join(fixtureRoot, ruleId);
  const files = readdirSync(folder).filter((f) => f.endsWith(".py"));

  it("has fixtures with expected findings of this rule", () => {
    const all = files.map((f) => readFileSync(path.join(folder, f), "utf8")).join("\n");
    expect(expectedKeys(all).some((k) => k.endsWith(`:${ruleId}`))).toBe(true);
  });

  it.each(files)("%s", (file) => {
    const source = readFileSync(path.join(folder, file), "utf8");
    // Fixtures under a tests/ folder name are checked as the path they claim to be.
    const claimed = /^#\s*path:\s*(\S+)/.exec(source)?.[1] ?? `${ruleId}/${file}`;
    expect(findingKeys(source, { path: claimed }).sort()).toEqual(expectedKeys(source));
  });
});
