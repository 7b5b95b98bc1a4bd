// `npm run bench`: two sections, each timing whole processes run in alternating order several times
// in one go, so the machine's noise hits every contender alike; medians are compared, never
// absolute targets.
//
// - Python: corolint against Ruff's WASM build and a bare tree-sitter parse on this machine's Python
//   standard library.
// - TypeScript/JavaScript: corolint against ESLint (n/no-sync and the type-aware
//   @typescript-eslint/no-floating-promises) on the @azure/msal-node sources
//   (bench/typescript-corpus.mjs), with the same tsconfig for both, plus a comparison of findings.
//
//   COROLINT_BENCH_RUNS=5           repetitions of each command (default 5)
//   COROLINT_BENCH_STDLIB           Python corpus folder (default: the stdlib of `python3`)
// - blocking-call-transitive: `corolint check` on the standard library with the rule and without it
//   (`--ignore blocking-call-transitive`, which also skips the summary pass), and the rule's share of
//   the run: (with - without) / with, on medians of wall time and of CPU time (user + system, from
//   GNU time when installed: steadier than wall time on a shared machine). Target: under 30%.
//
//   COROLINT_BENCH_SECTIONS=python,typescript,transitive   the sections to run (default python,typescript)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pythonFiles, stdlibPath } from "./python-files.mjs";
import { typescriptCorpus } from "./typescript-corpus.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);
const cli = path.join(repo, "dist", "cli.cjs");
const runs = Number(process.env.COROLINT_BENCH_RUNS ?? 5);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// --- Python ------------------------------------------------------------------------------------

function pythonSection() {
  const root = stdlibPath();
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
}

// --- blocking-call-transitive ------------------------------------------------------------------

function transitiveSection() {
  const root = stdlibPath();
  const base = [cli, "check", root, "--format", "json", "--exit-zero"];
  const contenders = [
    { name: "corolint check", args: base },
    { name: "corolint check --ignore blocking-call-transitive", args: [...base, "--ignore", "blocking-call-transitive"] },
  ];
  const [command, prefix] = gnuTime ? [gnuTime, ["-f", "%U %S"]] : [process.execPath, []];
  const runOnce = (contender) => {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, [...prefix, ...(gnuTime ? [process.execPath] : []), ...contender.args], {
      cwd: repo,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (result.status !== 0) throw new Error(`${contender.name} exited with ${result.status}:\n${result.stderr}`);
    const last = result.stderr.trimEnd().split("\n").at(-1) ?? "";
    const cpu = gnuTime && /^[\d.]+ [\d.]+$/.test(last) ? last.split(" ").reduce((sum, part) => sum + Number(part), 0) : null;
    const findings = JSON.parse(result.stdout).findings.filter((f) => f.rule === "blocking-call-transitive").length;
    return { seconds, cpu, findings };
  };

  console.log(`\ncorpus: ${root} (${pythonFiles(root).length} .py files), blocking-call-transitive on and off`);
  console.log(`node ${process.version}, ${runs} alternating runs per command, default worker threads\n`);
  const wall = new Map(contenders.map((c) => [c.name, []]));
  const cpu = new Map(contenders.map((c) => [c.name, []]));
  const findings = new Map();
  for (let run = 0; run < runs; run += 1) {
    for (let i = 0; i < contenders.length; i += 1) {
      const contender = contenders[(i + run) % contenders.length];
      const result = runOnce(contender);
      wall.get(contender.name).push(result.seconds);
      if (result.cpu !== null) cpu.get(contender.name).push(result.cpu);
      findings.set(contender.name, result.findings);
      process.stderr.write(`  run ${run + 1}/${runs} ${contender.name}: ${result.seconds.toFixed(2)} s\n`);
    }
  }
  const cell = (values) => (values.length > 0 ? median(values).toFixed(2) : "n/a");
  console.log("| command | median wall s | min wall s | median CPU s | blocking-call-transitive findings |");
  console.log("|---|---:|---:|---:|---:|");
  for (const contender of contenders) {
    const values = wall.get(contender.name);
    console.log(`| ${contender.name} | ${cell(values)} | ${Math.min(...values).toFixed(2)} | ${cell(cpu.get(contender.name))} | ${findings.get(contender.name)} |`);
  }
  const share = (values) => {
    const [withRule, withoutRule] = contenders.map((c) => median(values.get(c.name)));
    return `${(((withRule - withoutRule) / withRule) * 100).toFixed(0)}%`;
  };
  console.log(`\nThe rule's share of the run (target: under 30%): wall ${share(wall)}${gnuTime ? `, CPU ${share(cpu)}` : ""}`);
}

// --- TypeScript/JavaScript -----------------------------------------------------------------------

// The ESLint contender runs in a process of its own each time (`node bench/bench.mjs --eslint-child
// TSCONFIG`): typescript-eslint caches its program per process, so a second run in one process
// would time a warm cache. It prints `{seconds, findings}` (seconds: inside runEslint, without
// loading ESLint's modules; the table uses the whole process's wall time, as for corolint).
async function eslintChild(project) {
  const { runEslint } = await import("./eslint-runner.mjs");
  const { files } = typescriptCorpus();
  const result = await runEslint(files, { tsconfigRootDir: path.dirname(project), project });
  process.stdout.write(JSON.stringify(result));
}

// Peak memory comes from GNU time (`%M`: the largest resident set, in KB) when it is installed.
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

/** Runs `node ...args` in `cwd`: wall seconds, peak RSS in MB (or null), stdout, stderr lines. Throws on failure. */
function runNode(name, args, cwd) {
  const [command, commandArgs] = gnuTime ? [gnuTime, ["-f", "%M", process.execPath, ...args]] : [process.execPath, args];
  const start = process.hrtime.bigint();
  const result = spawnSync(command, commandArgs, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    throw new Error(`${name} exited with ${result.status}:\n${result.stderr}`);
  }
  let rssMb = null;
  const stderr = result.stderr.trimEnd().split("\n").filter((line) => line !== "");
  if (gnuTime) {
    // GNU time writes its line last on stderr, after whatever the command wrote there.
    const last = stderr.at(-1) ?? "";
    if (/^\d+$/.test(last)) {
      rssMb = Number(last) / 1024;
      stderr.pop();
    }
  }
  return { seconds, rssMb, stdout: result.stdout, stderr };
}

/** `{file, line, rule, message}` with `file` relative to `base`, `/`-separated. */
const relativeTo = (base, file) => path.relative(base, file).split(path.sep).join("/");

function countByRule(findings) {
  const counts = new Map();
  for (const finding of findings) counts.set(finding.rule, (counts.get(finding.rule) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([rule, count]) => `${rule} ${count}`).join(", ") || "none";
}

function typescriptSection() {
  const corpus = typescriptCorpus();
  // How corolint gets the corpus tsconfig. corolint reads the nearest tsconfig.json/jsconfig.json
  // at or above each file; left alone, the corpus files (in this repository's node_modules) would
  // get the repository's own tsconfig.json, with other options (no DOM lib...) than ESLint's. So:
  // a temp folder holds the corpus tsconfig.json and a symlink `node_modules` -> this repository's
  // node_modules, and corolint is given the corpus files through that symlink
  // (<temp>/node_modules/@azure/msal-node/src/...). Walking up from there it meets the temp
  // tsconfig.json first, and the files' imports resolve as they do in place: "./x.js" next to
  // them, "@azure/msal-common/node" in msal-node's own nested node_modules, "jsonwebtoken" and
  // @types in the top one. Rejected: copying the sources next to a tsconfig (their package imports
  // would need the node_modules tree beside the copy anyway), and writing a tsconfig.json into
  // node_modules/@azure/msal-node (changes installed packages, and stays behind if the bench is
  // killed). corolint uses only the tsconfig's compilerOptions (not its `files`), which are
  // exactly ESLint's; ESLint lints the real paths, which its `files` list.
  const tempDir = mkdtempSync(path.join(os.tmpdir(), "corolint-bench-ts-"));
  try {
    const tsconfig = path.join(tempDir, "tsconfig.json");
    writeFileSync(tsconfig, JSON.stringify(corpus.tsconfig, null, 2));
    symlinkSync(path.join(repo, "node_modules"), path.join(tempDir, "node_modules"), "dir");
    const linkedFiles = corpus.files.map((file) => path.join(tempDir, path.relative(repo, file)));
    // Findings are keyed by the path below the repository (node_modules/@azure/...), which the
    // symlinked path below the temp folder is too.
    const corolintFindings = (stdout) =>
      JSON.parse(stdout).findings.map((f) => ({ file: relativeTo(tempDir, path.resolve(tempDir, f.file)), line: f.line, rule: f.rule, message: f.message }));
    const corolintArgs = [cli, "check", ...linkedFiles, "--format", "json", "--exit-zero"];
    const syntaxRules = "blocking-call,monkey-patch,non-yielding-loop";
    const contenders = [
      { name: "corolint check (all rules, type-aware)", args: corolintArgs, findings: corolintFindings },
      { name: `corolint check --select ${syntaxRules} (no type checker)`, args: [...corolintArgs, "--select", syntaxRules], findings: corolintFindings },
      {
        name: "ESLint: n/no-sync + type-aware no-floating-promises",
        args: [fileURLToPath(import.meta.url), "--eslint-child", tsconfig],
        findings: (stdout) => JSON.parse(stdout).findings.map((f) => ({ file: relativeTo(repo, f.file), line: f.line, rule: f.rule, message: f.message })),
      },
    ];
    const eslint = contenders[2];

    console.log(`\ncorpus: ${corpus.root} and its nested @azure/msal-common (${corpus.files.length} .ts files)`);
    console.log(`node ${process.version}, ${runs} alternating runs per command, corolint with its default worker threads\n`);
    const times = new Map(contenders.map((c) => [c.name, []]));
    const rss = new Map(contenders.map((c) => [c.name, []]));
    const findings = new Map();
    // What the commands said on stderr, such as corolint's note that a project went over its type-check
    // budget (its type-aware rule then falls back to syntax, which changes both time and findings).
    const notes = new Set();
    for (let run = 0; run < runs; run += 1) {
      for (let i = 0; i < contenders.length; i += 1) {
        const contender = contenders[(i + run) % contenders.length];
        const { seconds, rssMb, stdout, stderr } = runNode(contender.name, contender.args, tempDir);
        for (const line of stderr) notes.add(`${contender.name}: ${line}`);
        times.get(contender.name).push(seconds);
        if (rssMb !== null) rss.get(contender.name).push(rssMb);
        const found = contender.findings(stdout);
        const previous = findings.get(contender.name);
        if (previous && JSON.stringify(previous) !== JSON.stringify(found)) {
          throw new Error(`${contender.name}: findings differ between runs`);
        }
        findings.set(contender.name, found);
        process.stderr.write(`  run ${run + 1}/${runs} ${contender.name}: ${seconds.toFixed(2)} s\n`);
      }
    }

    const eslintMedian = median(times.get(eslint.name));
    console.log("| command | median s | min s | max s | vs ESLint | peak RSS MB (median) | findings |");
    console.log("|---|---:|---:|---:|---:|---:|---|");
    for (const contender of contenders) {
      const values = times.get(contender.name);
      const m = median(values);
      const memory = rss.get(contender.name).length > 0 ? median(rss.get(contender.name)).toFixed(0) : "n/a";
      console.log(
        `| ${contender.name} | ${m.toFixed(2)} | ${Math.min(...values).toFixed(2)} | ${Math.max(...values).toFixed(2)} | ${(m / eslintMedian).toFixed(2)}x | ${memory} | ${countByRule(findings.get(contender.name))} |`,
      );
    }

    if (notes.size > 0) console.log(`\nOn stderr:\n${[...notes].map((note) => `- ${note}`).join("\n")}`);

    compareFindings(findings.get(contenders[0].name), findings.get(eslint.name));
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
}

/**
 * Which findings the two tools share. blocking-call should be n/no-sync restricted to async code
 * (n/no-sync reports every *Sync call; corolint only those that stall an event loop), plus what
 * n/no-sync cannot see by name (aliased imports, sync XHR, Atomics.wait). unawaited-coroutine
 * should equal no-floating-promises.
 */
function compareFindings(corolint, eslint) {
  const key = (f) => `${f.file}:${f.line}`;
  const lineText = (f) => {
    const text = readFileSync(path.join(repo, f.file), "utf8").split("\n")[f.line - 1] ?? "";
    return text.trim().slice(0, 100);
  };
  const keysOf = (findings, rule) => new Set(findings.filter((f) => f.rule === rule).map(key));
  const show = (f) => `  ${key(f)}  ${lineText(f)}`;
  const pairs = [
    ["blocking-call", "n/no-sync"],
    ["unawaited-coroutine", "@typescript-eslint/no-floating-promises"],
  ];
  console.log("");
  for (const [ours, theirs] of pairs) {
    const ourKeys = keysOf(corolint, ours);
    const theirKeys = keysOf(eslint, theirs);
    const theirFindings = eslint.filter((f) => f.rule === theirs);
    const ourFindings = corolint.filter((f) => f.rule === ours);
    const both = theirFindings.filter((f) => ourKeys.has(key(f)));
    const onlyTheirs = theirFindings.filter((f) => !ourKeys.has(key(f)));
    const onlyOurs = ourFindings.filter((f) => !theirKeys.has(key(f)));
    console.log(`${theirs} (${theirFindings.length}) vs corolint ${ours} (${ourFindings.length}), by file and line:`);
    console.log(`- both (${both.length})`);
    for (const f of both) console.log(show(f));
    const theirNote = ours === "blocking-call" ? " (expected: sync code, not async context)" : "";
    console.log(`- ${theirs} only (${onlyTheirs.length})${theirNote}`);
    for (const f of onlyTheirs) console.log(show(f));
    console.log(`- corolint ${ours} only (${onlyOurs.length})`);
    for (const f of onlyOurs) console.log(`${show(f)}\n      ${f.message.slice(0, 120)}`);
  }
}

if (process.argv[2] === "--eslint-child") {
  await eslintChild(path.resolve(process.argv[3]));
} else {
  const sections = (process.env.COROLINT_BENCH_SECTIONS ?? "python,typescript").split(",").map((s) => s.trim());
  if (sections.includes("python")) pythonSection();
  if (sections.includes("typescript")) typescriptSection();
  if (sections.includes("transitive")) transitiveSection();
}
