import type { Node } from "web-tree-sitter";
import type { Rule } from "../rule";
import type { Fix } from "../types";
import { canAwaitAt, insertBefore } from "../python/fix-helpers";
import type { Site } from "../python/semantic";
import { importedModules } from "../python/triggers";
import { someInSameFunction } from "../python/walk";
import { ts } from "../typescript/ts-runtime";
import { floatingPromise } from "../typescript/promises";
import { skipOuterExpressions } from "../typescript/model";
import { tsRange } from "../typescript/analyze";

/** Library coroutine functions (and methods of their classes) whose call does nothing until awaited. */
const knownCoroutines = new Set([
  "asyncio.sleep", "asyncio.wait", "asyncio.wait_for", "asyncio.to_thread", "asyncio.open_connection",
  "asyncio.open_unix_connection", "asyncio.start_server", "asyncio.start_unix_server",
  "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
  "asyncio.Queue.get", "asyncio.Queue.put", "asyncio.Queue.join", "asyncio.Event.wait", "asyncio.Lock.acquire",
  "asyncio.Condition.wait", "asyncio.Semaphore.acquire", "asyncio.StreamWriter.drain", "asyncio.StreamWriter.wait_closed",
  "asyncio.StreamReader.read", "asyncio.StreamReader.readline", "asyncio.StreamReader.readexactly",
  "asyncio.StreamReader.readuntil", "asyncio.AbstractEventLoop.getaddrinfo", "asyncio.AbstractEventLoop.sock_connect",
  "asyncio.AbstractEventLoop.sock_recv", "asyncio.AbstractEventLoop.sock_sendall", "asyncio.AbstractEventLoop.create_connection",
  "asyncio.AbstractEventLoop.create_server", "asyncio.AbstractEventLoop.shutdown_asyncgens",
  "trio.sleep", "trio.sleep_forever", "trio.sleep_until", "trio.open_tcp_stream", "trio.run_process", "trio.open_file",
  "trio.to_thread.run_sync", "trio.Event.wait", "anyio.sleep", "anyio.sleep_forever", "anyio.open_file",
  "anyio.connect_tcp", "anyio.run_process", "anyio.to_thread.run_sync", "anyio.Event.wait",
  "aiohttp.ClientSession.close", "aiohttp.ClientResponse.json", "aiohttp.ClientResponse.text", "aiohttp.ClientResponse.read",
]);

/** The safe fix inside an `async def`: `await` the call, which is what the code meant. */
function awaitFix(site: Site, call: Node): Fix[] {
  if (!canAwaitAt(site)) return [];
  return [{ title: "Add `await`", safety: "safe", edits: [insertBefore(call, "await ")] }];
}

export const unawaitedCoroutine: Rule = {
  id: "unawaited-coroutine",
  summary: "A coroutine or promise made as a statement and never awaited: its body never runs, or its failure goes unhandled.",
  languages: ["python", "typescript"],
  defaultSeverity: "error",
  equivalents: { eslint: ["@typescript-eslint/no-floating-promises"] },
  typeAware: true,
  docs: {
    what:
      "Reports expression statements that call a coroutine function without `await`: an `async def` of the same module " +
      "(a module-level function, a nested one, or a method called through `self`/`cls`), or a known async API such as " +
      "`asyncio.sleep`, `asyncio.wait_for`, `asyncio.Queue.put` or `trio.sleep`. Async generators are not reported " +
      "(calling one without `await` is how they are used). In TypeScript and JavaScript it reports floating promises: " +
      "an expression statement whose value is a promise (by its type, so promises from other modules count) that is " +
      "not awaited, returned, `void`-ed, or handled with `.catch(handler)` or `.then(onFulfilled, onRejected)` — " +
      "as typescript-eslint's `no-floating-promises` does with its defaults (one difference: an untyped `.catch(next)` " +
      "handler counts as handled). Without a type checker (a project over its budget) it " +
      "falls back to what the file shows: its own async functions, async IIFEs and Node's promise APIs.",
    why:
      "Calling a coroutine function only creates a coroutine object. Without `await` its body never runs — the sleep " +
      "does not happen, the message is not sent — and Python only says \"coroutine ... was never awaited\" later, at " +
      "garbage collection, far from the line at fault.",
    example: [
      "import asyncio",
      "",
      "async def save(record): ...",
      "",
      "async def handle(record):",
      "    save(record)",
      "    asyncio.sleep(0.1)",
    ].join("\n"),
    fixSafety:
      "Inside an `async def` the fix adds `await` and is safe: running the coroutine is what the call meant. " +
      "In synchronous code there is no automatic fix: the caller must become async or use `asyncio.run`.",
    useInstead: [
      "import asyncio",
      "",
      "async def save(record): ...",
      "",
      "async def handle(record):",
      "    await save(record)",
      "    await asyncio.sleep(0.1)",
    ].join("\n"),
    typescript: {
      example: [
        'import { writeFile } from "node:fs/promises";',
        "",
        "export async function handle(record: { id: string }) {",
        "  writeFile(`records/${record.id}.json`, JSON.stringify(record));",
        "}",
      ].join("\n"),
      useInstead: [
        'import { writeFile } from "node:fs/promises";',
        "",
        "export async function handle(record: { id: string }) {",
        "  await writeFile(`records/${record.id}.json`, JSON.stringify(record));",
        "}",
      ].join("\n"),
    },
  },
  mightApplyTypeScript: () => true,
  checkTypeScript({ model, report }) {
    for (const site of model.expressionStatements) {
      const floating = floatingPromise(model, site.node);
      if (!floating) continue;
      if (floating.kind === "array") {
        report({
          node: site.node,
          message:
            "This statement makes an array of promises that nobody awaits or handles: their rejections go unhandled; " +
            "`await Promise.all(...)` it, or write `void` to mark a deliberate fire-and-forget",
        });
        continue;
      }
      const node = floating.node;
      const callee = ts.isCallExpression(node) ? node.expression.getText() : null;
      const what = callee !== null && callee.length <= 40 && !callee.includes("\n") ? `of \`${callee}(...)\`` : "this statement makes";
      // `await` binds tighter than `?:` and `,`: only a whole-statement promise gets the fix.
      const whole = skipOuterExpressions(site.node.expression) === node;
      const inAsync = model.contextOf(site.func) === "async";
      const start = tsRange(model.sourceFile, node).start;
      report({
        node: site.node,
        message:
          `The promise ${what} is neither awaited nor handled: nothing waits for it and its rejection goes unhandled; ` +
          "`await` it, return it, add `.catch(...)`, or write `void` to mark a deliberate fire-and-forget",
        fixes: inAsync && whole ? [{ title: "Add `await`", safety: "safe", edits: [{ range: { start, end: start }, newText: "await " }] }] : undefined,
      });
    }
  },
  mightApply: (source) => {
    if (/\basync\s+def\b/.test(source)) return true;
    if (!/\b(?:asyncio|trio|anyio|aiohttp)\b/.test(source)) return false;
    const modules = importedModules(source);
    return ["asyncio", "trio", "anyio", "aiohttp"].some((m) => modules.has(m));
  },
  checkPython({ model, report }) {
    for (const site of model.statementCalls) {
      const call = site.node;
      const fn = call.childForFieldName("function");
      if (!fn) continue;
      const local = model.resolveFunction(fn, site.scope);
      if (local?.isAsyncDef) {
        const body = local.node.childForFieldName("body");
        const isAsyncGenerator = body !== null && someInSameFunction(body, (n) => n.type === "yield");
        if (isAsyncGenerator) continue;
        report({
          node: call,
          message: `Coroutine \`${local.name}()\` is called without \`await\`: its body never runs; write \`await ${fn.text}(...)\``,
          fixes: awaitFix(site, call),
        });
        continue;
      }
      const callee = model.callee(call, site.scope);
      if (callee && knownCoroutines.has(callee)) {
        report({
          node: call,
          message: `\`${callee}()\` returns a coroutine that is never awaited, so it does nothing; write \`await ${fn.text}(...)\``,
          fixes: awaitFix(site, call),
        });
      }
    }
  },
};
