// ESLint's side of the TypeScript/JavaScript benchmark: the two ESLint rules closest to corolint's
// async checks, run through ESLint's Node API on a given list of files.
//
// - `n/no-sync` (eslint-plugin-n): any call of a function or method whose name ends in `Sync`, with
//   its default options (so also outside async code). Purely syntactic.
// - `@typescript-eslint/no-floating-promises`: a Promise-typed expression statement left unhandled.
//   Type-aware: it needs a TypeScript program, built by typescript-eslint's parser from
//   `parserOptions.project` (an explicit tsconfig; unlike `projectService`, it does not look for a
//   tsconfig beside each file, which files inside node_modules or a temp folder do not have).
//
// A file that the tsconfig does not list cannot get type information: typescript-eslint would fail
// on it with "file not included in project". Such JS files (the tsconfig has no allowJs, or does
// not include them) are linted by a second, untyped ESLint run with n/no-sync only; such TS files
// are an error. JS files the tsconfig does list (allowJs) get both rules, typed from inference and
// JSDoc.
//
// The configuration is built here, never read from disk (`overrideConfigFile: true`), and it
// un-ignores node_modules so the corpus (which lives there) is linted like any other code.
//
//   node bench/eslint-runner.mjs                                   the TypeScript corpus, its tsconfig
//   node bench/eslint-runner.mjs [--project tsconfig.json] FILE...  these files (default tsconfig: a
//                                                                   temporary one listing exactly them)
// print {seconds, count, byRule} as JSON.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import n from "eslint-plugin-n";
import ts from "typescript";
import tseslint from "typescript-eslint";
import { typescriptCorpus } from "./typescript-corpus.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

// Every extension linted; a file matching no `files` pattern would be skipped (and we would throw).
const javascriptFiles = ["**/*.js", "**/*.jsx", "**/*.mjs", "**/*.cjs"];
const lintedFiles = ["**/*.ts", "**/*.tsx", "**/*.mts", "**/*.cts", ...javascriptFiles];
const isJavascript = (file) => /\.(js|jsx|mjs|cjs)$/.test(file);

/** The absolute paths of the files the tsconfig at `project` puts in its program. */
function projectFiles(project) {
  const parsed = ts.getParsedCommandLineOfConfigFile(project, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(`${project}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`);
    },
  });
  if (!parsed) throw new Error(`${project}: cannot read tsconfig`);
  return new Set(parsed.fileNames.map((file) => path.resolve(file)));
}

function isInside(folder, file) {
  const relative = path.relative(folder, file);
  return relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/** The deepest folder holding every file: ESLint's `cwd`, since it skips files outside it. */
function commonFolder(files) {
  let folder = path.dirname(files[0]);
  for (const file of files) {
    while (!isInside(folder, file)) folder = path.dirname(folder);
  }
  return folder;
}

const benchRules = ["n/no-sync", "@typescript-eslint/no-floating-promises"];

function newEslint(cwd, typed, { tsconfigRootDir, project }) {
  const rules = typed
    ? { "n/no-sync": "error", "@typescript-eslint/no-floating-promises": "error" }
    : { "n/no-sync": "error" };
  // The untyped run keeps ESLint's own parser (espree): with typescript-eslint's parser and no
  // program, eslint-plugin-n 18.5's no-sync throws "You have used a rule which requires type
  // information" even though its default options need none.
  const languageOptions = typed
    ? { parser: tseslint.parser, parserOptions: { project, tsconfigRootDir } }
    : { parserOptions: { ecmaFeatures: { jsx: true } } };
  return new ESLint({
    cwd,
    overrideConfigFile: true,
    overrideConfig: [
      // Un-ignore node_modules, which ESLint skips by default even with `ignore: false`.
      { ignores: ["!**/node_modules/"] },
      {
        files: typed ? lintedFiles : javascriptFiles,
        languageOptions,
        plugins: { n, "@typescript-eslint": tseslint.plugin },
        // Unused `eslint-disable` comments (for rules not enabled here) are not findings.
        linterOptions: { reportUnusedDisableDirectives: "off" },
        rules,
      },
    ],
  });
}

/**
 * Lints `files` (absolute paths) with the two rules. `project` is the tsconfig that gives types,
 * `tsconfigRootDir` the folder it is relative to. `seconds` covers building ESLint and the
 * TypeScript program and linting, not loading the modules. Findings are sorted; parse errors come
 * out as rule "parse-error". typescript-eslint caches its program per tsconfig for the life of
 * the process, so time a second call in the same process and you time a warm cache: spawn a
 * process per measured run (as bench.mjs does).
 */
export async function runEslint(files, { tsconfigRootDir, project }) {
  if (files.length === 0) return { seconds: 0, findings: [] };
  const absolute = files.map((file) => path.resolve(file));
  const start = process.hrtime.bigint();
  const inProject = projectFiles(path.resolve(tsconfigRootDir, project));
  const typedFiles = absolute.filter((file) => inProject.has(file));
  const untypedFiles = absolute.filter((file) => !inProject.has(file));
  const strayTypescript = untypedFiles.filter((file) => !isJavascript(file));
  if (strayTypescript.length > 0) {
    // No-floating-promises is the point of linting TypeScript here: refuse rather than skip it.
    throw new Error(`not in ${project}, so no type information for: ${strayTypescript.join(", ")}`);
  }
  const cwd = commonFolder(absolute);
  const results = [];
  if (typedFiles.length > 0) {
    results.push(...(await newEslint(cwd, true, { tsconfigRootDir, project }).lintFiles(typedFiles)));
  }
  if (untypedFiles.length > 0) {
    results.push(...(await newEslint(cwd, false, {}).lintFiles(untypedFiles)));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;

  const findings = [];
  for (const result of results) {
    for (const message of result.messages) {
      if (message.ruleId === null && !message.fatal) {
        // "File ignored ..." and the like: a set-up mistake that would silently drop findings.
        throw new Error(`ESLint on ${result.filePath}: ${message.message}`);
      }
      // Other rule ids come from the code's own `eslint-disable` comments for rules of its own
      // config ("Definition for rule 'header/header' was not found"): not findings of ours.
      if (message.ruleId !== null && !benchRules.includes(message.ruleId)) continue;
      findings.push({
        file: result.filePath,
        line: message.line,
        column: message.column,
        rule: message.ruleId ?? "parse-error",
        message: message.message,
      });
    }
  }
  findings.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0),
  );
  return { seconds, findings };
}

/** The compiler options of the temporary tsconfig made for files given without `--project`. */
function defaultCompilerOptions() {
  return {
    target: "ES2022",
    module: "ESNext",
    moduleResolution: "Bundler",
    lib: ["ES2022", "DOM"],
    // Absolute: the tsconfig lives in a temp folder, far from this repository's node_modules.
    typeRoots: [path.join(path.dirname(here), "node_modules", "@types")],
    types: ["node"],
    strict: true,
    allowJs: true,
    checkJs: false,
    skipLibCheck: true,
    noEmit: true,
  };
}

async function main(args) {
  let project;
  const projectAt = args.indexOf("--project");
  if (projectAt >= 0) {
    project = path.resolve(args[projectAt + 1]);
    args.splice(projectAt, 2);
  }
  let files = args.map((file) => path.resolve(file));
  let tsconfig;
  if (files.length === 0) {
    const corpus = typescriptCorpus();
    files = corpus.files;
    if (!project) tsconfig = corpus.tsconfig;
  } else if (!project) {
    tsconfig = { compilerOptions: defaultCompilerOptions(), files };
  }
  const tempDir = tsconfig ? mkdtempSync(path.join(os.tmpdir(), "corolint-eslint-")) : undefined;
  try {
    if (tempDir) {
      project = path.join(tempDir, "tsconfig.json");
      writeFileSync(project, JSON.stringify(tsconfig, null, 2));
    }
    const { seconds, findings } = await runEslint(files, { tsconfigRootDir: path.dirname(project), project });
    const byRule = {};
    for (const finding of findings) byRule[finding.rule] = (byRule[finding.rule] ?? 0) + 1;
    console.log(JSON.stringify({ seconds, count: findings.length, byRule }));
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
