/** Whether a qualified name is one of the process-wide patch functions of gevent, eventlet or nest_asyncio. */
export function patchFunctionKind(qualifiedName: string): "gevent" | "eventlet" | "nest_asyncio" | null {
  if (/^gevent\.monkey\.patch_\w+$/.test(qualifiedName)) return "gevent";
  if (qualifiedName === "eventlet.monkey_patch" || qualifiedName === "eventlet.patcher.monkey_patch") return "eventlet";
  if (qualifiedName === "nest_asyncio.apply") return "nest_asyncio";
  return null;
}

/** Whether calling `qualifiedName` patches the standard library into cooperative (greenlet) versions. */
export function patchesStdlibIntoGreenlets(qualifiedName: string): boolean {
  const kind = patchFunctionKind(qualifiedName);
  return kind === "gevent" || kind === "eventlet";
}
