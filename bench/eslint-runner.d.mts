/** One ESLint message: `line` and `column` one-based; parse errors have rule "parse-error". */
export interface EslintFinding {
  /** Absolute path. */
  file: string;
  line: number;
  column: number;
  /** "n/no-sync", "@typescript-eslint/no-floating-promises" or "parse-error". */
  rule: string;
  message: string;
}

/**
 * Lints `files` (absolute paths) with n/no-sync and the type-aware no-floating-promises; `project`
 * is the tsconfig giving types (relative to `tsconfigRootDir`, or absolute). Findings are sorted.
 */
export function runEslint(
  files: readonly string[],
  options: { tsconfigRootDir: string; project: string },
): Promise<{ seconds: number; findings: EslintFinding[] }>;
