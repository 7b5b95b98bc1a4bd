import { beforeAll, describe, expect, it } from "vitest";
import { analyzeSource, applyFixes, fixAll, suppressionFix } from "../rules/index";
import { fixAllFindings } from "../rules/fix";
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
    [
      "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nasync def f():\n    import time\n    time.sleep(1)\n",
      "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nimport asyncio\nasync def f():\n    import time\n    await asyncio.sleep(1)\n",
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
  ])("is not offered in %s", (_case, source) => {
    const finding = analyze(source).findings.find((f) => f.rule === "blocking-call");
    expect(finding).toBeDefined();
    expect(finding?.fixes).toBeUndefined();
  });
});

describe("to_thread fix of other blocking calls", () => {
  it.each([
    [
      "import requests\n\nasync def f(url):\n    r = requests.get(url, timeout=5)\n",
      "import requests\nimport asyncio\n\nasync def f(url):\n    r = await asyncio.to_thread(requests.get, url, timeout=5)\n",
    ],
    [
      "import asyncio as aio\nimport subprocess\n\nasync def f():\n    return subprocess.run(['ls'], check=True)\n",
      "import asyncio as aio\nimport subprocess\n\nasync def f():\n    return await aio.to_thread(subprocess.run, ['ls'], check=True)\n",
    ],
    [
      "import asyncio\n\nasync def f():\n    name = input()\n",
      "import asyncio\n\nasync def f():\n    name = await asyncio.to_thread(input)\n",
    ],
    [
      "import asyncio, requests\n\nasync def f(args, kw):\n    print(requests.get(*args, **kw))\n",
      "import asyncio, requests\n\nasync def f(args, kw):\n    print(await asyncio.to_thread(requests.get, *args, **kw))\n",
    ],
    [
      "import asyncio, requests\n\nasync def f(url):\n    requests.post(  # why\n        url,\n    )\n",
      "import asyncio, requests\n\nasync def f(url):\n    await asyncio.to_thread(requests.post,  # why\n        url,\n    )\n",
    ],
    [
      "import asyncio, shutil\n\nasync def f(paths):\n    shutil.copy(p for p in paths)\n",
      "import asyncio, shutil\n\nasync def f(paths):\n    await asyncio.to_thread(shutil.copy, (p for p in paths))\n",
    ],
    [
      "import trio, requests\n\nasync def f(url, args):\n    requests.get(url, *args)\n",
      "import trio, requests\n\nasync def f(url, args):\n    await trio.to_thread.run_sync(requests.get, url, *args)\n",
    ],
    [
      "import anyio, functools as ft, requests\n\nasync def f(url, kw):\n    requests.get(url, **kw)\n",
      "import anyio, functools as ft, requests\n\nasync def f(url, kw):\n    await anyio.to_thread.run_sync(ft.partial(requests.get, url, **kw))\n",
    ],
    [
      "from trio import sleep\nimport requests\n\nasync def f(url):\n    requests.get(url, timeout=1)\n",
      "from trio import sleep\nimport requests\nimport trio\nimport functools\n\nasync def f(url):\n    await trio.to_thread.run_sync(functools.partial(requests.get, url, timeout=1))\n",
    ],
  ])("fixes %j", (source, expected) => {
    expect(fixed(source, "blocking-call")).toBe(expected);
    expect(findingKeys(expected)).toEqual([]);
  });

  it("is marked unsafe and says it runs the call in a thread", () => {
    const [finding] = analyze("import requests\nasync def f():\n    requests.get('u')\n").findings;
    expect(finding.fixes).toEqual([expect.objectContaining({ safety: "unsafe", title: "Run in a thread: `await asyncio.to_thread(requests.get, ...)`" })]);
  });

  it.each([
    ["`with open(...)` (the body's reads would still block)", "async def f(p):\n    with open(p) as fh:\n        return fh.read()\n"],
    ["an attribute of the result", "async def f(p):\n    return open(p).read()\n"],
    ["a sqlite3 connection (bound to its thread)", "import sqlite3\nasync def f():\n    db = sqlite3.connect('db')\n"],
    ["Condition.wait (needs the lock in the waiting thread)", "import threading\nasync def f(c: threading.Condition):\n    c.wait()\n"],
    ["a comprehension", "import requests\nasync def f(us):\n    return [requests.get(u) for u in us]\n"],
    ["a local named asyncio", "import requests\nasync def f(u, asyncio):\n    requests.get(u)\n"],
    ["a decorated generator coroutine", "import requests\nfrom tornado import gen\n@gen.coroutine\ndef f():\n    requests.get('u')\n    yield None\n"],
  ])("is not offered for %s", (_case, source) => {
    const finding = analyze(source).findings.find((f) => f.rule === "blocking-call");
    expect(finding).toBeDefined();
    expect(finding?.fixes).toBeUndefined();
  });
});

/** The findings of blocking-call alone in a TypeScript snippet: no type checker, so the fix judges by the syntax. */
function tsFixed(source: string, path = "app.ts"): string {
  return fixAll({ path, source, rules: { select: ["blocking-call"] } }, { unsafe: false }).text;
}

describe("fs promise fix (syntax only)", () => {
  it.each([
    [
      'import fs from "fs";\nexport async function f(dir: string) {\n  return fs.readFileSync(dir + "/a.json", "utf8");\n}\n',
      'import fs from "fs";\nexport async function f(dir: string) {\n  return await fs.promises.readFile(dir + "/a.json", "utf8");\n}\n',
    ],
    [
      'import { statSync } from "fs";\nexport async function f(p: string) {\n  const big = statSync(p, { bigint: true }).size;\n}\n',
      'import { statSync } from "fs";\nimport { stat } from "fs/promises";\nexport async function f(p: string) {\n  const big = (await stat(p, { bigint: true })).size;\n}\n',
    ],
    [
      // A statement starting with `(` after a line without `;` gets a guard.
      'import {readFileSync} from "node:fs"\nexport async function f(p: string) {\n  const a = p\n  readFileSync(p).toString()\n}\n',
      'import {readFileSync} from "node:fs"\nimport {readFile} from "node:fs/promises"\nexport async function f(p: string) {\n  const a = p\n  ;(await readFile(p)).toString()\n}\n',
    ],
    [
      // `readFile` is taken: the import gets an alias.
      'import { readFileSync } from "fs";\nconst readFile = () => 1;\nexport async function f(p: string) {\n  return readFileSync(p);\n}\n',
      'import { readFileSync } from "fs";\nimport { readFile as readFileAsync } from "fs/promises";\nconst readFile = () => 1;\nexport async function f(p: string) {\n  return await readFileAsync(p);\n}\n',
    ],
    [
      'import { readFileSync } from "fs";\nimport { promises as fsp } from "fs";\nexport async function f(p: string) {\n  return readFileSync(p);\n}\n',
      'import { readFileSync } from "fs";\nimport { promises as fsp } from "fs";\nexport async function f(p: string) {\n  return await fsp.readFile(p);\n}\n',
    ],
    [
      'async function f(p) {\n  const { writeFileSync } = require("fs");\n  writeFileSync(p, "x");\n}\n',
      'async function f(p) {\n  const { writeFileSync } = require("fs");\n  const { writeFile } = require("fs/promises");\n  await writeFile(p, "x");\n}\n',
    ],
    [
      "const fs = require('fs');\nconst g = async (p) => fs.mkdirSync(p, { recursive: true });\n",
      "const fs = require('fs');\nconst g = async (p) => await fs.promises.mkdir(p, { recursive: true });\n",
    ],
  ])("fixes %j", (source, expected) => {
    const path = source.includes("require(") ? "app.cjs" : "app.ts";
    expect(tsFixed(source, path)).toBe(expected);
  });

  it.each([
    ["existsSync (no promise form)", 'import fs from "fs";\nexport async function f(p: string) {\n  return fs.existsSync(p);\n}\n'],
    ["a file descriptor", 'import fs from "fs";\nexport async function f() {\n  fs.writeFileSync(process.stdout.fd, "x");\n}\n'],
    ["an fd from openSync", 'import fs from "fs";\nexport async function f(p: string) {\n  const handle = fs.openSync(p, "r");\n  return fs.readFileSync(handle);\n}\n'],
    ["a numeric literal", 'import fs from "fs";\nexport async function f() {\n  return fs.readFileSync(0, "utf8");\n}\n'],
    ["statSync without throwing", 'import fs from "fs";\nexport async function f(p: string) {\n  return fs.statSync(p, { throwIfNoEntry: false });\n}\n'],
    ["statSync with unknown options", 'import fs from "fs";\nexport async function f(p: string, o: any) {\n  return fs.statSync(p, o);\n}\n'],
    ["openSync (a number, not a FileHandle)", 'import fs from "fs";\nexport async function f(p: string) {\n  return fs.openSync(p, "r");\n}\n'],
    ["a parameter default", 'import fs from "fs";\nexport async function f(p: string, a = fs.readFileSync(p)) {\n  return a;\n}\n'],
    ["a class field in an async function", 'import fs from "fs";\nexport async function f(p: string) {\n  return class { a = fs.readFileSync(p); };\n}\n'],
    ["a named import declared twice", 'import { readFileSync } from "fs";\nexport async function f(p: string) {\n  return readFileSync(p);\n}\nfunction g(readFileSync: (p: string) => string) {}\n'],
    ["execSync (a different API)", 'import { execSync } from "child_process";\nexport async function f() {\n  return execSync("ls");\n}\n'],
  ])("is not offered for %s", (_case, source) => {
    const findings = analyze(source, { path: "app.ts", rules: { select: ["blocking-call"] } }).findings;
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.fixes === undefined)).toBe(true);
  });

  it("marks realpath unsafe (fs.promises.realpath resolves like realpathSync.native)", () => {
    const source = 'import fs from "fs";\nexport async function f(p: string) {\n  return fs.realpathSync(p);\n}\n';
    const [finding] = analyze(source, { path: "app.ts", rules: { select: ["blocking-call"] } }).findings;
    expect(finding.fixes).toEqual([expect.objectContaining({ safety: "unsafe", title: "Replace with `await fs.promises.realpath(...)`" })]);
  });

  it("is safe for readFileSync", () => {
    const source = 'import fs from "fs";\nexport async function f(p: string) {\n  return fs.readFileSync(p);\n}\n';
    const [finding] = analyze(source, { path: "app.ts", rules: { select: ["blocking-call"] } }).findings;
    expect(finding.fixes).toEqual([expect.objectContaining({ safety: "safe", title: "Replace with `await fs.promises.readFile(...)`" })]);
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
    const source = "async def f(p):\n    with open(p) as handle:\n        return handle.read()\n";
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

describe("a fix that would break the file", () => {
  /** The real findings plus one whose "fix" deletes a closing bracket. */
  function withBreakingFix(source: string, path: string) {
    return (text: string) => {
      const real = analyzeSource({ path, source: text }).findings;
      if (text !== source) return real;
      const line = source.split("\n").findIndex((l) => l.includes(")"));
      const column = source.split("\n")[line]!.indexOf(")");
      const breaking = {
        rule: "blocking-call",
        severity: "error" as const,
        message: "test",
        range: { start: { line, column }, end: { line, column: column + 1 } },
        fixes: [{ title: "Delete a bracket", safety: "safe" as const, edits: [{ range: { start: { line, column }, end: { line, column: column + 1 } }, newText: "" }] }],
      };
      return [breaking, ...real];
    };
  }

  it.each([
    ["app.py", "import time\nasync def f():\n    time.sleep(1)\n"],
    ["app.ts", "async function save(): Promise<void> {}\nexport async function f() {\n  save();\n}\n"],
  ])("is rejected in %s while the others go in, and the result parses as well as before", (path, source) => {
    const result = fixAllFindings({ path, source }, { unsafe: false }, withBreakingFix(source, path));
    expect(result.rejected.map((fix) => fix.title)).toEqual(["Delete a bracket"]);
    expect(result.fixed).toBe(1);
    expect(result.text).toContain("await");
    expect(analyzeSource({ path, source: result.text }).findings.filter((f) => f.rule === "syntax-error")).toEqual([]);
  });
});
