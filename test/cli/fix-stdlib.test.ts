import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers";

/**
 * The property `--fix` promises: over a corpus nobody here wrote — a copy of the Python standard
 * library — `--fix --unsafe-fixes` never leaves a file that CPython's own parser rejects where the
 * original parsed, and a second run finds nothing left to fix.
 */
const stdlib = execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" }).trim();
const copy = mkdtempSync(join(tmpdir(), "corolint-stdlib-fix-"));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

function pythonFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".py"))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The files among `paths` that CPython parses, by `ast.parse`, in one process. */
function parsedByCPython(paths: string[]): Set<string> {
  const script = [
    "import ast, sys",
    "for path in sys.stdin.read().splitlines():",
    "    try:",
    "        ast.parse(open(path, 'rb').read(), filename=path)",
    "        print(path)",
    "    except (SyntaxError, ValueError):",
    "        pass",
  ].join("\n");
  const out = execFileSync("python3", ["-c", script], { input: paths.join("\n"), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return new Set(out.split("\n").filter(Boolean));
}

describe("--fix --unsafe-fixes over a copy of the standard library", () => {
  it("never leaves a file CPython cannot parse where the original parsed, and is idempotent", { timeout: 300_000 }, async () => {
    cpSync(stdlib, copy, { recursive: true, filter: (source) => !/[\\/](site-packages|__pycache__)$/.test(source) });
    const files = pythonFiles(copy);
    const originals = new Map(files.map((path) => [path, readFileSync(path, "utf8")]));

    const first = await runCli(["check", ".", "--unsafe-fixes", "--exit-zero", "--format", "json"], copy);
    expect(first.code, first.stderr).toBe(0);
    const changed = files.filter((path) => readFileSync(path, "utf8") !== originals.get(path));
    // The corpus has fixable findings: otherwise this test proves nothing.
    expect(changed.length).toBeGreaterThan(5);

    const parsedBefore = parsedByCPython(changed.map((path) => join(stdlib, relative(copy, path))));
    const parsedAfter = parsedByCPython(changed);
    const broken = changed.filter((path) => parsedBefore.has(join(stdlib, relative(copy, path))) && !parsedAfter.has(path));
    expect(broken.map((path) => relative(copy, path))).toEqual([]);

    const second = await runCli(["check", ".", "--unsafe-fixes", "--exit-zero", "--diff"], copy);
    expect(second.stdout).toBe("");
    expect(second.stderr).toContain("nothing to fix");
  });
});
