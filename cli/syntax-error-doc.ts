/**
 * Documentation of `syntax-error`, which the engine reports for files it cannot parse. It is not a
 * catalogue rule (it has no check of its own), but users meet it in output, in `corolint rules` and
 * in code scanning, so it needs the same short and long texts as a rule.
 */

/** The texts shown for `syntax-error`. */
export const SYNTAX_ERROR_DOC = {
  id: "syntax-error",
  summary: "The file could not be parsed as Python, so the other rules could not check it.",
  what: "Reported where the parser failed to read the file. Findings of other rules in the damaged part of the file may be missing.",
  text: [
    "syntax-error: The file could not be parsed as Python, so the other rules could not check it.",
    "",
    "  Default severity: error",
    "",
    "What it does",
    "",
    "  Reported where the parser failed to read the file. Findings of other rules in the damaged",
    "  part of the file may be missing until the syntax error is fixed.",
    "",
    "  corolint is not a syntax checker: files whose text holds nothing any rule looks for (no",
    "  `async def`, no coroutine decorator, no patching, no task creation) are not parsed at all,",
    "  so a syntax error there is not reported. `--no-prefilter` parses every file.",
    "",
    "Silence it with --ignore syntax-error, or `ignore = [\"syntax-error\"]` in the configuration.",
    "",
  ].join("\n"),
  markdown: [
    "## What it does",
    "",
    "Reported where the parser failed to read the file. Findings of other rules in the damaged part of",
    "the file may be missing until the syntax error is fixed.",
    "",
    "corolint is not a syntax checker: files whose text holds nothing any rule looks for (no `async def`,",
    "no coroutine decorator, no patching, no task creation) are not parsed at all, so a syntax error there",
    "is not reported. `--no-prefilter` parses every file.",
    "",
    'Silence it with `--ignore syntax-error`, or `ignore = ["syntax-error"]` in the configuration.',
    "",
  ].join("\n"),
} as const;
