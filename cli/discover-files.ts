/**
 * Finds the files `corolint check PATH...` analyses. Directories are walked; a few folder kinds are
 * never entered (VCS data, installed packages, virtual environments, caches) and neither is what
 * `.gitignore` files or the configuration's `exclude` globs leave out. A file named on the command
 * line is always analysed, whatever those say: the user (or pre-commit) asked for it.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  type Dirent,
} from "node:fs";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import { compileExclude } from "../rules/config";
import { isSymlink } from "./read-source";
import { languageForPath } from "../rules/index";

/** Folders never worth walking into: version control data, installed packages, bytecode caches. */
const SKIPPED_DIR_NAMES = new Set([".git", "node_modules", "site-packages", "__pycache__"]);

/** What limits a walk besides the fixed folder names. */
export interface DiscoveryOptions {
  /** The folder `exclude` globs are relative to (the configuration file's), or null without a configuration. */
  excludeBase: string | null;
  /** picomatch globs; a glob without `/` matches a file or folder name at any depth. */
  exclude: string[];
  /** Stop walking once this many files are found (the index of helpers is bounded; `check` is not). */
  maxFiles?: number;
}

/** The files to analyse and what could not even be listed. */
export interface DiscoveryResult {
  /** Absolute paths, without duplicates, sorted. */
  files: string[];
  /** Things found but not analysable, with the reason (unreadable folders, named non-Python files). */
  skipped: { absPath: string; reason: string }[];
  /** Paths named on the command line that do not exist. */
  missing: string[];
  /** True when the walk stopped at `maxFiles`: `files` is then incomplete. */
  truncated: boolean;
}

/** Lists the files under `paths` (absolute) that corolint should analyse. */
export function discoverFiles(paths: string[], options: DiscoveryOptions): DiscoveryResult {
  const walker = new Walker(compileExcludeTest(options), options.maxFiles ?? Infinity);
  for (const path of paths) walker.addNamedPath(path);
  return {
    files: [...walker.files].sort(),
    skipped: walker.skipped,
    missing: walker.missing,
    truncated: walker.truncated,
  };
}

/** The `.gitignore` rules of one folder. */
interface GitignoreRules {
  base: string;
  rules: Ignore;
}

type ExcludeTest = (absPath: string, isDirectory: boolean) => boolean;

class Walker {
  readonly files = new Set<string>();
  readonly skipped: { absPath: string; reason: string }[] = [];
  readonly missing: string[] = [];
  truncated = false;

  constructor(
    private readonly isExcluded: ExcludeTest,
    private readonly maxFiles: number,
  ) {}

  addNamedPath(path: string): void {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      // A dangling symlink named on the command line is still a named file: reading it reports why it is skipped.
      if (isSymlink(path)) this.addNamedFile(path);
      else this.missing.push(path);
      return;
    }
    if (stats.isDirectory()) this.walkRoot(path);
    else this.addNamedFile(path);
  }

  private addNamedFile(path: string): void {
    // pre-commit's `python` type includes extension-less scripts with a Python shebang, and passes them by name.
    if (languageForPath(path) === null && !hasPythonShebang(path)) {
      this.skipped.push({ absPath: path, reason: "not a Python, TypeScript or JavaScript file (.py, .pyi, .ts, .tsx, .mts, .cts, .js, .jsx, .mjs, .cjs or a python shebang)" });
      return;
    }
    this.files.add(path);
  }

  private walkRoot(root: string): void {
    let inherited = gitignoresAbove(root);
    // Naming an ignored folder is a request to check it: the rules that ignore it do not apply.
    if (isGitignored(root, true, inherited)) inherited = [];
    this.walk(root, inherited);
  }

  private walk(dir: string, inherited: GitignoreRules[]): void {
    if (this.truncated) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      this.skipped.push({ absPath: dir, reason: `unreadable folder: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
      return;
    }
    let gitignores = inherited;
    if (entries.some((entry) => entry.name === ".gitignore" && !entry.isDirectory())) {
      const rules = loadGitignore(join(dir, ".gitignore"));
      if (rules) gitignores = [...inherited, { base: dir, rules }];
    }
    // Sorted so that the walk, and everything downstream, is the same on every file system.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (SKIPPED_DIR_NAMES.has(entry.name)) continue;
        // A virtual environment is recognised by its marker file, whatever the folder is called.
        if (existsSync(join(path, "pyvenv.cfg"))) continue;
        if (this.isExcluded(path, true) || isGitignored(path, true, gitignores)) continue;
        this.walk(path, gitignores);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        if (languageForPath(entry.name) === null) continue;
        // Minified bundles are build output, not code anyone edits.
        if (/\.min\.[cm]?js$/.test(entry.name)) continue;
        // Symlinked folders are not followed (they can form cycles); symlinked files are, and a
        // dangling one is listed so that the report says why it was skipped.
        if (entry.isSymbolicLink() && pointsToDirectory(path)) continue;
        if (this.isExcluded(path, false) || isGitignored(path, false, gitignores)) continue;
        if (this.files.size >= this.maxFiles) {
          this.truncated = true;
          return;
        }
        this.files.add(path);
      }
    }
  }
}

/** Whether the `.gitignore` rules from the outermost folder inward leave `path` ignored (inner rules win). */
function isGitignored(path: string, isDirectory: boolean, gitignores: GitignoreRules[]): boolean {
  let ignored = false;
  for (const { base, rules } of gitignores) {
    const rel = relative(base, path);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) continue;
    const result = rules.test(toPosix(rel) + (isDirectory ? "/" : ""));
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/**
 * The `.gitignore` files between the enclosing git repository's root and `root` (exclusive), so
 * that `corolint check src` honours the repository's top-level `.gitignore`. None outside a repository.
 */
function gitignoresAbove(root: string): GitignoreRules[] {
  // At the repository root the walk itself reads the top-level .gitignore.
  if (existsSync(join(root, ".git"))) return [];
  const chain: string[] = [];
  let dir = root;
  for (;;) {
    const parent = dirname(dir);
    if (parent === dir) return []; // reached the file system root: not inside a repository
    dir = parent;
    chain.unshift(dir);
    if (existsSync(join(dir, ".git"))) break;
  }
  const found: GitignoreRules[] = [];
  for (const folder of chain) {
    const rules = loadGitignore(join(folder, ".gitignore"));
    if (rules) found.push({ base: folder, rules });
  }
  return found;
}

function loadGitignore(file: string): Ignore | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  return ignore().add(text);
}

/** The configuration's `exclude` globs as a test on absolute paths; files outside the base are never excluded. */
function compileExcludeTest(options: DiscoveryOptions): ExcludeTest {
  const base = options.excludeBase;
  if (base === null || options.exclude.length === 0) return () => false;
  const matches = compileExclude(options.exclude);
  return (absPath, isDirectory) => {
    const rel = relative(base, absPath);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return false;
    return matches(toPosix(rel), basename(absPath), isDirectory);
  };
}

/** Whether the file starts with a `#!` line that runs Python (`#!/usr/bin/env python3`, `#!/usr/bin/python`). */
function hasPythonShebang(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    if (!fstatSync(fd).isFile()) return false;
    const head = Buffer.alloc(256);
    const length = readSync(fd, head, 0, head.length, 0);
    const firstLine = head.subarray(0, length).toString("latin1").split("\n")[0] ?? "";
    return /^#!.*\bpython[0-9.]*\b/.test(firstLine);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function pointsToDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}


/** `a\b` → `a/b`: every path corolint shows or matches uses `/`. */
export function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}
