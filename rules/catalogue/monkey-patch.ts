import type { Rule } from "../rule";
import { stdlibModules } from "../python/stdlib-modules";
import { importBindings } from "../python/triggers";
import { patchFunctionKind } from "../python/patch-functions";
import { assignmentPatch, callPatch, type PatchTarget } from "../typescript/patch-targets";
import { isTypeScriptTestPath } from "../typescript/node-apis";

/** The message for a TypeScript/JavaScript patch. */
function typeScriptPatchMessage(patch: PatchTarget): string {
  switch (patch.kind) {
    case "prototype":
      return `Replacing \`${patch.name}\` changes every such object in the process, in every library: behaviour changes at a distance and depends on load order; use a helper function or a subclass instead`;
    case "global":
      return `Replacing \`${patch.name}\` changes it for every module in the process (libraries that kept the original keep it): pass the implementation explicitly, or replace it only in tests`;
    case "module":
      return `Assigning \`${patch.name}\` patches Node's built-in module for the whole process: every module that uses it changes behaviour at a distance; pass the replacement explicitly, or patch only in tests`;
  }
}

/**
 * Standard-library attributes that exist to be assigned (documented hooks and settings): assigning them
 * is configuration, not patching.
 */
const assignableHooks = [
  /^sys\./,
  /^warnings\.(showwarning|formatwarning|filters)$/,
  /^threading\.excepthook$/,
  /^logging\.(raiseExceptions|logThreads|logProcesses|logMultiprocessing|logAsyncioTasks|lastResort)$/,
  /^tempfile\.tempdir$/,
  /^os\.environ$/,
];

/** Where tests live: patching there is what `unittest.mock` does, and not reported by default. */
export function isTestPath(path: string): boolean {
  const parts = path.split("/");
  const file = parts[parts.length - 1];
  if (/^test_.*\.pyi?$|_test\.pyi?$|^conftest\.py$/.test(file)) return true;
  return parts.slice(0, -1).some((dir) => dir === "tests" || dir === "test" || dir === "testing");
}

function isStdlibName(qualifiedName: string): boolean {
  return stdlibModules.has(qualifiedName.split(".")[0]) && !assignableHooks.some((hook) => hook.test(qualifiedName));
}

/**
 * Attribute assignments (`socket.socket = ...`, `t.sleep += ...`), on one line: the model only sees
 * plain targets, and a target cannot span lines outside brackets.
 */
const attributeAssignment = /(?<![\w.])([A-Za-z_]\w*)((?:[ \t]*\.[ \t]*[A-Za-z_]\w*)+)[ \t]*(?:=(?!=)|(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)=)/g;

/** `setattr(name.chain, "attr", ...)`: the first argument, and the attribute when it is a literal. */
const setattrCall = /\bsetattr\s*\(\s*([A-Za-z_]\w*)((?:[ \t]*\.[ \t]*[A-Za-z_]\w*)*)\s*,\s*(?:[rbuRBU]*['"]([A-Za-z_]\w*)['"])?/g;

/**
 * Whether an attribute assignment or `setattr` can target a standard-library module or class, judged
 * with the same `isStdlibName` as the check and import bindings read from the text: the scan then
 * lets through what the model could flag and little else.
 */
function mayPatchImportedModule(source: string): boolean {
  let bindings: Map<string, string[]> | null = null;
  const patches = (base: string, chain: string): boolean => {
    bindings ??= importBindings(source);
    const rest = chain.replace(/[ \t]/g, "");
    return (bindings.get(base) ?? []).some((qualified) => isStdlibName(`${qualified}${rest}`));
  };
  for (const match of source.matchAll(attributeAssignment)) {
    if (patches(match[1], match[2])) return true;
  }
  for (const match of source.matchAll(setattrCall)) {
    if (patches(match[1], `${match[2]}.${match[3] ?? "*"}`)) return true;
  }
  return false;
}

export const monkeyPatch: Rule = {
  id: "monkey-patch",
  summary: "Process-wide monkey-patching (`patch_all`, `nest_asyncio.apply`, reassigning stdlib attributes, built-in prototypes or globals).",
  languages: ["python", "typescript"],
  defaultSeverity: "warning",
  equivalents: {},
  docs: {
    what:
      "Reports `gevent.monkey.patch_all()` and the other `gevent.monkey.patch_*()` functions, `eventlet.monkey_patch()`, " +
      "`nest_asyncio.apply()`, and assignment or `setattr` onto an imported standard-library module or class " +
      "(`socket.socket = ...`, `time.sleep = ...`, `setattr(ssl, \"wrap_socket\", f)`). Documented hooks that exist to " +
      "be assigned (`sys.*`, `warnings.showwarning`, `threading.excepthook`, logging flags) are not reported, nor is " +
      "anything in test files (`test_*.py`, `*_test.py`, `conftest.py`, `tests/`) unless `monkey-patch-in-tests` is set. " +
      "In TypeScript and JavaScript it reports assignment (or `Object.defineProperty`/`defineProperties`/`assign`) onto " +
      "built-in prototypes (`Promise.prototype.then`, `Array.prototype.*`), built-in globals through `globalThis`, " +
      "`global`, `window` or `self` (`setTimeout`, `fetch`, `Promise`…) and members of Node's built-in modules " +
      "(`fs.readFile = ...`, `require(\"net\").connect = ...`); test files (`*.test.*`, `*.spec.*`, `__tests__/`, " +
      "`test/`, `tests/`) are left out the same way.",
    why:
      "A patch changes the whole process, implicitly: every library that imported the original now runs something " +
      "else, in an order that depends on import timing. When it goes wrong — a C extension that bypasses the patch, " +
      "a thread pool that deadlocks, an event loop re-entered by `nest_asyncio` — nothing at the failing line hints " +
      "at the patch that caused it.",
    example: [
      "import socket",
      "",
      "class TimeoutSocket(socket.socket):",
      "    pass",
      "",
      "socket.socket = TimeoutSocket",
    ].join("\n"),
    useInstead: [
      "import socket",
      "",
      "def connect(address, timeout=5.0):",
      "    return socket.create_connection(address, timeout=timeout)",
    ].join("\n"),
    typescript: {
      example: [
        "const originalFetch = globalThis.fetch;",
        "",
        "globalThis.fetch = (input, init) => originalFetch(input, { ...init, keepalive: true });",
      ].join("\n"),
      useInstead: [
        "export function keepAliveFetch(input: string | URL | Request, init?: RequestInit) {",
        "  return fetch(input, { ...init, keepalive: true });",
        "}",
      ].join("\n"),
    },
  },
  mightApply: (source, options, path) =>
    (options.monkeyPatchInTests || !isTestPath(path)) &&
    (/\b(?:gevent|eventlet|nest_asyncio)\b/.test(source) || mayPatchImportedModule(source)),
  mightApplyTypeScript: (source, options, path) =>
    (options.monkeyPatchInTests || !isTypeScriptTestPath(path)) && /\b(?:prototype|globalThis|global|window|self|require|import)\b/.test(source),
  checkTypeScript({ model, options, path, report }) {
    if (!options.monkeyPatchInTests && isTypeScriptTestPath(path)) return;
    for (const site of model.propertyAssignments) {
      const patch = assignmentPatch(model, site.node);
      if (patch) report({ node: site.node, message: typeScriptPatchMessage(patch) });
    }
    for (const site of model.calls) {
      const patch = callPatch(model, site.node);
      if (patch) report({ node: site.node, message: typeScriptPatchMessage(patch) });
    }
  },
  checkPython({ model, options, path, report }) {
    if (!options.monkeyPatchInTests && isTestPath(path)) return;
    for (const site of model.calls) {
      const callee = model.callee(site.node, site.scope);
      if (!callee) continue;
      const kind = patchFunctionKind(callee);
      if (kind === "nest_asyncio") {
        report({
          node: site.node,
          message:
            "`nest_asyncio.apply()` patches asyncio so a running loop can be re-entered: tasks interleave at unexpected " +
            "points and other loop implementations break; await the coroutine instead of calling `run_until_complete` inside a running loop",
        });
      } else if (kind) {
        report({
          node: site.node,
          message:
            `\`${callee}()\` replaces standard-library modules process-wide with ${kind}'s cooperative versions: ` +
            "behaviour changes at a distance and depends on import order; keep it the very first statement of the entry point, or use the library's APIs explicitly",
        });
      } else if (callee === "setattr") {
        const [target, attribute] = site.node.childForFieldName("arguments")?.namedChildren ?? [];
        const owner = target ? model.importedName(target, site.scope) : null;
        // `setattr(mod, "name", v)` patches `mod.name`; a computed name could be anything in `mod`.
        const literal = attribute?.type === "string" ? /^[rbuRBU]*['"]([A-Za-z_]\w*)['"]$/.exec(attribute.text)?.[1] : undefined;
        const name = owner ? `${owner}.${literal ?? "*"}` : null;
        if (name && isStdlibName(name)) {
          report({
            node: site.node,
            message: `\`setattr\` on standard-library \`${owner}\` patches it for the whole process; pass the replacement explicitly, or patch only in tests (\`unittest.mock.patch\`)`,
          });
        }
      }
    }
    for (const site of model.attributeAssignments) {
      const object = site.node.childForFieldName("object");
      const attribute = site.node.childForFieldName("attribute");
      if (!object || !attribute) continue;
      // Only names bound by an import: an instance (`s = socket.socket(); s.x = 1`) is not a module or class.
      const owner = model.importedName(object, site.scope);
      if (!owner) continue;
      const target = `${owner}.${attribute.text}`;
      if (!isStdlibName(target)) continue;
      report({
        node: site.node,
        message: `Assigning \`${target}\` patches the standard library for the whole process: every module that uses it changes behaviour at a distance; pass the replacement explicitly, or patch only in tests (\`unittest.mock.patch\`)`,
      });
    }
  },
};
