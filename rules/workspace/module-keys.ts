/**
 * The names other files use to import a module (`FileSummary.moduleKeys`). Python: dotted module
 * names; TS/JS: the absolute path without its extension. Reads the file system only to find
 * `__init__.py` files (the package boundaries), and only for absolute paths.
 */
import { existsSync } from "node:fs";

/** `C:\a\b` → `C:/a/b`: keys and summaries use `/` everywhere. */
export function toSlashes(path: string): string {
  return path.replace(/\\/g, "/");
}

const pythonExtension = /\.pyi?$/;
const identifier = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/**
 * The dotted names of a Python file: first the one its packages give it (walking up through folders
 * that hold an `__init__.py`: `pkg/sub/db.py` is `pkg.sub.db`, and a file outside any package is
 * named by its base name, as a script's siblings import it), then the name relative to each
 * workspace root that contains it (namespace packages, `src.pkg.db`). `__init__.py` names its
 * package. A relative `file` (no file system to ask) gets its dotted path.
 */
export function pythonModuleKeys(file: string, workspaceRoots: readonly string[]): string[] {
  const path = toSlashes(file);
  const keys: string[] = [];
  const add = (segments: string[]): void => {
    const parts = segments.map((segment, index) => (index === segments.length - 1 ? segment.replace(pythonExtension, "") : segment));
    if (parts[parts.length - 1] === "__init__") parts.pop();
    if (parts.length === 0 || !parts.every((part) => identifier.test(part))) return;
    const key = parts.join(".");
    if (!keys.includes(key)) keys.push(key);
  };
  const segments = path.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (!isAbsolute(path)) {
    add(segments);
    return keys;
  }
  // Walk up while the folder is a package.
  let start = segments.length - 1;
  while (start > 0 && existsSync(`${prefixOf(path)}${segments.slice(0, start).join("/")}/__init__.py`)) start -= 1;
  add(segments.slice(start));
  for (const root of workspaceRoots) {
    const base = toSlashes(root).replace(/\/+$/, "");
    if (path.startsWith(`${base}/`)) add(path.slice(base.length + 1).split("/"));
  }
  return keys;
}

/** The part of an absolute path before its first segment: `/`, or `` for `C:/...`. */
function prefixOf(path: string): string {
  return path.startsWith("/") ? "/" : "";
}

function isAbsolute(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:\//.test(path);
}

const typescriptExtension = /\.(d\.[cm]?ts|[cm]?[jt]s|[jt]sx)$/;

/**
 * The keys of a TS/JS file: its absolute path without the extension (what a relative specifier
 * resolves to), and for an `index` file also its folder (`import "./lib"` names `lib/index.ts`).
 */
export function typescriptModuleKeys(file: string): string[] {
  const base = toSlashes(file).replace(typescriptExtension, "");
  const keys = [base];
  if (base.endsWith("/index")) keys.push(base.slice(0, -"/index".length));
  return keys;
}

/** The file a summary is filed under: the absolute path when there is one, with `/`. */
export function summaryFileOf(path: string, absolutePath: string | undefined): string {
  return toSlashes(absolutePath ?? path);
}

/**
 * The roots Python module names are taken from: the request's, else the project root (the absolute
 * path without the relative one), when the relative path lies inside it.
 */
export function workspaceRootsOf(path: string, absolutePath: string | undefined, roots: readonly string[] | undefined): string[] {
  if (roots) return roots.map(toSlashes);
  const root = projectRootOf(path, absolutePath);
  return root === null ? [] : [root];
}

/** `/w/pkg/db.py` and `pkg/db.py` → `/w`; null when the relative path is not a tail of the absolute one. */
export function projectRootOf(path: string, absolutePath: string | undefined): string | null {
  if (absolutePath === undefined) return null;
  const absolute = toSlashes(absolutePath);
  const relative = toSlashes(path).replace(/^\.\//, "");
  if (relative.startsWith("../") || !absolute.endsWith(`/${relative}`)) return null;
  return absolute.slice(0, absolute.length - relative.length - 1);
}
