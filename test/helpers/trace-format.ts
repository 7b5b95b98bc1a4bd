/**
 * The structural rules every trace corolint's tracers write must follow (runtime/README.md, "The
 * trace format"): Chrome's Trace Event Format in object form, so that Perfetto, chrome://tracing and
 * `corolint view` all read it. `traceProblems` lists every rule a document breaks (an empty list is
 * a valid trace); the tests of each tracer run it on the traces they produce.
 */

type Json = Record<string, unknown>;

const PHASES = new Set(["M", "X", "s", "f"]);
const METADATA = new Set(["process_name", "thread_name", "thread_sort_index"]);
const SPAN_CATEGORIES = new Set(["corolint.blocked", "corolint.step"]);
const MODES = new Set(["light", "steps"]);

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

/** Checks `otherData.corolint`, the run's metadata. */
function metadataProblems(corolint: unknown, problems: string[]): void {
  if (!isObject(corolint)) {
    problems.push("otherData.corolint is missing");
    return;
  }
  if (!Number.isInteger(corolint["formatVersion"])) problems.push("otherData.corolint.formatVersion is not an integer");
  if (typeof corolint["runtime"] !== "string") problems.push("otherData.corolint.runtime is not a string");
  if (!MODES.has(corolint["mode"] as string)) problems.push(`otherData.corolint.mode is ${JSON.stringify(corolint["mode"])}, not light or steps`);
  if (!(typeof corolint["thresholdMs"] === "number" && corolint["thresholdMs"] > 0)) problems.push("otherData.corolint.thresholdMs is not a positive number");
  for (const field of ["blocked", "dropped"]) {
    if (!isCount(corolint[field])) problems.push(`otherData.corolint.${field} is not a count`);
  }
  const blockers = corolint["topBlockers"];
  if (!Array.isArray(blockers)) {
    problems.push("otherData.corolint.topBlockers is not an array");
    return;
  }
  blockers.forEach((row: unknown, index) => {
    const where = `otherData.corolint.topBlockers[${index}]`;
    if (!isObject(row)) return void problems.push(`${where} is not an object`);
    if (!(row["file"] === null || typeof row["file"] === "string")) problems.push(`${where}.file is not a string or null`);
    if (!(row["line"] === null || Number.isInteger(row["line"]))) problems.push(`${where}.line is not an integer or null`);
    if (typeof row["function"] !== "string") problems.push(`${where}.function is not a string`);
    if (!isTime(row["totalMs"])) problems.push(`${where}.totalMs is not a duration`);
    if (!(Number.isInteger(row["count"]) && (row["count"] as number) >= 1)) problems.push(`${where}.count is not a positive integer`);
  });
}

/** Checks a blocked span's `args`: where it blocked and the sampled stack. */
function blockedArgsProblems(args: unknown, where: string, problems: string[]): void {
  if (!isObject(args)) return void problems.push(`${where}: a blocked span without args`);
  const file = args["file"];
  if (!(file === null || (typeof file === "string" && file.length > 0))) problems.push(`${where}: args.file is not a file name or null`);
  if (typeof file === "string" && !(Number.isInteger(args["line"]) && (args["line"] as number) >= 1)) problems.push(`${where}: args.file without a line number`);
  if (typeof args["function"] !== "string") problems.push(`${where}: args.function is not a string`);
  const stack = args["stack"];
  if (!Array.isArray(stack) || !stack.every((frame) => typeof frame === "string")) problems.push(`${where}: args.stack is not a list of strings`);
}

/** Every rule `document` breaks; empty when it is a valid corolint trace. */
export function traceProblems(document: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(document)) return ["not a JSON object (the object form of the Trace Event Format)"];
  const events = document["traceEvents"];
  if (!Array.isArray(events)) return ["traceEvents is not an array"];
  metadataProblems(isObject(document["otherData"]) ? document["otherData"]["corolint"] : undefined, problems);

  const named = new Set<string>(); // "pid:tid" with a thread_name
  const sorted = new Set<string>(); // "pid:tid" with a thread_sort_index
  const processes = new Set<number>(); // pids with a process_name
  const used = new Map<string, string>(); // "pid:tid" of a span or flow -> where it was first seen
  const starts = new Map<string, { ts: number; where: string }>();
  const finishes = new Map<string, { ts: number; where: string }>();
  let blockedSpans = 0;

  events.forEach((event: unknown, index) => {
    const where = `traceEvents[${index}]`;
    if (!isObject(event)) return void problems.push(`${where} is not an object`);
    const phase = event["ph"] as string;
    if (!PHASES.has(phase)) return void problems.push(`${where}: phase ${JSON.stringify(phase)} is not one of M, X, s, f`);
    if (!Number.isInteger(event["pid"])) problems.push(`${where}: pid is not an integer`);
    if (!Number.isInteger(event["tid"])) problems.push(`${where}: tid is not an integer`);
    if (typeof event["name"] !== "string") problems.push(`${where}: name is not a string`);
    const lane = `${String(event["pid"])}:${String(event["tid"])}`;
    const args = event["args"];

    if (phase === "M") {
      const name = event["name"] as string;
      if (!METADATA.has(name)) return void problems.push(`${where}: metadata ${JSON.stringify(name)} is not process_name, thread_name or thread_sort_index`);
      if (name === "process_name") {
        if (!isObject(args) || typeof args["name"] !== "string") problems.push(`${where}: process_name without args.name`);
        processes.add(event["pid"] as number);
      } else if (name === "thread_name") {
        if (!isObject(args) || typeof args["name"] !== "string") problems.push(`${where}: thread_name without args.name`);
        if (named.has(lane)) problems.push(`${where}: a second thread_name for lane ${lane}`);
        named.add(lane);
      } else {
        if (!isObject(args) || !Number.isInteger(args["sort_index"])) problems.push(`${where}: thread_sort_index without an integer args.sort_index`);
        sorted.add(lane);
      }
      return;
    }

    if (!isTime(event["ts"])) problems.push(`${where}: ts is not a time of 0 or more`);
    if (!used.has(lane)) used.set(lane, where);
    if (phase === "X") {
      if (!isTime(event["dur"])) problems.push(`${where}: dur is not a duration of 0 or more`);
      const category = event["cat"] as string;
      if (!SPAN_CATEGORIES.has(category)) problems.push(`${where}: span category ${JSON.stringify(category)} is not corolint.blocked or corolint.step`);
      if (category === "corolint.blocked") {
        blockedSpans += 1;
        blockedArgsProblems(args, where, problems);
      }
      return;
    }

    // A flow: `s` where a task was created, `f` (binding to the enclosing slice) where it first ran.
    if (event["cat"] !== "corolint.spawn") problems.push(`${where}: flow category ${JSON.stringify(event["cat"])} is not corolint.spawn`);
    if (event["id"] === undefined) return void problems.push(`${where}: a flow without an id`);
    const key = `${String(event["pid"])}/${String(event["cat"])}/${JSON.stringify(event["id"])}`;
    const ends = phase === "s" ? starts : finishes;
    if (ends.has(key)) problems.push(`${where}: a second "${phase}" for flow ${key}`);
    ends.set(key, { ts: event["ts"] as number, where });
    if (phase === "f" && event["bp"] !== "e") problems.push(`${where}: a flow end without bp "e"`);
  });

  for (const [lane, where] of used) {
    if (!named.has(lane)) problems.push(`${where}: lane ${lane} has no thread_name`);
    if (!sorted.has(lane)) problems.push(`${where}: lane ${lane} has no thread_sort_index`);
  }
  for (const pid of new Set([...used.keys()].map((lane) => Number(lane.split(":")[0])))) {
    if (!processes.has(pid)) problems.push(`process ${pid} has no process_name`);
  }
  for (const [key, start] of starts) {
    const finish = finishes.get(key);
    if (finish === undefined) problems.push(`${start.where}: flow ${key} starts but never ends`);
    else if (finish.ts < start.ts) problems.push(`${finish.where}: flow ${key} ends before it starts`);
  }
  for (const [key, finish] of finishes) {
    if (!starts.has(key)) problems.push(`${finish.where}: flow ${key} ends but never starts`);
  }
  const corolint = isObject(document["otherData"]) ? document["otherData"]["corolint"] : undefined;
  if (isObject(corolint) && isCount(corolint["blocked"]) && corolint["blocked"] < blockedSpans) {
    problems.push(`otherData.corolint.blocked is ${corolint["blocked"]} but the trace holds ${blockedSpans} blocked spans`);
  }
  return problems;
}
