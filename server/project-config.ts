/**
 * The project side of a document's settings: the nearest `corolint.json` or `pyproject.toml` with
 * `[tool.corolint]`, found exactly as `corolint check` finds it (`findConfig`), so the editor and CI
 * read the same file. Lookups are cached per folder until a configuration file changes.
 *
 * A broken file is reported once per change (the caller shows it) and the document is analysed with
 * defaults meanwhile. In an untrusted workspace no file is read at all.
 */
import { dirname, isAbsolute, relative, sep } from "node:path";

import { findConfig, type LoadedConfig } from "../cli/load-config";
import { compileExclude, ConfigError, type ExcludeTest, type ProjectConfig } from "../rules/config";

/** What the project says about one file. */
export interface FileProject {
  /** The configuration to apply; empty when there is none, it is broken, or the workspace is untrusted. */
  config: ProjectConfig;
  /** The path the core sees: relative to the configuration's folder, else to the workspace folder, `/`-separated. */
  analysisPath: string;
  /** The folder `analysisPath` is relative to (related locations in other files are resolved against it). */
  root: string;
  /** Whether the configuration's `exclude` globs leave the file out. */
  excluded: boolean;
  /** The configuration file in effect, if any. */
  configFile: string | null;
}

const EMPTY_CONFIG: ProjectConfig = { rules: {}, options: {}, exclude: [] };

/** The configuration file names a change to which can change a document's settings. */
export const CONFIG_FILE_NAMES: readonly string[] = ["pyproject.toml", "corolint.json"];

/** Project configurations of the files of one workspace. */
export class ProjectConfigs {
  /** Folder → the configuration found from it (null: none, or broken). */
  private readonly byFolder = new Map<string, LoadedConfig | null>();
  /** Configuration errors already shown since the last change. */
  private readonly reported = new Set<string>();
  private readonly excludeTests = new WeakMap<LoadedConfig, ExcludeTest>();
  private workspaceFolders: string[] = [];

  constructor(
    /** False in an untrusted workspace: configuration files are never read. */
    readonly trusted: boolean,
    /** Shows a broken configuration to the user (`window/showMessage`). */
    private readonly reportError: (message: string) => void,
  ) {}

  /** Replaces the workspace folders (absolute file system paths). */
  setWorkspaceFolders(folders: readonly string[]): void {
    this.workspaceFolders = [...folders];
  }

  /** Adds and removes workspace folders (absolute file system paths). */
  changeWorkspaceFolders(added: readonly string[], removed: readonly string[]): void {
    const gone = new Set(removed);
    this.workspaceFolders = [...this.workspaceFolders.filter((folder) => !gone.has(folder)), ...added];
  }

  /** Forgets every lookup, after a configuration file changed; errors will be shown again. */
  clear(): void {
    this.byFolder.clear();
    this.reported.clear();
  }

  /** The project settings of a file on disk (absolute path). */
  forFile(filePath: string): FileProject {
    const folder = this.workspaceFolderOf(filePath);
    const loaded = this.trusted ? this.lookUp(dirname(filePath), folder ?? dirname(filePath)) : null;
    const root = loaded?.dir ?? folder ?? dirname(filePath);
    const relativePath = toPosix(relative(root, filePath));
    return {
      config: loaded?.config ?? EMPTY_CONFIG,
      analysisPath: relativePath,
      root,
      excluded: loaded !== null && loaded.config.exclude.length > 0 && this.isExcluded(loaded, relativePath),
      configFile: loaded?.file ?? null,
    };
  }

  /** The innermost workspace folder holding `filePath`, if any. */
  private workspaceFolderOf(filePath: string): string | null {
    let best: string | null = null;
    for (const folder of this.workspaceFolders) {
      const rel = relative(folder, filePath);
      if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) continue;
      if (best === null || folder.length > best.length) best = folder;
    }
    return best;
  }

  private lookUp(startDir: string, displayBase: string): LoadedConfig | null {
    if (this.byFolder.has(startDir)) return this.byFolder.get(startDir) ?? null;
    let loaded: LoadedConfig | null = null;
    try {
      loaded = findConfig(startDir, displayBase);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Shown once per change of the configuration files, not once per keystroke or per document.
      if (!this.reported.has(error.message)) {
        this.reported.add(error.message);
        this.reportError(`corolint: ${error.message}. Using the default settings until the file is fixed.`);
      }
    }
    this.byFolder.set(startDir, loaded);
    return loaded;
  }

  private isExcluded(loaded: LoadedConfig, relativePath: string): boolean {
    let test = this.excludeTests.get(loaded);
    if (test === undefined) {
      test = compileExclude(loaded.config.exclude);
      this.excludeTests.set(loaded, test);
    }
    // `corolint check` never walks into an excluded folder, so a file under one is excluded too.
    const segments = relativePath.split("/");
    for (let i = 1; i < segments.length; i++) {
      if (test(segments.slice(0, i).join("/"), segments[i - 1]!, true)) return true;
    }
    return test(relativePath, segments[segments.length - 1]!, false);
  }
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}
