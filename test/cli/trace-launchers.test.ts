/**
 * `corolint trace` on any launcher: `python -m`, interpreter options, an executable script (as a
 * console script is), the user's own sitecustomize, forked workers, Node child processes, `sh -c`.
 * Real interpreters and processes; each traced process writes its own file and the CLI merges them.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeProject, runCli } from "./helpers";

interface Event {
  ph: string;
  name?: string;
  pid?: number;
  tid?: number;
  ts?: number;
  dur?: number;
  id?: number | string;
  cat?: string;
  args?: { file?: string; line?: number; function?: string; name?: string; sort_index?: number };
}

interface ProcessSummary {
  pid: number;
  argv: string[];
  runtime: string;
  startEpochMs: number;
  forkedFrom?: number;
  blocked: number;
}

interface Trace {
  traceEvents: Event[];
  otherData: {
    corolint: {
      mode: string;
      blocked: number;
      startEpochMs: number;
      argv: string[];
      processes?: ProcessSummary[];
      topBlockers: { file: string; line: number; function: string; totalMs: number; count: number }[];
    };
  };
}

/** The line of `source` holding `marker`, 1-based. */
function lineOf(source: string, marker: string): number {
  const line = source.split("\n").findIndex((text) => text.includes(marker)) + 1;
  expect(line).toBeGreaterThan(0);
  return line;
}

function readTrace(dir: string, name: string): Trace {
  return JSON.parse(readFileSync(join(dir, name), "utf8")) as Trace;
}

function blockedSpans(trace: Trace): Event[] {
  return trace.traceEvents.filter((event) => event.ph === "X" && event.cat === "corolint.blocked");
}

/** What every corolint trace must be, merged or not: Perfetto and `corolint view` rely on it. */
function expectWellFormed(trace: Trace): void {
  const named = new Set<number>();
  const flows = new Map<string, { starts: number; finishes: number }>();
  for (const event of trace.traceEvents) {
    expect(Number.isInteger(event.pid), JSON.stringify(event)).toBe(true);
    expect(Number.isInteger(event.tid), JSON.stringify(event)).toBe(true);
    if (event.ph === "M" && event.name === "process_name") named.add(event.pid!);
    if (event.ph === "X") {
      expect(event.ts).toBeGreaterThanOrEqual(0);
      expect(event.dur).toBeGreaterThanOrEqual(0);
    }
    if (event.ph === "s" || event.ph === "f") {
      const key = `${event.cat}/${String(event.id)}`;
      const flow = flows.get(key) ?? { starts: 0, finishes: 0 };
      if (event.ph === "s") flow.starts += 1;
      else flow.finishes += 1;
      flows.set(key, flow);
    }
  }
  for (const pid of new Set(trace.traceEvents.map((event) => event.pid!))) expect(named, `pid ${pid} has a process_name`).toContain(pid);
  for (const [key, flow] of flows) expect(flow, `flow ${key}`).toEqual({ starts: 1, finishes: 1 });
}

/** A folder for the CLI's scratch files (TMPDIR), to see that it is left empty. */
function scratchIn(dir: string): { TMPDIR: string } {
  const tmp = join(dir, "tmp");
  mkdirSync(tmp);
  return { TMPDIR: tmp };
}

const MODULE_MAIN = [
  "import asyncio",
  "import sys",
  "import time",
  "",
  "",
  "async def handler():",
  "    await asyncio.sleep(0.01)",
  "    time.sleep(0.2)  # BLOCKS",
  "",
  "",
  "print(__name__, sys.argv[0].endswith('__main__.py'), sys.argv[1:], sys.path[0], sys.flags.dev_mode, sys.stdout.write_through)",
  "asyncio.run(handler())",
  "sys.exit(3)",
  "",
].join("\n");

describe("corolint trace -- python -m / interpreter options", () => {
  it("runs `python -m pkg args` as python would, and names the line that blocked", { timeout: 60_000 }, async () => {
    const dir = makeProject({ "shop/__init__.py": "", "shop/__main__.py": MODULE_MAIN });
    // PYTHONUNBUFFERED (set in some CI shells) would make stdout unbuffered as -u does.
    const env = { ...scratchIn(dir), PYTHONUNBUFFERED: "" };
    const { code, stdout, stderr } = await runCli(["trace", "-o", "m.json", "--", "python3", "-m", "shop", "--port", "8000"], dir, env);
    expect(code).toBe(3);
    expect(stdout).toBe(`__main__ True ['--port', '8000'] ${dir} False False\n`);
    expect(stderr).toMatch(/^corolint: trace written to m\.json: the event loop was blocked 1 time .* at .*shop\/__main__\.py:8 handler\n$/);
    const trace = readTrace(dir, "m.json");
    expectWellFormed(trace);
    // One process: the trace as the tracer writes it, with no merge summary.
    expect(trace.otherData.corolint.processes).toBeUndefined();
    expect(trace.otherData.corolint.argv).toEqual(["-m", "shop", "--port", "8000"]);
    const blocked = blockedSpans(trace);
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.args).toMatchObject({ file: join(dir, "shop", "__main__.py"), line: lineOf(MODULE_MAIN, "# BLOCKS"), function: "handler" });
    expect(blocked[0]!.dur).toBeGreaterThanOrEqual(150_000);
    expect(readdirSync(env.TMPDIR)).toEqual([]); // the scratch folder is gone
  });

  it("keeps the interpreter's options: `python -X dev -u app.py`, `python -u -m pkg.mod`", { timeout: 60_000 }, async () => {
    const dir = makeProject({ "app.py": MODULE_MAIN, "pkg/__init__.py": "", "pkg/mod.py": MODULE_MAIN });
    const script = await runCli(["trace", "-o", "s.json", "--", "python3", "-X", "dev", "-u", "app.py", "a"], dir, { PYTHONUNBUFFERED: "" });
    expect(script.code).toBe(3);
    // -X dev: dev mode, whose asyncio debug also reports the slow step on stderr; -u: unbuffered.
    expect(script.stdout).toBe(`__main__ False ['a'] ${dir} True True\n`);
    expect(blockedSpans(readTrace(dir, "s.json"))[0]!.args).toMatchObject({ line: lineOf(MODULE_MAIN, "# BLOCKS"), function: "handler" });

    const module = await runCli(["trace", "-o", "p.json", "--", "python3", "-u", "-m", "pkg.mod"], dir);
    expect(module.code).toBe(3);
    expect(module.stdout).toBe(`__main__ False [] ${dir} False True\n`);
    expect(blockedSpans(readTrace(dir, "p.json"))[0]!.args).toMatchObject({ file: join(dir, "pkg", "mod.py"), line: lineOf(MODULE_MAIN, "# BLOCKS") });
  });
});

const APP_MODULE = [
  "import asyncio",
  "import time",
  "",
  "",
  "async def serve(name):",
  "    await asyncio.sleep(0.01)",
  "    time.sleep(0.2)  # BLOCKS",
  "    print('served', name)",
  "",
  "",
  "def main(argv):",
  "    asyncio.run(serve(argv[1]))",
  "    return 4",
  "",
].join("\n");

/** What pip writes for a console script: an executable that imports the app and calls it. */
const CONSOLE_SCRIPT = [
  "#!/usr/bin/env python3",
  "import os",
  "import sys",
  "sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))",
  "from webapp import main",
  "",
  "if __name__ == '__main__':",
  "    sys.exit(main(sys.argv))",
  "",
].join("\n");

describe("corolint trace -- any other command (sitecustomize)", () => {
  it("traces the Python process an executable launcher starts", { timeout: 60_000 }, async () => {
    const dir = makeProject({ "webapp.py": APP_MODULE, "bin/serve": CONSOLE_SCRIPT });
    chmodSync(join(dir, "bin/serve"), 0o755);
    const env = scratchIn(dir);
    const { code, stdout, stderr } = await runCli(["trace", "-o", "serve.json", "--", "./bin/serve", "shop"], dir, env);
    expect(code).toBe(4);
    expect(stdout).toBe("served shop\n");
    expect(stderr).toMatch(/^corolint: trace written to serve\.json: the event loop was blocked 1 time .* at .*webapp\.py:7 serve\n$/);
    const trace = readTrace(dir, "serve.json");
    expectWellFormed(trace);
    const blocked = blockedSpans(trace);
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.args).toMatchObject({ file: join(dir, "webapp.py"), line: lineOf(APP_MODULE, "# BLOCKS"), function: "serve" });
    const name = trace.traceEvents.find((event) => event.ph === "M" && event.name === "process_name");
    expect(name?.args?.name).toMatch(/^python .*bin\/serve shop$/);
    expect(readdirSync(env.TMPDIR)).toEqual([]);
  });

  it("still runs the sitecustomize that was on PYTHONPATH before", { timeout: 60_000 }, async () => {
    const dir = makeProject({
      "webapp.py": APP_MODULE,
      "bin/serve": CONSOLE_SCRIPT,
      "site-dir/sitecustomize.py": "print('user sitecustomize ran', flush=True)\nMARK = 'user'\n",
      "check.py": "import sitecustomize\nprint('import sitecustomize gives', sitecustomize.MARK)\n",
    });
    chmodSync(join(dir, "bin/serve"), 0o755);
    const env = { PYTHONPATH: join(dir, "site-dir") };
    const launcher = await runCli(["trace", "-o", "serve.json", "--", "./bin/serve", "shop"], dir, env);
    expect(launcher.code).toBe(4);
    expect(launcher.stdout).toBe("user sitecustomize ran\nserved shop\n");
    expect(blockedSpans(readTrace(dir, "serve.json"))).toHaveLength(1);
    // Through `python app.py` (the tracer's cli.py) too, and `import sitecustomize` is the user's.
    const direct = await runCli(["trace", "-o", "check.json", "--", "python3", "check.py"], dir, env);
    expect(direct.code).toBe(0);
    expect(direct.stdout).toBe("user sitecustomize ran\nimport sitecustomize gives user\n");
  });

  it("traces Python started by `sh -c`, and merges it with a Node process of the same command", { timeout: 60_000 }, async () => {
    const dir = makeProject({ "webapp.py": APP_MODULE, "run.py": "import sys\nfrom webapp import main\nmain(['run', 'sh'])\n", "spin.mjs": NODE_CHILD });
    const { code, stdout, stderr } = await runCli(["trace", "-o", "sh.json", "--", "sh", "-c", "python3 run.py && node spin.mjs"], dir);
    expect(code).toBe(0);
    expect(stdout).toBe("served sh\nchild done\n");
    expect(stderr).toMatch(/^corolint: trace of 2 processes written to sh\.json: the event loops were blocked 2 times /);
    const trace = readTrace(dir, "sh.json");
    expectWellFormed(trace);
    const processes = trace.otherData.corolint.processes!;
    expect(processes.map((process) => process.runtime.split(" ")[0])).toEqual(["python", "node"]);
    const [python, node] = processes;
    const pythonBlock = blockedSpans(trace).find((event) => event.pid === python!.pid);
    expect(pythonBlock?.args).toMatchObject({ file: join(dir, "webapp.py"), line: lineOf(APP_MODULE, "# BLOCKS") });
    const nodeBlock = blockedSpans(trace).find((event) => event.pid === node!.pid);
    expect(nodeBlock?.args).toMatchObject({ function: "spin" });
    // On the common clock, Node started after Python ended: its block comes after Python's.
    expect(nodeBlock!.ts!).toBeGreaterThan(pythonBlock!.ts! + pythonBlock!.dur!);
    expect(trace.otherData.corolint.argv).toEqual(["sh", "-c", "python3 run.py && node spin.mjs"]);
  });
});

const FORKING_PARENT = [
  "import asyncio",
  "import os",
  "import signal",
  "import time",
  "",
  "",
  "async def work(n):",
  "    await asyncio.sleep(0.01)",
  "    time.sleep(0.2)  # WORKER BLOCKS",
  "",
  "",
  "async def serve(n):",
  "    await asyncio.create_task(work(n), name='work-%d' % n)",
  "",
  "",
  "async def parent():",
  "    await asyncio.sleep(0.01)",
  "    time.sleep(0.1)  # PARENT BLOCKS",
  "",
  "",
  "asyncio.run(parent())  # before the fork: the workers' traces must not have it",
  "workers = []",
  "for n in range(2):",
  "    pid = os.fork()",
  "    if pid == 0:",
  "        asyncio.run(serve(n))",
  "        os.write(1, b'worker %d done\\n' % n)  # one write: the workers' lines do not interleave",
  "        os._exit(0)  # as multiprocessing's workers end: no atexit",
  "    workers.append(pid)",
  "pid = os.fork()",
  "if pid == 0:",
  "    os.kill(os.getpid(), signal.SIGKILL)  # a worker that dies without a trace",
  "workers.append(pid)",
  "for pid in workers:",
  "    os.waitpid(pid, 0)",
  "print('parent done')",
  "",
].join("\n");

describe("corolint trace: forked workers", () => {
  it("gives each forked worker its own pid in one merged trace, with the blocks at their lines", { timeout: 60_000 }, async () => {
    const dir = makeProject({ "prefork.py": FORKING_PARENT });
    const env = scratchIn(dir);
    const { code, stdout, stderr } = await runCli(["trace", "--mode", "steps", "-o", "fork.json", "--", "python3", "prefork.py"], dir, env);
    expect(code).toBe(0);
    expect(stdout.split("\n").sort()).toEqual(["", "parent done", "worker 0 done", "worker 1 done"]);
    expect(stderr).toMatch(/^corolint: trace of 3 processes written to fork\.json: the event loops were blocked 3 times /);
    const trace = readTrace(dir, "fork.json");
    expectWellFormed(trace);

    const processes = trace.otherData.corolint.processes!;
    expect(processes).toHaveLength(3); // the SIGKILLed worker left no trace
    const [parent, ...children] = processes;
    expect(parent!.forkedFrom).toBeUndefined();
    for (const child of children) {
      expect(child.forkedFrom).toBe(parent!.pid);
      expect(child.startEpochMs).toBeGreaterThan(parent!.startEpochMs);
    }
    const pids = new Set(trace.traceEvents.map((event) => event.pid));
    expect(pids).toEqual(new Set(processes.map((process) => process.pid)));

    const lanes = new Map(trace.traceEvents.filter((event) => event.ph === "M" && event.name === "thread_name").map((event) => [`${event.pid}/${event.tid}`, event.args?.name]));
    const workerLine = lineOf(FORKING_PARENT, "# WORKER BLOCKS");
    for (const child of children) {
      // Only its own block: the trace of a forked child starts empty, without the parent's.
      const blocked = blockedSpans(trace).filter((event) => event.pid === child.pid);
      expect(blocked).toHaveLength(1);
      expect(blocked[0]!.args).toMatchObject({ file: join(dir, "prefork.py"), line: workerLine, function: "work" });
      expect(blocked[0]!.dur).toBeGreaterThanOrEqual(150_000);
      expect(lanes.get(`${child.pid}/${blocked[0]!.tid}`)).toMatch(/^work-[01]$/);
    }
    const parentBlocked = blockedSpans(trace).filter((event) => event.pid === parent!.pid);
    expect(parentBlocked.map((event) => event.args?.line)).toEqual([lineOf(FORKING_PARENT, "# PARENT BLOCKS")]);
    // The merged top blockers add the two workers' blocks up.
    expect(trace.otherData.corolint.topBlockers[0]).toMatchObject({ line: workerLine, function: "work", count: 2 });
    expect(trace.otherData.corolint.blocked).toBe(3);
    // Both workers' spawn arrows survive the merge, renumbered apart.
    expect(trace.traceEvents.filter((event) => event.ph === "s").length).toBeGreaterThanOrEqual(2);
    expect(readdirSync(env.TMPDIR)).toEqual([]);
  });
});

const NODE_CHILD = [
  "function spin(ms) {",
  "  const end = Date.now() + ms;",
  "  while (Date.now() < end) {}",
  "}",
  "await new Promise((resolve) => setTimeout(resolve, 10));",
  "spin(200);",
  'console.log("child done");',
  "",
].join("\n");

const NODE_PARENT = [
  'import { spawn } from "node:child_process";',
  'const child = spawn(process.execPath, ["child.mjs"], { stdio: "inherit" });',
  'child.on("exit", (code) => {',
  '  console.log("parent saw", code);',
  "  process.exitCode = 5;",
  "});",
  "",
].join("\n");

describe("corolint trace -- node with a child process", () => {
  it("merges the parent's and the child's traces, each under its own pid", { timeout: 60_000 }, async () => {
    const dir = makeProject({ "parent.mjs": NODE_PARENT, "child.mjs": NODE_CHILD });
    const { code, stdout, stderr } = await runCli(["trace", "-o", "node.json", "--", "node", "parent.mjs"], dir);
    expect(code).toBe(5);
    expect(stdout).toBe("child done\nparent saw 0\n");
    expect(stderr).toMatch(/^corolint: trace of 2 processes written to node\.json: .* at .*child\.mjs:[1-4] spin\n$/);
    const trace = readTrace(dir, "node.json");
    expectWellFormed(trace);
    const [parent, child] = trace.otherData.corolint.processes!;
    expect(parent!.argv[0]).toMatch(/parent\.mjs$/);
    expect(child!.argv[0]).toMatch(/child\.mjs$/);
    const names = new Map(trace.traceEvents.filter((event) => event.ph === "M" && event.name === "process_name").map((event) => [event.pid, event.args?.name]));
    expect(names.get(parent!.pid)).toBe("node parent.mjs");
    expect(names.get(child!.pid)).toBe("node child.mjs");
    const blocked = blockedSpans(trace).filter((event) => event.pid === child!.pid);
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.args).toMatchObject({ file: join(dir, "child.mjs"), function: "spin" });
    expect(blocked[0]!.dur).toBeGreaterThanOrEqual(150_000);
    // Shifted onto the parent's clock: the child started after the parent did.
    expect(blocked[0]!.ts).toBeGreaterThan((child!.startEpochMs - parent!.startEpochMs) * 1000);
  });
});

describe("corolint trace usage (launchers)", () => {
  it("refuses `python -I`, which would ignore the tracer on PYTHONPATH", async () => {
    const { code, stderr } = await runCli(["trace", "--", "python3", "-I", "app.py"], makeProject({}));
    expect(code).toBe(2);
    expect(stderr).toMatch(/python -I makes Python ignore PYTHONPATH/);
  });

  it("says so when the command cannot start", async () => {
    const { code, stderr } = await runCli(["trace", "--", "no-such-command-for-corolint"], makeProject({}));
    expect(code).toBe(2);
    expect(stderr).toMatch(/could not start no-such-command-for-corolint/);
  });
});
