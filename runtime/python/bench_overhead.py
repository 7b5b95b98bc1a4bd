"""Measure the tracer's overhead (not a test: timings depend on the machine).

    python runtime/python/bench_overhead.py [--mode light|steps] [--workload mixed|tight|io]
                                            [--tasks 200] [--seconds 3] [--rounds 3]

Runs the same asyncio workload without and with the tracer, in fresh processes, and prints the
throughput of each, the difference and the ratio. Workloads: ``mixed`` (many tasks doing short
awaits and a little CPU work), ``tight`` (steps that only ``await asyncio.sleep(0)``: the worst
case for steps mode) and ``io`` (clients and a server exchanging lines over local TCP). Light mode
adds one timer callback per threshold/4 to each running loop and a watchdog thread that wakes at
the same period; steps mode also times every step of every task.
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


def run(traced, tasks, seconds, workdir, mode="light", workload="mixed"):
    path = os.path.join(workdir, "workload_%s.py" % workload)
    with open(path, "w") as handle:
        handle.write(WORKLOADS[workload])
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
    tracer = ["-m", "corolint_trace", "--mode", mode, "-o", os.path.join(workdir, "trace.json")] if traced else []
    out = subprocess.check_output([sys.executable] + tracer + [path, str(tasks), str(seconds)], env=env)
    result = json.loads(out.decode().strip().splitlines()[-1])
    return result["steps"] / result["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mode", choices=("light", "steps"), default="light")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="mixed")
    options = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="corolint-bench-")
    plain, traced = [], []
    for _ in range(options.rounds):  # interleaved, so drift hits both alike
        plain.append(run(False, options.tasks, options.seconds, workdir, options.mode, options.workload))
        traced.append(run(True, options.tasks, options.seconds, workdir, options.mode, options.workload))
    best_plain, best_traced = max(plain), max(traced)
    print("python %d.%d.%d, mode %s, workload %s" % (sys.version_info[:3] + (options.mode, options.workload)))
    print("untraced: %12.0f task steps/s (best of %d)" % (best_plain, options.rounds))
    print("traced:   %12.0f task steps/s (best of %d)" % (best_traced, options.rounds))
    print("overhead: %+.1f%% (ratio %.2fx)" % ((best_plain - best_traced) / best_plain * 100.0, best_plain / best_traced))


if __name__ == "__main__":
    main()
