import { dirname, join, resolve } from "node:path";
import { existsSync } from "node:fs";
import type { Project, SourceFile, ts as TS } from "ts-morph";
import type { ModuleResolver } from "./model";
import { loadTypeScript, ts } from "./ts-runtime";

/**
 * The TypeScript/JavaScript side of the core keeps one ts-morph Project per tsconfig.json (or
 * jsconfig.json), so type-aware rules see the types of imported modules, and an edited file is
 * updated in place: the next type check reuses the rest of the program.
 *
 * Syntax-only rules never ask for the type checker; only `typeChecker()` builds the program. A
 * project whose program is too big or too slow to build is marked degraded: its files keep the
 * syntactic rules, and the user is told once.
 */

/** Limits past which a project is analysed without its type checker. */
export interface TypeCheckBudget {
  /** Most source files (the project's and their dependencies', lib files included) the program may hold. */
  maxProgramFiles: number;
  /** Most source text the program may hold, in UTF-16 code units: its syntax trees dominate memory. */
  maxProgramSourceLength: number;
  /** Longest the first type check of a project may take, in milliseconds. */
  maxMilliseconds: number;
}

export const defaultTypeCheckBudget: TypeCheckBudget = {
  maxProgramFiles: 20_000,
  maxProgramSourceLength: 200_000_000,
  maxMilliseconds: 20_000,
};

export interface TypeScriptWorkspaceOptions {
  budget?: Partial<TypeCheckBudget>;
  /** Called once per project for a missing or broken tsconfig, or a project that went over budget. */
  onWarning?: (message: string) => void;
  /** False ignores tsconfig.json and jsconfig.json (an untrusted workspace): every file gets the defaults. */
  readConfigFiles?: boolean;
}

/** Options for files without a tsconfig.json. */
function defaultCompilerOptions(): TS.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowJs: true,
    checkJs: false,
    noEmit: true,
    skipLibCheck: true,
    strict: true,
    jsx: ts.JsxEmit.Preserve,
  };
}

const configNames = ["tsconfig.json", "jsconfig.json"];

/** One ts-morph project and what the workspace learnt about it. */
export class TypeScriptProject {
  /** Set when the type checker is not used for this project (the message says why). */
  degraded: string | null = null;
  private checked = false;
  private resolutionCache: TS.ModuleResolutionCache | undefined;

  constructor(
    readonly project: Project,
    /** The config file, or null for the default project. */
    readonly configPath: string | null,
    private readonly budget: TypeCheckBudget,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * The type checker over the current program, or null when the project is degraded. The first call
   * builds the program (the slow part); later calls after an edit rebuild it reusing unchanged files.
   */
  typeChecker(): TS.TypeChecker | null {
    if (this.degraded) return null;
    if (!this.checked) {
      // The files added already are a floor on the program's size: over it, do not even start.
      const added = this.project.getSourceFiles();
      if (added.length > this.budget.maxProgramFiles) {
        this.checked = true;
        return this.degrade(`it has ${added.length} files to check (more than ${this.budget.maxProgramFiles})`);
      }
    }
    const started = performance.now();
    const program = this.project.getProgram().compilerObject;
    if (!this.checked) {
      this.checked = true;
      const sourceFiles = program.getSourceFiles();
      if (sourceFiles.length > this.budget.maxProgramFiles) {
        return this.degrade(`its program has ${sourceFiles.length} files (more than ${this.budget.maxProgramFiles})`);
      }
      const length = sourceFiles.reduce((sum, file) => sum + file.text.length, 0);
      if (length > this.budget.maxProgramSourceLength) {
        const megabytes = (n: number) => `${Math.round(n / 1_000_000)} MB`;
        return this.degrade(`its program holds ${megabytes(length)} of source (more than ${megabytes(this.budget.maxProgramSourceLength)})`);
      }
      const checker = program.getTypeChecker();
      const elapsed = performance.now() - started;
      if (elapsed > this.budget.maxMilliseconds) {
        return this.degrade(`building its program took ${Math.round(elapsed)} ms (more than ${this.budget.maxMilliseconds} ms)`);
      }
      return checker;
    }
    return program.getTypeChecker();
  }

  /**
   * Where a non-relative specifier written in `containingFile` leads when the project maps specifiers
   * to its own files (tsconfig `paths` or `baseUrl`): the file's absolute path, or null for a package,
   * a declaration file or a specifier that resolves to nothing. Null (no resolver) when the project
   * maps none: every non-relative specifier is a package then.
   */
  moduleResolver(containingFile: string): ModuleResolver | null {
    const options = this.project.getCompilerOptions();
    if (!options.paths && !options.baseUrl) return null;
    const host = this.project.getModuleResolutionHost();
    this.resolutionCache ??= ts.createModuleResolutionCache(dirname(containingFile), (name) => name, options);
    const cache = this.resolutionCache;
    return (specifier) => {
      let resolved: TS.ResolvedModuleFull | undefined;
      try {
        resolved = ts.resolveModuleName(specifier, containingFile, options, host, cache).resolvedModule;
      } catch {
        // A broken `paths` entry or an unreadable folder: the specifier is treated as a package.
        return null;
      }
      if (!resolved || resolved.isExternalLibraryImport) return null;
      const file = resolved.resolvedFileName.replace(/\\/g, "/");
      return /\.d\.[cm]?ts$/.test(file) || file.includes("/node_modules/") ? null : file;
    };
  }

  private degrade(reason: string): null {
    const where = this.configPath ?? "files without a tsconfig.json";
    this.degraded = reason;
    this.warn(`corolint: ${where}: ${reason}; type-aware rules (unawaited-coroutine) fall back to what the syntax shows`);
    return null;
  }
}

/** All projects of one analysis run (CLI worker) or one language server. */
export class TypeScriptWorkspace {
  private readonly projects = new Map<string, TypeScriptProject>();
  /** Folder → the config that governs it (null: none up to the file system root). */
  private readonly configForDir = new Map<string, string | null>();
  private readonly budget: TypeCheckBudget;
  private readonly warn: (message: string) => void;
  private readonly readConfigFiles: boolean;

  constructor(options: TypeScriptWorkspaceOptions = {}) {
    this.budget = { ...defaultTypeCheckBudget, ...options.budget };
    this.warn = options.onWarning ?? (() => {});
    this.readConfigFiles = options.readConfigFiles ?? true;
  }

  /**
   * The source file for `text`, in the project that owns `absolutePath` (files without a path get a
   * project of their own, without types from disk). Replaces the file's previous text.
   */
  sourceFile(absolutePath: string | undefined, relativePath: string, text: string): { file: SourceFile; project: TypeScriptProject } {
    loadTypeScript();
    const filePath = absolutePath ? resolve(absolutePath) : join("/__corolint_unsaved__", relativePath);
    const project = this.projectFor(absolutePath ? dirname(filePath) : null);
    // The same text keeps the program (and its type checker) as it is; a new text makes the next
    // type check build a program that reuses everything else.
    const existing = project.project.getSourceFile(filePath);
    if (existing && existing.getFullText() === text) return { file: existing, project };
    const file = project.project.createSourceFile(filePath, text, { overwrite: true, scriptKind: scriptKindOf(filePath) });
    return { file, project };
  }

  /**
   * Adds files on disk to their projects before any is analysed, so that one program (and one type
   * checker) serves them all: adding files one by one would build a program per file.
   */
  addFiles(absolutePaths: readonly string[]): void {
    loadTypeScript();
    for (const absolutePath of absolutePaths) {
      const filePath = resolve(absolutePath);
      const { project } = this.projectFor(dirname(filePath));
      try {
        project.addSourceFileAtPathIfExists(filePath);
      } catch {
        // Unreadable now: the analysis of the file reports why.
      }
    }
  }

  /** The resolver of tsconfig `paths` for a file on disk (see `TypeScriptProject.moduleResolver`), without adding the file. */
  moduleResolverFor(absolutePath: string): ModuleResolver | null {
    loadTypeScript();
    const filePath = resolve(absolutePath);
    return this.projectFor(dirname(filePath)).moduleResolver(filePath);
  }

  /** Drops an edited file from its project, so the program reads it from disk again. */
  forget(absolutePath: string): void {
    const filePath = resolve(absolutePath);
    for (const { project } of this.projects.values()) {
      const file = project.getSourceFile(filePath);
      if (file) project.removeSourceFile(file);
    }
  }

  private projectFor(dir: string | null): TypeScriptProject {
    const configPath = dir && this.readConfigFiles ? this.findConfig(dir) : null;
    const key = configPath ?? "";
    let entry = this.projects.get(key);
    if (!entry) {
      entry = this.createProject(configPath);
      this.projects.set(key, entry);
      if (configPath === null && dir !== null && this.readConfigFiles) {
        this.warn(
          `corolint: no tsconfig.json or jsconfig.json above ${dir}; TypeScript and JavaScript files without one are ` +
            "analysed with default compiler options (strict, ES2022, NodeNext modules)",
        );
      }
    }
    return entry;
  }

  private createProject(configPath: string | null): TypeScriptProject {
    const common = { skipAddingFilesFromTsConfig: true, skipFileDependencyResolution: true };
    if (configPath) {
      try {
        // Parse the config first: ts-morph would throw on a broken file with a less helpful message.
        const read = ts.readConfigFile(configPath, ts.sys.readFile);
        if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
        const project = new (loadTypeScript().Project)({ ...common, tsConfigFilePath: configPath, compilerOptions: { allowJs: true, noEmit: true } });
        return new TypeScriptProject(project, configPath, this.budget, this.warn);
      } catch (error) {
        const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
        this.warn(`corolint: ${configPath} could not be read (${reason}); its files are analysed with default compiler options`);
      }
    }
    const project = new (loadTypeScript().Project)({ ...common, compilerOptions: defaultCompilerOptions() });
    return new TypeScriptProject(project, configPath, this.budget, this.warn);
  }

  /** The nearest tsconfig.json or jsconfig.json at or above `dir`, below any node_modules. */
  private findConfig(dir: string): string | null {
    const visited: string[] = [];
    let current = dir;
    let found: string | null = null;
    for (;;) {
      const cached = this.configForDir.get(current);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      visited.push(current);
      const config = configNames.map((name) => join(current, name)).find((path) => existsSync(path));
      if (config) {
        found = config;
        break;
      }
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
    for (const path of visited) this.configForDir.set(path, found);
    return found;
  }
}

function scriptKindOf(path: string): TS.ScriptKind {
  if (/\.tsx$/.test(path)) return ts.ScriptKind.TSX;
  if (/\.jsx$/.test(path)) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(path)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}
