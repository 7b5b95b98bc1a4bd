/** `corolint check` on TypeScript and JavaScript: discovery, findings, project warnings, workers. */
import { describe, expect, it } from "vitest";
import { BLOCKING, makeProject, runCli } from "./helpers";

const TS_BLOCKING = 'import { readFileSync } from "node:fs";\n\nexport async function load(path: string) {\n  return readFileSync(path, "utf8");\n}\n';
const CJS_BLOCKING = 'const { execSync } = require("node:child_process");\n\nmodule.exports = async () => execSync("make");\n';
const ESM_PATCH = "globalThis.fetch = async () => new Response();\n";
const TSCONFIG = JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true } });

interface JsonReport {
  /** 1-based lines. */
  findings: { file: string; rule: string; line: number }[];
}

describe("corolint check on TypeScript and JavaScript", () => {
  it("finds the .ts, .cjs and .mjs files next to Python ones, and leaves out .d.ts and minified bundles", async () => {
    const dir = makeProject({
      "tsconfig.json": TSCONFIG,
      "src/load.ts": TS_BLOCKING,
      "src/types.d.ts": "export declare function load(path: string): Promise<string>;\n",
      "tools/build.cjs": CJS_BLOCKING,
      "web/patch.mjs": ESM_PATCH,
      "web/vendor.min.js": ESM_PATCH,
      "app.py": BLOCKING,
    });
    const { code, stdout } = await runCli(["check", "--format", "json"], dir);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as JsonReport;
    const found = report.findings.map((f) => `${f.file}:${f.line}:${f.rule}`).sort();
    expect(found).toEqual(["app.py:3:blocking-call", "src/load.ts:4:blocking-call", "tools/build.cjs:3:blocking-call", "web/patch.mjs:1:monkey-patch"]);
  });

  it("gives the same findings on worker threads as in-process", async () => {
    const files: Record<string, string> = { "tsconfig.json": TSCONFIG };
    for (let i = 0; i < 20; i += 1) {
      files[`src/load${i}.ts`] = TS_BLOCKING;
      files[`py/app${i}.py`] = BLOCKING;
    }
    const dir = makeProject(files);
    const one = await runCli(["check", "--format", "json", "--jobs", "1"], dir);
    const two = await runCli(["check", "--format", "json", "--jobs", "2"], dir);
    expect(two.stdout).toBe(one.stdout);
    expect((JSON.parse(one.stdout) as JsonReport).findings).toHaveLength(40);
  });

  it("warns once about a broken tsconfig.json and still checks its files with default options", async () => {
    const dir = makeProject({ "tsconfig.json": "{ broken", "a.ts": TS_BLOCKING, "b.ts": TS_BLOCKING });
    const { code, stdout, stderr } = await runCli(["check"], dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^a\.ts:4:10: blocking-call/m);
    expect(stdout).toMatch(/^b\.ts:4:10: blocking-call/m);
    expect(stderr.match(/tsconfig\.json could not be read/g)).toHaveLength(1);
  });

  it("skips a binary .ts with a reason and still checks the others", async () => {
    const dir = makeProject({ "tsconfig.json": TSCONFIG, "a.ts": TS_BLOCKING, "blob.ts": new Uint8Array([0x00, 0xff, 0x10, 0x00, 0x41]) });
    const { code, stdout, stderr } = await runCli(["check"], dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^a\.ts:4:10: blocking-call/m);
    expect(stderr).toContain("corolint: skipped blob.ts: binary file (contains NUL bytes)");
  });

  it("honours corolint-ignore comments", async () => {
    const dir = makeProject({
      "a.ts": TS_BLOCKING.replace('  return readFileSync(path, "utf8");', '  // corolint-ignore-next-line blocking-call\n  return readFileSync(path, "utf8");'),
      "b.cjs": `/* corolint-ignore-file */\n${CJS_BLOCKING}`,
    });
    const { code, stdout } = await runCli(["check"], dir);
    expect(code).toBe(0);
    expect(stdout).toBe("No problems found; checked 2 files.\n");
  });
});
