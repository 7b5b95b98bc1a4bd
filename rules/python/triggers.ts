import type { AnalysisOptions } from "../types";

/**
 * Text scans shared by the rules' `mightApply`. They must over-approximate what the semantic
 * model can find: a miss here would hide a finding, a false hit only costs a parse.
 */

const asyncWords = /\basync\s+def\b|inlineCallbacks|coroutine|\bgen\.engine\b/;

/** Whether the text can contain async context (an `async def` or a coroutine decorator). */
export function mayHaveAsyncContext(source: string, options: AnalysisOptions): boolean {
  if (asyncWords.test(source)) return true;
  return options.extraAsyncDecorators.some((name) => source.includes(lastSegment(name)));
}

/** Whether the text can contain greenlet context (a function handed to gevent/eventlet/greenlet). */
export function mayHaveGreenletContext(source: string): boolean {
  return /\b(?:gevent|eventlet|greenlet)\b/.test(source);
}

/** The part of a qualified name after its last dot. */
export function lastSegment(qualifiedName: string): string {
  return qualifiedName.slice(qualifiedName.lastIndexOf(".") + 1);
}

/** Names bound by import statements anywhere in the text (module heads, imported names, aliases). */
export function importedWords(source: string): Set<string> {
  const words = new Set<string>();
  const importStatement = /\bimport[ \t]+(\([^)]*\)|[^\n\\;]*(?:\\\n[^\n\\;]*)*)/g;
  for (const match of source.matchAll(importStatement)) {
    for (const word of match[1].matchAll(/[A-Za-z_]\w*/g)) words.add(word[0]);
  }
  return words;
}
