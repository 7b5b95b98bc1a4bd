/** `corolint rules` and `corolint rules ID`. */
import { describe, expect, it } from "vitest";
import { makeProject, runCli } from "./helpers";

describe("corolint rules", () => {
  it("lists every rule with its default severity, sorted, plus syntax-error", async () => {
    const { code, stdout } = await runCli(["rules"], makeProject());
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(/^RULE\s+SEVERITY\s+SUMMARY$/);
    expect(stdout).toMatch(/^blocking-call\s+error\s+\S/m);
    expect(stdout).toMatch(/^dangling-task\s+warning\s+\S/m);
    expect(stdout).toMatch(/^syntax-error\s+error\s+\S/m);
    const ids = lines.slice(1).filter((line) => /^[a-z]/.test(line)).map((line) => line.split(/\s+/)[0]!);
    const catalogue = ids.filter((id) => id !== "syntax-error");
    expect(catalogue).toEqual([...catalogue].sort());
  });

  it("prints one rule's documentation", async () => {
    const { code, stdout } = await runCli(["rules", "blocking-call"], makeProject());
    expect(code).toBe(0);
    expect(stdout).toMatch(/^blocking-call: /);
    for (const section of ["What it does", "Why is this bad?", "Example", "Use instead"]) expect(stdout).toContain(section);
    expect(stdout).toContain("time.sleep");
    expect(stdout).not.toContain("```");
  });

  it("exits 2 for an unknown rule id, suggesting a close one", async () => {
    const { code, stdout, stderr } = await runCli(["rules", "blocking-cal"], makeProject());
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain('unknown rule id "blocking-cal" (did you mean "blocking-call"?)');
  });

  it("rejects a second id and unknown options", async () => {
    expect((await runCli(["rules", "a", "b"], makeProject())).code).toBe(2);
    expect((await runCli(["rules", "--json"], makeProject())).code).toBe(2);
  });
});
