// `npm run bench`: corolint against Ruff's WASM build and a bare tree-sitter parse on this machine's
// Python standard library. Whole processes, run in alternating order several times in one go, so
// the machine's noise hits every contender alike; medians are compared, never absolute targets.
//
//   COROLINT_BENCH_RUNS=5  repetitions of each command (default 5)
//   COROLINT_BENCH_STDLIB  corpus folder (default: the stdlib of `python3`)
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pythonFiles, stdlibPath } from "./python-files.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);
const cli = path.join(repo, "dist", "cli.cjs");
const root = stdlibPath();
const runs = Number(process.env.COROLINT_BENCH_RUNS ?? 5);

const contenders = [
  { name: "corolint check", args: [cli, "check", root, "--format", "json", "--exit-zero"], findings: jsonFindings },
  { name: "corolint check --jobs 1", args: [cli, "check", root, "--format", "json", "--exit-zero", "--jobs", "1"], findings: jsonFindings },
  { name: "corolint check --no-prefilter", args: [cli, "check", root, "--format", "json", "--exit-zero", "--no-prefilter"], findings: jsonFindings },
  { name: "Ruff WASM (ASYNC, RUF006), --liftoff-only", args: ["--liftoff-only", path.join(here, "ruff-wasm-runner.mjs"), root], findings: (out) => Number(out.trim().split(" ")[1]) },
  { name: "bare tree-sitter parse, 1 thread", args: [path.join(here, "parse-runner.mjs"), root], findings: () => "" },
];

function jsonFindings(stdout) {
  const report = JSON.parse(stdout);
  return report.findings.filter((f) => f.rule !== "syntax-error").length;
}

function runOnce(contender) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, contender.args, { cwd: repo, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    throw new Error(`${contender.name} exited with ${result.status}:\n${result.stderr}`);
  }
  return { seconds, findings: contender.findings(result.stdout) };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

console.log(`corpus: ${root} (${pythonFiles(root).length} .py files, site-packages excluded)`);
console.log(`node ${process.version}, ${runs} alternating runs per command\n`);
const times = new Map(contenders.map((c) => [c.name, []]));
const findings = new Map();
for (let run = 0; run < runs; run += 1) {
  // Rotate the starting contender each round so no one always runs on a cold or hot machine.
  for (let i = 0; i < contenders.length; i += 1) {
    const contender = contenders[(i + run) % contenders.length];
    const { seconds, findings: count } = runOnce(contender);
    times.get(contender.name).push(seconds);
    findings.set(contender.name, count);
    process.stderr.write(`  run ${run + 1}/${runs} ${contender.name}: ${seconds.toFixed(2)} s\n`);
  }
}

const ruff = median(times.get(contenders[3].name));
console.log("| command | median s | min s | max s | vs Ruff WASM | findings |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const contender of contenders) {
  const values = times.get(contender.name);
  const m = median(values);
  console.log(
    `| ${contender.name} | ${m.toFixed(2)} | ${Math.min(...values).toFixed(2)} | ${Math.max(...values).toFixed(2)} | ${(m / ruff).toFixed(2)}x | ${findings.get(contender.name)} |`,
  );
}
