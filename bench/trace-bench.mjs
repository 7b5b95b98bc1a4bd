// `npm run bench:trace`: what the tracers cost. Runs each workload of bench/trace-workloads untraced
// and under each tracer mode, alternating (untraced, light, steps, untraced, ...) so that the noise of
// a shared machine falls on all of them alike, and prints the median wall time of each and the
// traced/untraced ratio. Every traced run must exit 0 and leave a trace, or the benchmark fails.
//
// Workloads (issue #6): (a) 2,000 tasks x 100 `await asyncio.sleep(0)` — and the same for gevent and
// trio — the worst case, where every step is nearly empty; (b) a loopback echo server under load
// (asyncio, gevent, trio, Node); (c) a promise-heavy Node program.
// Targets, reported and never enforced: light <= 1.05x; steps <= 1.5x on I/O-bound programs and
// <= 3x in the worst case.
//
//   COROLINT_BENCH_RUNS=5          runs of each variant (the median is reported)
//   COROLINT_BENCH_ONLY=asyncio    only the workloads whose name contains this text
//   COROLINT_BENCH_JSON=file.json  also write the results as JSON
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);
const workloads = path.join(here, "trace-workloads");
const runtimePython = path.join(repo, "runtime", "python");
const nodePreload = pathToFileURL(path.join(repo, "runtime", "node", "corolint-trace.mjs")).href;
const runs = Number(process.env.COROLINT_BENCH_RUNS ?? 5);
const only = process.env.COROLINT_BENCH_ONLY ?? "";
const scratch = mkdtempSync(path.join(tmpdir(), "corolint-trace-bench-"));

function works(command, check) {
  return spawnSync(command, ["-c", check], { encoding: "utf8" }).status === 0;
}

/** The newest pyenv interpreter of a version prefix, or null. */
function pyenv(prefix) {
  const root = spawnSync("pyenv", ["root"], { encoding: "utf8" });
  if (root.status !== 0) return null;
  const versions = path.join(root.stdout.trim(), "versions");
  if (!existsSync(versions)) return null;
  const match = readdirSync(versions)
    .filter((name) => name.startsWith(prefix + "."))
    .sort()
    .pop();
  const command = match ? path.join(versions, match, "bin", "python3") : null;
  return command && existsSync(command) ? command : null;
}

function pythonVersion(command) {
  return spawnSync(command, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8" }).stdout.trim();
}

/** The variants of one workload: the untraced run first, then the tracer's modes. */
function pythonVariants(python, script, extraModes = []) {
  const traced = (mode, env = {}) => ({
    label: mode,
    command: python,
    args: ["-m", "corolint_trace", "--mode", mode.split(" ")[0], "-o", path.join(scratch, "trace.json"), script],
    env: { PYTHONPATH: runtimePython, ...env },
    trace: path.join(scratch, "trace.json"),
  });
  return [
    { label: "untraced", command: python, args: [script], env: {} },
    traced("light"),
    traced("steps"),
    ...extraModes.map(([label, env]) => traced(label, env)),
  ];
}

function nodeVariants(script) {
  const traced = (mode) => ({
    label: mode,
    command: process.execPath,
    args: [script],
    env: {
      NODE_OPTIONS: `--import=${nodePreload}`,
      COROLINT_TRACE_OUTPUT: path.join(scratch, "trace.json"),
      COROLINT_TRACE_MODE: mode,
    },
    trace: path.join(scratch, "trace.json"),
  });
  return [{ label: "untraced", command: process.execPath, args: [script], env: {} }, traced("light"), traced("steps")];
}

function workloadList() {
  const list = [];
  const script = (name) => path.join(workloads, name);
  const asyncioPythons = [
    ["python3", "python3"],
    ["pyenv 3.12", pyenv("3.12")],
    ["pyenv 3.13", pyenv("3.13")],
  ].filter(([, command]) => command !== null && works(command, "import asyncio"));
  for (const [label, python] of asyncioPythons) {
    const version = pythonVersion(python);
    // On 3.12+ steps mode times steps with sys.monitoring; the coroutine wrapper is measured beside it.
    const wrapper = Number(version.split(".")[1]) >= 12 ? [["steps (wrapper)", { COROLINT_TRACE_STEPS_HOOK: "wrapper" }]] : [];
    list.push({ name: `asyncio sleep(0) x 2,000 tasks x 100 — ${label} ${version}`, kind: "worst case", variants: pythonVariants(python, script("asyncio_sleep0.py"), wrapper) });
    if (label === "python3") {
      list.push({ name: `asyncio echo server, 50 clients x 400 — ${label} ${version}`, kind: "I/O", variants: pythonVariants(python, script("asyncio_echo.py")) });
    }
  }
  const debian = "/usr/bin/python3";
  if (existsSync(debian) && works(debian, "import gevent")) {
    const version = pythonVersion(debian);
    list.push({ name: `gevent sleep(0) x 2,000 greenlets x 100 — ${version}`, kind: "worst case", variants: pythonVariants(debian, script("gevent_sleep0.py")) });
    list.push({ name: `gevent echo server, 50 clients x 400 — ${version}`, kind: "I/O", variants: pythonVariants(debian, script("gevent_echo.py")) });
  } else {
    console.log("(gevent skipped: /usr/bin/python3 cannot import gevent — apt-get install python3-gevent)");
  }
  if (existsSync(debian) && works(debian, "import trio")) {
    const version = pythonVersion(debian);
    list.push({ name: `trio sleep(0) x 2,000 tasks x 100 — ${version}`, kind: "worst case", variants: pythonVariants(debian, script("trio_sleep0.py")) });
    list.push({ name: `trio echo server, 50 clients x 400 — ${version}`, kind: "I/O", variants: pythonVariants(debian, script("trio_echo.py")) });
  } else {
    console.log("(trio skipped: /usr/bin/python3 cannot import trio — apt-get install python3-trio)");
  }
  list.push({ name: `Node promises, 2,000 async functions x 1,000 awaits — node ${process.versions.node}`, kind: "worst case", variants: nodeVariants(script("node_promises.mjs")) });
  list.push({ name: `Node echo server, 50 clients x 400 — node ${process.versions.node}`, kind: "I/O", variants: nodeVariants(script("node_echo.mjs")) });
  return list.filter((workload) => workload.name.toLowerCase().includes(only.toLowerCase()));
}

/** Runs one variant once; returns its wall time in seconds (and checks its trace). */
function runOnce(variant) {
  if (variant.trace) rmSync(variant.trace, { force: true });
  const start = process.hrtime.bigint();
  const result = spawnSync(variant.command, variant.args, {
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", ...variant.env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    throw new Error(`${variant.label}: ${variant.command} ${variant.args.join(" ")} exited ${result.status ?? result.signal}\n${result.stderr}`);
  }
  if (variant.trace) {
    const trace = JSON.parse(readFileSync(variant.trace, "utf8"));
    if (trace.otherData?.corolint?.mode !== variant.label.split(" ")[0]) {
      throw new Error(`${variant.label}: the trace says mode ${trace.otherData?.corolint?.mode}`);
    }
  }
  return seconds;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const results = [];
try {
  for (const workload of workloadList()) {
    const times = new Map(workload.variants.map((variant) => [variant.label, []]));
    for (let round = 0; round < runs; round++) {
      for (const variant of workload.variants) times.get(variant.label).push(runOnce(variant));
    }
    const base = median(times.get("untraced"));
    const row = { workload: workload.name, kind: workload.kind, medians: {}, ratios: {} };
    for (const [label, values] of times) {
      row.medians[label] = median(values);
      row.ratios[label] = median(values) / base;
    }
    results.push(row);
    const cells = [...times.keys()].map((label) => `${label} ${row.medians[label].toFixed(2)} s${label === "untraced" ? "" : ` (${row.ratios[label].toFixed(2)}x)`}`);
    console.log(`${workload.name} [${workload.kind}]: ${cells.join(", ")}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(`\nMedian of ${runs} alternating runs each; ratio = traced / untraced wall time (process start to exit).\n`);
console.log("| workload | kind | untraced | light | steps | other |");
console.log("|---|---|---:|---:|---:|---|");
for (const row of results) {
  const other = Object.keys(row.ratios)
    .filter((label) => !["untraced", "light", "steps"].includes(label))
    .map((label) => `${label} ${row.ratios[label].toFixed(2)}x`)
    .join(", ");
  console.log(`| ${row.workload} | ${row.kind} | ${row.medians.untraced.toFixed(2)} s | ${row.ratios.light.toFixed(2)}x | ${row.ratios.steps.toFixed(2)}x | ${other} |`);
}
if (process.env.COROLINT_BENCH_JSON) writeFileSync(process.env.COROLINT_BENCH_JSON, JSON.stringify({ runs, results }, null, 2));
