import type { Node } from "web-tree-sitter";
import type { Rule } from "../rule";
import type { Fix } from "../types";
import { canAwaitAt, ensureModuleImport, insertBefore, replaceNode } from "../python/fix-helpers";
import type { Framework, PythonModel, Scope, Site } from "../python/semantic";
import { mayHaveAsyncContext } from "../python/triggers";
import type { ts as TS } from "ts-morph";
import { ts } from "../typescript/ts-runtime";
import type { TypeScriptModel } from "../typescript/model";
import { blockingNodeCall } from "../typescript/node-apis";

/** The families of blocking calls; each has its own async alternative. */
type Family =
  | "sleep" | "http" | "subprocess" | "file" | "dns" | "input" | "select" | "shutil"
  | "database" | "event" | "queue" | "future" | "thread-join" | "configured";

/** What to use instead, per family and per async library. */
const alternatives: Record<Family, Record<Framework, string>> = {
  sleep: { asyncio: "use `await asyncio.sleep(...)`", trio: "use `await trio.sleep(...)`", anyio: "use `await anyio.sleep(...)`" },
  http: {
    asyncio: "use an async HTTP client (aiohttp or `httpx.AsyncClient`)",
    trio: "use an async HTTP client (`httpx.AsyncClient`)",
    anyio: "use an async HTTP client (`httpx.AsyncClient`)",
  },
  subprocess: {
    asyncio: "use `await asyncio.create_subprocess_exec(...)` and `await proc.communicate()`",
    trio: "use `await trio.run_process(...)`",
    anyio: "use `await anyio.run_process(...)`",
  },
  file: {
    asyncio: "use aiofiles or `await asyncio.to_thread(...)`",
    trio: "use `trio.Path` or `await trio.open_file(...)`",
    anyio: "use `anyio.Path` or `await anyio.open_file(...)`",
  },
  dns: {
    asyncio: "use `await asyncio.open_connection(...)` or `await loop.getaddrinfo(...)`",
    trio: "use `await trio.open_tcp_stream(...)` or `await trio.socket.getaddrinfo(...)`",
    anyio: "use `await anyio.connect_tcp(...)` or `await anyio.getaddrinfo(...)`",
  },
  input: {
    asyncio: "use `await asyncio.to_thread(input, ...)`",
    trio: "use `await trio.to_thread.run_sync(input, ...)`",
    anyio: "use `await anyio.to_thread.run_sync(input, ...)`",
  },
  select: {
    asyncio: "use `loop.add_reader()` or asyncio streams",
    trio: "use `await trio.lowlevel.wait_readable(...)`",
    anyio: "use `await anyio.wait_socket_readable(...)`",
  },
  shutil: {
    asyncio: "use `await asyncio.to_thread(...)`",
    trio: "use `await trio.to_thread.run_sync(...)`",
    anyio: "use `await anyio.to_thread.run_sync(...)`",
  },
  database: {
    asyncio: "use an async driver (aiosqlite, asyncpg, aiomysql) or `await asyncio.to_thread(...)`",
    trio: "use `await trio.to_thread.run_sync(...)`",
    anyio: "use `await anyio.to_thread.run_sync(...)`",
  },
  event: {
    asyncio: "use `asyncio.Event` and `await event.wait()`",
    trio: "use `trio.Event` and `await event.wait()`",
    anyio: "use `anyio.Event` and `await event.wait()`",
  },
  queue: {
    asyncio: "use `asyncio.Queue` and `await queue.get()` / `await queue.put(...)`",
    trio: "use a trio memory channel (`trio.open_memory_channel`)",
    anyio: "use an anyio memory object stream (`anyio.create_memory_object_stream`)",
  },
  future: {
    asyncio: "use `await asyncio.wrap_future(future)`",
    trio: "use `await trio.to_thread.run_sync(future.result)`",
    anyio: "use `await anyio.to_thread.run_sync(future.result)`",
  },
  "thread-join": {
    asyncio: "use `await asyncio.to_thread(thread.join)`",
    trio: "use `await trio.to_thread.run_sync(thread.join)`",
    anyio: "use `await anyio.to_thread.run_sync(thread.join)`",
  },
  configured: {
    asyncio: "use an async alternative or `await asyncio.to_thread(...)`",
    trio: "use an async alternative or `await trio.to_thread.run_sync(...)`",
    anyio: "use an async alternative or `await anyio.to_thread.run_sync(...)`",
  },
};

const httpVerbs = ["get", "post", "put", "patch", "delete", "head", "options", "request"];

/** Qualified names of blocking calls, by family. Methods are `Class.method` of the instance's class. */
const blockingCalls = new Map<string, Family>();
function add(family: Family, ...names: string[]): void {
  for (const name of names) blockingCalls.set(name, family);
}
add("sleep", "time.sleep");
add("http", ...httpVerbs.map((v) => `requests.${v}`), ...[...httpVerbs, "send"].map((v) => `requests.Session.${v}`));
add("http", "urllib.request.urlopen", "urllib.request.urlretrieve", "urllib.request.OpenerDirector.open");
add("http", "urllib3.request", ...["request", "urlopen", "request_encode_url", "request_encode_body"].flatMap((m) =>
  ["urllib3.PoolManager", "urllib3.ProxyManager", "urllib3.HTTPConnectionPool", "urllib3.HTTPSConnectionPool"].map((c) => `${c}.${m}`)));
add("http", ...[...httpVerbs, "stream"].map((v) => `httpx.${v}`), ...[...httpVerbs, "send", "stream"].map((v) => `httpx.Client.${v}`));
add("http", ...["request", "getresponse", "connect"].flatMap((m) =>
  ["http.client.HTTPConnection", "http.client.HTTPSConnection"].map((c) => `${c}.${m}`)));
add("subprocess", "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
  "subprocess.getoutput", "subprocess.getstatusoutput", "subprocess.Popen.wait", "subprocess.Popen.communicate",
  "os.system", "os.popen");
add("file", "open", "io.open", "codecs.open", "os.fdopen", ...["open", "read_text", "read_bytes", "write_text", "write_bytes"].map((m) => `pathlib.Path.${m}`));
add("dns", "socket.create_connection", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
  "socket.gethostbyaddr", "socket.getnameinfo", "socket.getfqdn");
add("input", "input");
add("select", "select.select");
add("shutil", ...["copy", "copy2", "copyfile", "copytree", "copyfileobj", "move", "rmtree"].map((f) => `shutil.${f}`));
add("database", "sqlite3.connect", "psycopg2.connect", "pymysql.connect", "MySQLdb.connect");
add("event", "threading.Event.wait", "threading.Condition.wait", "threading.Barrier.wait");
add("queue", "queue.Queue.get", "queue.Queue.put", "queue.SimpleQueue.get", "multiprocessing.Queue.get", "multiprocessing.Queue.put");
add("future", "concurrent.futures.Future.result", "concurrent.futures.Future.exception");
add("thread-join", "threading.Thread.join", "multiprocessing.Process.join");

/** Other spellings of the classes above (submodules, subclasses with the same blocking methods). */
const classAliases: Record<string, string> = {
  "requests.sessions.Session": "requests.Session",
  "requests.api": "requests",
  "urllib3.poolmanager.PoolManager": "urllib3.PoolManager",
  "urllib3.connectionpool.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
  "urllib3.connectionpool.HTTPSConnectionPool": "urllib3.HTTPSConnectionPool",
  "pathlib.PosixPath": "pathlib.Path",
  "pathlib.WindowsPath": "pathlib.Path",
  "queue.LifoQueue": "queue.Queue",
  "queue.PriorityQueue": "queue.Queue",
  "concurrent.futures._base.Future": "concurrent.futures.Future",
  "multiprocessing.queues.Queue": "multiprocessing.Queue",
  "multiprocessing.JoinableQueue": "multiprocessing.Queue",
  "httpx._client.Client": "httpx.Client",
};

/** The family of a blocking call's qualified name, after normalising the spellings above. */
export function blockingFamily(qualifiedName: string, extra: readonly string[] = []): Family | null {
  if (extra.includes(qualifiedName)) return "configured";
  const dot = qualifiedName.lastIndexOf(".");
  if (dot > 0) {
    const owner = qualifiedName.slice(0, dot);
    const alias = classAliases[owner];
    if (alias) return blockingFamily(`${alias}${qualifiedName.slice(dot)}`, extra);
  }
  const known = blockingCalls.get(qualifiedName);
  if (known) return known;
  if (/^os\.(spawn[lv]p?e?|wait|wait3|wait4|waitpid|waitid)$/.test(qualifiedName)) return "subprocess";
  return null;
}

/** Methods that stop blocking when told not to wait: `q.get(False)`, `q.get(block=False)`, `ev.wait(0)`. */
const waitingMethods = /\.(get|put|wait|join|result|exception)$/;

function isNonBlockingCall(call: Node, qualifiedName: string): boolean {
  if (!waitingMethods.test(qualifiedName)) return false;
  const args = call.childForFieldName("arguments")?.namedChildren ?? [];
  const isQueue = /\.(get|put)$/.test(qualifiedName);
  const positional = args.filter((a) => a && a.type !== "keyword_argument");
  // queue.get(block, timeout) / queue.put(item, block, timeout); wait/join/result(timeout).
  const blockArg = isQueue ? positional[qualifiedName.endsWith(".put") ? 1 : 0] : undefined;
  const timeoutArg = isQueue ? positional[qualifiedName.endsWith(".put") ? 2 : 1] : positional[0];
  const keyword = (name: string) =>
    args.find((a) => a?.type === "keyword_argument" && a.childForFieldName("name")?.text === name)?.childForFieldName("value");
  const block = keyword("block") ?? blockArg;
  const timeout = keyword("timeout") ?? timeoutArg;
  if (block?.type === "false") return true;
  return timeout !== undefined && timeout !== null && /^0(\.0*)?$/.test(timeout.text);
}

/** How the call reads in a message: `requests.get()`, `Session.get()`, `open()`. */
function displayName(qualifiedName: string): string {
  return `${qualifiedName}()`;
}

/** The blocking call a `call` node makes in `scope`, or null. Shared with other rules. */
export function blockingCallAt(model: PythonModel, call: Node, scope: Scope, extra: readonly string[] = []): { name: string; family: Family } | null {
  const name = model.callee(call, scope);
  if (!name) return null;
  const family = blockingFamily(name, extra);
  if (!family || isNonBlockingCall(call, name)) return null;
  return { name, family };
}

/** Where an `await ...` expression can replace a call without parentheses changing its meaning. */
const awaitableParents = new Set([
  "expression_statement", "assignment", "augmented_assignment", "return_statement", "argument_list",
  "keyword_argument", "parenthesized_expression",
]);

/**
 * The safe fix for `time.sleep(x)` in an `async def`: `await asyncio.sleep(x)` (trio/anyio in trio or
 * anyio modules), importing the module when it is missing. Same arguments, same duration, and the
 * loop runs other tasks meanwhile.
 */
function sleepFix(model: PythonModel, site: Site, framework: Framework): Fix[] {
  if (!canAwaitAt(site)) return [];
  const parent = site.node.parent;
  const fn = site.node.childForFieldName("function");
  if (!fn || !parent || !awaitableParents.has(parent.type)) return [];
  const { name, edits } = ensureModuleImport(model, framework);
  return [
    {
      title: `Replace with \`await ${name}.sleep(...)\``,
      safety: "safe",
      edits: [insertBefore(site.node, "await "), replaceNode(fn, `${name}.sleep`), ...edits],
    },
  ];
}

/** `xhr.open(method, url, false)` on an `XMLHttpRequest`: a synchronous request. */
function isSyncXhrOpen(model: TypeScriptModel, call: TS.CallExpression): boolean {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "open") return false;
  if (call.arguments.length < 3 || call.arguments[2].kind !== ts.SyntaxKind.FalseKeyword) return false;
  let object: TS.Node | null = callee.expression;
  if (ts.isIdentifier(object)) {
    const declaration = model.localDeclaration(object);
    object = declaration && ts.isVariableDeclaration(declaration) ? (declaration.initializer ?? null) : null;
  }
  return object !== null && ts.isNewExpression(object) && model.qualifiedName(object.expression) === "XMLHttpRequest";
}

export const blockingCall: Rule = {
  id: "blocking-call",
  summary: "A blocking call (sleep, HTTP, subprocess, file, DNS, thread sync, `fs.*Sync`, `execSync`) inside async code stalls every task.",
  languages: ["python", "typescript"],
  defaultSeverity: "error",
  equivalents: {
    flake8Async: ["ASYNC210", "ASYNC211", "ASYNC212", "ASYNC220", "ASYNC221", "ASYNC222", "ASYNC230", "ASYNC231", "ASYNC250", "ASYNC251"],
    ruff: ["ASYNC210", "ASYNC220", "ASYNC221", "ASYNC222", "ASYNC230", "ASYNC251"],
    eslint: ["n/no-sync"],
  },
  docs: {
    what:
      "Reports calls that block the thread — `time.sleep`, `requests`, `urllib`, sync `httpx`, `subprocess`, `open()` " +
      "and `pathlib` I/O, DNS look-ups, `input()`, `select.select`, `shutil` copies, database connects, and waiting on " +
      "threading primitives, queues, futures and threads — inside a coroutine (`async def`, or a generator decorated " +
      "with `inlineCallbacks`, `tornado.gen.coroutine` or `asyncio.coroutine`). Names are matched after resolving imports, " +
      "so `import time as t; t.sleep(1)` is found and a local variable called `time` is not. Functions handed to a thread " +
      "by reference (`await asyncio.to_thread(time.sleep, 1)`) are not calls and are fine. More names can be added with " +
      "`extra-blocking-calls`. In TypeScript and JavaScript it reports, inside async functions, methods and arrows, every " +
      "`fs.*Sync` call, `child_process.execSync`/`execFileSync`/`spawnSync`, `crypto.*Sync`, `zlib.*Sync`, " +
      "`Atomics.wait` and synchronous `XMLHttpRequest.open(..., false)`, however the module was imported " +
      "(`import`, `import * as`, `require`, destructuring, `node:` prefix); `fs/promises` is not blocking.",
    why:
      "An event loop runs one task at a time and switches only at `await`. A blocking call holds the loop for its whole " +
      "duration: every other request, timer and heartbeat waits, latency spikes, and health checks time out. The " +
      "program still works in tests with one request, which is why this ships to production.",
    example: [
      "import time",
      "import requests",
      "",
      "async def refresh(url):",
      "    time.sleep(1)",
      "    return requests.get(url).json()",
    ].join("\n"),
    fixSafety:
      "`time.sleep(x)` directly in an `async def` has a safe fix: `await asyncio.sleep(x)` (`trio.sleep` / " +
      "`anyio.sleep` in trio or anyio modules), adding the import when it is missing — same duration, and other " +
      "tasks run meanwhile. Other blocking calls have no automatic fix yet: the async replacement changes the API.",
    useInstead: [
      "import asyncio",
      "import httpx",
      "",
      "async def refresh(url):",
      "    await asyncio.sleep(1)",
      "    async with httpx.AsyncClient() as client:",
      "        return (await client.get(url)).json()",
    ].join("\n"),
    typescript: {
      example: [
        'import { readFileSync } from "node:fs";',
        'import { execSync } from "node:child_process";',
        "",
        "export async function deploy(configPath: string) {",
        '  const config = JSON.parse(readFileSync(configPath, "utf8"));',
        "  return execSync(`deploy ${config.target}`);",
        "}",
      ].join("\n"),
      useInstead: [
        'import { readFile } from "node:fs/promises";',
        'import { execFile } from "node:child_process";',
        'import { promisify } from "node:util";',
        "",
        "export async function deploy(configPath: string) {",
        '  const config = JSON.parse(await readFile(configPath, "utf8"));',
        '  return promisify(execFile)("deploy", [config.target]);',
        "}",
      ].join("\n"),
    },
  },
  mightApply: mayHaveAsyncContext,
  mightApplyTypeScript: (source) => /\basync\b/.test(source) && /Sync\b|\bAtomics\b|\bXMLHttpRequest\b/.test(source),
  checkTypeScript({ model, report }) {
    for (const site of model.calls) {
      if (model.contextOf(site.func) !== "async") continue;
      const call = site.node;
      const name = model.functionName(site.func);
      const where = name ? ` in async function \`${name}\`` : "";
      const qualified = model.qualifiedName(call.expression);
      const blocking = qualified ? blockingNodeCall(qualified) : null;
      if (blocking) {
        report({ node: call, message: `\`${blocking.name}()\` blocks the event loop${where}; ${blocking.alternative}` });
      } else if (isSyncXhrOpen(model, call)) {
        report({
          node: call,
          message: `A synchronous \`XMLHttpRequest\` (\`open(..., false)\`) blocks the event loop${where}; use \`await fetch(...)\``,
        });
      }
    }
  },
  checkPython({ model, options, report }) {
    const framework = model.framework;
    for (const site of model.calls) {
      if (model.contextOf(site.func) !== "async") continue;
      const found = blockingCallAt(model, site.node, site.scope, options.extraBlockingCalls);
      if (!found) continue;
      const where = site.func?.name ? ` in coroutine \`${site.func.name}\`` : "";
      report({
        node: site.node,
        message: `\`${displayName(found.name)}\` blocks the event loop${where}; ${alternatives[found.family][framework]}`,
        fixes: found.name === "time.sleep" ? sleepFix(model, site, framework) : undefined,
      });
    }
  },
};
