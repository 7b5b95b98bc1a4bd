/**
 * One file's summary for the workspace index, from its text: what the CLI and the language server
 * call for files they index without analysing them (see summary.ts).
 */
import type { ts as TS } from "ts-morph";
import { languageForPath, resolveOptions } from "../analyze";
import type { IncrementalParser } from "../incremental";
import { parsePython } from "../python/parser";
import { PythonModel } from "../python/semantic";
import { summarizePython, summarizePythonCoroutines, summarizePythonPart } from "../python/summarize";
import { TypeScriptModel } from "../typescript/model";
import { summarizeTypeScript } from "../typescript/summarize";
import { loadTypeScript, ts } from "../typescript/ts-runtime";
import type { TypeScriptWorkspace } from "../typescript/workspace";
import type { AnalyzeRequest } from "../types";
import { pythonModuleKeys, summaryFileOf, workspaceRootsOf } from "./module-keys";
import type { FileSummary } from "./summary";

/**
 * The summary of the request's file, or null for a file that is neither Python nor TS/JS. Python
 * files are parsed with `parser` when given (it keeps the tree), TS/JS files in `typescript`'s project
 * when given, else on their own (no type checker: summaries read syntax only; `resolvers` gives the
 * tsconfig `paths` of their project).
 */
export function summarizeFile(
  request: AnalyzeRequest,
  parser?: IncrementalParser,
  typescript?: TypeScriptWorkspace,
  /** Without `typescript`: where a TS/JS file's tsconfig `paths` lead (the file is not added to a project). */
  resolvers?: Pick<TypeScriptWorkspace, "moduleResolverFor">,
): FileSummary | null {
  const language = languageForPath(request.path);
  if (language === null) return null;
  const options = resolveOptions(request.options);
  const file = summaryFileOf(request.path, request.absolutePath);
  if (language === "typescript") {
    loadTypeScript();
    if (typescript) {
      const { file: sourceFile, project } = typescript.sourceFile(request.absolutePath, request.path, request.source);
      const model = new TypeScriptModel(sourceFile.compilerNode, null, project.moduleResolver(sourceFile.getFilePath()));
      return summarizeTypeScript(model, file, options);
    }
    const sourceFile = ts.createSourceFile(file, request.source, ts.ScriptTarget.Latest, true, scriptKindOf(file));
    const resolver = request.absolutePath !== undefined ? (resolvers?.moduleResolverFor(request.absolutePath) ?? null) : null;
    return summarizeTypeScript(new TypeScriptModel(sourceFile, null, resolver), file, options);
  }
  const tree = parser ? parser.parse(request.source) : parsePython(request.source);
  try {
    const model = new PythonModel(tree, request.source, options.extraAsyncDecorators);
    return summarizePython(model, file, options, pythonModuleKeys(file, workspaceRootsOf(request.path, request.absolutePath, request.workspaceRoots)));
  } finally {
    if (!parser) tree.delete();
  }
}

/**
 * A Python file's summary for the CLI's summary pass when it has coroutines (see
 * `summarizePythonCoroutines`), parsed with `parser`, which keeps the tree; the model is returned for
 * the file's check to reuse.
 */
export function summarizePythonCoroutineFile(
  request: AnalyzeRequest,
  parser: IncrementalParser,
): { summary: FileSummary; ids: string[]; model: PythonModel } {
  const options = resolveOptions(request.options);
  const file = summaryFileOf(request.path, request.absolutePath);
  const model = new PythonModel(parser.parse(request.source), request.source, options.extraAsyncDecorators);
  const keys = pythonModuleKeys(file, workspaceRootsOf(request.path, request.absolutePath, request.workspaceRoots));
  return { ...summarizePythonCoroutines(model, file, options, keys), model };
}

/**
 * A Python file's partial summary (see `summarizePythonPart`): the functions `wanted` names and those
 * of the file they call, and the ids of all its functions. For modules that are only call targets.
 */
export function summarizePythonFilePart(
  request: AnalyzeRequest,
  wanted: ReadonlySet<string>,
  /** A model of the request's text already built (the CLI keeps those of files with coroutines). */
  kept?: PythonModel,
): { summary: FileSummary; ids: string[] } {
  const options = resolveOptions(request.options);
  const file = summaryFileOf(request.path, request.absolutePath);
  const keys = pythonModuleKeys(file, workspaceRootsOf(request.path, request.absolutePath, request.workspaceRoots));
  if (kept && kept.source === request.source) return summarizePythonPart(kept, file, options, keys, wanted);
  const tree = parsePython(request.source);
  try {
    return summarizePythonPart(new PythonModel(tree, request.source, options.extraAsyncDecorators), file, options, keys, wanted);
  } finally {
    tree.delete();
  }
}

function scriptKindOf(path: string): TS.ScriptKind {
  if (/\.tsx$/.test(path)) return ts.ScriptKind.TSX;
  if (/\.jsx$/.test(path)) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(path)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}
