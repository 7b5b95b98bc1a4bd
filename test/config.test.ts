/** `parseConfigText`: every key in both formats, and error messages that name the file and the key. */
import { describe, expect, it } from "vitest";
import { ConfigError, isKnownRuleId, knownRuleIds, mergeSelection, parseConfigText, suggestRuleId } from "../rules/config";
import { rules, SYNTAX_ERROR } from "../rules/index";

const FULL_TOML = `
[project]
name = "app"

[tool.corolint]
select = ["blocking-call", "dangling-task", "syntax-error"]
ignore = ["monkey-patch"]
extra-blocking-calls = ["mylib.fetch_sync", "legacy.db.query"]
extra-async-decorators = ["myframework.coroutine"]
monkey-patch-in-tests = true
transitive-max-depth = 3
exclude = ["tests/fixtures/**", "*_pb2.py"]

[tool.corolint.severity]
dangling-task = "error"
blocking-call = "warning"
syntax-error = "info"
non-yielding-loop = "off"
`;

const FULL_CONFIG = {
  rules: {
    select: ["blocking-call", "dangling-task", "syntax-error"],
    ignore: ["monkey-patch"],
    severity: { "dangling-task": "error", "blocking-call": "warning", "syntax-error": "info", "non-yielding-loop": "off" },
  },
  options: {
    extraBlockingCalls: ["mylib.fetch_sync", "legacy.db.query"],
    extraAsyncDecorators: ["myframework.coroutine"],
    monkeyPatchInTests: true,
    transitiveMaxDepth: 3,
  },
  exclude: ["tests/fixtures/**", "*_pb2.py"],
};

/** The message of the ConfigError that parsing throws. */
function errorOf(text: string, fileName: string): string {
  try {
    parseConfigText(text, fileName);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfigText: pyproject.toml", () => {
  it("reads every key of [tool.corolint]", () => {
    expect(parseConfigText(FULL_TOML, "pyproject.toml")).toEqual(FULL_CONFIG);
  });

  it("returns null without a [tool.corolint] table, and an empty config for an empty table", () => {
    expect(parseConfigText('[tool.black]\nline-length = 100\n', "pyproject.toml")).toBeNull();
    expect(parseConfigText("", "pyproject.toml")).toBeNull();
    expect(parseConfigText("[tool.corolint]\n", "pyproject.toml")).toEqual({ rules: {}, options: {}, exclude: [] });
  });

  it("decides the format by base name, whatever folder the file is in", () => {
    expect(parseConfigText(FULL_TOML, "/repo/sub/pyproject.toml")).toEqual(FULL_CONFIG);
  });

  it("accepts the severity table inline too", () => {
    const config = parseConfigText('[tool.corolint]\nseverity = { blocking-call = "info" }\n', "pyproject.toml");
    expect(config?.rules.severity).toEqual({ "blocking-call": "info" });
  });
});

describe("parseConfigText: corolint.json and other files", () => {
  it("reads every key of corolint.json, and allows $schema", () => {
    const json = JSON.stringify({
      $schema: "./corolint.schema.json",
      select: FULL_CONFIG.rules.select,
      ignore: FULL_CONFIG.rules.ignore,
      severity: FULL_CONFIG.rules.severity,
      "extra-blocking-calls": FULL_CONFIG.options.extraBlockingCalls,
      "extra-async-decorators": FULL_CONFIG.options.extraAsyncDecorators,
      "monkey-patch-in-tests": true,
      "transitive-max-depth": 3,
      exclude: FULL_CONFIG.exclude,
    });
    expect(parseConfigText(json, "corolint.json")).toEqual(FULL_CONFIG);
  });

  it("reads any other *.toml file whole, like ruff.toml", () => {
    expect(parseConfigText('ignore = ["dangling-task"]\n', "corolint.toml")).toEqual({ rules: { ignore: ["dangling-task"] }, options: {}, exclude: [] });
    expect(parseConfigText("transitive-max-depth = 2\n", "corolint.toml")?.options).toEqual({ transitiveMaxDepth: 2 });
  });

  it("refuses file types it does not know", () => {
    expect(errorOf("select: []", "corolint.yaml")).toMatch(/^corolint\.yaml: unsupported configuration file/);
  });
});

describe("parseConfigText: errors name the file and the key", () => {
  const tomlCases: [string, string][] = [
    ['frobnicate = 1', "pyproject.toml: [tool.corolint] frobnicate: unknown key (known keys: select, ignore, severity, extra-blocking-calls, extra-async-decorators, monkey-patch-in-tests, transitive-max-depth, exclude)"],
    ['select = "blocking-call"', 'pyproject.toml: [tool.corolint] select: expected an array of rule ids, got "blocking-call"'],
    ['select = ["blocking-call", 3]', "pyproject.toml: [tool.corolint] select[1]: expected a string, got number 3"],
    ['select = ["nope"]', 'pyproject.toml: [tool.corolint] select: unknown rule id "nope"'],
    ['ignore = ["dangling-tsk"]', 'pyproject.toml: [tool.corolint] ignore: unknown rule id "dangling-tsk" (did you mean "dangling-task"?)'],
    ['severity = { blocking-cal = "error" }', 'pyproject.toml: [tool.corolint] severity.blocking-cal: unknown rule id "blocking-cal" (did you mean "blocking-call"?)'],
    ['severity = { blocking-call = "fatal" }', 'pyproject.toml: [tool.corolint] severity.blocking-call: invalid severity "fatal" (expected one of "error", "warning", "info", "off")'],
    ['severity = { blocking-call = 1 }', 'pyproject.toml: [tool.corolint] severity.blocking-call: invalid severity number 1 (expected one of "error", "warning", "info", "off")'],
    ['severity = ["blocking-call"]', "pyproject.toml: [tool.corolint] severity: expected a table of rule id = severity, got an array"],
    ['extra-blocking-calls = "mylib.fetch"', 'pyproject.toml: [tool.corolint] extra-blocking-calls: expected an array of qualified names, got "mylib.fetch"'],
    ['extra-blocking-calls = ["my lib.fetch"]', 'pyproject.toml: [tool.corolint] extra-blocking-calls[0]: "my lib.fetch" is not a qualified name like "mylib.fetch_sync"'],
    ['extra-async-decorators = ["ok.name", "bad..name"]', 'pyproject.toml: [tool.corolint] extra-async-decorators[1]: "bad..name" is not a qualified name like "mylib.fetch_sync"'],
    ['monkey-patch-in-tests = "yes"', 'pyproject.toml: [tool.corolint] monkey-patch-in-tests: expected true or false, got "yes"'],
    ['transitive-max-depth = 0', "pyproject.toml: [tool.corolint] transitive-max-depth: expected a whole number of at least 1, got number 0"],
    ['transitive-max-depth = 2.5', "pyproject.toml: [tool.corolint] transitive-max-depth: expected a whole number of at least 1, got number 2.5"],
    ['transitive-max-depth = "3"', 'pyproject.toml: [tool.corolint] transitive-max-depth: expected a whole number of at least 1, got "3"'],
    ['exclude = "tests"', 'pyproject.toml: [tool.corolint] exclude: expected an array of glob patterns, got "tests"'],
    ['exclude = ["ok/**", " "]', "pyproject.toml: [tool.corolint] exclude[1]: empty glob pattern"],
  ];
  for (const [body, message] of tomlCases) {
    it(`pyproject.toml: ${body}`, () => {
      expect(errorOf(`[tool.corolint]\n${body}\n`, "pyproject.toml")).toBe(message);
    });
  }

  it("names the table itself when [tool.corolint] is not a table", () => {
    expect(errorOf('[tool]\ncorolint = "on"\n', "pyproject.toml")).toBe("pyproject.toml: [tool.corolint]: expected a table");
  });

  const jsonCases: [unknown, string][] = [
    [{ frobnicate: true }, "corolint.json: frobnicate: unknown key"],
    [{ select: ["blocking-cal"] }, 'corolint.json: select: unknown rule id "blocking-cal"'],
    [{ severity: { "blocking-cal": "error" } }, 'corolint.json: severity.blocking-cal: unknown rule id "blocking-cal"'],
    [{ severity: { "blocking-call": "loud" } }, 'corolint.json: severity.blocking-call: invalid severity "loud"'],
    [{ "monkey-patch-in-tests": 1 }, "corolint.json: monkey-patch-in-tests: expected true or false, got number 1"],
    [{ "transitive-max-depth": -1 }, "corolint.json: transitive-max-depth: expected a whole number of at least 1, got number -1"],
    [{ "extra-async-decorators": [null] }, "corolint.json: extra-async-decorators[0]: expected a string, got null"],
    [{ exclude: [{}] }, "corolint.json: exclude[0]: expected a string, got a table"],
    [["select"], "corolint.json: expected a JSON object at the top level"],
  ];
  for (const [document, message] of jsonCases) {
    it(`corolint.json: ${JSON.stringify(document)}`, () => {
      expect(errorOf(JSON.stringify(document), "corolint.json").startsWith(message)).toBe(true);
    });
  }

  it("uses the file name it is given, path included", () => {
    expect(errorOf('{"select": 1}', "conf/corolint.json")).toBe("conf/corolint.json: select: expected an array of rule ids, got number 1");
  });

  it("reports invalid TOML with the parser's line and column", () => {
    expect(errorOf('[tool.corolint]\nselect = ["a"\nignore = []\n', "pyproject.toml")).toMatch(
      /^pyproject\.toml: invalid TOML at line 3, column \d+: /,
    );
  });

  it("reports invalid JSON with a line and column", () => {
    expect(errorOf('{\n  "select": ["blocking-call"],\n}\n', "corolint.json")).toMatch(/^corolint\.json: invalid JSON at line 3, column 1: /);
    expect(errorOf('{"select": [', "corolint.json")).toMatch(/^corolint\.json: invalid JSON at line 1, column \d+: /);
  });
});

describe("mergeSelection", () => {
  const config = {
    select: ["blocking-call", "dangling-task"],
    ignore: ["dangling-task", "monkey-patch"],
    severity: { "blocking-call": "off" as const, "monkey-patch": "info" as const },
  };

  it("keeps the configuration when no flag is given", () => {
    expect(mergeSelection(config, {})).toEqual(config);
    expect(mergeSelection({}, {})).toEqual({});
  });

  it("--select replaces select and beats the configured ignore and off for the rules it names", () => {
    expect(mergeSelection(config, { select: ["dangling-task", "blocking-call"] })).toEqual({
      select: ["dangling-task", "blocking-call"],
      ignore: ["monkey-patch"],
      severity: { "monkey-patch": "info" },
    });
  });

  it("--ignore adds to the configured ignore", () => {
    expect(mergeSelection(config, { ignore: ["syntax-error", "monkey-patch"] }).ignore).toEqual(["dangling-task", "monkey-patch", "syntax-error"]);
    expect(mergeSelection({}, { ignore: ["syntax-error"] })).toEqual({ ignore: ["syntax-error"] });
  });
});

describe("known rule ids", () => {
  it("are the catalogue plus the engine's syntax-error id", () => {
    expect(knownRuleIds()).toEqual([...rules.map((rule) => rule.id), SYNTAX_ERROR]);
    expect(isKnownRuleId(SYNTAX_ERROR)).toBe(true);
    expect(isKnownRuleId("blocking-call")).toBe(true);
    expect(isKnownRuleId("Blocking-Call")).toBe(false);
  });
});

describe("suggestRuleId", () => {
  it("suggests only close ids", () => {
    expect(suggestRuleId("blocking-cal", ["blocking-call", "dangling-task"])).toBe("blocking-call");
    expect(suggestRuleId("zzz", ["blocking-call", "dangling-task"])).toBeUndefined();
  });
});
