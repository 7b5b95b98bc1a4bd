/** Small pieces of the CLI tested directly: argument parsing, the progress line, escaping. */
import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../../cli/args";
import { escapeData, escapeProperty } from "../../cli/formats/github";
import { relativeUri } from "../../cli/formats/sarif";
import { Progress } from "../../cli/progress";

describe("parseArgs", () => {
  it("reads check's flags in both --flag value and --flag=value forms", () => {
    expect(parseArgs(["check", "--select", "a,b", "--ignore=c", "--format=sarif", "--jobs", "4", "--config", "x.json", "--exit-zero", "--no-prefilter", "src", "t.py"])).toEqual({
      kind: "check",
      paths: ["src", "t.py"],
      select: ["a", "b"],
      ignore: ["c"],
      format: "sarif",
      jobs: 4,
      config: "x.json",
      exitZero: true,
      prefilter: false,
      fix: false,
      unsafeFixes: false,
      diff: false,
    });
  });

  it("reads the fix flags: --unsafe-fixes implies --fix unless --diff, which takes no --format", () => {
    expect(parseArgs(["check", "--fix"])).toMatchObject({ fix: true, unsafeFixes: false, diff: false });
    expect(parseArgs(["check", "--unsafe-fixes"])).toMatchObject({ fix: true, unsafeFixes: true, diff: false });
    expect(parseArgs(["check", "--diff", "--unsafe-fixes"])).toMatchObject({ fix: false, unsafeFixes: true, diff: true });
    expect(() => parseArgs(["check", "--diff", "--fix"])).toThrow(/--fix or --diff/);
    expect(() => parseArgs(["check", "--diff", "--format", "json"])).toThrow(/takes no --format/);
  });

  it("defaults to the current folder, text format, prefilter on", () => {
    expect(parseArgs(["check"])).toEqual({ kind: "check", paths: ["."], exitZero: false, format: "text", prefilter: true, fix: false, unsafeFixes: false, diff: false });
  });

  it("treats everything after -- as paths", () => {
    expect(parseArgs(["check", "--", "--weird.py"])).toMatchObject({ paths: ["--weird.py"] });
  });

  it("throws UsageError with the command to get help for", () => {
    const error = (() => {
      try {
        parseArgs(["check", "--nope"]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).command).toBe("check");
    expect(() => parseArgs(["check", "--select", ","])).toThrow("--select expects a comma-separated list of rule ids");
    expect(() => parseArgs(["check", "--jobs", "-1"])).toThrow("--jobs expects a whole number, got '-1'");
    expect(() => parseArgs(["check", "--jobs=1.5"])).toThrow("--jobs expects a whole number");
  });

  it("knows help, version and rules", () => {
    expect(parseArgs(["--help"])).toEqual({ kind: "help", topic: "main" });
    expect(parseArgs(["-V"])).toEqual({ kind: "version" });
    expect(parseArgs(["rules"])).toEqual({ kind: "rules" });
    expect(parseArgs(["rules", "blocking-call"])).toEqual({ kind: "rules", id: "blocking-call" });
    expect(parseArgs(["check", "-h"])).toEqual({ kind: "help", topic: "check" });
  });
});

describe("Progress", () => {
  function fakeStream(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (text: string) => writes.push(text) } };
  }

  it("never writes when stderr is not a terminal", () => {
    const { writes, stream } = fakeStream(false);
    const progress = new Progress(stream, 5000);
    for (let i = 1; i <= 5000; i++) progress.update(i);
    progress.finish();
    expect(writes).toEqual([]);
  });

  it("shows a self-overwriting line for many files and clears it at the end", () => {
    const { writes, stream } = fakeStream(true);
    let now = 0;
    const progress = new Progress(stream, 1790, () => now);
    progress.update(1);
    now = 50;
    progress.update(2); // throttled
    now = 200;
    progress.update(340);
    now = 250;
    progress.update(1790); // the last one is always drawn
    progress.finish();
    expect(writes).toEqual([
      "\r\x1b[2Kcorolint: 1/1790 files",
      "\r\x1b[2Kcorolint: 340/1790 files",
      "\r\x1b[2Kcorolint: 1790/1790 files",
      "\r\x1b[2K",
    ]);
  });

  it("stays quiet for a few fast files, but speaks up once a run takes over a second", () => {
    const { writes, stream } = fakeStream(true);
    let now = 0;
    const progress = new Progress(stream, 10, () => now);
    progress.update(1);
    expect(writes).toEqual([]);
    now = 1500;
    progress.update(2);
    expect(writes).toEqual(["\r\x1b[2Kcorolint: 2/10 files"]);
  });
});

describe("escaping", () => {
  it("escapes workflow-command data and properties", () => {
    expect(escapeData("50% done\r\nnext: a,b")).toBe("50%25 done%0D%0Anext: a,b");
    expect(escapeProperty("50% done\r\nnext: a,b")).toBe("50%25 done%0D%0Anext%3A a%2Cb");
  });

  it("percent-encodes SARIF URI segments but keeps the separators and ..", () => {
    expect(relativeUri("../src/my file#1.py")).toBe("../src/my%20file%231.py");
  });
});
