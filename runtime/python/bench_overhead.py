"""Measure the light mode's overhead (not a test: timings depend on the machine).

    PYTHONPATH=runtime/python python runtime/python/bench_overhead.py [--tasks 200] [--seconds 3]

Runs the same asyncio workload (many tasks doing short awaits and a little CPU work) without and
with the tracer, in fresh processes, and prints the throughput of each and the difference. The
tracer adds one timer callback per threshold/4 to each running loop and a watchdog thread that
wakes at the same period; nothing runs per task or per callback.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

WORKLOAD = r'''
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
'''


def run(traced, tasks, seconds, workdir):
    path = os.path.join(workdir, "workload.py")
    with open(path, "w") as handle:
        handle.write(WORKLOAD)
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
    tracer = ["-m", "corolint_trace", "-o", os.path.join(workdir, "trace.json")] if traced else []
    out = subprocess.check_output([sys.executable] + tracer + [path, str(tasks), str(seconds)], env=env)
    result = json.loads(out.decode().strip().splitlines()[-1])
    return result["steps"] / result["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="corolint-bench-")
    plain, traced = [], []
    for _ in range(options.rounds):  # interleaved, so drift hits both alike
        plain.append(run(False, options.tasks, options.seconds, workdir))
        traced.append(run(True, options.tasks, options.seconds, workdir))
    best_plain, best_traced = max(plain), max(traced)
    print("python %d.%d.%d" % sys.version_info[:3])
    print("untraced: %12.0f task steps/s (best of %d)" % (best_plain, options.rounds))
    print("traced:   %12.0f task steps/s (best of %d)" % (best_traced, options.rounds))
    print("overhead: %+.1f%%" % ((best_plain - best_traced) / best_plain * 100.0))


if __name__ == "__main__":
    main()
