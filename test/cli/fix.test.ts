/** `corolint check --fix`, `--unsafe-fixes` and `--diff` on real files. */
import { chmodSync, lstatSync, readFileSync, readlinkSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BLOCKING, CLEAN, makeProject, runCli } from "./helpers";

const FIXED = "import time\nimport asyncio\nasync def f():\n    await asyncio.sleep(1)\n";
const TS_FLOATING = "async function save(): Promise<void> {}\n\nexport async function handle() {\n  save();\n}\n";

describe("--fix", () => {
  it("writes the safe fixes, reports what is left, and a second run changes nothing", async () => {
    const dir = makeProject({ "a.py": BLOCKING, "ok.py": CLEAN, "floating.ts": TS_FLOATING });
    const first = await runCli(["check", "--fix"], dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("Applied 2 fixes in 2 files.\nNo problems found; checked 3 files.\n");
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe(FIXED);
    expect(readFileSync(join(dir, "floating.ts"), "utf8")).toBe(TS_FLOATING.replace("  save();", "  await save();"));
    expect(readFileSync(join(dir, "ok.py"), "utf8")).toBe(CLEAN);

    const before = statSync(join(dir, "a.py")).mtimeMs;
    const second = await runCli(["check", "--fix"], dir);
    expect(second.stdout).toBe("Applied 0 fixes in 0 files.\nNo problems found; checked 3 files.\n");
    expect(statSync(join(dir, "a.py")).mtimeMs).toBe(before);
  });

  it("keeps line endings, the byte-order mark and the file mode", async () => {
    const crlf = BLOCKING.replace(/\n/g, "\r\n");
    const dir = makeProject({ "win.py": crlf, "bom.py": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(BLOCKING)]) });
    chmodSync(join(dir, "win.py"), 0o751);
    const { code } = await runCli(["check", "--fix"], dir);
    expect(code).toBe(0);
    expect(readFileSync(join(dir, "win.py"), "utf8")).toBe(FIXED.replace(/\n/g, "\r\n"));
    expect(statSync(join(dir, "win.py")).mode & 0o777).toBe(0o751);
    const bom = readFileSync(join(dir, "bom.py"));
    expect([...bom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bom.subarray(3).toString("utf8")).toBe(FIXED);
  });

  it("fixes the file a symlink points at and leaves the link a link", async () => {
    const dir = makeProject({ "real/a.py": BLOCKING });
    symlinkSync(join(dir, "real/a.py"), join(dir, "link.py"));
    await runCli(["check", "--fix", "link.py"], dir);
    expect(lstatSync(join(dir, "link.py")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, "link.py"))).toBe(join(dir, "real/a.py"));
    expect(readFileSync(join(dir, "real/a.py"), "utf8")).toBe(FIXED);
  });

  // Root ignores the folder's mode, so the write cannot be made to fail this way.
  it.skipIf(process.getuid?.() === 0)("leaves the file untouched and says so when it cannot write", async () => {
    const dir = makeProject({ "locked/a.py": BLOCKING });
    chmodSync(join(dir, "locked"), 0o555);
    try {
      const { code, stderr } = await runCli(["check", "--fix"], dir);
      expect(code).toBe(1);
      expect(stderr).toMatch(/could not fix locked\/a\.py: could not write the fixed file/);
      expect(readFileSync(join(dir, "locked/a.py"), "utf8")).toBe(BLOCKING);
    } finally {
      chmodSync(join(dir, "locked"), 0o755);
    }
  });
});

describe("--diff", () => {
  it("prints the fixes as a unified diff, writes nothing, and exits 1", async () => {
    const dir = makeProject({ "a.py": BLOCKING, "ok.py": CLEAN });
    const { code, stdout, stderr } = await runCli(["check", "--diff"], dir);
    expect(code).toBe(1);
    expect(stdout).toBe(
      "--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,4 @@\n import time\n+import asyncio\n async def f():\n-    time.sleep(1)\n+    await asyncio.sleep(1)\n",
    );
    expect(stderr).toBe("corolint: would apply 1 fix in 1 file\n");
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe(BLOCKING);
  });

  it("exits 0 with nothing to fix", async () => {
    const { code, stdout, stderr } = await runCli(["check", "--diff"], makeProject({ "ok.py": CLEAN }));
    expect(code).toBe(0);
    expect(stdout).toBe("");
    expect(stderr).toBe("corolint: nothing to fix\n");
  });
});
