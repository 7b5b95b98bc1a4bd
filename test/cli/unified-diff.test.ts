import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { unifiedDiff } from "../../cli/unified-diff";
import { random } from "../helpers/random";

const dir = mkdtempSync(join(tmpdir(), "corolint-diff-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("unifiedDiff", () => {
  it("is empty for equal texts", () => {
    expect(unifiedDiff("a.py", "x\n", "x\n")).toBe("");
  });

  it("writes git-style headers and a hunk with three lines of context", () => {
    const before = ["a", "b", "c", "d", "e", "f", "g", "h"].map((l) => `${l}\n`).join("");
    const after = before.replace("e\n", "E\n");
    expect(unifiedDiff("pkg/m.py", before, after)).toBe(
      "--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n",
    );
  });

  it("marks a missing final newline", () => {
    expect(unifiedDiff("f", "a\nb", "a\nc")).toBe("--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n");
  });

  it("produces patches that git apply turns the old text into the new one, over random edits", () => {
    const next = random(11);
    for (let round = 0; round < 150; round += 1) {
      const lines = Array.from({ length: Math.floor(next() * 40) }, () => `line ${Math.floor(next() * 8)}\r\n`.replace(next() < 0.7 ? "\r" : "", ""));
      const edited = lines.slice();
      for (let e = 0; e < 1 + Math.floor(next() * 5); e += 1) {
        const at = Math.floor(next() * (edited.length + 1));
        if (next() < 0.5) edited.splice(at, 0, `new ${Math.floor(next() * 8)}\n`);
        else edited.splice(at, 1);
      }
      const before = lines.join("");
      const after = next() < 0.2 ? edited.join("").replace(/\n$/, "") : edited.join("");
      const patch = unifiedDiff("file.txt", before, after);
      writeFileSync(join(dir, "file.txt"), before);
      if (patch !== "") {
        writeFileSync(join(dir, "change.patch"), patch);
        execFileSync("git", ["apply", "--whitespace=nowarn", "change.patch"], { cwd: dir });
      }
      expect(readFileSync(join(dir, "file.txt"), "utf8"), `round ${round}`).toBe(after);
    }
  });
});
