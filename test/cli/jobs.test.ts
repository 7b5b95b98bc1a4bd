/** Worker threads change nothing but speed: the same files give byte-identical output. */
import { describe, expect, it } from "vitest";
import { BLOCKING, CLEAN, DANGLING, makeProject, runCli } from "./helpers";

describe("--jobs", () => {
  it("gives identical output in-process and on worker threads", async () => {
    const files: Record<string, string | Uint8Array> = {};
    const kinds = [BLOCKING, DANGLING, CLEAN, BLOCKING + DANGLING.replace("import asyncio\n", "import asyncio\n\n")];
    for (let i = 0; i < 40; i++) files[`pkg${i % 3}/mod_${String(i).padStart(2, "0")}.py`] = kinds[i % kinds.length]!;
    files["pkg0/binary.py"] = new Uint8Array([0]);
    const dir = makeProject(files);

    const outputs = [];
    for (const jobs of ["0", "1", "2", "3"]) {
      for (const format of ["json", "sarif"]) {
        const result = await runCli(["check", "--format", format, "--jobs", jobs], dir);
        expect(result.code).toBe(1);
        outputs.push({ jobs, format, stdout: result.stdout });
      }
    }
    const document = JSON.parse(outputs[0]!.stdout);
    expect(document.summary).toMatchObject({ files: 40, skipped: 1 });
    expect(document.findings.length).toBeGreaterThanOrEqual(30);
    for (const output of outputs) {
      const reference = outputs.find((o) => o.format === output.format)!;
      expect(output.stdout, `--jobs ${output.jobs} --format ${output.format}`).toBe(reference.stdout);
    }
  });

  it("gives the same findings with and without the prefilter", async () => {
    const dir = makeProject({ "a.py": BLOCKING, "b.py": DANGLING, "c.py": CLEAN, "d.py": "x = 1\n" });
    const filtered = await runCli(["check", "--format", "json"], dir);
    const unfiltered = await runCli(["check", "--format", "json", "--no-prefilter"], dir);
    expect(unfiltered.stdout).toBe(filtered.stdout);
  });
});
