/** Files that cannot be analysed are skipped with a reason; one bad file never stops the run. */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BLOCKING, makeProject, runCli } from "./helpers";

describe("bad input", () => {
  it("skips binary, non-UTF-8, oversized and dangling files, and still reports the good ones", async () => {
    const dir = makeProject({
      "good.py": BLOCKING,
      "binary.py": new Uint8Array([0x69, 0x6d, 0x70, 0x00, 0x01, 0x02]),
      "latin1.py": new Uint8Array([...Buffer.from("# caf"), 0xe9, 0x0a]),
    });
    // Over 10 MB but cheap to write: a comment line repeated.
    writeFileSync(join(dir, "huge.py"), "#".repeat(10 * 1024 * 1024 + 1));
    symlinkSync(join(dir, "missing-target.py"), join(dir, "dangling.py"));

    const { code, stdout, stderr } = await runCli(["check", "--format", "json"], dir);
    expect(code).toBe(1);
    expect(stderr).toBe("");
    const document = JSON.parse(stdout);
    expect(document.findings.map((f: { file: string }) => f.file)).toEqual(["good.py"]);
    expect(document.skipped).toEqual([
      { file: "binary.py", reason: "binary file (contains NUL bytes)" },
      { file: "dangling.py", reason: "unreadable: broken symbolic link" },
      { file: "huge.py", reason: "too large (10.0 MB; the limit is 10 MB)" },
      { file: "latin1.py", reason: "not valid UTF-8" },
    ]);
    expect(document.summary).toMatchObject({ files: 1, skipped: 4 });
  });

  it("lists skipped files on stderr in text format", async () => {
    const dir = makeProject({ "good.py": BLOCKING, "latin1.py": new Uint8Array([0xff, 0xfe, 0x0a]) });
    const { code, stdout, stderr } = await runCli(["check"], dir);
    expect(code).toBe(1);
    expect(stderr).toBe("corolint: skipped latin1.py: not valid UTF-8\n");
    expect(stdout).toMatch(/checked 1 file, skipped 1\.\n$/);
  });

  it("a folder named x.py is a folder: walked, not read", async () => {
    const dir = makeProject({ "x.py/inner.py": BLOCKING });
    mkdirSync(join(dir, "empty.py"));
    const { code, stdout, stderr } = await runCli(["check", "--format", "json"], dir);
    expect(code).toBe(1);
    expect(stderr).toBe("");
    const document = JSON.parse(stdout);
    expect(document.findings.map((f: { file: string }) => f.file)).toEqual(["x.py/inner.py"]);
    expect(document.skipped).toEqual([]);
  });

  it("a symlink named like a Python file that points at a folder is not followed", async () => {
    const dir = makeProject({ "real/a.py": BLOCKING });
    symlinkSync(join(dir, "real"), join(dir, "alias.py"));
    const { stdout } = await runCli(["check", "--format", "json"], dir);
    expect(JSON.parse(stdout).summary).toMatchObject({ files: 1, findings: 1, skipped: 0 });
  });

  it("strips a UTF-8 byte-order mark, so columns and the first line are right", async () => {
    const dir = makeProject({ "bom.py": "\ufeff" + BLOCKING });
    const { stdout } = await runCli(["check", "--format", "json"], dir);
    expect(JSON.parse(stdout).findings[0]).toMatchObject({ file: "bom.py", line: 3, column: 5 });
  });

  it("reports a named dangling symlink as skipped, not as a missing path", async () => {
    const dir = makeProject({});
    symlinkSync(join(dir, "gone.py"), join(dir, "link.py"));
    const { code, stdout } = await runCli(["check", "--format", "json", "link.py"], dir);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).skipped).toEqual([{ file: "link.py", reason: "unreadable: broken symbolic link" }]);
  });
});
