/**
 * Finds and reads the project's configuration file; validation lives in the pure `rules/config.ts`.
 * Search order: from the current folder upward, the first folder with a `corolint.json` or a
 * `pyproject.toml` holding `[tool.corolint]` (corolint.json first, as the more specific file).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { ConfigError, parseConfigText, type ProjectConfig } from "../rules/config";
import { toPosix } from "./discover-files";

/** A configuration and where it came from. */
export interface LoadedConfig {
  config: ProjectConfig;
  /** Absolute path of the file. */
  file: string;
  /** Its folder: the project root that `exclude` globs and analysed paths are relative to. */
  dir: string;
}

/** The nearest configuration at or above `startDir`, or null. Throws `ConfigError` for a broken one. */
export function findConfig(startDir: string, cwd: string): LoadedConfig | null {
  let dir = resolve(startDir);
  for (;;) {
    for (const name of ["corolint.json", "pyproject.toml"]) {
      const file = join(dir, name);
      if (!existsSync(file)) continue;
      const config = parseConfigText(readText(file, cwd), displayName(file, cwd));
      // A pyproject.toml without [tool.corolint] belongs to some other tool: keep looking upward.
      if (config !== null) return { config, file, dir };
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Reads the file `--config` names. Unlike discovery, a pyproject.toml without `[tool.corolint]` is an error. */
export function loadConfigFile(path: string, cwd: string): LoadedConfig {
  const file = resolve(cwd, path);
  const name = displayName(file, cwd);
  const config = parseConfigText(readText(file, cwd), name);
  if (config === null) throw new ConfigError(`${name}: no [tool.corolint] table`);
  return { config, file, dir: dirname(file) };
}

function readText(file: string, cwd: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`${displayName(file, cwd)}: cannot read the configuration file (${code})`);
  }
}

/** The file as the user would type it from the current folder. */
function displayName(file: string, cwd: string): string {
  return toPosix(relative(cwd, file)) || file;
}
