/**
 * Reads corolint's settings out of the text of `pyproject.toml` (`[tool.corolint]`) or `corolint.json`.
 * Pure: the caller reads the file; this module only parses and validates, so the CLI, the language
 * server and tests share one set of rules and one set of error messages.
 */
import picomatch from "picomatch";
import { parse as parseToml, TomlError } from "smol-toml";
import { ruleById, rules } from "./registry";
import type { PartialAnalysisOptions, RuleSelection, Severity } from "./types";

/**
 * The id the engine reports unparsable files under (`SYNTAX_ERROR` in analyze.ts; a test checks they
 * agree). Not imported from there so that reading a configuration does not load the parser.
 */
const SYNTAX_ERROR_ID = "syntax-error";

/** Settings of one project, as read from its configuration file. */
export interface ProjectConfig {
  rules: RuleSelection;
  options: PartialAnalysisOptions;
  /** Glob patterns (picomatch) relative to the folder of the configuration file. */
  exclude: string[];
}

/**
 * A configuration file that cannot be used. The message always starts with the file name and,
 * when one key is at fault, names that key, so users can fix it without guessing.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** The severities a configuration may give a rule; `off` disables it. */
const SEVERITY_VALUES: readonly (Severity | "off")[] = ["error", "warning", "info", "off"];

/** Every key corolint understands, in the order `unknown key` messages list them. */
const KNOWN_KEYS = [
  "select",
  "ignore",
  "severity",
  "extra-blocking-calls",
  "extra-async-decorators",
  "monkey-patch-in-tests",
  "transitive-max-depth",
  "exclude",
] as const;

/** A Python dotted name: `mylib.fetch_sync`, `trio.lowlevel.checkpoint`, `input`. */
const QUALIFIED_NAME = /^[\p{L}_][\p{L}\p{N}_]*(\.[\p{L}_][\p{L}\p{N}_]*)*$/u;

/**
 * Parses and validates a configuration file's text.
 * `fileName`'s base name picks the format: `pyproject.toml` reads the `[tool.corolint]` table and
 * returns null when it is absent; any other `*.toml` is read whole (like `ruff.toml`); `*.json`
 * (normally `corolint.json`) is read whole. Throws `ConfigError` on anything it does not understand.
 */
export function parseConfigText(text: string, fileName: string): ProjectConfig | null {
  const base = baseName(fileName);
  if (base === "pyproject.toml") {
    const document = parseTomlText(text, fileName);
    const tool = document["tool"];
    if (!isPlainObject(tool)) return null;
    const table = tool["corolint"];
    if (table === undefined) return null;
    const where = new Where(fileName, "[tool.corolint] ");
    if (!isPlainObject(table)) throw where.error("", "expected a table");
    return readTable(table, where, false);
  }
  if (base.endsWith(".toml")) {
    return readTable(parseTomlText(text, fileName), new Where(fileName, ""), false);
  }
  if (base.endsWith(".json")) {
    const document = parseJsonText(text, fileName);
    const where = new Where(fileName, "");
    if (!isPlainObject(document)) throw where.error("", "expected a JSON object at the top level");
    return readTable(document, where, true);
  }
  throw new ConfigError(`${fileName}: unsupported configuration file (expected pyproject.toml, corolint.json or a *.toml file)`);
}

/** Whether `id` names a rule a user may select, ignore or re-level (the catalogue plus `syntax-error`). */
export function isKnownRuleId(id: string): boolean {
  return id === SYNTAX_ERROR_ID || ruleById(id) !== undefined;
}

/** Flags given on the command line, which take precedence over the configuration file. */
export interface SelectionFlags {
  /** `--select`: replaces the configuration's `select`. */
  select?: string[];
  /** `--ignore`: added to the configuration's `ignore`. */
  ignore?: string[];
}

/**
 * Applies command-line flags over a configuration's rule selection.
 * `--select` replaces the configured `select`, and a rule it names explicitly is taken out of the
 * configured `ignore` and loses a configured `off`: the later, more specific source wins.
 * `--ignore` adds to the configured `ignore`.
 */
export function mergeSelection(config: RuleSelection, flags: SelectionFlags): RuleSelection {
  const merged: RuleSelection = {};
  const select = flags.select ?? config.select;
  if (select !== undefined) merged.select = [...select];

  const forced = new Set(flags.select ?? []);
  const ignore = [...(config.ignore ?? []).filter((id) => !forced.has(id)), ...(flags.ignore ?? [])];
  if (ignore.length > 0 || config.ignore !== undefined) merged.ignore = [...new Set(ignore)];

  if (config.severity !== undefined) {
    const severity: Record<string, Severity | "off"> = {};
    for (const [id, level] of Object.entries(config.severity)) {
      if (level === "off" && forced.has(id)) continue;
      severity[id] = level;
    }
    merged.severity = severity;
  }
  return merged;
}

/** The known rule id closest to `id` by edit distance, for "did you mean" hints; undefined if none is close. */
export function suggestRuleId(id: string, knownIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(id.length / 3)) + 1;
  for (const candidate of knownIds) {
    const distance = editDistance(id, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Builds messages that name the file, the table and the key at fault. */
class Where {
  constructor(
    readonly fileName: string,
    readonly tablePrefix: string,
  ) {}

  error(key: string, message: string): ConfigError {
    const location = key === "" ? this.tablePrefix.trimEnd() : `${this.tablePrefix}${key}`;
    return new ConfigError(location === "" ? `${this.fileName}: ${message}` : `${this.fileName}: ${location}: ${message}`);
  }
}

function readTable(table: Record<string, unknown>, where: Where, isJson: boolean): ProjectConfig {
  const config: ProjectConfig = { rules: {}, options: {}, exclude: [] };
  for (const [key, value] of Object.entries(table)) {
    switch (key) {
      case "select":
        config.rules.select = readRuleIds(value, key, where);
        break;
      case "ignore":
        config.rules.ignore = readRuleIds(value, key, where);
        break;
      case "severity":
        config.rules.severity = readSeverities(value, key, where);
        break;
      case "extra-blocking-calls":
        config.options.extraBlockingCalls = readQualifiedNames(value, key, where);
        break;
      case "extra-async-decorators":
        config.options.extraAsyncDecorators = readQualifiedNames(value, key, where);
        break;
      case "monkey-patch-in-tests":
        if (typeof value !== "boolean") throw where.error(key, `expected true or false, got ${describe(value)}`);
        config.options.monkeyPatchInTests = value;
        break;
      case "transitive-max-depth":
        if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
          throw where.error(key, `expected a whole number of at least 1, got ${describe(value)}`);
        }
        config.options.transitiveMaxDepth = value;
        break;
      case "exclude":
        config.exclude = readStrings(value, key, where, "glob patterns").map((pattern, index) => {
          if (pattern.trim() === "") throw where.error(`${key}[${index}]`, "empty glob pattern");
          return pattern;
        });
        break;
      default:
        // Editors add `$schema` to JSON files for completion; it carries no setting.
        if (isJson && key === "$schema") break;
        throw where.error(key, `unknown key (known keys: ${KNOWN_KEYS.join(", ")})`);
    }
  }
  return config;
}

function readStrings(value: unknown, key: string, where: Where, what: string): string[] {
  if (!Array.isArray(value)) throw where.error(key, `expected an array of ${what}, got ${describe(value)}`);
  return value.map((item, index) => {
    if (typeof item !== "string") throw where.error(`${key}[${index}]`, `expected a string, got ${describe(item)}`);
    return item;
  });
}

function readRuleIds(value: unknown, key: string, where: Where): string[] {
  const ids = readStrings(value, key, where, "rule ids");
  for (const id of ids) checkRuleId(id, key, where);
  return ids;
}

function readSeverities(value: unknown, key: string, where: Where): Record<string, Severity | "off"> {
  if (!isPlainObject(value)) throw where.error(key, `expected a table of rule id = severity, got ${describe(value)}`);
  const severities: Record<string, Severity | "off"> = {};
  for (const [id, level] of Object.entries(value)) {
    const entryKey = `${key}.${id}`;
    checkRuleId(id, entryKey, where);
    if (typeof level !== "string" || !(SEVERITY_VALUES as readonly string[]).includes(level)) {
      throw where.error(entryKey, `invalid severity ${describe(level)} (expected one of ${SEVERITY_VALUES.map((s) => `"${s}"`).join(", ")})`);
    }
    severities[id] = level as Severity | "off";
  }
  return severities;
}

function readQualifiedNames(value: unknown, key: string, where: Where): string[] {
  const names = readStrings(value, key, where, "qualified names");
  names.forEach((name, index) => {
    if (!QUALIFIED_NAME.test(name)) {
      throw where.error(`${key}[${index}]`, `"${name}" is not a qualified name like "mylib.fetch_sync"`);
    }
  });
  return names;
}

function checkRuleId(id: string, key: string, where: Where): void {
  if (isKnownRuleId(id)) return;
  throw where.error(key, unknownRuleMessage(id));
}

/** `unknown rule id "x"`, with a suggestion when a known id is close. Shared with the CLI's flag checks. */
export function unknownRuleMessage(id: string): string {
  const suggestion = suggestRuleId(id, knownRuleIds());
  return suggestion === undefined ? `unknown rule id "${id}"` : `unknown rule id "${id}" (did you mean "${suggestion}"?)`;
}

/** Every id a user may name: the catalogue's, then `syntax-error`. */
export function knownRuleIds(): string[] {
  return [...rules.map((rule) => rule.id), SYNTAX_ERROR_ID];
}

function parseTomlText(text: string, fileName: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const firstLine = error.message.split("\n")[0]?.replace(/^Invalid TOML document:\s*/, "") ?? "syntax error";
      throw new ConfigError(`${fileName}: invalid TOML at line ${error.line}, column ${error.column}: ${firstLine}`);
    }
    throw error;
  }
}

function parseJsonText(text: string, fileName: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // V8 reports a character offset ("at position 12"); users need a line and column.
    const match = /at position (\d+)/.exec(error.message);
    const offset = match ? Number(match[1]) : text.length;
    const { line, column } = lineAndColumn(text, offset);
    const reason = error.message.replace(/\s*in JSON at position \d+.*$/, "").replace(/\s*\(line \d+ column \d+\)$/, "");
    throw new ConfigError(`${fileName}: invalid JSON at line ${line}, column ${column}: ${reason}`);
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === "[object Object]";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value);
  if (isPlainObject(value)) return "a table";
  if (value instanceof Date) return "a date";
  return `${typeof value} ${String(value)}`;
}

function baseName(fileName: string): string {
  const parts = fileName.split(/[\\/]/);
  return parts[parts.length - 1] ?? fileName;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** Whether a path (relative to the configuration's folder, `/`-separated) is excluded. */
export type ExcludeTest = (relativePath: string, name: string, isDirectory: boolean) => boolean;

/**
 * The `exclude` globs as both the CLI and the language server read them (like .gitignore): a trailing
 * `/` matches folders only, a leading `/` anchors to the configuration's folder, a pattern without `/`
 * matches a name at any depth (`*_pb2.py`, `generated`), anything else matches the relative path.
 */
export function compileExclude(patterns: readonly string[]): ExcludeTest {
  const matchers = patterns.map((raw) => {
    let pattern = raw.replace(/^\.\//, "");
    const directoriesOnly = pattern.endsWith("/");
    if (directoriesOnly) pattern = pattern.replace(/\/+$/, "");
    const anchored = pattern.startsWith("/");
    if (anchored) pattern = pattern.replace(/^\/+/, "");
    const byName = !anchored && !pattern.includes("/");
    return { directoriesOnly, byName, match: picomatch(pattern, { dot: true }) };
  });
  return (relativePath, name, isDirectory) =>
    matchers.some((m) => (!m.directoriesOnly || isDirectory) && m.match(m.byName ? name : relativePath));
}
