/**
 * What the light tracer costs a promise-heavy program: runs the same program with and without
 * `--import corolint-trace.mjs`, alternating (5 runs each by default), and prints the wall times and
 * the ratio of the medians.
 *
 *   node runtime/node/bench-overhead.mjs [runs]
 *
 * Not part of the tests (timing thresholds there would be flaky); run it by hand and compare.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const runs = Number(process.argv[2]) || 5;
const tracer = join(dirname(fileURLToPath(import.meta.url)), "corolint-trace.mjs");
const dir = mkdtempSync(join(tmpdir(), "corolint-bench-"));

// Promise chains, async functions, timers and microtasks; never blocks for more than a few ms.
const program = `
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
`;
const app = join(dir, "app.mjs");
writeFileSync(app, program);

function run(withTracer) {
  const args = withTracer ? ["--import", tracer, app] : [app];
  const env = { ...process.env, COROLINT_TRACE_OUTPUT: join(dir, "trace.json") };
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "inherit"] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`app exited with ${result.status ?? result.signal}`);
  return ms;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  run(false); // warm the file cache
  const plain = [];
  const traced = [];
  for (let i = 0; i < runs; i++) {
    plain.push(run(false));
    traced.push(run(true));
  }
  const fmt = (values) => values.map((v) => v.toFixed(0)).join(", ");
  console.log(`node ${process.version}, ${runs} alternating runs, wall ms`);
  console.log(`  without tracer: ${fmt(plain)}  (median ${median(plain).toFixed(0)})`);
  console.log(`  with tracer:    ${fmt(traced)}  (median ${median(traced).toFixed(0)})`);
  console.log(`  ratio (median traced / median plain): ${(median(traced) / median(plain)).toFixed(2)}`);
  const corolint = JSON.parse(readFileSync(join(dir, "trace.json"), "utf8")).otherData.corolint;
  console.log(`  last traced run: ${corolint.blocked} blocked span(s) over ${corolint.thresholdMs} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
