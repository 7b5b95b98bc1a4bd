import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { mightHoldFinding, ruleById, rules } from "../rules/index";
import { analyze, findingKeys, loadCore } from "./helpers/core";

beforeAll(loadCore);
afterEach(() => vi.restoreAllMocks());

const blocking = "import time\nasync def f():\n    time.sleep(1)";

describe("suppression comments", () => {
  it.each([
    ["# corolint: ignore", true],
    ["# corolint: ignore[blocking-call]", true],
    ["# corolint: ignore[dangling-task, blocking-call]", true],
    ["# corolint: ignore[dangling-task]", false],
    ["# noqa: ASYNC251", true],
    ["# noqa: ASYNC251, E501", true],
    ["# noqa: RUF006", false],
    ["# noqa", false],
    ["# corolint: ignored", false],
  ])("%s silences the line: %s", (comment, silenced) => {
    const keys = findingKeys(`${blocking}  ${comment}`);
    expect(keys).toEqual(silenced ? [] : ["3:blocking-call"]);
  });

  it("applies a comment on the last line of a multi-line call", () => {
    const source = "import time\nasync def f():\n    time.sleep(\n        1)  # corolint: ignore[blocking-call]";
    expect(findingKeys(source)).toEqual([]);
  });

  it("ignore-file silences the whole file, or the rules it names", () => {
    expect(findingKeys(`# corolint: ignore-file\n${blocking}`)).toEqual([]);
    expect(findingKeys(`# corolint: ignore-file[blocking-call]\n${blocking}`)).toEqual([]);
    expect(findingKeys(`# corolint: ignore-file[dangling-task]\n${blocking}`)).toEqual(["4:blocking-call"]);
  });

  it("does not treat a comment marker inside a string as a suppression", () => {
    const source = 'import time\nasync def f():\n    time.sleep(1); x = "# corolint: ignore"';
    expect(findingKeys(source)).toEqual(["3:blocking-call"]);
  });
});

describe("rule selection and severity", () => {
  it("select, ignore and severity overrides", () => {
    expect(findingKeys(blocking, { rules: { select: ["dangling-task"] } })).toEqual([]);
    expect(findingKeys(blocking, { rules: { ignore: ["blocking-call"] } })).toEqual([]);
    expect(findingKeys(blocking, { rules: { severity: { "blocking-call": "off" } } })).toEqual([]);
    const [finding] = analyze(blocking, { rules: { severity: { "blocking-call": "info" } } }).findings;
    expect(finding.severity).toBe("info");
  });

  it("adds configured blocking calls", () => {
    const source = "from mylib import fetch_sync\nasync def f():\n    fetch_sync()";
    expect(findingKeys(source)).toEqual([]);
    expect(findingKeys(source, { options: { extraBlockingCalls: ["mylib.fetch_sync"] } })).toEqual(["3:blocking-call"]);
  });

  it("reports monkey-patching in test files only when configured", () => {
    const source = "import socket\nsocket.socket = object";
    expect(findingKeys(source, { path: "tests/test_net.py" })).toEqual([]);
    expect(findingKeys(source, { path: "pkg/conftest.py" })).toEqual([]);
    expect(findingKeys(source, { path: "pkg/net_test.py" })).toEqual([]);
    expect(findingKeys(source, { path: "pkg/net.py" })).toEqual(["2:monkey-patch"]);
    expect(findingKeys(source, { path: "tests/test_net.py", options: { monkeyPatchInTests: true } })).toEqual(["2:monkey-patch"]);
  });
});

describe("messages", () => {
  it.each([
    ["import asyncio", "`await asyncio.sleep(...)`"],
    ["import trio", "`await trio.sleep(...)`"],
    ["import anyio", "`await anyio.sleep(...)`"],
  ])("after %s, time.sleep suggests %s", (importLine, alternative) => {
    const [finding] = analyze(`${importLine}\nimport time\nasync def f():\n    time.sleep(1)`).findings;
    expect(finding.message).toContain(alternative);
    expect(finding.message).toContain("coroutine `f`");
  });

  it("names the earlier imports of a late patch and points related information at them", () => {
    const source = "import ssl\nimport os\nfrom gevent import monkey\nmonkey.patch_all()";
    const late = analyze(source).findings.find((f) => f.rule === "late-monkey-patch")!;
    expect(late.message).toContain("`ssl`");
    expect(late.related?.map((r) => r.range.start.line)).toEqual([0, 1]);
  });
});

describe("bad input", () => {
  it("reports the first syntax error and still analyses the valid parts", () => {
    const source = [
      "import time",
      "async def good():",
      "    time.sleep(1)",
      "def broken(:",
      "    pass",
      "async def also_good():",
      "    time.sleep(2)",
    ].join("\n");
    const keys = findingKeys(source);
    expect(keys).toContain("3:blocking-call");
    expect(keys).toContain("7:blocking-call");
    expect(keys.filter((k) => k.endsWith("syntax-error"))).toHaveLength(1);
    expect(keys).toContain("4:syntax-error");
  });

  it.each([
    ["an empty file", ""],
    ["only comments", "# nothing here\n"],
    ["a lone keyword", "async"],
    ["unbalanced brackets", "async def f(:\n    x = [1, 2\n"],
    ["binary-looking text", "\u0000\u0001\u0002 async def"],
    ["deep nesting", `x = ${"[".repeat(500)}${"]".repeat(500)}`],
  ])("never throws on %s", (_name, source) => {
    expect(() => analyze(source)).not.toThrow();
  });

  it("isolates a rule that throws: the others still report", () => {
    const rule = ruleById("dangling-task")!;
    vi.spyOn(rule, "checkPython").mockImplementation(() => {
      throw new Error("boom");
    });
    const result = analyze(blocking);
    expect(result.findings.map((f) => f.rule)).toEqual(["blocking-call"]);
    expect(result.ruleErrors).toEqual([expect.objectContaining({ rule: "dangling-task", message: expect.stringContaining("boom") })]);
  });
});

describe("prefilter", () => {
  it("lets through every rule's documented example", () => {
    for (const rule of rules) expect(mightHoldFinding(rule.docs.example), rule.id).toBe(true);
  });

  it("rules out files with nothing a rule could report", () => {
    expect(mightHoldFinding("import os\n\ndef main():\n    os.path.join('a', 'b')\n")).toBe(false);
  });

  it.each([
    ["import socket as s\ns.socket = object\n", true],
    ["from socket import socket as S\nS.connect = print\n", true],
    ["from http import client\nclient.HTTPConnection.debuglevel = 1\n", true],
    ["import ssl\nsetattr(ssl, 'wrap_socket', None)\n", true],
    ["from . import socket\nsocket.socket = object\n", false],
    ["import sys\nsys.stdout = None\nsetattr(sys, 'path', [])\n", false],
    ["settings = object()\nsettings.socket = None\n", false],
  ])("scans %j for a stdlib patch: %s, as the rule decides", (source, patched) => {
    expect(mightHoldFinding(source)).toBe(patched);
    expect(findingKeys(source).includes("2:monkey-patch")).toBe(patched);
  });
});
