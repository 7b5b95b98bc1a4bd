/**
 * What corolint knows of Node's built-in modules and globals: which calls block the event loop and
 * what to use instead, which modules and globals are process-wide (patching them changes everyone's).
 */

/** Node's built-in modules (as `require("module").builtinModules` lists them in Node 20, minus internals). */
export const nodeBuiltinModules = new Set([
  "assert", "assert/strict", "async_hooks", "buffer", "child_process", "cluster", "console", "constants", "crypto",
  "dgram", "diagnostics_channel", "dns", "dns/promises", "domain", "events", "fs", "fs/promises", "http", "http2",
  "https", "inspector", "inspector/promises", "module", "net", "os", "path", "path/posix", "path/win32", "perf_hooks",
  "process", "punycode", "querystring", "readline", "readline/promises", "repl", "stream", "stream/consumers",
  "stream/promises", "stream/web", "string_decoder", "sys", "timers", "timers/promises", "tls", "trace_events", "tty",
  "url", "util", "util/types", "v8", "vm", "wasi", "worker_threads", "zlib",
]);

/** A blocking Node call and the non-blocking way to do the same. */
export interface BlockingNodeCall {
  name: string;
  alternative: string;
}

const childProcessAlternatives: Record<string, string> = {
  execSync: "use `util.promisify(child_process.exec)` (or `exec` with a callback)",
  execFileSync: "use `util.promisify(child_process.execFile)`",
  spawnSync: "use `child_process.spawn` and wait for its `close` event",
};

/**
 * Whether a qualified call name blocks the thread: `fs.*Sync`, `child_process.execSync/execFileSync/
 * spawnSync`, `crypto.*Sync`, `zlib.*Sync`, `Atomics.wait`. Null when it does not.
 */
export function blockingNodeCall(qualified: string): BlockingNodeCall | null {
  const dot = qualified.indexOf(".");
  if (dot === -1) return null;
  const module = qualified.slice(0, dot);
  const member = qualified.slice(dot + 1);
  if (module === "fs" && /^\w+Sync$/.test(member)) {
    const async = member.slice(0, -"Sync".length);
    const alternative = async === "exists" ? "`fs.promises.access(path)` (it rejects when the path is missing)" : `\`fs.promises.${async}\``;
    return { name: qualified, alternative: `use ${alternative} (\`node:fs/promises\`) and await it` };
  }
  if (module === "child_process" && member in childProcessAlternatives) {
    return { name: qualified, alternative: childProcessAlternatives[member] };
  }
  if (module === "crypto" && /^\w+Sync$/.test(member)) {
    const async = member.slice(0, -"Sync".length);
    return { name: qualified, alternative: `use the callback form \`crypto.${async}\` (wrapped with \`util.promisify\`) and await it` };
  }
  if (module === "zlib" && /^\w+Sync$/.test(member)) {
    const async = member.slice(0, -"Sync".length);
    return { name: qualified, alternative: `use \`util.promisify(zlib.${async})\` or a stream, and await it` };
  }
  if (qualified === "Atomics.wait") {
    return { name: qualified, alternative: "use `Atomics.waitAsync` and await its `value`" };
  }
  return null;
}

/** Constructors whose prototypes every library shares. */
export const builtinConstructors = new Set([
  "Object", "Function", "Array", "String", "Number", "Boolean", "Symbol", "BigInt", "Promise", "Map", "Set", "WeakMap",
  "WeakSet", "WeakRef", "Date", "RegExp", "Error", "TypeError", "RangeError", "ArrayBuffer", "SharedArrayBuffer",
  "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
  "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "events.EventEmitter", "events", "buffer.Buffer",
  "Buffer",
]);

/** Globals whose replacement changes how every library schedules work or talks to the network. */
export const builtinGlobals = new Set([
  "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "clearImmediate", "queueMicrotask",
  "fetch", "Promise", "Request", "Response", "Headers", "XMLHttpRequest", "WebSocket", "AbortController",
  "structuredClone", "console", "process", "Buffer", "performance", "crypto", "URL", "TextEncoder", "TextDecoder",
]);

/** The objects through which code reaches globals. */
export const globalObjects = new Set(["globalThis", "global", "window", "self"]);

/** Test files (patching there is what test doubles do): `*.test.*`, `*.spec.*`, `__tests__/`, `test/`, `tests/`. */
export function isTypeScriptTestPath(path: string): boolean {
  const parts = path.split("/");
  const file = parts[parts.length - 1];
  if (/\.(test|spec)\.[cm]?[jt]sx?$/.test(file)) return true;
  return parts.slice(0, -1).some((dir) => dir === "__tests__" || dir === "test" || dir === "tests");
}
