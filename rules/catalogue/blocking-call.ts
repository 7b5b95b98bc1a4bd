import type { Node } from "web-tree-sitter";
import type { Rule } from "../rule";
import type { Fix, TextEdit } from "../types";
import { canAwaitAt, insertBefore, mergeInsertions, moduleNameAt, rangeOf, replaceNode } from "../python/fix-helpers";
import type { Framework, PythonModel, Scope, Site } from "../python/semantic";
import { mayHaveAsyncContext } from "../python/triggers";
import type { ts as TS } from "ts-morph";
import { ts } from "../typescript/ts-runtime";
import { skipOuterExpressions, type TsSite, type TypeScriptModel } from "../typescript/model";
import { awaitEdits, canAwaitAt as canAwaitInTs, fileNames, moduleMember, namedImportOf, replaceNode as replaceTsNode } from "../typescript/fix-helpers";
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
  const module = moduleNameAt(model, framework, site.scope);
  if (!module) return [];
  return [
    {
      title: `Replace with \`await ${module.name}.sleep(...)\``,
      safety: "safe",
      edits: [insertBefore(site.node, "await "), replaceNode(fn, `${module.name}.sleep`), ...module.edits],
    },
  ];
}

/**
 * Blocking calls that must run on the thread that calls them, so a worker thread is no cure: a
 * `sqlite3` connection refuses use from another thread than its creator's (`check_same_thread`), and
 * `Condition.wait()` needs the condition's lock held by the waiting thread.
 */
const threadBound = new Set(["sqlite3.connect", "threading.Condition.wait"]);

/**
 * The unsafe fix for the other blocking calls in an `async def`: run the call in a worker thread,
 * `f(a, k=v)` → `await asyncio.to_thread(f, a, k=v)` (`trio.to_thread.run_sync` / `anyio.to_thread.run_sync`
 * in trio or anyio modules; those take no keyword arguments for the function, so keywords go through
 * `functools.partial`). The callee and the arguments keep their text, and are evaluated in the same
 * order, on the loop; only the call moves to the thread. Unsafe: the function now runs on another
 * thread (thread-local state, thread-affine objects), cancelling the `await` does not stop it, and an
 * object it returns (a file, a response) may still block when used.
 */
export function toThreadFix(model: PythonModel, site: Site, framework: Framework, name: string): Fix[] {
  if (!canAwaitAt(site) || threadBound.has(name)) return [];
  const call = site.node;
  const parent = call.parent;
  const fn = call.childForFieldName("function");
  const args = call.childForFieldName("arguments");
  // `with open(p) as f:` is left alone: the reads and writes of its body would still block, unreported.
  if (!fn || !args || !parent || !awaitableParents.has(parent.type)) return [];
  const runner = moduleNameAt(model, framework, site.scope);
  if (!runner) return [];
  const isGenerator = args.type === "generator_expression";
  const argNodes = isGenerator ? [args] : args.namedChildren.filter((a): a is Node => a !== null && a.type !== "comment");
  const hasKeywords = argNodes.some((a) => a.type === "keyword_argument" || a.type === "dictionary_splat");
  let head = framework === "asyncio" ? `await ${runner.name}.to_thread(` : `await ${runner.name}.to_thread.run_sync(`;
  let tail = "";
  const imports = [...runner.edits];
  if (framework !== "asyncio" && hasKeywords) {
    const functools = moduleNameAt(model, "functools", site.scope);
    if (!functools) return [];
    head += `${functools.name}.partial(`;
    tail = ")";
    imports.push(...functools.edits);
  }
  const fnEnd = { line: fn.endPosition.row, column: fn.endPosition.column };
  const argsStart = { line: args.startPosition.row, column: args.startPosition.column };
  const edits: TextEdit[] = [insertBefore(call, head)];
  if (isGenerator) {
    // `f(x for x in xs)` → `to_thread(f, (x for x in xs))`: the generator keeps its own parentheses.
    edits.push({ range: { start: fnEnd, end: argsStart }, newText: ", " });
    tail += ")";
  } else {
    // `f(a, b)` → `to_thread(f, a, b)`: the call's `(` becomes the comma, its `)` closes `to_thread(`.
    const inner = args.text.slice(1);
    const spaces = /^[ \t]*/.exec(inner)![0].length;
    const lineBreak = /^[ \t]*(#|\r?\n)/.test(inner);
    const separator = argNodes.length === 0 ? "" : lineBreak ? "," : ", ";
    const end = { line: argsStart.line, column: argsStart.column + 1 + (lineBreak ? 0 : spaces) };
    edits.push({ range: { start: fnEnd, end }, newText: separator });
  }
  if (tail) edits.push({ range: { start: rangeOf(call).end, end: rangeOf(call).end }, newText: tail });
  const shown = framework === "asyncio" ? `${runner.name}.to_thread` : `${runner.name}.to_thread.run_sync`;
  return [
    {
      title: `Run in a thread: \`await ${shown}(${fn.text.length <= 40 && !fn.text.includes("\n") ? fn.text : "..."}, ...)\``,
      safety: "unsafe",
      edits: [...edits, ...mergeInsertions(imports)],
    },
  ];
}

/** The fixes of a blocking call: `time.sleep` has a safe one, the others an unsafe worker-thread one. */
function pythonFixes(model: PythonModel, site: Site, framework: Framework, name: string): Fix[] | undefined {
  const fixes = name === "time.sleep" ? sleepFix(model, site, framework) : toThreadFix(model, site, framework, name);
  return fixes.length > 0 ? fixes : undefined;
}

/**
 * The `fs.*Sync` functions whose `fs.promises` form takes the same arguments and gives the same
 * result, and how safe the swap is. `realpath` is unsafe: `fs.promises.realpath` resolves like
 * `realpathSync.native` (the system's realpath), which can differ from `realpathSync` in case and on
 * Windows drives. `existsSync` (no promise form), `openSync` (a number, not a `FileHandle`) and the
 * descriptor-based functions (`readSync`, `fstatSync`...) have none.
 */
const fsPromiseForms = new Map<string, Fix["safety"]>([
  ...[
    "readFile", "writeFile", "appendFile", "readdir", "stat", "lstat", "statfs", "mkdir", "mkdtemp", "rm", "rmdir",
    "unlink", "rename", "copyFile", "cp", "access", "readlink", "chmod", "chown", "lchown", "utimes", "lutimes",
    "link", "symlink", "truncate", "opendir",
  ].map((name) => [name, "safe"] as const),
  ["realpath", "unsafe"],
]);

/** Functions whose sync form also takes a file descriptor, which their promise form rejects. */
const takesDescriptor = new Set(["readFile", "writeFile", "appendFile", "truncate"]);

/**
 * Whether an argument may be a file descriptor (a number): by its type when the checker is there and
 * knows it; else by its look — a number, `x.fd`, a name like `fd`, an `openSync(...)` call, or a
 * local constant holding one of those.
 */
function mayBeDescriptor(model: TypeScriptModel, argument: TS.Expression | undefined, depth = 0): boolean {
  if (!argument) return false;
  const node = skipOuterExpressions(argument);
  if (model.checker) {
    const type = model.checker.getTypeAtLocation(node);
    if (!(type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))) {
      const parts = type.isUnion() ? type.types : [type];
      return parts.some((t) => (t.flags & (ts.TypeFlags.NumberLike | ts.TypeFlags.TypeParameter)) !== 0);
    }
  }
  if (ts.isNumericLiteral(node)) return true;
  if (ts.isPrefixUnaryExpression(node)) return node.operator !== ts.SyntaxKind.ExclamationToken;
  if (ts.isConditionalExpression(node)) return mayBeDescriptor(model, node.whenTrue, depth + 1) || mayBeDescriptor(model, node.whenFalse, depth + 1);
  if (ts.isBinaryExpression(node)) {
    const left = () => mayBeDescriptor(model, node.left, depth + 1);
    const right = () => mayBeDescriptor(model, node.right, depth + 1);
    switch (node.operatorToken.kind) {
      case ts.SyntaxKind.PlusToken: // `dir + "/a"` is a path, `fd + 0` a number
        return left() && right();
      case ts.SyntaxKind.BarBarToken:
      case ts.SyntaxKind.QuestionQuestionToken:
      case ts.SyntaxKind.AmpersandAmpersandToken:
        return left() || right();
      case ts.SyntaxKind.CommaToken:
      case ts.SyntaxKind.EqualsToken:
        return right();
      default: // `a - b`, `a | b`...
        return true;
    }
  }
  if (ts.isPropertyAccessExpression(node)) return /(^fd|Fd|descriptor|Descriptor)$/.test(node.name.text);
  if (ts.isCallExpression(node)) return model.qualifiedName(node.expression) === "fs.openSync";
  if (ts.isIdentifier(node)) {
    if (/(^fd|Fd|descriptor|Descriptor)$/.test(node.text)) return true;
    const declaration = model.localDeclaration(node);
    if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer && depth < 8) {
      return mayBeDescriptor(model, declaration.initializer, depth + 1);
    }
  }
  return false;
}

/**
 * Whether `stat`/`lstat` options keep their meaning in the promise form, which has no
 * `throwIfNoEntry: false` (it rejects where `statSync` returns `undefined`): only an options object
 * literal that does not turn it off, or none.
 */
function statOptionsKept(options: TS.Expression | undefined): boolean {
  if (!options) return true;
  const node = skipOuterExpressions(options);
  if (!ts.isObjectLiteralExpression(node)) return false;
  return node.properties.every((property) => {
    if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) return false;
    const name = property.name;
    if (!ts.isIdentifier(name) && !ts.isStringLiteral(name)) return false;
    if (name.text !== "throwIfNoEntry") return true;
    return ts.isPropertyAssignment(property) && property.initializer.kind === ts.SyntaxKind.TrueKeyword;
  });
}

/**
 * The fix of an `fs.*Sync` call directly in an async function: `await` its `fs.promises` form, in the
 * file's import style — `fs.readFileSync(p)` → `await fs.promises.readFile(p)` through the same module
 * object; a named `readFileSync` import → `await readFile(p)` with `readFile` imported from
 * `fs/promises` (added to an existing import of it, or a new `import`/`require` spelled like the `fs`
 * one). Parenthesised where precedence needs it: `(await readFile(p)).toString()`.
 */
function fsPromiseFix(model: TypeScriptModel, site: TsSite<TS.CallExpression>, qualified: string): Fix[] {
  const member = qualified.slice("fs.".length);
  if (!/^\w+Sync$/.test(member)) return [];
  const promiseName = member.slice(0, -"Sync".length);
  const safety = fsPromiseForms.get(promiseName);
  const call = site.node;
  if (!safety || !site.func || !canAwaitInTs(call, site.func)) return [];
  if (takesDescriptor.has(promiseName) && mayBeDescriptor(model, call.arguments[0])) return [];
  if ((promiseName === "stat" || promiseName === "lstat") && !statOptionsKept(call.arguments[1])) return [];
  const sourceFile = model.sourceFile;
  const callee = call.expression;
  let edits: TextEdit[];
  let shown: string;
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === member && model.qualifiedName(callee.expression) === "fs") {
    edits = [replaceTsNode(sourceFile, callee.name, `promises.${promiseName}`)];
    const object = callee.expression.getText(sourceFile);
    shown = object.length <= 30 && !object.includes("\n") ? `${object}.promises.${promiseName}` : `fs.promises.${promiseName}`;
  } else if (ts.isIdentifier(callee)) {
    const names = fileNames(sourceFile);
    const anchor = namedImportOf(model, callee, "fs", names);
    const target = anchor ? moduleMember(model, anchor, "fs/promises", ["fs/promises", "fs.promises"], promiseName, names) : null;
    if (!target) return [];
    edits = [replaceTsNode(sourceFile, callee, target.expression), ...target.edits];
    shown = target.expression;
  } else {
    return [];
  }
  return [{ title: `Replace with \`await ${shown}(...)\``, safety, edits: [...awaitEdits(sourceFile, call), ...edits] }];
}

/** `xhr.open(method, url, false)` on an `XMLHttpRequest`: a synchronous request. */
export function isSyncXhrOpen(model: TypeScriptModel, call: TS.CallExpression): boolean {
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
      "Python: `time.sleep(x)` directly in an `async def` has a safe fix: `await asyncio.sleep(x)` (`trio.sleep` / " +
      "`anyio.sleep` in trio or anyio modules), adding the import when it is missing — same duration, and other " +
      "tasks run meanwhile. The other blocking calls have an unsafe fix, \"Run in a thread\": `requests.get(url, timeout=5)` " +
      "becomes `await asyncio.to_thread(requests.get, url, timeout=5)` — the callee and arguments as written, evaluated " +
      "on the loop as before, only the call moved to a worker thread (`await trio.to_thread.run_sync(...)` / " +
      "`await anyio.to_thread.run_sync(...)` in trio or anyio modules, with keyword arguments passed through " +
      "`functools.partial`, since those take none). It is unsafe because the function now runs on another thread " +
      "(thread-local state, objects tied to a thread), cancelling the `await` does not stop it, and what it returns " +
      "(a file, a response body) may still block when used; `asyncio.to_thread` needs Python 3.9. The fixes are " +
      "offered only where `await` can be written without changing precedence (a statement, an assignment, a `return`, " +
      "an argument; not inside a comprehension, a lambda or a decorated generator coroutine, nor on an attribute of " +
      "the result), and not for `with open(...)` (the reads and writes of the body would still block, unreported: use " +
      "aiofiles or `anyio.open_file`), `sqlite3.connect` (the connection refuses use outside its thread) and " +
      "`Condition.wait` (the lock is held by the calling thread). " +
      "TypeScript and JavaScript: an `fs.*Sync` call directly in an async function has a safe fix when its " +
      "`fs.promises` form takes the same arguments and gives the same result — `readFile`, `writeFile`, `appendFile`, " +
      "`readdir`, `stat`, `lstat`, `statfs`, `mkdir`, `mkdtemp`, `rm`, `rmdir`, `unlink`, `rename`, `copyFile`, `cp`, " +
      "`access`, `readlink`, `chmod`, `chown`, `lchown`, `utimes`, `lutimes`, `link`, `symlink`, `truncate`, `opendir`: " +
      "`fs.readFileSync(p, enc)` becomes `await fs.promises.readFile(p, enc)` through the same module object (default, " +
      "namespace or `require` import), and a named import `readFileSync(p)` becomes `await readFile(p)` with `readFile` " +
      "added to an existing `fs/promises` import, or imported in a new `import`/`require` spelled like the `fs` one " +
      "(an alias when the name is taken). It is parenthesised where precedence needs it " +
      "(`(await readFile(p)).toString()`). There is no fix when the first argument may be a file descriptor (the " +
      "promise forms reject numbers), for `statSync`/`lstatSync` with options that may turn `throwIfNoEntry` off (the " +
      "promise form rejects instead of returning `undefined`), inside a nested non-async function, a parameter default " +
      "or a class field. `realpathSync` gets an unsafe fix: `fs.promises.realpath` resolves like `realpathSync.native`, " +
      "which can differ in letter case and on Windows drives. `existsSync` (no promise form), `openSync` (a number, not " +
      "a `FileHandle`), the descriptor functions (`readSync`, `fstatSync`...), `execSync`/`execFileSync`/`spawnSync`, " +
      "`crypto.*Sync`, `zlib.*Sync`, `Atomics.wait` and synchronous `XMLHttpRequest` have no fix: the async API differs " +
      "(callbacks, streams, events), so the rewrite needs a human.",
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
        const fixes = qualified!.startsWith("fs.") ? fsPromiseFix(model, site, qualified!) : [];
        report({
          node: call,
          message: `\`${blocking.name}()\` blocks the event loop${where}; ${blocking.alternative}`,
          fixes: fixes.length > 0 ? fixes : undefined,
        });
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
        fixes: pythonFixes(model, site, framework, found.name),
      });
    }
  },
};
