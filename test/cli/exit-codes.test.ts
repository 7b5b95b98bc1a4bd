/** Exit codes: 0 no error-severity finding, 1 at least one, 2 usage, configuration or internal errors. */
import { describe, expect, it } from "vitest";
import { BLOCKING, CLEAN, DANGLING, makeProject, runCli } from "./helpers";

describe("exit codes", () => {
  it("0 for clean code, 0 for warnings only, 1 for an error finding", async () => {
    expect((await runCli(["check"], makeProject({ "ok.py": CLEAN }))).code).toBe(0);
    expect((await runCli(["check"], makeProject({ "w.py": DANGLING }))).code).toBe(0);
    expect((await runCli(["check"], makeProject({ "e.py": BLOCKING, "w.py": DANGLING }))).code).toBe(1);
  });

  it("--exit-zero turns 1 into 0 but not 2", async () => {
    const dir = makeProject({ "e.py": BLOCKING });
    const zero = await runCli(["check", "--exit-zero"], dir);
    expect(zero.code).toBe(0);
    expect(zero.stdout).toContain("blocking-call");
    expect((await runCli(["check", "--exit-zero", "--bogus"], dir)).code).toBe(2);
  });

  it("a severity override decides: an error downgraded to a warning exits 0", async () => {
    const dir = makeProject({ "e.py": BLOCKING, "corolint.json": '{"severity": {"blocking-call": "warning"}}' });
    const { code, stdout } = await runCli(["check"], dir);
    expect(code).toBe(0);
    expect(stdout).toContain("blocking-call [warning]");
  });

  it("2 for an unknown option, with a pointer to --help", async () => {
    const { code, stdout, stderr } = await runCli(["check", "--frobnicate"], makeProject());
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe("corolint: unknown option '--frobnicate'\nRun 'corolint check --help' for usage.\n");
  });

  it("2 for an unknown format, a bad --jobs, a missing value, an unknown command or no command", async () => {
    const dir = makeProject({ "a.py": CLEAN });
    const cases: [string[], RegExp][] = [
      [["check", "--format", "xml"], /unknown format 'xml' \(expected text, json, sarif, github\)/],
      [["check", "--jobs", "two"], /--jobs expects a whole number/],
      [["check", "--format"], /--format expects a value/],
      [["check", "--exit-zero=yes"], /--exit-zero takes no value/],
      [["lint"], /unknown command 'lint'/],
      [[], /missing command/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, dir);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it("2 for an unknown rule id in --select or --ignore, with a suggestion", async () => {
    const dir = makeProject({ "a.py": BLOCKING });
    const select = await runCli(["check", "--select", "blocking-cal"], dir);
    expect(select.code).toBe(2);
    expect(select.stderr).toBe('corolint: --select: unknown rule id "blocking-cal" (did you mean "blocking-call"?)\n');
    const ignore = await runCli(["check", "--ignore", "nope"], dir);
    expect(ignore.code).toBe(2);
    expect(ignore.stderr).toContain('--ignore: unknown rule id "nope"');
  });

  it("2 for a bad configuration file, naming the file and the key", async () => {
    const dir = makeProject({ "a.py": BLOCKING, "pyproject.toml": '[tool.corolint]\nseverity = { blocking-cal = "error" }\n' });
    const { code, stdout, stderr } = await runCli(["check"], dir);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain('pyproject.toml: [tool.corolint] severity.blocking-cal: unknown rule id "blocking-cal"');
  });

  it("2 for invalid TOML, a missing --config file, or --config on a pyproject.toml without the table", async () => {
    const broken = makeProject({ "a.py": CLEAN, "pyproject.toml": "[tool.corolint\nselect = 1\n" });
    const toml = await runCli(["check"], broken);
    expect(toml.code).toBe(2);
    expect(toml.stderr).toMatch(/^corolint: pyproject\.toml: invalid TOML at line 1, column \d+/);

    const dir = makeProject({ "a.py": CLEAN, "pyproject.toml": "[tool.black]\nline-length = 100\n" });
    const missing = await runCli(["check", "--config", "nope.json"], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.json: cannot read the configuration file (ENOENT)");
    const noTable = await runCli(["check", "--config", "pyproject.toml"], dir);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toContain("pyproject.toml: no [tool.corolint] table");
    // Found by the search instead, a pyproject.toml without the table is simply not corolint's.
    expect((await runCli(["check"], dir)).code).toBe(0);
  });

  it("2 for a path that does not exist", async () => {
    const { code, stderr } = await runCli(["check", "nowhere.py"], makeProject({ "a.py": CLEAN }));
    expect(code).toBe(2);
    expect(stderr).toBe("corolint: no such file or folder: nowhere.py\n");
  });
});

describe("help and version", () => {
  it("--version prints the package version", async () => {
    const { code, stdout } = await runCli(["--version"], makeProject());
    expect(code).toBe(0);
    expect(stdout).toMatch(/^corolint \d+\.\d+\.\d+\n$/);
  });

  it("--help lists the commands; each command has its own --help", async () => {
    const dir = makeProject();
    const main = await runCli(["--help"], dir);
    expect(main.code).toBe(0);
    expect(main.stdout).toContain("corolint check");
    expect(main.stdout).toContain("corolint rules");
    const check = await runCli(["check", "--help"], dir);
    expect(check.code).toBe(0);
    for (const flag of ["--select", "--ignore", "--exit-zero", "--format", "--jobs", "--config", "--no-prefilter"]) {
      expect(check.stdout).toContain(flag);
    }
    expect(check.stdout).toContain("--no-prefilter      parse every file (slower; for checking the prefilter)");
    expect((await runCli(["rules", "--help"], dir)).stdout).toContain("Usage: corolint rules [ID]");
    expect((await runCli(["help", "check"], dir)).stdout).toBe(check.stdout);
  });
});
