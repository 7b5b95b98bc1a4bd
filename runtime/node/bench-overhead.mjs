/**
 * What the Node tracer costs: runs the same program without the tracer and with it in each mode,
 * alternating (5 rounds by default), and prints the wall times and each mode's ratio of medians (and
 * of the fastest runs).
 *
 *   node runtime/node/bench-overhead.mjs [--mode light|steps|both] [--workload promise|await|io] [--runs N]
 *
 * Workloads: `promise` (async functions, Promise.all, timers, microtasks), `await` (2,000 async
 * functions × 100 `await null`: the worst case for steps mode, every await is a step), `io` (an HTTP
 * server and 2,000 keep-alive requests to it over loopback). Not part of the tests (timing thresholds
 * there would be flaky); run it by hand and compare.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const { values } = parseArgs({
  options: { mode: { type: "string", default: "light" }, workload: { type: "string", default: "promise" }, runs: { type: "string", default: "5" } },
});
const runs = Number(values.runs) || 5;
const modes = values.mode === "both" ? ["light", "steps"] : [values.mode];
const tracer = join(dirname(fileURLToPath(import.meta.url)), "corolint-trace.mjs");
const dir = mkdtempSync(join(tmpdir(), "corolint-bench-"));

const WORKLOADS = {
  // Promise chains, async functions, timers and microtasks; never blocks for more than a few ms.
  promise: `
async function leaf(i) { await null; return i & 7; }
async function middle(i) { let s = 0; for (let k = 0; k < 4; k++) s += await leaf(i + k); return s; }
async function batch(n) {
  const all = [];
  for (let i = 0; i < n; i++) all.push(middle(i).then((v) => v * 2));
  return (await Promise.all(all)).reduce((a, b) => a + b, 0);
}
let total = 0;
for (let round = 0; round < 60; round++) {
  total += await batch(5000);
  await new Promise((resolve) => setImmediate(resolve));
  if (round % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
}
if (total < 0) console.log(total);
`,
  await: `
async function task(i) { let s = 0; for (let k = 0; k < 100; k++) { await null; s += k + i; } return s; }
const sums = await Promise.all(Array.from({ length: 2000 }, (_, i) => task(i)));
if (sums.length !== 2000) console.log("wrong");
`,
  io: `
import { Agent, createServer, request } from "node:http";
const server = createServer((req, res) => res.end("ok " + req.url));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address();
const agent = new Agent({ keepAlive: true, maxSockets: 20 });
const get = (path) => new Promise((resolve, reject) => {
  request({ host: "127.0.0.1", port, path, agent }, (res) => {
    let body = "";
    res.on("data", (chunk) => (body += chunk));
    res.on("end", () => resolve(body));
  }).on("error", reject).end();
});
for (let batch = 0; batch < 40; batch++) await Promise.all(Array.from({ length: 50 }, (_, i) => get("/" + (batch * 50 + i))));
agent.destroy();
server.close();
`,
};

const program = WORKLOADS[values.workload];
if (!program || modes.some((mode) => mode !== "light" && mode !== "steps")) {
  console.error("usage: node bench-overhead.mjs [--mode light|steps|both] [--workload promise|await|io] [--runs N]");
  process.exit(2);
}
const app = join(dir, "app.mjs");
writeFileSync(app, program);

function run(mode) {
  const args = mode ? ["--import", tracer, app] : [app];
  const env = { ...process.env, COROLINT_TRACE_OUTPUT: join(dir, `${mode}.json`), COROLINT_TRACE_MODE: mode ?? "" };
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "inherit"] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`app exited with ${result.status ?? result.signal}`);
  return ms;
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const fmt = (list) => list.map((v) => v.toFixed(0)).join(", ");

try {
  run(null); // warm the file cache
  const times = new Map([[null, []], ...modes.map((mode) => [mode, []])]);
  for (let i = 0; i < runs; i++) for (const [mode, list] of times) list.push(run(mode));
  console.log(`node ${process.version}, workload ${values.workload}, ${runs} alternating rounds, wall ms`);
  // On a shared machine the fastest runs (least disturbed) say as much as the medians.
  const plain = median(times.get(null));
  const plainBest = Math.min(...times.get(null));
  for (const [mode, list] of times) {
    const ratio = mode ? `  ratio ${(median(list) / plain).toFixed(2)} (fastest runs: ${(Math.min(...list) / plainBest).toFixed(2)})` : "";
    console.log(`  ${(mode ?? "untraced").padEnd(8)} ${fmt(list)}  (median ${median(list).toFixed(0)})${ratio}`);
  }
  for (const mode of modes) {
    const corolint = JSON.parse(readFileSync(join(dir, `${mode}.json`), "utf8")).otherData.corolint;
    const extra = mode === "steps" ? `, ${corolint.steps} steps on ${corolint.lanes} lanes, ${corolint.sampledOut} sampled out` : "";
    console.log(`  last ${mode} run: ${corolint.blocked} blocked span(s) over ${corolint.thresholdMs} ms${extra}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
