import type { AnalysisOptions } from "../types";

/**
 * Text scans shared by the rules' `mightApply`. They must over-approximate what the semantic
 * model can find: a miss here would hide a finding, a false hit only costs a parse.
 */

const asyncDef = /\basync\s+def\b/;

/** Last segments of the default coroutine decorators (`tornado.gen.coroutine`, `inlineCallbacks`, ...). */
const defaultDecoratorNames = ["coroutine", "inlineCallbacks", "engine"];

/**
 * Whether the text can contain async context: an `async def`, or a coroutine decorator — used as
 * `@...name` (`@gen.coroutine`), or imported under another name (`from tornado.gen import coroutine as co`).
 */
export function mayHaveAsyncContext(source: string, options: AnalysisOptions): boolean {
  if (asyncDef.test(source)) return true;
  const names = [...defaultDecoratorNames, ...options.extraAsyncDecorators.map(lastSegment)];
  const decorator = new RegExp(`@[\\w.\\s]*?\\b(?:${names.map(escapeRegExp).join("|")})\\b`);
  if (decorator.test(source)) return true;
  if (!names.some((name) => source.includes(name))) return false;
  const imported = importedWords(source);
  return names.some((name) => imported.has(name));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether the text can contain greenlet context (a function handed to gevent/eventlet/greenlet). */
export function mayHaveGreenletContext(source: string): boolean {
  return /\b(?:gevent|eventlet|greenlet)\b/.test(source);
}

/** The part of a qualified name after its last dot. */
export function lastSegment(qualifiedName: string): string {
  return qualifiedName.slice(qualifiedName.lastIndexOf(".") + 1);
}

/** Words after `import` in import statements anywhere in the text (module heads, imported names, aliases). */
export function importedWords(source: string): Set<string> {
  const words = new Set<string>();
  const importStatement = /\bimport[ \t]+(\([^)]*\)|[^\n\\;]*(?:\\\n[^\n\\;]*)*)/g;
  for (const match of source.matchAll(importStatement)) {
    for (const word of match[1].matchAll(/[A-Za-z_]\w*/g)) words.add(word[0]);
  }
  return words;
}

/** Top-level modules named by import statements (`import a.b`, `from a.b import c` both give `a`). */
export function importedModules(source: string): Set<string> {
  const modules = new Set<string>();
  for (const match of source.matchAll(/\bfrom[ \t]+([A-Za-z_]\w*)/g)) modules.add(match[1]);
  for (const word of importedWords(source)) modules.add(word);
  return modules;
}

/**
 * What the names bound by import statements stand for, read from the text alone: `import a.b` binds
 * `a` to `a`, `import a.b as c` binds `c` to `a.b`, `from m import x as y` binds `y` to `m.x`.
 * A name imported several times keeps every meaning.
 */
export function importBindings(source: string): Map<string, string[]> {
  const bindings = new Map<string, string[]>();
  const add = (name: string, qualified: string) => {
    const list = bindings.get(name);
    if (list) list.push(qualified);
    else bindings.set(name, [qualified]);
  };
  const statement = /(?:\bfrom[ \t]+([.\w]+)[ \t]+)?\bimport[ \t]+(\([^)]*\)|[^\n\\;]*(?:\\\n[^\n\\;]*)*)/g;
  for (const match of source.matchAll(statement)) {
    const from = match[1];
    const names = match[2].replace(/#[^\n]*/g, "").replace(/[()\\]/g, " ");
    for (const item of names.split(",")) {
      const parts = item.trim().split(/\s+/);
      const name = parts[0];
      if (!name || !/^[\w.]+$/.test(name)) continue;
      const alias = parts[1] === "as" ? parts[2] : undefined;
      if (from !== undefined) {
        const prefix = from.endsWith(".") ? from : `${from}.`;
        add(alias ?? name, `${prefix}${name}`);
      } else if (alias) {
        add(alias, name);
      } else {
        add(name.split(".")[0], name.split(".")[0]);
      }
    }
  }
  return bindings;
}
