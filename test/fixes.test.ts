import { beforeAll, describe, expect, it } from "vitest";
import { applyFixes, fixAll, suppressionFix } from "../rules/index";
import { analyze, findingKeys, loadCore } from "./helpers/core";

beforeAll(loadCore);

/** Applies the preferred fix of the only finding of `rule` in `source`. */
function fixed(source: string, rule: string): string | null {
  const finding = analyze(source).findings.find((f) => f.rule === rule);
  const fix = finding?.fixes?.[0];
  return fix ? applyFixes(source, [fix]).text : null;
}

describe("time.sleep fix", () => {
  it.each([
    [
      "import asyncio\nimport time\n\nasync def f():\n    time.sleep(0.5)\n",
      "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(0.5)\n",
    ],
    [
      "import time\n\nasync def f():\n    time.sleep(1)\n",
      "import time\nimport asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n",
    ],
    [
      "import asyncio as aio\nfrom time import sleep\n\nasync def f():\n    x = sleep(2)\n",
      "import asyncio as aio\nfrom time import sleep\n\nasync def f():\n    x = await aio.sleep(2)\n",
    ],
    [
      "import time\nimport trio\n\nasync def f():\n    return time.sleep(1)\n",
      "import time\nimport trio\n\nasync def f():\n    return await trio.sleep(1)\n",
    ],
    [
      '"""Docs."""\nasync def f():\n    import time\n    time.sleep(1)',
      '"""Docs."""\nimport asyncio\nasync def f():\n    import time\n    await asyncio.sleep(1)',
    ],
  ])("fixes %j", (source, expected) => {
    expect(fixed(source, "blocking-call")).toBe(expected);
    expect(findingKeys(expected)).toEqual([]);
  });

  it("is marked safe", () => {
    const [finding] = analyze("import time\nasync def f():\n    time.sleep(1)\n").findings;
    expect(finding.fixes?.[0].safety).toBe("safe");
  });

  it.each([
    ["a decorated generator coroutine", "import time\nfrom tornado import gen\n@gen.coroutine\ndef f():\n    time.sleep(1)\n    yield None\n"],
    ["a comprehension", "import time\nasync def f():\n    return [time.sleep(1) for _ in range(3)]\n"],
    ["an attribute of the result", "import time\nasync def f():\n    return time.sleep(1).real\n"],
    ["another blocking call", "import requests\nasync def f():\n    requests.get('u')\n"],
  ])("is not offered in %s", (_case, source) => {
    const finding = analyze(source).findings.find((f) => f.rule === "blocking-call");
    expect(finding).toBeDefined();
    expect(finding?.fixes).toBeUndefined();
  });
});

describe("unawaited-coroutine fix", () => {
  it("adds await inside an async def", () => {
    const source = "async def save(): ...\nasync def f():\n    save()\n";
    expect(fixed(source, "unawaited-coroutine")).toBe("async def save(): ...\nasync def f():\n    await save()\n");
  });

  it("is not offered in sync code", () => {
    const finding = analyze("async def save(): ...\ndef f():\n    save()\n").findings[0];
    expect(finding.rule).toBe("unawaited-coroutine");
    expect(finding.fixes).toBeUndefined();
  });
});

describe("suppressionFix", () => {
  const suppress = (source: string) => {
    const finding = analyze(source).findings[0];
    const fix = suppressionFix(source, finding);
    return fix ? applyFixes(source, [fix]).text : null;
  };

  it("appends a comment naming the rule, which silences the line", () => {
    const source = "import time\nasync def f():\n    time.sleep(1)\n";
    const result = suppress(source);
    expect(result).toBe("import time\nasync def f():\n    time.sleep(1)  # corolint: ignore[blocking-call]\n");
    expect(findingKeys(result!)).toEqual([]);
  });

  it("extends an existing ignore list", () => {
    const source = "import time\nasync def f():\n    time.sleep(1)  # corolint: ignore[dangling-task]\n";
    expect(suppress(source)).toBe("import time\nasync def f():\n    time.sleep(1)  # corolint: ignore[dangling-task, blocking-call]\n");
  });

  it("uses the last line when the first one ends inside a string", () => {
    const source = 'import requests\nasync def f():\n    requests.post("""\nbody""")\n';
    const result = suppress(source)!;
    expect(result).toBe('import requests\nasync def f():\n    requests.post("""\nbody""")  # corolint: ignore[blocking-call]\n');
    expect(findingKeys(result)).toEqual([]);
  });
});

describe("fixAll", () => {
  it("applies every safe fix, sharing one added import, and is idempotent", () => {
    const source = "import time\n\nasync def save(): ...\n\nasync def f():\n    time.sleep(1)\n    time.sleep(2)\n    save()\n";
    const first = fixAll({ path: "app.py", source }, { unsafe: false });
    expect(first.text).toBe(
      "import time\nimport asyncio\n\nasync def save(): ...\n\nasync def f():\n    await asyncio.sleep(1)\n    await asyncio.sleep(2)\n    await save()\n",
    );
    expect(first.fixed).toBe(3);
    const second = fixAll({ path: "app.py", source: first.text }, { unsafe: false });
    expect(second).toMatchObject({ text: first.text, fixed: 0 });
  });

  it("leaves a file without fixable findings unchanged", () => {
    const source = "import requests\nasync def f():\n    requests.get('u')\n";
    expect(fixAll({ path: "app.py", source }, { unsafe: true })).toMatchObject({ text: source, fixed: 0 });
  });
});

describe("applyFixes", () => {
  it("skips a fix that overlaps an earlier one instead of corrupting the text", () => {
    const at = (line: number, column: number) => ({ line, column });
    const first = { title: "a", safety: "safe" as const, edits: [{ range: { start: at(0, 0), end: at(0, 3) }, newText: "xyz" }] };
    const second = { title: "b", safety: "safe" as const, edits: [{ range: { start: at(0, 2), end: at(0, 5) }, newText: "!!" }] };
    const result = applyFixes("abcdefg", [first, second]);
    expect(result.text).toBe("xyzdefg");
    expect(result.applied).toEqual([first]);
    expect(result.skipped).toEqual([second]);
  });
});
