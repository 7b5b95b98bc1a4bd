"""Measure the tracer's overhead (not a test: timings depend on the machine).

    python runtime/python/bench_overhead.py [--mode light|steps] [--workload mixed|tight|io[,...]]
                                            [--hooks default|monitoring|wrapper[,...]]
                                            [--tasks 200] [--seconds 3] [--rounds 3]

Runs the same asyncio workload without and with the tracer, in fresh processes, and prints the
throughput of each, the difference and the ratio. Workloads: ``mixed`` (many tasks doing short
awaits and a little CPU work), ``tight`` (steps that only ``await asyncio.sleep(0)``: the worst
case for steps mode) and ``io`` (clients and a server exchanging lines over local TCP). Light mode
adds one timer callback per threshold/4 to each running loop and a watchdog thread that wakes at
the same period; steps mode also times every step of every task.

``--hooks monitoring,wrapper`` (steps mode, Python 3.12+) runs the traced program once per hook in
each round (``COROLINT_TRACE_STEPS_HOOK``), so that both are measured side by side against the same
untraced runs. Each round runs the untraced program and every traced variant one after the other,
in an order that rotates from round to round, so that a noisy neighbour slows them alike; the best
round of each is kept.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

WORKLOADS = {
    # Many tasks doing a little CPU work between short awaits.
    "mixed": r'''
import asyncio, json, sys, time

async def worker(stop, counter):
    while time.monotonic() < stop:
        sum(range(200))
        await asyncio.sleep(0)
        counter[0] += 1

async def main(tasks, seconds):
    counter = [0]
    stop = time.monotonic() + seconds
    await asyncio.gather(*(worker(stop, counter) for _ in range(tasks)))
    print(json.dumps({"steps": counter[0], "seconds": seconds}))

asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
''',
    # The worst case for steps mode: steps that do nothing but suspend again.
    "tight": r'''
import asyncio, json, sys, time

async def worker(stop, counter):
    while time.monotonic() < stop:
        await asyncio.sleep(0)
        counter[0] += 1

async def main(tasks, seconds):
    counter = [0]
    stop = time.monotonic() + seconds
    await asyncio.gather(*(worker(stop, counter) for _ in range(tasks)))
    print(json.dumps({"steps": counter[0], "seconds": seconds}))

asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
''',
    # I/O-ish: clients and a server exchanging small lines over local TCP (asyncio streams).
    "io": r'''
import asyncio, json, sys, time

async def handle(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line)
        await writer.drain()
    writer.close()

async def client(port, stop, counter):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while time.monotonic() < stop:
        writer.write(b"ping\n")
        await writer.drain()
        await reader.readline()
        counter[0] += 1
    writer.close()

async def main(tasks, seconds):
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    counter = [0]
    stop = time.monotonic() + seconds
    await asyncio.gather(*(client(port, stop, counter) for _ in range(max(1, tasks // 10))))
    server.close()
    print(json.dumps({"steps": counter[0], "seconds": seconds}))

asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
''',
}


def run(traced, tasks, seconds, workdir, mode="light", workload="mixed", hook="default"):
    """Task steps per second of one run; with the tracer, also the hook the trace says ran."""
    path = os.path.join(workdir, "workload_%s.py" % workload)
    with open(path, "w") as handle:
        handle.write(WORKLOADS[workload])
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("COROLINT_TRACE_STEPS_HOOK", None)
    if hook != "default":
        env["COROLINT_TRACE_STEPS_HOOK"] = hook
    trace = os.path.join(workdir, "trace.json")
    tracer = ["-m", "corolint_trace", "--mode", mode, "-o", trace] if traced else []
    out = subprocess.check_output([sys.executable] + tracer + [path, str(tasks), str(seconds)], env=env)
    result = json.loads(out.decode().strip().splitlines()[-1])
    ran = None
    if traced:
        with open(trace) as handle:
            ran = json.load(handle)["otherData"]["corolint"].get("stepsHook")
    return result["steps"] / result["seconds"], ran


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mode", choices=("light", "steps"), default="light")
    parser.add_argument("--workload", default="mixed", help="one or more of %s, comma-separated" % ", ".join(sorted(WORKLOADS)))
    parser.add_argument("--hooks", default="default", help="steps mode: default, monitoring, wrapper, comma-separated")
    options = parser.parse_args()
    workloads = options.workload.split(",")
    hooks = options.hooks.split(",")
    for name in workloads:
        if name not in WORKLOADS:
            parser.error("unknown workload %r" % name)
    for hook in hooks:
        if hook not in ("default", "monitoring", "wrapper"):
            parser.error("unknown hook %r" % hook)
    workdir = tempfile.mkdtemp(prefix="corolint-bench-")
    print("python %d.%d.%d, mode %s, best of %d rounds of %gs, %d tasks"
          % (sys.version_info[:3] + (options.mode, options.rounds, options.seconds, options.tasks)))
    print("%-8s %-15s %14s %14s %7s" % ("workload", "hook (ran)", "untraced/s", "traced/s", "ratio"))
    for workload in workloads:
        variants = [None] + hooks  # None: untraced
        best = dict((variant, 0.0) for variant in variants)
        ran = {}
        for round_index in range(options.rounds):
            shift = round_index % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                rate, hook_ran = run(variant is not None, options.tasks, options.seconds, workdir,
                                     options.mode, workload, variant or "default")
                best[variant] = max(best[variant], rate)
                if variant is not None:
                    ran[variant] = hook_ran
        for hook in hooks:
            # What the trace says ran: "sys.monitoring" (monitoring) or "wrapper"; "-" in light mode.
            label = "%s (%s)" % (hook, {"sys.monitoring": "mon", "wrapper": "wrap"}.get(ran.get(hook), "-"))
            print("%-8s %-15s %14.0f %14.0f %6.2fx"
                  % (workload, label, best[None], best[hook], best[None] / best[hook]))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
