/** A tsconfig.json's content, as written to disk (every path in it absolute). */
export interface CorpusTsconfig {
  compilerOptions: Record<string, unknown>;
  files: string[];
}

/**
 * The TypeScript benchmark corpus (@azure/msal-node and its nested @azure/msal-common sources in
 * node_modules): `root` the msal-node folder, `files` absolute and sorted, `tsconfig` to write to disk.
 */
export function typescriptCorpus(): { root: string; files: string[]; tsconfig: CorpusTsconfig };
