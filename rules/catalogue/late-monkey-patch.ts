import type { Rule } from "../rule";
import { patchFunctionKind } from "../python/patch-functions";

/** Modules whose early import is known to break gevent/eventlet patching, named first in messages. */
const riskyModules = new Set(["ssl", "socket", "threading", "select", "time", "requests", "urllib3", "http", "urllib", "asyncio", "queue", "subprocess"]);

/** Imports that the patch itself needs (`from gevent import monkey`) are not "earlier imports". */
function isPatchLibrary(module: string): boolean {
  const head = module.split(".")[0];
  return head === "gevent" || head === "eventlet";
}

export const lateMonkeyPatch: Rule = {
  id: "late-monkey-patch",
  summary: "A gevent/eventlet patch that runs after other imports, or inside a function, patches too late.",
  languages: ["python"],
  defaultSeverity: "error",
  equivalents: {},
  docs: {
    what:
      "Reports `gevent.monkey.patch_all()` (and the other `patch_*` functions) and `eventlet.monkey_patch()` when the " +
      "module has already imported something else (any import but `__future__` and the patching library itself), or " +
      "when the patch runs inside a function instead of first thing at import time. The related information points at " +
      "the earlier imports.",
    why:
      "Patching replaces module attributes. Code imported before the patch already holds the originals: " +
      "`from socket import socket`, a `threading.Lock` created at import, an `ssl` context — they stay blocking or " +
      "mix real threads with greenlets. gevent warns about patching `ssl` late only at run time, and the usual " +
      "result is a hang or a `RecursionError` far from the cause.",
    example: [
      "import requests",
      "from gevent import monkey",
      "",
      "monkey.patch_all()",
    ].join("\n"),
    useInstead: [
      "from gevent import monkey",
      "",
      "monkey.patch_all()",
      "",
      "import requests",
    ].join("\n"),
  },
  mightApply: (source) => /\b(?:gevent|eventlet)\b/.test(source),
  checkPython({ model, report }) {
    for (const site of model.calls) {
      const callee = model.callee(site.node, site.scope);
      const kind = callee ? patchFunctionKind(callee) : null;
      if (!callee || (kind !== "gevent" && kind !== "eventlet")) continue;
      if (site.func) {
        report({
          node: site.node,
          message:
            `\`${callee}()\` runs inside \`${site.func.name || "a lambda"}\`, not at import time: everything imported ` +
            "before the call keeps the unpatched, blocking originals; call it first thing in the entry module",
        });
        continue;
      }
      const start = site.node.startIndex;
      const earlier = model.imports.filter(
        (imp) => imp.func === null && !imp.isFuture && imp.node.startIndex < start && !imp.modules.every(isPatchLibrary),
      );
      if (earlier.length === 0) continue;
      const ranked = [...earlier].sort(
        (a, b) => Number(!a.modules.some((m) => riskyModules.has(m.split(".")[0]))) - Number(!b.modules.some((m) => riskyModules.has(m.split(".")[0]))),
      );
      const shown = ranked.slice(0, 3).map((imp) => imp.modules.filter((m) => !isPatchLibrary(m)).join(", "));
      report({
        node: site.node,
        message:
          `\`${callee}()\` runs after ${shown.map((m) => `\`${m}\``).join(", ")}${earlier.length > 3 ? " and more" : ""} ` +
          "were imported: those modules keep the unpatched, blocking originals; make the patch the first statement of the entry module",
        related: earlier.map((imp) => ({ node: imp.node, message: `imported before the patch: ${imp.modules.join(", ")}` })),
      });
    }
  },
};
